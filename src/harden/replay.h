// harden's enforced and complain-mode replays: what `confine run --profile DIR
// --timeout T [--mode complain --log FILE --apparmor-mode complain] -- ARGV` does,
// through the library (apparmor::apply_run_profile, sandbox::launch) instead of
// re-executing the binary.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "apparmor/run_profile.h"
#include "core/error.h"
#include "sandbox/config.h"

namespace confine::harden {

struct ReplaySpec {
  std::string profile_dir;  // seccomp.json, and apparmor.profile when present
  bool complain = false;    // seccomp complain mode (--mode complain)
  // The AppArmor profile observed in complain mode instead of enforced through Landlock
  // (--apparmor-mode complain); only with a DIR/apparmor.profile.
  bool apparmor_complain = false;
  double timeout_s = 0;  // --timeout (0: none)
  std::string log_path;  // complain: events appended as supervise::to_json lines (--log)
  std::vector<std::string> argv;
};

// The RunConfig `confine run` builds for these options and no others (default
// namespaces, capabilities, no_new_privs, Landlock scopes, limits).
// `dry_run` compiles the seccomp program now (as `run --dry-run` does) instead of
// deferring it to launch().
Result<sandbox::RunConfig> replay_config(const ReplaySpec& s, const apparmor::RunProfileReport& report,
                                         bool dry_run = false);

// Starts a replay: forks; the child redirects stdin (in_fd; -1: /dev/null),
// stdout and stderr (fresh files at out_path/err_path), builds the RunConfig
// (its warnings go to err_path, as `confine run`'s did) and calls
// sandbox::launch(), printing complain events and summaries as `confine run`
// does, then exits with launch()'s code. Returns the child's pid: it stands for
// `confine run` (a stop signal sent to it is forwarded into the sandbox).
//
// Why a child and not this process: launch() hands the command this process's
// fds 0-2 and reports its own errors on fd 2 (both must go to the replay's
// files, not harden's terminal), it blocks and redirects this process's
// forwarded signals (INT, TERM, HUP, QUIT, USR1/2, CHLD, ...) to a signalfd for
// the whole run (harden's service controller sends the stop signal to the
// process that forwards it), and a setup failure must not leave harden itself
// half-configured. fork + the library call keep harden's own state untouched;
// no exec, no command line, no output parsing.
Result<pid_t> start_replay(const ReplaySpec& s, int in_fd, const std::string& out_path,
                           const std::string& err_path);

// Waits for a replay (or any child): its exit code, 128+N when killed by signal N.
Result<int> wait_exit_code(pid_t pid);

}  // namespace confine::harden
