#include "record/errors.h"

#include <asm/perf_regs.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

// Linux 6.0 (perf_event.h of older libc headers lacks it).
#ifndef PERF_FORMAT_LOST
#define PERF_FORMAT_LOST (1U << 4)
#endif

namespace confine::record {
namespace {

constexpr std::string_view kEvent = "raw_syscalls:sys_exit";
// Only failures reach the ring buffer. `ret` is a signed long; an errno is
// -4095..-1 on every ABI (compat syscalls return a sign-extended long too).
constexpr char kFilter[] = "ret < 0 && ret >= -4095";
// Registers for the int $0x80 test (see errors.h); sample order = bit order.
constexpr uint64_t kRegsMask = (1ull << PERF_REG_X86_CX) | (1ull << PERF_REG_X86_IP);
// 128 data pages (512 KiB) per CPU: a sample is 72 bytes, so ~7000 failures
// fit between drains. 512 KiB + the header page is also the default
// unprivileged perf mlock budget per CPU (kernel.perf_event_mlock_kb = 516).
constexpr size_t kDataPages = 128;

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

std::string paranoid_now() {
  std::string s = read_small_file("/proc/sys/kernel/perf_event_paranoid");
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown" : s;
}

std::optional<long long> parse_int(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Copies `len` bytes at ring offset `off` (mod size) out of the data area.
void ring_copy(const uint8_t* data, uint64_t size, uint64_t off, void* dst, size_t len) {
  uint64_t start = off % size;
  size_t first = static_cast<size_t>(std::min<uint64_t>(len, size - start));
  std::memcpy(dst, data + start, first);
  if (first < len) std::memcpy(static_cast<uint8_t*>(dst) + first, data, len - first);
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace

std::string error_name(int err) {
  switch (err) {
    case 512: return "ERESTARTSYS";
    case 513: return "ERESTARTNOINTR";
    case 514: return "ERESTARTNOHAND";
    case 515: return "ENOIOCTLCMD";
    case 516: return "ERESTART_RESTARTBLOCK";
    default: return errno_name(err);
  }
}

namespace detail {

Result<SysExitFormat> parse_sys_exit_format(std::string_view text) {
  SysExitFormat f;
  bool have_id = false, have_nr = false, have_ret = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.starts_with("ID:")) {
      auto v = parse_int(trim(line.substr(3)));
      if (!v || *v <= 0) return Error("sys_exit format: bad ID line \"" + std::string(line) + "\"");
      f.id = static_cast<uint64_t>(*v);
      have_id = true;
      continue;
    }
    if (!line.starts_with("field:")) continue;
    // field:long ret;	offset:16;	size:8;	signed:1;
    std::string_view decl, offset, size, sign;
    for (size_t pos = 0; pos < line.size();) {
      size_t semi = line.find(';', pos);
      if (semi == std::string_view::npos) semi = line.size();
      std::string_view part = trim(line.substr(pos, semi - pos));
      pos = semi + 1;
      if (part.starts_with("field:"))
        decl = part.substr(6);
      else if (part.starts_with("offset:"))
        offset = part.substr(7);
      else if (part.starts_with("size:"))
        size = part.substr(5);
      else if (part.starts_with("signed:"))
        sign = part.substr(7);
    }
    size_t sp = decl.find_last_of(" \t");
    std::string_view name = sp == std::string_view::npos ? decl : decl.substr(sp + 1);
    if (name != "id" && name != "ret") continue;
    auto o = parse_int(offset), s = parse_int(size), g = parse_int(sign);
    if (!o || !s || !g || *o < 0 || *o > 4096)
      return Error("sys_exit format: cannot parse \"" + std::string(line) + "\"");
    if (*s != 8 || *g != 1)
      return Error("sys_exit format: field " + std::string(name) + " is not a signed 8-byte long (\"" +
                   std::string(line) + "\")");
    (name == "id" ? f.id_off : f.ret_off) = static_cast<uint32_t>(*o);
    (name == "id" ? have_nr : have_ret) = true;
  }
  if (!have_id) return Error("sys_exit format: no ID line");
  if (!have_nr || !have_ret) return Error("sys_exit format: no `id`/`ret` field");
  return f;
}

Result<SysExitFormat> sys_exit_format_detached() {
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
  const char* rel = "events/raw_syscalls/sys_exit/format";
  Fd f(::openat(mnt.get(), rel, O_RDONLY | O_CLOEXEC));
  if (f.get() < 0) return Error::sys(std::string("openat(tracefs, \"") + rel + "\")", errno);
  CONFINE_TRY(std::string text, read_all(f.get(), rel));
  return parse_sys_exit_format(text);
}

Result<SysExitFormat> sys_exit_format() {
  static std::mutex mu;
  static std::optional<SysExitFormat> cached;
  std::lock_guard lock(mu);
  if (cached) return *cached;
  std::string unreadable;  // mounted but not for us
  for (const char* dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
    std::string path = std::string(dir) + "/events/raw_syscalls/sys_exit/format";
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {  // not mounted there (or not readable): next
      if (errno != ENOENT && unreadable.empty())
        unreadable = Error::sys("open(\"" + path + "\")", errno).message();
      continue;
    }
    CONFINE_TRY(std::string text, read_all(fd.get(), path));
    auto r = parse_sys_exit_format(text);
    if (!r) return std::move(r).error().context(path);
    cached = *r;
    return *r;
  }
  auto r = sys_exit_format_detached();
  if (!r && !unreadable.empty()) return Error(unreadable);
  if (!r) return std::move(r).error().context("reading the " + std::string(kEvent) + " tracepoint id");
  cached = *r;
  return *r;
}

}  // namespace detail

Result<std::unique_ptr<ErrorSampler>> ErrorSampler::open(pid_t pid) {
  CONFINE_TRY(detail::SysExitFormat fmt, detail::sys_exit_format());
  std::unique_ptr<ErrorSampler> s(new ErrorSampler());
  s->id_off_ = fmt.id_off;
  s->ret_off_ = fmt.ret_off;

  std::vector<int> cpus;
  {
    // "0-3,5,7-8"
    std::string online = read_small_file("/sys/devices/system/cpu/online");
    std::string_view v = trim(online);
    while (!v.empty() && v.back() == '\n') v.remove_suffix(1);
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
  }

  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  for (int cpu : cpus) {
    perf_event_attr attr{};
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_TRACEPOINT;
    attr.config = fmt.id;
    attr.sample_period = 1;
    attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER;
    attr.sample_regs_user = kRegsMask;
    attr.disabled = 1;  // enabled once the filter is set
    attr.inherit = 1;
    attr.watermark = 1;
    attr.wakeup_watermark = static_cast<uint32_t>(kDataPages * page / 2);
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
      std::string what = "perf_event_open(" + std::string(kEvent) + ")";
      if (e == EACCES || e == EPERM)
        return Error(what + ": " + errno_name(e) +
                     " (needs CAP_PERFMON or kernel.perf_event_paranoid <= -1; now " + paranoid_now() + ")");
      if (e == ESRCH) return Error::sys(what + " on pid " + std::to_string(pid), e);
      return Error::sys(what + " on cpu " + std::to_string(cpu), e);
    }
    if (::ioctl(fd.get(), PERF_EVENT_IOC_SET_FILTER, kFilter) != 0)
      return Error::sys("ioctl(PERF_EVENT_IOC_SET_FILTER, \"" + std::string(kFilter) + "\")", errno);
    // Writable mapping: we own data_tail, so the kernel never overwrites
    // unread samples (it drops them and reports PERF_RECORD_LOST instead).
    // Fewer pages when the mlock budget is smaller (not root).
    void* base = MAP_FAILED;
    size_t len = 0;
    int merr = 0;
    for (size_t pages = kDataPages; pages >= 8; pages /= 2) {
      len = (pages + 1) * page;
      base = ::mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
      if (base != MAP_FAILED) break;
      merr = errno;
      if (merr != EPERM && merr != ENOMEM) break;
    }
    if (base == MAP_FAILED)
      return Error::sys("mmap(perf ring buffer of cpu " + std::to_string(cpu) + ")", merr);
    s->rings_.push_back({fd.release(), base, len});
  }
  for (const Ring& r : s->rings_)
    if (::ioctl(r.fd, PERF_EVENT_IOC_ENABLE, 0) != 0)
      return Error::sys("ioctl(PERF_EVENT_IOC_ENABLE)", errno);
  return s;
}

ErrorSampler::~ErrorSampler() {
  for (Ring& r : rings_) {
    if (r.base) ::munmap(r.base, r.map_len);
    if (r.fd >= 0) ::close(r.fd);
  }
}

std::vector<int> ErrorSampler::fds() const {
  std::vector<int> out;
  for (const Ring& r : rings_) out.push_back(r.fd);
  return out;
}

void ErrorSampler::drain() {
  bool any = false;
  for (Ring& r : rings_) any |= drain_ring(r);
  // A ring can only lose samples while full, i.e. when it had data: read the
  // counters then (after data_tail moved), not on every empty drain.
  if (!any || !read_lost_) return;
  uint64_t total = 0;
  for (Ring& r : rings_) {
    uint64_t v[2] = {0, 0};  // {value, lost}
    if (::read(r.fd, v, sizeof v) == static_cast<ssize_t>(sizeof v)) r.lost = v[1];
    total += r.lost;
  }
  lost_ = total;
}

bool ErrorSampler::drain_ring(Ring& r) {
  auto* meta = static_cast<perf_event_mmap_page*>(r.base);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  uint64_t off = meta->data_offset ? meta->data_offset : page;
  uint64_t size = meta->data_size ? meta->data_size : r.map_len - page;
  const uint8_t* data = static_cast<const uint8_t*>(r.base) + off;
  // The kernel publishes data_head after writing the records (release); our
  // acquire load makes them visible. We alone move data_tail, and store it
  // with release once the records are consumed so the kernel may reuse them.
  uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = meta->data_tail;
  if (head == tail) return false;
  while (head - tail >= sizeof(perf_event_header)) {
    perf_event_header h;
    ring_copy(data, size, tail, &h, sizeof h);
    if (h.size < sizeof h || h.size > head - tail) {  // cannot happen; never loop on garbage
      tail = head;
      break;
    }
    const uint8_t* rec;
    uint64_t start = tail % size;
    if (start + h.size <= size) {
      rec = data + start;
    } else {  // wraps around the buffer end
      scratch_.resize(h.size);
      ring_copy(data, size, tail, scratch_.data(), h.size);
      rec = scratch_.data();
    }
    handle_record(rec, h.size);
    tail += h.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
  return true;
}

void ErrorSampler::handle_record(const uint8_t* rec, size_t size) {
  detail::Decoded d = detail::decode_record(rec, size, id_off_, ret_off_);
  if (d.kind == detail::Decoded::kLost && !read_lost_) lost_ += d.lost;  // else read() counts them
  if (d.kind != detail::Decoded::kSample) return;
  ++samples_;
  if (auto k = detail::classify(d)) ++counts_[*k];
}

namespace detail {

Decoded decode_record(const uint8_t* rec, size_t size, uint32_t id_off, uint32_t ret_off) {
  Decoded d;
  perf_event_header h;
  if (size < sizeof h) return d;
  h = load<perf_event_header>(rec);
  if (h.type == PERF_RECORD_LOST) {  // {u64 id; u64 lost;}
    if (size >= sizeof h + 16) d.kind = Decoded::kLost, d.lost = load<uint64_t>(rec + sizeof h + 8);
    return d;
  }
  if (h.type != PERF_RECORD_SAMPLE) return d;
  // { u32 pid, tid; } { u32 size; char data[size]; } { u64 abi; u64 regs[2] (cx, ip); }
  size_t p = sizeof h + 8;
  if (p + 4 > size) return d;
  uint32_t raw_size = load<uint32_t>(rec + p);
  p += 4;
  if (raw_size > size - p) return d;
  const uint8_t* raw = rec + p;
  p += raw_size;
  if (uint64_t{id_off} + 8 > raw_size || uint64_t{ret_off} + 8 > raw_size) return d;
  d.kind = Decoded::kSample;
  d.id = load<int64_t>(raw + id_off);
  d.ret = load<int64_t>(raw + ret_off);
  if (p + 8 <= size) d.abi = load<uint64_t>(rec + p), p += 8;
  d.have_regs = d.abi != PERF_SAMPLE_REGS_ABI_NONE && p + 16 <= size;
  if (d.have_regs) d.cx = load<uint64_t>(rec + p), d.ip = load<uint64_t>(rec + p + 8);
  return d;
}

std::optional<ErrorSampler::Key> classify(const Decoded& d) {
  if (d.kind != Decoded::kSample) return std::nullopt;
  if (d.ret >= 0 || d.ret < -4095) return std::nullopt;  // the kernel filter already dropped these
  if (d.id == -1) return std::nullopt;                   // rt_sigreturn/sigreturn (see errors.h)
  int32_t nr = static_cast<int32_t>(d.id);
  Arch arch;
  if (d.abi == PERF_SAMPLE_REGS_ABI_32)
    arch = Arch::X86;
  else if (d.have_regs && d.cx != d.ip)  // 64-bit task, entered through int $0x80
    arch = Arch::X86;
  else
    arch = (static_cast<uint32_t>(nr) & kX32SyscallBit) ? Arch::X32 : Arch::X86_64;
  return ErrorSampler::Key{arch, nr, static_cast<int>(-d.ret)};
}

}  // namespace detail

}  // namespace confine::record
