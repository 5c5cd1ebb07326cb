// Hygiene facets: file descriptors (all but 0, 1, 2 and --keep-fd closed),
// session (setsid: no controlling terminal, so no TIOCSTI into the caller's
// terminal) and environment (--clear-env).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

// Closes every fd >= 3 except c.keep and `also_keep` (our own close-on-exec pipes).
Status close_fds(const FdConfig& c, const std::vector<int>& also_keep);
// Checks that each --keep-fd is open in the caller.
Status validate(const FdConfig& c);
Status new_session();
Status apply_env(const EnvConfig& c);
std::string describe(const FdConfig& c);
std::string describe(const EnvConfig& c);

}  // namespace confine::sandbox
