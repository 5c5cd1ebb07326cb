#include "sandbox/mounts.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>
#include <vector>

#include "core/file.h"
#include "core/mountinfo.h"

namespace confine::sandbox {

namespace {
std::string q(const std::string& s) { return "\"" + s + "\""; }

std::string attr_str(uint64_t a) {
  std::string s;
  for (auto [bit, name] : {std::pair{MOUNT_ATTR_RDONLY, "MOUNT_ATTR_RDONLY"},
                           {MOUNT_ATTR_NOSUID, "MOUNT_ATTR_NOSUID"},
                           {MOUNT_ATTR_NODEV, "MOUNT_ATTR_NODEV"},
                           {MOUNT_ATTR_NOEXEC, "MOUNT_ATTR_NOEXEC"}})
    if (a & bit) s += (s.empty() ? "" : "|") + std::string(name);
  return s.empty() ? "0" : s;
}

// mount_setattr(2) (Linux 5.12): changes flags of a mount (tree) at once.
Status set_attr(const std::string& path, uint64_t set, uint64_t clr, bool recursive = true) {
  mount_attr attr{};
  attr.attr_set = set;
  attr.attr_clr = clr;
  unsigned flags = AT_SYMLINK_NOFOLLOW | (recursive ? AT_RECURSIVE : 0);
  if (syscall(SYS_mount_setattr, AT_FDCWD, path.c_str(), flags, &attr, sizeof attr) != 0)
    return Error::sys("mount_setattr(AT_FDCWD, " + q(path) + (recursive ? ", AT_RECURSIVE" : ", 0") +
                          ", {attr_set=" + attr_str(set) + ", attr_clr=" + attr_str(clr) + "})",
                      errno);
  return ok();
}
Status set_tree_attr(const std::string& path, uint64_t set, uint64_t clr) { return set_attr(path, set, clr); }

std::string size_str(uint64_t b) {
  if (b && b % (1ull << 30) == 0) return std::to_string(b >> 30) + "g";
  if (b && b % (1ull << 20) == 0) return std::to_string(b >> 20) + "m";
  if (b && b % (1ull << 10) == 0) return std::to_string(b >> 10) + "k";
  return std::to_string(b);
}
bool is_mount_point(const char* path) {
  struct stat a, b;
  std::string parent = std::string(path) + "/..";
  if (stat(path, &a) != 0 || stat(parent.c_str(), &b) != 0) return false;
  return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

Status bind_self_ro(const std::string& p) {
  if (mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    return Error::sys("mount(" + q(p) + ", " + q(p) + ", NULL, MS_BIND|MS_REC, NULL)", errno);
  return set_tree_attr(p, MOUNT_ATTR_RDONLY, 0);
}

// What runtimes mask, so do we (files: /dev/null bound over them; directories:
// an empty read-only tmpfs). runc's default spec (libcontainer/specconv/example.go,
// MaskedPaths): /proc/acpi, asound, kcore, keys, latency_stats, timer_list,
// timer_stats, sched_debug, scsi, /sys/firmware, /sys/devices/virtual/powercap;
// podman (containers/common pkg/config/default.go, DefaultMaskedPaths) adds
// /proc/interrupts, /sys/dev/block, /sys/fs/selinux. Ours also: kallsyms
// (kernel addresses) and kpageflags/kpagecount/kpagecgroup (physical page
// state: Rowhammer-style and side-channel aids). Read-only (both runtimes'
// ReadonlyPaths): /proc/bus, fs, irq, sys, sysrq-trigger.
constexpr const char* kMaskedFiles[] = {"/proc/kcore",       "/proc/keys",          "/proc/timer_list",
                                        "/proc/timer_stats", "/proc/latency_stats", "/proc/sched_debug",
                                        "/proc/kallsyms",    "/proc/kpageflags",    "/proc/kpagecount",
                                        "/proc/kpagecgroup", "/proc/interrupts"};
constexpr const char* kMaskedDirs[] = {
    "/proc/acpi",     "/proc/scsi",     "/proc/asound", "/sys/firmware", "/sys/devices/virtual/powercap",
    "/sys/dev/block", "/sys/fs/selinux"};
// plus /proc/mtrr (x86 memory type ranges: root-writable with CAP_SYS_ADMIN; no runtime lists it).
constexpr const char* kReadOnlyProc[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus",
                                         "/proc/fs",  "/proc/mtrr"};

// Kernel-internal file systems that hosts mount below /sys and that a fresh sysfs (runc's
// container /sys) does not have: the trace buffer (tracefs; a read of trace_pipe also takes
// the events from the host's tracers), debugfs, pinned BPF objects (bpf), LSM policy and IMA
// measurements (securityfs), configfs, kernel crash logs (pstore), EFI variables (efivarfs),
// fuse connections (fusectl). Read-only is not enough (root in the sandbox reads them): each
// is masked with an empty read-only tmpfs. cgroup file systems stay (a workload reads its
// own limits there: node, the JVM, Go's runtime).
constexpr const char* kMaskedSysFsTypes[] = {"tracefs",  "debugfs", "bpf",      "securityfs",
                                             "configfs", "pstore",  "efivarfs", "fusectl"};

// The mount points below /sys of kMaskedSysFsTypes, in /proc/self/mountinfo's order (a
// parent before what is mounted on it).
Result<std::vector<std::string>> kernel_mounts_below_sys() {
  CONFINE_TRY(std::string text, file::read_file("/proc/self/mountinfo", 16u << 20));
  std::vector<std::string> out;
  for (auto& m : mountinfo::parse(text)) {
    if (!m.mount_point.starts_with("/sys/")) continue;
    for (const char* t : kMaskedSysFsTypes)
      if (m.fstype == t) out.push_back(std::move(m.mount_point));
  }
  return out;
}

// The privileged operations here only remove access: read-only binds over
// kernel knobs, /dev/null or an empty read-only tmpfs over leaky entries.
// Applies to the host's /proc too (--share pid): the binds live in our mount namespace only.
Status harden_sys_proc(bool root_read_only) {
  // (--read-only already made /sys read-only with the rest of the tree.)
  if (!root_read_only && is_mount_point("/sys"))
    CONFINE_CHECK_CTX(set_tree_attr("/sys", MOUNT_ATTR_RDONLY, 0), "/sys read-only");
  struct stat st;
  for (const char* p : kReadOnlyProc)
    if (lstat(p, &st) == 0) CONFINE_CHECK_CTX(bind_self_ro(p), "masking /proc");
  for (const char* p : kMaskedFiles) {
    if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (mount("/dev/null", p, nullptr, MS_BIND, nullptr) != 0)
      return Error::sys("mount(\"/dev/null\", " + q(p) + ", NULL, MS_BIND, NULL)", errno)
          .context("masking /proc");
  }
  auto mask_dir = [](const std::string& p) -> Status {
    if (mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") != 0)
      return Error::sys("mount(\"tmpfs\", " + q(p) + ", \"tmpfs\", MS_RDONLY, \"size=0\")", errno)
          .context("masking /proc and /sys");
    return ok();
  };
  for (const char* p : kMaskedDirs) {
    if (lstat(p, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    CONFINE_CHECK(mask_dir(p));
  }
  CONFINE_TRY(auto kernel_mounts, kernel_mounts_below_sys());
  for (const auto& p : kernel_mounts) {
    // Gone or no longer a directory: under a mount masked just before (debugfs/tracing).
    if (lstat(p.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    CONFINE_CHECK(mask_dir(p));
  }
  return ok();
}

// ---- private /dev -------------------------------------------------------------
// The host nodes bound into the private /dev: the minimal set of bubblewrap's
// --dev and of runc's default devices (no console, no ttyN, no block device).
constexpr const char* kDevNodes[] = {"/dev/null",   "/dev/zero",    "/dev/full",
                                     "/dev/random", "/dev/urandom", "/dev/tty"};
constexpr std::pair<const char*, const char*> kDevLinks[] = {{"/dev/ptmx", "pts/ptmx"},
                                                             {"/dev/fd", "/proc/self/fd"},
                                                             {"/dev/stdin", "/proc/self/fd/0"},
                                                             {"/dev/stdout", "/proc/self/fd/1"},
                                                             {"/dev/stderr", "/proc/self/fd/2"}};

// Detached clones (open_tree) of the host nodes, taken before the host /dev is
// covered and before nodev is set on the host's mounts. A node is usable only
// through its own bind mount: the tmpfs under it and every other mount is nodev.
struct DevClones {
  std::vector<std::pair<std::string, int>> nodes;  // path in /dev, detached mount
  int shm = -1;                                    // host /dev/shm (--share ipc)
  DevClones() = default;
  DevClones(const DevClones&) = delete;
  DevClones& operator=(const DevClones&) = delete;
  ~DevClones() {
    for (auto& n : nodes) close(n.second);
    if (shm >= 0) close(shm);
  }
};

// A detached clone of the mount at path; -errno on failure.
int clone_mount(const std::string& path, bool recursive) {
  long fd =
      syscall(SYS_open_tree, AT_FDCWD, path.c_str(),
              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW | (recursive ? AT_RECURSIVE : 0));
  return fd < 0 ? -errno : static_cast<int>(fd);
}
Error clone_error(const std::string& path, int neg_errno) {
  return Error::sys("open_tree(AT_FDCWD, " + q(path) + ", OPEN_TREE_CLONE)", -neg_errno);
}

Status attach(int fd, const std::string& dst) {
  if (syscall(SYS_move_mount, fd, "", AT_FDCWD, dst.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return Error::sys("move_mount(fd, \"\", AT_FDCWD, " + q(dst) + ", MOVE_MOUNT_F_EMPTY_PATH)", errno);
  return ok();
}

Status clone_dev(const MountConfig& c, DevClones& d) {
  for (const char* p : kDevNodes) {
    int fd = clone_mount(p, false);
    if (fd == -ENOENT) continue;  // not on this host: one node fewer
    if (fd < 0) return clone_error(p, fd).context("private /dev");
    d.nodes.emplace_back(p, fd);
  }
  for (const auto& p : c.devices) {
    int fd = clone_mount(p, false);
    if (fd < 0) return clone_error(p, fd).context("--device " + p);
    d.nodes.emplace_back(p, fd);
  }
  struct stat st;
  if (!c.new_ipc && stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)) {
    d.shm = clone_mount("/dev/shm", true);
    if (d.shm < 0) return clone_error("/dev/shm", d.shm).context("host /dev/shm (--share ipc)");
  }
  return ok();
}

Status make_dir(const std::string& p, mode_t mode) {
  if (mkdir(p.c_str(), mode) != 0 && errno != EEXIST) return Error::sys("mkdir(" + q(p) + ")", errno);
  return ok();
}

Status mount_fs(const char* src, const std::string& dst, const char* type, unsigned long flags,
                const char* flag_names, const std::string& opts) {
  if (mount(src, dst.c_str(), type, flags, opts.c_str()) != 0)
    return Error::sys(
        "mount(" + q(src) + ", " + q(dst) + ", " + q(type) + ", " + flag_names + ", " + q(opts) + ")", errno);
  return ok();
}

Status install_dev(const MountConfig& c, DevClones& d) {
  constexpr unsigned long kNo = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  CONFINE_CHECK(mount_fs("tmpfs", "/dev", "tmpfs", kNo, "MS_NOSUID|MS_NODEV|MS_NOEXEC", "mode=0755"));
  for (const auto& [path, fd] : d.nodes) {
    for (size_t s = path.find('/', 5); s != std::string::npos; s = path.find('/', s + 1))
      CONFINE_CHECK(make_dir(path.substr(0, s), 0755));
    int f = open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0) return Error::sys("open(" + q(path) + ", O_CREAT|O_EXCL)", errno);
    close(f);
    CONFINE_CHECK(attach(fd, path));
  }
  CONFINE_CHECK(make_dir("/dev/pts", 0755));
  CONFINE_CHECK(mount_fs("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "MS_NOSUID|MS_NOEXEC",
                         "newinstance,ptmxmode=0666,mode=0620"));
  for (const auto& [link, target] : kDevLinks)
    if (symlink(target, link) != 0) return Error::sys("symlink(" + q(target) + ", " + q(link) + ")", errno);
  CONFINE_CHECK(make_dir("/dev/shm", 01777));
  if (c.new_ipc) {
    CONFINE_CHECK(
        mount_fs("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "MS_NOSUID|MS_NODEV", "mode=1777"));
    CONFINE_CHECK(make_dir("/dev/mqueue", 0755));
    CONFINE_CHECK(mount_fs("mqueue", "/dev/mqueue", "mqueue", kNo, "MS_NOSUID|MS_NODEV|MS_NOEXEC", ""));
  } else if (d.shm >= 0) {
    CONFINE_CHECK(attach(d.shm, "/dev/shm"));
    // The clone predates --read-only's pass over the tree: as it was, read-only with the rest.
    uint64_t ro = c.read_only_root ? MOUNT_ATTR_RDONLY : 0;
    CONFINE_CHECK(set_attr("/dev/shm", MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | ro, 0));
  }
  // --read-only covers /dev itself too; shm, mqueue, pts and the nodes are their own mounts.
  if (c.read_only_root) CONFINE_CHECK(set_attr("/dev", MOUNT_ATTR_RDONLY, 0, /*recursive=*/false));
  return ok();
}
}  // namespace

Result<uint64_t> parse_size(std::string_view s) {
  if (s.empty()) return Error("empty size");
  uint64_t v = 0;
  size_t i = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (v > (UINT64_MAX - 9) / 10) return Error("size \"" + std::string(s) + "\" is too large");
    v = v * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  if (i == 0) return Error("bad size \"" + std::string(s) + "\" (expected e.g. 64m, 1g, 4096)");
  std::string_view suf = s.substr(i);
  int shift = 0;
  if (suf.empty() || suf == "b" || suf == "B")
    shift = 0;
  else if (suf == "k" || suf == "K" || suf == "KiB" || suf == "Ki")
    shift = 10;
  else if (suf == "m" || suf == "M" || suf == "MiB" || suf == "Mi")
    shift = 20;
  else if (suf == "g" || suf == "G" || suf == "GiB" || suf == "Gi")
    shift = 30;
  else
    return Error("bad size \"" + std::string(s) + "\" (unknown suffix \"" + std::string(suf) +
                 "\"; use k, m or g)");
  if (shift && v > (UINT64_MAX >> shift)) return Error("size \"" + std::string(s) + "\" is too large");
  v <<= shift;
  if (v == 0) return Error("size must be positive: \"" + std::string(s) + "\"");
  return v;
}

Result<TmpfsMount> parse_tmpfs(std::string_view spec) {
  TmpfsMount t;
  size_t colon = spec.find(':');
  t.path = std::string(spec.substr(0, colon));
  if (colon != std::string_view::npos) {
    auto sz = parse_size(spec.substr(colon + 1));
    if (!sz) return std::move(sz).error().context("--tmpfs " + std::string(spec));
    t.size_bytes = *sz;
  }
  if (t.path.empty() || t.path[0] != '/')
    return Error("--tmpfs " + std::string(spec) + ": path must be absolute");
  return t;
}

Result<BindMount> parse_bind(std::string_view spec) {
  BindMount b;
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t c = spec.find(':', start);
    parts.emplace_back(spec.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start));
    if (c == std::string_view::npos) break;
    start = c + 1;
  }
  if (parts.size() > 3 || parts.empty())
    return Error("--bind " + std::string(spec) + ": expected SRC[:DST[:ro|rw]]");
  b.src = parts[0];
  b.dst = parts.size() >= 2 && !parts[1].empty() ? parts[1] : parts[0];
  if (parts.size() == 3) {
    if (parts[2] == "ro")
      b.read_only = true;
    else if (parts[2] != "rw")
      return Error("--bind " + std::string(spec) + ": unknown option \"" + parts[2] + "\" (ro or rw)");
  }
  if (b.src.empty() || b.src[0] != '/' || b.dst.empty() || b.dst[0] != '/')
    return Error("--bind " + std::string(spec) + ": paths must be absolute");
  return b;
}

Status validate(const MountConfig& c) {
  struct stat st;
  for (const auto& t : c.tmpfs) {
    if (stat(t.path.c_str(), &st) != 0)
      return Error::sys("--tmpfs " + t.path + ": stat(" + q(t.path) + ")", errno);
    if (!S_ISDIR(st.st_mode)) return Error("--tmpfs " + t.path + ": not a directory");
  }
  for (const auto& d : c.devices) {
    if (!d.starts_with("/dev/") || d.find("/..") != std::string::npos || d.find("//") != std::string::npos)
      return Error("--device " + d + ": expected a path under /dev/ (e.g. /dev/fuse)");
    if (lstat(d.c_str(), &st) != 0) return Error::sys("--device " + d + ": lstat(" + q(d) + ")", errno);
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
      return Error("--device " + d + ": not a character or block device");
  }
  if (!c.private_dev && !c.devices.empty()) return Error("--device needs the private /dev");
  for (const auto& b : c.binds) {
    struct stat ss;
    if (stat(b.src.c_str(), &ss) != 0)
      return Error::sys("--bind " + b.src + ": stat(" + q(b.src) + ")", errno);
    if (stat(b.dst.c_str(), &st) != 0)
      return Error::sys("--bind " + b.src + ":" + b.dst + ": mount point: stat(" + q(b.dst) + ")", errno);
    if (S_ISDIR(ss.st_mode) != S_ISDIR(st.st_mode))
      return Error("--bind " + b.src + ":" + b.dst +
                   ": source and mount point must both be directories or both files");
  }
  return ok();
}

Status apply_mounts(const MountConfig& c) {
  // Nothing we mount may propagate back to the host.
  if (mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
    return Error::sys("mount(NULL, \"/\", NULL, MS_REC|MS_SLAVE, NULL)", errno);
  DevClones dev;
  if (c.private_dev) CONFINE_CHECK(clone_dev(c, dev));
  // nodev on every mount we inherit: a device node is usable only through the private /dev.
  uint64_t root_attr = (c.private_dev ? MOUNT_ATTR_NODEV : 0) | (c.read_only_root ? MOUNT_ATTR_RDONLY : 0);
  if (root_attr)
    CONFINE_CHECK_CTX(set_tree_attr("/", root_attr, 0), c.read_only_root ? "--read-only" : "nodev on /");
  if (c.private_dev) CONFINE_CHECK_CTX(install_dev(c, dev), "private /dev");
  for (const auto& b : c.binds) {
    if (mount(b.src.c_str(), b.dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return Error::sys("mount(" + q(b.src) + ", " + q(b.dst) + ", NULL, MS_BIND|MS_REC, NULL)", errno);
    // A bind copies the flags of the mount it came from: set exactly what was
    // asked, and always nodev,nosuid (a node made in a writable bind stays unusable).
    uint64_t set = MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | (b.read_only ? MOUNT_ATTR_RDONLY : 0);
    uint64_t clr = !b.read_only && c.read_only_root ? MOUNT_ATTR_RDONLY : 0;
    CONFINE_CHECK_CTX(set_tree_attr(b.dst, set, clr), "--bind " + b.src + ":" + b.dst);
  }
  for (const auto& t : c.tmpfs) {
    std::string opts = "mode=1777";
    if (t.size_bytes) opts += ",size=" + std::to_string(t.size_bytes);
    CONFINE_CHECK(mount_fs("tmpfs", t.path, "tmpfs", MS_NOSUID | MS_NODEV, "MS_NOSUID|MS_NODEV", opts));
  }
  if (c.new_proc)
    CONFINE_CHECK(mount_fs("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                           "MS_NOSUID|MS_NODEV|MS_NOEXEC", ""));
  if (c.harden_sys_proc) CONFINE_CHECK(harden_sys_proc(c.read_only_root));
  return ok();
}

std::string describe(const MountConfig& c) {
  std::string s = "propagation slave";
  s += c.read_only_root ? "; root read-only (recursive)" : "; root writable as on the host";
  if (c.private_dev) {
    s += "; nodev on every inherited mount; private /dev (tmpfs nosuid,nodev,noexec";
    s += c.read_only_root ? ", read-only):" : "):";
    for (const char* n : kDevNodes) s += std::string(" ") + (n + 5);
    s += " bound from the host";
    for (const auto& d : c.devices) s += ", " + d + " (--device, bound from the host)";
    s += ", pts (new devpts instance), ptmx -> pts/ptmx, fd stdin stdout stderr -> /proc/self/fd";
    s += c.new_ipc ? ", shm (private tmpfs nosuid,nodev), mqueue (private)"
                   : std::string(", shm = the host's /dev/shm (shared ipc, nodev, nosuid") +
                         (c.read_only_root ? ", read-only)" : ")");
  }
  for (const auto& b : c.binds)
    s += "; bind " + b.src + " -> " + b.dst + (b.read_only ? " (ro" : " (rw") + ", nodev, nosuid)";
  for (const auto& t : c.tmpfs)
    s += "; tmpfs " + t.path + (t.size_bytes ? " size=" + size_str(t.size_bytes) : std::string()) +
         " (rw, nodev, nosuid)";
  if (c.new_proc) s += "; fresh /proc";
  if (c.harden_sys_proc) {
    s += "; /sys read-only; read-only:";
    for (const char* p : kReadOnlyProc) s += std::string(" ") + p;
    s += "; masked (if present):";
    for (const char* p : kMaskedFiles) s += std::string(" ") + p;
    for (const char* p : kMaskedDirs) s += std::string(" ") + p;
    s += "; masked wherever mounted below /sys:";
    for (const char* t : kMaskedSysFsTypes) s += std::string(" ") + t;
  }
  return s;
}

}  // namespace confine::sandbox
