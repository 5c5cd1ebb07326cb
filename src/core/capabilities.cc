#include "core/capabilities.h"

#include <array>

namespace confine {

namespace {
constexpr std::array<std::string_view, kLastKnownCap + 1> kCaps = {
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

std::span<const std::string_view> capability_table() { return kCaps; }

std::optional<int> capability_from_name(std::string_view name) {
  std::string n;
  n.reserve(name.size());
  for (char c : name) n += lower(c);
  std::string_view v = n;
  if (v.starts_with("cap_")) v.remove_prefix(4);
  for (size_t i = 0; i < kCaps.size(); ++i)
    if (kCaps[i] == v) return static_cast<int>(i);
  return std::nullopt;
}

std::string_view capability_base_name(int bit) {
  if (bit < 0 || bit > kLastKnownCap) return {};
  return kCaps[static_cast<size_t>(bit)];
}

}  // namespace confine
