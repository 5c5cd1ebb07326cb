// Limits facet: --memory, --pids, --cpu through cgroups where a controller is
// really usable (v2 controller enabled, or a writable v1 hierarchy: this
// machine is a v1+v2 hybrid), rlimits otherwise (--cpu has no rlimit
// equivalent: refused rather than silently ignored). --timeout is enforced by
// the supervisor.
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
  // limits) or rlimit fallback. Errors only when a limit can be enforced by
  // neither.
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
// Child side: rlimits for the limits not handled by a cgroup.
Status apply_rlimits(const LimitsConfig& c, bool memory_in_cgroup, bool pids_in_cgroup);
Result<double> parse_cpus(std::string_view s);
Result<double> parse_duration(std::string_view s);  // "10", "1.5s", "2m", "500ms"
std::string describe(const LimitsConfig& c);

}  // namespace confine::sandbox
