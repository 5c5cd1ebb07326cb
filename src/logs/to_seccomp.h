// audit2allow for seccomp: a Docker/OCI seccomp profile plus logged seccomp
// events -> the same profile with the logged syscalls allowed. Only events
// whose action was LOG, ERRNO, TRAP or KILL_* count (an ALLOW/TRACE/NOTIF
// record is not a denial). The rest of the profile is kept as it is: other
// rules, their order, comments, flags and unknown keys. A syscall that a rule
// names with SCMP_ACT_ERRNO (clone3 -> ENOSYS, ...) is a deliberate answer: it is
// never turned into ALLOW (noted instead).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "logs/logs.h"

namespace confine::logs {

struct AllowResult {
  std::string profile;             // the new profile text (JSON)
  std::vector<std::string> added;  // syscall names newly allowed
  std::vector<std::string> notes;  // human-readable remarks (already allowed, unknown numbers, ...)
};

Result<AllowResult> allow_logged_syscalls(std::string_view profile_text, std::string_view file,
                                          const std::vector<Event>& events);

}  // namespace confine::logs
