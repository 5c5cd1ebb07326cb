// libFuzzer target for the audit log parser: any bytes -> parse_text (lines,
// journal export, journal JSON) and the reports; must never crash, hang or
// produce an event without its mandatory parts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "logs/filter.h"
#include "logs/logs.h"
#include "logs/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto out = confine::logs::parse_text(in);
  if (out.stats.records != out.stats.events + out.stats.other + out.stats.skipped) __builtin_trap();
  for (const auto& e : out.events) {
    if (e.kind == confine::logs::Kind::Seccomp && (!e.syscall_nr || !e.audit_arch)) __builtin_trap();
    (void)confine::logs::event_line(e);
  }
  (void)confine::logs::report_json(out.events, out.stats);
  (void)confine::logs::report_text(out.events, out.stats);
  // The filter over the events, and the input as a --since value (a parser too).
  confine::logs::Filter f;
  if (auto t = confine::logs::parse_since(in.substr(0, 64), 1700000000)) f.since = *t;
  f.comm.insert("x");
  for (const auto& e : out.events) (void)f.matches(e);
  (void)confine::logs::profile_delta_guard(f, confine::logs::sources_of(out.events), true, false);
  // Also as a journal export stream.
  std::string exp = "__CURSOR=x\n" + std::string(in);
  (void)confine::logs::parse_text(exp);
  return 0;
}
