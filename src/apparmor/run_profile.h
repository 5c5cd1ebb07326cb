// The profile facets of `confine run` (seccomp and the AppArmor file rules), from
// typed options instead of the command line: `confine run` (src/cli/run.cc) and
// harden's replays (src/harden/) build their RunConfig with the same code, so a
// replay enforces exactly what `confine run --profile DIR` would.
//
// In the apparmor module because it is the layer that sees both the sandbox
// (sandbox::RunConfig, prepare_seccomp) and the AppArmor profile (parse,
// resolve, Landlock translation, complain observer).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::apparmor {

struct RunProfileOptions {
  // --seccomp: PROFILE.json, runtime-default or unconfined; "" = profile_dir's
  // seccomp.json, else runtime-default.
  std::string seccomp;
  std::string profile_dir;                // --profile DIR ("": none)
  std::string apparmor;                   // --apparmor PROFILE ("": DIR/apparmor.profile when present)
  std::optional<bool> apparmor_complain;  // --apparmor-mode (unset: the profile's flags)
  sandbox::SeccompMode mode = sandbox::SeccompMode::Enforce;  // --mode
  bool libseccomp_compat = false;                             // --compat libseccomp
  bool dry_run = false;  // --dry-run: compile now, show every translation row
};

// How the loader talks: a warning ("confine: warning: ...") and an information
// line ("confine: ..."), both on the caller's stderr.
struct RunProfileReport {
  std::function<void(const std::string&)> warning;
  std::function<void(const std::string&)> info;
};

// Fills c.seccomp, c.observe, c.landlock.layer and c.seccomp.memfd_noexec.
// Needs c.caps.keep, c.mounts (new_proc, harden_sys_proc) and c.landlock's
// allow-lists set first. Errors are usage/configuration errors (exit 125).
Status apply_run_profile(sandbox::RunConfig& c, const RunProfileOptions& o, const RunProfileReport& report);

}  // namespace confine::apparmor
