#include "watch/ebpf.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "ebpf/watch_abi.h"
#include "record/decode.h"
#include "syscalls/syscalls.h"
#include "watch/live_shared.h"

#ifdef CONFINE_HAVE_EBPF
#include "ebpf/cgroup.h"
#include "ebpf/source.h"
#include "ebpf/watch_source.h"
#endif

namespace confine::watch {

namespace {

constexpr int kNoFd = -1000;

Arch arch_of(uint32_t a) { return a == 1 ? Arch::X86 : a == 2 ? Arch::X32 : Arch::X86_64; }

// "/usr/bin" from a walked path (names leaf first); "" when empty and not the root.
std::string render_path(const confine_wpath& p, bool* partial) {
  if (p.flags & CONFINE_WF_BASE_TRUNC) *partial = true;
  std::string_view names[CONFINE_DEPTH + 1];
  size_t n = 0, pos = 0;
  for (uint32_t i = 0; i < p.n && i < CONFINE_DEPTH && pos < CONFINE_BASE; ++i) {
    size_t len = strnlen(p.base + pos, CONFINE_BASE - pos);
    names[n++] = std::string_view(p.base + pos, len);
    pos += len + 1;
  }
  if (p.flags & CONFINE_WF_INTERNAL) {
    // A pseudo file, as the kernel's d_path renders it: anon inodes "anon_inode:[eventfd]",
    // shmem files (memfd) "/memfd:NAME (deleted)".
    if (n == 0) return "";
    if (names[0].starts_with("[")) return "anon_inode:" + std::string(names[0]);
    if (names[0].find(":[") != std::string_view::npos)
      return std::string(names[0]);  // nsfs: "uts:[4026531838]"
    return "/" + std::string(names[0]) + " (deleted)";
  }
  std::string out;
  for (size_t i = n; i-- > 0;) {
    out += '/';
    out += names[i];
  }
  if (out.empty()) out = "/";
  if (p.flags & CONFINE_WF_UNLINKED) out += " (deleted)";
  return out;
}

// decode()'s memory: what the program copied at sys_enter.
class EventMem : public record::MemReader {
 public:
  EventMem(const confine_wenter& e, bool* partial) : e_(e), partial_(partial) {}
  std::optional<std::string> read_string(uint64_t addr, size_t max) override {
    for (int i = 0; i < CONFINE_W_STRS; ++i) {
      if (!addr || e_.str_addr[i] != addr) continue;
      if (e_.str_len[i] <= 0) return std::nullopt;
      size_t len = strnlen(e_.str[i], std::min<size_t>(CONFINE_PATH, static_cast<size_t>(e_.str_len[i])));
      if (len + 1 >= CONFINE_PATH) *partial_ = true;  // cut at the buffer's size
      return std::string(e_.str[i], std::min(len, max));
    }
    return std::nullopt;
  }
  std::optional<std::string> read_bytes(uint64_t addr, size_t len) override {
    if (!addr || e_.buf_addr != addr || e_.buf_len <= 0 || static_cast<size_t>(e_.buf_len) < len)
      return std::nullopt;
    return std::string(reinterpret_cast<const char*>(e_.buf), len);
  }
  std::string fd_path(int fd) override {
    for (const auto& d : e_.dir)
      if (d.fd == fd && fd != kNoFd) return render_path(d, partial_);
    if (e_.fd.path.fd == fd && fd != kNoFd) return render_path(e_.fd.path, partial_);
    return "";
  }
  std::string cwd() override { return fd_path(-100); }

 private:
  const confine_wenter& e_;
  bool* partial_;
};

std::string inet_text(uint32_t family, const unsigned char* addr, unsigned port) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET) {
    inet_ntop(AF_INET, addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port);
  }
  inet_ntop(AF_INET6, addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(port);
}

// fd.name / fd.typechar of a descriptor the program described.
void render_fd(const confine_wfd& f, std::string* name, FdType* type, bool* partial) {
  uint32_t fmt = f.mode & S_IFMT;
  if (fmt == S_IFSOCK) {
    if (f.family == AF_INET || f.family == AF_INET6) {
      static const unsigned char zero[16] = {};
      bool peer = f.dport != 0 || std::memcmp(f.daddr, zero, f.family == AF_INET ? 4 : 16) != 0;
      *name = peer ? inet_text(f.family, f.daddr, f.dport) : inet_text(f.family, f.saddr, f.sport);
      *type = f.family == AF_INET ? FdType::Ipv4 : FdType::Ipv6;
    } else {
      *name = "socket:[" + std::to_string(f.ino) + "]";
      *type = f.family == AF_UNIX ? FdType::Unix : f.family == AF_NETLINK ? FdType::Netlink : FdType::Other;
    }
    return;
  }
  if (fmt == S_IFIFO && f.path.fd == kNoFd) {
    *name = "pipe:[" + std::to_string(f.ino) + "]";
    *type = FdType::Pipe;
    return;
  }
  *name = render_path(f.path, partial);
  if (name->starts_with("anon_inode:[eventfd]"))
    *type = FdType::Event;
  else if (name->starts_with("anon_inode:[signalfd]"))
    *type = FdType::Signal;
  else if (name->starts_with("anon_inode:"))
    *type = FdType::Other;
  else if (name->starts_with("/memfd:"))
    *type = FdType::Memfd;
  else if (fmt == S_IFDIR)
    *type = FdType::Dir;
  else if (fmt == S_IFIFO)
    *type = FdType::Pipe;
  else
    *type = FdType::File;
}

std::string read_file_small(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string s;
  char buf[4096];
  ssize_t n;
  while (s.size() < 65536 && (n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return s;
}

bool never_returns(std::string_view n) { return n == "exit" || n == "exit_group"; }

int64_t boot_to_real() {
  timespec r, b;
  clock_gettime(CLOCK_REALTIME, &r);
  clock_gettime(CLOCK_BOOTTIME, &b);
  return (static_cast<int64_t>(r.tv_sec) - b.tv_sec) * 1000000000ll + (r.tv_nsec - b.tv_nsec);
}

}  // namespace

EbpfEvents::EbpfEvents(const RuleSet* rules, const Baseline* baseline, bool json,
                       std::function<void(const std::string&)> emit)
    : rules_(rules), base_(baseline), json_(json), emit_(std::move(emit)) {
  char h[256] = {0};
  if (gethostname(h, sizeof h - 1) == 0) hostname_ = h;
  boot_to_real_ns_ = boot_to_real();
  deviation_rule_.name = "Deviation from the recorded profile";
  deviation_rule_.desc = "a syscall or program the profile's recording never saw";
  deviation_rule_.priority = Priority::Notice;
  deviation_rule_.tags = {"deviation"};
  deviation_rule_.source = "syscall";
}

bool EbpfEvents::wants(Arch arch, std::string_view name) const {
  if (capture_) return true;
  if (rules_ && rules_->interested(name)) return true;
  if (base_) {
    if (name == "execve" || name == "execveat") return true;
    auto it = base_->syscalls.find(arch);
    if (it == base_->syscalls.end() || !it->second.count(std::string(name))) return true;
  }
  return false;
}

std::string EbpfEvents::container_of(uint64_t cgroup_id, pid_t pid) {
  auto it = containers_.find(cgroup_id);
  if (it != containers_.end()) return it->second;
  if (containers_.size() > 65536) containers_.clear();
  std::string cg = read_file_small("/proc/" + std::to_string(pid) + "/cgroup");
  if (!cg.empty()) return containers_[cgroup_id] = container_id_of(cg);
  // Gone already: the cgroup's path by its id (the directory's inode), every cgroup below the
  // mount mapped in one walk, at most once a second.
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  uint64_t ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
  if (cgroup_root_.empty() || ns - last_scan_ns_ < 1000000000ull) return "";
  last_scan_ns_ = ns;
  std::error_code ec;
  size_t seen = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(cgroup_root_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator() && seen < 100000; it.increment(ec)) {
    if (!it->is_directory(ec)) {
      it.disable_recursion_pending();
      continue;
    }
    ++seen;
    struct stat st;
    if (::stat(it->path().c_str(), &st) == 0 && !containers_.count(st.st_ino))
      containers_[st.st_ino] = container_id_of(it->path().string().substr(cgroup_root_.size()));
  }
  auto found = containers_.find(cgroup_id);
  return found == containers_.end() ? "" : found->second;
}

ProcInfo* EbpfEvents::proc_for(const void* data) {
  confine_whdr h;
  std::memcpy(&h, data, sizeof h);
  pid_t pid = static_cast<pid_t>(h.tgid);
  bool known = procs_.known(pid);
  ProcInfo* p = procs_.get(pid);  // known (exec/fork seen), or read from /proc
  if (p && !known) {
    // /proc is read when the event is, later than the call: the task may have exec'd since
    // (sh -> setpriv -> the attack in a few ms). Its thread's comm must still be the event's.
    std::string c =
        read_file_small("/proc/" + std::to_string(pid) + "/task/" + std::to_string(h.tid) + "/comm");
    while (!c.empty() && c.back() == '\n') c.pop_back();
    if (c != std::string_view(h.comm, strnlen(h.comm, sizeof h.comm))) {
      procs_.erase(pid);
      p = nullptr;
    }
  }
  if (!p) {
    // Gone from /proc already: what the event itself says.
    ProcInfo n;
    n.pid = pid;
    n.ppid = static_cast<pid_t>(h.ppid);
    n.comm = std::string(h.comm, strnlen(h.comm, sizeof h.comm));
    n.finish();
    p = &procs_.put(std::move(n));
  }
  if (!p->has_uid || p->uid != h.uid) {
    p->has_uid = true;
    p->uid = h.uid;
    p->user = procs_.user_name(h.uid);
  }
  // From the cgroup the task is in now (a forked copy has its parent's; runc's init moves).
  std::string c = container_of(h.cgroup_id, pid);
  if (!c.empty() && c != p->container_id) p->container_id = std::move(c);
  return p;
}

bool EbpfEvents::same_mounts(pid_t pid) {
  auto it = same_mnt_.find(pid);
  if (it != same_mnt_.end()) return it->second;
  auto link = [](const std::string& p) {
    char b[128];
    ssize_t n = readlink(p.c_str(), b, sizeof b);
    return n > 0 ? std::string(b, static_cast<size_t>(n)) : std::string();
  };
  if (self_mnt_.empty()) self_mnt_ = link("/proc/self/ns/mnt");
  std::string m = link("/proc/" + std::to_string(pid) + "/ns/mnt");
  bool same = !m.empty() && m == self_mnt_;
  if (same_mnt_.size() > 65536) same_mnt_.clear();
  return same_mnt_[pid] = same;
}

void EbpfEvents::finish_tid(pid_t tid) {
  auto it = pending_.find(tid);
  if (it == pending_.end()) return;
  ++no_exit_;
  evaluate(it->second);
  pending_.erase(it);
}

void EbpfEvents::on_event(const void* data, size_t size) {
  if (size < sizeof(confine_whdr)) return;
  confine_whdr h;
  std::memcpy(&h, data, sizeof h);
  pid_t tid = static_cast<pid_t>(h.tid), pid = static_cast<pid_t>(h.tgid);
  switch (h.type) {
    case CONFINE_WEV_ENTER:
      if (size < sizeof(confine_wenter)) return;
      if (h.flags & CONFINE_WEV_F_RETRIED) {
        // Read again at sys_exit (something was unreadable at sys_enter): replaces the first.
        auto it = pending_.find(tid);
        if (it != pending_.end() && it->second.ev.nr == h.nr) pending_.erase(it);
      }
      finish_tid(tid);
      enter(data);
      return;
    case CONFINE_WEV_EXIT: {
      if (size < sizeof(confine_wexit)) return;
      auto it = pending_.find(tid);
      if (it == pending_.end() || it->second.ev.nr != h.nr) return;  // its entry was dropped
      confine_wexit x;
      std::memcpy(&x, data, sizeof x);
      it->second.ev.has_res = true;
      it->second.ev.res = x.res;
      evaluate(it->second);
      pending_.erase(it);
      return;
    }
    case CONFINE_WEV_EXEC: {
      if (size < sizeof(confine_wexec)) return;
      const auto* x = static_cast<const confine_wexec*>(data);
      ProcInfo n;
      n.pid = pid;
      n.ppid = static_cast<pid_t>(h.ppid);
      n.has_uid = true;
      n.uid = h.uid;
      n.user = procs_.user_name(h.uid);
      if (ProcInfo* old = procs_.get(pid)) n.container_id = old->container_id;
      if (n.container_id.empty()) n.container_id = container_of(h.cgroup_id, pid);
      n.comm = std::string(h.comm, strnlen(h.comm, sizeof h.comm));
      // proc.pis_server: from the kernel's look at the parent's descriptors at exec; from /proc
      // (now) when it has more than the program looked at.
      if (x->exe.flags & CONFINE_WF_PARENT_LISTENS)
        n.parent_listens = 1;
      else if (x->exe.flags & CONFINE_WF_PARENT_SCANNED)
        n.parent_listens = 0;
      else if (n.ppid > 0)
        n.parent_listens = listens(n.ppid) ? 1 : 0;
      bool partial = false;
      n.exepath = render_path(x->exe, &partial);
      uint32_t len = std::min<uint32_t>(x->argv_len, CONFINE_W_ARGV);
      if (len) {
        n.has_argv = true;
        std::string_view all(x->argv, len);
        while (!all.empty() && all.back() == '\0') all.remove_suffix(1);
        size_t i = 0;
        while (i <= all.size() && n.argv.size() < 256) {
          size_t e = all.find('\0', i);
          if (e == std::string_view::npos) e = all.size();
          n.argv.emplace_back(all.substr(i, e - i));
          i = e + 1;
        }
      }
      n.finish();
      procs_.put(std::move(n));
      same_mnt_.erase(pid);
      // A thread other than the leader exec'd: it is the leader now (its tid is the tgid).
      pid_t old_tid = static_cast<pid_t>(x->old_tid);
      if (old_tid != tid) {
        auto it = pending_.find(old_tid);
        if (it != pending_.end()) {
          Pending p = std::move(it->second);
          pending_.erase(it);
          p.ev.tid = tid;
          finish_tid(tid);
          pending_[tid] = std::move(p);
        }
      }
      return;
    }
    case CONFINE_WEV_FORK: {
      ProcInfo n;
      pid_t ppid = static_cast<pid_t>(h.ppid);
      bool known = procs_.known(ppid);
      if (const ProcInfo* parent = procs_.get(ppid)) {
        // A parent read from /proc now must not have exec'd since it forked (its comm is the event's).
        if (known || parent->comm == std::string_view(h.comm, strnlen(h.comm, sizeof h.comm))) n = *parent;
      }
      n.pid = pid;
      n.ppid = static_cast<pid_t>(h.ppid);
      same_mnt_.erase(pid);
      if (n.comm.empty()) n.comm = std::string(h.comm, strnlen(h.comm, sizeof h.comm));
      n.finish();
      procs_.put(std::move(n));
      return;
    }
    case CONFINE_WEV_GONE:
      finish_tid(tid);
      if (tid == pid) {
        same_mnt_.erase(pid);
        // Kept a while for its children's proc.pname / proc.aname (evaluated later), then forgotten.
        dead_.push_back(pid);
        while (dead_.size() > 4096) {
          procs_.erase(dead_.front());
          dead_.pop_front();
        }
      }
      return;
    default: return;
  }
}

void EbpfEvents::enter(const void* data) {
  const auto& e = *static_cast<const confine_wenter*>(data);
  procs_.trim();
  pid_t tid = static_cast<pid_t>(e.h.tid);
  Pending& pd = pending_[tid];
  Event& ev = pd.ev;
  ev.reset();
  pd.pid = static_cast<pid_t>(e.h.tgid);
  pd.partial = false;
  bool& partial = pd.partial;
  ev.ts_ns = static_cast<uint64_t>(static_cast<int64_t>(e.h.ts) + boot_to_real_ns_);
  ev.arch = arch_of(e.h.arch);
  ev.nr = e.h.nr;
  auto name = syscall_name(ev.arch, e.h.nr);
  ev.type = name ? *name : std::string_view();
  for (int i = 0; i < 6; ++i) ev.raw[i] = e.args[i];
  if (ev.arch != Arch::X86_64)
    for (auto& r : ev.raw) r &= 0xffffffffull;
  ev.tid = tid;
  proc_for(data);
  std::string_view sys = ev.type;
  EventMem mem(e, &partial);
  record::Decoded d;
  if (!sys.empty()) record::decode(ev.arch, sys, ev.raw, mem, &d);
  // The file or socket (links followed only for a task in this mount namespace).
  const pid_t task = pd.pid;
  FdFrom from = fill_fd(
      sys, ev.raw, d,
      [this, task](const std::string& p, bool follow) {
        return same_mounts(task) ? path_in_task(task, p, follow) : p;
      },
      &ev);
  if (from == FdFrom::Unread) {
    partial = true;
  } else if (from == FdFrom::None && e.fd.fd != kNoFd && e.fd.mode) {
    render_fd(e.fd, &ev.fd_name, &ev.fd_type, &partial);
    ev.has_fd = !ev.fd_name.empty();
  }
  // Named arguments.
  if (!fill_args(sys, ev.raw, d, mem, &ev)) partial = true;
  if (never_returns(sys)) {
    evaluate(pd);
    pending_.erase(tid);
  }
}

void EbpfEvents::evaluate(Pending& pd) {
  Event& ev = pd.ev;
  ev.procs = &procs_;
  ev.proc = procs_.get(pd.pid);
  if (!ev.proc) pd.partial = true;
  if (pd.partial) ++stats_.partial;
  ++stats_.evaluated;
  if (capture_) capture_(ev);
  if (rules_)
    rules_->match(ev, [&](const Rule& r) {
      ++stats_.alerts;
      emit_(json_ ? format_alert_json(r, ev, hostname_) : format_alert_text(r, ev));
    });
  if (base_) {
    std::string what;
    bool is_exec = ev.type == "execve" || ev.type == "execveat";
    auto it = base_->syscalls.find(ev.arch);
    std::string name = ev.type.empty() ? "nr " + std::to_string(ev.nr) : std::string(ev.type);
    if (it == base_->syscalls.end() || !it->second.count(name))
      what = "syscall " + name + " (" +
             std::string(ev.arch == Arch::X86   ? "i386"
                         : ev.arch == Arch::X32 ? "x32"
                                                : "x86_64") +
             ")";
    else if (is_exec && ev.has_res && ev.res == 0 && ev.proc && !ev.proc->exepath.empty() &&
             !base_->execs.count(ev.proc->exepath))
      what = "program " + ev.proc->exepath;
    if (!what.empty() && deviations_seen_.insert(what).second) {
      ++stats_.deviations;
      ++stats_.alerts;
      auto out = compile_output("Deviation from the recorded profile (" + what + " not in " + base_->file +
                                    ") proc=%proc.name cmdline=%proc.cmdline pid=%proc.pid file=%fd.name",
                                nullptr);
      if (out.ok()) {
        deviation_rule_.out = std::move(*out);
        emit_(json_ ? format_alert_json(deviation_rule_, ev, hostname_)
                    : format_alert_text(deviation_rule_, ev));
      }
    }
  }
}

void EbpfEvents::flush() {
  while (!pending_.empty()) finish_tid(pending_.begin()->first);
}

#ifndef CONFINE_HAVE_EBPF
Result<EbpfWatchResult> watch_ebpf(const EbpfWatchOptions&) {
  return Error(
      "--cgroup/--all: this confine was built without the eBPF source (needs libbpf-dev, bpftool and "
      "clang-14 "
      "at build time, and /sys/kernel/btf/vmlinux)");
}
#else
namespace {

// What the program sends for a syscall the rules want: the strings and structs decode() and
// the argument table read, a descriptor to describe, and the exit (evt.res).
confine_wspec wspec_for(std::string_view name) {
  constexpr uint8_t N = CONFINE_NONE;
  confine_wspec w{};
  w.on = 1;
  w.exit = never_returns(name) ? 0 : 1;
  for (int i = 0; i < CONFINE_W_STRS; ++i) w.str[i] = w.dirfd[i] = N;
  w.buf = w.buf_len = w.fd = N;
  int ns = 0;
  auto add_str = [&](uint8_t arg, uint8_t dirfd) {
    for (int i = 0; i < ns; ++i)
      if (w.str[i] == arg) return;
    if (ns < CONFINE_W_STRS) w.str[ns] = arg, w.dirfd[ns] = dirfd, ++ns;
  };
  confine_spec rs = ebpf::spec_for(name);  // what the recorder's program reads for decode()
  if (rs.kind == 2) {
    for (int i = 0; i < 2; ++i)
      if (rs.str[i] != N) add_str(rs.str[i], rs.dirfd[i] == N ? CONFINE_W_CWD : rs.dirfd[i]);
    w.buf = rs.buf, w.buf_len = rs.buf_len, w.buf_fixed = rs.buf_fixed;
  }
  ArgLayout lay;
  if (arg_layout(name, &lay)) {
    for (int i = 0; i < lay.n; ++i) {
      uint8_t ui = static_cast<uint8_t>(i);
      if (lay.kind[i] == ArgKind::Path)
        add_str(ui, i > 0 && lay.kind[i - 1] == ArgKind::Fd ? static_cast<uint8_t>(i - 1) : CONFINE_W_CWD);
      else if (lay.kind[i] == ArgKind::Str && lay.name[i] != "addr")
        add_str(ui, N);
      else if (lay.kind[i] == ArgKind::Fd && w.fd == N &&
               !(i + 1 < lay.n && lay.kind[i + 1] == ArgKind::Path))
        w.fd = ui;
    }
  }
  // A path string only the Path slot 0/1 resolves against a directory (the program's limit).
  for (int i = 2; i < CONFINE_W_STRS; ++i)
    if (w.dirfd[i] != N) w.dirfd[i] = N;
  return w;
}

Status set_specs(ebpf::WatchSource& src, const EbpfEvents& ev, std::set<std::string>* on) {
  on->clear();
  for (Arch a : {Arch::X86_64, Arch::X86, Arch::X32}) {
    for (const auto& e : syscall_table(a)) {
      confine_wspec w{};
      if (ev.wants(a, e.name)) {
        w = wspec_for(e.name);
        on->insert(std::string(e.name));
      }
      CONFINE_CHECK(src.set_spec(a, e.nr, w));
    }
  }
  return ok();
}

}  // namespace

Result<EbpfWatchResult> watch_ebpf(const EbpfWatchOptions& o) {
  CONFINE_CHECK(ebpf::available());
  EbpfWatchResult res;
  CONFINE_TRY(std::unique_ptr<RuleSet> rules, o.loader());
  ebpf::WatchSourceOptions so;
  so.ring_bytes = o.ring_bytes;
  if (o.cgroup.empty()) {
    so.mode = ebpf::WatchSourceOptions::kAll;
    res.scope = "all";
  } else {
    auto cg = ebpf::cgroup_at(o.cgroup);
    if (!cg.ok()) return std::move(cg).error().context("--cgroup " + o.cgroup);
    if (cg->level == 0)
      return Error("--cgroup " + o.cgroup + ": the cgroup v2 root holds the whole host: use --all");
    so.mode = ebpf::WatchSourceOptions::kCgroup;
    so.cgroup_id = cg->id;
    so.level = cg->level;
    res.scope = "cgroup " + cg->rel;
  }
  // Signals by signalfd, blocked before the program is attached.
  sigset_t mask, old;
  sigemptyset(&mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&mask, s);
  if (sigprocmask(SIG_BLOCK, &mask, &old) != 0) return Error::sys("sigprocmask", errno);
  struct Restore {
    sigset_t old;
    int fd = -1;
    ~Restore() {
      if (fd >= 0) ::close(fd);
      sigprocmask(SIG_SETMASK, &old, nullptr);
    }
  } restore{old};
  restore.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (restore.fd < 0) return Error::sys("signalfd", errno);

  EbpfEvents events(rules.get(), o.baseline, o.json, o.emit);
  if (auto m = ebpf::cgroup2_mount(); m.ok()) events.set_cgroup_root(*m);
  if (o.capture) events.set_capture(o.capture);
  CONFINE_TRY(auto src, ebpf::WatchSource::open(so, [&](const void* d, size_t n) { events.on_event(d, n); }));
  std::set<std::string> on;
  CONFINE_CHECK_CTX(set_specs(*src, events, &on), "watch");
  o.note("confine watch: watching " + res.scope + " (eBPF, " + std::to_string(on.size()) +
         " syscalls); stop with SIGINT or SIGTERM");
  auto start = std::chrono::steady_clock::now();
  uint64_t lost_seen = 0;
  auto last_check = start;
  for (;;) {
    pollfd p[2] = {{src->fd(), POLLIN, 0}, {restore.fd, POLLIN, 0}};
    // The program wakes us only when its ring is an eighth full: drain every 10 ms as well.
    ::poll(p, 2, 10);
    src->drain();
    bool stop = false;
    signalfd_siginfo si;
    while (::read(restore.fd, &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGHUP) {
        auto r = o.loader();
        if (!r.ok()) {
          o.note("SIGHUP: rules not reloaded (the old ones stay): " + r.error().message());
          continue;
        }
        rules = std::move(*r);
        events.set_rules(rules.get());
        auto st = set_specs(*src, events, &on);
        o.note("SIGHUP: rules reloaded (" + std::to_string(rules->rules().size()) + " rules, " +
               std::to_string(on.size()) + " syscalls)" + (st.ok() ? "" : ": " + st.error().message()));
      } else {
        res.stop_signal = static_cast<int>(si.ssi_signo);
        stop = true;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (o.duration_ms && now - start >= std::chrono::milliseconds(static_cast<int64_t>(o.duration_ms)))
      stop = true;
    if (stop || now - last_check >= std::chrono::seconds(1)) {
      last_check = now;
      auto st = src->stats();
      if (st.lost > lost_seen) {
        o.note("confine watch: " + std::to_string(st.lost - lost_seen) +
               " events dropped (the ring buffer was full; " + std::to_string(st.lost) + " in all)");
        lost_seen = st.lost;
      }
    }
    if (stop) break;
  }
  src->detach();
  events.flush();
  auto st = src->stats();
  res.stats = events.stats();
  res.events = st.events;
  res.lost = st.lost;
  res.lost_exit = st.lost_exit;
  res.lost_proc = st.lost_proc;
  res.no_exit = events.no_exit();
  res.stats.dropped = st.lost;
  return res;
}
#endif

}  // namespace confine::watch
