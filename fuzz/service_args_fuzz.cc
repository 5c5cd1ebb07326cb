// libFuzzer target for the service options of `confine record` and
// `confine harden` (--stop-signal names and numbers; --duration and
// --ready-timeout use sandbox::parse_duration, fuzzed by run_args_fuzz):
// any input must give a signal number in 1..NSIG-1 or an Error.
#include <signal.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sandbox/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256) return 0;
  std::string s(reinterpret_cast<const char*>(data), size);
  auto r = confine::sandbox::parse_signal(s);
  if (r.ok() && (*r <= 0 || *r >= NSIG || *r == SIGKILL || *r == SIGSTOP)) abort();
  return 0;
}
