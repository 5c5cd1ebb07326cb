#include "sandbox/limits.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "sandbox/mounts.h"

namespace confine::sandbox {

namespace {
// Our own cgroup path for a v1 controller ("memory") or v2 ("").
std::string own_cgroup(const std::string& controller) {
  std::ifstream f("/proc/self/cgroup");
  std::string line;
  while (std::getline(f, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controller.empty() ? (line.substr(0, a) == "0" && ctrls.empty()) : false) return path;
    std::stringstream ss(ctrls);
    std::string c;
    while (std::getline(ss, c, ','))
      if (!controller.empty() && c == controller) return path;
  }
  return {};
}

bool v2_has_controller(const std::string& root, const std::string& ctrl) {
  std::ifstream f(root + "/cgroup.controllers");
  std::string w;
  while (f >> w)
    if (w == ctrl) return true;
  return false;
}

Status write_file(const std::string& path, const std::string& value) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Error::sys("open(\"" + path + "\", O_WRONLY)", errno);
  ssize_t n = write(fd, value.data(), value.size());
  int e = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size()))
    return Error::sys("write(\"" + path + "\", \"" + value + "\")", n < 0 ? e : EIO);
  return ok();
}

struct Place {
  std::string dir;   // cgroup directory to create ("" = none usable)
  std::string kind;  // "cgroup v2" / "cgroup v1"
};

// Where a controller is usable: the v2 hierarchy (mounted at /sys/fs/cgroup or
// /sys/fs/cgroup/unified) if it offers the controller, else the v1 hierarchy.
Place find_place(const std::string& v1name, const std::string& v2name) {
  for (std::string root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
    struct stat st;
    if (stat((root + "/cgroup.controllers").c_str(), &st) != 0) continue;
    std::string base = root + own_cgroup("");
    if (base.size() > 1 && base.back() == '/') base.pop_back();
    if (v2_has_controller(base, v2name) && access(base.c_str(), W_OK) == 0) return {base, "cgroup v2"};
  }
  std::string root = "/sys/fs/cgroup/" + v1name;
  std::string base = root + own_cgroup(v1name);
  if (base.size() > 1 && base.back() == '/') base.pop_back();
  struct stat st;
  if (stat(base.c_str(), &st) == 0 && access(base.c_str(), W_OK) == 0) return {base, "cgroup v1"};
  return {};
}
}  // namespace

Result<double> parse_cpus(std::string_view s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !(v > 0) || !std::isfinite(v) || v > 4096)
    return Error("bad CPU count \"" + std::string(s) + "\" (expected e.g. 0.5 or 2)");
  return v;
}

Result<double> parse_duration(std::string_view s) {
  double mult = 1;
  std::string_view num = s;
  if (num.ends_with("ms"))
    mult = 0.001, num.remove_suffix(2);
  else if (num.ends_with("s"))
    num.remove_suffix(1);
  else if (num.ends_with("m"))
    mult = 60, num.remove_suffix(1);
  else if (num.ends_with("h"))
    mult = 3600, num.remove_suffix(1);
  double v = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (num.empty() || ec != std::errc() || p != num.data() + num.size() || !(v > 0) || !std::isfinite(v))
    return Error("bad duration \"" + std::string(s) + "\" (expected e.g. 10, 1.5s, 500ms, 2m)");
  return v * mult;
}

namespace {
const char* kNprocIgnored =
    "RLIMIT_NPROC does not bind this command (uid 0 or CAP_SYS_RESOURCE/CAP_SYS_ADMIN in the initial user "
    "namespace)";
}  // namespace

Status check_limits(const LimitsConfig& c) {
  for (const auto& line : plan_limits(c))
    if (line.find("NOT ENFORCEABLE") != std::string::npos) return Error("limits: " + line);
  return ok();
}

std::vector<std::string> plan_limits(const LimitsConfig& c) {
  std::vector<std::string> out;
  auto place = [&](const char* v1, const char* v2) {
    Place p = find_place(v1, v2);
    if (c.cgroupfs_writable && !p.dir.empty())
      p.kind = "NOT ENFORCEABLE (cgroup writable without a mount namespace): " + p.kind;
    return p;
  };
  if (c.memory_bytes) {
    Place p = place("memory", "memory");
    out.push_back("memory " + std::to_string(*c.memory_bytes) + " bytes: " +
                  (p.dir.empty() ? "NOT ENFORCEABLE (no usable memory cgroup): run refused"
                                 : p.kind + " " + p.dir + "/confine-PID"));
  }
  if (c.pids) {
    Place p = place("pids", "pids");
    out.push_back(
        "pids " + std::to_string(*c.pids) + ": " +
        (!p.dir.empty() ? p.kind + " " + p.dir + "/confine-PID"
         : c.nproc_rlimit_ignored
             ? std::string("NOT ENFORCEABLE (no usable pids cgroup; ") + kNprocIgnored + "): run refused"
             : "RLIMIT_NPROC (no usable pids cgroup; counts the uid's processes)"));
  }
  if (c.cpus) {
    Place p = place("cpu", "cpu");
    char b[32];
    std::snprintf(b, sizeof b, "%g", *c.cpus);
    out.push_back(std::string("cpu ") + b + ": " +
                  (p.dir.empty() ? "NOT ENFORCEABLE (no usable cpu cgroup): run refused"
                                 : p.kind + " " + p.dir + "/confine-PID"));
  }
  if (c.timeout_s) {
    char b[32];
    std::snprintf(b, sizeof b, "%gs", *c.timeout_s);
    out.push_back(std::string("timeout ") + b + ": SIGKILL to the whole sandbox, exit 124");
  }
  return out;
}

Result<Cgroups> Cgroups::create(const LimitsConfig& c) {
  Cgroups g;
  std::string leaf = "confine-" + std::to_string(getpid());
  auto make = [&](const Place& p) -> Result<std::string> {
    if (c.cgroupfs_writable)
      return Error("the command would share confine's mount namespace, where " + p.dir +
                   " is writable: it could move itself out of its cgroup; refusing (do not --share mount)");
    std::string dir = p.dir + "/" + leaf;
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Error::sys("mkdir(\"" + dir + "\")", errno);
    g.dirs_.push_back(dir);
    return dir;
  };
  // Every limit asked for is enforced or the run is refused: on any error the
  // directories made so far are removed (Cgroups' destructor does not).
  auto refuse = [&](Error e) -> Error {
    g.cleanup();
    return e;
  };
  auto exists = [](const std::string& f) { return access(f.c_str(), F_OK) == 0; };
  if (c.memory_bytes) {
    Place p = find_place("memory", "memory");
    if (p.dir.empty())
      return refuse(Error(
          "--memory: no usable memory cgroup controller (not root, or not delegated); an rlimit (RLIMIT_AS) "
          "bounds one process's address space, not the sandbox's memory: refusing to run without the limit"));
    auto dir = make(p);
    if (!dir.ok()) return refuse(std::move(dir).error().context("--memory"));
    std::string v = std::to_string(*c.memory_bytes);
    bool v2 = p.kind == "cgroup v2";
    if (auto s = write_file(*dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"), v); !s.ok())
      return refuse(std::move(s).error().context("--memory"));
    // Swap must not extend the limit: when the kernel accounts swap, bound it too.
    std::string swap = *dir + (v2 ? "/memory.swap.max" : "/memory.memsw.limit_in_bytes");
    if (exists(swap))
      if (auto s = write_file(swap, v2 ? "0" : v); !s.ok())
        return refuse(std::move(s).error().context("--memory"));
    g.memory_ = true;
    g.notes_.push_back("memory: " + p.kind + " " + *dir);
  }
  if (c.pids) {
    Place p = find_place("pids", "pids");
    if (!p.dir.empty()) {
      auto dir = make(p);
      if (!dir.ok()) return refuse(std::move(dir).error().context("--pids"));
      if (auto s = write_file(*dir + "/pids.max", std::to_string(*c.pids)); !s.ok())
        return refuse(std::move(s).error().context("--pids"));
      g.pids_ = true;
      g.notes_.push_back("pids: " + p.kind + " " + *dir);
    } else if (c.nproc_rlimit_ignored) {
      return refuse(
          Error(std::string("--pids: no usable pids cgroup controller (not root, or not delegated) and ") +
                kNprocIgnored + ": refusing to run without the limit"));
    }
  }
  if (c.cpus) {
    Place p = find_place("cpu", "cpu");
    if (p.dir.empty()) {
      g.cleanup();
      return Error(
          "--cpu: no usable cpu cgroup controller (not root, or not delegated) and no rlimit equivalent; "
          "refusing to run without the limit");
    }
    auto dir_r = make(p);
    if (!dir_r.ok()) return refuse(std::move(dir_r).error().context("--cpu"));
    const std::string& dir = *dir_r;
    long period = 100000, quota = std::lround(*c.cpus * 100000.0);
    if (quota < 1000) quota = 1000;
    Status s = p.kind == "cgroup v2"
                   ? write_file(dir + "/cpu.max", std::to_string(quota) + " " + std::to_string(period))
                   : write_file(dir + "/cpu.cfs_period_us", std::to_string(period));
    if (s.ok() && p.kind != "cgroup v2") s = write_file(dir + "/cpu.cfs_quota_us", std::to_string(quota));
    if (!s.ok()) return refuse(std::move(s).error().context("--cpu"));
    g.notes_.push_back("cpu: " + p.kind + " " + dir);
  }
  return g;
}

Status Cgroups::add(pid_t pid) const {
  for (const auto& d : dirs_) CONFINE_CHECK(write_file(d + "/cgroup.procs", std::to_string(pid)));
  return ok();
}

void Cgroups::cleanup() {
  for (const auto& d : dirs_) {
    for (int i = 0; i < 50 && rmdir(d.c_str()) != 0 && errno == EBUSY; ++i) usleep(2000);
  }
  dirs_.clear();
}

Status apply_rlimits(const LimitsConfig& c, bool memory_in_cgroup, bool pids_in_cgroup) {
  if (c.memory_bytes && !memory_in_cgroup) return Error("--memory: internal: the memory cgroup was not made");
  if (c.pids && !pids_in_cgroup) {
    if (c.nproc_rlimit_ignored)
      return Error("--pids: internal: no pids cgroup and RLIMIT_NPROC would not bind");
    rlimit r{*c.pids, *c.pids};
    if (setrlimit(RLIMIT_NPROC, &r) != 0)
      return Error::sys("setrlimit(RLIMIT_NPROC, " + std::to_string(*c.pids) + ")", errno);
  }
  return ok();
}

std::string describe(const LimitsConfig& c) {
  auto v = plan_limits(c);
  if (v.empty()) return "none";
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : "; ") + x;
  return s;
}

Result<int> parse_signal(const std::string& s) {
  std::string n = s;
  if (!n.empty() && std::isdigit(static_cast<unsigned char>(n[0]))) {
    char* end = nullptr;
    long v = std::strtol(n.c_str(), &end, 10);
    if (end != n.c_str() + n.size() || v <= 0 || v >= NSIG || v == SIGKILL || v == SIGSTOP || v == SIGCHLD)
      return Error("signal " + s + ": expected a name (TERM) or a number 1.." + std::to_string(NSIG - 1) +
                   " (not KILL, STOP, CHLD)");
    return static_cast<int>(v);
  }
  if (n.starts_with("SIG")) n = n.substr(3);
  for (int i = 1; i < NSIG; ++i) {
    const char* a = sigabbrev_np(i);
    if (a && n == a) {
      if (i == SIGKILL || i == SIGSTOP || i == SIGCHLD) break;
      return i;
    }
  }
  return Error("signal " + s + ": expected a name such as TERM, INT, HUP, QUIT, USR1 (not KILL, STOP, CHLD)");
}

}  // namespace confine::sandbox
