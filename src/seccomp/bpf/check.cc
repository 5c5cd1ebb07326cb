// The kernel's load-time rules for a seccomp filter: bpf_check_classic()
// (net/core/filter.c) followed by seccomp_check_filter() (kernel/seccomp.c).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "seccomp/bpf/bpf.h"
#include "seccomp/bpf/opcodes.h"

namespace confine::bpf {

namespace {

Error at(size_t pc, const sock_filter& f, const std::string& msg) {
  char buf[64];
  snprintf(buf, sizeof buf, "insn %zu (code 0x%04x k 0x%x): ", pc, f.code, f.k);
  return Error(buf + msg);
}

// check_load_and_stores(): a scratch cell may only be read if every path to the
// read writes it first. Same conservative dataflow as the kernel (forward jumps).
Status check_mem(std::span<const sock_filter> prog) {
  std::vector<uint16_t> masks(prog.size(), 0xffff);
  uint16_t valid = 0;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    valid &= masks[pc];
    switch (f.code) {
      case op::kSt:
      case op::kStx: valid |= static_cast<uint16_t>(1u << f.k); break;
      case op::kLdMem:
      case op::kLdxMem:
        if (!(valid & (1u << f.k)))
          return at(pc, f,
                    "reads M[" + std::to_string(f.k) + "] which is not written on every path before it");
        break;
      case op::kJa:
        masks[pc + 1 + f.k] &= valid;
        valid = 0xffff;
        break;
      default:
        if (op::is_cond_jump(f.code)) {
          masks[pc + 1 + f.jt] &= valid;
          masks[pc + 1 + f.jf] &= valid;
          valid = 0xffff;
        }
    }
  }
  return ok();
}

}  // namespace

Status check(std::span<const sock_filter> prog) {
  if (prog.empty()) return Error("empty program (the kernel needs 1..4096 instructions)");
  if (prog.size() > kMaxInsns)
    return Error("program has " + std::to_string(prog.size()) +
                 " instructions, the kernel allows at most 4096");
  const size_t n = prog.size();
  for (size_t pc = 0; pc < n; ++pc) {
    const sock_filter& f = prog[pc];
    if (!op::seccomp_allowed(f.code)) {
      std::string what =
          op::classic_allowed(f.code) ? "opcode not allowed in seccomp filters" : "unknown opcode";
      return at(pc, f, what + " (" + std::string(op::mnemonic(f.code)) + ")");
    }
    switch (f.code) {
      case op::kDivK:
        if (f.k == 0) return at(pc, f, "division by constant 0");
        break;
      case op::kLshK:
      case op::kRshK:
        if (f.k >= 32) return at(pc, f, "shift by " + std::to_string(f.k) + " (must be < 32)");
        break;
      case op::kLdMem:
      case op::kLdxMem:
      case op::kSt:
      case op::kStx:
        if (f.k >= kMemWords)
          return at(pc, f, "scratch cell M[" + std::to_string(f.k) + "] out of range (0..15)");
        break;
      case op::kJa:
        if (f.k >= n - pc - 1)
          return at(pc, f,
                    "ja target " + std::to_string(pc + 1 + uint64_t{f.k}) + " past the end (" +
                        std::to_string(n) + " instructions)");
        break;
      case op::kLdAbsW:
        if (f.k >= sizeof(SeccompData) || (f.k & 3))
          return at(pc, f,
                    "load offset " + std::to_string(f.k) +
                        " is not a 32-bit aligned offset inside seccomp_data (0..60)");
        break;
      default:
        if (op::is_cond_jump(f.code)) {
          if (pc + f.jt + 1 >= n || pc + f.jf + 1 >= n)
            return at(pc, f,
                      "jump target " + std::to_string(pc + 1 + std::max(f.jt, f.jf)) + " past the end (" +
                          std::to_string(n) + " instructions)");
        }
    }
  }
  const sock_filter& last = prog[n - 1];
  if (last.code != op::kRetK && last.code != op::kRetA)
    return at(n - 1, last, "last instruction is not a return");
  return check_mem(prog);
}

}  // namespace confine::bpf
