// Limits facet: --memory, --pids, --cpu through cgroups where a controller is
// really usable (v2 controller enabled, or a writable v1 hierarchy: this
// machine is a v1+v2 hybrid). Fails closed: without the controller, --memory
// and --cpu are refused (no rlimit bounds a sandbox's memory or CPU), and
// --pids falls back to RLIMIT_NPROC only where the kernel applies it (not to
// uid 0 nor to a holder of CAP_SYS_RESOURCE/CAP_SYS_ADMIN in the initial user
// namespace), else it is refused. --timeout is enforced by the supervisor.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

// The cgroups created for one run (parent side); removed by cleanup().
class Cgroups {
 public:
  // Decides per limit: cgroup (creates the directories and writes the
  // limits) or the RLIMIT_NPROC fallback for --pids. Errors (and removes what
  // it made) when a limit asked for cannot be enforced.
  static Result<Cgroups> create(const LimitsConfig& c);
  Status add(pid_t pid) const;  // moves pid into every created cgroup
  void cleanup();
  bool memory_in_cgroup() const { return memory_; }
  bool pids_in_cgroup() const { return pids_; }
  const std::vector<std::string>& notes() const { return notes_; }  // "memory: cgroup v1 /sys/fs/..."

 private:
  std::vector<std::string> dirs_;
  std::vector<std::string> notes_;
  bool memory_ = false, pids_ = false;
};

// Probe only (for --dry-run): where each limit would go.
std::vector<std::string> plan_limits(const LimitsConfig& c);
// Probe only: the first limit asked for that no usable mechanism can enforce
// (--dry-run fails with it as the run would).
Status check_limits(const LimitsConfig& c);
// Child side: rlimits for the limits not handled by a cgroup.
Status apply_rlimits(const LimitsConfig& c, bool memory_in_cgroup, bool pids_in_cgroup);
Result<double> parse_cpus(std::string_view s);
Result<double> parse_duration(std::string_view s);  // "10", "1.5s", "2m", "500ms"
// A stop signal (record/harden --stop-signal): "TERM", "SIGTERM" or "15" -> 15;
// KILL, STOP and CHLD are refused (a stop must be catchable and not a child event).
Result<int> parse_signal(const std::string& s);
std::string describe(const LimitsConfig& c);

}  // namespace confine::sandbox
