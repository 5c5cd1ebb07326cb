// `confine run`: the launcher. Its body (launcher.cc) is the ordered checklist
// of facets; each facet lives in its own file and gets only its own slice of
// RunConfig. Any failing step is reported (syscall, arguments, errno) and the
// command is not run: exit 125.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "sandbox/config.h"
#include "supervise/event.h"

namespace confine::sandbox {

// Checks everything checkable before any process is created.
Status validate(const RunConfig& c);
// The plan, one facet per line, in the order they are applied.
std::string plan(const RunConfig& c);

struct ComplainReport {
  std::vector<std::string> syscalls;  // distinct names, in first-seen order
  size_t events = 0;
};

struct LaunchHooks {
  // complain mode: called for each event as it arrives: its JSON line and what
  // supervise::parse_event read from it.
  std::function<void(const std::string& json_line, const Result<supervise::Event>& event)> on_event;
};

// Runs the command; returns the exit code confine should exit with.
// Setup errors are printed as "confine: ..." on stderr.
int launch(const RunConfig& c, const LaunchHooks& hooks, ComplainReport* report);

}  // namespace confine::sandbox
