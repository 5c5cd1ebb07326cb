// Our seccomp compiler: ResolvedProfile -> classic BPF, in named stages:
//   rule table (per arch, merged, conflicts checked) -> decision tree
//   (arch dispatch, binary search over syscall numbers, argument checks in
//   32-bit halves) -> codegen (with long jumps) -> bytecode passes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <linux/filter.h>

#include "seccomp/resolve.h"

namespace confine::seccomp {

struct CompileOptions {
  // Action for a seccomp_data.arch not in the profile (libseccomp's "bad arch action").
  Action bad_arch_action = {ActionKind::KillProcess, 0};
  // Run the bytecode optimisation passes.
  bool optimize = true;
};

struct CompileStats {
  size_t instructions = 0;
  size_t syscalls_allowed = 0;      // unconditional ALLOW
  size_t syscalls_conditional = 0;  // with argument checks
  size_t syscalls_other = 0;        // unconditional non-ALLOW actions
};

struct Program {
  std::vector<sock_filter> insns;
  CompileStats stats;
};

Result<Program> compile(const ResolvedProfile& rp, const CompileOptions& opts = {});

}  // namespace confine::seccomp
