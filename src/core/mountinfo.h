// /proc/PID/mountinfo, read one way for every module that needs it (the sandbox's masks, the
// eBPF source's cgroup2 mount, inspect's mount options).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace confine::mountinfo {

// One line: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER.
struct Mount {
  std::string root;         // unescaped
  std::string mount_point;  // unescaped
  std::string options;      // per-mount options ("rw,nosuid,...")
  std::string fstype;
};

// The kernel writes blanks and backslashes in paths as octal escapes (\040 \011 \012 \134).
std::string unescape(std::string_view field);

// The mounts of a mountinfo text, in its order (a parent before what is mounted on it); a line
// without the kernel's shape is skipped.
std::vector<Mount> parse(std::string_view text);

}  // namespace confine::mountinfo
