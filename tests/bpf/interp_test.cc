// Interpreter and checker: every opcode's semantics, every load-time rule.
#include <gtest/gtest.h>

#include "bpf/programs.h"
#include "seccomp/bpf/bpf.h"

namespace confine::bpf {
namespace {

using testprogs::jump;
using testprogs::Prog;
using testprogs::stmt;

uint32_t run_ok(const Prog& p, const SeccompData& d = {}) {
  EXPECT_TRUE(check(p).ok()) << check(p).error().message();
  auto r = run(p, d);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? r->ret : 0xdeadbeef;
}

// A = <value>, then apply insns, then ret A.
uint32_t eval_a(uint32_t a0, uint32_t x0, std::vector<sock_filter> body) {
  Prog p = {stmt(BPF_LDX | BPF_IMM, x0), stmt(BPF_LD | BPF_IMM, a0)};
  p.insert(p.end(), body.begin(), body.end());
  p.push_back(stmt(BPF_RET | BPF_A, 0));
  return run_ok(p);
}

TEST(Check, KernelRules) {
  for (const auto& c : testprogs::check_cases()) {
    Status s = check(c.prog);
    EXPECT_EQ(s.ok(), c.valid) << c.name << ": " << (s.ok() ? "accepted" : s.error().message());
  }
}

TEST(Check, MessagesNameTheInstruction) {
  Status s =
      check(Prog{stmt(BPF_RET | BPF_K, 0), stmt(BPF_ALU | BPF_MOD | BPF_K, 3), stmt(BPF_RET | BPF_K, 0)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("insn 1"), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().message().find("not allowed in seccomp"), std::string::npos) << s.error().message();
  s = check(Prog{});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("empty"), std::string::npos);
  s = check(Prog{stmt(BPF_LD | BPF_W | BPF_ABS, 6), stmt(BPF_RET | BPF_K, 0)});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("aligned"), std::string::npos) << s.error().message();
}

TEST(Run, Loads) {
  SeccompData d;
  d.nr = 59;
  d.arch = AUDIT_ARCH_X86_64;
  d.instruction_pointer = 0x1122334455667788ull;
  for (int i = 0; i < 6; ++i) d.args[i] = (uint64_t{0xa0u + i} << 32) | (0xb0u + i);
  auto ld = [&](uint32_t off) {
    return run_ok({stmt(BPF_LD | BPF_W | BPF_ABS, off), stmt(BPF_RET | BPF_A, 0)}, d);
  };
  EXPECT_EQ(ld(0), 59u);
  EXPECT_EQ(ld(4), AUDIT_ARCH_X86_64);
  EXPECT_EQ(ld(8), 0x55667788u);  // little endian host: low half first
  EXPECT_EQ(ld(12), 0x11223344u);
  for (uint32_t i = 0; i < 6; ++i) {
    EXPECT_EQ(ld(16 + 8 * i), 0xb0u + i);
    EXPECT_EQ(ld(20 + 8 * i), 0xa0u + i);
  }
  EXPECT_EQ(run_ok({stmt(BPF_LD | BPF_W | BPF_LEN, 0), stmt(BPF_RET | BPF_A, 0)}), 64u);
  EXPECT_EQ(
      run_ok({stmt(BPF_LDX | BPF_W | BPF_LEN, 0), stmt(BPF_MISC | BPF_TXA, 0), stmt(BPF_RET | BPF_A, 0)}),
      64u);
  EXPECT_EQ(eval_a(7, 9, {stmt(BPF_MISC | BPF_TXA, 0)}), 9u);
  EXPECT_EQ(
      eval_a(7, 9, {stmt(BPF_MISC | BPF_TAX, 0), stmt(BPF_LD | BPF_IMM, 1), stmt(BPF_MISC | BPF_TXA, 0)}),
      7u);
  EXPECT_EQ(eval_a(7, 9, {stmt(BPF_ST, 5), stmt(BPF_STX, 6), stmt(BPF_LD | BPF_MEM, 6)}), 9u);
  EXPECT_EQ(
      eval_a(7, 9,
             {stmt(BPF_ST, 5), stmt(BPF_STX, 6), stmt(BPF_LDX | BPF_MEM, 5), stmt(BPF_MISC | BPF_TXA, 0)}),
      7u);
}

TEST(Run, Alu) {
  const uint16_t K = BPF_ALU | BPF_K, X = BPF_ALU | BPF_X;
  EXPECT_EQ(eval_a(0xffffffff, 0, {stmt(K | BPF_ADD, 2)}), 1u);  // 32-bit wrap
  EXPECT_EQ(eval_a(5, 7, {stmt(X | BPF_ADD, 0)}), 12u);
  EXPECT_EQ(eval_a(1, 0, {stmt(K | BPF_SUB, 2)}), 0xffffffffu);
  EXPECT_EQ(eval_a(10, 3, {stmt(X | BPF_SUB, 0)}), 7u);
  EXPECT_EQ(eval_a(0x10000, 0, {stmt(K | BPF_MUL, 0x10000)}), 0u);
  EXPECT_EQ(eval_a(6, 7, {stmt(X | BPF_MUL, 0)}), 42u);
  EXPECT_EQ(eval_a(100, 0, {stmt(K | BPF_DIV, 7)}), 14u);
  EXPECT_EQ(eval_a(100, 9, {stmt(X | BPF_DIV, 0)}), 11u);
  EXPECT_EQ(eval_a(0xf0f0, 0, {stmt(K | BPF_AND, 0xff00)}), 0xf000u);
  EXPECT_EQ(eval_a(0xf0f0, 0x0f00, {stmt(X | BPF_AND, 0)}), 0x0000u);
  EXPECT_EQ(eval_a(0xf0f0, 0, {stmt(K | BPF_OR, 0x0f00)}), 0xfff0u);
  EXPECT_EQ(eval_a(0xf0f0, 0x000f, {stmt(X | BPF_OR, 0)}), 0xf0ffu);
  EXPECT_EQ(eval_a(0xff, 0, {stmt(K | BPF_XOR, 0x0f)}), 0xf0u);
  EXPECT_EQ(eval_a(0xff, 0xff, {stmt(X | BPF_XOR, 0)}), 0u);
  EXPECT_EQ(eval_a(1, 0, {stmt(K | BPF_LSH, 31)}), 0x80000000u);
  EXPECT_EQ(eval_a(1, 4, {stmt(X | BPF_LSH, 0)}), 16u);
  EXPECT_EQ(eval_a(1, 33, {stmt(X | BPF_LSH, 0)}), 2u);           // count masked with 31, as the kernel does
  EXPECT_EQ(eval_a(0x80000000, 0, {stmt(K | BPF_RSH, 31)}), 1u);  // logical shift
  EXPECT_EQ(eval_a(256, 4, {stmt(X | BPF_RSH, 0)}), 16u);
  EXPECT_EQ(eval_a(1, 0, {stmt(BPF_ALU | BPF_NEG, 0)}), 0xffffffffu);
}

TEST(Run, DivisionByXZeroReturnsZero) {
  Prog p = {stmt(BPF_LDX | BPF_IMM, 0), stmt(BPF_LD | BPF_IMM, 5), stmt(BPF_ALU | BPF_DIV | BPF_X, 0),
            stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  auto r = run(p, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ret, 0u);  // SECCOMP_RET_KILL_THREAD
  EXPECT_EQ(r->executed, 3u);
}

TEST(Run, Jumps) {
  // ret (A <op> k) ? 1 : 2
  auto j = [](uint16_t op, uint32_t a, uint32_t k, bool x) {
    Prog p = {stmt(BPF_LDX | BPF_IMM, k), stmt(BPF_LD | BPF_IMM, a),
              jump(BPF_JMP | op | (x ? BPF_X : BPF_K), k, 0, 1), stmt(BPF_RET | BPF_K, 1),
              stmt(BPF_RET | BPF_K, 2)};
    return run_ok(p) == 1;
  };
  for (bool x : {false, true}) {
    EXPECT_TRUE(j(BPF_JEQ, 5, 5, x));
    EXPECT_FALSE(j(BPF_JEQ, 5, 6, x));
    EXPECT_TRUE(j(BPF_JGT, 6, 5, x));
    EXPECT_FALSE(j(BPF_JGT, 5, 5, x));
    EXPECT_TRUE(j(BPF_JGT, 0xffffffff, 1, x));  // unsigned
    EXPECT_TRUE(j(BPF_JGE, 5, 5, x));
    EXPECT_FALSE(j(BPF_JGE, 4, 5, x));
    EXPECT_TRUE(j(BPF_JSET, 6, 2, x));
    EXPECT_FALSE(j(BPF_JSET, 5, 2, x));
  }
  Prog ja = {stmt(BPF_JMP | BPF_JA, 2), stmt(BPF_RET | BPF_K, 1), stmt(BPF_RET | BPF_K, 2),
             stmt(BPF_RET | BPF_K, 3)};
  auto r = run(ja, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->ret, 3u);
  EXPECT_EQ(r->executed, 2u);
}

TEST(Run, ArchAndSyscallFilter) {
  // A typical hand-written filter: x86_64 only, deny x32, ERRNO(1) for ptrace (101), allow the rest.
  Prog p = {
      stmt(BPF_LD | BPF_W | BPF_ABS, 4),
      jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      stmt(BPF_LD | BPF_W | BPF_ABS, 0),
      jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 2, 0),
      jump(BPF_JMP | BPF_JEQ | BPF_K, 101, 1, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
  };
  SeccompData d;
  d.arch = AUDIT_ARCH_X86_64;
  d.nr = 0;
  EXPECT_EQ(run_ok(p, d), SECCOMP_RET_ALLOW);
  d.nr = 101;
  EXPECT_EQ(run_ok(p, d), SECCOMP_RET_ERRNO | 1);
  d.nr = 0x40000000 | 0;
  EXPECT_EQ(run_ok(p, d), SECCOMP_RET_ERRNO | 1);
  d.arch = AUDIT_ARCH_I386;
  EXPECT_EQ(run_ok(p, d), SECCOMP_RET_KILL_PROCESS);
}

TEST(Run, ErrorsOnlyForRejectedPrograms) {
  // Every rejected program that run() reaches a bad instruction in reports an error, never crashes.
  for (const auto& c : testprogs::check_cases()) {
    auto r = run(c.prog, {});
    if (c.valid) {
      EXPECT_TRUE(r.ok()) << c.name << ": " << r.error().message();
    }
  }
  EXPECT_FALSE(run(Prog{stmt(BPF_LD | BPF_IMM, 0)}, {}).ok());  // falls off the end
  EXPECT_FALSE(run(Prog{stmt(BPF_ALU | BPF_MOD | BPF_K, 2), stmt(BPF_RET | BPF_K, 0)}, {}).ok());
  EXPECT_FALSE(run(Prog{stmt(BPF_LD | BPF_MEM, 0), stmt(BPF_RET | BPF_K, 0)}, {}).ok());
  EXPECT_FALSE(run(Prog{stmt(BPF_JMP | BPF_JA, 5), stmt(BPF_RET | BPF_K, 0)}, {}).ok());
  EXPECT_FALSE(run(Prog{jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 9, 9), stmt(BPF_RET | BPF_K, 0)}, {}).ok());
  EXPECT_FALSE(run(Prog{stmt(BPF_LD | BPF_W | BPF_ABS, 64), stmt(BPF_RET | BPF_K, 0)}, {}).ok());
  EXPECT_FALSE(run(Prog{}, {}).ok());
}

TEST(RetStr, Actions) {
  EXPECT_EQ(ret_str(SECCOMP_RET_ALLOW), "ALLOW");
  EXPECT_EQ(ret_str(SECCOMP_RET_ERRNO | 1), "ERRNO(1)");
  EXPECT_EQ(ret_str(SECCOMP_RET_KILL_PROCESS), "KILL_PROCESS");
  EXPECT_EQ(ret_str(SECCOMP_RET_KILL_THREAD), "KILL_THREAD");
  EXPECT_EQ(ret_str(SECCOMP_RET_TRAP), "TRAP(0)");
  EXPECT_EQ(ret_str(SECCOMP_RET_TRACE | 3), "TRACE(3)");
  EXPECT_EQ(ret_str(SECCOMP_RET_LOG), "LOG");
  EXPECT_EQ(ret_str(SECCOMP_RET_USER_NOTIF), "USER_NOTIF");
  EXPECT_EQ(ret_str(0x12340000), "0x12340000(=KILL_PROCESS)");
}

TEST(Bytes, RoundTrip) {
  Prog p = {stmt(BPF_LD | BPF_W | BPF_ABS, 4), jump(BPF_JMP | BPF_JEQ | BPF_K, 0xc000003e, 1, 2),
            stmt(BPF_RET | BPF_K, 0)};
  std::string b = to_bytes(p);
  EXPECT_EQ(b.size(), 24u);
  auto back = from_bytes(b);
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[1].code, p[1].code);
  EXPECT_EQ((*back)[1].jt, 1);
  EXPECT_EQ((*back)[1].jf, 2);
  EXPECT_EQ((*back)[1].k, 0xc000003eu);
  EXPECT_FALSE(from_bytes("").ok());
  EXPECT_FALSE(from_bytes(std::string(12, '\0')).ok());
}

}  // namespace
}  // namespace confine::bpf
