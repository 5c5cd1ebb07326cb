#include "harden/service_control.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace confine::harden {

namespace {
long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Waits up to ms for the process behind pidfd to exit; true if it did.
bool exited_within(int pidfd, long ms) {
  if (pidfd < 0) {
    if (ms > 0) usleep(static_cast<useconds_t>(ms * 1000));
    return false;
  }
  pollfd p{pidfd, POLLIN, 0};
  long end = now_ms() + ms;
  while (true) {
    int r = poll(&p, 1, static_cast<int>(std::max(0L, end - now_ms())));
    if (r > 0) return true;
    if (r == 0 || errno != EINTR) return false;
  }
}

// Runs argv (in the controller) with the given fds; -1 stdin/stdout: /dev/null.
// Returns the exit status (128+N by signal), -2 when killed at the timeout.
int run_bounded(const std::vector<std::string>& argv, int in_fd, int out_fd, bool quiet_err,
                long timeout_ms) {
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  pid_t c = fork();
  if (c < 0) return 125;
  if (c == 0) {
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(in_fd >= 0 ? in_fd : null, 0);
    if (out_fd >= 0)
      dup2(out_fd, 1);
    else
      dup2(null, 1);
    if (quiet_err) dup2(null, 2);
    execv(av[0], av.data());
    _exit(127);
  }
  int pfd = static_cast<int>(syscall(SYS_pidfd_open, c, 0));
  bool done = exited_within(pfd, timeout_ms);
  if (pfd >= 0) close(pfd);
  if (!done) kill(c, SIGKILL);
  int st = 0;
  while (waitpid(c, &st, 0) < 0 && errno == EINTR) {
  }
  if (!done) return -2;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 125;
}

[[noreturn]] void controller_main(const ControlPlan& plan, int go_r, int report_w) {
  ControlResult r;
  auto report = [&]() {
    std::string s = std::to_string(r.ready) + " " + std::to_string(r.service_died) + " " +
                    std::to_string(r.load_exit) + " " + std::to_string(r.load_timed_out) + " " +
                    std::to_string(r.stopped) + "\n" + r.message;
    ssize_t w = write(report_w, s.data(), s.size());
    (void)w;
    _exit(0);
  };
  pid_t pids[2];
  size_t got = 0;
  while (got < sizeof pids) {
    ssize_t n = read(go_r, reinterpret_cast<char*>(pids) + got, sizeof pids - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(0);  // the service never started
    got += static_cast<size_t>(n);
  }
  pid_t watch = pids[0], signal_to = pids[1];
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, watch, 0));
  if (pidfd < 0 && errno == ESRCH) {  // gone (and reaped) already
    r.service_died = true;
    r.ready = plan.ready.empty();
    r.message = "the service exited before it was stopped";
    report();
  }
  if (!plan.ready.empty()) {
    r.ready = false;
    long deadline = now_ms() + static_cast<long>(plan.ready_timeout * 1000);
    while (true) {
      if (exited_within(pidfd, 0)) {
        r.service_died = true;
        r.message = "the service exited before the ready probe succeeded";
        break;
      }
      long left = deadline - now_ms();
      int rc = run_bounded(shell_argv(plan.ready), -1, -1, true, std::max(1000L, std::min(left, 10000L)));
      if (rc == 0) {
        r.ready = true;
        if (plan.announce) {
          char b[128];
          std::snprintf(
              b, sizeof b, "confine: ready (the --ready probe succeeded after %.1f s)\n",
              static_cast<double>(now_ms() - (deadline - static_cast<long>(plan.ready_timeout * 1000))) /
                  1000);
          ssize_t w = write(2, b, strlen(b));
          (void)w;
        }
        break;
      }
      if (now_ms() >= deadline) {
        char b[64];
        std::snprintf(b, sizeof b, "%g", plan.ready_timeout);
        r.message = "the ready probe did not succeed within " + std::string(b) + " s";
        break;
      }
      if (exited_within(pidfd, 200)) continue;  // noticed at the top
    }
  }
  if (r.ready && !plan.load.empty()) {
    r.load_exit = run_bounded(shell_argv(plan.load), plan.load_stdin_fd, plan.load_stdout_fd, false,
                              static_cast<long>(plan.load_timeout * 1000));
    if (r.load_exit == -2) {
      r.load_timed_out = true;
      char b[64];
      std::snprintf(b, sizeof b, "%g", plan.load_timeout);
      r.message = "the load script did not finish within " + std::string(b) + " s (killed)";
    }
  }
  if (r.ready && plan.duration > 0 && !r.service_died)
    r.service_died = exited_within(pidfd, static_cast<long>(plan.duration * 1000));
  if (!r.service_died && exited_within(pidfd, 0)) r.service_died = true;
  if (r.service_died && r.message.empty()) r.message = "the service exited before it was stopped";
  if (!r.service_died && (plan.stop_after || !r.ready)) {
    kill(signal_to, plan.stop_signal);
    r.stopped = true;
  }
  report();
  _exit(0);
}
}  // namespace

std::vector<std::string> shell_argv(const std::string& cmd) {
  struct stat st;
  if (stat(cmd.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return {"/bin/sh", cmd};
  return {"/bin/sh", "-c", cmd};
}

StraySignalGuard::StraySignalGuard(int sig) : sig_(sig) {
  struct sigaction sa {};
  sa.sa_handler = [](int) {};
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  set_ = sigaction(sig_, &sa, &old_) == 0;
}
StraySignalGuard::~StraySignalGuard() {
  if (set_) sigaction(sig_, &old_, nullptr);
}

Result<Controller> Controller::start(const ControlPlan& plan) {
  int go[2], rep[2];
  if (pipe2(go, O_CLOEXEC) != 0) return Error::sys("pipe2", errno);
  if (pipe2(rep, O_CLOEXEC) != 0) {
    int e = errno;
    close(go[0]), close(go[1]);
    return Error::sys("pipe2", e);
  }
  pid_t p = fork();
  if (p < 0) {
    int e = errno;
    close(go[0]), close(go[1]), close(rep[0]), close(rep[1]);
    return Error::sys("fork", e);
  }
  if (p == 0) {
    close(go[1]), close(rep[0]);
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    signal(SIGPIPE, SIG_DFL);
    controller_main(plan, go[0], rep[1]);
  }
  close(go[0]), close(rep[1]);
  Controller c;
  c.pid_ = p;
  c.go_w_ = go[1];
  c.report_r_ = rep[0];
  return c;
}

Controller::Controller(Controller&& o) noexcept
    : pid_(o.pid_), started_(o.started_), go_w_(o.go_w_), report_r_(o.report_r_) {
  o.pid_ = -1, o.go_w_ = -1, o.report_r_ = -1;
}
Controller& Controller::operator=(Controller&& o) noexcept {
  if (this != &o) {
    this->~Controller();
    pid_ = o.pid_, started_ = o.started_, go_w_ = o.go_w_, report_r_ = o.report_r_;
    o.pid_ = -1, o.go_w_ = -1, o.report_r_ = -1;
  }
  return *this;
}
Controller::~Controller() {
  if (pid_ > 0) (void)finish(0);
}

void Controller::go(pid_t watch, pid_t signal_to) {
  if (go_w_ < 0) return;
  pid_t pids[2] = {watch, signal_to};
  ssize_t w = write(go_w_, pids, sizeof pids);
  (void)w;
  close(go_w_);
  go_w_ = -1;
  started_ = true;
}

ControlResult Controller::finish(double timeout_s) {
  ControlResult r;
  r.started = started_;
  if (go_w_ >= 0) close(go_w_), go_w_ = -1;  // never started: the controller exits
  std::string text;
  if (report_r_ >= 0) {
    long end = now_ms() + static_cast<long>(timeout_s * 1000);
    pollfd p{report_r_, POLLIN, 0};
    char buf[1024];
    while (true) {
      int n = poll(&p, 1, static_cast<int>(std::max(0L, end - now_ms())));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      ssize_t k = read(report_r_, buf, sizeof buf);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;
      text.append(buf, static_cast<size_t>(k));
    }
    close(report_r_);
    report_r_ = -1;
  }
  if (pid_ > 0) {
    // No report: the controller (its own process group) and what it still runs.
    if (text.empty()) kill(-pid_, SIGKILL);
    int st;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  int ready = 1, died = 0, load = -1, tout = 0, stopped = 0, used = 0;
  if (!text.empty() &&
      std::sscanf(text.c_str(), "%d %d %d %d %d%n", &ready, &died, &load, &tout, &stopped, &used) >= 5) {
    r.ready = ready, r.service_died = died, r.load_exit = load, r.load_timed_out = tout, r.stopped = stopped;
    auto nl = text.find('\n');
    if (nl != std::string::npos) r.message = text.substr(nl + 1);
  } else if (r.started) {
    r.ready = false;
    r.message = "the controller did not report (the service exited while it was still probing or loading)";
  }
  return r;
}

}  // namespace confine::harden
