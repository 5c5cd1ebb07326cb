// The seccomp user-notification listener: the notify filter (built by the seccomp
// compiler), its installation (WAIT_KILLABLE_RECV with fallback), the hand-off of the
// listener fd and the ioctls on it. Only the loop (supervise/loop.h, Supervisor) calls
// recv() / send_continue() / id_valid(); drain() answers what is left for a detached
// drainer. Observation only, never a security boundary: pointer arguments are racy
// and every syscall is continued.
//
//   child:       CONFINE_TRY(std::vector<sock_filter> prog, notify_filter(names));
//                long fd = new_listener(prog);           // -> hand fd to the supervisor
//   supervisor:  CONFINE_TRY(int fd, fetch_listener(pidfd, child_fd, 10000));   // or fork-inherited
//                Supervisor sup(fd); sup.add(&observer); ... (supervise/loop.h)
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "supervise/event.h"

namespace confine::supervise {

struct NotifyFilterOptions {
  bool unknown_arch_notify = false;  // an arch other than x86_64/x32/i386: USER_NOTIF (else ALLOW)
  bool multiplexers = true;          // i386: socketcall/ipc notified too for listed socket/IPC names
};
// The notify filter, built by the seccomp compiler: SECCOMP_RET_USER_NOTIF for
// `names` on x86_64, x32 and i386 (names absent on an arch are skipped), ALLOW
// for the rest of those arches.
Result<std::vector<sock_filter>> notify_filter(const std::vector<std::string>& names,
                                               const NotifyFilterOptions& opt = {});
// USER_NOTIF for every syscall of every arch.
std::vector<sock_filter> notify_all_filter();

// seccomp(SET_MODE_FILTER, NEW_LISTENER | WAIT_KILLABLE_RECV): once the
// supervisor has received a notification, the task waits for the answer
// killably, so a signal (dash's SIGCHLD during fork, say) no longer turns the
// syscall into EINTR (docs/record.md, "The observer effect"). Kernels before
// 5.19 reject the flag with EINVAL: installed without it. Returns the listener
// fd, or -1 with errno (async-signal-safe: usable between fork and exec).
long new_listener(const sock_fprog* prog);

// Linux 6.6+: wake the supervisor on the notifying task's CPU
// (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP); older kernels: EINVAL, ignored.
void set_sync_wakeup(int listener_fd);

// Gets the listener fd `target_fd` out of process `pidfd` (pidfd_getfd),
// retrying until it is a seccomp listener or `timeout_ms` elapses.
Result<int> fetch_listener(int pidfd, int target_fd, int timeout_ms);

enum class Recv {
  Got,          // *req holds a notification: answer it
  Interrupted,  // EINTR: a signal to the receiving thread
  Gone,         // ENOENT: its task died before it was received
};
// SECCOMP_IOCTL_NOTIF_RECV (req zeroed here, as the kernel requires).
Result<Recv> recv(int listener_fd, seccomp_notif* req);
// SECCOMP_IOCTL_NOTIF_SEND with CONTINUE. The listener's mutex is taken
// interruptibly, so EINTR is retried (an unanswered notification blocks its
// task forever); ENOENT (the task died meanwhile) is success.
Status send_continue(int listener_fd, uint64_t id);
// SECCOMP_IOCTL_NOTIF_ID_VALID: the task is still blocked in this syscall (so
// what was read from /proc/PID or its memory belonged to it).
bool id_valid(int listener_fd, uint64_t id);
// Answers CONTINUE until no filtered task is left (POLLHUP). For a detached
// drainer process: the tasks left running when recording stops.
void drain(int listener_fd);

// A notification with its names, for the observers that write complain events
// (supervise::notification_of, supervise/complain.h).
struct Notification {
  uint64_t id = 0;
  pid_t pid = 0;  // in the supervisor's pid namespace
  int32_t nr = 0;
  uint32_t audit_arch = 0;
  uint64_t ip = 0;
  uint64_t args[6] = {};
  std::string comm;    // /proc/PID/comm (best effort)
  std::string name;    // syscall name ("nr 999" when unknown)
  std::string arch;    // "x86_64", "x86", "x32"
  pid_t workload = 0;  // the sandbox's command process (supervisor's pid namespace), set by init
};

// The seccomp complain event of a notification (to_json writes its line).
Event to_event(const Notification& n);

}  // namespace confine::supervise
