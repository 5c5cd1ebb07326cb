// The blocked-syscall probe. amicontained calls every syscall and treats EPERM
// as "blocked", which confuses permission checks with filters and has to skip
// syscalls that would hang or kill the prober. We ask the filters instead,
// without ever running the syscall:
//
//   for each syscall nr of the native arch, in a fresh forked child:
//     set no_new_privs, add one more seccomp filter: "nr -> SECCOMP_RET_TRACE"
//     call nr with zero arguments
//
// All filters of a task run on every syscall and the action with the lowest
// precedence value wins (KILL_PROCESS < KILL_THREAD < TRAP < ERRNO < USER_NOTIF
// < TRACE < LOG < ALLOW). With no tracer attached, a winning TRACE fails the
// call with ENOSYS without executing it. So:
//   ENOSYS               the existing filters allow (or LOG) it      -> allowed
//   another errno E      an existing filter returned ERRNO(E)        -> blocked
//   killed by SIGSYS     an existing filter returned KILL_* or TRAP  -> blocked
//   no answer in time    an existing filter returned USER_NOTIF      -> blocked (supervised)
// Nothing executes, so nothing needs skipping. Limits: ERRNO(ENOSYS) from an
// existing filter reads as "allowed" (documented in docs/inspect.md); args are 0.
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>

#include "inspect/inspect.h"
#include "syscalls/syscalls.h"

namespace confine::inspect {

namespace {

constexpr int kExitNoNnp = 250;
constexpr int kExitNoFilter = 251;

// Syscalls seccomp does not filter at all (Linux 6.13+ passes uretprobe, 6.16+ uprobe
// through without running filters): calling them would execute them, so they are not probed.
constexpr std::string_view kPassthrough[] = {"uretprobe", "uprobe"};

// Leaves without libc or sanitizer exit paths (they may make syscalls the probe filter
// answers). Deliberately not [[noreturn]]: ASan instruments calls to noreturn functions
// with a sigaltstack() call, which is one of the syscalls being probed.
void leave(int code) {
  syscall(SYS_exit_group, code);
  syscall(SYS_exit, code);  // when exit_group itself is the syscall being probed
  __builtin_trap();
}

[[noreturn]] void probe_child(int32_t nr, uint32_t audit_arch) {
  struct rlimit no_core {
    0, 0
  };
  setrlimit(RLIMIT_CORE, &no_core);
  sock_filter insns[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit_arch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof insns / sizeof insns[0]), insns};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) leave(kExitNoNnp);
  // From here on: no calls into libc beyond syscall(), no noreturn calls.
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0 &&
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
    leave(kExitNoFilter);
  long r = syscall(nr, 0, 0, 0, 0, 0, 0);
  leave(r == -1 ? (errno >= 249 ? 249 : errno) : 0);
  __builtin_trap();
}

}  // namespace

Result<ProbeReport> probe_self(const ProbeOptions& opts) {
  ProbeReport rep;
  rep.method =
      "each syscall is called with zero arguments in a forked child that first adds a filter returning "
      "SECCOMP_RET_TRACE for it: the call never executes; ENOSYS = allowed by the existing filters, another "
      "errno = ERRNO action, SIGSYS = KILL/TRAP, no answer = USER_NOTIF";
  Arch arch = native_arch();
  uint32_t audit_arch = arch_info(arch).audit_arch;
  for (const auto& e : syscall_table(arch)) {
    if (!opts.only.empty() && std::find(opts.only.begin(), opts.only.end(), e.name) == opts.only.end())
      continue;
    ProbeResult res;
    res.name = std::string(e.name);
    res.nr = e.nr;
    if (std::find(std::begin(kPassthrough), std::end(kPassthrough), e.name) != std::end(kPassthrough)) {
      res.verdict = ProbeResult::Verdict::Allowed;  // never filtered by seccomp: cannot be blocked
      rep.results.push_back(std::move(res));
      continue;
    }
    pid_t child = fork();
    if (child < 0) return Error::sys("fork (probe child)", errno);
    if (child == 0) probe_child(e.nr, audit_arch);
    int status = 0;
    int waited_us = 0;
    bool done = false;
    for (;;) {
      pid_t w = waitpid(child, &status, WNOHANG);
      if (w == child) {
        done = true;
        break;
      }
      if (w < 0 && errno != EINTR) return Error::sys("waitpid (probe child)", errno);
      if (waited_us >= opts.timeout_ms * 1000) break;
      int step = waited_us < 2000 ? 50 : 1000;
      timespec ts{0, step * 1000L};
      nanosleep(&ts, nullptr);
      waited_us += step;
    }
    if (!done) {
      kill(child, SIGKILL);
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      res.verdict = ProbeResult::Verdict::Timeout;
    } else if (WIFSIGNALED(status)) {
      res.verdict = ProbeResult::Verdict::Signal;
      res.err = WTERMSIG(status);
    } else if (WIFEXITED(status)) {
      int code = WEXITSTATUS(status);
      if (code == kExitNoNnp)
        return Error("probe: cannot set no_new_privs in the probe child (prctl blocked?)");
      if (code == kExitNoFilter)
        return Error(
            "probe: cannot add the probe's seccomp filter (seccomp() and prctl(PR_SET_SECCOMP) blocked?)");
      if (code == ENOSYS || code == 0) {
        res.verdict = ProbeResult::Verdict::Allowed;
      } else {
        res.verdict = ProbeResult::Verdict::Errno;
        res.err = code;
      }
    }
    rep.results.push_back(std::move(res));
  }
  return rep;
}

}  // namespace confine::inspect
