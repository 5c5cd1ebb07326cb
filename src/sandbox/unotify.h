// Seccomp user-notification supervisor (reusable: `confine run --mode
// complain` and `confine record`). Observation only, never a security
// boundary: pointer arguments are racy and every syscall is continued.
//
//   Unotify sup(listener_fd);
//   while (poll says sup.fd() readable) {
//     CONFINE_TRY(bool alive, sup.handle_one([](const UnotifyEvent& e) { ... }));
//     if (!alive) break;                 // the filtered tasks are gone
//   }
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>

#include "core/error.h"
#include "supervise/event.h"

namespace confine::sandbox {

struct UnotifyEvent {
  uint64_t id = 0;
  pid_t pid = 0;  // in the supervisor's pid namespace
  int32_t nr = 0;
  uint32_t audit_arch = 0;
  uint64_t ip = 0;
  uint64_t args[6] = {};
  std::string comm;      // /proc/PID/comm (best effort)
  std::string name;      // syscall name ("nr 999" when unknown)
  std::string arch;      // "x86_64", "x86", "x32"
  int listener_fd = -1;  // for notif_id_valid() after reading the task's memory
  pid_t workload = 0;    // the sandbox's command process (supervisor's pid namespace), set by init
};

// SECCOMP_IOCTL_NOTIF_ID_VALID: the task is still blocked in this syscall (so
// what was read from /proc/PID or its memory belonged to it).
bool notif_id_valid(const UnotifyEvent& e);

class Unotify {
 public:
  explicit Unotify(int listener_fd) : fd_(listener_fd) {}
  Unotify(const Unotify&) = delete;
  Unotify& operator=(const Unotify&) = delete;
  ~Unotify();
  int fd() const { return fd_; }
  // Receives one notification, calls cb, answers SECCOMP_USER_NOTIF_FLAG_CONTINUE.
  // Returns false when no filtered task is left (or the task died meanwhile: true).
  Result<bool> handle_one(const std::function<void(const UnotifyEvent&)>& cb);

 private:
  int fd_;
};

// Gets the listener fd `target_fd` out of process `pidfd` (pidfd_getfd),
// retrying until it is a seccomp listener or `timeout_ms` elapses.
Result<int> fetch_listener(int pidfd, int target_fd, int timeout_ms);

// The seccomp complain event of a notification (supervise::to_json writes its line).
supervise::Event to_event(const UnotifyEvent& e);

}  // namespace confine::sandbox
