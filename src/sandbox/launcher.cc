#include "sandbox/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include "sandbox/caps.h"
#include "sandbox/fds.h"
#include "sandbox/init.h"
#include "sandbox/landlock.h"
#include "sandbox/limits.h"
#include "sandbox/mounts.h"
#include "sandbox/namespaces.h"
#include "sandbox/nnp.h"
#include "sandbox/seccomp_install.h"
#include "sandbox/user.h"
#include "sandbox/userns.h"

namespace confine::sandbox {

namespace {

// ---- child -> confine error channel (close-on-exec pipe) ------------------
// A message is "<exit code>\n<text>"; an exec that succeeds closes the pipe.
[[noreturn]] void child_fail(int err_fd, int code, const std::string& msg) {
  std::string m = std::to_string(code) + "\n" + msg;
  if (write(err_fd, m.data(), m.size()) < 0) { /* nothing more we can do */
  }
  _exit(code);
}

bool nonroot_after(const RunConfig& c) {
  uid_t cur = c.ns.user ? c.userns.inner_uid : getuid();
  return effective_uid(c.user, cur) != 0;
}

struct ChildFds {
  int err_w = -1;
  int sync_r = -1;
  int handoff_r = -1, handoff_w = -1;
  int ack_r = -1, ack_w = -1;
  int event_w = -1;
  int prog_r = -1;  // SeccompConfig::deferred: the compiled programs from confine
  int pin_w = -1;   // Landlock /proc/self rules: their O_PATH fds to confine (SCM_RIGHTS)
};

// The deferred programs over a pipe: u32 flags, u32 n_prog, u32 n_quiet, then the instructions.
Status send_programs(int fd, const SeccompConfig& sc) {
  uint32_t hdr[3] = {sc.filter_flags, static_cast<uint32_t>(sc.prog.size()),
                     static_cast<uint32_t>(sc.quiet_prog.size())};
  std::string buf(reinterpret_cast<const char*>(hdr), sizeof hdr);
  buf.append(reinterpret_cast<const char*>(sc.prog.data()), sc.prog.size() * sizeof(sock_filter));
  buf.append(reinterpret_cast<const char*>(sc.quiet_prog.data()), sc.quiet_prog.size() * sizeof(sock_filter));
  size_t off = 0;
  while (off < buf.size()) {
    ssize_t n = write(fd, buf.data() + off, buf.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::sys("write(seccomp program pipe)", errno);
    off += static_cast<size_t>(n);
  }
  return ok();
}

bool read_exact(int fd, void* p, size_t len) {
  auto* b = static_cast<char*>(p);
  while (len) {
    ssize_t n = read(fd, b, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    b += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

// In the command's process: waits for the programs confine compiles meanwhile.
Status receive_programs(int fd, SeccompConfig& sc) {
  uint32_t hdr[3];
  if (!read_exact(fd, hdr, sizeof hdr))
    return Error("read(seccomp program pipe): confine sent no program (it failed to compile the profile)");
  if (hdr[1] == 0 || hdr[1] > 65535 || hdr[2] > 65535) return Error("seccomp program pipe: bad sizes");
  sc.filter_flags = hdr[0];
  sc.prog.resize(hdr[1]);
  sc.quiet_prog.resize(hdr[2]);
  if (!read_exact(fd, sc.prog.data(), sc.prog.size() * sizeof(sock_filter)) ||
      !read_exact(fd, sc.quiet_prog.data(), sc.quiet_prog.size() * sizeof(sock_filter)))
    return Error("read(seccomp program pipe): truncated program");
  close(fd);
  return ok();
}

// ---- the ordered checklist, in the command's process ----------------------
[[noreturn]] void run_workload(const RunConfig& c, const ChildFds& f, const sigset_t& oldmask, bool memory_cg,
                               bool pids_cg) {
  auto check = [&](Status s, const char* facet) {
    if (!s.ok()) child_fail(f.err_w, kExitConfineError, std::string(facet) + ": " + s.error().message());
  };
  // 0. die with our parent; default signal mask for the command
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    check(Error::sys("prctl(PR_SET_PDEATHSIG, SIGKILL)", errno), "hygiene");
  if (sigprocmask(SIG_SETMASK, &oldmask, nullptr) != 0)
    check(Error::sys("sigprocmask(SIG_SETMASK)", errno), "hygiene");
  // 1. limits not handled by a cgroup
  check(apply_rlimits(c.limits, memory_cg, pids_cg), "limits");
  // 2. file descriptors: only stdio, --keep-fd and our own close-on-exec pipes
  check(close_fds(c.fds, {f.err_w, f.handoff_w, f.ack_r, f.prog_r, f.pin_w}), "fds");
  // 3. environment
  check(apply_env(c.env), "env");
  // 4. capabilities: bounding set first (needs CAP_SETPCAP, before the uid change)
  check(drop_bounding(c.caps), "capabilities");
  // 5. identity (runAsUser/runAsGroup); setgroups is denied in our own user namespace
  check(check_non_root(c.user, c.ns.user ? c.userns.inner_uid : getuid()), "user");
  check(apply_user(c.user, !c.ns.user), "user");
  // Without no_new_privs, Landlock and seccomp need CAP_SYS_ADMIN: like runc,
  // install them before the final capability drop (the profile must then allow capset/prctl).
  bool late_caps = !c.nnp.no_new_privs;
  std::vector<std::string> notes;
  SeccompConfig deferred_sc;  // c.seccomp with the programs confine compiled meanwhile
  const SeccompConfig* sc = &c.seccomp;
  auto restrict_steps = [&] {
    if (c.seccomp.deferred) {
      deferred_sc.mode = c.seccomp.mode;
      deferred_sc.source = c.seccomp.source;
      deferred_sc.memfd_noexec = c.seccomp.memfd_noexec;
      check(receive_programs(f.prog_r, deferred_sc), "seccomp");
      sc = &deferred_sc;
    }
    // 7. Landlock
    check(apply_landlock(c.landlock, &notes, f.pin_w), "landlock");
    // 8. seccomp, last: everything before may use syscalls the profile forbids
    bool complain = sc->mode == SeccompMode::Complain;
    if (complain || c.observe.enabled()) {
      // The listener will get the lowest free fd: tell the supervisor which.
      int probe = dup(f.err_w);
      if (probe < 0) check(Error::sys("dup(err_pipe)", errno), "seccomp");
      close(probe);
      if (write(f.handoff_w, &probe, sizeof probe) != sizeof probe)
        check(Error::sys("write(handoff_pipe)", errno), "seccomp");
      // Only one listener per task: in Complain mode the complain filter also
      // notifies the observed file syscalls; else a separate observation filter.
      auto r = complain ? install_seccomp(*sc) : install_listener_filter(c.observe.prog);
      if (!r.ok()) check(std::move(r).error(), "seccomp");
      char ack = 0;
      if (read(f.ack_r, &ack, 1) != 1 || ack != 'k')
        child_fail(f.err_w, kExitConfineError, "seccomp: complain-mode supervisor did not take the listener");
      if (*r != probe)
        child_fail(
            f.err_w, kExitConfineError,
            "seccomp: listener fd " + std::to_string(*r) + " is not the announced " + std::to_string(probe));
      if (!complain) {
        auto e = install_seccomp(*sc);
        if (!e.ok()) check(std::move(e).error(), "seccomp");
      }
    } else {
      auto r = install_seccomp(*sc);
      if (!r.ok()) check(std::move(r).error(), "seccomp");
    }
  };
  if (late_caps) restrict_steps();
  // 6. capabilities: permitted/effective/inheritable = kept set, ambient for non-root
  check(apply_caps(c.caps, nonroot_after(c)), "capabilities");
  // 6b. no_new_privs
  check(apply_nnp(c.nnp), "no_new_privs");
  if (!late_caps) restrict_steps();
  // 9. exec
  std::vector<char*> argv;
  for (const auto& a : c.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  int e = errno;
  child_fail(f.err_w, (e == ENOENT || e == ENOTDIR) ? kExitNotFound : kExitNotExecutable,
             "exec: execvp(\"" + c.argv[0] + "\"): " + Error::sys("", e).detail().substr(2));
}

// ---- first child: inside the new namespaces ----------------------------------
[[noreturn]] void run_ns_child(const RunConfig& c, ChildFds f, pid_t parent, bool memory_cg, bool pids_cg) {
  auto check = [&](Status s, const char* facet) {
    if (!s.ok()) child_fail(f.err_w, kExitConfineError, std::string(facet) + ": " + s.error().message());
  };
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0)
    check(Error::sys("prctl(PR_SET_PDEATHSIG, SIGKILL)", errno), "hygiene");
  // If confine died before PDEATHSIG was set, the sync read below sees EOF.
  (void)parent;
  // Wait until confine has written our id maps and put us in our cgroups.
  char go = 0;
  if (read(f.sync_r, &go, 1) != 1 || go != 'g') _exit(kExitConfineError);
  close(f.sync_r);
  // session: no controlling terminal (TIOCSTI, TIOCLINUX need one)
  check(new_session(), "session");
  check(setup_namespaces(c.ns), "namespaces");
  if (c.ns.mount) check(apply_mounts(c.mounts), "mounts");
  sigset_t oldmask;
  if (!c.ns.pid) {
    sigprocmask(SIG_SETMASK, nullptr, &oldmask);
    run_workload(c, f, oldmask, memory_cg, pids_cg);
  }
  // pid 1: fork the command, then be its init.
  init_block_signals(&oldmask);
  if (c.pin_cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(static_cast<int>(sched_getcpu() < 0 ? 0 : sched_getcpu()), &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
      check(Error::sys("sched_setaffinity(0, {cpu})", errno), "pin");
  }
  pid_t w = fork();
  if (w < 0) check(Error::sys("fork()", errno), "pid namespace");
  if (w == 0) run_workload(c, f, oldmask, memory_cg, pids_cg);
  // init keeps only what it needs: stdio (its messages), its pipes to confine. Every other fd
  // the caller left open (--keep-fd ones too, and any fd inherited without close-on-exec) would
  // stay open in the sandbox's pid 1, a process with every capability and no filter.
  FdConfig none;
  std::vector<int> init_fds;
  for (int fd : {f.err_w, f.ack_w, f.handoff_r, f.event_w})
    if (fd >= 0) init_fds.push_back(fd);
  if (auto s = close_fds(none, init_fds); !s.ok()) {
    kill(w, SIGKILL);
    check(std::move(s), "fds (init)");
  }
  close(f.err_w);
  InitConfig ic;
  ic.ack_fd = f.ack_w;
  ic.workload = w;
  ic.handoff_fd = f.handoff_r;
  ic.event_fd = f.event_w;
  if (c.observe.enabled()) {
    ic.observe = &c.observe;
    if (c.seccomp.mode == SeccompMode::Complain) ic.enforce_prog = &c.seccomp.enforce_prog;
  }
  _exit(run_init(ic));
}

// One message of SCM_RIGHTS fds from the pin socket into *out (close-on-exec).
// false: end of stream or error (the socket is done).
bool receive_pins(int sock, std::vector<int>* out) {
  char byte;
  iovec iov{&byte, 1};
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int) * 253)];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < k; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        out->push_back(fd);
      }
    }
  return n > 0;
}

long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace

Status validate(const RunConfig& c) {
  if (c.argv.empty()) return Error("no command given (usage: confine run [options] -- COMMAND [ARGS...])");
  if (c.ns.mount)
    CONFINE_CHECK(validate(c.mounts));
  else if (c.mounts.read_only_root || !c.mounts.tmpfs.empty() || !c.mounts.binds.empty())
    return Error("--read-only, --tmpfs and --bind need a mount namespace (do not --share mount)");
  CONFINE_CHECK(validate(c.fds));
  for (const auto* list : {&c.landlock.ro, &c.landlock.rw, &c.landlock.exec})
    for (const auto& p : *list) {
      struct stat st;
      if (p.empty() || p[0] != '/') return Error("Landlock path \"" + p + "\" must be absolute");
      if (stat(p.c_str(), &st) != 0) return Error::sys("Landlock path: stat(\"" + p + "\")", errno);
    }
  CONFINE_CHECK(check_non_root(c.user, c.ns.user ? c.userns.inner_uid : getuid()));
  if (c.seccomp.mode == SeccompMode::Complain && !c.ns.pid)
    return Error("--mode complain needs a pid namespace (its supervisor is pid 1): do not --share pid");
  if (c.observe.enabled() && !c.ns.pid)
    return Error(
        "AppArmor complain mode needs a pid namespace (its supervisor is pid 1): do not --share pid");
  if (c.observe.enabled() && !c.ns.mount)
    return Error(
        "AppArmor complain mode needs a mount namespace (the supervisor resolves paths in the sandbox's "
        "own /proc): do not --share mount");
  if (c.observe.enabled() && c.seccomp.mode != SeccompMode::Complain && c.observe.prog.empty())
    return Error("internal: file observation without its filter");
  if (c.ns.user && getuid() != 0 && c.user.uid && *c.user.uid != c.userns.inner_uid)
    return Error("internal: --user must be the mapped uid in an unprivileged user namespace");
  return ok();
}

std::string plan(const RunConfig& c) {
  uid_t cur = c.ns.user ? c.userns.inner_uid : getuid();
  std::string s;
  int step = 0;
  auto line = [&](const std::string& facet, const std::string& what) {
    char b[16];
    std::snprintf(b, sizeof b, "%2d. ", ++step);
    std::string f = facet;
    f.resize(15, ' ');
    s += b + f + what + "\n";
  };
  line("namespaces", clone_flags_str(clone_flags(c.ns)) + " — " + describe(c.ns));
  if (c.ns.user) line("user namespace", describe(c.userns));
  line("limits", describe(c.limits));
  line("session", "setsid (no controlling terminal)");
  if (c.ns.mount) line("mounts", describe(c.mounts));
  line("fds", describe(c.fds));
  line("env", describe(c.env));
  line("capabilities", describe(c.caps));
  line("user", describe(c.user, cur));
  line("no_new_privs", describe(c.nnp));
  line("landlock", describe(c.landlock));
  line("seccomp", describe(c.seccomp));
  if (c.observe.enabled())
    line("observe",
         std::to_string(c.observe.syscalls.size()) +
             " file syscalls sent to the supervisor (pid 1), evaluated, logged and continued" +
             (c.seccomp.mode == SeccompMode::Complain ? " (by the complain filter)"
                                                      : " (own USER_NOTIF filter, installed first)"));
  std::string cmd;
  for (const auto& a : c.argv) cmd += (cmd.empty() ? "" : " ") + a;
  line("exec", cmd.empty() ? "(no command)" : cmd);
  return s;
}

int launch(const RunConfig& c, const LaunchHooks& hooks, ComplainReport* report) {
  auto fail = [](const Error& e) {
    std::fprintf(stderr, "confine: error: %s\n", e.message().c_str());
    return kExitConfineError;
  };
  if (auto s = validate(c); !s.ok()) return fail(s.error());
  auto cg = Cgroups::create(c.limits);
  if (!cg.ok()) return fail(std::move(cg).error().context("limits"));

  ChildFds f;
  int err_p[2], sync_p[2], hand_p[2] = {-1, -1}, ev_p[2] = {-1, -1}, ack_p[2] = {-1, -1};
  if (pipe2(err_p, O_CLOEXEC) != 0 || pipe2(sync_p, O_CLOEXEC) != 0)
    return fail(Error::sys("pipe2(O_CLOEXEC)", errno));
  bool complain = c.seccomp.mode == SeccompMode::Complain || c.observe.enabled();
  if (complain &&
      (pipe2(hand_p, O_CLOEXEC) != 0 || pipe2(ev_p, O_CLOEXEC) != 0 || pipe2(ack_p, O_CLOEXEC) != 0))
    return fail(Error::sys("pipe2(O_CLOEXEC)", errno));
  f.err_w = err_p[1];
  f.sync_r = sync_p[0];
  f.handoff_r = hand_p[0];
  f.handoff_w = hand_p[1];
  f.event_w = ev_p[1];
  f.ack_r = ack_p[0];
  f.ack_w = ack_p[1];
  int prog_p[2] = {-1, -1};
  if (c.seccomp.deferred && pipe2(prog_p, O_CLOEXEC) != 0) return fail(Error::sys("pipe2(O_CLOEXEC)", errno));
  f.prog_r = prog_p[0];
  // Landlock rules on the command's own /proc files (row self-proc): the command's process
  // sends us their O_PATH fds and we hold them (the dentries the rules name) until it exits.
  int pin_p[2] = {-1, -1};
  if (c.landlock.layer && !c.landlock.layer->self_rules.empty() &&
      socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pin_p) != 0)
    return fail(Error::sys("socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC)", errno));
  f.pin_w = pin_p[1];

  // Forwarded signals arrive on a signalfd.
  sigset_t fwd, old;
  sigemptyset(&fwd);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD, SIGCONT, SIGWINCH})
    sigaddset(&fwd, s);
  sigprocmask(SIG_BLOCK, &fwd, &old);
  int sfd = signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return fail(Error::sys("signalfd()", errno));

  int flags = clone_flags(c.ns);
  pid_t parent = getpid();
  fflush(nullptr);
  long pid = syscall(SYS_clone, static_cast<unsigned long>(flags) | SIGCHLD, 0, 0, 0, 0);
  if (pid < 0) {
    cg->cleanup();
    return fail(Error::sys("clone(" + clone_flags_str(flags) + "|SIGCHLD)", errno).context("namespaces"));
  }
  if (pid == 0) {
    close(err_p[0]);
    close(sync_p[1]);
    close(sfd);
    if (ev_p[0] >= 0) close(ev_p[0]);
    if (prog_p[1] >= 0) close(prog_p[1]);
    if (pin_p[0] >= 0) close(pin_p[0]);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    run_ns_child(c, f, parent, cg->memory_in_cgroup(), cg->pids_in_cgroup());
  }
  close(err_p[1]);
  close(sync_p[0]);
  if (prog_p[0] >= 0) close(prog_p[0]);
  if (hand_p[0] >= 0) close(hand_p[0]), close(hand_p[1]);
  if (ack_p[0] >= 0) close(ack_p[0]), close(ack_p[1]);
  if (ev_p[1] >= 0) close(ev_p[1]);
  if (pin_p[1] >= 0) close(pin_p[1]);
  pid_t child = static_cast<pid_t>(pid);
  std::vector<int> pinned;  // held until the sandbox is gone
  auto release_pins = [&] {
    for (int fd : pinned) close(fd);
    pinned.clear();
    if (pin_p[0] >= 0) close(pin_p[0]), pin_p[0] = -1;
  };

  auto abort_child = [&](Error e) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    release_pins();
    cg->cleanup();
    sigprocmask(SIG_SETMASK, &old, nullptr);
    return fail(e);
  };
  if (c.ns.user) {
    if (auto s = write_id_maps(child, c.userns); !s.ok())
      return abort_child(std::move(s).error().context("user namespace"));
  }
  if (auto s = cg->add(child); !s.ok()) return abort_child(std::move(s).error().context("limits"));
  if (write(sync_p[1], "g", 1) != 1) return abort_child(Error::sys("write(sync_pipe)", errno));
  close(sync_p[1]);
  if (c.seccomp.deferred) {
    // The sandbox builds its namespaces and mounts meanwhile; it waits for the
    // programs only at its last step. A failure here kills it (fail closed).
    auto sc = c.seccomp.deferred();
    if (!sc.ok()) {
      close(prog_p[1]);
      return abort_child(std::move(sc).error().context("seccomp"));
    }
    // The sandbox may have failed already (its error comes through err_p): no SIGPIPE.
    struct sigaction ign {
    }, prev{};
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &prev);
    (void)send_programs(prog_p[1], *sc);
    sigaction(SIGPIPE, &prev, nullptr);
    close(prog_p[1]);
  }

  // Supervise: signals, timeout, error channel, complain events.
  std::string errbuf, evbuf;
  int ev_r = ev_p[0];
  int status = 0;
  bool exited = false, timed_out = false;
  long deadline = c.limits.timeout_s ? now_ms() + static_cast<long>(*c.limits.timeout_s * 1000) : -1;
  std::set<std::string> seen;
  auto consume_events = [&](bool final) {
    size_t nl;
    while ((nl = evbuf.find('\n')) != std::string::npos) {
      std::string line = evbuf.substr(0, nl);
      evbuf.erase(0, nl + 1);
      auto ev = supervise::parse_event(line);
      // AppArmor observation events go to the hook only (not the seccomp report).
      if (report && ev.ok() && ev->kind == supervise::EventKind::Seccomp) {
        ++report->events;
        if (seen.insert(ev->syscall).second) report->syscalls.push_back(ev->syscall);
      }
      if (hooks.on_event) hooks.on_event(line, ev);
    }
    (void) final;
  };
  while (!exited) {
    pollfd p[4];
    int n = 0;
    p[n++] = {sfd, POLLIN, 0};
    int eidx = -1, vidx = -1, pidx = -1;
    if (err_p[0] >= 0) eidx = n, p[n++] = {err_p[0], POLLIN, 0};
    if (ev_r >= 0) vidx = n, p[n++] = {ev_r, POLLIN, 0};
    if (pin_p[0] >= 0) pidx = n, p[n++] = {pin_p[0], POLLIN, 0};
    int timeout = -1;
    if (deadline >= 0) timeout = static_cast<int>(std::max(0L, deadline - now_ms()));
    int r = poll(p, static_cast<nfds_t>(n), timeout);
    if (r < 0 && errno != EINTR) break;
    if (r == 0 && deadline >= 0 && now_ms() >= deadline && !timed_out) {
      timed_out = true;
      kill(child, SIGKILL);
      if (!c.ns.pid) kill(-child, SIGKILL);
      deadline = -1;
    }
    char buf[4096];
    if (eidx >= 0 && (p[eidx].revents & (POLLIN | POLLHUP))) {
      ssize_t k = read(err_p[0], buf, sizeof buf);
      if (k > 0)
        errbuf.append(buf, static_cast<size_t>(k));
      else if (k == 0)
        close(err_p[0]), err_p[0] = -1;
    }
    if (vidx >= 0 && (p[vidx].revents & (POLLIN | POLLHUP))) {
      ssize_t k = read(ev_r, buf, sizeof buf);
      if (k > 0)
        evbuf.append(buf, static_cast<size_t>(k)), consume_events(false);
      else if (k == 0)
        close(ev_r), ev_r = -1;
    }
    if (pidx >= 0 && (p[pidx].revents & (POLLIN | POLLHUP | POLLERR))) {
      // The fds of the command's /proc/self rules; EOF once its copy closed on exec.
      if (!receive_pins(pin_p[0], &pinned)) close(pin_p[0]), pin_p[0] = -1;
    }
    if (p[0].revents & POLLIN) {
      signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
          if (waitpid(child, &status, WNOHANG) == child) exited = true;
        } else {
          kill(child, static_cast<int>(si.ssi_signo));
        }
      }
    }
  }
  // Drain what the sandbox wrote before it went away.
  char buf[4096];
  ssize_t k;
  if (err_p[0] >= 0) {
    fcntl(err_p[0], F_SETFL, O_NONBLOCK);
    while ((k = read(err_p[0], buf, sizeof buf)) > 0) errbuf.append(buf, static_cast<size_t>(k));
    close(err_p[0]);
  }
  if (ev_r >= 0) {
    fcntl(ev_r, F_SETFL, O_NONBLOCK);
    while ((k = read(ev_r, buf, sizeof buf)) > 0) evbuf.append(buf, static_cast<size_t>(k));
    consume_events(true);
    close(ev_r);
  }
  close(sfd);
  release_pins();
  cg->cleanup();
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (!errbuf.empty()) {
    size_t nl = errbuf.find('\n');
    int code = kExitConfineError;
    if (nl != std::string::npos) {
      code = std::atoi(errbuf.substr(0, nl).c_str());
      errbuf.erase(0, nl + 1);
    }
    if (code != kExitNotFound && code != kExitNotExecutable) code = kExitConfineError;
    std::fprintf(stderr, "confine: error: %s\n", errbuf.c_str());
    return code;
  }
  if (timed_out) {
    std::fprintf(stderr, "confine: timeout: killed the sandbox after %gs\n", *c.limits.timeout_s);
    return 124;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitConfineError;
}

}  // namespace confine::sandbox
