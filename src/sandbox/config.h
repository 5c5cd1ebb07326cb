// Configuration of `confine run`, one slice per facet. Each facet file
// receives only its own slice (see launcher.cc for the ordered checklist).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "supervise/event.h"
#include "supervise/listener.h"

namespace confine::sandbox {

// namespaces.cc
struct NamespaceConfig {
  bool user = false;  // new user namespace (automatic when not root)
  bool pid = true;
  bool mount = true;
  bool net = false;  // shared unless --unshare net / --unshare-all
  bool ipc = true;
  bool uts = true;
  bool cgroup = true;
  std::string hostname = "confine";  // set in a new uts namespace
};

// userns.cc: who we are outside, who we become inside the new user namespace.
struct UserNsConfig {
  uid_t outer_uid = 0;
  gid_t outer_gid = 0;
  uid_t inner_uid = 0;  // mapped to outer_uid
  gid_t inner_gid = 0;
};

// mounts.cc
struct TmpfsMount {
  std::string path;
  uint64_t size_bytes = 0;  // 0 = kernel default
};
struct BindMount {
  std::string src, dst;
  bool read_only = false;
};
struct MountConfig {
  bool read_only_root = false;
  std::vector<TmpfsMount> tmpfs;
  std::vector<BindMount> binds;  // always nodev,nosuid
  bool new_proc = true;          // fresh /proc (needs a new pid namespace)
  // Like runc/podman: /sys read-only; kernel knobs in /proc read-only
  // (/proc/sys, sysrq-trigger, irq, bus, fs) and leaky /proc, /sys entries
  // masked, in a fresh /proc and in the host's (--share pid) alike.
  bool harden_sys_proc = true;
  // Private /dev (tmpfs): null, zero, full, random, urandom, tty bound from the
  // host, a new devpts instance, fd/stdio links, private shm (and mqueue with
  // new_ipc); nodev on every other mount, the host's included.
  bool private_dev = true;
  bool new_ipc = true;               // new IPC namespace: private /dev/shm and /dev/mqueue
  std::vector<std::string> devices;  // --device: host device nodes passed through
};

// user.cc: runAsUser/runAsGroup/runAsNonRoot.
struct UserConfig {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  bool no_root = false;
};

// caps.cc: the capability set the command keeps (bit i = capability i) in its
// bounding, permitted and effective sets; the inheritable set stays empty but
// for the ambient capabilities below.
struct CapsConfig {
  uint64_t keep = 0;
  // Raised in the ambient set when the command runs as uid != 0: only what
  // was explicitly --cap-add'ed (a non-root user does not get the default set
  // as effective capabilities, as in Docker/Kubernetes).
  uint64_t ambient = 0;
};

// nnp.cc
struct NnpConfig {
  bool no_new_privs = true;
};

// landlock.cc
struct LandlockConfig {
  std::vector<std::string> ro, rw, exec;
  bool enabled() const { return !ro.empty() || !rw.empty() || !exec.empty(); }
  // A ruleset computed elsewhere (an AppArmor profile translated by the CLI):
  // applied as its own Landlock layer, so it intersects with the allow-lists.
  struct Layer {
    std::string source;                                   // e.g. "--apparmor deny-write.profile"
    uint64_t handled = 0;                                 // LANDLOCK_ACCESS_FS_* governed by the layer
    std::vector<std::pair<std::string, uint64_t>> rules;  // path -> allowed access
    // /proc/self/REL -> allowed access, opened by the sandboxed process itself when it
    // applies the layer (row self-proc of the AppArmor translation); the launcher's
    // supervisor holds the opened fds until the sandbox exits (pins the dentries).
    std::vector<std::pair<std::string, uint64_t>> self_rules;
    // The sandbox mounts a /proc of its own (pid namespace; /proc/sys and the other kernel
    // knobs read-only, leaky entries masked): a "task" self rule goes to that /proc's root,
    // so the threads of the command's children are covered too (row sandbox-proc).
    bool own_proc = false;
  };
  std::optional<Layer> layer;
  // LANDLOCK_SCOPE_* (ABI 6): signals always; abstract unix sockets when the
  // host network namespace is shared (they are per network namespace). Put in
  // the first filesystem layer when there is one (a scope-only layer in a
  // domain that restricts the filesystem would deny every cross-directory
  // rename/link), else applied alone.
  uint64_t scoped = 0;
};

// seccomp_install.cc
enum class SeccompMode { Unconfined, Enforce, Complain };
struct SeccompConfig {
  SeccompMode mode = SeccompMode::Unconfined;
  std::string source;             // profile name/path (for messages)
  std::vector<sock_filter> prog;  // compiled (Complain: non-ALLOW replaced by NOTIFY)
  // Extra filter installed just before prog when exec is restricted (--exec):
  // memfd_create without MFD_NOEXEC_SEAL fails, since Landlock cannot govern
  // executing a memfd (it is on no path).
  std::vector<sock_filter> memfd_noexec;
  // Complain with FileObserveConfig: the profile compiled unmodified, so the
  // supervisor can tell whether a notified file syscall is also a seccomp denial.
  std::vector<sock_filter> enforce_prog;
  // Enforce: the profile's "flags" as runc applies them (SECCOMP_FILTER_FLAG_LOG,
  // SECCOMP_FILTER_FLAG_SPEC_ALLOW), on prog's seccomp() call.
  unsigned filter_flags = 0;
  // Enforce with SECCOMP_FILTER_FLAG_LOG: the profile's deliberate ERRNO rules
  // (e.g. clone3 -> ENOSYS, hit by every new thread under glibc 2.34+) in a filter
  // of their own without the LOG flag, installed before prog (where those rules
  // became ALLOW). The kernel logs by the filter whose action won, so the expected
  // answers stay out of the rate-limited kernel log and real denials stay visible.
  std::vector<sock_filter> quiet_prog;
  // Enforce: when set, prog/quiet_prog/filter_flags are not filled yet. launch() runs
  // this in confine after the clone, while the sandbox builds its namespaces and
  // mounts on the other CPU, and sends the programs to the command's process, which
  // waits for them just before it installs them (start-up: docs/benchmarks.md). An
  // error kills the sandbox: the command never runs.
  std::function<Result<SeccompConfig>()> deferred;
};

// Observation of file syscalls by the complain-mode supervisor (AppArmor
// complain mode; the CLI supplies the decision). `syscalls` are sent to the
// supervisor (pid 1), whose loop calls `observe` for each one while the task waits
// (supervise::FileComplain on supervise::Supervisor), checks that the notification
// is still valid, continues it and streams the events `observe` returned
// (supervise::to_json lines; none when it was stale). seccomp Enforce/Unconfined: a separate
// filter (`prog`, NEW_LISTENER; file syscalls -> USER_NOTIF, rest ALLOW) is
// installed before the profile, so a syscall the profile denies still fails
// (ERRNO/KILL beat USER_NOTIF across filters) and is not observed. seccomp
// Complain: a task may have only one listener (EBUSY), so the complain filter
// itself also notifies `syscalls` (prepare_seccomp) and
// SeccompConfig::enforce_prog gives the seccomp verdict.
struct FileObserveConfig {
  std::vector<std::string> syscalls;
  std::function<std::vector<supervise::Event>(const supervise::Notification&)> observe;
  std::vector<sock_filter> prog;
  bool enabled() const { return static_cast<bool>(observe); }
};

// limits.cc
struct LimitsConfig {
  std::optional<uint64_t> memory_bytes;
  std::optional<uint64_t> pids;
  std::optional<double> cpus;       // CPU count (e.g. 0.5)
  std::optional<double> timeout_s;  // wall clock; enforced by the supervisor
  // The kernel does not apply RLIMIT_NPROC to a task whose user is uid 0 of the
  // initial user namespace or that holds CAP_SYS_RESOURCE or CAP_SYS_ADMIN
  // there (kernel/fork.c): then --pids needs a pids cgroup or the run is refused.
  bool nproc_rlimit_ignored = true;
  // The command sees the host's cgroup filesystem writable (no mount namespace
  // of its own, so no read-only /sys): a uid that owns cgroup.procs above its
  // cgroup (root, or a delegated subtree) could move itself out, so a limit
  // enforced by a cgroup is refused.
  bool cgroupfs_writable = false;
};

// fds.cc / session.cc / env
struct FdConfig {
  std::vector<int> keep;  // besides 0, 1, 2
};
struct EnvConfig {
  bool clear = false;
  std::vector<std::string> set;  // NAME=VALUE added after clearing
};

struct RunConfig {
  NamespaceConfig ns;
  UserNsConfig userns;
  MountConfig mounts;
  UserConfig user;
  CapsConfig caps;
  NnpConfig nnp;
  LandlockConfig landlock;
  SeccompConfig seccomp;
  FileObserveConfig observe;
  LimitsConfig limits;
  FdConfig fds;
  EnvConfig env;
  std::vector<std::string> argv;
  // complain mode outputs (supervisor side)
  std::string log_path;
  std::string suggest_path;
  bool pin_cpu = false;  // pin supervisor and workload to one CPU (complain mode)
};

// Exit codes of `confine run` (like env(1), timeout(1), docker run).
inline constexpr int kExitConfineError = 125;
inline constexpr int kExitNotExecutable = 126;
inline constexpr int kExitNotFound = 127;

}  // namespace confine::sandbox
