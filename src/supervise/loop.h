// The one seccomp user-notification loop (issue 15). A Supervisor owns a listener
// (supervise/listener.h) and, for each notification:
//
//   RECV -> observers' on_call (the task is still blocked: they may read its memory
//   and /proc/PID) -> ID_VALID if any of them read something -> SEND CONTINUE
//   (EINTR retried) -> observers' settle(valid).
//
// Nothing is ever denied: every syscall is continued; observation only, never a
// security boundary (pointer arguments are racy). Which observers get a call is
// decided once per (arch, syscall number) by their wants(): calls nobody wants stay
// on the hot path (a counter increment between RECV and SEND). Observers:
//   - the recorder (record/recorder.cc: events -> Behavior) and, after it, `confine
//     watch`'s LiveWatcher (watch/live.h; record/observer.h gives it the recorder's
//     decoding of the same call),
//   - seccomp complain and the AppArmor file observer (supervise/complain.h, run by
//     the sandbox's pid 1, sandbox/init.cc).
// Two drivers:
//   recorder (hot):  a dedicated thread blocks in RECV: sup.run(stop) (a poll() before
//                    each RECV cost ~25% of the round trip); another thread reaps
//                    (sup.reaped(pid)) and interrupts the RECV with a signal to end.
//   init (poll):     poll() on signalfd, hand-off pipe and sup.fd(); POLLIN ->
//                    sup.step(); POLLHUP/POLLERR on sup.fd() = no filtered task left.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "supervise/listener.h"
#include "syscalls/arch.h"

namespace confine::supervise {

// One notification as observers see it while its task is blocked in the syscall.
struct Call {
  uint64_t id = 0;
  pid_t pid = 0;  // the task (thread id), in the supervisor's pid namespace
  Arch arch = Arch::X86_64;
  bool arch_known = true;  // false: an audit arch other than x86_64/x32/i386 (arch says X86_64)
  int32_t nr = 0;
  std::string_view name;  // "" when the number has no name
  uint32_t audit_arch = 0;
  uint64_t ip = 0;
  const uint64_t* args = nullptr;  // the six raw arguments
};

class Observer {
 public:
  virtual ~Observer() = default;
  // Asked once per (arch, number), before its first call is handed out: whether
  // its calls go to on_call. `name` is "" when the number has no name.
  virtual bool wants(Arch arch, int32_t nr, std::string_view name) = 0;
  // For a call this observer does not want by number: asked when its task differs
  // from the previous hot-path call's (and again after any call that went to an
  // observer, or a forget()): whether this task's call goes to on_call anyway (the
  // recorder reads a new task's image at its first syscall).
  virtual bool wants_task(pid_t /*tid*/) { return false; }
  // Before the answer, the task blocked: gather, quickly. true = it read the task's
  // memory or /proc/PID (the loop then checks ID_VALID before answering).
  virtual bool on_call(const Call& c) = 0;
  // After the answer CONTINUE, for every observer on_call was called for. valid = the
  // notification was still live after every on_call's reads (else the task died or
  // was interrupted, and its pid may have been reused meanwhile).
  virtual void settle(bool /*valid*/) {}
  // A task was reaped: its pid may be reused (called by the loop's thread).
  virtual void forget(pid_t /*pid*/) {}
};

struct LoopStats {
  uint64_t received = 0;  // notifications received
  // Gaps in the ids: the kernel numbers a filter's notifications consecutively as tasks
  // make them and RECV hands them out in that order, so a gap is a notification that
  // left the queue before it was received -- its task was interrupted by a signal (the
  // syscall failed with EINTR unless restarted) or killed (docs/record.md, "The observer
  // effect").
  uint64_t vanished = 0;
};

class Supervisor {
 public:
  explicit Supervisor(int listener_fd);  // owns the fd
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;
  ~Supervisor();
  int fd() const { return fd_; }
  // Gives up the fd (for a detached drainer); the Supervisor no longer closes it.
  int release();
  // Observers are called in the order they were added; add them before the first call.
  void add(Observer* o);

  enum class Step {
    Answered,     // one notification received and answered
    Interrupted,  // RECV failed with EINTR (a signal to this thread)
    Gone,         // ENOENT: its task died before it was received
  };
  // Receives one notification (RECV blocks until there is one), hands it to the
  // observers, answers it. An error is a failed RECV or SEND: its task may stay
  // blocked, the caller must kill the tree.
  Result<Step> step();
  // step() until `stop` is set (checked after each step; a signal to this thread
  // interrupts the RECV so it is seen).
  Status run(const std::atomic<bool>& stop);
  // A task of the tree was reaped (any thread): observers forget it before the
  // next call is handed out.
  void reaped(pid_t pid);

  const LoopStats& stats() const { return stats_; }
  // Every notification received, by (arch, number) (arch as in Call).
  void counts(const std::function<void(Arch arch, int32_t nr, uint64_t count)>& f) const;

 private:
  struct NrInfo {
    bool looked = false;
    uint32_t observers = 0;  // bit i: observers_[i] wants it
    std::string_view name;
    uint64_t count = 0;
  };
  NrInfo* info_of(Arch arch, bool known, int32_t nr);
  void forget_reaped();

  int fd_;
  std::vector<Observer*> observers_;
  std::vector<NrInfo> flat_;                    // by flat index of (arch, nr)
  std::unordered_map<uint64_t, NrInfo> other_;  // (arch << 32 | nr) outside the flat table
  pid_t hot_tid_ = 0;  // the task of the previous hot-path call: wants_task() was asked
  LoopStats stats_;
  uint64_t last_id_ = 0;
  bool have_last_id_ = false;
  std::mutex mu_;
  std::vector<pid_t> reaped_;
  std::atomic<bool> has_reaped_{false};
};

// The dense index of (arch, nr) for per-number tables: x86_64, i386 and x32 numbers
// below 1024; -1 for the rest.
constexpr int kSyscallSlots = 3 * 1024;
int syscall_slot(Arch arch, int32_t nr);

// /proc/PID/comm ("" when unreadable): for an on_call that reports it read /proc.
std::string task_comm(pid_t pid);

}  // namespace confine::supervise
