// libFuzzer target: apparmor::parse never crashes or hangs; whatever it
// accepts, format() writes text that re-parses to the same model and formats
// to the same text; expand() stays within its cap; the self-proc target of a
// rule path (Landlock row self-proc) is "", "task", or a relative path under
// /proc/self without "." or ".." components, fd or map_files links.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "apparmor/apparmor.h"
#include "apparmor/landlock.h"

namespace {
void check_self_target(const std::string& t) {
  if (t.empty() || t == "task") return;
  if (t[0] == '/' || t.back() == '/' || t.starts_with("fd/") || t.starts_with("map_files/") ||
      t.starts_with("task/") || t.find_first_of("*?[]{}@") != std::string::npos)
    std::abort();
  for (size_t i = 0; i <= t.size();) {
    size_t e = t.find('/', i);
    std::string c = t.substr(i, e == std::string::npos ? std::string::npos : e - i);
    if (c.empty() || c == "." || c == "..") std::abort();
    if (e == std::string::npos) break;
    i = e + 1;
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace confine::apparmor;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_self_target(self_proc_target(text));
  auto f = parse(text, "fuzz.profile");
  if (!f.ok()) {
    if (f.error().message().empty()) std::abort();
    return 0;
  }
  std::string out = format(*f);
  auto g = parse(out, "formatted.profile");
  if (!g.ok()) std::abort();
  if (!(*f == *g)) std::abort();
  if (format(*g) != out) std::abort();
  Resolved r;
  r.vars["V"] = {"/a", "/b/{c,d}"};
  for (const auto& p : profiles(*f))
    for (const auto& it : p->items)
      if (auto* rule = std::get_if<Rule>(&it)) {
        auto x = expand(rule->path, r, 256);
        if (x.ok() && x->size() > 256) std::abort();
        check_self_target(self_proc_target(rule->path));
      }
  return 0;
}
