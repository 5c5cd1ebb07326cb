#include "ebpf/source.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "ebpf/record.skel.h"
#include "syscalls/syscalls.h"

namespace confine::ebpf {
namespace {

// libbpf's messages: the last few are kept for the error that follows them.
std::mutex g_log_mu;
std::string g_log;
int print_fn(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG) return 0;
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(nullptr, 0, fmt, aq);
  va_end(aq);
  if (n <= 0) return n;
  std::string buf(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(buf.data(), buf.size(), fmt, ap);
  buf.pop_back();
  if (getenv("CONFINE_BPF_DEBUG")) fputs(buf.c_str(), stderr);
  std::lock_guard lock(g_log_mu);
  g_log += buf;
  if (g_log.size() > 4000) g_log.erase(0, g_log.size() - 4000);
  return n;
}
std::string take_log() {
  std::lock_guard lock(g_log_mu);
  std::string s;
  s.swap(g_log);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  // The verifier's log can be long: its last lines say why.
  if (s.size() > 1500) s = "..." + s.substr(s.size() - 1500);
  return s;
}

bool has_cap(int cap) {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2]{};
  if (::syscall(SYS_capget, &h, d) != 0) return false;
  return (d[cap / 32].effective >> (cap % 32)) & 1;
}

constexpr uint8_t N = CONFINE_NONE;
confine_spec mem_spec(uint8_t s0, uint8_t d0, uint8_t s1 = N, uint8_t d1 = N) {
  confine_spec s{};
  s.kind = 2;
  s.str[0] = s0, s.dirfd[0] = d0, s.str[1] = s1, s.dirfd[1] = d1;
  s.buf = s.buf_len = N;
  return s;
}
confine_spec buf_spec(uint8_t buf, uint8_t len, uint16_t fixed, uint8_t flags = 0) {
  confine_spec s = mem_spec(N, N);
  s.buf = buf, s.buf_len = len, s.buf_fixed = fixed, s.flags = flags;
  return s;
}
confine_spec scalar(std::initializer_list<std::pair<int, uint64_t>> masks) {
  confine_spec s{};
  s.kind = 1;
  s.str[0] = s.str[1] = s.dirfd[0] = s.dirfd[1] = s.buf = s.buf_len = N;
  for (auto [i, m] : masks) s.mask[i] = m;
  return s;
}
constexpr uint64_t kU32 = 0xffffffffull;

}  // namespace

confine_spec spec_for(std::string_view n) {
  // Paths: (string argument, its dirfd argument or N for the cwd), as decode() reads them.
  if (n == "open" || n == "creat" || n == "execve" || n == "mkdir" || n == "mknod" || n == "unlink" ||
      n == "rmdir" || n == "truncate" || n == "truncate64")
    return mem_spec(0, N);
  if (n == "openat" || n == "mkdirat" || n == "mknodat" || n == "unlinkat") return mem_spec(1, 0);
  if (n == "openat2") {
    confine_spec s = mem_spec(1, 0);
    s.buf = 2, s.buf_len = N, s.buf_fixed = 8;  // struct open_how: flags first
    return s;
  }
  if (n == "execveat") {
    confine_spec s = mem_spec(1, 0);
    s.flags = CONFINE_SPEC_EMPTY_PATH;
    return s;
  }
  if (n == "rename" || n == "link") return mem_spec(0, N, 1, N);
  if (n == "renameat" || n == "renameat2" || n == "linkat") return mem_spec(1, 0, 3, 2);
  if (n == "symlink") return mem_spec(1, N);
  if (n == "symlinkat") return mem_spec(2, 1);
  if (n == "connect") return buf_spec(1, 2, 0);
  if (n == "bind") return buf_spec(1, 2, 0, CONFINE_SPEC_CWD);
  if (n == "sendto") return buf_spec(4, 5, 0);
  if (n == "clone3") return buf_spec(0, N, 8);
  if (n == "getdents" || n == "getdents64") {  // the directory listed: its descriptor's path
    confine_spec s = mem_spec(N, 0);
    s.flags = CONFINE_SPEC_FD;
    return s;
  }
  if (n == "socketcall") return buf_spec(1, N, 12, CONFINE_SPEC_SOCKETCALL | CONFINE_SPEC_CWD);
  // Scalars: the bits decode() keeps (an event per distinct tuple).
  if (n == "socket" || n == "socketpair") return scalar({{0, kU32}, {1, 0xf}});
  if (n == "clone") return scalar({{0, 0x7E020080ull}});
  if (n == "unshare" || n == "personality" || n == "seccomp") return scalar({{0, kU32}});
  if (n == "setns") return scalar({{1, kU32}});
  if (n == "ioctl" || n == "fcntl" || n == "fcntl64") return scalar({{1, kU32}});
  if (n == "prctl") return scalar({{0, kU32}, {1, kU32}});
  if (n == "mmap" || n == "mmap2" || n == "mprotect" || n == "pkey_mprotect") return scalar({{2, 0x6}});
  return confine_spec{};
}

Status available() {
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return Error::sys("/sys/kernel/btf/vmlinux (the kernel's BTF, needed by the eBPF backend)", errno);
  bool admin = has_cap(21 /* CAP_SYS_ADMIN */);
  if (!admin && !(has_cap(39 /* CAP_BPF */) && has_cap(38 /* CAP_PERFMON */)))
    return Error("the eBPF backend needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): run as root");
  return ok();
}

struct Source::Impl {
  confine_record* skel = nullptr;
  ring_buffer* rb = nullptr;
  std::pair<Source::OnEvent*, uint64_t*> ctx{nullptr, nullptr};  // on_sample's context
  int stop_fd = -1;
  ~Impl() {
    if (stop_fd >= 0) ::close(stop_fd);
    if (rb) ring_buffer__free(rb);
    if (skel) confine_record__destroy(skel);
  }
};

namespace {
int on_sample(void* ctx, void* data, size_t size) {
  if (size < sizeof(confine_event)) return 0;
  auto* fn = static_cast<std::pair<Source::OnEvent*, uint64_t*>*>(ctx);
  ++*fn->second;
  (*fn->first)(*static_cast<const confine_event*>(data));
  return 0;
}
}  // namespace

Result<std::unique_ptr<Source>> Source::open(const SourceOptions& o, OnEvent on_event) {
  CONFINE_CHECK(available());
  static std::once_flag once;
  std::call_once(once, [] { libbpf_set_print(print_fn); });
  take_log();
  std::unique_ptr<Source> s(new Source());
  s->finished_ = true;  // until attached: nothing to collect
  s->impl_ = std::make_unique<Impl>();
  s->on_event_ = std::move(on_event);
  auto fail = [](const std::string& what, int err) {
    std::string log = take_log();
    Error e = Error::sys(what, err < 0 ? -err : err);
    if (!log.empty()) e.context("libbpf: " + log);
    return e;
  };
  confine_record* sk = confine_record__open();
  if (!sk) return fail("bpf: opening the embedded object", errno);
  s->impl_->skel = sk;
  sk->rodata->filter_mode = static_cast<uint32_t>(o.filter.mode);
  sk->rodata->cg_id = o.filter.cgroup_id;
  sk->rodata->cg_level = o.filter.level;
  if (!o.gate_comm.empty()) {
    sk->rodata->gate = 1;
    std::strncpy(const_cast<char*>(sk->rodata->gate_comm), o.gate_comm.c_str(), 15);
  }
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t ring = page;
  while (ring < o.ring_bytes) ring *= 2;
  s->ring_bytes_ = ring;
  if (int r = bpf_map__set_max_entries(sk->maps.events, static_cast<uint32_t>(ring)); r)
    return fail("bpf_map__set_max_entries(events)", r);
  sk->rodata->count_errors = o.errors ? 1 : 0;
  if (o.filter.mode != Filter::kTgids) {
    bpf_program__set_autoload(sk->progs.on_fork, false);
    // The process set is unused: one entry instead of 65,536 preallocated (~4 MiB zeroed per run).
    if (int r = bpf_map__set_max_entries(sk->maps.tgids, 1); r)
      return fail("bpf_map__set_max_entries(tgids)", r);
  }
  if (int r = confine_record__load(sk); r) return fail("bpf: loading the recorder program", r);
  // What to capture per (arch, nr).
  for (int a = 0; a < 3; ++a) {
    Arch arch = a == 0 ? Arch::X86_64 : a == 1 ? Arch::X86 : Arch::X32;
    for (const auto& e : syscall_table(arch)) {
      int64_t n = e.nr;
      if (a == 2) n -= kX32SyscallBit;
      if (n < 0 || n >= CONFINE_FLAT_NRS) continue;
      confine_spec sp = spec_for(e.name);
      if (!sp.kind) continue;
      uint32_t key = static_cast<uint32_t>(a * CONFINE_FLAT_NRS + n);
      if (int r = bpf_map__update_elem(sk->maps.specs, &key, sizeof key, &sp, sizeof sp, BPF_ANY); r)
        return fail("bpf_map_update_elem(specs)", r);
    }
  }
  for (pid_t p : o.filter.tgids) {
    uint32_t k = static_cast<uint32_t>(p);
    uint8_t one = 1;
    if (int r = bpf_map__update_elem(sk->maps.tgids, &k, sizeof k, &one, sizeof one, BPF_ANY); r)
      return fail("bpf_map_update_elem(tgids)", r);
  }
  s->impl_->ctx = {&s->on_event_, &s->events_};
  s->impl_->rb = ring_buffer__new(bpf_map__fd(sk->maps.events), on_sample, &s->impl_->ctx, nullptr);
  if (!s->impl_->rb) return fail("ring_buffer__new", errno);
  if (int r = confine_record__attach(sk); r) return fail("bpf: attaching to the syscall tracepoints", r);
  s->finished_ = false;
  return s;
}

Source::~Source() { finish(); }

bool Source::armed() const { return !impl_->skel->rodata->gate || impl_->skel->bss->armed; }

Status Source::start() {
  if (thread_.joinable() || finished_) return ok();
  impl_->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl_->stop_fd < 0) return Error::sys("eventfd", errno);
  thread_ = std::thread([this] {
    // The ring's epoll fd and a stop eventfd: finish() wakes the thread at once. The BPF side
    // wakes us only when the ring is an eighth full (record.bpf.c submit_flags): drain every
    // 10 ms as well, so no event waits longer.
    pollfd p[2] = {{ring_buffer__epoll_fd(impl_->rb), POLLIN, 0}, {impl_->stop_fd, POLLIN, 0}};
    while (!stop_.load(std::memory_order_acquire)) {
      int n = ::poll(p, 2, 10);
      ring_buffer__consume(impl_->rb);
      if (n > 0 && (p[1].revents & POLLIN)) break;
    }
  });
  return ok();
}

void Source::finish() {
  if (finished_ || !impl_ || !impl_->skel) return;
  finished_ = true;
  confine_record__detach(impl_->skel);
  if (thread_.joinable()) {
    stop_.store(true, std::memory_order_release);
    uint64_t one = 1;
    ssize_t w = ::write(impl_->stop_fd, &one, sizeof one);
    (void)w;
    thread_.join();
  }
  if (impl_->rb) ring_buffer__consume(impl_->rb);
  auto* sk = impl_->skel;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) ncpu = 1;
  std::vector<uint64_t> vals(static_cast<size_t>(ncpu));
  size_t vsz = vals.size() * sizeof(uint64_t);
  // The per-CPU counts in batches (one syscall for the 3,072 keys instead of one each: those
  // were ~10 ms of the recording's fixed cost here, far more under load); key by key where the
  // kernel cannot batch.
  std::vector<uint64_t> sums(CONFINE_FLAT, 0);
  std::vector<bool> have(CONFINE_FLAT, false);
  {
    std::vector<uint32_t> keys(CONFINE_FLAT);
    std::vector<uint64_t> batch(static_cast<size_t>(CONFINE_FLAT) * vals.size());
    uint32_t in = 0, out = 0;
    uint32_t* inp = nullptr;
    for (;;) {
      uint32_t n = CONFINE_FLAT;
      LIBBPF_OPTS(bpf_map_batch_opts, bo);
      int r =
          bpf_map_lookup_batch(bpf_map__fd(sk->maps.counts), inp, &out, keys.data(), batch.data(), &n, &bo);
      if (r != 0 && errno != ENOENT) break;
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t k = keys[i];
        if (k >= CONFINE_FLAT) continue;
        have[k] = true;
        for (size_t c = 0; c < vals.size(); ++c) sums[k] += batch[i * vals.size() + c];
      }
      if (r != 0 || n == 0) break;
      in = out;
      inp = &in;
    }
  }
  for (uint32_t k = 0; k < CONFINE_FLAT; ++k) {
    uint64_t sum = sums[k];
    if (!have[k]) {
      if (bpf_map__lookup_elem(sk->maps.counts, &k, sizeof k, vals.data(), vsz, 0)) continue;
      for (uint64_t v : vals) sum += v;
    }
    if (!sum) continue;
    int a = static_cast<int>(k / CONFINE_FLAT_NRS);
    int32_t n = static_cast<int32_t>(k % CONFINE_FLAT_NRS);
    Arch arch = a == 0 ? Arch::X86_64 : a == 1 ? Arch::X86 : Arch::X32;
    if (a == 2) n += static_cast<int32_t>(kX32SyscallBit);
    counts_[{arch, n}] += sum;
  }
  auto stat = [&](uint32_t k) {
    uint64_t sum = 0;
    if (bpf_map__lookup_elem(sk->maps.stats, &k, sizeof k, vals.data(), vsz, 0) == 0)
      for (uint64_t v : vals) sum += v;
    return sum;
  };
  lost_ = stat(CONFINE_STAT_LOST);
  err_lost_ = stat(CONFINE_STAT_ERR_LOST);
  other_lost_ = stat(CONFINE_STAT_OTHER_NR);
  {
    uint64_t key = 0, next = 0, v = 0;
    uint64_t* prev = nullptr;
    while (bpf_map__get_next_key(sk->maps.other_counts, prev, &next, sizeof next) == 0) {
      if (bpf_map__lookup_elem(sk->maps.other_counts, &next, sizeof next, &v, sizeof v, 0) == 0) {
        Arch arch = (next >> 32) == 0 ? Arch::X86_64 : (next >> 32) == 1 ? Arch::X86 : Arch::X32;
        counts_[{arch, static_cast<int32_t>(next & 0xffffffffu)}] += v;
      }
      key = next;
      prev = &key;
    }
  }
  {
    confine_err_key key{}, next{};
    confine_err_key* prev = nullptr;
    uint64_t v = 0;
    while (bpf_map__get_next_key(sk->maps.errors, prev, &next, sizeof next) == 0) {
      if (bpf_map__lookup_elem(sk->maps.errors, &next, sizeof next, &v, sizeof v, 0) == 0) {
        int a = static_cast<int>(next.flat / CONFINE_FLAT_NRS);
        int32_t n = static_cast<int32_t>(next.flat % CONFINE_FLAT_NRS);
        Arch arch = a == 0 ? Arch::X86_64 : a == 1 ? Arch::X86 : Arch::X32;
        if (a == 2) n += static_cast<int32_t>(kX32SyscallBit);
        errors_[{{arch, n}, next.err}] += v;
      }
      key = next;
      prev = &key;
    }
  }
}

}  // namespace confine::ebpf
