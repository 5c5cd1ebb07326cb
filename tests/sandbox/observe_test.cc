// File-syscall observation filters (AppArmor complain mode), checked with the
// BPF interpreter (shares no code with the compiler) and on the real kernel:
//  - supervise::notify_filter: the listed syscalls -> USER_NOTIF on x86_64, i386 and x32,
//    everything else (and unknown arches) ALLOW;
//  - prepare_seccomp(Complain, also_notify): the complain program notifies the
//    observed syscalls unconditionally, enforce_prog keeps the profile's verdict;
//  - a second NEW_LISTENER filter on the same task fails with EBUSY (why the
//    complain filter carries the observation itself).
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "gtest/gtest.h"
#include "sandbox/seccomp_install.h"
#include "seccomp/bpf/bpf.h"
#include "supervise/listener.h"
#include "syscalls/syscalls.h"

namespace confine::sandbox {
namespace {

uint32_t verdict(const std::vector<sock_filter>& prog, uint32_t audit_arch, int32_t nr, uint64_t a0 = 0,
                 uint64_t a1 = 0, uint64_t a2 = 0) {
  bpf::SeccompData d;
  d.arch = audit_arch;
  d.nr = nr;
  d.args[0] = a0;
  d.args[1] = a1;
  d.args[2] = a2;
  auto r = bpf::run(prog, d);
  EXPECT_TRUE(r.ok());
  return r.ok() ? (r->ret & SECCOMP_RET_ACTION_FULL) : 0;
}

int32_t nr(Arch a, const char* name) { return *syscall_number(a, name); }

TEST(ObserveFilter, NotifiesExactlyTheListedSyscalls) {
  auto f = supervise::notify_filter({"openat", "open", "mkdir", "unlinkat", "truncate64"});
  ASSERT_TRUE(f.ok()) << f.error().message();
  ASSERT_TRUE(bpf::check(*f).ok());
  EXPECT_EQ(verdict(*f, AUDIT_ARCH_X86_64, nr(Arch::X86_64, "openat")), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(*f, AUDIT_ARCH_X86_64, nr(Arch::X86_64, "mkdir")), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(*f, AUDIT_ARCH_X86_64, nr(Arch::X86_64, "getpid")), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(*f, AUDIT_ARCH_X86_64, nr(Arch::X86_64, "read")), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(*f, AUDIT_ARCH_I386, nr(Arch::X86, "open")), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(*f, AUDIT_ARCH_I386, nr(Arch::X86, "truncate64")), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(*f, AUDIT_ARCH_I386, nr(Arch::X86, "getpid")), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(*f, AUDIT_ARCH_X86_64, nr(Arch::X32, "openat")), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(*f, AUDIT_ARCH_AARCH64, 56), SECCOMP_RET_ALLOW);  // observation adds no confinement
}

TEST(ObserveFilter, ComplainProgramCarriesTheObservation) {
  std::string docker = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";
  if (access(docker.c_str(), R_OK) != 0)
    FAIL() << "no Docker profile (required: see README Set-up; never a skip)";
  auto c = prepare_seccomp(docker, SeccompMode::Complain, 0, nullptr, {"openat", "mkdir"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_FALSE(c->enforce_prog.empty());
  int32_t openat = nr(Arch::X86_64, "openat"), mkdir = nr(Arch::X86_64, "mkdir");
  int32_t reboot = nr(Arch::X86_64, "reboot"), getpid = nr(Arch::X86_64, "getpid");
  // complain program: observed -> notify; denied -> notify; allowed -> allow
  EXPECT_EQ(verdict(c->prog, AUDIT_ARCH_X86_64, openat), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(c->prog, AUDIT_ARCH_X86_64, mkdir), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(c->prog, AUDIT_ARCH_X86_64, reboot), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(c->prog, AUDIT_ARCH_X86_64, getpid), SECCOMP_RET_ALLOW);
  // enforce program: the profile's own verdicts
  EXPECT_EQ(verdict(c->enforce_prog, AUDIT_ARCH_X86_64, openat), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(c->enforce_prog, AUDIT_ARCH_X86_64, mkdir), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(c->enforce_prog, AUDIT_ARCH_X86_64, reboot), SECCOMP_RET_ERRNO);
  // without observation, allowed file syscalls are not notified (existing complain mode)
  auto plain = prepare_seccomp(docker, SeccompMode::Complain, 0, nullptr);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->enforce_prog.empty());
  EXPECT_EQ(verdict(plain->prog, AUDIT_ARCH_X86_64, openat), SECCOMP_RET_ALLOW);
}

TEST(ObserveFilter, SecondListenerIsEbusyOnTheRealKernel) {
  auto f = supervise::notify_filter({"mkdir"});
  ASSERT_TRUE(f.ok());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    auto a = install_listener_filter(*f);
    if (!a.ok()) _exit(11);
    auto b = install_listener_filter(*f);
    if (b.ok()) _exit(12);
    _exit(b.error().message().find("EBUSY") != std::string::npos ? 0 : 13);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0);
}

}  // namespace
}  // namespace confine::sandbox
