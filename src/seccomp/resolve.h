// Resolution: a Profile plus a context (capabilities held, kernel version,
// target arch set) -> per-arch tables of numbered rules. This is the exact
// input of the compiler and of the libseccomp oracle.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "seccomp/profile.h"

namespace confine::seccomp {

struct ResolveContext {
  std::set<std::string> caps;                 // capabilities the workload keeps ("CAP_SYS_ADMIN")
  std::optional<KernelVersion> kernel;        // nullopt = running kernel
  std::optional<Arch> arch;                   // selects the archMap entry; nullopt = native
  std::optional<std::vector<Arch>> arches;    // explicit target arch list (overrides archMap/architectures)
};

struct ResolvedRule {
  std::string name;             // syscall name (for messages, disasm comments)
  int32_t nr = 0;               // number on this arch (seccomp_data.nr)
  std::vector<ArgCond> conds;   // ANDed; empty = unconditional
  Action action;
  SourcePos pos;                // where the rule came from
};

struct ArchTable {
  Arch arch;
  std::vector<ResolvedRule> rules;  // in profile order
  std::vector<std::string> skipped; // names in the profile not present on this arch
};

struct ResolvedProfile {
  Action default_action;
  std::vector<ArchTable> arches;  // first = native/primary arch
  std::vector<std::string> flags;
  std::vector<Warning> warnings;
};

Result<ResolvedProfile> resolve(const Profile& p, const ResolveContext& ctx);

// The running kernel's version (uname), e.g. 6.18.
KernelVersion running_kernel();

}  // namespace confine::seccomp
