// The unotify recorder: runs a command under a seccomp filter that answers
// SECCOMP_RET_USER_NOTIF for every syscall of every arch (x86_64, i386, x32),
// inherited by every descendant; a supervisor in this process receives each
// notification, decodes it into a Behavior and lets the syscall run
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Observation only: pointer arguments are
// read racily (process_vm_readv, then SECCOMP_IOCTL_NOTIF_ID_VALID) and
// return values are never seen: error counts come from an ErrorSampler
// (errors.h, perf on raw_syscalls:sys_exit) opened on the child before its
// execve is answered, when the caller may use perf (root / CAP_PERFMON).
//
// Lifecycle: fork; the child unblocks signals, sets no_new_privs when it is
// not root, installs the filter with SECCOMP_FILTER_FLAG_NEW_LISTENER (the fd
// is close-on-exec) and execve()s -- its execve is the first notification.
// The parent finds the listener in /proc/CHILD/fd and takes it with
// pidfd_getfd (the child cannot send it: any syscall of its own would block on
// the supervisor it is trying to reach). The parent is a child subreaper, so
// double-forked daemons stay its descendants; it reaps them, and recording ends
// when the filter has no task left (the listener reports POLLHUP), or when the
// main process exits with main_only (the rest is handed to a detached drainer
// that keeps answering CONTINUE).
//
// The perf backend (root / CAP_PERFMON): the same supervisor, but the filter
// returns USER_NOTIF only for the syscalls whose decoding needs the live task
// (decode_needs_task(): paths, sockaddrs, clone3/openat2 structs; plus
// execve/execveat, per arch: x86_64, i386 and x32 told apart by
// seccomp_data.arch and the x32 bit) and ALLOW for the rest; every syscall is
// counted by a SyscallCounter (perf_counter.h, perf on raw_syscalls:sys_enter)
// opened on the child while it is blocked in its execve notification, which
// also decodes the scalar arguments (socket, clone, ioctl, mmap, ...) from its
// samples. Counts come from perf only. A recording in which perf
// dropped samples is marked partial (a dropped sample may be the only call of
// a syscall).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "behavior/behavior.h"
#include "core/error.h"
#include "record/observer.h"

namespace confine::record {

enum class Backend {
  Auto,     // Perf when perf_counter_available(), else Unotify (with a note)
  Unotify,  // a notification per syscall
  Perf,     // counts from perf, notifications for the decoded syscalls only
  Ebpf,     // src/ebpf: counts and arguments from an eBPF program, the command in its own cgroup v2
};
// "auto", "unotify", "perf", "ebpf"
std::string_view backend_name(Backend b);
std::optional<Backend> backend_from_name(std::string_view name);

struct RecordOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  bool main_only = false;         // stop when the main process exits
  // Stop when the main process has exited and every task still running is a daemon:
  // in another session than the recording process (setsid: gpg-agent, a forked server).
  // Tasks in its session (a background job of a shell) are waited for. A note says which
  // daemons were left running (unrecorded, as with main_only). harden sets it.
  bool stop_at_daemons = false;
  bool pin = false;    // pin supervisor and workload to the supervisor's CPU
  bool errors = true;  // count failed syscalls by errno when perf allows it
  int stdin_fd = -1;   // >= 0: the command's stdin comes from there (harden's captured stdin)
  int stdout_fd = -1;  // >= 0: the command's stdout goes there (harden)
  int stderr_fd = -1;
  // Stopping a service: SIGTERM, SIGINT, SIGHUP, SIGQUIT and stop_signal
  // received by the recording process are forwarded to the main process, which
  // is then expected to exit; exiting by a forwarded signal is a complete
  // recording, not a partial one. A main process still running stop_grace_ms
  // after the first forwarded signal is killed (SIGKILL: partial).
  int stop_signal = 15;  // SIGTERM
  long stop_grace_ms = 10000;
  // Called once the command runs (blocked in its first syscall, the recording
  // process's signals already routed to the supervisor): a controller started
  // by the caller may now signal the recording process (harden --service,
  // record --ready/--duration).
  std::function<void(pid_t)> on_start;
  Backend backend = Backend::Auto;
  size_t perf_ring_bytes = 0;  // perf backend: ring per CPU (0: SyscallCounter's default, 8 MiB)
  // Sees the syscalls it wants as they are notified (record/observer.h; `confine watch`).
  // Needs every syscall notified: the unotify backend is used.
  CallObserver* observer = nullptr;
  // Set: SIGHUP to the recording process calls it (from the supervisor's watcher thread)
  // instead of being forwarded as a stop signal (`confine watch` reloads its rules).
  std::function<void()> on_hup;
  // ebpf backend. Attach to a running workload instead of running argv: its
  // cgroup v2 (a directory under the cgroup2 mount, or a path as /proc/PID/cgroup
  // shows it; created when missing, for a container about to start in it) or a
  // process (its cgroup; its descendants by pid when it is in the root cgroup).
  // The recording ends at a stop signal (on_start's controller sends it after
  // --duration) or when the workload is gone.
  std::string attach_cgroup;
  pid_t attach_pid = 0;
  std::string ebpf_gate_comm;  // record from the first execve by a task with this comm ("runc:[2:INIT]")
  size_t ebpf_ring_bytes = 0;  // 0: 16 MiB
};

struct RecordResult {
  behavior::Behavior behavior;
  int exit_code = 0;    // 0..255; 128+N when killed by signal N; 126/127 exec failures
  uint64_t events = 0;  // syscalls recorded (unotify: notifications handled; perf: samples)
  uint64_t notifications = 0;
  Backend backend = Backend::Unotify;  // the one used
  uint64_t perf_lost = 0;              // perf backend: samples the kernel dropped
  // Notifications that vanished before RECV (gaps in the kernel's ids): each
  // was a syscall interrupted by a signal (EINTR unless restarted) or a task
  // killed meanwhile. Also a note in the behavior and a warning.
  uint64_t interrupted_notifications = 0;
  std::vector<std::string> warnings;
  // Stop signals (TERM, INT, HUP, QUIT, the stop signal) the recording process
  // received: forwarded to the command (harden tells its own from a user's).
  std::vector<int> stop_signals;
};

// Resolves argv[0] like execvp would: the path to run, or an error carrying
// the exit code a shell would use (127 not found, 126 not executable).
Result<std::string> find_executable(const std::string& name, int* exit_code);

// Runs and records. Errors are setup failures (the command did not run or the
// supervisor broke); a command that fails or dies is a normal result.
// The recorder's notify filter (supervise::notify_filter, our compiler). Unotify
// backend: USER_NOTIF for everything. Perf backend: USER_NOTIF on x86_64, x32 and
// i386 for the syscalls decode() needs the live task for (memory, /proc) and exec,
// ALLOW for the rest of those arches, USER_NOTIF for any other arch.
Result<std::vector<sock_filter>> recorder_filter(bool perf);

Result<RecordResult> record(const RecordOptions& opts);

// The ebpf backend (ebpf_recorder.cc); record() calls it for Backend::Ebpf.
Result<RecordResult> record_ebpf(const RecordOptions& opts);

}  // namespace confine::record
