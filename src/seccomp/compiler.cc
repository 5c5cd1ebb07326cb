// compile(): the stages of compiler.h in order, plus statistics and the
// kernel's size limit.
#include "seccomp/compiler.h"

#include <algorithm>

namespace confine::seccomp {
namespace {

Result<std::vector<sock_filter>> lower(const RuleTables& rt, bool opt, CompileStats* st) {
  CONFINE_TRY(Tree tree, build_tree(rt));
  CodegenStats cg;
  std::vector<sock_filter> insns = codegen(tree, &cg);
  if (st) {
    st->tree_nodes = tree.nodes.size();
    st->trampolines = cg.trampolines;
    st->instructions_unoptimized = insns.size();
  }
  if (opt) {
    size_t rounds = optimize(insns);
    if (st) st->pass_rounds = rounds;
  }
  return insns;
}

}  // namespace

Result<Program> compile(const ResolvedProfile& rp, const CompileOptions& opts) {
  CONFINE_TRY(RuleTables rt, build_rule_tables(rp, opts));
  Program prog;
  CompileStats& st = prog.stats;
  st.rules_dropped_default = rt.dropped_default;
  st.rules_shadowed = rt.shadowed;
  prog.notes = rt.notes;
  for (const RuleTable& t : rt.tables) {
    ArchStats as;
    as.arch = t.arches.front();
    for (Arch a : t.arches) as.name += (as.name.empty() ? "" : "+") + std::string(arch_info(a).name);
    for (const auto& [nr, sr] : t.syscalls) {
      if (!sr.unconditional)
        as.syscalls_conditional++;
      else if (sr.unconditional->kind == ActionKind::Allow)
        as.syscalls_allowed++;
      else
        as.syscalls_other++;
    }
    st.syscalls_allowed += as.syscalls_allowed;
    st.syscalls_conditional += as.syscalls_conditional;
    st.syscalls_other += as.syscalls_other;
    st.per_arch.push_back(as);
  }
  CONFINE_TRY(prog.insns, lower(rt, opts.optimize, &st));
  st.instructions = prog.insns.size();
  if (prog.insns.size() > kMaxInstructions) {
    // Which arch contributes most: compile each audit arch alone.
    std::string worst;
    size_t worst_n = 0;
    for (const RuleTable& t : rt.tables) {
      RuleTables one = rt;
      one.tables = {t};
      auto p = lower(one, opts.optimize, nullptr);
      if (p.ok() && p->size() > worst_n) {
        worst_n = p->size();
        worst.clear();
        for (Arch a : t.arches) worst += (worst.empty() ? "" : "+") + std::string(arch_info(a).name);
      }
    }
    return Error("compiled filter has " + std::to_string(prog.insns.size()) +
                 " instructions, more than the kernel's limit of " + std::to_string(kMaxInstructions) + "; " +
                 worst + " contributes most (" + std::to_string(worst_n) +
                 " instructions alone) — drop architectures or argument rules");
  }
  return prog;
}

}  // namespace confine::seccomp
