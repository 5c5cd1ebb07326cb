// The interpreter: classic BPF with the semantics seccomp gives it.
#include <cstdio>
#include <cstring>
#include <string>

#include "seccomp/bpf/bpf.h"
#include "seccomp/bpf/opcodes.h"

namespace confine::bpf {

namespace {
Error fault(size_t pc, const std::string& msg) {
  return Error("run: insn " + std::to_string(pc) + ": " + msg + " (the kernel would reject this program)");
}
}  // namespace

Endian host_endian() {
  const uint16_t one = 1;
  unsigned char b;
  std::memcpy(&b, &one, 1);
  return b == 1 ? Endian::Little : Endian::Big;
}

namespace {

// seccomp_data as the 16 32-bit words a BPF_LD|BPF_W|BPF_ABS sees on a kernel
// of the given byte order: 64-bit fields are split high-half-first on big endian.
void to_words(const SeccompData& d, Endian e, uint32_t* w) {
  auto split = [&](uint64_t v, uint32_t* at) {
    const uint32_t lo = static_cast<uint32_t>(v), hi = static_cast<uint32_t>(v >> 32);
    at[0] = e == Endian::Little ? lo : hi;
    at[1] = e == Endian::Little ? hi : lo;
  };
  w[0] = static_cast<uint32_t>(d.nr);
  w[1] = d.arch;
  split(d.instruction_pointer, w + 2);
  for (int i = 0; i < 6; ++i) split(d.args[i], w + 4 + 2 * i);
}

Result<RunResult> run_words(std::span<const sock_filter> prog, const uint32_t* words);

}  // namespace

Result<RunResult> run(std::span<const sock_filter> prog, const SeccompData& d) {
  return run(prog, d, host_endian());
}

Result<RunResult> run(std::span<const sock_filter> prog, const SeccompData& d, Endian e) {
  uint32_t words[sizeof(SeccompData) / 4];
  to_words(d, e, words);
  return run_words(prog, words);
}

namespace {

Result<RunResult> run_words(std::span<const sock_filter> prog, const uint32_t* words) {
  if (prog.empty()) return Error("run: empty program");
  if (prog.size() > kMaxInsns) return Error("run: program longer than 4096 instructions");
  uint32_t a = 0, x = 0;
  uint32_t mem[kMemWords] = {};
  uint16_t mem_valid = 0;
  constexpr uint32_t kDataSize = sizeof(SeccompData);
  const size_t n = prog.size();
  size_t executed = 0;
  for (size_t pc = 0; pc < n; ++pc) {
    const sock_filter& f = prog[pc];
    ++executed;
    const uint32_t k = f.k;
    switch (f.code) {
      case op::kLdAbsW:
        if (k >= kDataSize || (k & 3)) return fault(pc, "load offset " + std::to_string(k) + " invalid");
        a = words[k / 4];
        continue;
      case op::kLdLen: a = sizeof(SeccompData); continue;
      case op::kLdxLen: x = sizeof(SeccompData); continue;
      case op::kLdImm: a = k; continue;
      case op::kLdxImm: x = k; continue;
      case op::kLdMem:
      case op::kLdxMem:
        if (k >= kMemWords || !(mem_valid & (1u << k))) return fault(pc, "read of unwritten/invalid M[]");
        (f.code == op::kLdMem ? a : x) = mem[k];
        continue;
      case op::kSt:
      case op::kStx:
        if (k >= kMemWords) return fault(pc, "M[] index out of range");
        mem[k] = f.code == op::kSt ? a : x;
        mem_valid |= static_cast<uint16_t>(1u << k);
        continue;
      case op::kTax: x = a; continue;
      case op::kTxa: a = x; continue;
      case op::kNeg: a = 0u - a; continue;
      case op::kRetK: return RunResult{k, executed};
      case op::kRetA: return RunResult{a, executed};
      case op::kJa:
        if (k >= n - pc - 1) return fault(pc, "ja past the end");
        pc += k;
        continue;
      default: break;
    }
    if (BPF_CLASS(f.code) == BPF_ALU && (f.code & ~0xf8u) == BPF_ALU && op::is_alu_op(BPF_OP(f.code))) {
      const bool src_x = BPF_SRC(f.code) == BPF_X;
      const uint32_t s = src_x ? x : k;
      switch (BPF_OP(f.code)) {
        case BPF_ADD: a += s; break;
        case BPF_SUB: a -= s; break;
        case BPF_MUL: a *= s; break;
        case BPF_DIV:
          if (s == 0) {
            if (!src_x) return fault(pc, "division by constant 0");
            return RunResult{0, executed};  // the kernel's cBPF semantics: return 0
          }
          a /= s;
          break;
        case BPF_AND: a &= s; break;
        case BPF_OR: a |= s; break;
        case BPF_XOR: a ^= s; break;
        case BPF_LSH:
          if (!src_x && s >= 32) return fault(pc, "shift by constant >= 32");
          a <<= (s & 31);
          break;
        case BPF_RSH:
          if (!src_x && s >= 32) return fault(pc, "shift by constant >= 32");
          a >>= (s & 31);
          break;
      }
      continue;
    }
    if (op::is_cond_jump(f.code)) {
      const uint32_t s = BPF_SRC(f.code) == BPF_X ? x : k;
      bool t = false;
      switch (BPF_OP(f.code)) {
        case BPF_JEQ: t = a == s; break;
        case BPF_JGT: t = a > s; break;
        case BPF_JGE: t = a >= s; break;
        case BPF_JSET: t = (a & s) != 0; break;
      }
      const size_t off = t ? f.jt : f.jf;
      if (pc + off + 1 >= n) return fault(pc, "jump past the end");
      pc += off;
      continue;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "0x%04x", f.code);
    return fault(pc, std::string("opcode ") + buf + " (" + std::string(op::mnemonic(f.code)) +
                         ") not allowed in seccomp filters");
  }
  return fault(n - 1, "execution fell off the end of the program without a return");
}

}  // namespace

}  // namespace confine::bpf
