// AppArmor profile -> Landlock ruleset. Landlock is allow-only and
// per-hierarchy, AppArmor is glob-based with deny precedence, so the
// translation is an approximation; every approximation is a warning:
//   - globs widen to their longest literal directory (`/var/log/*.log` -> /var/log)
//   - deny inside an allowed tree: complement expansion (siblings enumerated on
//     the real filesystem at translation time get the allowed rights instead)
//   - `a` (append) -> write; `k` (lock), `m` (mmap exec) are not mediated;
//     chmod/chown/setattr are not mediated; `owner` is dropped
//   - exec transitions (Px, Cx, Ux, ...) stay in the same Landlock domain
//   - network, capability, signal, ptrace, mount, dbus, unix ... rules are not
//     expressible (Landlock ABI 4+ knows TCP bind/connect ports only)
//
//   CONFINE_TRY(auto t, to_landlock(resolved, *profile, {}));
//   CONFINE_CHECK(apply_ruleset(t, &notes));   // after prctl(PR_SET_NO_NEW_PRIVS)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "apparmor/apparmor.h"

namespace confine::apparmor {

struct TranslateOptions {
  int abi = -1;                   // -1 = the running kernel's Landlock ABI
  size_t max_complement = 20000;  // sibling entries enumerated for deny rules
  size_t max_glob_files = 4096;   // entries of one DIR/* enumerated (row glob-files); more: DIR's subtree
};

struct PathRule {
  std::string path;     // existing file or directory (beneath semantics)
  uint64_t access = 0;  // LANDLOCK_ACCESS_FS_* mask
  std::string origin;   // file:line:col of the rule it came from (or "complement of ...")
};

// A rule on the sandboxed process's own /proc files (widening row self-proc): the path
// /proc/self/REL is opened by that process when it applies the ruleset (after its own
// /proc mount; pids differ every run and the process does not exist at translation time).
struct SelfRule {
  std::string rel;      // "task" (every thread's files) or one file of /proc/self ("comm")
  uint64_t access = 0;  // read_file, write_file, truncate only
  std::string origin;   // file:line:col of the rule it came from
};

struct Translation {
  int abi = 0;
  uint64_t handled = 0;              // LANDLOCK_ACCESS_FS_* the ruleset governs
  std::vector<PathRule> rules;       // sorted by path, one entry per path
  std::vector<SelfRule> self_rules;  // sorted by rel, one entry per rel (row self-proc)
  std::vector<std::string> warnings;
  // Set by the caller, not by to_landlock: the sandbox mounts a /proc of its own (new pid
  // namespace, kernel knobs read-only, leaky entries masked), so a self-proc rule on task/
  // is applied to that /proc's root: every process of the sandbox (row sandbox-proc).
  bool own_proc = false;
};

Result<Translation> to_landlock(const Resolved& r, const Profile& p, const TranslateOptions& opt = {});

// Creates the ruleset (handled = t.handled), adds every rule (paths that vanished
// are skipped with a note) and calls landlock_restrict_self. The caller must have
// set no_new_privs (or hold CAP_SYS_ADMIN). t.self_rules are opened under /proc/self
// and their O_PATH fds appended to *pins: the rules hold only while those dentries
// stay in the cache, so the caller keeps the fds until the process exits (confine run
// hands them to its supervisor); self rules without `pins` are an error (fail closed).
Status apply_ruleset(const Translation& t, std::vector<std::string>* notes, std::vector<int>* pins = nullptr);

// Row self-proc: the /proc/self-relative target of a rule path on the program's own
// /proc files ("task" for /proc/@{pid}/task/@{tid}/FILE and /proc/thread-self/FILE,
// FILE for /proc/@{pid}/FILE and /proc/self/FILE; FILE literal), "" for any other path.
std::string self_proc_target(std::string_view rule_path);

// The reviewed table of widenings (docs/generalisation.md, "Landlock translation"):
// every grant wider than the AppArmor rule it comes from is one of these rows, printed
// with its uses by to-landlock and run.
const std::vector<ReviewedRow>& landlock_widening_table();

// "read_file|read_dir|..." for a mask.
std::string access_names(uint64_t mask);

}  // namespace confine::apparmor
