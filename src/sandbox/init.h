// pid 1 of the new pid namespace: a minimal init that forwards signals to the
// command, reaps every child (orphans included) and exits with the command's
// status (128+N for a signal). In complain mode it is also the seccomp
// user-notification supervisor and streams events (JSON lines) to confine.
#pragma once

#include <linux/filter.h>
#include <signal.h>
#include <sys/types.h>

#include <vector>

#include "sandbox/config.h"

namespace confine::sandbox {

struct InitConfig {
  pid_t workload = 0;
  int handoff_fd = -1;  // complain: reads the listener fd number from the workload
  int ack_fd = -1;      // complain: tells the workload we hold the listener (it may exec now)
  int event_fd = -1;    // complain: JSON lines to the confine process
  const FileObserveConfig* observe = nullptr;              // file syscalls to evaluate
  const std::vector<sock_filter>* enforce_prog = nullptr;  // seccomp verdict of observed syscalls
};

// Blocks every signal (call before forking the workload; the workload
// restores the mask it gets in *old).
void init_block_signals(sigset_t* old);
// Runs the init loop; returns the exit code init should exit with.
int run_init(const InitConfig& c);

}  // namespace confine::sandbox
