// The oracle library proves itself: libseccomp's program for a Docker-like
// profile passes our checker, and our interpreter gives the verdicts the
// profile means; the binary-tree program agrees with the linear one on every
// interesting case; the cases cover what they claim.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/personality.h>

#include <cerrno>

#include "oracle/cases.h"
#include "oracle/libseccomp_oracle.h"
#include "seccomp/bpf/bpf.h"
#include "seccomp/profile.h"
#include "syscalls/syscalls.h"

namespace confine::oracle {
namespace {

using seccomp::Action;
using seccomp::ActionKind;
using seccomp::ArgCond;
using seccomp::CmpOp;

seccomp::ResolvedRule rule(Arch a, const char* name, Action act, std::vector<ArgCond> conds = {}) {
  auto nr = syscall_number(a, name);
  EXPECT_TRUE(nr.has_value()) << name << " on " << arch_info(a).name;
  return {name, nr.value_or(-1), std::move(conds), act, {}};
}

ArgCond cond(uint8_t idx, CmpOp op, uint64_t v, uint64_t v2 = 0) {
  ArgCond c;
  c.index = idx;
  c.op = op;
  c.value = v;
  c.value_two = v2;
  return c;
}

// A small slice of Docker's default profile, by hand (same shapes: plain allows,
// personality EQ list, clone MASKED_EQ on the namespace flags, socket NE AF_VSOCK).
seccomp::ResolvedProfile docker_like() {
  seccomp::ResolvedProfile rp;
  rp.default_action = Action::errno_(EPERM);
  for (Arch a : {Arch::X86_64, Arch::X86, Arch::X32}) {
    seccomp::ArchTable t{a, {}, {}};
    for (const char* n : {"read", "write", "getpid", "getppid", "uname", "exit_group"})
      t.rules.push_back(rule(a, n, Action::allow()));
    for (uint64_t p : {0x0ull, 0x8ull, 0x20000ull, 0x20008ull, 0xffffffffull})
      t.rules.push_back(rule(a, "personality", Action::allow(), {cond(0, CmpOp::EQ, p)}));
    t.rules.push_back(rule(a, "clone", Action::allow(), {cond(0, CmpOp::MaskedEq, 0x7E020000, 0)}));
    t.rules.push_back(rule(a, "socket", Action::allow(), {cond(0, CmpOp::NE, 40)}));
    t.rules.push_back(rule(a, "ptrace", Action{ActionKind::KillProcess, 0}));
    rp.arches.push_back(std::move(t));
  }
  return rp;
}

uint32_t verdict(const std::vector<sock_filter>& p, Arch a, const char* name,
                 std::vector<uint64_t> args = {}) {
  bpf::SeccompData d;
  d.arch = arch_info(a).audit_arch;
  d.nr = syscall_number(a, name).value();
  for (size_t i = 0; i < args.size(); ++i) d.args[i] = args[i];
  auto r = bpf::run(p, d);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? r->ret : 0xdeadbeef;
}

TEST(Oracle, DockerLikeProfileVerdicts) {
  auto prog = libseccomp_program(docker_like());
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  EXPECT_TRUE(prog->skipped.empty());
  ASSERT_TRUE(bpf::check(prog->insns).ok()) << bpf::check(prog->insns).error().message();
  const auto& p = prog->insns;
  const uint32_t allow = SECCOMP_RET_ALLOW, eperm = SECCOMP_RET_ERRNO | EPERM;
  for (Arch a : {Arch::X86_64, Arch::X86, Arch::X32}) {
    SCOPED_TRACE(arch_info(a).name);
    EXPECT_EQ(verdict(p, a, "read"), allow);
    EXPECT_EQ(verdict(p, a, "getppid"), allow);
    EXPECT_EQ(verdict(p, a, "mount"), eperm);
    EXPECT_EQ(verdict(p, a, "ptrace"), SECCOMP_RET_KILL_PROCESS);
    EXPECT_EQ(verdict(p, a, "personality", {0}), allow);
    EXPECT_EQ(verdict(p, a, "personality", {0xffffffff}), allow);
    EXPECT_EQ(verdict(p, a, "personality", {1}), eperm);
    EXPECT_EQ(verdict(p, a, "clone", {SIGCHLD}), allow);
    EXPECT_EQ(verdict(p, a, "clone", {CLONE_NEWUSER | SIGCHLD}), eperm);
    EXPECT_EQ(verdict(p, a, "socket", {2}), allow);
    EXPECT_EQ(verdict(p, a, "socket", {40}), eperm);
  }
  // 64-bit argument semantics on x86_64: the high half matters.
  EXPECT_EQ(verdict(p, Arch::X86_64, "personality", {0x100000000ull}), eperm);
  // libseccomp on x32 (a 32-bit arch for it) only looks at the low half.
  EXPECT_EQ(verdict(p, Arch::X32, "personality", {0x100000000ull}), allow);
  // Unknown arch -> bad-arch action (KILL_PROCESS by default).
  bpf::SeccompData d;
  d.arch = AUDIT_ARCH_AARCH64;
  EXPECT_EQ(bpf::run(p, d)->ret, SECCOMP_RET_KILL_PROCESS);
  // x32 numbers under the x86_64 arch value are x32 syscalls, not x86_64 ones.
  d.arch = AUDIT_ARCH_X86_64;
  d.nr = 0x40000000 | 165;  // x32 mount
  EXPECT_EQ(bpf::run(p, d)->ret, eperm);
}

TEST(Oracle, BadArchActionAndRuncMode) {
  OracleOptions o;
  o.bad_arch_action = Action::errno_(ENOSYS);
  o.per_arch = false;
  auto prog = libseccomp_program(docker_like(), o);
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  bpf::SeccompData d;
  d.arch = AUDIT_ARCH_S390X;
  EXPECT_EQ(bpf::run(prog->insns, d)->ret, SECCOMP_RET_ERRNO | ENOSYS);
  EXPECT_EQ(verdict(prog->insns, Arch::X86, "getpid"), SECCOMP_RET_ALLOW);
}

TEST(Oracle, BinaryTreeAgreesWithLinearOnAllCases) {
  auto rp = docker_like();
  auto lin = libseccomp_program(rp);
  OracleOptions o;
  o.binary_tree = true;
  auto tree = libseccomp_program(rp, o);
  ASSERT_TRUE(lin.ok() && tree.ok());
  ASSERT_TRUE(bpf::check(tree->insns).ok());
  auto cases = interesting_cases(rp);
  EXPECT_GT(cases.size(), 1500u);
  size_t differ = 0;
  for (const auto& c : cases) {
    auto a = bpf::run(lin->insns, c), b = bpf::run(tree->insns, c);
    ASSERT_TRUE(a.ok() && b.ok());
    if (a->ret != b->ret) ++differ;
  }
  EXPECT_EQ(differ, 0u);
}

TEST(Oracle, SameArgConditionsAreSplitLikeRunc) {
  seccomp::ResolvedProfile rp;
  rp.default_action = Action::errno_(EPERM);
  seccomp::ArchTable t{Arch::X86_64, {}, {}};
  t.rules.push_back(
      rule(Arch::X86_64, "personality", Action::allow(), {cond(0, CmpOp::GE, 10), cond(0, CmpOp::LE, 20)}));
  rp.arches.push_back(t);
  auto prog = libseccomp_program(rp);
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  EXPECT_TRUE(prog->split_same_arg_rules);
  // OR semantics: 5 <= 20 matches the second condition alone.
  EXPECT_EQ(verdict(prog->insns, Arch::X86_64, "personality", {5}), SECCOMP_RET_ALLOW);
}

TEST(Oracle, UnknownNamesAreReportedNotDropped) {
  seccomp::ResolvedProfile rp;
  rp.default_action = Action::errno_(EPERM);
  seccomp::ArchTable t{Arch::X86_64, {}, {}};
  t.rules.push_back({"no_such_syscall_xyz", 999, {}, Action::allow(), {}});
  t.rules.push_back(rule(Arch::X86_64, "getpid", Action::errno_(EPERM)));  // == default: skipped like runc
  rp.arches.push_back(t);
  auto prog = libseccomp_program(rp);
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  ASSERT_EQ(prog->skipped.size(), 1u);
  EXPECT_EQ(prog->skipped[0].name, "no_such_syscall_xyz");
}

TEST(Cases, CoverNumbersConditionsAndWrongArches) {
  auto rp = docker_like();
  auto cases = interesting_cases(rp);
  auto has = [&](auto pred) { return std::any_of(cases.begin(), cases.end(), pred); };
  const uint32_t x64 = AUDIT_ARCH_X86_64, i386 = AUDIT_ARCH_I386;
  EXPECT_TRUE(has([&](const bpf::SeccompData& d) {
    return d.arch == x64 && d.nr == max_syscall_number(Arch::X86_64) + 10;
  }));
  EXPECT_TRUE(has([&](const bpf::SeccompData& d) { return d.arch == x64 && d.nr == (0x40000000 | 59); }));
  EXPECT_TRUE(has([&](const bpf::SeccompData& d) { return d.arch == x64 && d.nr == -1; }));
  EXPECT_TRUE(has([&](const bpf::SeccompData& d) { return d.arch == AUDIT_ARCH_AARCH64; }));
  // personality(0xffffffff) boundaries: +1 carries into the high half on x86_64 only.
  const int32_t pers64 = syscall_number(Arch::X86_64, "personality").value();
  EXPECT_TRUE(has([&](const bpf::SeccompData& d) {
    return d.arch == x64 && d.nr == pers64 && d.args[0] == 0x100000000ull;
  }));
  EXPECT_TRUE(has([&](const bpf::SeccompData& d) {
    return d.arch == x64 && d.nr == pers64 && d.args[0] == 0xffffffff00000000ull;
  }));
  // i386 arguments are zero-extended by the kernel: no case has a high half there.
  EXPECT_FALSE(has([&](const bpf::SeccompData& d) {
    return d.arch == i386 &&
           std::any_of(std::begin(d.args), std::end(d.args), [](uint64_t v) { return v >> 32; });
  }));
  // clone mask boundaries: a bit inside the mask and the bits outside it.
  const int32_t clone64 = syscall_number(Arch::X86_64, "clone").value();
  EXPECT_TRUE(has([&](const bpf::SeccompData& d) {
    return d.arch == x64 && d.nr == clone64 && d.args[0] == 0x20000;  // lowest mask bit (CLONE_NEWNS)
  }));
  EXPECT_TRUE(has([&](const bpf::SeccompData& d) {
    return d.arch == x64 && d.nr == clone64 && d.args[0] == ~uint64_t{0x7E020000};
  }));
  auto sorted = cases;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_TRUE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
}

}  // namespace
}  // namespace confine::oracle

namespace confine::oracle {
namespace {

// libseccomp exports big-endian targets in their byte order; the oracle hands
// back host order, and the program reads seccomp_data in the target's layout.
TEST(Oracle, BigEndianTargets) {
  seccomp::ResolvedProfile rp;
  rp.default_action = Action::errno_(EPERM);
  for (Arch a : {Arch::S390X, Arch::S390}) {
    seccomp::ArchTable t{a, {}, {}};
    t.rules.push_back(rule(a, "read", Action::allow()));
    t.rules.push_back(rule(a, "personality", Action::allow(), {cond(0, CmpOp::EQ, 0x1ffffffffull)}));
    rp.arches.push_back(t);
  }
  auto prog = libseccomp_program(rp);
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  ASSERT_TRUE(bpf::check(prog->insns).ok()) << bpf::check(prog->insns).error().message() << "\n"
                                            << bpf::disassemble(prog->insns);
  bpf::SeccompData d;
  d.arch = AUDIT_ARCH_S390X;
  d.nr = syscall_number(Arch::S390X, "read").value();
  EXPECT_EQ(bpf::run(prog->insns, d, bpf::Endian::Big)->ret, SECCOMP_RET_ALLOW);
  d.nr = syscall_number(Arch::S390X, "personality").value();
  d.args[0] = 0x1ffffffffull;
  EXPECT_EQ(bpf::run(prog->insns, d, bpf::Endian::Big)->ret, SECCOMP_RET_ALLOW);
  // In host (little-endian) layout the halves are swapped and the rule does not match.
  EXPECT_EQ(bpf::run(prog->insns, d, bpf::Endian::Little)->ret, SECCOMP_RET_ERRNO | EPERM);
  d.arch = AUDIT_ARCH_X86_64;
  EXPECT_EQ(bpf::run(prog->insns, d, bpf::Endian::Big)->ret, SECCOMP_RET_KILL_PROCESS);
}

}  // namespace
}  // namespace confine::oracle

namespace confine::oracle {
namespace {

// libseccomp's program for Docker's real default profile (resolved by our resolve()).
TEST(Oracle, DockerDefaultProfile) {
  auto p =
      seccomp::load_profile("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json");
  if (!p.ok() && p.error().sys_errno() == ENOENT)
    FAIL() << "moby profile not installed (required: see README Set-up; never a skip)";
  ASSERT_TRUE(p.ok()) << p.error().message();
  seccomp::ResolveContext ctx;
  ctx.arch = Arch::X86_64;
  ctx.kernel = seccomp::KernelVersion{6, 18};
  auto rp = seccomp::resolve(*p, ctx);
  ASSERT_TRUE(rp.ok()) << rp.error().message();
  ASSERT_EQ(rp->arches.size(), 3u);  // archMap: x86_64 -> x86, x32
  for (bool tree : {false, true}) {
    OracleOptions o;
    o.binary_tree = tree;
    auto prog = libseccomp_program(*rp, o);
    ASSERT_TRUE(prog.ok()) << prog.error().message();
    ASSERT_TRUE(bpf::check(prog->insns).ok());
    const auto& i = prog->insns;
    const uint32_t allow = SECCOMP_RET_ALLOW, eperm = SECCOMP_RET_ERRNO | EPERM;
    EXPECT_EQ(verdict(i, Arch::X86_64, "read"), allow);
    EXPECT_EQ(verdict(i, Arch::X86_64, "mount"), eperm);
    EXPECT_EQ(verdict(i, Arch::X86_64, "kexec_load"), eperm);
    EXPECT_EQ(verdict(i, Arch::X86_64, "ptrace"), allow);  // minKernel 4.8
    EXPECT_EQ(verdict(i, Arch::X86_64, "personality", {0xffffffff}), allow);
    EXPECT_EQ(verdict(i, Arch::X86_64, "personality", {0x1}), eperm);
    EXPECT_EQ(verdict(i, Arch::X86_64, "clone", {SIGCHLD}), allow);
    EXPECT_EQ(verdict(i, Arch::X86_64, "clone", {CLONE_NEWUSER | SIGCHLD}), eperm);
    EXPECT_EQ(verdict(i, Arch::X86, "read"), allow);
    EXPECT_EQ(verdict(i, Arch::X86, "mount"), eperm);
    EXPECT_EQ(verdict(i, Arch::X32, "read"), allow);
    bpf::SeccompData d;
    d.arch = AUDIT_ARCH_AARCH64;
    EXPECT_EQ(bpf::run(i, d)->ret, SECCOMP_RET_KILL_PROCESS);
  }
}

}  // namespace
}  // namespace confine::oracle
