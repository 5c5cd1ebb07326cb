#include "ebpf/cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/mountinfo.h"

namespace confine::ebpf {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

std::optional<std::string> cgroup2_mount_in(std::string_view mountinfo) {
  for (const auto& m : mountinfo::parse(mountinfo)) {
    if (m.fstype != "cgroup2") continue;
    if (m.root != "/") continue;  // a bind mount of a subtree: ids/levels would not match
    if (m.mount_point.empty() || m.mount_point[0] != '/') continue;  // not a mount point the kernel writes
    return m.mount_point;
  }
  return std::nullopt;
}

std::optional<std::string> cgroup_v2_entry(std::string_view proc_cgroup) {
  std::istringstream in{std::string(proc_cgroup)};
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with("0::")) return line.substr(3);
  return std::nullopt;
}

Result<std::string> cgroup2_mount() {
  if (auto m = cgroup2_mount_in(read_all("/proc/self/mountinfo"))) return *m;
  return Error(
      "no cgroup2 (unified hierarchy) mount in /proc/self/mountinfo: the eBPF backend selects "
      "the workload by its cgroup v2 (mount one: mount -t cgroup2 none /sys/fs/cgroup/unified)");
}

Result<Cgroup> cgroup_at(const std::string& path) {
  CONFINE_TRY(std::string mnt, cgroup2_mount());
  Cgroup cg;
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == mnt || p.starts_with(mnt + "/")) {
    cg.path = p;
    cg.rel = p == mnt ? "/" : p.substr(mnt.size());
  } else if (!p.empty() && p[0] == '/') {
    cg.path = mnt + (p == "/" ? "" : p);
    cg.rel = p;
  } else {
    return Error("--cgroup " + path + ": expected a directory under " + mnt +
                 " or a cgroup path like /system.slice/x.scope");
  }
  if (cg.rel.find("/../") != std::string::npos || cg.rel.ends_with("/.."))
    return Error("cgroup path " + path + ": \"..\" not allowed");
  struct stat st;
  if (stat(cg.path.c_str(), &st) != 0) return Error::sys("stat(\"" + cg.path + "\")", errno);
  if (!S_ISDIR(st.st_mode)) return Error(cg.path + ": not a cgroup directory");
  // On cgroup2 (kernfs, 64-bit) the inode number is the cgroup id bpf_get_current_cgroup_id() returns.
  cg.id = st.st_ino;
  cg.level = 0;
  for (size_t i = 0; i < cg.rel.size(); ++i)
    if (cg.rel[i] == '/' && i + 1 < cg.rel.size()) ++cg.level;
  return cg;
}

Result<Cgroup> cgroup_of(pid_t pid) {
  std::string f = "/proc/" + std::to_string(pid) + "/cgroup";
  std::string text = read_all(f);
  if (text.empty()) return Error("reading " + f + ": no such process (or not readable)");
  if (auto rel = cgroup_v2_entry(text)) return cgroup_at(*rel);
  return Error(f + " has no cgroup v2 entry (0::PATH)");
}

Result<Cgroup> make_cgroup(const std::string& name) {
  CONFINE_TRY(std::string mnt, cgroup2_mount());
  auto own = cgroup_of(getpid());
  std::string last_err;
  std::vector<std::string> parents;
  if (own.ok()) parents.push_back(own->path);
  if (!own.ok() || own->path != mnt) parents.push_back(mnt);
  for (const auto& parent : parents) {
    std::string dir = parent + "/" + name;
    if (mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return cgroup_at(dir);
    last_err = Error::sys("mkdir(\"" + dir + "\")", errno).message();
  }
  return Error("cannot create a cgroup v2 for the command: " + last_err);
}

std::vector<pid_t> cgroup_procs(const Cgroup& cg) {
  std::vector<pid_t> out;
  std::istringstream in(read_all(cg.path + "/cgroup.procs"));
  long p;
  while (in >> p) out.push_back(static_cast<pid_t>(p));
  return out;
}

bool cgroup_populated(const Cgroup& cg) {
  std::string t = read_all(cg.path + "/cgroup.events");
  size_t i = t.find("populated ");
  if (i == std::string::npos) return !cgroup_procs(cg).empty();
  return t.compare(i + 10, 1, "1") == 0;
}

}  // namespace confine::ebpf
