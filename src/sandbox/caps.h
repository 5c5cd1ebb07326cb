// Capabilities facet (Kubernetes/Docker semantics): the command keeps exactly
// CapsConfig::keep in its permitted, effective and inheritable sets, the
// bounding set is cut to the same set, and the ambient set carries it across
// exec when the command does not run as uid 0.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

// "CAP_SYS_ADMIN", "sys_admin", "Sys_Admin" -> 21; nullopt if unknown.
std::optional<int> cap_from_name(std::string_view name);
std::string cap_name(int cap);  // "CAP_SYS_ADMIN"; "CAP_<n>" if unnamed
int cap_last_cap();             // /proc/sys/kernel/cap_last_cap (or our table's last)
uint64_t all_caps_mask();
// The container default set (core/capabilities.h: podman's default_capabilities).
uint64_t default_caps_mask();
// "ALL" or "chown,CAP_KILL,..." -> mask; error names the unknown capability.
Result<uint64_t> parse_cap_list(std::string_view list);
std::string caps_to_string(uint64_t mask);  // "CAP_CHOWN,CAP_KILL" or "none"

// Step 1 (needs CAP_SETPCAP, before changing uid): drop every capability not
// in keep from the bounding set.
Status drop_bounding(const CapsConfig& c);
// Step 2 (after the uid change): capset(P=E=keep, I=keep&ambient when `nonroot`, else
// empty), clear ambient, then raise ambient for each kept capability in c.ambient when
// `nonroot` (the command runs as uid != 0).
Status apply_caps(const CapsConfig& c, bool nonroot);

std::string describe(const CapsConfig& c);

}  // namespace confine::sandbox
