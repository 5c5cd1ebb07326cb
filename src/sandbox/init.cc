#include "sandbox/init.h"

#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "supervise/complain.h"
#include "supervise/listener.h"
#include "supervise/loop.h"

namespace confine::sandbox {

void init_block_signals(sigset_t* old) {
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, old);
}

namespace {
void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}
}  // namespace

int run_init(const InitConfig& c) {
  sigset_t all;
  sigfillset(&all);
  int sfd = signalfd(-1, &all, SFD_CLOEXEC);
  if (sfd < 0) {
    std::perror("confine init: signalfd");
    kill(c.workload, SIGKILL);
  }
  int pidfd = -1;
  // The observers of the supervisor: seccomp complain first, then the AppArmor file observer.
  auto emit = [&c](const supervise::Event& e) { write_all(c.event_fd, supervise::to_json(e) + "\n"); };
  supervise::SeccompComplain seccomp_complain(c.observe ? c.observe->syscalls : std::vector<std::string>{},
                                              c.enforce_prog, emit);
  std::optional<supervise::FileComplain> file_complain;
  if (c.observe) file_complain.emplace(c.observe->syscalls, c.observe->observe, c.workload, emit);
  std::unique_ptr<supervise::Supervisor> sup;
  int handoff = c.handoff_fd;
  if (handoff >= 0) pidfd = static_cast<int>(syscall(SYS_pidfd_open, c.workload, 0));
  int status_code = -1;
  while (status_code < 0) {
    pollfd p[3];
    int n = 0;
    p[n++] = {sfd, POLLIN, 0};
    int hidx = -1, uidx = -1;
    if (handoff >= 0) hidx = n, p[n++] = {handoff, POLLIN, 0};
    if (sup) uidx = n, p[n++] = {sup->fd(), POLLIN, 0};
    if (poll(p, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (hidx >= 0 && (p[hidx].revents & (POLLIN | POLLHUP))) {
      int target = -1;
      ssize_t r = read(handoff, &target, sizeof target);
      close(handoff);
      handoff = -1;
      if (r == sizeof target && pidfd >= 0) {
        auto l = supervise::fetch_listener(pidfd, target, 10000);
        if (l.ok()) {
          // Linux 6.6+: wake this supervisor on the notifying task's CPU (a
          // direct switch instead of a cross-CPU wake-up).
          supervise::set_sync_wakeup(*l);
          sup = std::make_unique<supervise::Supervisor>(*l);
          sup->add(&seccomp_complain);
          if (file_complain) sup->add(&*file_complain);
          // Until now the workload's close-on-exec copy was the only one: it must not exec before this.
          if (write(c.ack_fd, "k", 1) != 1) kill(c.workload, SIGKILL);
          close(c.ack_fd);
        } else {
          std::fprintf(stderr, "confine: complain mode: %s\n", l.error().message().c_str());
          kill(c.workload, SIGKILL);  // never leave it blocked on a notification nobody answers
        }
      }
    }
    if (uidx >= 0 && (p[uidx].revents & POLLIN)) {
      auto r = sup->step();
      if (!r.ok()) {
        std::fprintf(stderr, "confine: complain mode: %s\n", r.error().message().c_str());
        sup.reset();
      }
    } else if (uidx >= 0 && (p[uidx].revents & (POLLHUP | POLLERR))) {
      sup.reset();  // no filtered task left
    }
    if (p[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (read(sfd, &si, sizeof si) != sizeof si) continue;
      if (si.ssi_signo != SIGCHLD) {
        kill(c.workload, static_cast<int>(si.ssi_signo));
        continue;
      }
      while (true) {
        int st = 0;
        pid_t w = waitpid(-1, &st, WNOHANG);
        if (w <= 0) break;
        if (sup) sup->reaped(w);
        if (w == c.workload) status_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
    }
  }
  // Drain notifications raced with the exit (other tasks of the sandbox are
  // killed when pid 1 exits).
  return status_code < 0 ? 125 : status_code;
}

}  // namespace confine::sandbox
