// Complain mode's --suggest: the profile that would have allowed the run
// (the original plus one ALLOW rule for the syscalls it would have denied).
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace confine::sandbox {

Status write_suggestion(const std::string& profile_path, const std::vector<std::string>& syscalls,
                        const std::string& out_path);

}  // namespace confine::sandbox
