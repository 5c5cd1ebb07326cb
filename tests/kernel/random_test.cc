// Random programs against the real kernel: the kernel accepts exactly what
// bpf::check accepts, and for accepted programs the kernel's verdict equals the
// interpreter's. Each program ends in "and #0x7ff; add #1; or #ERRNO; ret a", so
// the errno the child observes exposes 11 bits of the accumulator: ALU
// semantics (wrap-around, unsigned compares, division by X == 0, shifts by
// X >= 32, NEG, scratch memory) are checked bit-for-bit, not just allow/deny.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cstdlib>
#include <random>

#include "kernel/harness.h"
#include "seccomp/bpf/bpf.h"
#include "syscalls/syscalls.h"

namespace confine::ktest {
namespace {

struct Gen {
  std::mt19937_64 rng;
  uint32_t u32() { return static_cast<uint32_t>(rng()); }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng() % n); }
  uint32_t imm() {
    switch (below(6)) {
      case 0: return below(4);
      case 1: return below(64);
      case 2: return 0xffffffffu - below(3);
      case 3: return 0x80000000u;
      default: return u32();
    }
  }

  std::vector<sock_filter> program() {
    static const uint16_t alu_ops[] = {BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND,
                                       BPF_OR,  BPF_XOR, BPF_LSH, BPF_RSH};
    static const uint16_t jmp_ops[] = {BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET};
    const uint32_t body = 4 + below(20);
    std::vector<sock_filter> p;
    for (uint32_t i = 0; i < body; ++i) {
      const uint32_t left = body - i - 1;  // instructions after this one in the body
      sock_filter f{};
      switch (below(12)) {
        case 0: {  // nr, arch or an argument half (instruction_pointer is not predictable)
          uint32_t w = below(14);
          f = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, w < 2 ? 4 * w : 4 * (w + 2));
          break;
        }
        case 1: f = BPF_STMT(BPF_LD | BPF_IMM, imm()); break;
        case 2: f = BPF_STMT(BPF_LDX | BPF_IMM, below(3) == 0 ? below(40) : imm()); break;
        case 3: f = BPF_STMT(BPF_MISC | (below(2) ? BPF_TAX : BPF_TXA), 0); break;
        case 4:
        case 5: {
          uint16_t op = alu_ops[below(9)];
          uint32_t k = (op == BPF_LSH || op == BPF_RSH) ? below(36) : (op == BPF_DIV ? below(9) : imm());
          f = BPF_STMT(BPF_ALU | op | BPF_K, k);
          break;
        }
        case 6: f = BPF_STMT(BPF_ALU | alu_ops[below(9)] | BPF_X, 0); break;
        case 7: f = BPF_STMT(BPF_ALU | BPF_NEG, 0); break;
        case 8: f = BPF_STMT(below(2) ? BPF_ST : BPF_STX, below(4)); break;
        case 9: f = BPF_STMT(below(2) ? (BPF_LD | BPF_MEM) : (BPF_LDX | BPF_MEM), below(4)); break;
        case 10: {
          uint8_t jt = static_cast<uint8_t>(below(left + 1)), jf = static_cast<uint8_t>(below(left + 1));
          f = BPF_JUMP(BPF_JMP | jmp_ops[below(4)] | (below(2) ? BPF_X : BPF_K), imm(), jt, jf);
          break;
        }
        default:
          if (below(4) == 0) {
            f = BPF_STMT(BPF_JMP | BPF_JA, below(left + 1));
          } else {
            f = BPF_STMT((below(2) ? BPF_LD : BPF_LDX) | BPF_W | BPF_LEN, 0);
          }
      }
      p.push_back(f);
    }
    // Expose 11 bits of A, shifted by a random amount, as an errno 1..2048.
    p.push_back(BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, below(22)));
    p.push_back(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x7ff));
    p.push_back(BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1));
    p.push_back(BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO));
    p.push_back(BPF_STMT(BPF_RET | BPF_A, 0));
    return p;
  }
};

TEST(KernelRandom, CheckerAndInterpreterAgreeWithTheKernel) {
  ASSERT_TRUE(seccomp_available()) << "seccomp filters cannot be installed here";
  uint64_t seed = 0x5eccu;
  if (const char* s = std::getenv("CONFINE_KTEST_SEED")) seed = std::strtoull(s, nullptr, 0);
  const int n = std::getenv("CONFINE_KTEST_N") ? std::atoi(std::getenv("CONFINE_KTEST_N")) : 250;
  Gen g{std::mt19937_64(seed)};
  int accepted = 0, rejected = 0, killed = 0;
  for (int i = 0; i < n; ++i) {
    auto prog = g.program();
    Probe p{"getppid(random args)", Abi::Native, *syscall_number(Arch::X86_64, "getppid"), {}};
    for (auto& a : p.args) a = g.below(3) == 0 ? g.below(40) : g.rng();
    const bool ok = bpf::check(prog).ok();
    Outcome got = run_probe(prog, p);
    const bool kernel_ok = got.kind != Outcome::Kind::InstallFailed;
    ASSERT_EQ(ok, kernel_ok) << "seed " << seed << " #" << i << ": check " << (ok ? "accepts" : "rejects")
                             << ", kernel: " << got.str() << "\n"
                             << bpf::disassemble(prog);
    if (!ok) {
      ++rejected;
      continue;
    }
    ++accepted;
    auto v = bpf::run(prog, p.data());
    ASSERT_TRUE(v.ok()) << v.error().message();
    Outcome want = predict(v->ret, Outcome{});
    killed += want.kind == Outcome::Kind::Signaled;
    ASSERT_TRUE(same(want, got)) << "seed " << seed << " #" << i << ": interpreter " << bpf::ret_str(v->ret)
                                 << " (" << want.str() << "), kernel " << got.str() << "\n"
                                 << bpf::disassemble(prog);
    if (want.kind == Outcome::Kind::Returned) {
      ASSERT_EQ(want.err, got.err);
    }
  }
  std::cerr << "random programs: " << accepted << " accepted (" << killed << " killed by div-by-X-zero), "
            << rejected << " rejected, all as predicted\n";
  EXPECT_GT(accepted, n / 5);
  EXPECT_GT(rejected, n / 10);
}

}  // namespace
}  // namespace confine::ktest

namespace confine::ktest {
namespace {

// Acceptance only, with opcodes drawn from the whole 8-bit code space (and a few
// 16-bit ones) and random jt/jf/k: the checker's opcode table, its special
// cases and the kernel's must agree everywhere, not just on the codes we emit.
TEST(KernelRandom, AnyOpcodeAcceptanceMatchesCheck) {
  ASSERT_TRUE(seccomp_available()) << "seccomp filters cannot be installed here";
  std::mt19937_64 rng(0xc0de);
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 400; ++i) {
    const int len = 1 + static_cast<int>(rng() % 3);
    std::vector<sock_filter> p;
    for (int j = 0; j < len; ++j) {
      sock_filter f{};
      // Half from the classic (socket filter) table, which seccomp narrows, half anything.
      static const uint16_t classic[] = {0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c,
                                         0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64, 0x6c, 0x74, 0x7c,
                                         0x84, 0x20, 0x28, 0x30, 0x80, 0x40, 0x48, 0x50, 0x00, 0x60,
                                         0x81, 0xb1, 0x01, 0x61, 0x02, 0x03, 0x07, 0x87, 0x06, 0x16,
                                         0x05, 0x15, 0x1d, 0x35, 0x3d, 0x25, 0x2d, 0x45, 0x4d};
      const uint64_t r = rng();
      f.code = static_cast<uint16_t>(r % 2 ? classic[(r >> 1) % std::size(classic)]
                                           : (r % 50 == 0 ? (r >> 8) : (r >> 8) % 256));
      f.jt = static_cast<uint8_t>(rng() % 3);
      f.jf = static_cast<uint8_t>(rng() % 3);
      switch (rng() % 4) {
        case 0: f.k = static_cast<uint32_t>(rng() % 70); break;
        case 1: f.k = static_cast<uint32_t>(rng() % 3); break;
        case 2: f.k = 0xfffff000u + static_cast<uint32_t>(rng() % 64); break;  // SKF_AD_OFF range
        default: f.k = static_cast<uint32_t>(rng());
      }
      p.push_back(f);
    }
    p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    const bool ok = bpf::check(p).ok();
    Outcome o = install_only(p);
    const bool kernel_ok = o.kind != Outcome::Kind::InstallFailed;
    ASSERT_EQ(ok, kernel_ok) << "#" << i << ": check " << (ok ? "accepts" : bpf::check(p).error().message())
                             << "; kernel " << o.str() << "\n"
                             << bpf::disassemble(p);
    (ok ? accepted : rejected)++;
  }
  std::cerr << "random opcodes: " << accepted << " accepted, " << rejected << " rejected, kernel agrees\n";
  EXPECT_GT(accepted, 20);
}

}  // namespace
}  // namespace confine::ktest
