// libseccomp as an independent oracle: builds libseccomp 2.5.4's BPF program
// for a seccomp::ResolvedProfile the way runc does, and exports it as
// std::vector<sock_filter> to be run in our interpreter (src/seccomp/bpf).
//
// How the program is built (runc libcontainer/seccomp + libseccomp-golang):
//   seccomp_init(default action); SCMP_FLTATR_ACT_BADARCH = bad-arch action;
//   optional SCMP_FLTATR_CTL_OPTIMIZE = 2 (binary tree);
//   arches: seccomp_arch_add each, seccomp_arch_remove(native) if not listed;
//   rules: a rule whose action equals the default action is skipped (libseccomp
//   refuses it; runc ignores it); seccomp_rule_add_array(action, nr, conds)
//   with nr = seccomp_syscall_resolve_name(name) (libseccomp translates the
//   native/pseudo number to each arch by name); a rule with two or more
//   conditions on the same argument is split, as runc does, into one rule per
//   condition (i.e. OR semantics, not the AND of ResolvedRule::conds).
//   MASKED_EQ: datum_a = mask (ArgCond::value), datum_b = ArgCond::value_two.
//
// Per-arch mode (default): every ArchTable becomes its own single-arch filter
// with that table's rules, and the filters are joined with seccomp_merge(), so
// per-arch tables that differ are reproduced exactly. Runc mode: one filter
// with all arches and the first table's rules added to all of them.
//
// Known libseccomp semantics the caller must mind when comparing:
//  - 32-bit arches (x86, arm, x32, mips o32/n32, ppc, s390): libseccomp
//    compares only the low 32 bits of an argument and ignores datum bits above
//    32 (the kernel zero-extends arguments of 32-bit tasks, so args[i].hi is 0
//    in real seccomp_data there).
//  - x86 (i386), s390, ppc, mips o32: "socket", "ipc" family calls also get
//    rules on the multiplexer (socketcall/ipc with arg0 == sub-call); with
//    argument conditions and `exact` libseccomp refuses the rule (noted as skipped).
//  - names unknown to libseccomp 2.5.4 (syscalls newer than it) are skipped.
// Every rule that could not be added is listed in OracleProgram::skipped.
// Big-endian targets (s390x, ppc64, mips): run the program with
// bpf::run(prog, data, bpf::Endian::Big) so seccomp_data has the target layout.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "seccomp/action.h"
#include "seccomp/resolve.h"

namespace confine::oracle {

struct OracleOptions {
  seccomp::Action bad_arch_action = {seccomp::ActionKind::KillProcess, 0};
  bool binary_tree = false;  // SCMP_FLTATR_CTL_OPTIMIZE = 2
  bool per_arch = true;      // false = runc mode (first table's rules on every arch)
  // seccomp_rule_add_array (runc, via libseccomp-golang AddRule/AddRuleConditional) or
  // seccomp_rule_add_exact_array (single-arch filters only: libseccomp refuses it with 2+ arches).
  bool exact = false;
};

struct Skipped {
  Arch arch;
  std::string name;
  int32_t nr = 0;      // our number on that arch
  std::string reason;  // "unknown to libseccomp 2.5.4", "EINVAL from seccomp_rule_add_exact_array", ...
};

struct OracleProgram {
  std::vector<sock_filter> insns;  // host byte order (libseccomp exports the target's; swapped back)
  std::vector<Skipped> skipped;
  bool split_same_arg_rules = false;  // some rule had 2+ conditions on one argument (runc's OR split)
  size_t big_endian_ret_fixups = 0;   // libseccomp 2.5.4 merge quirk repaired (see .cc)
};

Result<OracleProgram> libseccomp_program(const seccomp::ResolvedProfile& rp, const OracleOptions& opts = {});

// libseccomp's token for an arch (SCMP_ARCH_*), 0 if libseccomp 2.5.4 lacks it (loongarch64).
uint32_t scmp_arch_token(Arch a);

}  // namespace confine::oracle
