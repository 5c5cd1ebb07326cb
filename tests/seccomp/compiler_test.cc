// The seccomp compiler against a reference evaluator written from the profile
// semantics (not from the compiler's stages), run through the independent BPF
// interpreter; plus the kernel's constant-action-cache check, conflicts, long
// jumps, the size limit, x32/x86 specifics and golden dumps.
#include "seccomp/compiler.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "seccomp/bpf/bpf.h"
#include "seccomp/profile.h"
#include "seccomp/resolve.h"
#include "syscalls/syscalls.h"

namespace confine::seccomp {
namespace {

ArgCond C(uint8_t idx, CmpOp op, uint64_t v, uint64_t v2 = 0, uint32_t line = 0) {
  ArgCond c;
  c.index = idx;
  c.op = op;
  c.value = v;
  c.value_two = v2;
  c.pos = {"t.json", line, 1};
  return c;
}

ResolvedRule R(Arch a, std::string_view name, Action act, std::vector<ArgCond> conds = {},
               uint32_t line = 0) {
  ResolvedRule r;
  r.name = std::string(name);
  auto nr = syscall_number(a, name);
  EXPECT_TRUE(nr.has_value()) << name;
  r.nr = nr.value_or(0);
  r.conds = std::move(conds);
  r.action = act;
  r.pos = {"t.json", line, 3};
  return r;
}

// Reference semantics, straight from the profile model (see docs/compiler.md).
uint32_t reference(const ResolvedProfile& rp, const bpf::SeccompData& d, const CompileOptions& o) {
  bool has64 = false, has32 = false, listed = false;
  for (const auto& t : rp.arches) {
    if (arch_info(t.arch).audit_arch != d.arch) continue;
    listed = true;
    has64 |= t.arch == Arch::X86_64;
    has32 |= t.arch == Arch::X32;
  }
  if (!listed) return o.bad_arch_action.ret();
  uint32_t nr = static_cast<uint32_t>(d.nr);
  if (d.arch == AUDIT_ARCH_X86_64) {
    if (has64 && !has32 && nr >= kX32SyscallBit && nr != 0xffffffffu) return o.bad_arch_action.ret();
    if (has32 && !has64 && nr < kX32SyscallBit) return o.bad_arch_action.ret();
  }
  std::optional<Action> uncond, cond;
  for (const auto& t : rp.arches) {
    if (arch_info(t.arch).audit_arch != d.arch) continue;
    uint64_t mask = arch_info(t.arch).bits == 32 ? 0xffffffffull : ~0ull;
    for (const auto& r : t.rules) {
      if (static_cast<uint32_t>(r.nr) != nr || r.action == rp.default_action) continue;
      if (r.conds.empty()) {
        if (!uncond) uncond = r.action;
        continue;
      }
      bool all = true;
      for (const auto& c : r.conds)
        all = all && cmp_matches(c.op, d.args[c.index] & mask, c.value & mask, c.value_two & mask);
      if (all && !cond) cond = r.action;
    }
  }
  if (uncond) return uncond->ret();
  if (cond) return cond->ret();
  return rp.default_action.ret();
}

// Runs with the byte layout of seccomp_data on the arch the data claims (s390x is big endian).
uint32_t run(const std::vector<sock_filter>& p, const bpf::SeccompData& d) {
  bpf::Endian e = bpf::Endian::Little;
  for (const auto& ai : all_arches())
    if (ai.audit_arch == d.arch && !ai.little_endian) e = bpf::Endian::Big;
  auto r = bpf::run(p, d, e);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? r->ret : 0xdeadbeef;
}

bpf::SeccompData D(Arch a, int32_t nr, std::initializer_list<uint64_t> args = {}) {
  bpf::SeccompData d;
  d.arch = arch_info(a).audit_arch;
  d.nr = nr;
  int i = 0;
  for (uint64_t v : args) d.args[i++] = v;
  return d;
}

// The kernel's seccomp_is_const_allow() (kernel/seccomp.c) on a program for
// one (arch, nr): true if the program returns ALLOW without looking at
// anything but nr and arch.
bool const_allow(const std::vector<sock_filter>& p, uint32_t arch, int32_t nr) {
  uint32_t a = 0;
  for (size_t pc = 0; pc < p.size(); pc++) {
    const sock_filter& in = p[pc];
    switch (in.code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (in.k == 0)
          a = static_cast<uint32_t>(nr);
        else if (in.k == 4)
          a = arch;
        else
          return false;
        break;
      case BPF_RET | BPF_K: return in.k == SECCOMP_RET_ALLOW;
      case BPF_JMP | BPF_JA: pc += in.k; break;
      case BPF_JMP | BPF_JEQ | BPF_K:
      case BPF_JMP | BPF_JGE | BPF_K:
      case BPF_JMP | BPF_JGT | BPF_K:
      case BPF_JMP | BPF_JSET | BPF_K: {
        bool r = false;
        switch (BPF_OP(in.code)) {
          case BPF_JEQ: r = a == in.k; break;
          case BPF_JGE: r = a >= in.k; break;
          case BPF_JGT: r = a > in.k; break;
          case BPF_JSET: r = (a & in.k) != 0; break;
        }
        pc += r ? in.jt : in.jf;
        break;
      }
      case BPF_ALU | BPF_AND | BPF_K: a &= in.k; break;
      default: return false;
    }
  }
  return false;
}

// A Docker-like profile on x86_64 + x86 + x32.
ResolvedProfile docker_like() {
  ResolvedProfile rp;
  rp.default_action = Action::errno_(1);
  for (Arch a : {Arch::X86_64, Arch::X86, Arch::X32}) {
    ArchTable t;
    t.arch = a;
    for (auto n : {"read", "write", "close", "mmap", "exit_group", "futex", "openat", "getpid", "socketcall"})
      if (syscall_number(a, n)) t.rules.push_back(R(a, n, Action::allow()));
    for (uint64_t v : {0ull, 8ull, 0x20000ull, 0x20008ull, 0xffffffffull})
      t.rules.push_back(R(a, "personality", Action::allow(), {C(0, CmpOp::EQ, v)}));
    t.rules.push_back(R(a, "clone", Action::allow(), {C(0, CmpOp::MaskedEq, 0x7e020000, 0)}));
    t.rules.push_back(R(a, "socket", Action::allow(), {C(0, CmpOp::NE, 40)}));
    t.rules.push_back(R(a, "clone3", Action::errno_(38)));
    t.rules.push_back(
        R(a, "ioctl", Action::allow(), {C(1, CmpOp::LT, 0x5401), C(2, CmpOp::GE, 0x100000000ull)}));
    t.rules.push_back(R(a, "prctl", Action::allow(), {C(0, CmpOp::LE, 0x1'0000'0005ull)}));
    t.rules.push_back(R(a, "kill", Action::errno_(1)));  // same as default: dropped
    rp.arches.push_back(std::move(t));
  }
  return rp;
}

std::vector<bpf::SeccompData> sample_cases(const ResolvedProfile& rp, std::mt19937_64& rng,
                                           size_t random_per_rule) {
  std::vector<bpf::SeccompData> out;
  const uint64_t specials[] = {0,
                               1,
                               8,
                               39,
                               40,
                               41,
                               0x5400,
                               0x5401,
                               0x5402,
                               0x20000,
                               0x7e020000,
                               0xffffffff,
                               0x100000000ull,
                               0x100000005ull,
                               0x100000006ull,
                               0xffffffff00000000ull,
                               ~0ull};
  for (const auto& t : rp.arches) {
    int64_t first = int64_t(arch_info(t.arch).nr_offset) - 2;
    for (int64_t nr = first; nr <= max_syscall_number(t.arch) + 3; nr++)
      out.push_back(D(t.arch, static_cast<int32_t>(nr)));
    for (int32_t nr : {0, 1, 2, 0x40000000, 0x40000001, 0x40000000 + 64, 0x7fffffff, INT32_MIN, -1, -2})
      out.push_back(D(t.arch, nr));
    for (const auto& r : t.rules)
      for (size_t i = 0; i < random_per_rule; i++) {
        bpf::SeccompData d = D(t.arch, r.nr);
        for (auto& a : d.args) a = (rng() & 1) ? specials[rng() % std::size(specials)] : rng();
        out.push_back(d);
      }
  }
  for (uint32_t arch : {0u, uint32_t(AUDIT_ARCH_AARCH64), 0xffffffffu}) {
    bpf::SeccompData d;
    d.arch = arch;
    out.push_back(d);
  }
  return out;
}

TEST(Compiler, MatchesReferenceOnDockerLikeProfile) {
  ResolvedProfile rp = docker_like();
  CompileOptions o;
  auto p = compile(rp, o);
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_TRUE(bpf::check(p->insns).ok());
  std::mt19937_64 rng(1);
  size_t n = 0;
  for (const auto& d : sample_cases(rp, rng, 200)) {
    // Muxed socketcall rules are libseccomp's extra semantics; the reference has none: skip socketcall on
    // x86.
    if (d.arch == AUDIT_ARCH_I386 && (d.nr == 102 || d.nr == 117)) continue;
    ASSERT_EQ(run(p->insns, d), reference(rp, d, o))
        << "arch " << std::hex << d.arch << " nr " << std::dec << d.nr << " a0 " << d.args[0] << " a1 "
        << d.args[1] << " a2 " << d.args[2];
    n++;
  }
  EXPECT_GT(n, 1000u);
  EXPECT_EQ(p->stats.rules_dropped_default, 3u);
  EXPECT_EQ(p->stats.instructions, p->insns.size());
  EXPECT_LE(p->stats.instructions, p->stats.instructions_unoptimized);
}

TEST(Compiler, DockerVerdicts) {
  ResolvedProfile rp = docker_like();
  auto p = compile(rp);
  ASSERT_TRUE(p.ok());
  auto nr = [](std::string_view n) { return *syscall_number(Arch::X86_64, n); };
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("personality"), {0})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("personality"), {8})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("personality"), {0xffffffff})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("personality"), {0x10})), SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("personality"), {0x1'0000'0000ull})), SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("clone"), {0x10000000 /*CLONE_NEWUSER*/})),
            SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("clone"), {0x1200011})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("socket"), {40})), SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("socket"), {2})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, nr("clone3"))), SECCOMP_RET_ERRNO | 38);
  // x86: socket also through socketcall(SYS_SOCKET=1), as libseccomp does.
  EXPECT_EQ(run(p->insns, D(Arch::X86, 102, {1})), SECCOMP_RET_ALLOW);  // socketcall is allowed outright
}

// x86 socketcall/ipc (docs/compiler.md): the multiplexers' real arguments are behind a pointer.
ResolvedProfile x86_socket_profile(Action def) {
  ResolvedProfile rp;
  rp.default_action = def;
  ArchTable t;
  t.arch = Arch::X86;
  t.rules.push_back(R(Arch::X86, "socket", Action::allow(), {C(0, CmpOp::EQ, 1 /*AF_UNIX*/)}, 10));
  t.rules.push_back(R(Arch::X86, "shmget", Action::allow(), {C(2, CmpOp::EQ, 0)}, 11));
  t.rules.push_back(R(Arch::X86, "connect", Action::allow(), {}, 12));
  t.rules.push_back(R(Arch::X86, "bind", Action::errno_(13), {C(0, CmpOp::EQ, 3)}, 13));
  rp.arches.push_back(std::move(t));
  return rp;
}

TEST(Compiler, X86SocketcallFailClosedByDefault) {
  ResolvedProfile rp = x86_socket_profile(Action::errno_(1));
  auto p = compile(rp);
  ASSERT_TRUE(p.ok()) << p.error().message();
  const int32_t socketcall = 102, ipc = 117;
  // The direct syscall keeps its argument check.
  EXPECT_EQ(run(p->insns, D(Arch::X86, *syscall_number(Arch::X86, "socket"), {1})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86, *syscall_number(Arch::X86, "socket"), {17})), SECCOMP_RET_ERRNO | 1);
  // socketcall(SYS_SOCKET) cannot check the domain: the ALLOW rule does not reach it (any pointer).
  for (uint64_t ptr : {0ull, 1ull, 0xffffd000ull})
    EXPECT_EQ(run(p->insns, D(Arch::X86, socketcall, {1, ptr})), SECCOMP_RET_ERRNO | 1) << ptr;
  EXPECT_EQ(run(p->insns, D(Arch::X86, ipc, {23 /*SHMGET*/, 0, 0, 0})), SECCOMP_RET_ERRNO | 1);
  // An unconditional rule is exact through the multiplexer.
  EXPECT_EQ(run(p->insns, D(Arch::X86, socketcall, {3 /*SYS_CONNECT*/})), SECCOMP_RET_ALLOW);
  // Default ERRNO(1), rule ERRNO(13): not stricter -> not carried over either.
  EXPECT_EQ(run(p->insns, D(Arch::X86, socketcall, {2 /*SYS_BIND*/})), SECCOMP_RET_ERRNO | 1);
  // A rule stricter than the default applies to every call of its number (narrowing).
  ResolvedProfile allow_default = x86_socket_profile(Action::allow());
  allow_default.arches[0].rules.push_back(
      R(Arch::X86, "socket", Action{ActionKind::KillProcess, 0}, {C(0, CmpOp::EQ, 17 /*AF_PACKET*/)}, 14));
  auto q = compile(allow_default);
  ASSERT_TRUE(q.ok()) << q.error().message();
  EXPECT_EQ(run(q->insns, D(Arch::X86, socketcall, {1, 0x1000})), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(run(q->insns, D(Arch::X86, socketcall, {2, 0x1000})), SECCOMP_RET_ERRNO | 13);
  // The remarks name each argument-filtered rule and what it does on i386.
  auto w = x86_multiplexer_remarks(rp);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].pos.line, 10u);
  EXPECT_NE(w[0].message.find("socketcall(1)"), std::string::npos) << w[0].message;
  EXPECT_NE(w[0].message.find("fail-closed"), std::string::npos) << w[0].message;
  EXPECT_NE(w[1].message.find("ipc(23)"), std::string::npos) << w[1].message;
  auto wk = x86_multiplexer_remarks(allow_default);
  ASSERT_FALSE(wk.empty());
  EXPECT_NE(wk.back().message.find("applies to every socketcall(1)"), std::string::npos) << wk.back().message;
}

TEST(Compiler, X86SocketcallLibseccompCompat) {
  ResolvedProfile rp = x86_socket_profile(Action::errno_(1));
  CompileOptions o;
  o.libseccomp_compat = true;
  auto p = compile(rp, o);
  ASSERT_TRUE(p.ok()) << p.error().message();
  // libseccomp's behaviour: the call number alone decides, whatever the (unreadable) arguments.
  EXPECT_EQ(run(p->insns, D(Arch::X86, 102, {1, 0x1000})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86, 117, {23, 0, 0, 0})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86, 102, {2})), SECCOMP_RET_ERRNO | 13);
  auto w = x86_multiplexer_remarks(rp, o);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].message.find("--compat libseccomp makes it ALLOW for socketcall(1)"), std::string::npos)
      << w[0].message;
  // Without the multiplexers there is nothing to remark.
  o.multiplexers = false;
  EXPECT_TRUE(x86_multiplexer_remarks(rp, o).empty());
}

TEST(Compiler, ConstantAllowForKernelActionCache) {
  ResolvedProfile rp = docker_like();
  auto p = compile(rp);
  ASSERT_TRUE(p.ok());
  auto rt = build_rule_tables(rp);
  ASSERT_TRUE(rt.ok());
  size_t allowed = 0;
  for (const auto& t : rt->tables) {
    Arch a = t.arches.front();
    for (int64_t nr = -1; nr <= 0x40000000ll + 600; nr++) {
      if (nr == 1000) nr = 0x40000000ll - 2;  // skip the empty middle
      auto it = t.syscalls.find(static_cast<uint32_t>(nr));
      bool want = it != t.syscalls.end() && it->second.unconditional &&
                  it->second.unconditional->kind == ActionKind::Allow;
      ASSERT_EQ(const_allow(p->insns, t.audit_arch, static_cast<int32_t>(nr)), want)
          << arch_info(a).name << " nr " << nr;
      allowed += want;
    }
  }
  EXPECT_GT(allowed, 20u);
  // An unlisted arch is never constant-ALLOW.
  EXPECT_FALSE(const_allow(p->insns, AUDIT_ARCH_AARCH64, 0));
}

// Docker's real profile (amd64 set via archMap): every unconditional ALLOW is constant for the kernel's
// action cache; nothing else is.
TEST(Compiler, ConstantAllowOnDockerProfile) {
  auto prof = load_profile("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json");
  if (!prof.ok()) FAIL() << prof.error().message() << " (required: see README Set-up; never a skip)";
  ResolveContext ctx;
  ctx.arch = Arch::X86_64;
  ctx.kernel = KernelVersion{6, 18};
  auto rp = resolve(*prof, ctx);
  ASSERT_TRUE(rp.ok()) << rp.error().message();
  auto p = compile(*rp);
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto rt = build_rule_tables(*rp);
  ASSERT_TRUE(rt.ok());
  size_t allowed = 0, checked = 0;
  for (const auto& t : rt->tables) {
    for (Arch a : t.arches) {
      int64_t base = arch_info(a).nr_offset;
      for (int64_t nr = base - 1; nr <= max_syscall_number(a) + 16; nr++) {
        auto it = t.syscalls.find(static_cast<uint32_t>(nr));
        bool want = it != t.syscalls.end() && it->second.unconditional &&
                    it->second.unconditional->kind == ActionKind::Allow;
        ASSERT_EQ(const_allow(p->insns, t.audit_arch, static_cast<int32_t>(nr)), want)
            << arch_info(a).name << " nr " << nr;
        allowed += want;
        checked++;
      }
    }
  }
  EXPECT_GT(allowed, 900u);  // ~340 per ABI
  EXPECT_GT(checked, 1300u);
}

TEST(Compiler, X32Closed) {
  ResolvedProfile rp;
  rp.default_action = Action::errno_(1);
  ArchTable t;
  t.arch = Arch::X86_64;
  t.rules.push_back(R(Arch::X86_64, "read", Action::allow()));
  rp.arches.push_back(t);
  auto p = compile(rp);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0x40000000)), SECCOMP_RET_KILL_PROCESS);  // x32 read
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0x40000001)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, -1)), SECCOMP_RET_ERRNO | 1);  // libseccomp lets -1 through
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, -2)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(run(p->insns, D(Arch::X86, 3)), SECCOMP_RET_KILL_PROCESS);  // unlisted arch
  // With X32 listed, x32 numbers follow the x32 table.
  ArchTable x;
  x.arch = Arch::X32;
  x.rules.push_back(R(Arch::X32, "write", Action::allow()));
  rp.arches.push_back(x);
  p = compile(rp);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0x40000001)), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0x40000000)), SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0)), SECCOMP_RET_ALLOW);
  // x32 alone: plain x86_64 numbers are a bad arch.
  rp.arches.erase(rp.arches.begin());
  p = compile(rp);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0)), SECCOMP_RET_KILL_PROCESS);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0x40000001)), SECCOMP_RET_ALLOW);
}

TEST(Compiler, X86Multiplexers) {
  ResolvedProfile rp;
  rp.default_action = Action::errno_(1);
  ArchTable t;
  t.arch = Arch::X86;
  t.rules.push_back(R(Arch::X86, "socket", Action::allow(), {C(0, CmpOp::NE, 40), C(2, CmpOp::EQ, 5)}));
  t.rules.push_back(R(Arch::X86, "shmget", Action::errno_(13)));
  rp.arches.push_back(t);
  CompileOptions compat;  // libseccomp's multiplexing (the default is fail-closed: see below)
  compat.libseccomp_compat = true;
  auto p = compile(rp, compat);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(run(p->insns, D(Arch::X86, 359, {2, 0, 5})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86, 359, {40, 0, 5})), SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(run(p->insns, D(Arch::X86, 102, {1, 0, 5})), SECCOMP_RET_ALLOW);  // arg0 = SYS_SOCKET
  EXPECT_EQ(run(p->insns, D(Arch::X86, 102, {1, 0, 6})), SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(run(p->insns, D(Arch::X86, 102, {2, 0, 5})), SECCOMP_RET_ERRNO | 1);
  EXPECT_EQ(run(p->insns, D(Arch::X86, 395)), SECCOMP_RET_ERRNO | 13);
  EXPECT_EQ(run(p->insns, D(Arch::X86, 117, {23})), SECCOMP_RET_ERRNO | 13);  // ipc(SHMGET)
  EXPECT_EQ(run(p->insns, D(Arch::X86, 117, {24})), SECCOMP_RET_ERRNO | 1);
  // 32-bit arch: only the low word is compared.
  EXPECT_EQ(run(p->insns, D(Arch::X86, 359, {0x1'0000'0028ull, 0, 5})), SECCOMP_RET_ERRNO | 1);
  CompileOptions o;
  o.multiplexers = false;
  p = compile(rp, o);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(p->insns, D(Arch::X86, 102, {1, 0, 5})), SECCOMP_RET_ERRNO | 1);
}

TEST(Compiler, Conflicts) {
  ResolvedProfile rp;
  rp.default_action = Action::errno_(1);
  ArchTable t;
  t.arch = Arch::X86_64;
  t.rules.push_back(R(Arch::X86_64, "read", Action::allow(), {}, 10));
  t.rules.push_back(R(Arch::X86_64, "read", Action::errno_(5), {}, 20));
  rp.arches = {t};
  // Two unconditional rules: libseccomp keeps the first (podman's setns relies on it); noted.
  auto p = compile(rp);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0)), SECCOMP_RET_ALLOW);
  ASSERT_EQ(p->notes.size(), 1u);
  EXPECT_NE(p->notes[0].find("t.json:20:3"), std::string::npos) << p->notes[0];
  EXPECT_NE(p->notes[0].find("t.json:10:3"), std::string::npos) << p->notes[0];

  t.rules = {R(Arch::X86_64, "socket", Action::allow(), {C(0, CmpOp::EQ, 1)}, 10),
             R(Arch::X86_64, "socket", Action::errno_(22), {C(2, CmpOp::EQ, 9)}, 20)};
  rp.arches = {t};
  p = compile(rp);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("overlaps"), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("t.json:10:3"), std::string::npos) << p.error().message();

  // podman's socket rules: disjoint, so fine.
  t.rules = {R(Arch::X86_64, "socket", Action::errno_(22), {C(0, CmpOp::EQ, 16), C(2, CmpOp::EQ, 9)}),
             R(Arch::X86_64, "socket", Action::allow(), {C(2, CmpOp::NE, 9)}),
             R(Arch::X86_64, "socket", Action::allow(), {C(0, CmpOp::NE, 16)})};
  rp.arches = {t};
  p = compile(rp);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 41, {16, 3, 9})), SECCOMP_RET_ERRNO | 22);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 41, {16, 3, 0})), SECCOMP_RET_ALLOW);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 41, {2, 3, 9})), SECCOMP_RET_ALLOW);

  // Unconditional beats conditional (libseccomp), with a note.
  t.rules = {R(Arch::X86_64, "read", Action::errno_(5), {C(0, CmpOp::EQ, 1)}),
             R(Arch::X86_64, "read", Action::allow())};
  rp.arches = {t};
  p = compile(rp);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->stats.rules_shadowed, 1u);
  EXPECT_EQ(run(p->insns, D(Arch::X86_64, 0, {1})), SECCOMP_RET_ALLOW);
}

TEST(Compiler, ConditionOverlap) {
  using V = std::vector<ArgCond>;
  EXPECT_TRUE(conds_overlap(V{C(0, CmpOp::EQ, 1)}, V{C(1, CmpOp::EQ, 2)}, 64));
  EXPECT_FALSE(conds_overlap(V{C(0, CmpOp::EQ, 1)}, V{C(0, CmpOp::EQ, 2)}, 64));
  EXPECT_FALSE(conds_overlap(V{C(0, CmpOp::LT, 5)}, V{C(0, CmpOp::GE, 5)}, 64));
  EXPECT_TRUE(conds_overlap(V{C(0, CmpOp::LE, 5)}, V{C(0, CmpOp::GE, 5)}, 64));
  EXPECT_FALSE(conds_overlap(V{C(0, CmpOp::MaskedEq, 0xff, 0x10)}, V{C(0, CmpOp::MaskedEq, 0xf0, 0x20)}, 64));
  EXPECT_TRUE(conds_overlap(V{C(0, CmpOp::MaskedEq, 0xff, 0x10)}, V{C(0, CmpOp::GT, 0x1000)}, 64));
  EXPECT_FALSE(conds_overlap(V{C(0, CmpOp::MaskedEq, ~0ull, 7)}, V{C(0, CmpOp::NE, 7)}, 64));
  EXPECT_FALSE(conds_overlap(V{C(0, CmpOp::MaskedEq, 0xff, 0x1ff)}, V{}, 64));  // datum outside mask
  EXPECT_TRUE(conds_overlap(V{C(0, CmpOp::EQ, 0x1'0000'0001ull)}, V{C(0, CmpOp::EQ, 1)}, 32));
  EXPECT_FALSE(conds_overlap(V{C(0, CmpOp::EQ, 0x1'0000'0001ull)}, V{C(0, CmpOp::EQ, 1)}, 64));
  EXPECT_FALSE(conds_overlap(V{C(0, CmpOp::GE, 3), C(0, CmpOp::LE, 4)},
                             V{C(0, CmpOp::NE, 3), C(0, CmpOp::NE, 4)}, 64));
}

// Many argument-checked syscalls: offsets beyond 255 need trampolines.
ResolvedProfile big_profile(size_t conds_per_syscall, std::mt19937_64& rng) {
  ResolvedProfile rp;
  rp.default_action = Action::errno_(1);
  ArchTable t;
  t.arch = Arch::X86_64;
  const CmpOp ops[] = {CmpOp::EQ, CmpOp::NE, CmpOp::LT, CmpOp::LE, CmpOp::GT, CmpOp::GE, CmpOp::MaskedEq};
  const uint64_t vals[] = {0, 1, 5, 0xffffffff, 0x100000000ull, 0x1'0000'0005ull, ~0ull, 0x7e020000};
  for (const auto& e : syscall_table(Arch::X86_64)) {
    if (e.nr % 3 == 0) {
      t.rules.push_back({std::string(e.name), e.nr, {}, Action::allow(), {}});
      continue;
    }
    for (size_t i = 0; i < conds_per_syscall; i++) {
      ResolvedRule r{
          std::string(e.name), e.nr, {}, e.nr % 3 == 1 ? Action::allow() : Action::errno_(e.nr % 7 + 2), {}};
      for (int k = 0; k < 2; k++) {
        CmpOp op = ops[rng() % std::size(ops)];
        uint64_t v = vals[rng() % std::size(vals)];
        r.conds.push_back(
            C(static_cast<uint8_t>(rng() % 3), op, v, op == CmpOp::MaskedEq ? (v & 0x20000) : 0));
      }
      t.rules.push_back(r);
    }
  }
  rp.arches.push_back(t);
  return rp;
}

TEST(Compiler, LongJumpsAndOptimizerAreLossless) {
  std::mt19937_64 rng(7);
  ResolvedProfile rp = big_profile(1, rng);
  CompileOptions raw;
  raw.optimize = false;
  auto a = compile(rp, raw);
  auto b = compile(rp);
  ASSERT_TRUE(a.ok()) << a.error().message();
  ASSERT_TRUE(b.ok());
  EXPECT_GT(a->stats.trampolines, 0u);
  ASSERT_TRUE(bpf::check(a->insns).ok());
  ASSERT_TRUE(bpf::check(b->insns).ok());
  EXPECT_LE(b->insns.size(), a->insns.size());
  size_t n = 0;
  for (const auto& d : sample_cases(rp, rng, 40)) {
    uint32_t want = reference(rp, d, raw);
    ASSERT_EQ(run(a->insns, d), want) << "unoptimized nr " << d.nr;
    ASSERT_EQ(run(b->insns, d), want) << "optimized nr " << d.nr;
    n++;
  }
  EXPECT_GT(n, 5000u);
}

TEST(Compiler, RandomProfilesDifferential) {
  std::mt19937_64 rng(42);
  const Arch arches[] = {Arch::X86_64, Arch::X86, Arch::AARCH64, Arch::S390X};
  size_t compiled = 0;
  for (int iter = 0; iter < 60; iter++) {
    ResolvedProfile rp;
    rp.default_action = (iter % 3) ? Action::errno_(1) : Action{ActionKind::KillThread, 0};
    for (Arch a : arches) {
      if (rng() % 2) continue;
      ArchTable t;
      t.arch = a;
      auto tab = syscall_table(a);
      for (int i = 0; i < 40; i++) {
        const auto& e = tab[rng() % 30];
        Action act = ((e.nr + iter) % 3) ? Action::allow() : Action::errno_(e.nr % 3 + 1);
        if (rng() % 10 == 0) act = Action::errno_(rng() % 3 + 1);
        ResolvedRule r{std::string(e.name), e.nr, {}, act, {}};
        int nc = rng() % 3;
        for (int k = 0; k < nc; k++) {
          uint64_t v = (rng() % 2) ? rng() % 4 : (uint64_t(rng() % 3) << 32) | (rng() % 4);
          r.conds.push_back(C(static_cast<uint8_t>(rng() % 2), static_cast<CmpOp>(rng() % 7), v, v & 2));
        }
        t.rules.push_back(r);
      }
      rp.arches.push_back(t);
    }
    if (rp.arches.empty()) continue;
    CompileOptions o;
    o.multiplexers = false;
    auto p = compile(rp, o);
    if (!p.ok()) {
      EXPECT_NE(p.error().message().find("conflicting"), std::string::npos) << p.error().message();
      continue;
    }
    compiled++;
    ASSERT_TRUE(bpf::check(p->insns).ok());
    for (int i = 0; i < 3000; i++) {
      const auto& t = rp.arches[rng() % rp.arches.size()];
      bpf::SeccompData d = D(t.arch, t.rules[rng() % t.rules.size()].nr);
      for (auto& x : d.args) x = (uint64_t(rng() % 3) << 32) | (rng() % 5);
      if (arch_info(t.arch).bits == 32)
        for (auto& x : d.args) x &= 0xffffffff;
      ASSERT_EQ(run(p->insns, d), reference(rp, d, o))
          << "iter " << iter << " arch " << arch_info(t.arch).name << " nr " << d.nr << " args " << std::hex
          << d.args[0] << " " << d.args[1] << "\n"
          << [&] {
               auto rt = build_rule_tables(rp, o);
               return rt.ok() ? dump_rule_tables(*rt) : "";
             }();
    }
  }
  EXPECT_GT(compiled, 5u);
}

TEST(Compiler, SizeLimitNamesTheArch) {
  std::mt19937_64 rng(3);
  ResolvedProfile rp = big_profile(6, rng);
  auto p = compile(rp);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message().find("x86_64 contributes most"), std::string::npos) << p.error().message();
  EXPECT_NE(p.error().message().find("4096"), std::string::npos);
}

TEST(Compiler, PassesOnHandWrittenBytecode) {
  // ja chains, jt == jf, duplicate returns, dead code.
  std::vector<sock_filter> p = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2),  // -> 2 : 4
      BPF_STMT(BPF_JMP | BPF_JA, 0),                 // nop
      BPF_STMT(BPF_JMP | BPF_JA, 3),                 // -> 6
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 0),  // both -> 5
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),  // dead
  };
  auto before = p;
  optimize(p);
  EXPECT_LT(p.size(), before.size());
  ASSERT_TRUE(bpf::check(p).ok());
  for (int32_t nr = 0; nr < 3; nr++) EXPECT_EQ(run(p, D(Arch::X86_64, nr)), run(before, D(Arch::X86_64, nr)));
}

std::string golden_dir() { return std::string(CONFINE_SOURCE_DIR) + "/tests/golden/compiler/"; }

void golden(const std::string& name, const std::string& got) {
  std::string path = golden_dir() + name;
  if (getenv("CONFINE_UPDATE_GOLDEN")) {
    std::ofstream(path) << got;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing " << path << " (run with CONFINE_UPDATE_GOLDEN=1)";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), got) << "golden " << path << " differs (CONFINE_UPDATE_GOLDEN=1 to accept)";
}

TEST(Compiler, GoldenDumps) {
  ResolvedProfile rp;
  rp.default_action = Action::errno_(1);
  ArchTable t;
  t.arch = Arch::X86_64;
  for (auto n : {"read", "write", "close", "exit_group"})
    t.rules.push_back(R(Arch::X86_64, n, Action::allow()));
  t.rules.push_back(R(Arch::X86_64, "personality", Action::allow(), {C(0, CmpOp::EQ, 8)}));
  t.rules.push_back(R(Arch::X86_64, "clone", Action::allow(), {C(0, CmpOp::MaskedEq, 0x7e020000, 0)}));
  t.rules.push_back(R(Arch::X86_64, "prctl", Action::allow(), {C(0, CmpOp::GT, 0x1'0000'0005ull)}));
  t.rules.push_back(R(Arch::X86_64, "clone3", Action::errno_(38)));
  rp.arches.push_back(t);
  auto rt = build_rule_tables(rp);
  ASSERT_TRUE(rt.ok());
  golden("small.table", dump_rule_tables(*rt));
  auto tree = build_tree(*rt);
  ASSERT_TRUE(tree.ok());
  golden("small.tree", dump_tree(*tree));
  auto p = compile(rp);
  ASSERT_TRUE(p.ok());
  golden("small.disasm", bpf::disassemble(p->insns));
}

}  // namespace
}  // namespace confine::seccomp
