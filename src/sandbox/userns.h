// User namespace facet (parent side): writes the child's uid/gid maps, one
// id each (the only mapping an unprivileged user may write).
#pragma once

#include <sys/types.h>

#include <string>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

// Writes /proc/PID/setgroups ("deny"), uid_map and gid_map.
Status write_id_maps(pid_t child, const UserNsConfig& c);
std::string describe(const UserNsConfig& c);

}  // namespace confine::sandbox
