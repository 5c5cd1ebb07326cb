// The observers of `confine run --mode complain` on the supervisor (supervise/loop.h),
// run by the sandbox's pid 1 (sandbox/init.cc). Each event goes to `emit` after the
// answer (supervise::to_json writes its line).
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "supervise/event.h"
#include "supervise/listener.h"
#include "supervise/loop.h"

namespace confine::supervise {

using Emit = std::function<void(const Event&)>;

// The notification of a call, named ("nr N" / the audit arch in hex when unknown), with
// its task's comm (read from /proc: report it read).
Notification notification_of(const Call& c);

// Seccomp complain: the complain filter notifies what the profile denies, so every
// notified syscall outside `file_syscalls` is a seccomp event. A file syscall (notified
// for the AppArmor file observer) is one only when `enforce_prog` (the profile compiled
// unmodified) would not ALLOW it; without enforce_prog (AppArmor complain alone) never.
class SeccompComplain : public Observer {
 public:
  SeccompComplain(std::vector<std::string> file_syscalls, const std::vector<sock_filter>* enforce_prog,
                  Emit emit);
  bool wants(Arch arch, int32_t nr, std::string_view name) override;
  bool on_call(const Call& c) override;
  void settle(bool valid) override;

 private:
  std::vector<std::string> file_;
  const std::vector<sock_filter>* enforce_;
  Emit emit_;
  std::optional<Notification> pending_;
};

// The AppArmor file observer: `observe` (apparmor::complain_observer) decodes the file
// syscall from the blocked task, evaluates it and returns the events of the accesses the
// profile would deny; they are emitted if the notification was still valid after it.
class FileComplain : public Observer {
 public:
  using Fn = std::function<std::vector<Event>(const Notification&)>;
  FileComplain(std::vector<std::string> syscalls, Fn observe, pid_t workload, Emit emit);
  bool wants(Arch arch, int32_t nr, std::string_view name) override;
  bool on_call(const Call& c) override;
  void settle(bool valid) override;

 private:
  std::vector<std::string> syscalls_;
  Fn observe_;
  pid_t workload_;
  Emit emit_;
  std::vector<Event> pending_;
};

}  // namespace confine::supervise
