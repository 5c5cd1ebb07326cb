// libFuzzer target for the complain event reader (supervise::parse_event): any
// bytes -> an event or an error, never a crash; what it reads, the writer writes
// back to a line the reader reads as the same event.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "supervise/event.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto e = confine::supervise::parse_event(in);
  if (!e.ok()) return 0;
  (void)confine::supervise::to_text(*e);
  auto again = confine::supervise::parse_event(confine::supervise::to_json(*e));
  if (!again.ok()) __builtin_trap();
  // json::quote maps invalid UTF-8 to U+FFFD: compare once more after one trip.
  auto third = confine::supervise::parse_event(confine::supervise::to_json(*again));
  if (!third.ok() || !(*third == *again)) __builtin_trap();
  return 0;
}
