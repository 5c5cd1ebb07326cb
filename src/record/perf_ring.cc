#include "record/perf_ring.h"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <utility>

// Linux 6.0 (perf_event.h of older libc headers lacks it).
#ifndef PERF_FORMAT_LOST
#define PERF_FORMAT_LOST (1U << 4)
#endif

namespace confine::record::perf {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

Result<std::string> read_all(int fd, const std::string& what) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::sys("read(" + what + ")", errno);
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (1u << 20)) return Error(what + ": larger than 1 MiB");
  }
}

std::string read_small_file(const char* path) {
  Fd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return {};
  auto r = read_all(fd.get(), path);
  return r ? *r : std::string();
}

std::optional<long long> parse_int(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::string paranoid_now() {
  std::string s(trim(read_small_file("/proc/sys/kernel/perf_event_paranoid")));
  return s.empty() ? "unknown" : s;
}

std::vector<int> online_cpus() {
  std::vector<int> cpus;
  std::string online = read_small_file("/sys/devices/system/cpu/online");  // "0-3,5,7-8"
  std::string_view v = trim(online);
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view part = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    size_t dash = part.find('-');
    auto lo = parse_int(part.substr(0, dash));
    auto hi = dash == std::string_view::npos ? lo : parse_int(part.substr(dash + 1));
    if (!lo || !hi || *lo < 0 || *hi < *lo || *hi > 65535) {
      cpus.clear();
      break;
    }
    for (long long c = *lo; c <= *hi; ++c) cpus.push_back(static_cast<int>(c));
  }
  if (cpus.empty()) {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < (n > 0 ? n : 1); ++c) cpus.push_back(static_cast<int>(c));
  }
  return cpus;
}

Result<std::string> tracepoint_text_detached(const std::string& rel) {
  // A tracefs mount that is attached nowhere: no mount point, no namespace
  // change, gone when the last fd closes. Needs CAP_SYS_ADMIN.
  Fd fs(static_cast<int>(::syscall(SYS_fsopen, "tracefs", FSOPEN_CLOEXEC)));
  if (fs.get() < 0) {
    int e = errno;
    std::string msg = "fsopen(\"tracefs\")";
    if (e == EPERM) msg = "tracefs is not mounted and mounting it needs CAP_SYS_ADMIN: " + msg;
    return Error::sys(msg, e);
  }
  if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return Error::sys("fsconfig(tracefs, FSCONFIG_CMD_CREATE)", errno);
  Fd mnt(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, 0)));
  if (mnt.get() < 0) return Error::sys("fsmount(tracefs)", errno);
  std::string path = "events/" + rel;
  Fd f(::openat(mnt.get(), path.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.get() < 0) return Error::sys("openat(tracefs, \"" + path + "\")", errno);
  return read_all(f.get(), path);
}

Result<std::string> tracepoint_text(const std::string& rel) {
  std::string unreadable;  // mounted but not for us
  for (const char* dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    std::string path = std::string(dir) + "/events/" + rel;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {  // not mounted there (or not readable): next
      if (errno != ENOENT && unreadable.empty())
        unreadable = Error::sys("open(\"" + path + "\")", errno).message();
      continue;
    }
    auto r = read_all(fd.get(), path);
    if (!r) return std::move(r).error();
    return std::move(*r);
  }
  auto r = tracepoint_text_detached(rel);
  if (!r && !unreadable.empty()) return Error(unreadable);
  return r;
}

Result<std::unique_ptr<TracepointRings>> TracepointRings::open(pid_t pid, const RingSpec& spec) {
  std::unique_ptr<TracepointRings> s(new TracepointRings());
  s->page_ = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const std::string what = "perf_event_open(" + spec.event + ")";
  size_t pages = spec.data_pages;
  for (int cpu : online_cpus()) {
    for (;;) {
      perf_event_attr attr{};
      attr.size = sizeof attr;
      attr.type = PERF_TYPE_TRACEPOINT;
      attr.config = spec.tracepoint_id;
      attr.sample_period = 1;
      attr.sample_type = spec.sample_type;
      attr.sample_regs_user = spec.regs_mask;
      attr.disabled = 1;  // enabled once every CPU is ready
      attr.inherit = 1;
      attr.watermark = 1;
      attr.wakeup_watermark =
          static_cast<uint32_t>(pages * s->page_ / (spec.wakeup_div ? spec.wakeup_div : 2));
      // PERF_FORMAT_LOST: read() reports every sample the ring had no room
      // for. PERF_RECORD_LOST alone is not enough: the kernel writes it before
      // the next sample that fits, so losses at the end are never reported.
      attr.read_format = s->read_lost_ ? PERF_FORMAT_LOST : 0;
      Fd fd(static_cast<int>(::syscall(SYS_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC)));
      if (fd.get() < 0 && errno == EINVAL && s->read_lost_) {  // before Linux 6.0
        s->read_lost_ = false;
        attr.read_format = 0;
        fd.reset(static_cast<int>(::syscall(SYS_perf_event_open, &attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC)));
      }
      if (fd.get() < 0) {
        int e = errno;
        if (e == EACCES || e == EPERM)
          return Error(what + ": " + errno_name(e) +
                       " (needs CAP_PERFMON or kernel.perf_event_paranoid <= -1; now " + paranoid_now() +
                       ")");
        if (e == ESRCH) return Error::sys(what + " on pid " + std::to_string(pid), e);
        return Error::sys(what + " on cpu " + std::to_string(cpu), e);
      }
      if (!spec.filter.empty() && ::ioctl(fd.get(), PERF_EVENT_IOC_SET_FILTER, spec.filter.c_str()) != 0)
        return Error::sys("ioctl(PERF_EVENT_IOC_SET_FILTER, \"" + spec.filter + "\")", errno);
      size_t len = (pages + 1) * s->page_;
      void* base = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
      if (base == MAP_FAILED) {
        // Fewer pages when the mlock budget is smaller (not root: 516 KiB
        // per CPU by default, kernel.perf_event_mlock_kb; root may exceed
        // it). The event is opened again: its wakeup watermark is fixed at
        // open time and must fit the smaller ring.
        int merr = errno;
        if ((merr == EPERM || merr == ENOMEM) && pages / 2 >= spec.min_pages && pages / 2 > 0) {
          pages /= 2;
          continue;
        }
        return Error::sys("mmap(perf ring buffer of cpu " + std::to_string(cpu) + ", " +
                              std::to_string(pages * s->page_ / 1024) + " KiB)",
                          merr);
      }
      s->rings_.push_back({fd.release(), base, len});
      size_t data = len - s->page_;
      if (s->data_bytes_ == 0 || data < s->data_bytes_) s->data_bytes_ = data;
      break;
    }
  }
  for (const Ring& r : s->rings_)
    if (::ioctl(r.fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
      return Error::sys("ioctl(PERF_EVENT_IOC_ENABLE)", errno);
  return s;
}

TracepointRings::~TracepointRings() {
  for (Ring& r : rings_) {
    if (r.base) ::munmap(r.base, r.map_len);
    if (r.fd >= 0) ::close(r.fd);
  }
}

std::vector<int> TracepointRings::fds() const {
  std::vector<int> out;
  for (const Ring& r : rings_) out.push_back(r.fd);
  return out;
}

TracepointRings::Totals TracepointRings::read_totals() const {
  Totals t;
  for (const Ring& r : rings_) {
    uint64_t v[2] = {0, 0};  // {value, lost}
    size_t want = read_lost_ ? sizeof v : sizeof v[0];
    if (::read(r.fd, v, want) != static_cast<ssize_t>(want)) {
      t.ok = false;
      continue;
    }
    t.count += v[0];
    t.lost += v[1];
  }
  return t;
}

Status TracepointRings::disable() {
  for (const Ring& r : rings_)
    if (::ioctl(r.fd, PERF_EVENT_IOC_DISABLE, 0) != 0)
      return Error::sys("ioctl(PERF_EVENT_IOC_DISABLE)", errno);
  return ok();
}

}  // namespace confine::record::perf
