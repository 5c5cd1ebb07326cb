// Mount facet (inside the new mount namespace), in this order: stop propagation
// to the host; clone the host's minimal device nodes; nodev (and with
// --read-only, read-only) on every inherited mount; the private /dev (tmpfs,
// the cloned nodes, a new devpts, private shm/mqueue); binds (nodev,nosuid),
// tmpfs (emptyDir); a fresh /proc for the new pid namespace; /sys read-only,
// /proc knobs read-only and the runtimes' masks (mounts.cc lists them).
#pragma once

#include <string>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

// "/work" or "/work:64m" (k, m, g suffixes; bytes without suffix).
Result<TmpfsMount> parse_tmpfs(std::string_view spec);
// "SRC:DST" or "SRC:DST:ro" / ":rw"; "SRC" alone means SRC:SRC.
Result<BindMount> parse_bind(std::string_view spec);
// "512m", "1g", "1048576" -> bytes; error for anything else (or 0).
Result<uint64_t> parse_size(std::string_view s);
// Checks (in the parent, before anything runs) that paths are absolute and exist
// and that each --device is a character or block device under /dev/.
Status validate(const MountConfig& c);

Status apply_mounts(const MountConfig& c);
std::string describe(const MountConfig& c);

}  // namespace confine::sandbox
