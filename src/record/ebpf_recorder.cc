// The ebpf backend of the recorder (recorder.h, docs/record.md "The ebpf
// backend"): the command runs in a fresh cgroup v2 child cgroup, or a running
// workload is attached to by its cgroup or pid, and src/ebpf's program counts
// its syscalls and captures their memory arguments; each captured event goes
// through the same decode() as the unotify backend's notifications (a MemReader
// over the event's copies), so the Behavior has the same shape.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "record/decode.h"
#include "record/recorder.h"
#include "syscalls/syscalls.h"

#ifdef CONFINE_HAVE_EBPF
#include "ebpf/cgroup.h"
#include "ebpf/source.h"
#endif

extern char** environ;

namespace confine::record {

#ifndef CONFINE_HAVE_EBPF
Result<RecordResult> record_ebpf(const RecordOptions&) {
  return Error(
      "--backend ebpf: this confine was built without the eBPF backend (needs libbpf-dev, bpftool and "
      "clang-14 at build time, and /sys/kernel/btf/vmlinux)");
}
#else
namespace {

std::string read_small(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}
std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// "/usr/bin" from names leaf first ("bin\0usr\0").
std::string join_base(const confine_event& e, int slot) {
  std::vector<std::string_view> names;
  size_t pos = 0;
  for (uint32_t i = 0; i < e.base_n[slot] && pos < CONFINE_BASE; ++i) {
    const char* s = e.base[slot] + pos;
    size_t len = strnlen(s, CONFINE_BASE - pos);
    names.emplace_back(s, len);
    pos += len + 1;
  }
  std::string out;
  for (auto it = names.rbegin(); it != names.rend(); ++it) out += "/" + std::string(*it);
  return out.empty() ? "/" : out;
}

// decode()'s memory, from what the BPF program copied at sys_enter.
class EventMem : public MemReader {
 public:
  explicit EventMem(const confine_event& e) : e_(e) {}
  std::optional<std::string> read_string(uint64_t addr, size_t max) override {
    for (int i = 0; i < 2; ++i) {
      if (e_.str_addr[i] != addr) continue;
      if (e_.str_len[i] <= 0) {  // unreadable also at sys_exit
        unresolved = true;
        return std::nullopt;
      }
      if (e_.flags & (i ? CONFINE_EVF_STR_TRUNC1 : CONFINE_EVF_STR_TRUNC0)) {
        unresolved = true;
        return std::nullopt;
      }
      std::string s(e_.str[i], static_cast<size_t>(e_.str_len[i] - 1));
      if (s.size() > max) return std::nullopt;
      return s;
    }
    return std::nullopt;
  }
  std::optional<std::string> read_bytes(uint64_t addr, size_t len) override {
    if (e_.buf_addr == addr && e_.buf_len > 0 && static_cast<size_t>(e_.buf_len) >= len)
      return std::string(reinterpret_cast<const char*>(e_.buf), len);
    if (e_.buf2_addr == addr && e_.buf2_len > 0 && static_cast<size_t>(e_.buf2_len) >= len)
      return std::string(reinterpret_cast<const char*>(e_.buf2), len);
    return std::nullopt;
  }
  std::string fd_path(int fd) override {
    for (int i = 0; i < 2; ++i) {
      if (e_.base_fd[i] != fd) continue;
      if (e_.flags & (i ? CONFINE_EVF_BASE_TRUNC1 : CONFINE_EVF_BASE_TRUNC0)) {
        unresolved = true;
        return "";
      }
      return join_base(e_, i);
    }
    unresolved = true;
    return "";
  }
  std::string cwd() override { return fd_path(-100); }
  bool unresolved = false;

 private:
  const confine_event& e_;
};

Arch arch_of(uint32_t a) { return a == 0 ? Arch::X86_64 : a == 1 ? Arch::X86 : Arch::X32; }

// What the event thread gathers (touched only by it until Source::finish joined it).
struct Gathered {
  std::map<std::pair<Arch, int32_t>, std::map<std::string, std::set<uint64_t> > > args;
  behavior::Behavior beh;  // files, execs, network, processes
  uint64_t unresolved = 0;
  std::string unresolved_example;
  bool own_filter = false;
  void on_event(const confine_event& e) {
    if (e.type == CONFINE_EV_EXEC) {
      if (e.flags & CONFINE_EVF_BASE_TRUNC0) return;
      std::string comm(e.str[0], strnlen(e.str[0], 16));
      beh.processes.insert({comm, join_base(e, 0)});
      if (e.flags & CONFINE_EVF_EXEC_PATH) {  // the execve's path, unreadable at its sys_enter
        if (e.str_len[1] <= 0 || (e.flags & (CONFINE_EVF_STR_TRUNC1 | CONFINE_EVF_BASE_TRUNC1))) {
          ++unresolved;
          if (unresolved_example.empty()) unresolved_example = "execve";
          return;
        }
        std::string p(e.str[1], static_cast<size_t>(e.str_len[1] - 1));
        p = p.starts_with("/") ? join_path("/", p) : join_path(join_base(e, 1), p);
        beh.files[p] |= behavior::kExec;
        beh.execs.insert(p);
      }
      return;
    }
    if (e.type != CONFINE_EV_SYSCALL) return;
    Arch arch = arch_of(e.arch);
    auto name = syscall_name(arch, e.nr);
    if (!name) return;
    EventMem mem(e);
    Decoded d;
    uint64_t a[6];
    for (int i = 0; i < 6; ++i) a[i] = e.args[i];
    decode(arch, *name, a, mem, &d);
    if (!d.args.empty()) {
      auto& m = args[{arch, e.nr}];
      for (const auto& [k, v] : d.args) m[k].insert(v);
    }
    if (mem.unresolved) {
      ++unresolved;
      if (unresolved_example.empty()) unresolved_example = std::string(*name);
    }
    if (d.handle_only) d.files.clear();  // O_PATH: no access either LSM checks
    for (auto& [p, a] : d.files)
      if (!p.starts_with("?/"))
        behavior::add_file(beh, std::move(p), a);  // "?/": a base not resolved (counted above)
    if (!d.listed.empty()) behavior::add_file(beh, std::move(d.listed), behavior::kList);
    if (!d.exec.empty() && !d.exec.starts_with("?/")) beh.execs.insert(d.exec);
    if (d.family) beh.net_families.insert(behavior::family_name(*d.family));
    if (!d.bind.empty()) beh.binds.insert(d.bind);
    if (!d.connect.empty()) beh.connects.insert(d.connect);
    if (d.seccomp_filter) own_filter = true;
  }
};

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The process image of a task seen from the workload's root ("/proc/PID/root"
// is a prefix of its exe for a container).
behavior::Process process_of(pid_t p) {
  std::string base = "/proc/" + std::to_string(p);
  std::string exe = read_link(base + "/exe"), root = read_link(base + "/root");
  if (!root.empty() && root != "/" && exe.starts_with(root + "/")) exe = exe.substr(root.size());
  return {read_small(base + "/comm"), exe};
}

// Folds the source's counts, the decoded arguments and the error counts into res.
void fold(ebpf::Source& src, Gathered& g, RecordResult& res) {
  auto& beh = res.behavior;
  std::map<std::pair<Arch, int32_t>, behavior::SyscallInfo> calls;
  uint64_t total = 0;
  for (const auto& [k, c] : src.counts()) {
    calls[k].count += c;
    total += c;
  }
  for (auto& [k, m] : g.args) {
    auto& info = calls[k];
    if (!info.count) info.count = 1;  // (cannot happen: counted before the event is sent)
    for (auto& [key, vals] : m) info.args[key].insert(vals.begin(), vals.end());
  }
  for (const auto& [k, c] : src.errors()) {
    auto it = calls.find(k.first);
    if (it != calls.end()) it->second.errors[k.second] += c;
  }
  beh.errors_observed = true;
  for (auto& [key, info] : calls) {
    auto nm = syscall_name(key.first, key.second);
    std::string name = nm ? std::string(*nm) : "nr " + std::to_string(key.second);
    auto& dst = beh.arches[key.first][name];
    dst.count += info.count;
    for (auto& [k, v] : info.args) dst.args[k].insert(v.begin(), v.end());
    for (auto& [e, c] : info.errors) dst.errors[e] += c;
  }
  beh.files = std::move(g.beh.files);
  beh.files_truncated = g.beh.files_truncated;
  beh.execs = std::move(g.beh.execs);
  beh.net_families = std::move(g.beh.net_families);
  beh.binds = std::move(g.beh.binds);
  beh.connects = std::move(g.beh.connects);
  beh.processes.insert(g.beh.processes.begin(), g.beh.processes.end());
  res.events = total;
  res.backend = Backend::Ebpf;
  res.perf_lost = src.lost();
  std::string partial;
  if (src.lost())
    partial = "the eBPF ring buffer (" + std::to_string(src.ring_bytes() >> 10) +
              " KiB) was full: " + std::to_string(src.lost()) +
              " events with syscall arguments (paths, sockaddrs, argument values) were dropped; counts are "
              "complete, arguments are not";
  if (g.unresolved) {
    std::string n = std::to_string(g.unresolved) + " paths could not be resolved (longer than " +
                    std::to_string(CONFINE_PATH - 1) + " bytes, a directory deeper than " +
                    std::to_string(CONFINE_DEPTH) + " levels, or a closed dirfd; first in " +
                    g.unresolved_example + "): they are missing";
    if (partial.empty())
      partial = n;
    else
      beh.notes.push_back(n);
  }
  if (!partial.empty() && !beh.partial) {
    beh.partial = true;
    beh.partial_reason = partial;
  }
  if (src.errors_lost())
    beh.notes.push_back(std::to_string(src.errors_lost()) +
                        " failed syscalls were not counted (the errors map was full): error counts are a "
                        "lower bound");
  if (src.others_lost())
    beh.notes.push_back(std::to_string(src.others_lost()) +
                        " syscalls with numbers beyond the table were not counted (map full)");
  if (g.own_filter) {
    std::string n =
        "the command installed its own seccomp filter: syscalls that filter denies are counted but fail";
    beh.notes.push_back(n);
    res.warnings.push_back(n);
  }
}

struct SignalSetup {
  sigset_t mask, old;
  int fd = -1;
  ~SignalSetup() {
    if (fd >= 0) close(fd);
    sigprocmask(SIG_SETMASK, &old, nullptr);
  }
};

Status block_signals(SignalSetup& s, int stop_signal) {
  sigemptyset(&s.mask);
  for (int sg : {SIGCHLD, SIGINT, SIGQUIT, SIGTERM, SIGHUP}) sigaddset(&s.mask, sg);
  if (stop_signal > 0 && stop_signal < NSIG && stop_signal != SIGKILL && stop_signal != SIGSTOP)
    sigaddset(&s.mask, stop_signal);
  if (sigprocmask(SIG_BLOCK, &s.mask, &s.old) != 0) return Error::sys("sigprocmask", errno);
  s.fd = signalfd(-1, &s.mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s.fd < 0) return Error::sys("signalfd", errno);
  return ok();
}

std::string errno_text(int e) { return errno_name(e) + " (" + strerror(e) + ")"; }

// Moves what is left in cg to its parent and removes it.
void remove_cgroup(const ebpf::Cgroup& cg, std::vector<std::string>* warnings) {
  auto left = ebpf::cgroup_procs(cg);
  if (!left.empty()) {
    std::string parent = cg.path.substr(0, cg.path.rfind('/'));
    for (pid_t p : left) {
      std::ofstream f(parent + "/cgroup.procs");
      f << p << "\n";
    }
  }
  for (int i = 0; i < 200 && rmdir(cg.path.c_str()) != 0 && errno == EBUSY; ++i) usleep(5000);
  if (access(cg.path.c_str(), F_OK) == 0)
    warnings->push_back("could not remove the recording's cgroup " + cg.path + ": " + errno_text(errno));
}

}  // namespace

Result<RecordResult> record_ebpf(const RecordOptions& o) {
  CONFINE_CHECK(ebpf::available());
  bool attach = !o.attach_cgroup.empty() || o.attach_pid > 0;
  RecordResult res;
  auto& beh = res.behavior;
  res.backend = Backend::Ebpf;
  std::string path;
  if (!attach) {
    if (o.argv.empty()) return Error("no command given");
    int code = 0;
    auto p = find_executable(o.argv[0], &code);
    beh.command = o.argv;
    if (!p.ok()) {
      res.exit_code = code;
      beh.partial = true;
      beh.partial_reason = "the command did not start: " + p.error().message();
      return res;
    }
    path = *p;
  }
  // The workload's cgroup (or process set).
  ebpf::Filter filter;
  ebpf::Cgroup cg;
  bool own_cgroup = false;
  if (!attach) {
    CONFINE_TRY(cg, ebpf::make_cgroup("confine-record-" + std::to_string(getpid())));
    own_cgroup = true;
  } else if (!o.attach_cgroup.empty()) {
    auto c = ebpf::cgroup_at(o.attach_cgroup);
    if (!c.ok() && c.error().sys_errno() == ENOENT && o.attach_cgroup.find('/') != std::string::npos) {
      // Pre-created for a container about to start (runc's cgroupsPath): ours to remove.
      auto mnt = ebpf::cgroup2_mount();
      std::string dir = o.attach_cgroup.starts_with(mnt.ok() ? *mnt + "/" : "//")
                            ? o.attach_cgroup
                            : (mnt.ok() ? *mnt : "") + o.attach_cgroup;
      if (mkdir(dir.c_str(), 0755) != 0)
        return Error::sys("--cgroup " + o.attach_cgroup + ": mkdir(\"" + dir + "\")", errno);
      own_cgroup = true;
      c = ebpf::cgroup_at(dir);
    }
    if (!c.ok()) return std::move(c).error().context("--cgroup");
    cg = *c;
    beh.command = {"--cgroup", cg.rel};
  } else {
    CONFINE_TRY(cg, ebpf::cgroup_of(o.attach_pid));
    beh.command = {"--pid", std::to_string(o.attach_pid)};
  }
  if (cg.level == 0) {
    if (!attach || o.attach_pid <= 0)
      return Error("the cgroup v2 root holds the whole host: give a cgroup below it (--cgroup)");
    // A process in the root cgroup: followed by process id, with its descendants.
    filter.mode = ebpf::Filter::kTgids;
    std::set<pid_t> set{o.attach_pid};
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& ent : std::filesystem::directory_iterator("/proc")) {
        std::string n = ent.path().filename().string();
        if (n.empty() || !isdigit(static_cast<unsigned char>(n[0]))) continue;
        std::string st = read_small("/proc/" + n + "/stat");
        size_t rp = st.rfind(')');
        if (rp == std::string::npos) continue;
        std::istringstream in(st.substr(rp + 2));
        char state;
        long ppid = 0;
        in >> state >> ppid;
        pid_t p = static_cast<pid_t>(std::stol(n));
        if (set.count(static_cast<pid_t>(ppid)) && set.insert(p).second) grew = true;
      }
    }
    filter.tgids.assign(set.begin(), set.end());
    beh.notes.push_back("pid " + std::to_string(o.attach_pid) +
                        " is in the root cgroup: recorded it and its descendants by process id");
  } else {
    filter.mode = ebpf::Filter::kCgroup;
    filter.cgroup_id = cg.id;
    filter.level = cg.level;
  }

  // Blocked before the event thread starts, so that it inherits the mask and
  // the signals reach the signalfd.
  SignalSetup sig;
  CONFINE_CHECK(block_signals(sig, o.stop_signal));
  Gathered g;
  ebpf::SourceOptions so;
  so.filter = filter;
  so.errors = o.errors;
  so.gate_comm = o.ebpf_gate_comm;
  if (o.ebpf_ring_bytes) so.ring_bytes = o.ebpf_ring_bytes;
  auto src_r = ebpf::Source::open(so, [&g](const confine_event& e) { g.on_event(e); });
  if (!src_r.ok()) {
    if (own_cgroup) rmdir(cg.path.c_str());
    return std::move(src_r).error().context("--backend ebpf");
  }
  auto src = std::move(*src_r);
  CONFINE_CHECK(src->start());

  std::set<int> forwarded;
  if (attach) {
    // Attach: until the duration's stop signal (from the caller's controller), a
    // TERM/INT/HUP/QUIT, or the workload is gone.
    for (pid_t p : filter.mode == ebpf::Filter::kTgids ? filter.tgids : ebpf::cgroup_procs(cg))
      beh.processes.insert(process_of(p));
    // Tests and scripts start the workload when they see this line.
    std::string line = "confine: recording " +
                       (o.attach_pid > 0 ? "pid " + std::to_string(o.attach_pid) : "cgroup " + cg.rel) +
                       " (ebpf); stop with SIGINT/SIGTERM or --duration\n";
    ssize_t w = write(2, line.data(), line.size());
    (void)w;
    if (o.on_start) o.on_start(o.attach_pid > 0 ? o.attach_pid : getpid());
    bool seen_populated = ebpf::cgroup_populated(cg);
    for (;;) {
      pollfd p{sig.fd, POLLIN, 0};
      poll(&p, 1, 100);
      signalfd_siginfo si;
      bool stop = false;
      while (read(sig.fd, &si, sizeof si) == sizeof si)
        if (si.ssi_signo != SIGCHLD) stop = true, forwarded.insert(static_cast<int>(si.ssi_signo));
      if (stop) break;
      if (filter.mode == ebpf::Filter::kCgroup) {
        // The workload is gone: its cgroup emptied (a container that lived less
        // than a poll interval is seen by the gate having opened) or was removed
        // (runc removes a container's cgroup when it ends).
        if (access(cg.path.c_str(), F_OK) != 0) break;
        bool pop = ebpf::cgroup_populated(cg);
        if (pop || (!o.ebpf_gate_comm.empty() && src->armed())) seen_populated = true;
        if (seen_populated && !pop) break;
      } else if (kill(o.attach_pid, 0) != 0 && errno == ESRCH) {
        break;
      }
    }
    src->finish();
    if (!src->armed())
      beh.notes.push_back("no task named \"" + o.ebpf_gate_comm + "\" exec'd: nothing was recorded");
    fold(*src, g, res);
    beh.notes.push_back(std::string("attached to a running workload (") +
                        (o.attach_pid > 0 ? "pid " + std::to_string(o.attach_pid) : "cgroup " + cg.rel) +
                        "): what it did before the recording started is not in it");
    if (!o.ebpf_gate_comm.empty())
      beh.notes.push_back("recorded from the first execve by a task named \"" + o.ebpf_gate_comm + "\"");
    if (own_cgroup) remove_cgroup(cg, &res.warnings);
    res.exit_code = 0;
    return res;
  }

  // Run the command: it blocks on `go` until it is in the cgroup, then execs.
  int go[2], errp[2];
  if (pipe2(go, O_CLOEXEC) != 0) return Error::sys("pipe2", errno);
  if (pipe2(errp, O_CLOEXEC) != 0) return Error::sys("pipe2", errno);
  std::vector<char*> av;
  for (const auto& a : o.argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return Error::sys("fork", errno);
  if (pid == 0) {
    close(go[1]);
    close(errp[0]);
    if (o.stdin_fd >= 0) dup2(o.stdin_fd, 0);
    if (o.stdout_fd >= 0) dup2(o.stdout_fd, 1);
    if (o.stderr_fd >= 0) dup2(o.stderr_fd, 2);
    sigprocmask(SIG_SETMASK, &sig.old, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    char c;
    while (read(go[0], &c, 1) < 0 && errno == EINTR) {
    }
    // Recorded from here: this execve is the first syscall in the cgroup (as with unotify).
    execve(path.c_str(), av.data(), environ);
    int e = errno;
    std::string msg = "execve(\"" + path + "\"): " + errno_text(e);
    ssize_t w = write(errp[1], msg.data(), msg.size());
    (void)w;
    _exit(e == ENOENT ? 127 : 126);
  }
  close(go[0]);
  close(errp[1]);
  {
    std::ofstream f(cg.path + "/cgroup.procs");
    f << pid << "\n";
    f.flush();
    if (!f) {
      int e = errno;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close(go[1]), close(errp[0]);
      src->finish();
      remove_cgroup(cg, &res.warnings);
      return Error::sys("moving the command into " + cg.path + "/cgroup.procs", e);
    }
  }
  if (o.on_start) o.on_start(pid);
  close(go[1]);  // go
  int status = 0;
  bool main_done = false, stop_killed = false;
  long kill_at = -1;
  for (;;) {
    pollfd p{sig.fd, POLLIN, 0};
    poll(&p, 1, main_done ? 100 : 1000);
    signalfd_siginfo si;
    while (read(sig.fd, &si, sizeof si) == sizeof si) {
      if (si.ssi_signo == SIGCHLD) continue;
      forwarded.insert(static_cast<int>(si.ssi_signo));
      if (!main_done) {
        kill(pid, static_cast<int>(si.ssi_signo));
        if (kill_at < 0) kill_at = now_ms() + o.stop_grace_ms;
      }
    }
    if (!main_done && waitpid(pid, &status, WNOHANG) == pid) main_done = true;
    if (!main_done && kill_at >= 0 && now_ms() >= kill_at) {
      kill(pid, SIGKILL);
      stop_killed = true;
      kill_at = now_ms() + 1000000;
    }
    if (main_done) {
      if (o.main_only || o.stop_at_daemons || !forwarded.empty()) break;
      if (!ebpf::cgroup_populated(cg)) break;
    }
  }
  src->finish();
  std::string child_error;
  {
    char buf[512];
    ssize_t k = read(errp[0], buf, sizeof buf);
    if (k > 0) child_error.assign(buf, static_cast<size_t>(k));
    close(errp[0]);
  }
  fold(*src, g, res);
  res.exit_code = exit_code_of(status);
  beh.exit_status = res.exit_code;
  auto left = ebpf::cgroup_procs(cg);
  if (!left.empty()) {
    std::string n = std::to_string(left.size()) +
                    " processes of the command were still running when the recording ended; they continue "
                    "unrecorded";
    beh.notes.push_back(n);
    res.warnings.push_back(n);
  }
  remove_cgroup(cg, &res.warnings);
  std::vector<int> fw(forwarded.begin(), forwarded.end());
  res.stop_signals = fw;
  if (!child_error.empty()) {
    beh.partial = true;
    beh.partial_reason = "the command did not start: " + child_error;
    res.warnings.push_back(child_error);
  } else if (stop_killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
    beh.partial = true;
    beh.partial_reason = "the command did not exit within " + std::to_string(o.stop_grace_ms / 1000) +
                         " s of the stop signal and was killed (SIGKILL)";
  } else if (WIFSIGNALED(status) && !forwarded.count(WTERMSIG(status)) && !beh.partial) {
    beh.partial = true;
    beh.partial_reason = std::string("the command was killed by signal ") + std::to_string(WTERMSIG(status)) +
                         " (" + strsignal(WTERMSIG(status)) + ")";
  }
  if (!forwarded.empty()) {
    std::string n = "stopped by a signal forwarded to the command:";
    for (int s : forwarded) n += std::string(" SIG") + sigabbrev_np(s);
    beh.notes.push_back(n);
  }
  if (o.main_only)
    beh.notes.push_back(
        "recorded with --main-only: descendants were followed only while the main process lived");
  return res;
}
#endif

}  // namespace confine::record
