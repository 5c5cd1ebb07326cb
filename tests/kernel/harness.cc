#include "kernel/harness.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "platform/probe.h"
#include "syscalls/syscalls.h"

namespace confine::ktest {

namespace {

struct Shared {
  volatile int installed;  // 1 = filter installed (or none requested), -errno = seccomp() failed
  volatile int done;
  volatile long ret;
  volatile int err;
};

long raw_i386(long nr, const uint64_t* a) {
  long ret;
  // 32-bit ABI from a 64-bit process; r8-r11 are cleared by the kernel's compat entry.
  asm volatile("int $0x80"
               : "=a"(ret)
               : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
               : "memory", "r8", "r9", "r10", "r11", "cc");
  return ret;
}

[[noreturn]] void child(std::span<const sock_filter> prog, const Probe* p, Shared* sh) {
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);  // SIGSYS would dump core
  if (!prog.empty()) {
    sock_fprog fp = {static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
    if (prog.size() > 0xffff) fp.len = 0;  // len is 16 bits; never wrap into a shorter program
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) {
      sh->installed = -errno;
      sh->done = 1;
      _exit(0);
    }
  }
  sh->installed = 1;
  if (p) {
    // Nothing but the probe between here and the report: no allocation, no libc I/O.
    long r;
    int e = 0;
    if (p->abi == Abi::I386) {
      r = raw_i386(p->nr, p->args);
      if (r < 0 && r >= -4095) {
        e = static_cast<int>(-r);
        r = -1;
      }
    } else {
      long nr = p->abi == Abi::X32 ? (p->nr | kX32SyscallBit) : p->nr;
      r = syscall(nr, p->args[0], p->args[1], p->args[2], p->args[3], p->args[4], p->args[5]);
      if (r == -1) e = errno;
    }
    sh->ret = r;
    sh->err = e;
  }
  sh->done = 1;
  syscall(SYS_exit_group, 0);
  syscall(SYS_exit, 0);
  for (;;) {
  }  // both exits denied: the parent kills us
}

Outcome run_child(std::span<const sock_filter> prog, const Probe* p) {
  void* mem = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return {};
  auto* sh = new (mem) Shared{0, 0, 0, 0};
  pid_t pid = fork();
  if (pid == 0) child(prog, p, sh);
  Outcome o;
  if (pid < 0) {
    munmap(mem, 4096);
    return o;
  }
  int status = 0;
  bool reaped = false;
  for (int i = 0; i < 5000; ++i) {  // 5 s
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      reaped = true;
      break;
    }
    if (sh->done) break;  // report written; a filter may deny exit, so do not wait for it
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, nullptr);
  }
  if (!reaped) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    status = 0;  // killed by us, not by the filter
  }
  if (sh->installed < 0) {
    o.kind = Outcome::Kind::InstallFailed;
    o.err = -sh->installed;
  } else if (sh->done) {
    o.kind = Outcome::Kind::Returned;
    o.ret = sh->ret;
    o.err = sh->err;
  } else if (WIFSIGNALED(status)) {
    o.kind = Outcome::Kind::Signaled;
    o.sig = WTERMSIG(status);
  }
  munmap(mem, 4096);
  return o;
}

}  // namespace

bpf::SeccompData Probe::data() const {
  bpf::SeccompData d;
  d.arch = abi == Abi::I386 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
  d.nr = static_cast<int32_t>(abi == Abi::X32 ? (nr | kX32SyscallBit) : nr);
  for (int i = 0; i < 6; ++i) d.args[i] = abi == Abi::I386 ? (args[i] & 0xffffffffu) : args[i];
  return d;
}

std::string Outcome::str() const {
  switch (kind) {
    case Kind::Returned: return ret == -1 ? "-1 " + errno_name(err) : "returned " + std::to_string(ret);
    case Kind::Signaled: return "killed by signal " + std::to_string(sig);
    case Kind::InstallFailed: return "seccomp() failed: " + errno_name(err);
    case Kind::Lost: return "lost";
  }
  return "?";
}

Outcome run_probe(std::span<const sock_filter> prog, const Probe& p) { return run_child(prog, &p); }

Outcome install_only(std::span<const sock_filter> prog) {
  if (prog.empty()) {  // the kernel's answer for len 0, without a child
    Outcome o;
    sock_fprog fp = {0, nullptr};
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      _exit(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) == 0 ? 0 : errno);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
    o.kind = code == 0 ? Outcome::Kind::Returned : Outcome::Kind::InstallFailed;
    o.err = code;
    return o;
  }
  return run_child(prog, nullptr);
}

Outcome predict(uint32_t ret, const Outcome& baseline) {
  Outcome o;
  const uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG: return baseline;
    case SECCOMP_RET_ERRNO:
      o.kind = Outcome::Kind::Returned;
      o.ret = data == 0 ? 0 : -1;
      o.err = data > 4095 ? 4095 : static_cast<int>(data);  // the kernel caps at MAX_ERRNO
      return o;
    case SECCOMP_RET_TRACE:       // no tracer attached
    case SECCOMP_RET_USER_NOTIF:  // no listener
      o.kind = Outcome::Kind::Returned;
      o.ret = -1;
      o.err = ENOSYS;
      return o;
    default:  // KILL_PROCESS, KILL_THREAD (last thread), TRAP (default SIGSYS action), unknown actions
      o.kind = Outcome::Kind::Signaled;
      o.sig = SIGSYS;
      return o;
  }
}

bool same(const Outcome& p, const Outcome& a) {
  if (p.kind != a.kind) return false;
  switch (p.kind) {
    case Outcome::Kind::Signaled: return p.sig == a.sig;
    case Outcome::Kind::Returned:
      if (p.ret == -1 || a.ret == -1) return p.ret == a.ret && p.err == a.err;
      if (p.ret == 0 && p.err == 0 && a.ret == 0) return true;
      return a.ret >= 0 && p.ret >= 0;
    default: return p.err == a.err;
  }
}

bool seccomp_available() {
  static const sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  static const bool ok = install_only(allow).kind == Outcome::Kind::Returned;
  return ok;
}

bool ia32_available() { return confine_probe("int80", nullptr, 0) == CONFINE_PROBE_PRESENT; }

std::vector<Probe> safe_probes(const std::string& scratch) {
  // Chosen so that the unfiltered call is harmless in a throw-away child and its
  // result differs from what a filter returns (EPERM/ENOSYS/SIGSYS):
  //  - pure queries: getpid, getppid, uname, personality(0xffffffff), syslog(SIZE_BUFFER), getcwd-like
  //  - calls that fail validation before doing anything: clone with invalid flag
  //    combinations (EINVAL), setns(-1) (EBADF), mount(NULL...) (EFAULT), bpf(bad cmd),
  //    keyctl(bad op), close(-1), socketcall(SYS_SOCKET, NULL) (EFAULT)
  //  - calls whose effect dies with the child: personality(0/1), socket(), unshare(0),
  //    mkdir in a scratch directory the test removes
  //  - numbers nothing implements (ENOSYS) and x32 numbers (x32 ABI is compiled out
  //    here: ENOSYS after the filter allowed them)
  // Dangerous calls (reboot, kexec, ptrace attach, real namespace creation, kill) are avoided.
  static struct utsname uts;
  static std::string dir1, dir2;
  dir1 = scratch + "/d1";
  dir2 = scratch + "/d2";
  auto nr64 = [](const char* n) { return static_cast<long>(*syscall_number(Arch::X86_64, n)); };
  auto nr32 = [](const char* n) { return static_cast<long>(*syscall_number(Arch::X86, n)); };
  auto ptr = [](const void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); };
  const uint64_t bad_clone1 = CLONE_NEWNS | CLONE_FS, bad_clone2 = CLONE_SIGHAND;
  std::vector<Probe> v = {
      {"x86_64 getpid()", Abi::Native, nr64("getpid"), {}},
      {"x86_64 getppid()", Abi::Native, nr64("getppid"), {}},
      {"x86_64 uname(&buf)", Abi::Native, nr64("uname"), {ptr(&uts)}},
      {"x86_64 personality(0xffffffff)", Abi::Native, nr64("personality"), {0xffffffff}},
      {"x86_64 personality(0)", Abi::Native, nr64("personality"), {0}},
      {"x86_64 personality(1)", Abi::Native, nr64("personality"), {1}},
      {"x86_64 personality(0x1ffffffff)", Abi::Native, nr64("personality"), {0x1ffffffffull}},
      {"x86_64 socket(AF_UNIX)", Abi::Native, nr64("socket"), {AF_UNIX, SOCK_STREAM, 0}},
      {"x86_64 socket(AF_VSOCK)", Abi::Native, nr64("socket"), {AF_VSOCK, SOCK_STREAM, 0}},
      {"x86_64 mkdir(scratch/d1)", Abi::Native, nr64("mkdir"), {ptr(dir1.c_str()), 0700}},
      {"x86_64 mkdirat(AT_FDCWD, scratch/d2)",
       Abi::Native,
       nr64("mkdirat"),
       {static_cast<uint64_t>(AT_FDCWD), ptr(dir2.c_str()), 0700}},
      {"x86_64 unshare(0)", Abi::Native, nr64("unshare"), {0}},
      {"x86_64 clone(CLONE_NEWNS|CLONE_FS)", Abi::Native, nr64("clone"), {bad_clone1}},
      {"x86_64 clone(CLONE_SIGHAND)", Abi::Native, nr64("clone"), {bad_clone2}},
      {"x86_64 setns(-1, 0)", Abi::Native, nr64("setns"), {~uint64_t{0}, 0}},
      {"x86_64 mount(NULL...)", Abi::Native, nr64("mount"), {}},
      {"x86_64 bpf(0xffff)", Abi::Native, nr64("bpf"), {0xffff}},
      {"x86_64 keyctl(0xffff)", Abi::Native, nr64("keyctl"), {0xffff}},
      {"x86_64 syslog(SIZE_BUFFER)", Abi::Native, nr64("syslog"), {10}},
      {"x86_64 close(-1)", Abi::Native, nr64("close"), {~uint64_t{0}}},
      {"x86_64 nr 500 (unassigned)", Abi::Native, 500, {}},
      {"x86_64 nr -1", Abi::Native, -1, {}},
      {"x32 getpid()", Abi::X32, nr64("getpid"), {}},
      {"x32 mount()", Abi::X32, 165, {}},
      {"x32 nr 0", Abi::X32, 0, {}},
  };
  if (ia32_available()) {
    std::vector<Probe> i386 = {
        {"i386 getpid()", Abi::I386, nr32("getpid"), {}},
        {"i386 getppid()", Abi::I386, nr32("getppid"), {}},
        {"i386 personality(0xffffffff)", Abi::I386, nr32("personality"), {0xffffffff}},
        {"i386 personality(1)", Abi::I386, nr32("personality"), {1}},
        {"i386 unshare(0)", Abi::I386, nr32("unshare"), {0}},
        {"i386 setns(-1, 0)", Abi::I386, nr32("setns"), {0xffffffff, 0}},
        {"i386 close(-1)", Abi::I386, nr32("close"), {0xffffffff}},
        {"i386 mount(NULL...)", Abi::I386, nr32("mount"), {}},
        {"i386 socket(AF_UNIX)", Abi::I386, nr32("socket"), {AF_UNIX, SOCK_STREAM, 0}},
        {"i386 socket(AF_VSOCK)", Abi::I386, nr32("socket"), {AF_VSOCK, SOCK_STREAM, 0}},
        {"i386 socketcall(SYS_SOCKET, NULL)", Abi::I386, nr32("socketcall"), {1, 0}},
        {"i386 clone(CLONE_NEWNS|CLONE_FS)", Abi::I386, nr32("clone"), {bad_clone1}},
        {"i386 bpf(0xffff)", Abi::I386, nr32("bpf"), {0xffff}},
        {"i386 nr 500 (unassigned)", Abi::I386, 500, {}},
    };
    v.insert(v.end(), i386.begin(), i386.end());
  }
  return v;
}

}  // namespace confine::ktest
