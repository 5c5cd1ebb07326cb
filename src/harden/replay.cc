#include "harden/replay.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <set>

#include "apparmor/complain.h"
#include "core/file.h"
#include "sandbox/caps.h"
#include "sandbox/landlock.h"
#include "sandbox/launcher.h"
#include "supervise/event.h"

namespace confine::harden {

Result<sandbox::RunConfig> replay_config(const ReplaySpec& s, const apparmor::RunProfileReport& report,
                                         bool dry_run) {
  using namespace confine::sandbox;
  // What src/cli/run.cc's fill_config sets when no namespace, user, mount,
  // capability, Landlock, limit or environment option is given (test_harden
  // compares the plan with `confine run --dry-run`'s).
  RunConfig c;
  c.ns.user = getuid() != 0;
  c.userns.outer_uid = getuid();
  c.userns.outer_gid = getgid();
  c.userns.inner_uid = getuid();
  c.userns.inner_gid = getgid();
  c.mounts.new_proc = c.ns.pid && c.ns.mount;
  c.mounts.private_dev = c.ns.mount;
  c.mounts.new_ipc = c.ns.ipc;
  c.caps.keep = default_caps_mask();
  c.nnp.no_new_privs = true;
  c.landlock.scoped =
      landlock_access::kScopeSignal | (c.ns.net ? 0 : landlock_access::kScopeAbstractUnixSocket);
  {
    uid_t init_uid = getuid();
    uint64_t init_caps = c.ns.user ? 0 : c.caps.keep;
    uint64_t exempt = (1ull << CAP_SYS_RESOURCE) | (1ull << CAP_SYS_ADMIN);
    c.limits.nproc_rlimit_ignored = init_uid == 0 || (init_caps & exempt) != 0;
    c.limits.cgroupfs_writable = !c.ns.mount;
  }
  if (s.timeout_s > 0) c.limits.timeout_s = s.timeout_s;
  apparmor::RunProfileOptions po;
  po.profile_dir = s.profile_dir;
  if (s.apparmor_complain) po.apparmor_complain = true;
  po.mode = s.complain ? SeccompMode::Complain : SeccompMode::Enforce;
  po.dry_run = dry_run;
  CONFINE_CHECK(apparmor::apply_run_profile(c, po, report));
  c.log_path = s.log_path;
  c.argv = s.argv;
  if (c.argv.empty()) return Error("replay: no command given");
  return c;
}

namespace {

int create_out(const std::string& p) {
  unlink(p.c_str());
  return open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

void err_line(const std::string& s) {
  std::string l = "confine: " + s + "\n";
  if (write(STDERR_FILENO, l.data(), l.size()) < 0) { /* the replay's stderr file is gone */
  }
}

// The child: `confine run`'s verb body for the replay's options.
[[noreturn]] void replay_child(const ReplaySpec& s) {
  apparmor::RunProfileReport report{[](const std::string& w) { err_line("warning: " + w); },
                                    [](const std::string& m) { err_line(m); }};
  auto c = replay_config(s, report);
  if (!c.ok()) {
    err_line("error: " + c.error().message());
    _exit(sandbox::kExitConfineError);
  }
  file::AppendFile log;
  if (!c->log_path.empty()) {
    auto l = file::AppendFile::open(c->log_path);
    if (!l.ok()) {
      err_line("error: " + std::move(l).error().context("--log").message());
      _exit(sandbox::kExitConfineError);
    }
    log = std::move(*l);
  }
  apparmor::ComplainSummary aa_summary;
  sandbox::LaunchHooks hooks;
  hooks.on_event = [&](const std::string& line, const Result<supervise::Event>& ev) {
    if (ev.ok()) aa_summary.add(*ev);
    err_line("complain: " + file::escape_terminal(ev.ok() ? supervise::to_text(*ev) : line));
    if (log.is_open()) (void)log.append(line + "\n");  // a full disk must not stop supervision
  };
  sandbox::ComplainReport rep;
  int code = sandbox::launch(*c, hooks, &rep);
  if (c->observe.enabled())
    err_line("complain summary (apparmor): " + file::escape_terminal(aa_summary.str()));
  if (c->seccomp.mode == sandbox::SeccompMode::Complain) {
    std::string list;
    for (const auto& n : rep.syscalls) list += (list.empty() ? "" : " ") + n;
    err_line("complain summary: " + std::to_string(rep.events) + " event(s), " +
             std::to_string(rep.syscalls.size()) + " syscall(s) the profile would deny" +
             (list.empty() ? "" : ": ") + list);
  }
  std::fflush(nullptr);
  _exit(code);
}

}  // namespace

Result<pid_t> start_replay(const ReplaySpec& s, int in_fd, const std::string& out_path,
                           const std::string& err_path) {
  int out = create_out(out_path);
  if (out < 0) return Error::sys("open(\"" + out_path + "\")", errno);
  int err = create_out(err_path);
  if (err < 0) {
    close(out);
    return Error::sys("open(\"" + err_path + "\")", errno);
  }
  // Buffered output of this process must not be flushed by the child into the replay's files.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(out);
    close(err);
    return Error::sys("fork", e);
  }
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (dup2(in_fd >= 0 ? in_fd : null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
      _exit(sandbox::kExitConfineError);
    // Nothing else of harden's (its memfd, a load controller's pipes, the output
    // directory) stays open in the replay, as across `confine run`'s exec.
    if (close_range(3, ~0U, 0) != 0) _exit(sandbox::kExitConfineError);
    replay_child(s);
  }
  close(out);
  close(err);
  return pid;
}

Result<int> wait_exit_code(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) != pid)
    if (errno != EINTR) return Error::sys("waitpid", errno);
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}

}  // namespace confine::harden
