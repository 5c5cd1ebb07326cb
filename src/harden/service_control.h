// Driving a service while it is recorded or replayed (record --ready/--duration,
// harden --service): a controller process, forked before the service starts,
// waits for it to be ready, runs a load script against it, waits a duration,
// then sends the stop signal. Used by src/cli/record.cc and src/harden/harden.cc.
//
// The controller is a separate process (its own process group) because the
// recorder's supervisor is a child subreaper that reaps every child of the
// recording process: the controller waits for its own children (the ready
// probes, the load script), and reports back through a pipe, never through
// its exit status.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace confine::harden {

struct ControlPlan {
  std::string ready;          // shell command, polled until it exits 0 ("" = none)
  double ready_timeout = 30;  // seconds
  std::string load;           // shell command (or script file) run once ready ("" = none)
  double load_timeout = 600;  // seconds: the load script is killed after this
  int load_stdin_fd = -1;     // -1: /dev/null
  int load_stdout_fd = -1;    // -1: the controller's stdout
  double duration = 0;        // seconds to wait after ready/load before the stop (0: none)
  int stop_signal = 15;       // SIGTERM
  bool stop_after = true;     // send stop_signal at the end (a failed ready probe always stops)
  bool announce = false;      // print "confine: ready ..." on stderr
};

struct ControlResult {
  bool started = false;       // go() was called
  bool ready = true;          // the ready probe succeeded (true when there is none)
  bool service_died = false;  // the watched process exited before the stop signal
  int load_exit = -1;         // the load script's exit status (128+N by signal; -1 not run)
  bool load_timed_out = false;
  bool stopped = false;  // the stop signal was sent
  std::string message;   // what went wrong, for the user
};

class Controller {
 public:
  // Forks the controller; it waits for go().
  static Result<Controller> start(const ControlPlan& plan);
  Controller() = default;
  Controller(Controller&& o) noexcept;
  Controller& operator=(Controller&& o) noexcept;
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;
  ~Controller();
  // The service runs: `watch` is its main process (exit = the service died),
  // `signal_to` receives the stop signal (the recording process, which
  // forwards it, or `confine run`, which forwards it too).
  void go(pid_t watch, pid_t signal_to);
  // Waits for the controller's report (up to timeout_s; then it and its
  // children are killed). Call after the service has exited.
  ControlResult finish(double timeout_s = 5);

 private:
  pid_t pid_ = -1;
  bool started_ = false;
  int go_w_ = -1;      // -> controller: the two pids
  int report_r_ = -1;  // <- controller: ControlResult fields
};

// While alive, `sig` (the stop signal a controller sends to this process) is
// caught by a handler that does nothing (SA_RESTART): a stop that arrives just
// after the recording ended (the service exited by itself meanwhile) must not
// kill confine. A handler, not SIG_IGN: ignored signals stay ignored across
// execve, handlers do not, so the recorded command still gets the default.
class StraySignalGuard {
 public:
  explicit StraySignalGuard(int sig);
  ~StraySignalGuard();
  StraySignalGuard(const StraySignalGuard&) = delete;
  StraySignalGuard& operator=(const StraySignalGuard&) = delete;

 private:
  int sig_;
  struct sigaction old_;
  bool set_ = false;
};

// A --train/--check/--ready argument: an existing file is run as `sh FILE`,
// anything else as `sh -c ARG`.
std::vector<std::string> shell_argv(const std::string& cmd_or_script);

}  // namespace confine::harden
