#include "core/capabilities.h"

#include <array>
#include <string>

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

// podman 4.3 (/usr/share/containers/containers.conf, default_capabilities).
constexpr std::array<std::string_view, 11> kDefault = {
    "chown",   "dac_override", "fowner",  "fsetid", "kill",       "net_bind_service",
    "setfcap", "setgid",       "setpcap", "setuid", "sys_chroot",
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

std::string capability_name(int bit) {
  std::string_view base = capability_base_name(bit);
  if (base.empty()) return "CAP_" + std::to_string(bit);
  std::string n = "CAP_";
  for (char c : base) n += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return n;
}

std::span<const std::string_view> default_capability_names() { return kDefault; }

uint64_t default_capabilities_mask() {
  uint64_t m = 0;
  for (auto n : kDefault) m |= 1ull << *capability_from_name(n);
  return m;
}

std::set<std::string> default_capability_set() {
  std::set<std::string> s;
  for (auto n : kDefault) s.insert(capability_name(*capability_from_name(n)));
  return s;
}

std::string_view capability_base_name(int bit) {
  if (bit < 0 || bit > kLastKnownCap) return {};
  return kCaps[static_cast<size_t>(bit)];
}

}  // namespace confine
