// libFuzzer target: `confine logs --to-apparmor`'s core never crashes; whatever
// it adds re-parses (checked inside) and a second run with the same entries
// changes nothing (idempotency). Input: a profile, a line "--", then entries:
// JSON lines ({"kind":"apparmor",...}), "L BLOCKERS PATH" (Landlock) or
// "PROFILE|PATH|MASK" (file), "PROFILE|cap|NAME", "PROFILE|net|FAMILY|TYPE".
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "apparmor/logprof.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace confine::apparmor;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t sep = in.find("\n--\n");
  std::string_view profile = in.substr(0, sep);
  std::string_view rest = sep == std::string_view::npos ? std::string_view() : in.substr(sep + 4);
  std::vector<LogEntry> entries;
  size_t start = 0;
  while (start < rest.size() && entries.size() < 64) {
    size_t nl = rest.find('\n', start);
    std::string line(rest.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    start = nl == std::string_view::npos ? rest.size() : nl + 1;
    if (line.starts_with("{")) {
      auto e = entry_from_json_line(line, "fuzz:1");
      if (e.ok() && e->has_value()) entries.push_back(**e);
      continue;
    }
    if (line.starts_with("L ")) {
      size_t sp = line.find(' ', 2);
      if (sp == std::string::npos) continue;
      if (auto e = entry_from_landlock(line.substr(2, sp - 2), line.substr(sp + 1), "fuzz:2"))
        entries.push_back(*e);
      continue;
    }
    std::vector<std::string> f;
    size_t b = 0;
    for (;;) {
      size_t bar = line.find('|', b);
      f.push_back(line.substr(b, bar == std::string::npos ? std::string::npos : bar - b));
      if (bar == std::string::npos) break;
      b = bar + 1;
    }
    if (f.size() < 3) continue;
    LogEntry e;
    e.profile = f[0];
    e.origin = "fuzz:3";
    if (f[1] == "cap") {
      e.kind = LogEntry::Kind::Capability;
      e.capname = f[2];
    } else if (f[1] == "net") {
      e.kind = LogEntry::Kind::Network;
      e.family = f[2];
      if (f.size() > 3) e.sock_type = f[3];
    } else {
      e.path = f[1];
      e.mask = f[2];
    }
    entries.push_back(e);
  }
  LogprofOptions opt;
  opt.resolve.root = "/nonexistent-fuzz-root";  // no file system access for <...> includes
  opt.resolve.max_files = 8;
  auto r = add_logged_rules(profile, "fuzz.profile", entries, opt);
  if (!r.ok()) {
    // Only our own invariant (the updated profile re-parses) is a finding; an
    // error quoting the input may contain the same word (a fuzzer find).
    if (r.error().message().starts_with("internal: updated profile does not parse")) std::abort();
    return 0;
  }
  if (!r->changed()) return 0;
  auto again = add_logged_rules(r->text, "fuzz.profile", entries, opt);
  if (!again.ok() || again->changed()) std::abort();
  return 0;
}
