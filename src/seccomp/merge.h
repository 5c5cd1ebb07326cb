// Profile analysis on top of resolution: per-arch summary (check), per-syscall
// comparison of two resolved profiles (diff), and union of profiles (merge).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "seccomp/profile.h"
#include "seccomp/resolve.h"

namespace confine::seccomp {

// How one syscall is classified on one arch.
enum class SyscallClass : uint8_t {
  Default,      // no rule: the default action applies
  Allowed,      // an unconditional ALLOW rule
  Conditional,  // only rules with argument conditions (any action)
  Other,        // an unconditional rule with another action (ERRNO, KILL, LOG, TRACE, ...)
};

struct ArchSummary {
  Arch arch;
  size_t allowed = 0, conditional = 0, other = 0;  // counted per distinct syscall
  size_t skipped = 0;                              // profile names not present on this arch
  std::vector<std::string> conflicts;              // syscalls with several unconditional actions
};
std::vector<ArchSummary> summarize(const ResolvedProfile& r);

// Readable treatment of one syscall, e.g. "ALLOW", "ERRNO(1 EPERM)",
// "ALLOW if arg0 == 0x0 | ALLOW if arg0 == 0x8 | else ERRNO(1 EPERM)".
std::string describe_treatment(const ResolvedProfile& r, const ArchTable& t, int32_t nr);
std::string describe_cond(const ArgCond& c);

struct SyscallChange {
  std::string name;
  std::string a, b;  // treatments
};
struct ArchDiff {
  Arch arch;
  bool only_in_a = false, only_in_b = false;  // the arch is filtered by one profile only
  std::vector<std::string> only_a;            // fully allowed by A, not allowed at all by B
  std::vector<std::string> only_b;            // fully allowed by B, not allowed at all by A
  std::vector<SyscallChange> changed;         // any other difference (conditions, actions, errno)
  bool empty() const {
    return !only_in_a && !only_in_b && only_a.empty() && only_b.empty() && changed.empty();
  }
};
struct ProfileDiff {
  std::optional<std::pair<std::string, std::string>> default_action;  // set when they differ
  std::vector<ArchDiff> arches;
  bool empty() const;
};
ProfileDiff diff_profiles(const ResolvedProfile& a, const ResolvedProfile& b);

// Union: the result allows (for the resolved context of each input) at least what any input allows.
// Default action: the inputs' if they agree, else the most restrictive (kernel precedence), reported.
// An input whose default is more permissive than the merged default gets its default action
// written out as an explicit rule for every syscall it does not name.
// For a syscall with unconditional, unfiltered rules in several inputs, the most permissive wins.
struct MergeResult {
  Profile profile;
  std::vector<std::string> conflicts;  // human-readable, one per decision that lost information
};
Result<MergeResult> merge_profiles(std::span<const Profile> inputs);

}  // namespace confine::seccomp
