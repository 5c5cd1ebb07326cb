// Which audit records belong to the workload a user asks about.
//
// Kernel security records carry no cgroup or container id, and `comm` is set by
// the task itself (prctl(PR_SET_NAME)): any neighbour can write records that
// look like the workload's. So a Filter tells apart two strengths:
//   attributable  --exe PATH, --pid PID, --cgroup PATH|ID (pids of the cgroup's
//                 processes now, read from cgroup.procs, recursively), which a
//                 neighbour cannot take on without being that program or process;
//   weak          --comm NAME alone.
// `confine logs --to-seccomp/--to-apparmor` accepts records of the live kernel
// log, or of a log file that mixes several programs, only with an attributable
// filter or an explicit --all-processes (see profile_delta_guard()).
//   Filter f;
//   CONFINE_CHECK(add_cgroup(f, "/sys/fs/cgroup/system.slice/app.service"));
//   CONFINE_TRY(f.since, parse_since("10m", time(nullptr)));
//   for (auto& ev : events) if (f.matches(ev)) ...
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "logs/logs.h"

namespace confine::logs {

struct Filter {
  std::set<std::string, std::less<>> comm;  // exact task names (weak: the task sets it)
  std::set<std::string, std::less<>> exe;   // exact executable paths
  std::set<int64_t> pids;                   // --pid, and the processes of every --cgroup
  std::vector<std::string> cgroups;         // resolved cgroup directories (for messages)
  std::optional<double> since;              // seconds since the epoch; records without a time fail it

  bool any() const { return !comm.empty() || !exe.empty() || !pids.empty() || !cgroups.empty() || since; }
  // Something a neighbour cannot forge selects the records (--exe, --pid, --cgroup).
  bool attributable() const { return !exe.empty() || !pids.empty() || !cgroups.empty(); }
  bool matches(const Event& ev) const;
  std::string describe() const;  // "exe=/usr/bin/foo, since 2026-12-06T19:00:00Z"
};

// "30s", "10m", "2h", "1d" (before `now`), "@1700000000[.5]", "2026-12-06T19:00:00Z",
// "2026-12-06 19:00[:00]" (local time without Z), "2026-12-06" (local midnight).
Result<double> parse_since(std::string_view s, std::time_t now);

// A cgroup directory (absolute under /sys/fs/cgroup, or relative to it), or a
// container id (>= 12 hex digits, e.g. podman/runc's): the cgroup whose
// directory name holds the id (libpod-<id>.scope, docker-<id>.scope, <id>).
// Adds the pids listed in cgroup.procs of it and every cgroup below.
Status add_cgroup(Filter& f, std::string_view spec, const std::string& cgroup_root = "/sys/fs/cgroup");

// What the distinct sources of a set of records are, for the profile-delta guard.
struct Sources {
  // exe if present, else "comm=<comm>", else "pid=<pid>"; a Landlock domain; AppArmor records
  // (labelled with their profile by the kernel) are not counted.
  std::set<std::string> programs;
  size_t kernel_records = 0;
};
Sources sources_of(const std::vector<Event>& events);

// --to-seccomp/--to-apparmor: records from the live kernel log, or from several
// programs, change a profile only with an attributable filter or --all-processes.
// `live` = read from /dev/kmsg (every process of the host).
Status profile_delta_guard(const Filter& f, const Sources& s, bool live, bool all_processes);

}  // namespace confine::logs
