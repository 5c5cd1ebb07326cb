#include "record/errors.h"

#include <asm/perf_regs.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::optional<long long> parse_int(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
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

namespace {
Result<SysExitFormat> parse_raw_syscalls_format(std::string_view text, bool want_ret) {
  const std::string ev = want_ret ? "sys_exit" : "sys_enter";
  SysExitFormat f;
  bool have_id = false, have_nr = false, have_ret = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.starts_with("ID:")) {
      auto v = parse_int(trim(line.substr(3)));
      if (!v || *v <= 0) return Error(ev + " format: bad ID line \"" + std::string(line) + "\"");
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
    if (name == "args[6]" && !want_ret) {
      auto o = parse_int(offset), s = parse_int(size);
      if (!o || !s || *o < 0 || *o > 4096 || *s != 48)
        return Error(ev + " format: cannot parse \"" + std::string(line) + "\" (want unsigned long args[6])");
      f.args_off = static_cast<uint32_t>(*o);
      continue;
    }
    if (name != "id" && (name != "ret" || !want_ret)) continue;
    auto o = parse_int(offset), s = parse_int(size), g = parse_int(sign);
    if (!o || !s || !g || *o < 0 || *o > 4096)
      return Error(ev + " format: cannot parse \"" + std::string(line) + "\"");
    if (*s != 8 || *g != 1)
      return Error(ev + " format: field " + std::string(name) + " is not a signed 8-byte long (\"" +
                   std::string(line) + "\")");
    (name == "id" ? f.id_off : f.ret_off) = static_cast<uint32_t>(*o);
    (name == "id" ? have_nr : have_ret) = true;
  }
  if (!have_id) return Error(ev + " format: no ID line");
  if (!have_nr || (want_ret && !have_ret))
    return Error(ev + " format: no `id`" + (want_ret ? "/`ret`" : "") + " field");
  return f;
}
}  // namespace

Result<SysExitFormat> parse_sys_exit_format(std::string_view text) {
  return parse_raw_syscalls_format(text, true);
}
Result<SysExitFormat> parse_sys_enter_format(std::string_view text) {
  return parse_raw_syscalls_format(text, false);
}

Result<SysExitFormat> sys_exit_format_detached() {
  CONFINE_TRY(std::string text, perf::tracepoint_text_detached("raw_syscalls/sys_exit/format"));
  return parse_sys_exit_format(text);
}

Result<SysExitFormat> sys_exit_format() {
  static std::mutex mu;
  static std::optional<SysExitFormat> cached;
  std::lock_guard lock(mu);
  if (cached) return *cached;
  auto text = perf::tracepoint_text("raw_syscalls/sys_exit/format");
  if (!text) return std::move(text).error().context("reading the " + std::string(kEvent) + " tracepoint id");
  auto r = parse_sys_exit_format(*text);
  if (!r) return std::move(r).error().context("raw_syscalls/sys_exit/format");
  cached = *r;
  return *r;
}

}  // namespace detail

Result<std::unique_ptr<ErrorSampler>> ErrorSampler::open(pid_t pid) {
  CONFINE_TRY(detail::SysExitFormat fmt, detail::sys_exit_format());
  std::unique_ptr<ErrorSampler> s(new ErrorSampler());
  s->id_off_ = fmt.id_off;
  s->ret_off_ = fmt.ret_off;
  perf::RingSpec spec;
  spec.event = std::string(kEvent);
  spec.tracepoint_id = fmt.id;
  spec.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER;
  spec.regs_mask = kRegsMask;
  spec.filter = kFilter;
  spec.data_pages = kDataPages;
  spec.wakeup_div = 2;
  CONFINE_TRY(s->rings_, perf::TracepointRings::open(pid, spec));
  return s;
}

ErrorSampler::~ErrorSampler() = default;

std::vector<int> ErrorSampler::fds() const { return rings_->fds(); }

void ErrorSampler::drain() {
  bool any = rings_->drain([this](const uint8_t* rec, size_t size) { handle_record(rec, size); });
  // A ring can only lose samples while full, i.e. when it had data: read the
  // counters then (after data_tail moved), not on every empty drain.
  if (!any || !rings_->lost_supported()) return;
  auto t = rings_->read_totals();
  if (t.ok) lost_ = t.lost;
}

void ErrorSampler::handle_record(const uint8_t* rec, size_t size) {
  detail::Decoded d = detail::decode_record(rec, size, id_off_, ret_off_);
  if (d.kind == detail::Decoded::kLost && !rings_->lost_supported())
    lost_ += d.lost;  // else read() counts them
  if (d.kind != detail::Decoded::kSample) return;
  ++samples_;
  if (auto k = detail::classify(d)) ++counts_[*k];
}

namespace detail {

Decoded decode_record(const uint8_t* rec, size_t size, uint32_t id_off, uint32_t ret_off, uint32_t args_off) {
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
  if (args_off != SysExitFormat::kNoArgs && uint64_t{args_off} + 48 <= raw_size) {
    d.have_args = true;
    for (int i = 0; i < 6; ++i) d.args[i] = load<uint64_t>(raw + args_off + 8 * static_cast<size_t>(i));
  }
  if (p + 8 <= size) d.abi = load<uint64_t>(rec + p), p += 8;
  d.have_regs = d.abi != PERF_SAMPLE_REGS_ABI_NONE && p + 16 <= size;
  if (d.have_regs) d.cx = load<uint64_t>(rec + p), d.ip = load<uint64_t>(rec + p + 8);
  return d;
}

std::optional<ErrorSampler::Key> classify(const Decoded& d) {
  if (d.kind != Decoded::kSample) return std::nullopt;
  if (d.ret >= 0 || d.ret < -4095) return std::nullopt;  // the kernel filter already dropped these
  if (d.id == -1) return std::nullopt;                   // rt_sigreturn/sigreturn (see errors.h)
  auto [arch, nr] = attribute(d);
  return ErrorSampler::Key{arch, nr, static_cast<int>(-d.ret)};
}

std::pair<Arch, int32_t> attribute(const Decoded& d) {
  int32_t nr = static_cast<int32_t>(d.id);
  if (d.abi == PERF_SAMPLE_REGS_ABI_32) return {Arch::X86, nr};
  if (d.have_regs && d.cx != d.ip) return {Arch::X86, nr};  // 64-bit task, entered through int $0x80
  return {(static_cast<uint32_t>(nr) & kX32SyscallBit) ? Arch::X32 : Arch::X86_64, nr};
}

}  // namespace detail

}  // namespace confine::record
