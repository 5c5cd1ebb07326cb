// cgroup v2 for the eBPF source: where the unified hierarchy is mounted (on a
// cgroup v1+v2 hybrid host, /sys/fs/cgroup/unified), a process's cgroup, a
// cgroup directory's id and level, and a fresh child cgroup to run a command in.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace confine::ebpf {

// The cgroup2 mount point, from /proc/self/mountinfo (the first cgroup2 entry).
Result<std::string> cgroup2_mount();
// The parsers behind it and cgroup_of (fuzz/ebpf_cgroup_fuzz.cc): the first cgroup2 mount of
// the whole hierarchy (root "/") in a mountinfo text, unescaped; the "0::PATH" entry of a
// /proc/PID/cgroup text.
std::optional<std::string> cgroup2_mount_in(std::string_view mountinfo);
std::optional<std::string> cgroup_v2_entry(std::string_view proc_cgroup);

struct Cgroup {
  std::string path;    // directory, absolute (under the cgroup2 mount)
  std::string rel;     // path below the mount: "/", "/a/b"
  uint64_t id = 0;     // kernfs id (bpf_get_current_cgroup_id)
  uint32_t level = 0;  // 0 for the root, 1 for /a, 2 for /a/b
};

// PATH: a directory under the cgroup2 mount, or a cgroup path relative to it
// ("/system.slice/x.scope", as /proc/PID/cgroup shows it).
Result<Cgroup> cgroup_at(const std::string& path);
// The cgroup v2 of a process ("0::/path" in /proc/PID/cgroup).
Result<Cgroup> cgroup_of(pid_t pid);
// Creates a child of our own cgroup v2 named NAME (or of the mount's root when
// ours cannot take children), returns it. The caller removes it (rmdir).
Result<Cgroup> make_cgroup(const std::string& name);
// The processes in a cgroup (cgroup.procs), for attach; empty when unreadable.
std::vector<pid_t> cgroup_procs(const Cgroup& cg);
// Whether the cgroup or a descendant still holds a process (cgroup.events "populated 1").
bool cgroup_populated(const Cgroup& cg);

}  // namespace confine::ebpf
