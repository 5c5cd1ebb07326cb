#include "supervise/loop.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "syscalls/syscalls.h"

namespace confine::supervise {

namespace {

constexpr int kFlatNrs = 1024;
constexpr int kFlatArches = 3;  // X86_64, X86, X32

Arch arch_of(uint32_t audit_arch, int32_t nr, bool* known) {
  *known = true;
  if (audit_arch == AUDIT_ARCH_X86_64)
    return (static_cast<uint32_t>(nr) & kX32SyscallBit) ? Arch::X32 : Arch::X86_64;
  if (audit_arch == AUDIT_ARCH_I386) return Arch::X86;
  for (const auto& a : all_arches())
    if (a.audit_arch == audit_arch) return a.arch;
  *known = false;
  return Arch::X86_64;
}

}  // namespace

int syscall_slot(Arch arch, int32_t nr) {
  int64_t n = nr;
  int a;
  switch (arch) {
    case Arch::X86_64: a = 0; break;
    case Arch::X86: a = 1; break;
    case Arch::X32: a = 2, n -= kX32SyscallBit; break;
    default: return -1;
  }
  if (n < 0 || n >= kFlatNrs) return -1;
  return a * kFlatNrs + static_cast<int>(n);
}

std::string task_comm(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/comm", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[64];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

Supervisor::Supervisor(int listener_fd) : fd_(listener_fd), flat_(kSyscallSlots) {}

Supervisor::~Supervisor() {
  if (fd_ >= 0) close(fd_);
}

int Supervisor::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void Supervisor::add(Observer* o) {
  // The per-number masks have 32 bits: a 33rd observer is a programming error, never
  // silently unobserved.
  if (observers_.size() >= 32) {
    std::fprintf(stderr, "%s:%d: supervise::Supervisor::add: more than 32 observers\n", __FILE__, __LINE__);
    std::abort();
  }
  observers_.push_back(o);
}

void Supervisor::reaped(pid_t pid) {
  std::lock_guard<std::mutex> g(mu_);
  reaped_.push_back(pid);
  has_reaped_.store(true, std::memory_order_release);
}

void Supervisor::forget_reaped() {
  std::lock_guard<std::mutex> g(mu_);
  for (pid_t w : reaped_)
    for (Observer* o : observers_) o->forget(w);
  reaped_.clear();
  hot_tid_ = 0;
  has_reaped_.store(false, std::memory_order_relaxed);
}

Supervisor::NrInfo* Supervisor::info_of(Arch arch, bool known, int32_t nr) {
  int fi = known ? syscall_slot(arch, nr) : -1;
  NrInfo* info = fi >= 0 ? &flat_[static_cast<size_t>(fi)]
                         : &other_[(static_cast<uint64_t>(arch) << 32) | static_cast<uint32_t>(nr)];
  if (!info->looked) {
    info->looked = true;
    auto n = known ? syscall_name(arch, nr) : std::nullopt;
    if (n) info->name = *n;
    for (size_t i = 0; i < observers_.size(); ++i)
      if (observers_[i]->wants(arch, nr, info->name)) info->observers |= 1u << i;
  }
  return info;
}

Result<Supervisor::Step> Supervisor::step() {
  seccomp_notif req;
  CONFINE_TRY(Recv got, recv(fd_, &req));
  if (got == Recv::Interrupted) return Step::Interrupted;
  if (got == Recv::Gone) return Step::Gone;
  ++stats_.received;
  if (have_last_id_ && req.id > last_id_) stats_.vanished += req.id - last_id_ - 1;
  if (!have_last_id_ || req.id > last_id_) last_id_ = req.id;
  have_last_id_ = true;
  if (has_reaped_.load(std::memory_order_acquire)) forget_reaped();
  bool known = false;
  Arch arch = arch_of(req.data.arch, req.data.nr, &known);
  NrInfo* info = info_of(arch, known, req.data.nr);
  ++info->count;
  pid_t tid = static_cast<pid_t>(req.pid);
  uint32_t mask = info->observers;
  // Hot path: nobody wants the number and the task was asked about already.
  if (!mask && tid == hot_tid_) {
    CONFINE_CHECK(send_continue(fd_, req.id));
    return Step::Answered;
  }
  for (size_t i = 0; i < observers_.size(); ++i)
    if (!(mask & (1u << i)) && observers_[i]->wants_task(tid)) mask |= 1u << i;
  if (!mask) {
    hot_tid_ = tid;
    CONFINE_CHECK(send_continue(fd_, req.id));
    return Step::Answered;
  }
  hot_tid_ = 0;
  Call c;
  c.id = req.id;
  c.pid = tid;
  c.arch = arch;
  c.arch_known = known;
  c.nr = req.data.nr;
  c.name = info->name;
  c.audit_arch = req.data.arch;
  c.ip = req.data.instruction_pointer;
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = req.data.args[i];
  c.args = args;
  bool read = false;
  for (size_t i = 0; i < observers_.size(); ++i)
    if (mask & (1u << i)) read |= observers_[i]->on_call(c);
  bool valid = !read || id_valid(fd_, req.id);
  // Answer first: the task continues while the observers file what they saw.
  CONFINE_CHECK(send_continue(fd_, req.id));
  for (size_t i = 0; i < observers_.size(); ++i)
    if (mask & (1u << i)) observers_[i]->settle(valid);
  return Step::Answered;
}

Status Supervisor::run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_acquire)) {
    CONFINE_TRY(Step s, step());
    (void)s;
  }
  return ok();
}

void Supervisor::counts(const std::function<void(Arch, int32_t, uint64_t)>& f) const {
  for (int a = 0; a < kFlatArches; ++a)
    for (int n = 0; n < kFlatNrs; ++n) {
      const NrInfo& ni = flat_[static_cast<size_t>(a * kFlatNrs + n)];
      if (ni.count == 0) continue;
      Arch arch = a == 0 ? Arch::X86_64 : a == 1 ? Arch::X86 : Arch::X32;
      int32_t nr = a == 2 ? static_cast<int32_t>(n + kX32SyscallBit) : n;
      f(arch, nr, ni.count);
    }
  for (const auto& [key, ni] : other_)
    if (ni.count) f(static_cast<Arch>(key >> 32), static_cast<int32_t>(key & 0xffffffffu), ni.count);
}

}  // namespace confine::supervise
