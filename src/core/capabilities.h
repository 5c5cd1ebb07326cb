// Linux capability names (linux/capability.h), in bit order: the one table
// every module uses (run's --cap-add/--cap-drop, inspect's decoding, the
// AppArmor `capability` rule, generated securityContexts).
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace confine {

inline constexpr int kLastKnownCap = 40;  // CAP_CHECKPOINT_RESTORE (Linux 5.9; still the last in 6.18)

// Lower-case names without the prefix, index = capability bit: "chown", ..., "checkpoint_restore".
std::span<const std::string_view> capability_table();
// Accepts "CAP_SYS_ADMIN", "cap_sys_admin", "SYS_ADMIN", "sys_admin" (any case). nullopt if unknown.
std::optional<int> capability_from_name(std::string_view name);
// "sys_admin" for 21; empty for bits this table does not know.
std::string_view capability_base_name(int bit);
// "CAP_SYS_ADMIN" for 21; "CAP_<n>" for bits this table does not know.
std::string capability_name(int bit);

// The default capability set of a container (podman's default_capabilities in
// containers.conf, golang-github-containers-common): what `confine run` keeps
// unless --cap-drop/--cap-add say otherwise, and what a seccomp profile's
// includes.caps is resolved against when no set is given. Not in it (unlike
// Docker's older set): NET_RAW (raw/packet sockets sniff and forge traffic on a
// shared network), MKNOD (device nodes), AUDIT_WRITE (forged audit records).
std::span<const std::string_view> default_capability_names();  // base names: "chown", ...
uint64_t default_capabilities_mask();
std::set<std::string> default_capability_set();  // {"CAP_CHOWN", ...}

}  // namespace confine
