// Classic BPF opcode facts shared by the checker, interpreter and disassembler
// of this module (not by the compiler).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string_view>

namespace confine::bpf::op {

inline constexpr uint16_t kLdAbsW = BPF_LD | BPF_W | BPF_ABS;
inline constexpr uint16_t kLdAbsH = BPF_LD | BPF_H | BPF_ABS;
inline constexpr uint16_t kLdAbsB = BPF_LD | BPF_B | BPF_ABS;
inline constexpr uint16_t kLdLen = BPF_LD | BPF_W | BPF_LEN;
inline constexpr uint16_t kLdIndW = BPF_LD | BPF_W | BPF_IND;
inline constexpr uint16_t kLdIndH = BPF_LD | BPF_H | BPF_IND;
inline constexpr uint16_t kLdIndB = BPF_LD | BPF_B | BPF_IND;
inline constexpr uint16_t kLdImm = BPF_LD | BPF_IMM;
inline constexpr uint16_t kLdMem = BPF_LD | BPF_MEM;
inline constexpr uint16_t kLdxLen = BPF_LDX | BPF_W | BPF_LEN;
inline constexpr uint16_t kLdxMsh = BPF_LDX | BPF_B | BPF_MSH;
inline constexpr uint16_t kLdxImm = BPF_LDX | BPF_IMM;
inline constexpr uint16_t kLdxMem = BPF_LDX | BPF_MEM;
inline constexpr uint16_t kSt = BPF_ST;
inline constexpr uint16_t kStx = BPF_STX;
inline constexpr uint16_t kTax = BPF_MISC | BPF_TAX;
inline constexpr uint16_t kTxa = BPF_MISC | BPF_TXA;
inline constexpr uint16_t kRetK = BPF_RET | BPF_K;
inline constexpr uint16_t kRetA = BPF_RET | BPF_A;
inline constexpr uint16_t kJa = BPF_JMP | BPF_JA;
inline constexpr uint16_t kDivK = BPF_ALU | BPF_DIV | BPF_K;
inline constexpr uint16_t kModK = BPF_ALU | BPF_MOD | BPF_K;
inline constexpr uint16_t kLshK = BPF_ALU | BPF_LSH | BPF_K;
inline constexpr uint16_t kRshK = BPF_ALU | BPF_RSH | BPF_K;
inline constexpr uint16_t kNeg = BPF_ALU | BPF_NEG;

inline bool is_cond_jump(uint16_t c) {
  if (BPF_CLASS(c) != BPF_JMP || (c & ~0xf8u) != BPF_JMP) return false;
  uint16_t o = BPF_OP(c);
  return o == BPF_JEQ || o == BPF_JGT || o == BPF_JGE || o == BPF_JSET;
}

inline bool is_alu_op(uint16_t o) {
  return o == BPF_ADD || o == BPF_SUB || o == BPF_MUL || o == BPF_DIV || o == BPF_AND || o == BPF_OR ||
         o == BPF_XOR || o == BPF_LSH || o == BPF_RSH;
}

// seccomp_check_filter()'s list (after the rewrite of LD|W|ABS and the LENs).
inline bool seccomp_allowed(uint16_t c) {
  switch (c) {
    case kLdAbsW:
    case kLdLen:
    case kLdxLen:
    case kRetK:
    case kRetA:
    case kNeg:
    case kLdImm:
    case kLdxImm:
    case kTax:
    case kTxa:
    case kLdMem:
    case kLdxMem:
    case kSt:
    case kStx:
    case kJa: return true;
  }
  if (BPF_CLASS(c) == BPF_ALU && (c & ~0xf8u) == BPF_ALU) return is_alu_op(BPF_OP(c));  // K or X source
  return is_cond_jump(c);
}

// bpf_check_classic()'s chk_code_allowed(): the superset socket filters may use.
inline bool classic_allowed(uint16_t c) {
  switch (c) {
    case kModK:
    case BPF_ALU | BPF_MOD | BPF_X:
    case kLdAbsH:
    case kLdAbsB:
    case kLdIndW:
    case kLdIndH:
    case kLdIndB:
    case kLdxMsh: return true;
  }
  return seccomp_allowed(c);
}

// Short name of an opcode for messages ("jeq", "mod", "ldh", "?").
inline std::string_view mnemonic(uint16_t c) {
  switch (BPF_CLASS(c)) {
    case BPF_LD:
      switch (BPF_MODE(c)) {
        case BPF_ABS:
        case BPF_IND:
          return BPF_SIZE(c) == BPF_W   ? "ld"
                 : BPF_SIZE(c) == BPF_H ? "ldh"
                 : BPF_SIZE(c) == BPF_B ? "ldb"
                                        : "ld?";
        default: return "ld";
      }
    case BPF_LDX: return BPF_MODE(c) == BPF_MSH ? "ldxb" : "ldx";
    case BPF_ST: return "st";
    case BPF_STX: return "stx";
    case BPF_ALU:
      switch (BPF_OP(c)) {
        case BPF_ADD: return "add";
        case BPF_SUB: return "sub";
        case BPF_MUL: return "mul";
        case BPF_DIV: return "div";
        case BPF_MOD: return "mod";
        case BPF_AND: return "and";
        case BPF_OR: return "or";
        case BPF_XOR: return "xor";
        case BPF_LSH: return "lsh";
        case BPF_RSH: return "rsh";
        case BPF_NEG: return "neg";
        default: return "alu?";
      }
    case BPF_JMP:
      switch (BPF_OP(c)) {
        case BPF_JA: return "ja";
        case BPF_JEQ: return "jeq";
        case BPF_JGT: return "jgt";
        case BPF_JGE: return "jge";
        case BPF_JSET: return "jset";
        default: return "jmp?";
      }
    case BPF_RET: return "ret";
    case BPF_MISC: return BPF_MISCOP(c) == BPF_TAX ? "tax" : "txa";
  }
  return "?";
}

}  // namespace confine::bpf::op
