#include "ebpf/watch_source.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "ebpf/source.h"  // available()
#include "ebpf/watch.skel.h"

namespace confine::ebpf {

namespace {
// libbpf's warnings, kept for the error that follows them (CONFINE_BPF_DEBUG=1 prints them).
std::mutex g_wlog_mu;
std::string g_wlog;
int wprint(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[2048];
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  if (n <= 0) return n;
  if (getenv("CONFINE_BPF_DEBUG")) fputs(buf, stderr);
  std::lock_guard lock(g_wlog_mu);
  g_wlog += buf;
  if (g_wlog.size() > 1500) g_wlog.erase(0, g_wlog.size() - 1500);
  return n;
}
std::string take_wlog() {
  std::lock_guard lock(g_wlog_mu);
  std::string s;
  s.swap(g_wlog);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

struct WatchSource::Impl {
  confine_watch* skel = nullptr;
  ring_buffer* rb = nullptr;
  WatchSource::Ctx ctx;  // on_wsample's context
  ~Impl() {
    if (rb) ring_buffer__free(rb);
    if (skel) confine_watch__destroy(skel);
  }
};

namespace {
// One drain hands over at most this many events (ring_buffer__consume would otherwise go on as
// long as producers keep up, and the caller's loop must get to its signals).
constexpr uint64_t kDrainBudget = 65536;
int on_wsample(void* ctx, void* data, size_t size) {
  auto* c = static_cast<WatchSource::Ctx*>(ctx);
  if (c->budget == 0) return -EAGAIN;  // stops this drain; the event stays in the ring
  --c->budget;
  if (size < sizeof(confine_whdr)) return 0;
  ++*c->events;
  (*c->fn)(data, size);
  return 0;
}
}  // namespace

Result<std::unique_ptr<WatchSource>> WatchSource::open(const WatchSourceOptions& o, OnEvent on_event) {
  CONFINE_CHECK(available());
  libbpf_set_print(wprint);
  take_wlog();
  std::unique_ptr<WatchSource> s(new WatchSource());
  s->impl_ = std::make_unique<Impl>();
  s->on_event_ = std::move(on_event);
  auto fail = [](const std::string& what, int err) {
    std::string log = take_wlog();
    Error e = Error::sys(what, err < 0 ? -err : err);
    if (!log.empty()) e.context("libbpf: " + log);
    return e;
  };
  confine_watch* sk = confine_watch__open();
  if (!sk) return fail("bpf: opening the embedded watch object", errno);
  s->impl_->skel = sk;
  sk->rodata->filter_mode = static_cast<uint32_t>(o.mode);
  sk->rodata->cg_id = o.cgroup_id;
  sk->rodata->cg_level = o.level;
  sk->rodata->self_tgid = static_cast<uint32_t>(getpid());
  // Our pid namespace's level: the ids after the first on /proc/self/status's NSpid line.
  {
    FILE* f = fopen("/proc/self/status", "re");
    char line[512];
    uint32_t level = 0;
    while (f && fgets(line, sizeof line, f))
      if (!strncmp(line, "NSpid:", 6)) {
        for (char* c = strtok(line + 6, " \t\n"); c; c = strtok(nullptr, " \t\n")) ++level;
        level = level ? level - 1 : 0;
        break;
      }
    if (f) fclose(f);
    sk->rodata->ns_level = level;
  }
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t ring = page;
  while (ring < o.ring_bytes) ring *= 2;
  s->ring_bytes_ = ring;
  if (int r = bpf_map__set_max_entries(sk->maps.wevents, static_cast<uint32_t>(ring)); r)
    return fail("bpf_map__set_max_entries(wevents)", r);
  if (int r = confine_watch__load(sk); r) return fail("bpf: loading the watch program", r);
  s->impl_->ctx.fn = &s->on_event_;
  s->impl_->ctx.events = &s->events_;
  s->impl_->rb = ring_buffer__new(bpf_map__fd(sk->maps.wevents), on_wsample, &s->impl_->ctx, nullptr);
  if (!s->impl_->rb) return fail("ring_buffer__new", errno);
  if (int r = confine_watch__attach(sk); r) return fail("bpf: attaching the watch program", r);
  return s;
}

WatchSource::~WatchSource() = default;

Status WatchSource::set_spec(Arch arch, int32_t nr, const confine_wspec& spec) {
  int a = arch == Arch::X86_64 ? 0 : arch == Arch::X86 ? 1 : 2;
  int64_t n = nr;
  if (a == 2) n -= kX32SyscallBit;
  if (n < 0 || n >= CONFINE_FLAT_NRS) return ok();  // beyond the table: never sent
  uint32_t key = static_cast<uint32_t>(a * CONFINE_FLAT_NRS + n);
  if (int r = bpf_map__update_elem(impl_->skel->maps.wspecs, &key, sizeof key, &spec, sizeof spec, BPF_ANY);
      r)
    return Error::sys("bpf_map_update_elem(wspecs)", -r);
  return ok();
}

int WatchSource::fd() const { return ring_buffer__epoll_fd(impl_->rb); }

void WatchSource::drain() {
  impl_->ctx.budget = kDrainBudget;
  ring_buffer__consume(impl_->rb);
}

void WatchSource::detach() {
  if (impl_->skel) confine_watch__detach(impl_->skel);
  do drain();  // nothing comes in any more: until the ring is empty
  while (impl_->ctx.budget == 0);
}

WatchSourceStats WatchSource::stats() const {
  WatchSourceStats st;
  st.events = events_;
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) ncpu = 1;
  std::vector<uint64_t> vals(static_cast<size_t>(ncpu));
  auto stat = [&](uint32_t k) {
    uint64_t sum = 0;
    if (bpf_map__lookup_elem(impl_->skel->maps.wstats, &k, sizeof k, vals.data(),
                             vals.size() * sizeof(uint64_t), 0) == 0)
      for (uint64_t v : vals) sum += v;
    return sum;
  };
  st.lost = stat(CONFINE_WSTAT_LOST);
  st.lost_exit = stat(CONFINE_WSTAT_LOST_EXIT);
  st.lost_proc = stat(CONFINE_WSTAT_LOST_PROC);
  return st;
}

}  // namespace confine::ebpf
