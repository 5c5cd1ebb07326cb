// libFuzzer target: the watch rules loader and condition compiler (src/watch/rules.h,
// filter.h). The input is a rules file loaded after the stock rules (so its conditions
// can use the stock lists and macros); its first line, when it starts with "#c ", is also
// compiled as a bare condition. Invariants: no crash or hang; every error has a position
// inside the text; whatever compiles evaluates on a sample event and renders its output.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "watch/filter.h"
#include "watch/rules.h"

namespace {
using namespace confine::watch;

struct NoProcs : ProcLookup {
  const ProcInfo* find(pid_t) override { return nullptr; }
};

Event sample(ProcInfo* p, NoProcs* np) {
  Event e;
  e.type = "openat";
  e.has_fd = true;
  e.fd_name = "/etc/shadow";
  e.fd_type = FdType::File;
  e.is_open = e.open_read = true;
  e.proc = p;
  e.procs = np;
  e.args.push_back(Arg{"name", "/etc/shadow", 0, true});
  return e;
}

void check_pos(const confine::Error& e, std::string_view text) {
  uint32_t lines = 1;
  for (char c : text) lines += c == '\n';
  if (e.pos().file == "f" && e.pos().line > lines + 1) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ProcInfo p;
  p.pid = 2, p.ppid = 1, p.comm = "bash", p.argv = {"bash", "-c", "x"}, p.has_argv = true;
  p.finish();
  NoProcs np;
  Event e = sample(&p, &np);
  if (text.starts_with("#c ")) {
    std::string_view cond =
        text.substr(3, text.find('\n') == std::string_view::npos ? text.size() - 3 : text.find('\n') - 3);
    auto n = compile(
        cond,
        [](size_t off) {
          return confine::SourcePos{"c", 1, static_cast<uint32_t>(off + 1)};
        },
        Symbols{});
    if (n.ok()) {
      (void)eval(*n, e);
      (void)event_types(*n);
    } else if (n.error().pos().col > cond.size() + 1) {
      __builtin_trap();
    }
  }
  RuleSet rs;
  if (!rs.load(stock_rules(), "stock").ok()) __builtin_trap();
  auto st = rs.load(text, "f");
  if (st.ok()) st = rs.compile();
  if (!st.ok()) {
    check_pos(st.error(), text);
    return 0;
  }
  rs.match(e, [&](const Rule& r) { (void)r.out.render(e); });
  for (const auto& r : rs.rules()) (void)format_alert_json(*r, e, "h");
  return 0;
}
