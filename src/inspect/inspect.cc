#include "inspect/inspect.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/capabilities.h"
#include "core/mountinfo.h"

namespace confine::inspect {

namespace {

std::string proc_path(pid_t pid, std::string_view rel) {
  return (pid == 0 ? std::string("/proc/self/") : "/proc/" + std::to_string(pid) + "/") + std::string(rel);
}

// Small file read; nullopt + errno on failure.
std::optional<std::string> slurp(const std::string& path, int* err = nullptr, size_t max = 1 << 20) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (err) *err = errno;
    return std::nullopt;
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (err) *err = errno;
      close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max) break;
  }
  close(fd);
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t' || s.back() == '\0'))
    s.pop_back();
  size_t b = 0;
  while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
  return s.substr(b);
}

std::string status_field(const std::string& status, std::string_view key) {
  std::istringstream in(status);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 && line[key.size()] == ':')
      return trim(line.substr(key.size() + 1));
  }
  return {};
}

std::optional<uint64_t> hex_u64(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 16);
  if (errno || !end || *end) return std::nullopt;
  return v;
}

int int_or(const std::string& s, int dflt) {
  if (s.empty()) return dflt;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (!end || *end) return dflt;
  return static_cast<int>(v);
}

std::optional<uint64_t> ns_inode(const std::string& link_path, std::string* error) {
  struct stat st {};
  if (stat(link_path.c_str(), &st) != 0) {
    if (error) *error = errno_name(errno);
    return std::nullopt;
  }
  return static_cast<uint64_t>(st.st_ino);
}

std::vector<IdMapLine> parse_map(const std::string& text) {
  std::vector<IdMapLine> out;
  std::istringstream in(text);
  IdMapLine l;
  while (in >> l.inside >> l.outside >> l.count) out.push_back(l);
  return out;
}

bool is_socket(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// Mount options of the mount that covers `target` in a mountinfo text ("" if none).
std::string mount_opts_for(const std::string& mountinfo, const std::string& target) {
  std::string best_opts;
  size_t best_len = 0;
  bool have = false;
  for (const auto& m : mountinfo::parse(mountinfo)) {
    const std::string& mnt = m.mount_point;
    bool covers = target == mnt || (target.starts_with(mnt) && (mnt == "/" || target[mnt.size()] == '/'));
    if (covers && (!have || mnt.size() >= best_len)) {  // later mounts on the same point win
      best_len = mnt.size();
      best_opts = m.options;
      have = true;
    }
  }
  return best_opts;
}

void guess_runtime(pid_t pid, Report* r, const std::string& environ) {
  auto add = [&](std::string rt, std::string why) {
    if (r->runtime.empty()) r->runtime = rt;
    r->runtime_evidence.push_back(std::move(why));
  };
  std::string root = proc_path(pid, "root");
  struct stat st {};
  if (stat((root + "/.dockerenv").c_str(), &st) == 0) add("docker", "/.dockerenv exists");
  if (stat((root + "/run/.containerenv").c_str(), &st) == 0) add("podman", "/run/.containerenv exists");
  if (stat((root + "/.flatpak-info").c_str(), &st) == 0) add("flatpak", "/.flatpak-info exists");
  if (stat((root + "/var/run/secrets/kubernetes.io").c_str(), &st) == 0 ||
      stat((root + "/run/secrets/kubernetes.io").c_str(), &st) == 0)
    add("kube", "kubernetes service account secrets mounted");
  // environ: NUL-separated
  size_t p = 0;
  while (p < environ.size()) {
    size_t e = environ.find('\0', p);
    if (e == std::string::npos) e = environ.size();
    std::string_view kv(environ.data() + p, e - p);
    if (kv.starts_with("container=")) add(std::string(kv.substr(10)), "environment " + std::string(kv));
    if (kv.starts_with("KUBERNETES_SERVICE_HOST=")) add("kube", "environment KUBERNETES_SERVICE_HOST");
    p = e + 1;
  }
  struct Pat {
    std::string_view needle, runtime;
  } pats[] = {{"kubepods", "kube"},
              {"docker", "docker"},
              {"libpod", "podman"},
              {"crio", "cri-o"},
              {"containerd", "containerd"},
              {"lxc", "lxc"},
              {"machine.slice", "systemd-nspawn"},
              {"garden", "garden"}};
  for (const auto& pt : pats)
    if (r->cgroup.find(pt.needle) != std::string::npos) {
      add(std::string(pt.runtime), "cgroup path contains \"" + std::string(pt.needle) + "\"");
      break;
    }
  if (r->comm == "bwrap" || r->exe.ends_with("/bwrap")) add("bwrap", "process is bubblewrap");
  if (r->runtime.empty()) r->runtime = "none";
}

}  // namespace

std::string cap_name(int bit) {
  std::string_view base = capability_base_name(bit);
  if (!base.empty()) return "cap_" + std::string(base);
  return std::to_string(bit);
}

std::optional<int> cap_from_name(std::string_view n) { return capability_from_name(n); }

std::vector<std::string> cap_names(uint64_t mask) {
  std::vector<std::string> out;
  for (int b = 0; b < 64; ++b)
    if (mask & (uint64_t{1} << b)) out.push_back(cap_name(b));
  return out;
}

uint64_t all_known_caps() { return (uint64_t{1} << (kLastKnownCap + 1)) - 1; }

std::string cap_summary(uint64_t eff) {
  if (eff == 0) return "none";
  if ((eff & all_known_caps()) == all_known_caps()) return "full";
  auto names = cap_names(eff);
  std::string s = std::to_string(names.size()) + ":";
  for (size_t i = 0; i < names.size(); ++i)
    s += (i ? "," : "") + names[i].substr(names[i].starts_with("cap_") ? 4 : 0);
  return s;
}

std::string_view seccomp_mode_name(int mode) {
  switch (mode) {
    case 0: return "disabled";
    case 1: return "strict";
    case 2: return "filter";
    default: return "unknown";
  }
}

Result<int> landlock_abi() {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (v < 0) return Error::sys("landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)", errno);
  return static_cast<int>(v);
}

Result<Report> inspect_pid(pid_t pid) {
  Report r;
  int err = 0;
  auto status = slurp(proc_path(pid, "status"), &err);
  if (!status) {
    if (err == ENOENT || err == ESRCH) return Error("no such process: " + std::to_string(pid));
    return Error::sys("read " + proc_path(pid, "status"), err);
  }
  r.pid = pid == 0 ? getpid() : pid;
  r.comm = status_field(*status, "Name");
  r.state = status_field(*status, "State");
  {
    std::istringstream u(status_field(*status, "Uid")), g(status_field(*status, "Gid"));
    uint64_t v;
    while (u >> v) r.uids.push_back(v);
    while (g >> v) r.gids.push_back(v);
  }
  char buf[4096];
  ssize_t n = readlink(proc_path(pid, "exe").c_str(), buf, sizeof buf - 1);
  if (n > 0) r.exe.assign(buf, static_cast<size_t>(n));
  if (auto cmd = slurp(proc_path(pid, "cmdline"), nullptr, 4096)) {
    for (char& c : *cmd)
      if (c == '\0') c = ' ';
    r.cmdline = trim(*cmd);
  }

  // Capabilities, no_new_privs, seccomp.
  auto ce = hex_u64(status_field(*status, "CapEff")), cp = hex_u64(status_field(*status, "CapPrm")),
       ci = hex_u64(status_field(*status, "CapInh")), cb = hex_u64(status_field(*status, "CapBnd")),
       ca = hex_u64(status_field(*status, "CapAmb"));
  if (ce && cp && ci && cb) r.caps = CapSets{*ce, *cp, *ci, *cb, ca.value_or(0)};
  r.no_new_privs = int_or(status_field(*status, "NoNewPrivs"), -1);
  r.seccomp = int_or(status_field(*status, "Seccomp"), -1);
  r.seccomp_filters = int_or(status_field(*status, "Seccomp_filters"), -1);

  // Namespaces vs PID 1.
  for (std::string_view t : {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                             "time_for_children", "user", "uts"}) {
    Namespace ns;
    ns.type = std::string(t);
    std::string e;
    if (auto ino = ns_inode(proc_path(pid, "ns/" + ns.type), &e))
      ns.inode = *ino;
    else
      ns.error = e;
    if (auto ino = ns_inode("/proc/1/ns/" + ns.type, nullptr)) ns.init_inode = *ino;
    if (auto ino = ns_inode("/proc/self/ns/" + ns.type, nullptr)) ns.self_inode = *ino;
    r.namespaces.push_back(std::move(ns));
  }
  if (auto m = slurp(proc_path(pid, "uid_map"))) r.uid_map = parse_map(*m);
  if (auto m = slurp(proc_path(pid, "gid_map"))) r.gid_map = parse_map(*m);
  r.uid_map_identity = r.uid_map.size() == 1 && r.uid_map[0].inside == 0 && r.uid_map[0].outside == 0 &&
                       r.uid_map[0].count == 4294967295u;

  // LSMs.
  if (auto l = slurp("/sys/kernel/security/lsm")) {
    std::string s = trim(*l);
    size_t p = 0;
    while (p <= s.size() && !s.empty()) {
      size_t c = s.find(',', p);
      r.lsms.push_back(s.substr(p, c == std::string::npos ? std::string::npos : c - p));
      if (c == std::string::npos) break;
      p = c + 1;
    }
  }
  if (auto a = slurp(proc_path(pid, "attr/apparmor/current"))) r.apparmor = trim(*a);
  if (auto c = slurp(proc_path(pid, "attr/current"))) {
    r.lsm_current = trim(*c);
    bool aa_active = std::find(r.lsms.begin(), r.lsms.end(), "apparmor") != r.lsms.end();
    bool se_active = std::find(r.lsms.begin(), r.lsms.end(), "selinux") != r.lsms.end();
    if (r.apparmor.empty() && aa_active) r.apparmor = r.lsm_current;
    if (se_active) r.selinux = r.lsm_current;
    // Without securityfs: an SELinux context has the user:role:type form; AppArmor labels look like "name
    // (mode)".
    if (r.lsms.empty() && r.apparmor.empty()) {
      if (std::count(r.lsm_current.begin(), r.lsm_current.end(), ':') >= 2)
        r.selinux = r.lsm_current;
      else if (!r.lsm_current.empty())
        r.apparmor = r.lsm_current;
    }
  }

  // Landlock.
  if (auto abi = landlock_abi())
    r.landlock_abi = *abi;
  else
    r.landlock_error = abi.error().message();
  r.landlock_restricted =
      "unknown: the kernel does not expose a process's Landlock domain in /proc (`confine logs` shows "
      "LANDLOCK_DOMAIN records of audited domains)";

  if (auto cg = slurp(proc_path(pid, "cgroup"))) r.cgroup = trim(*cg);
  std::string environ = slurp(proc_path(pid, "environ"), nullptr, 1 << 20).value_or("");
  guess_runtime(pid, &r, environ);

  // Rlimits of note.
  if (auto lim = slurp(proc_path(pid, "limits"))) {
    struct Want {
      std::string_view prefix, name;
    } wants[] = {{"Max open files", "nofile"},   {"Max processes", "nproc"},
                 {"Max core file size", "core"}, {"Max locked memory", "memlock"},
                 {"Max address space", "as"},    {"Max file size", "fsize"},
                 {"Max cpu time", "cpu"},        {"Max stack size", "stack"}};
    std::istringstream in(*lim);
    std::string line;
    while (std::getline(in, line)) {
      for (const auto& w : wants) {
        if (!line.starts_with(w.prefix)) continue;
        std::istringstream ls(line.substr(25 < line.size() ? 25 : line.size()));
        Rlimit rl;
        rl.name = std::string(w.name);
        ls >> rl.soft >> rl.hard;
        r.rlimits.push_back(rl);
      }
    }
  }

  // Dangerous exposures.
  auto expose = [&](std::string s) { r.exposures.push_back(std::move(s)); };
  std::string root = proc_path(pid, "root");
  for (std::string_view sock :
       {"/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
        "/var/run/containerd/containerd.sock", "/run/podman/podman.sock", "/var/run/crio/crio.sock",
        "/run/crio/crio.sock", "/run/buildkit/buildkitd.sock", "/var/run/cri-dockerd.sock"}) {
    if (is_socket(root + std::string(sock)))
      expose("container runtime socket reachable: " + std::string(sock));
  }
  if (auto mi = slurp(proc_path(pid, "mountinfo"), nullptr, 8 << 20)) {
    std::string opts = mount_opts_for(*mi, "/proc/sys");
    if (opts.starts_with("rw")) expose("/proc/sys is mounted read-write");
    std::string sys = mount_opts_for(*mi, "/sys");
    if (sys.starts_with("rw") && r.runtime != "none") expose("/sys is mounted read-write in a container");
  }
  for (const auto& ns : r.namespaces) {
    if (ns.type == "pid" && ns.inode && ns.init_inode && !ns.differs() && r.runtime != "none")
      expose("shares the PID namespace of PID 1 (host PID namespace) although it looks containerized");
  }
  if (r.caps) {
    constexpr int kSysAdmin = 21;
    if (r.caps->effective & (uint64_t{1} << kSysAdmin))
      expose("CAP_SYS_ADMIN in the effective set");
    else if (r.caps->bounding & (uint64_t{1} << kSysAdmin))
      expose("CAP_SYS_ADMIN in the bounding set");
    for (int b : {16, 17, 19, 2}) {  // sys_module, sys_rawio, sys_ptrace, dac_read_search
      if (r.caps->effective & (uint64_t{1} << b)) expose(cap_name(b) + " in the effective set");
    }
  }
  if (r.seccomp == 0) expose("no seccomp filter");
  if (r.no_new_privs == 0 && r.caps && r.caps->bounding != 0)
    expose("no_new_privs not set (setuid binaries can raise privileges)");
  return r;
}

std::vector<ProcSummary> list_processes() {
  std::vector<ProcSummary> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    long pid = std::strtol(e->d_name, &end, 10);
    if (!end || *end || pid <= 0) continue;
    auto status = slurp("/proc/" + std::string(e->d_name) + "/status");
    if (!status) continue;  // exited meanwhile
    ProcSummary s;
    s.pid = static_cast<pid_t>(pid);
    s.comm = status_field(*status, "Name");
    s.seccomp = int_or(status_field(*status, "Seccomp"), -1);
    s.seccomp_filters = int_or(status_field(*status, "Seccomp_filters"), -1);
    s.no_new_privs = int_or(status_field(*status, "NoNewPrivs"), -1);
    auto ce = hex_u64(status_field(*status, "CapEff")), cb = hex_u64(status_field(*status, "CapBnd"));
    if (ce && cb) {
      s.cap_eff = *ce;
      s.cap_bnd = *cb;
      s.caps_known = true;
    }
    std::istringstream u(status_field(*status, "Uid"));
    std::string ruid, euid;
    u >> ruid >> euid;
    s.uid = euid;
    std::string base = "/proc/" + std::string(e->d_name) + "/attr/";
    if (auto a = slurp(base + "apparmor/current"))
      s.lsm_label = trim(*a);
    else if (auto c = slurp(base + "current"))
      s.lsm_label = trim(*c);
    out.push_back(std::move(s));
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const ProcSummary& a, const ProcSummary& b) { return a.pid < b.pid; });
  return out;
}

}  // namespace confine::inspect
