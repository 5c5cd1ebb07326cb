// What confines a process, read from /proc (and a few kernel queries):
// container runtime guess, namespaces vs PID 1, id maps, capability sets,
// no_new_privs, seccomp mode and filter count, LSM labels, Landlock support,
// cgroup, rlimits of note and dangerous exposures. Plus the blocked-syscall
// probe (probe.cc) and the all-process listing.
#pragma once

#include "core/capabilities.h"

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace confine::inspect {

// Capabilities, "cap_chown" .. "cap_checkpoint_restore" (40); unknown bits as their number.
std::string cap_name(int bit);
std::optional<int> cap_from_name(std::string_view name);  // "CAP_SYS_ADMIN", "sys_admin", "cap_sys_admin"
std::vector<std::string> cap_names(uint64_t mask);
uint64_t all_known_caps();

struct Namespace {
  std::string type;    // cgroup ipc mnt net pid pid_for_children time time_for_children user uts
  uint64_t inode = 0;  // 0 = unreadable
  std::optional<uint64_t> init_inode;  // PID 1's, if readable
  std::optional<uint64_t> self_inode;  // the inspecting process's (the reference when PID 1 is unreadable)
  std::string error;                   // why unreadable
  bool differs() const { return inode && init_inode && inode != *init_inode; }
  bool differs_from_self() const { return inode && self_inode && inode != *self_inode; }
};

struct IdMapLine {
  uint64_t inside = 0, outside = 0, count = 0;
};

struct Rlimit {
  std::string name;        // "nofile"
  std::string soft, hard;  // "1024", "unlimited"
};

struct CapSets {
  uint64_t effective = 0, permitted = 0, inheritable = 0, bounding = 0, ambient = 0;
};

struct Report {
  pid_t pid = 0;
  std::string comm, exe, cmdline, state;
  std::vector<uint64_t> uids, gids;  // real, effective, saved, fs

  std::string
      runtime;  // "docker", "podman", "kube", "containerd", "lxc", "systemd-nspawn", "bwrap", "none", ...
  std::vector<std::string> runtime_evidence;

  std::vector<Namespace> namespaces;
  std::vector<IdMapLine> uid_map, gid_map;
  bool uid_map_identity = false;  // "0 0 4294967295": the initial user namespace's map

  std::optional<CapSets> caps;
  int no_new_privs = -1;     // -1 unknown
  int seccomp = -1;          // 0 disabled, 1 strict, 2 filter; -1 unknown (kernel without CONFIG_SECCOMP)
  int seccomp_filters = -1;  // Seccomp_filters (5.9+), -1 unknown

  std::vector<std::string> lsms;  // /sys/kernel/security/lsm
  std::string apparmor;           // label (+ mode) or "" if none/unavailable
  std::string selinux;            // context or ""
  std::string lsm_current;        // raw attr/current if readable

  int landlock_abi = -1;  // kernel Landlock ABI (from this process), -1 unsupported
  std::string landlock_error;
  std::string landlock_restricted;  // "unknown" + why (the kernel does not expose domains per process)

  std::string cgroup;  // /proc/PID/cgroup lines joined
  std::vector<Rlimit> rlimits;
  std::vector<std::string> exposures;  // human-readable findings
};

std::string_view seccomp_mode_name(int mode);  // "disabled", "strict", "filter"

// pid 0 = self. Errors: no such process, /proc unreadable.
Result<Report> inspect_pid(pid_t pid);

// One line per process for `inspect --all`.
struct ProcSummary {
  pid_t pid = 0;
  std::string comm;
  int seccomp = -1, seccomp_filters = -1, no_new_privs = -1;
  uint64_t cap_eff = 0, cap_bnd = 0;
  bool caps_known = false;
  std::string lsm_label;
  std::string uid;
};
std::vector<ProcSummary> list_processes();
std::string cap_summary(uint64_t eff);  // "full", "none", "3: chown,kill,net_raw", ...

// Landlock ABI of the running kernel (landlock_create_ruleset(NULL, 0, VERSION)); error on ENOSYS/EOPNOTSUPP.
Result<int> landlock_abi();

// ----- the blocked-syscall probe (probe.cc) -----
struct ProbeResult {
  std::string name;
  int32_t nr = 0;
  enum class Verdict : uint8_t { Allowed, Errno, Signal, Timeout, Error } verdict = Verdict::Allowed;
  int err = 0;  // errno for Errno; signal for Signal
};
struct ProbeOptions {
  int timeout_ms = 500;           // per syscall
  std::vector<std::string> only;  // probe only these names (tests); empty = every syscall of the native arch
};
struct ProbeReport {
  std::vector<ProbeResult> results;
  std::string method;  // description of the method used
};
// Probes the calling process's own seccomp filters in forked children.
Result<ProbeReport> probe_self(const ProbeOptions& opts = {});

}  // namespace confine::inspect
