// harden as a library: record -> generate -> replay enforced and in complain mode
// -> report, calling the recorder (record::record) and the sandbox launcher
// (harden/replay.h: sandbox::launch in a forked child) directly. `confine harden`
// (src/cli/harden.cc) wires options to Options and prints Progress and the result.
//
// Two modes:
//  - batch (harden_batch): one command recorded `runs` times with the same input,
//    replayed enforced and in complain mode; a complain-mode denial is added to the
//    profile (a false denial) and the replay retried, up to `retries` rounds.
//  - train/check (harden_train_check, issue 12): the profile from the union of the
//    training workloads; every check workload run unconfined (recorded: the reference
//    and the coverage), enforced and in complain mode; false denials are reported
//    with the rule that would fix them, never added. A service (service_argv) is
//    started for every run and driven by a Controller (service_control.h).
//
// Process state: each run's children are reaped before the next run (the recorder
// reaps its descendants; a replay is one child of this process, waited for), the
// descriptors a run opens are closed after it, and the signal mask and the
// dispositions are the same after a run as before it (test_harden checks these).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "behavior/behavior.h"
#include "core/error.h"
#include "generate/generate.h"
#include "harden/service_control.h"
#include "record/recorder.h"

namespace confine::harden {

// The caller's standard input, read once (bounded) into a memfd: every recording
// and replay gets the same bytes on a fresh descriptor. A terminal is not read.
constexpr size_t kMaxStdinBytes = 256u << 20;
struct StdinCopy {
  int memfd = -1;  // -1: every run gets /dev/null
  size_t size = 0;
  bool from_terminal = false;
  StdinCopy() = default;
  StdinCopy(const StdinCopy&) = delete;
  StdinCopy& operator=(const StdinCopy&) = delete;
  ~StdinCopy();
  // A new descriptor at offset 0, close-on-exec (the caller closes it).
  int open_fresh() const;
};
// Reads fd 0 to its end into c (nothing for a terminal or a closed fd 0).
// `waiting` is called when nothing arrived within 2 s (a pipe nobody closes).
Status capture_stdin(StdinCopy& c, const std::function<void()>& waiting = {});
// The same bytes from memory (tests, callers that have them already).
Status stdin_from_bytes(StdinCopy& c, std::string_view bytes);

struct Options {
  std::string dir;  // the output directory as the user named it (messages only)
  // The output set being written: the profile files the replays enforce and every
  // run's stdout/stderr/events (file names: cli/record.cc is_output_name()).
  std::string work;
  // Writes the profile files for a Behavior into `work` (seccomp.json, behavior.json,
  // securityContext.yaml, apparmor.profile unless !apparmor); notes from the generators.
  std::function<Status(const behavior::Behavior&, std::vector<std::string>* notes)> write_profile;
  generate::SeccompOptions gen;   // as write_profile uses them (errno rules, coverage)
  bool apparmor = true;           // write_profile writes apparmor.profile: observed in complain replays
  record::RecordOptions rec;      // recorder options; argv: the command (batch mode)
  const StdinCopy* in = nullptr;  // nullptr: /dev/null for every run

  // batch
  int runs = 1;
  int retries = 2;

  // train/check
  std::vector<std::string> train, check;  // shell command lines or script files (shell_argv)
  std::vector<std::string> service_argv;  // not empty: the service the load scripts drive
  ControlPlan plan;                       // ready, ready_timeout, stop_signal (load set per run)
  double load_timeout = 300;              // seconds
};

// A false denial and the rule that would fix it, as it would be written.
struct FalseDenial {
  enum class Kind { Syscall, File } kind = Kind::Syscall;
  std::string syscall, arch;  // Syscall
  std::string path;           // File
  uint8_t access = 0;         // File: behavior::Access bits
  std::string letters;        // File: the AppArmor letters requested ("" unknown)
  std::string what;           // "syscall mkdir", "/tmp/x (w)"
  std::string fix;            // "seccomp.json: {...}", "apparmor.profile: /tmp/x w,"
  std::string check;          // train/check: the check's tag
};

// What a complain-mode replay reported, read from its events (supervise::parse_event):
// syscalls the seccomp profile would deny, files the AppArmor profile would deny.
struct ComplainFindings {
  std::set<std::pair<std::string, std::string>> syscalls;  // (name, arch)
  std::map<std::string, uint8_t> files;                    // path -> behavior::Access bits
  std::map<std::string, std::string> letters;              // path -> AppArmor letters requested
  bool empty() const { return syscalls.empty() && files.empty(); }
};
ComplainFindings read_complain_events(const std::string& jsonl_path);
// Minus the profile's deliberate errno answers (clone3 -> ENOSYS): intended, not false denials.
void drop_errno_rules(ComplainFindings& f, const behavior::Behavior& b, const generate::SeccompOptions& gen);
std::string fixing_rule(const std::string& syscall, const std::string& arch);
std::string fixing_rule(const std::string& path, uint8_t access, const std::string& requested = "");

// --- batch -------------------------------------------------------------------

struct RecordRun {
  int run = 0;  // 1-based
  int exit = 0;
  uint64_t events = 0;
  double seconds = 0;
  std::vector<std::string> warnings;  // the recorder's, and "partial recording: ..."
  size_t added_syscalls = 0;          // runs after the first: syscalls the earlier runs did not make
  bool stdout_differs = false;        // runs after the first: stdout differs from the first's
};

struct ReplayRound {
  // 0: the first replay. -1: no replay, only the notes of a profile write_profile
  // then failed to write (Progress::replayed shows them before the error).
  int round = 0;
  int exit = -1;  // the enforced replay's exit code
  bool same_stdout = false;
  std::vector<std::string> notes;    // round 0: write_profile's notes
  std::vector<FalseDenial> denials;  // the complain replay's findings (not errno rules)
};

struct BatchResult {
  enum class Verdict {
    Passed,    // replay exit = recorded exit and same stdout (or only the stdout differs, nothing denied)
    Mismatch,  // replay exit differs and nothing is denied
    DenialsRemain,  // false denials after `retries` fix rounds
    Interrupted,    // a stop signal harden did not send (the user's): stop_signal
  } verdict = Verdict::Passed;
  int stop_signal = 0;
  std::vector<RecordRun> runs;
  uint64_t events = 0;
  int record_exit = 0;
  double record_seconds = 0;   // the longest run
  std::string replay_timeout;  // as `confine run --timeout` would show it ("10s")
  std::vector<std::pair<std::string, std::string>> companions;  // generalisation table rows added
  std::vector<ReplayRound> rounds;
  std::vector<std::string> added;    // syscalls and paths added after false denials
  bool stdout_differs_only = false;  // Passed with a different stdout and nothing denied
  behavior::Behavior profile;
  bool passed() const { return verdict == Verdict::Passed; }
};

// --- train/check --------------------------------------------------------------

struct RunOutcome {
  std::string tag;        // "train-1", "check-2"
  std::string workload;   // the --train/--check argument
  int exit = -1;          // batch command: its exit; service: the load script's (-1 not run, -2 killed)
  int service_exit = -1;  // service: the service's own
  ControlResult control;  // service only
  std::vector<std::string> warnings;
  int interrupted = 0;  // a stop signal harden did not send: the user's
  double seconds = 0;
  size_t added_syscalls = 0;  // training after the first: syscalls the earlier training did not make
};

struct CheckOutcome {
  std::string tag, workload;
  RunOutcome unconfined;
  RunOutcome enforced;  // exit, service_exit, control
  bool same_exit = false, same_stdout = false;
  std::vector<FalseDenial> denials;
};

struct Coverage {
  bool syscalls = false;                                // the syscall counts below were computed
  size_t syscalls_allowed = 0, syscalls_exercised = 0;  // x86_64, of seccomp.json
  std::vector<std::string> syscalls_unexercised;
  bool apparmor = false;  // the path rules below were counted
  size_t path_rules = 0, paths_exercised = 0;
  std::vector<std::string> paths_unexercised;
};

struct TrainCheckResult {
  enum class Verdict {
    Passed,       // every check: same exit and stdout enforced, no false denial
    Failed,       // false denials or mismatches
    NotReady,     // a service never became ready (stop_tag, stop_message)
    Interrupted,  // a stop signal harden did not send (stop_tag, stop_signal)
  } verdict = Verdict::Passed;
  std::string stop_tag, stop_message;
  int stop_signal = 0;
  std::vector<RunOutcome> trains;
  std::vector<CheckOutcome> checks;
  std::vector<std::pair<std::string, std::string>> companions;
  std::vector<std::string> notes;  // write_profile's
  std::vector<FalseDenial> denials;
  std::vector<std::string> mismatches;
  std::optional<Coverage> coverage;
  behavior::Behavior profile;
  bool passed() const { return verdict == Verdict::Passed; }
};

// Called as the runs finish (a CLI prints from them; the result holds them all).
struct Progress {
  std::function<void(const RecordRun&)> recorded_run;     // batch, each recording
  std::function<void(const BatchResult&)> recorded;       // batch, all recordings done
  std::function<void(const ReplayRound&)> replayed;       // batch, each round
  std::function<void(const RunOutcome&)> trained;         // train/check, each training
  std::function<void(const RunOutcome&)> unconfined;      // train/check, each check's unconfined run
  std::function<void(const TrainCheckResult&)> profiled;  // train/check, profile written
  std::function<void(const CheckOutcome&)> checked;       // train/check, each check
};

// Errors: confine failed (a recording or replay could not be set up, a file not
// written): exit 125. A workload that fails or a false denial is a result.
Result<BatchResult> harden_batch(const Options& o, const Progress& p = {});
Result<TrainCheckResult> harden_train_check(const Options& o, const Progress& p = {});

std::string exit_str(int code);  // "137 (SIGKILL)", "none (not run)", ...

}  // namespace confine::harden
