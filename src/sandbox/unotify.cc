#include "sandbox/unotify.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "syscalls/arch.h"
#include "syscalls/syscalls.h"

namespace confine::sandbox {

namespace {
std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

void name_event(UnotifyEvent& e) {
  std::optional<Arch> arch;
  for (const auto& a : all_arches())
    if (a.audit_arch == e.audit_arch) {
      arch = a.arch;
      break;
    }
  if (arch == Arch::X86_64 && (static_cast<uint32_t>(e.nr) & kX32SyscallBit)) arch = Arch::X32;
  if (!arch) {
    e.arch = hex(e.audit_arch);
    e.name = "nr " + std::to_string(e.nr);
    return;
  }
  e.arch = std::string(arch_info(*arch).name);
  auto n = syscall_name(*arch, e.nr);
  e.name = n ? std::string(*n) : "nr " + std::to_string(e.nr);
}

long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
}  // namespace

Unotify::~Unotify() {
  if (fd_ >= 0) close(fd_);
}

Result<bool> Unotify::handle_one(const std::function<void(const UnotifyEvent&)>& cb) {
  seccomp_notif req;
  std::memset(&req, 0, sizeof req);  // the kernel requires a zeroed buffer
  if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
    if (errno == ENOENT || errno == EINTR) return true;  // task gone / interrupted: try again
    if (errno == EBADF || errno == ENOTTY) return Error::sys("ioctl(SECCOMP_IOCTL_NOTIF_RECV)", errno);
    return Error::sys("ioctl(SECCOMP_IOCTL_NOTIF_RECV)", errno);
  }
  UnotifyEvent e;
  e.id = req.id;
  e.pid = static_cast<pid_t>(req.pid);
  e.nr = req.data.nr;
  e.audit_arch = req.data.arch;
  e.ip = req.data.instruction_pointer;
  e.listener_fd = fd_;
  for (int i = 0; i < 6; ++i) e.args[i] = req.data.args[i];
  name_event(e);
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/comm", e.pid);
  int cfd = open(path, O_RDONLY | O_CLOEXEC);
  if (cfd >= 0) {
    char buf[64];
    ssize_t n = read(cfd, buf, sizeof buf - 1);
    if (n > 0) {
      e.comm.assign(buf, static_cast<size_t>(n));
      while (!e.comm.empty() && e.comm.back() == '\n') e.comm.pop_back();
    }
    close(cfd);
  }
  // The id must still be valid for the comm to belong to this task.
  if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) != 0) e.comm.clear();
  cb(e);
  seccomp_notif_resp resp;
  std::memset(&resp, 0, sizeof resp);
  resp.id = req.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno != ENOENT)
    return Error::sys("ioctl(SECCOMP_IOCTL_NOTIF_SEND, {id=" + std::to_string(req.id) + ", CONTINUE})",
                      errno);
  return true;
}

bool notif_id_valid(const UnotifyEvent& e) {
  uint64_t id = e.id;
  return e.listener_fd >= 0 && ioctl(e.listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
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

supervise::Event to_event(const UnotifyEvent& e) {
  supervise::Event ev;
  ev.kind = supervise::EventKind::Seccomp;
  ev.pid = e.pid;
  ev.comm = e.comm;
  ev.syscall = e.name;
  ev.nr = e.nr;
  ev.arch = e.arch;
  for (int i = 0; i < 6; ++i) ev.args[i] = e.args[i];
  return ev;
}

}  // namespace confine::sandbox
