// User facet (runAsUser / runAsGroup / runAsNonRoot): switches ids keeping
// capabilities (the caps facet then sets exactly the kept set).
#pragma once

#include <sys/types.h>

#include <string>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

// "1000" or "1000:1000" (numbers only).
Status parse_user(UserConfig& c, std::string_view spec);
// The uid the command will run as (in its own user namespace).
uid_t effective_uid(const UserConfig& c, uid_t current);
// Refuses uid 0 under --no-root.
Status check_non_root(const UserConfig& c, uid_t current);
// PR_SET_KEEPCAPS, setgroups (unless denied in our user namespace), setresgid, setresuid.
Status apply_user(const UserConfig& c, bool setgroups_allowed);
std::string describe(const UserConfig& c, uid_t current);

}  // namespace confine::sandbox
