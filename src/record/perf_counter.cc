#include "record/perf_counter.h"

#include <asm/perf_regs.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>

#include "record/decode.h"
#include "record/errors.h"
#include "syscalls/syscalls.h"

namespace confine::record {
namespace {

constexpr char kEvent[] = "raw_syscalls:sys_enter";
constexpr uint64_t kRegsMask = (1ull << PERF_REG_X86_CX) | (1ull << PERF_REG_X86_IP);
constexpr size_t kTotalRingBytes = size_t{64} << 20;
constexpr uint64_t kSampleType = PERF_SAMPLE_TID | PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER;

Result<detail::SysExitFormat> sys_enter_format() {
  static std::mutex mu;
  static std::optional<detail::SysExitFormat> cached;
  std::lock_guard lock(mu);
  if (cached) return *cached;
  auto text = perf::tracepoint_text("raw_syscalls/sys_enter/format");
  if (!text) return std::move(text).error().context("reading the " + std::string(kEvent) + " tracepoint id");
  auto r = detail::parse_sys_enter_format(*text);
  if (!r) return std::move(r).error().context("raw_syscalls/sys_enter/format");
  cached = *r;
  return *r;
}

// decode() never calls it for !decode_needs_task() names.
class NoMem : public MemReader {
 public:
  std::optional<std::string> read_string(uint64_t, size_t) override { return std::nullopt; }
  std::optional<std::string> read_bytes(uint64_t, size_t) override { return std::nullopt; }
  std::string fd_path(int) override { return ""; }
  std::string cwd() override { return ""; }
};

size_t pages_for(size_t bytes) {
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t p = 1;
  while (p * page < bytes) p *= 2;
  return p;
}

}  // namespace

Result<int> perf_counter_hold() {
  CONFINE_TRY(detail::SysExitFormat fmt, sys_enter_format());
  perf_event_attr attr{};
  attr.size = sizeof attr;
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = fmt.id;
  attr.sample_period = 1;
  attr.sample_type = kSampleType;
  attr.sample_regs_user = kRegsMask;
  attr.disabled = 1;  // never counts; not inherited: forked tasks do not carry it
  long fd = ::syscall(SYS_perf_event_open, &attr, 0, 0, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    std::string what = "perf_event_open(" + std::string(kEvent) + ")";
    if (e == EACCES || e == EPERM)
      return Error(what + ": " + errno_name(e) +
                   " (needs CAP_PERFMON or kernel.perf_event_paranoid <= -1; now " + perf::paranoid_now() +
                   ")");
    return Error::sys(what, e);
  }
  return static_cast<int>(fd);
}

Status perf_counter_available() {
  CONFINE_TRY(int fd, perf_counter_hold());
  ::close(fd);
  return ok();
}

Result<std::unique_ptr<SyscallCounter>> SyscallCounter::open(pid_t pid, const Options& o) {
  CONFINE_TRY(detail::SysExitFormat fmt, sys_enter_format());
  std::unique_ptr<SyscallCounter> s(new SyscallCounter());
  s->id_off_ = fmt.id_off;
  if (o.decode_args) {
    if (fmt.args_off == detail::SysExitFormat::kNoArgs)
      return Error(
          "raw_syscalls/sys_enter/format has no `unsigned long args[6]` field to decode arguments from");
    s->args_off_ = fmt.args_off;
    s->decodable_.assign(3 * kFlat, 0);
  }
  perf::RingSpec spec;
  spec.event = kEvent;
  spec.tracepoint_id = fmt.id;
  spec.sample_type = kSampleType;
  spec.regs_mask = kRegsMask;
  // At most kTotalRingBytes over all CPUs (locked memory): 8 MiB each up to
  // 8 CPUs, less on bigger machines, never under min_ring_bytes.
  size_t ncpu = std::max<size_t>(1, perf::online_cpus().size());
  size_t want = std::max(o.min_ring_bytes, std::min(o.ring_bytes, kTotalRingBytes / ncpu));
  size_t pages = pages_for(want);
  while (pages > 1 && pages * static_cast<size_t>(::sysconf(_SC_PAGESIZE)) > want) pages /= 2;  // round down
  spec.data_pages = std::max(pages, pages_for(o.min_ring_bytes));
  spec.min_pages = pages_for(o.min_ring_bytes);
  spec.wakeup_div = o.wakeup_div;
  CONFINE_TRY(s->rings_, perf::TracepointRings::open(pid, spec));
  return s;
}

SyscallCounter::~SyscallCounter() {
  finish();
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

Status SyscallCounter::start(const cpu_set_t* cpus) {
  if (thread_.joinable() || finished_) return ok();
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return Error::sys("eventfd", errno);
  std::optional<cpu_set_t> set;
  if (cpus) set = *cpus;
  thread_ = std::thread([this, set] {
    if (set) sched_setaffinity(0, sizeof *set, &*set);
    // The workload's threads must not starve the drain thread (a syscall
    // storm from more threads than CPUs filled 8 MiB rings in the ASan build
    // at nice 0): nice -15 when permitted (root), else unchanged.
    setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), -15);
    drain_loop();
  });
  return ok();
}

void SyscallCounter::drain_loop() {
  auto fds = rings_->fds();
  bool hup = false;
  std::vector<pollfd> p;
  for (;;) {
    p.clear();
    p.push_back({stop_fd_, POLLIN, 0});
    if (!hup)
      for (int fd : fds) p.push_back({fd, POLLIN, 0});
    int n = ::poll(p.data(), p.size(), 100);
    if (n > 0) ++wakeups_;
    rings_->drain([this](const uint8_t* rec, size_t size) { handle(rec, size); });
    if (p[0].revents & POLLIN) return;
    // Every task of the tree is gone: nothing more can come, and the rings
    // would report POLLHUP forever.
    for (size_t i = 1; i < p.size(); ++i)
      if (p[i].revents & (POLLHUP | POLLERR)) hup = true;
  }
}

void SyscallCounter::finish() {
  if (finished_) return;
  finished_ = true;
  (void)rings_->disable();
  if (thread_.joinable()) {
    uint64_t one = 1;
    ssize_t w = ::write(stop_fd_, &one, sizeof one);
    (void)w;
    thread_.join();
  }
  rings_->drain([this](const uint8_t* rec, size_t size) { handle(rec, size); });
  auto t = rings_->read_totals();
  counted_ = t.count;
  lost_ = std::max(t.lost, lost_records_);
  if (t.ok && t.count > samples_) lost_ = std::max(lost_, t.count - samples_);
  if (getenv("CONFINE_PERF_DEBUG"))
    fprintf(stderr, "perf: count %lu samples %lu fmt_lost %lu rec_lost %lu wakeups %lu\n",
            (unsigned long)t.count, (unsigned long)samples_, (unsigned long)t.lost,
            (unsigned long)lost_records_, (unsigned long)wakeups_);
}

void SyscallCounter::handle(const uint8_t* rec, size_t size) {
  // sys_enter has no `ret`: any in-bounds offset will do for decode_record.
  detail::Decoded d = detail::decode_record(rec, size, id_off_, id_off_, args_off_);
  if (d.kind == detail::Decoded::kLost) {
    lost_records_ += d.lost;
    return;
  }
  if (d.kind != detail::Decoded::kSample) return;
  ++samples_;
  auto [arch, nr] = detail::attribute(d);
  int64_t n = nr;
  int a = -1;
  switch (arch) {
    case Arch::X86_64: a = 0; break;
    case Arch::X86: a = 1; break;
    case Arch::X32: a = 2, n -= kX32SyscallBit; break;
    default: break;
  }
  bool flat = a >= 0 && n >= 0 && n < kFlat;
  if (flat)
    ++flat_[static_cast<size_t>(a * kFlat + n)];
  else
    ++other_[{arch, nr}];
  if (decodable_.empty() || !flat || !d.have_args) return;  // (numbers beyond the table have no name)
  uint8_t& how = decodable_[static_cast<size_t>(a * kFlat + n)];
  std::optional<std::string_view> name;
  if (how != 1) name = syscall_name(arch, nr);
  if (how == 0) how = name && decode_relevant(*name) && !decode_needs_task(*name) ? 2 : 1;
  if (how != 2) return;
  NoMem mem;
  Decoded dec;
  decode(arch, *name, d.args, mem, &dec);
  if (!dec.args.empty()) {
    auto& m = facts_.args[{arch, nr}];
    for (const auto& [k, v] : dec.args) m[k].insert(v);
  }
  if (dec.family) facts_.families.insert(*dec.family);
  if (dec.seccomp_filter) facts_.seccomp_filter = true;
}

std::map<SyscallCounter::Key, uint64_t> SyscallCounter::counts() const {
  std::map<Key, uint64_t> out = other_;
  for (int a = 0; a < 3; ++a)
    for (int n = 0; n < kFlat; ++n) {
      uint64_t c = flat_[static_cast<size_t>(a * kFlat + n)];
      if (!c) continue;
      Arch arch = a == 0 ? Arch::X86_64 : a == 1 ? Arch::X86 : Arch::X32;
      int32_t nr = a == 2 ? static_cast<int32_t>(n + kX32SyscallBit) : n;
      out[{arch, nr}] += c;
    }
  return out;
}

}  // namespace confine::record
