#include "sandbox/mounts.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace confine::sandbox {

namespace {
std::string q(const std::string& s) { return "\"" + s + "\""; }

// mount_setattr(2) (Linux 5.12): changes flags of a whole mount tree at once.
Status set_tree_attr(const std::string& path, uint64_t set, uint64_t clr) {
  mount_attr attr{};
  attr.attr_set = set;
  attr.attr_clr = clr;
  if (syscall(SYS_mount_setattr, AT_FDCWD, path.c_str(), AT_RECURSIVE | AT_SYMLINK_NOFOLLOW, &attr,
              sizeof attr) != 0) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "mount_setattr(AT_FDCWD, %s, AT_RECURSIVE, {attr_set=%s, attr_clr=%s})",
                  q(path).c_str(), set ? "MOUNT_ATTR_RDONLY" : "0", clr ? "MOUNT_ATTR_RDONLY" : "0");
    return Error::sys(buf, errno);
  }
  return ok();
}

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

// The privileged operations here only remove access: read-only binds over
// kernel knobs, /dev/null or an empty read-only tmpfs over leaky entries.
// Applies to the host's /proc too (--share pid): the binds live in our mount namespace only.
Status harden_sys_proc() {
  if (is_mount_point("/sys"))
    CONFINE_CHECK_CTX(set_tree_attr("/sys", MOUNT_ATTR_RDONLY, 0), "/sys read-only");
  struct stat st;
  for (const char* p : {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"})
    if (lstat(p, &st) == 0) CONFINE_CHECK_CTX(bind_self_ro(p), "masking /proc");
  for (const char* p : {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/latency_stats",
                        "/proc/sched_debug", "/proc/kallsyms"}) {
    if (lstat(p, &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (mount("/dev/null", p, nullptr, MS_BIND, nullptr) != 0)
      return Error::sys("mount(\"/dev/null\", " + q(p) + ", NULL, MS_BIND, NULL)", errno)
          .context("masking /proc");
  }
  for (const char* p : {"/proc/acpi", "/proc/scsi"}) {
    if (lstat(p, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    if (mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") != 0)
      return Error::sys("mount(\"tmpfs\", " + q(p) + ", \"tmpfs\", MS_RDONLY, \"size=0\")", errno)
          .context("masking /proc");
  }
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
  if (c.read_only_root) CONFINE_CHECK_CTX(set_tree_attr("/", MOUNT_ATTR_RDONLY, 0), "--read-only");
  for (const auto& b : c.binds) {
    if (mount(b.src.c_str(), b.dst.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return Error::sys("mount(" + q(b.src) + ", " + q(b.dst) + ", NULL, MS_BIND|MS_REC, NULL)", errno);
    // A bind copies the flags of the mount it came from: set exactly what was asked.
    if (b.read_only)
      CONFINE_CHECK(set_tree_attr(b.dst, MOUNT_ATTR_RDONLY, 0));
    else if (c.read_only_root)
      CONFINE_CHECK(set_tree_attr(b.dst, 0, MOUNT_ATTR_RDONLY));
  }
  for (const auto& t : c.tmpfs) {
    std::string opts = "mode=1777";
    if (t.size_bytes) opts += ",size=" + std::to_string(t.size_bytes);
    if (mount("tmpfs", t.path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0)
      return Error::sys("mount(\"tmpfs\", " + q(t.path) + ", \"tmpfs\", MS_NOSUID|MS_NODEV, " + q(opts) + ")",
                        errno);
  }
  if (c.new_proc) {
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
      return Error::sys("mount(\"proc\", \"/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)", errno);
  }
  if (c.harden_sys_proc) CONFINE_CHECK(harden_sys_proc());
  return ok();
}

std::string describe(const MountConfig& c) {
  std::string s = "propagation slave";
  s += c.read_only_root ? "; root read-only (recursive)" : "; root writable as on the host";
  for (const auto& b : c.binds) s += "; bind " + b.src + " -> " + b.dst + (b.read_only ? " (ro)" : " (rw)");
  for (const auto& t : c.tmpfs)
    s += "; tmpfs " + t.path + (t.size_bytes ? " size=" + size_str(t.size_bytes) : std::string()) + " (rw)";
  if (c.new_proc) s += "; fresh /proc";
  if (c.harden_sys_proc) s += "; /sys and /proc kernel knobs read-only, leaky /proc files masked";
  return s;
}

}  // namespace confine::sandbox
