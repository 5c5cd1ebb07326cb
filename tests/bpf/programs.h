// Handwritten classic BPF programs shared by the BPF unit tests (and, through
// tests/kernel, checked against the real kernel's verdict).
#pragma once

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <string>
#include <vector>

namespace confine::bpf::testprogs {

using Prog = std::vector<sock_filter>;

inline sock_filter stmt(uint16_t code, uint32_t k) { return BPF_STMT(code, k); }
inline sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
  return BPF_JUMP(code, k, jt, jf);
}

struct Case {
  std::string name;
  Prog prog;
  bool valid;  // what the kernel says (seccomp(SECCOMP_SET_MODE_FILTER) succeeds)
};

// Programs the kernel accepts or rejects, one per rule of bpf_check_classic / seccomp_check_filter.
inline std::vector<Case> check_cases() {
  const auto ret_allow = stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  std::vector<Case> v;
  v.push_back({"ret_only", {ret_allow}, true});
  v.push_back({"ld_nr", {stmt(BPF_LD | BPF_W | BPF_ABS, 0), ret_allow}, true});
  v.push_back({"ld_last_arg_hi", {stmt(BPF_LD | BPF_W | BPF_ABS, 60), ret_allow}, true});
  v.push_back({"ld_offset_64", {stmt(BPF_LD | BPF_W | BPF_ABS, 64), ret_allow}, false});
  v.push_back({"ld_unaligned", {stmt(BPF_LD | BPF_W | BPF_ABS, 2), ret_allow}, false});
  v.push_back({"ld_half", {stmt(BPF_LD | BPF_H | BPF_ABS, 0), ret_allow}, false});
  v.push_back({"ld_byte", {stmt(BPF_LD | BPF_B | BPF_ABS, 0), ret_allow}, false});
  v.push_back({"ld_ind", {stmt(BPF_LD | BPF_W | BPF_IND, 0), ret_allow}, false});
  v.push_back({"ld_anc", {stmt(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL), ret_allow}, false});
  v.push_back({"ld_len", {stmt(BPF_LD | BPF_W | BPF_LEN, 0), stmt(BPF_RET | BPF_A, 0)}, true});
  v.push_back({"ldx_len", {stmt(BPF_LDX | BPF_W | BPF_LEN, 0), ret_allow}, true});
  v.push_back({"ldx_msh", {stmt(BPF_LDX | BPF_B | BPF_MSH, 0), ret_allow}, false});
  v.push_back({"mod_k", {stmt(BPF_ALU | BPF_MOD | BPF_K, 3), ret_allow}, false});
  v.push_back({"mod_x", {stmt(BPF_ALU | BPF_MOD | BPF_X, 0), ret_allow}, false});
  v.push_back({"div_k0", {stmt(BPF_ALU | BPF_DIV | BPF_K, 0), ret_allow}, false});
  v.push_back({"div_k1", {stmt(BPF_ALU | BPF_DIV | BPF_K, 1), ret_allow}, true});
  v.push_back({"div_x", {stmt(BPF_ALU | BPF_DIV | BPF_X, 0), ret_allow}, true});
  v.push_back({"lsh_31", {stmt(BPF_ALU | BPF_LSH | BPF_K, 31), ret_allow}, true});
  v.push_back({"lsh_32", {stmt(BPF_ALU | BPF_LSH | BPF_K, 32), ret_allow}, false});
  v.push_back({"rsh_32", {stmt(BPF_ALU | BPF_RSH | BPF_K, 32), ret_allow}, false});
  v.push_back({"neg", {stmt(BPF_ALU | BPF_NEG, 0), ret_allow}, true});
  v.push_back({"neg_x", {stmt(BPF_ALU | BPF_NEG | BPF_X, 0), ret_allow}, false});
  v.push_back({"alu_bad_op", {stmt(BPF_ALU | 0xb0, 0), ret_allow}, false});
  v.push_back({"st_ld_mem", {stmt(BPF_ST, 3), stmt(BPF_LD | BPF_MEM, 3), ret_allow}, true});
  v.push_back({"stx_ldx_mem", {stmt(BPF_STX, 15), stmt(BPF_LDX | BPF_MEM, 15), ret_allow}, true});
  v.push_back({"ld_mem_unwritten", {stmt(BPF_LD | BPF_MEM, 3), ret_allow}, false});
  v.push_back(
      {"ld_mem_written_one_path",
       {jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), stmt(BPF_ST, 2), stmt(BPF_LD | BPF_MEM, 2), ret_allow},
       false});
  v.push_back({"ld_mem_written_both_paths",
               {stmt(BPF_ST, 2), jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), stmt(BPF_ST, 1),
                stmt(BPF_LD | BPF_MEM, 2), ret_allow},
               true});
  v.push_back({"st_16", {stmt(BPF_ST, 16), ret_allow}, false});
  v.push_back({"ldx_mem_16", {stmt(BPF_STX, 0), stmt(BPF_LDX | BPF_MEM, 16), ret_allow}, false});
  v.push_back({"tax_txa", {stmt(BPF_MISC | BPF_TAX, 0), stmt(BPF_MISC | BPF_TXA, 0), ret_allow}, true});
  v.push_back({"misc_bad", {stmt(BPF_MISC | 0x40, 0), ret_allow}, false});
  v.push_back({"ja_ok", {stmt(BPF_JMP | BPF_JA, 1), stmt(BPF_RET | BPF_K, 0), ret_allow}, true});
  v.push_back({"ja_past_end", {stmt(BPF_JMP | BPF_JA, 1), ret_allow}, false});
  v.push_back({"ja_huge", {stmt(BPF_JMP | BPF_JA, 0xffffffff), ret_allow}, false});
  v.push_back({"ja_x", {stmt(BPF_JMP | BPF_JA | BPF_X, 0), ret_allow}, false});
  v.push_back({"jeq_ok", {jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), ret_allow, ret_allow}, true});
  v.push_back({"jeq_jt_past_end", {jump(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0), ret_allow}, false});
  v.push_back({"jgt_jf_past_end", {jump(BPF_JMP | BPF_JGT | BPF_X, 1, 0, 2), ret_allow, ret_allow}, false});
  v.push_back({"jset_x", {jump(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 0), ret_allow}, true});
  v.push_back({"jge_k", {jump(BPF_JMP | BPF_JGE | BPF_K, 0, 0, 0), ret_allow}, true});
  v.push_back({"jmp_bad_op", {jump(BPF_JMP | 0x50, 0, 0, 0), ret_allow}, false});
  v.push_back({"ret_a", {stmt(BPF_RET | BPF_A, 0)}, true});
  v.push_back({"ret_x", {stmt(BPF_RET | BPF_X, 0)}, false});
  v.push_back({"last_not_ret", {ret_allow, stmt(BPF_LD | BPF_IMM, 0)}, false});
  v.push_back({"ld_imm_ldx_imm", {stmt(BPF_LD | BPF_IMM, 1), stmt(BPF_LDX | BPF_IMM, 2), ret_allow}, true});
  v.push_back({"ld_imm_wrong_size", {stmt(BPF_LD | BPF_B | BPF_IMM, 1), ret_allow}, false});
  v.push_back({"code_high_bits", {stmt(0x0106, SECCOMP_RET_ALLOW)}, false});
  v.push_back({"empty", {}, false});
  v.push_back({"max_len", Prog(4096, ret_allow), true});
  v.push_back({"too_long", Prog(4097, ret_allow), false});
  return v;
}

}  // namespace confine::bpf::testprogs
