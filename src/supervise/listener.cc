#include "supervise/listener.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "seccomp/compiler.h"
#include "seccomp/resolve.h"
#include "syscalls/arch.h"
#include "syscalls/syscalls.h"

namespace confine::supervise {

namespace {
long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

Result<std::vector<sock_filter>> notify_filter(const std::vector<std::string>& names,
                                               const NotifyFilterOptions& opt) {
  seccomp::ResolvedProfile rp;
  rp.default_action = seccomp::Action::allow();
  for (Arch a : {Arch::X86_64, Arch::X86, Arch::X32}) {
    seccomp::ArchTable t;
    t.arch = a;
    for (const auto& n : names) {
      auto nr = syscall_number(a, n);
      if (!nr) continue;
      seccomp::ResolvedRule r;
      r.name = n;
      r.nr = *nr;
      r.action = seccomp::Action{seccomp::ActionKind::Notify, 0};
      t.rules.push_back(std::move(r));
    }
    rp.arches.push_back(std::move(t));
  }
  seccomp::CompileOptions o;
  // Observation adds no confinement.
  o.bad_arch_action =
      opt.unknown_arch_notify ? seccomp::Action{seccomp::ActionKind::Notify, 0} : seccomp::Action::allow();
  o.multiplexers = opt.multiplexers;
  CONFINE_TRY(auto prog, seccomp::compile(rp, o));
  return std::move(prog.insns);
}

std::vector<sock_filter> notify_all_filter() { return {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)}; }

long new_listener(const sock_fprog* prog) {
  constexpr unsigned long kWaitKillableRecv = 1UL << 5;  // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_NEW_LISTENER | kWaitKillableRecv, prog);
  if (fd < 0 && errno == EINVAL)
    fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, prog);
  return fd;
}

void set_sync_wakeup(int listener_fd) {
  // SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: the flag is passed by value.
  ioctl(listener_fd, SECCOMP_IOW(4, __u64), 1UL);
}

Result<Recv> recv(int listener_fd, seccomp_notif* req) {
  std::memset(req, 0, sizeof *req);  // the kernel requires a zeroed buffer
  if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_RECV, req) == 0) return Recv::Got;
  if (errno == EINTR) return Recv::Interrupted;
  if (errno == ENOENT) return Recv::Gone;
  return Error::sys("ioctl(SECCOMP_IOCTL_NOTIF_RECV)", errno);
}

Status send_continue(int listener_fd, uint64_t id) {
  seccomp_notif_resp resp;
  std::memset(&resp, 0, sizeof resp);
  resp.id = id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  while (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0) {
    if (errno == ENOENT) return ok();
    if (errno != EINTR)
      return Error::sys("ioctl(SECCOMP_IOCTL_NOTIF_SEND, {id=" + std::to_string(id) + ", CONTINUE})", errno);
  }
  return ok();
}

bool id_valid(int listener_fd, uint64_t id) {
  return ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

void drain(int listener_fd) {
  while (true) {
    pollfd q{listener_fd, POLLIN, 0};
    if (poll(&q, 1, -1) < 0 && errno != EINTR) return;
    if (q.revents & POLLIN) {
      seccomp_notif req;
      auto got = recv(listener_fd, &req);
      if (got.ok() && *got == Recv::Got) (void)send_continue(listener_fd, req.id);
    } else if (q.revents & (POLLHUP | POLLERR)) {
      return;
    }
  }
}

Result<int> fetch_listener(int pidfd, int target_fd, int timeout_ms) {
  long deadline = now_ms() + timeout_ms;
  while (true) {
    long fd = syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);
    if (fd >= 0) {
      char path[64], link[128] = {};
      std::snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
      ssize_t n = readlink(path, link, sizeof link - 1);
      if (n > 0 && std::strstr(link, "seccomp notify")) {
        fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
        return static_cast<int>(fd);
      }
      close(static_cast<int>(fd));
    } else if (errno != EBADF) {
      return Error::sys("pidfd_getfd(pidfd, " + std::to_string(target_fd) + ", 0)", errno);
    }
    if (now_ms() > deadline)
      return Error("pidfd_getfd(pidfd, " + std::to_string(target_fd) + "): no seccomp listener appeared in " +
                   std::to_string(timeout_ms) + " ms");
    usleep(200);
  }
}

Event to_event(const Notification& e) {
  Event ev;
  ev.kind = EventKind::Seccomp;
  ev.pid = e.pid;
  ev.comm = e.comm;
  ev.syscall = e.name;
  ev.nr = e.nr;
  ev.arch = e.arch;
  for (int i = 0; i < 6; ++i) ev.args[i] = e.args[i];
  return ev;
}

}  // namespace confine::supervise
