// Linux capability names (linux/capability.h), in bit order: the one table
// every module uses (run's --cap-add/--cap-drop, inspect's decoding, the
// AppArmor `capability` rule, generated securityContexts).
#pragma once

#include <optional>
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

}  // namespace confine
