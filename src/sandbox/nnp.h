// no_new_privs facet (allowPrivilegeEscalation: false): execve can no longer
// grant privileges (setuid bits, file capabilities are ignored).
#pragma once

#include <string>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

Status apply_nnp(const NnpConfig& c);
std::string describe(const NnpConfig& c);

}  // namespace confine::sandbox
