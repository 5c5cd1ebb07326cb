#include "record/recorder.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "record/decode.h"
#include "record/errors.h"
#include "record/perf_counter.h"
#include "record/procmem.h"
#include "supervise/listener.h"
#include "supervise/loop.h"
#include "syscalls/syscalls.h"

namespace confine::record {

namespace {

// Interrupts the answering thread's blocking RECV when recording ends.
constexpr int kInterruptSignal = SIGUSR1;
// Ring buffers of the error sampler polled by the watcher (one per CPU).
constexpr int kMaxSamplerFds = 256;

std::string errno_str(int e) { return errno_name(e) + " (" + std::strerror(e) + ")"; }

std::string read_small(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return "";
  std::string s(buf, static_cast<size_t>(n));
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return "";
  return std::string(buf, static_cast<size_t>(n));
}

long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Finds the seccomp listener among the child's fds and takes a copy.
Result<int> take_listener(pid_t pid, int pidfd, int err_fd, std::string* child_error) {
  long deadline = now_ms() + 10000;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  while (true) {
    if (DIR* d = opendir(dir.c_str())) {
      int found = -1;
      while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        if (read_link(dir + "/" + e->d_name) == "anon_inode:seccomp notify") {
          found = std::atoi(e->d_name);
          break;
        }
      }
      closedir(d);
      if (found >= 0) {
        long fd = syscall(SYS_pidfd_getfd, pidfd, found, 0);
        if (fd >= 0) return static_cast<int>(fd);
        if (errno != EBADF) return Error::sys("pidfd_getfd(child, " + std::to_string(found) + ")", errno);
      }
    }
    // The child reports setup failures on err_fd and exits.
    char buf[512];
    ssize_t n = read(err_fd, buf, sizeof buf);
    if (n > 0) {
      *child_error = std::string(buf, static_cast<size_t>(n));
      return Error(*child_error);
    }
    if (now_ms() > deadline) return Error("no seccomp listener appeared in the child within 10 s");
    usleep(100);
  }
}

[[noreturn]] void child_fail(int err_fd, const std::string& msg, int code) {
  ssize_t r = write(err_fd, msg.data(), msg.size());
  (void)r;
  _exit(code);
}

// The recording process's descendants still running (not zombies), by /proc/PID/stat:
// pid, session and comm. Orphans are reparented to it (a child subreaper).
struct Descendant {
  pid_t pid;
  pid_t sid;
  std::string comm;
};
std::vector<Descendant> running_descendants() {
  struct Entry {
    pid_t ppid, sid;
    char state;
    std::string comm;
  };
  std::map<pid_t, Entry> all;
  DIR* d = opendir("/proc");
  if (!d) return {};
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::string st = read_small(std::string("/proc/") + e->d_name + "/stat");
    size_t open = st.find('('), close = st.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= st.size()) continue;
    char state = 0;
    int ppid = 0, pgrp = 0, sid = 0;
    if (std::sscanf(st.c_str() + close + 2, "%c %d %d %d", &state, &ppid, &pgrp, &sid) != 4) continue;
    all[std::atoi(e->d_name)] = Entry{ppid, sid, state, st.substr(open + 1, close - open - 1)};
  }
  closedir(d);
  std::vector<Descendant> out;
  pid_t self = getpid();
  for (const auto& [pid, e] : all) {
    if (pid == self || e.state == 'Z' || e.state == 'X') continue;
    pid_t up = e.ppid;
    for (int hops = 0; up > 1 && up != self && hops < 4096; ++hops) {
      auto it = all.find(up);
      up = it == all.end() ? 0 : it->second.ppid;
    }
    if (up == self) out.push_back({pid, e.sid, e.comm});
  }
  return out;
}

// Names the perf backend's filter notifies: what decode() needs the live task
// for (memory, /proc), and exec. The other decoded names (socket, clone, ioctl,
// mmap, ...) are decoded from perf's sys_enter samples instead: every
// notification is a window in which a signal turns the syscall into EINTR
// (docs/record.md, "The observer effect"), so the fewer the better.
std::vector<std::string> notified_names() {
  std::vector<std::string> v;
  for (auto n : all_syscall_names())
    if (decode_needs_task(n) || n == "execve" || n == "execveat") v.emplace_back(n);
  return v;
}

[[noreturn]] void run_child(const std::string& path, const std::vector<std::string>& argv, int err_fd,
                            const sigset_t& old_mask, const RecordOptions& o,
                            std::vector<sock_filter>& insn) {
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  if (o.stdin_fd >= 0 && dup2(o.stdin_fd, 0) < 0) child_fail(err_fd, "dup2(stdin): " + errno_str(errno), 125);
  if (o.stdout_fd >= 0 && dup2(o.stdout_fd, 1) < 0)
    child_fail(err_fd, "dup2(stdout): " + errno_str(errno), 125);
  if (o.stderr_fd >= 0 && dup2(o.stderr_fd, 2) < 0)
    child_fail(err_fd, "dup2(stderr): " + errno_str(errno), 125);
  sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  sock_fprog prog{static_cast<unsigned short>(insn.size()), insn.data()};
  // Root keeps setuid semantics (no no_new_privs) so the recording matches a
  // normal run; without CAP_SYS_ADMIN the kernel requires no_new_privs.
  //
  // WAIT_KILLABLE_RECV (Linux 5.19+): once the supervisor has received a
  // notification, the task waits for the answer killably, so a signal (dash's
  // SIGCHLD during fork, say) no longer cuts the wait short and turns the
  // syscall into EINTR (or ERESTARTSYS): fork never fails with EINTR
  // normally, and dash gave up with "Cannot fork". The window before the
  // RECV remains (short with SYNC_WAKE_UP): hence the perf backend notifies
  // as little as it can and the supervisor counts notifications that vanish
  // (docs/record.md, "The observer effect"). Older kernels: EINVAL, retried without.
  // (supervise::new_listener.)
  long fd = supervise::new_listener(&prog);
  if (fd < 0 && errno == EACCES) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
      child_fail(err_fd, "prctl(PR_SET_NO_NEW_PRIVS): " + errno_str(errno), 125);
    fd = supervise::new_listener(&prog);
  }
  if (fd < 0) {
    int e = errno;
    std::string msg = "seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER): " + errno_str(e);
    if (e == EBUSY)
      msg += " -- already under a seccomp user-notification supervisor (nested record/complain?)";
    child_fail(err_fd, msg, 125);
  }
  // From here every syscall waits for the supervisor.
  execve(path.c_str(), av.data(), environ);
  int e = errno;
  child_fail(err_fd, "execve(\"" + path + "\"): " + errno_str(e), e == ENOENT ? 127 : 126);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 125;
}

// Per-task state: the process (comm, exe) is read at the first syscall of a
// task and again after each execve.
struct TaskState {
  bool seen_image = false;
};

struct Accumulator {
  // arguments by (arch, nr) (counts: the supervisor's); names resolved at the end
  std::map<std::pair<Arch, int32_t>, behavior::SyscallInfo> calls;
};

// A mkdir(at) the supervisor let run may have failed (EEXIST: `mkdir -p` of a
// directory that was there); the answer is never seen. Evidence afterwards: the
// inode at PATH now was born before the recording started (statx btime, not
// following a symlink). Then no mkdir of the recording left its directory there,
// and any other way a directory gets there (rename onto PATH) records PATH as
// created by itself. Sound only when born-before is certain: the filesystem
// reports a birth time, and the workload stayed in the recorder's mount namespace
// and root (checked by the caller). `start` is CLOCK_REALTIME_COARSE before the
// fork: an inode created later has a birth time at or after it.
bool born_before(const std::string& path, const timespec& start) {
  if (path.empty() || path[0] != '/') return false;
  struct statx sx;
  if (statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW, STATX_BTIME | STATX_TYPE, &sx) != 0) return false;
  if (!(sx.stx_mask & STATX_BTIME)) return false;
  if (sx.stx_btime.tv_sec != start.tv_sec) return sx.stx_btime.tv_sec < start.tv_sec;
  return static_cast<long>(sx.stx_btime.tv_nsec) < start.tv_nsec;
}

// The workload changed what a path names for it (another mount namespace, root
// directory or mount): the recorder's view of a path is then no evidence.
bool changed_path_view(const behavior::Behavior& b) {
  for (const auto& [arch, calls] : b.arches)
    for (const auto& [name, info] : calls) {
      if (name == "unshare" || name == "setns" || name == "chroot" || name == "pivot_root" ||
          name == "mount" || name == "move_mount" || name == "fsmount" || name == "open_tree")
        return true;
      if (name == "clone" || name == "clone3") {
        auto it = info.args.find("ns_flags");
        if (it != info.args.end())
          for (uint64_t v : it->second)
            if (v) return true;
      }
    }
  return false;
}

// The recorder as an observer of the supervisor (supervise/loop.h): decodes what
// decode_relevant() names and exec, reads each task's image (comm, exe) at its first
// syscall, and files what it saw into the Behavior once the answer is sent and the
// notification was still valid. Its decoding of the current call is there for the
// observer added after it (RecordOptions::observer, `confine watch`, record/observer.h).
// Counts are the supervisor's.
class Recording : public supervise::Observer {
 public:
  Recording(behavior::Behavior* beh, Accumulator* acc)
      : beh_(beh), acc_(acc), flags_(supervise::kSyscallSlots) {}
  bool wants(Arch arch, int32_t nr, std::string_view name) override {
    uint8_t f = kLooked;
    if (name == "execve" || name == "execveat") f |= kExec;
    if (!name.empty() && decode_relevant(name)) f |= kDecode;
    flag_slot(arch, nr) = f;
    return f & (kExec | kDecode);
  }
  const DecodedCall* decoded() const { return &cur_; }
  // A task's first syscall other than execve: its image.
  bool wants_task(pid_t tid) override {
    if (tid <= 0) return false;
    auto it = tasks_.find(tid);
    return it == tasks_.end() || !it->second.seen_image;
  }
  bool on_call(const supervise::Call& c) override {
    tid_ = c.pid, arch_ = c.arch, nr_ = c.nr, name_ = c.name;
    flags_now_ = flag_slot(c.arch, c.nr);
    cur_.id = c.id;
    cur_.set = true;
    cur_.d = Decoded{};
    Decoded& d_ = cur_.d;
    proc_.reset();
    const bool is_exec = flags_now_ & kExec;
    auto& ts = tasks_[tid_];
    if (!ts.seen_image && !is_exec && tid_ > 0) {
      std::string base = "/proc/" + std::to_string(tid_);
      proc_ = behavior::Process{read_small(base + "/comm"), read_link(base + "/exe")};
    }
    if (is_exec) ts.seen_image = false;
    if (!name_.empty() && tid_ > 0 && (flags_now_ & kDecode)) {
      ProcMemReader mem(tid_);
      decode(arch_, name_, c.args, mem, &d_);
    }
    return proc_ || d_.used_memory;
  }
  void settle(bool valid) override {
    Decoded& d_ = cur_.d;
    if (!d_.args.empty()) {
      auto& info = acc_->calls[{arch_, nr_}];
      for (const auto& [k, v] : d_.args) info.args[k].insert(v);
    }
    if (!valid) return;
    auto& ts = tasks_[tid_];
    if (proc_) {
      ts.seen_image = true;
      beh_->processes.insert(std::move(*proc_));
    }
    const bool is_mkdir = name_ == "mkdir" || name_ == "mkdirat";
    for (auto& [p, a] : d_.files) {
      if (d_.handle_only) break;  // O_PATH: no access either LSM checks
      if (a & behavior::kCreate) (is_mkdir ? mkdir_paths : other_created).insert(p);
      behavior::add_file(*beh_, std::move(p), a);
    }
    if (!d_.listed.empty()) behavior::add_file(*beh_, std::move(d_.listed), behavior::kList);
    if (!d_.exec.empty()) beh_->execs.insert(d_.exec);
    if (d_.family) beh_->net_families.insert(behavior::family_name(*d_.family));
    if (!d_.bind.empty()) beh_->binds.insert(d_.bind);
    if (!d_.connect.empty()) beh_->connects.insert(d_.connect);
    if (d_.seccomp_filter) own_filter = true;
  }
  void forget(pid_t pid) override { tasks_.erase(pid); }

  // Paths recorded as created by mkdir/mkdirat only (the call may have failed:
  // checked at the end), and paths created by any other call.
  std::set<std::string> mkdir_paths, other_created;
  bool own_filter = false;

 private:
  enum : uint8_t { kLooked = 1, kExec = 2, kDecode = 4 };
  uint8_t& flag_slot(Arch arch, int32_t nr) {
    int i = supervise::syscall_slot(arch, nr);
    return i >= 0 ? flags_[static_cast<size_t>(i)] : other_flags_[{arch, nr}];
  }
  behavior::Behavior* beh_;
  Accumulator* acc_;
  std::vector<uint8_t> flags_;  // by supervise::syscall_slot
  std::map<std::pair<Arch, int32_t>, uint8_t> other_flags_;
  std::unordered_map<pid_t, TaskState> tasks_;
  // The call between on_call and settle.
  pid_t tid_ = 0;
  Arch arch_ = Arch::X86_64;
  int32_t nr_ = 0;
  std::string_view name_;
  uint8_t flags_now_ = 0;
  DecodedCall cur_;
  std::optional<behavior::Process> proc_;
};

}  // namespace

bool CallObserver::on_call(const supervise::Call& c) {
  static const Decoded kNothing;
  const Decoded* d = decoded_ && decoded_->set && decoded_->id == c.id ? &decoded_->d : &kNothing;
  ProcMemReader mem(c.pid);
  observe(ObservedCall{c.arch, c.nr, c.name, c.pid, c.args, d, &mem});
  return true;  // it may have read the task
}

Result<std::string> find_executable(const std::string& name, int* exit_code) {
  *exit_code = 127;
  if (name.empty()) return Error("empty command name");
  auto check = [&](const std::string& p) -> Result<std::string> {
    struct stat st;
    if (stat(p.c_str(), &st) != 0) {
      int e = errno;
      if (e == ENOENT || e == ENOTDIR) return Error(p + ": command not found (" + errno_name(e) + ")");
      *exit_code = 126;
      return Error::sys(p, e);
    }
    if (S_ISDIR(st.st_mode)) {
      *exit_code = 126;
      return Error(p + ": is a directory");
    }
    if (access(p.c_str(), X_OK) != 0) {
      *exit_code = 126;
      return Error::sys(p + ": not executable", errno);
    }
    return p;
  };
  if (name.find('/') != std::string::npos) return check(name);
  const char* env = getenv("PATH");
  std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  std::optional<Error> first;
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + name;
    if (access(cand.c_str(), F_OK) == 0) {
      auto r = check(cand);
      if (r.ok()) return r;
      if (!first) first = r.error();
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (first) return *first;
  *exit_code = 127;
  return Error(name + ": command not found in PATH");
}

Result<std::vector<sock_filter>> recorder_filter(bool perf) {
  if (!perf) return supervise::notify_all_filter();
  supervise::NotifyFilterOptions fo;
  fo.unknown_arch_notify = true;
  fo.multiplexers = false;  // socketcall/ipc: counted by perf like any other syscall
  return supervise::notify_filter(notified_names(), fo);
}

namespace {

// One recording with the given backend. *perf_failed: the perf counter could
// not be opened on the child (killed before it ran anything: the caller may
// start again with unotify).
Result<RecordResult> record_once(const RecordOptions& o, bool use_perf, bool* perf_failed) {
  *perf_failed = false;
  int code = 0;
  auto path = find_executable(o.argv[0], &code);
  if (!path.ok()) {
    RecordResult r;
    r.exit_code = code;
    r.behavior.command = o.argv;
    r.behavior.partial = true;
    r.behavior.partial_reason = "the command did not start: " + path.error().message();
    return r;
  }
  RecordResult res;
  auto& beh = res.behavior;
  beh.command = o.argv;
  timespec start_coarse{};  // born_before()
  clock_gettime(CLOCK_REALTIME_COARSE, &start_coarse);
  res.backend = use_perf ? Backend::Perf : Backend::Unotify;
  CONFINE_TRY(std::vector<sock_filter> filter, recorder_filter(use_perf));
  if (filter.size() > BPF_MAXINSNS) return Error("seccomp filter too long");
  // Perf backend: hold the syscall tracepoints registered across fork (see
  // perf_counter_hold) until the counter is open on the child.
  int hold_fd = -1;
  if (use_perf) {
    auto h = perf_counter_hold();
    if (!h.ok()) {
      *perf_failed = true;
      return std::move(h).error().context("perf backend");
    }
    hold_fd = *h;
  }
  struct HoldClose {
    int* fd;
    ~HoldClose() {
      if (*fd >= 0) close(*fd);
    }
  } hold_close{&hold_fd};

  // Pin to the current CPU (inherited by the child): a notification round trip
  // then needs no cross-CPU wake-up.
  cpu_set_t old_cpus;
  bool restore_cpus = false;
  if (o.pin && sched_getaffinity(0, sizeof old_cpus, &old_cpus) == 0) {
    int cpu = sched_getcpu();
    if (cpu >= 0) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      if (sched_setaffinity(0, sizeof one, &one) == 0) restore_cpus = true;
    }
  }
  struct CpuRestore {
    bool on;
    cpu_set_t* set;
    ~CpuRestore() {
      if (on) sched_setaffinity(0, sizeof *set, set);
    }
  } cpu_restore{restore_cpus, &old_cpus};

  int was_subreaper = 0;
  prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper);
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct SubreaperRestore {
    int was;
    ~SubreaperRestore() { prctl(PR_SET_CHILD_SUBREAPER, was); }
  } sub_restore{was_subreaper};

  // Signals the supervisor handles through a signalfd: children dying; INT,
  // QUIT, TERM, HUP and the stop signal: a stop request, forwarded to the
  // main process (Ctrl-C reaches the workload from the terminal too).
  sigset_t mask, old_mask;
  sigemptyset(&mask);
  for (int s : {SIGCHLD, SIGINT, SIGQUIT, SIGTERM, SIGHUP}) sigaddset(&mask, s);
  bool extra_stop = o.stop_signal > 0 && o.stop_signal < NSIG && o.stop_signal != SIGKILL &&
                    o.stop_signal != SIGSTOP && o.stop_signal != SIGCHLD && o.stop_signal != kInterruptSignal;
  if (extra_stop) sigaddset(&mask, o.stop_signal);
  if (sigprocmask(SIG_BLOCK, &mask, &old_mask) != 0) return Error::sys("sigprocmask", errno);
  struct MaskRestore {
    sigset_t* m;
    ~MaskRestore() { sigprocmask(SIG_SETMASK, m, nullptr); }
  } mask_restore{&old_mask};
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return Error::sys("signalfd", errno);

  int errp[2];
  if (pipe2(errp, O_CLOEXEC) != 0) {
    close(sfd);
    return Error::sys("pipe2", errno);
  }
  pid_t pid = fork();
  if (pid < 0) {
    int e = errno;
    close(sfd), close(errp[0]), close(errp[1]);
    return Error::sys("fork", e);
  }
  if (pid == 0) {
    close(errp[0]);
    run_child(*path, o.argv, errp[1], old_mask, o, filter);
  }
  close(errp[1]);
  fcntl(errp[0], F_SETFL, O_NONBLOCK);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  std::string child_error;
  Result<int> lis = pidfd >= 0 ? take_listener(pid, pidfd, errp[0], &child_error)
                               : Result<int>(Error::sys("pidfd_open(child)", errno));
  if (pidfd >= 0) close(pidfd);
  if (!lis.ok()) {
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    close(sfd), close(errp[0]);
    if (!child_error.empty()) return Error(child_error);
    return std::move(lis).error().context("getting the seccomp listener of the recorded command");
  }
  int lfd = *lis;
  if (o.on_start) o.on_start(pid);
  // Error counts: the child is blocked in its execve notification, before any
  // thread or child of its own, so an inherited perf event covers the tree.
  std::unique_ptr<ErrorSampler> sampler;
  if (o.errors) {
    auto es = ErrorSampler::open(pid);
    if (es.ok())
      sampler = std::move(*es);
    else
      beh.notes.push_back("error counts not observed: " + es.error().message());
  }
  // Perf backend: every syscall is counted from here on (the execve the child
  // is blocked in included: its sys_enter comes after the seccomp answer).
  std::unique_ptr<SyscallCounter> counter;
  if (use_perf) {
    SyscallCounter::Options co;
    co.decode_args = true;
    if (o.perf_ring_bytes)
      co.ring_bytes = o.perf_ring_bytes, co.min_ring_bytes = std::min(co.min_ring_bytes, o.perf_ring_bytes);
    auto c = SyscallCounter::open(pid, co);
    // --pin pins the workload and the answering thread only.
    Status st = c.ok() ? (*c)->start(restore_cpus ? &old_cpus : nullptr) : Status(c.error());
    if (!st.ok()) {
      sampler.reset();
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      close(lfd), close(sfd), close(errp[0]);
      *perf_failed = true;
      return std::move(st).error().context("perf backend");
    }
    counter = std::move(*c);
    close(hold_fd);
    hold_fd = -1;
  }
  std::map<std::pair<Arch, int32_t>, uint64_t> notified;  // perf backend: notifications by (arch, nr)
  // Kernel 6.6+: wake the supervisor synchronously on the same CPU.
  supervise::set_sync_wakeup(lfd);
  supervise::Supervisor sup(lfd);  // owns lfd from here

  Accumulator acc;
  Recording recording(&beh, &acc);
  sup.add(&recording);
  if (o.observer) {  // after the recording: it sees its decoding of the same call
    o.observer->set_decoded(recording.decoded());
    sup.add(o.observer);
  }
  bool own_filter = false;
  std::optional<Error> loop_error;

  // Two threads. This one blocks in RECV (sup.run(), supervise/loop.h) and answers:
  // a notification costs RECV + SEND and two context switches, nothing else
  // (a poll() before each RECV cost a third syscall, ~25% of the round trip).
  // The watcher thread sleeps in poll() on the signalfd and on the listener
  // for POLLHUP only (events = 0: new notifications do not wake it), reaps
  // children, forwards TERM/HUP, and when recording must end interrupts the
  // RECV with kInterruptSignal. RECV never returns by itself once the last
  // task is gone, hence the interruption.
  struct Shared {
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::atomic<bool> main_left{false};
    bool main_done = false;
    int main_status = 0;
    std::set<int> forwarded;          // stop signals forwarded to the main process
    std::vector<Descendant> daemons;  // stop_at_daemons: the daemons left running
    long stop_deadline = -1;          // forwarded + stop_grace_ms: SIGKILL if still running
    bool stop_killed = false;
    std::optional<Error> error;
  } sh;
  int stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);  // main thread -> watcher: "I stopped"
  if (stop_efd < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(sfd), close(errp[0]);
    return Error::sys("eventfd", e);
  }
  pthread_t main_thread = pthread_self();
  auto reap = [&] {
    while (true) {
      int st = 0;
      pid_t w = waitpid(-1, &st, WNOHANG | __WALL);
      if (w <= 0) break;
      sup.reaped(w);
      std::lock_guard<std::mutex> g(sh.mu);
      if (w == pid) {
        sh.main_done = true;
        sh.main_status = st;
      }
    }
  };
  // kInterruptSignal: blocked in the watcher, unblocked here once it runs,
  // with a handler that does nothing, installed without SA_RESTART so RECV
  // fails with EINTR.
  struct sigaction sa_new {
  }, sa_old{};
  sa_new.sa_handler = [](int) {};
  sigemptyset(&sa_new.sa_mask);
  sigaction(kInterruptSignal, &sa_new, &sa_old);
  sigset_t intr;
  sigemptyset(&intr);
  sigaddset(&intr, kInterruptSignal);
  pthread_sigmask(SIG_BLOCK, &intr, nullptr);
  bool sampler_hup = false;  // watcher only
  // The session as /proc shows the descendants' (0 when its leader is outside our pid
  // namespace, as under `unshare --pid --fork`: then every task of the session shows 0
  // and a daemon's own new session still shows its pid).
  const pid_t own_sid = getsid(0);
  long next_daemon_check = 0;  // watcher only: /proc scans at most every 200 ms
  std::thread watcher([&] {
    if (restore_cpus)
      sched_setaffinity(0, sizeof old_cpus, &old_cpus);  // only the answering thread is pinned
    while (true) {
      pollfd p[3 + kMaxSamplerFds] = {{lfd, 0, 0}, {sfd, POLLIN, 0}, {stop_efd, POLLIN, 0}};
      nfds_t np = 3;
      if (sampler && !sampler_hup)
        for (int fd : sampler->fds())
          if (np < 3 + kMaxSamplerFds) p[np++] = {fd, POLLIN, 0};
      int n = poll(p, np, 250);
      if (n < 0 && errno != EINTR) {
        std::lock_guard<std::mutex> g(sh.mu);
        sh.error = Error::sys("poll", errno);
        break;
      }
      if (p[2].revents & POLLIN) break;  // the main thread stopped (supervisor error)
      if (sampler) {
        // Wake-ups come at half a ring; drain on every wake-up and timeout.
        // The rings report POLLHUP for good once the whole tree has exited.
        sampler->drain();
        for (nfds_t i = 3; i < np; ++i)
          if (p[i].revents & (POLLHUP | POLLERR)) sampler_hup = true;
      }
      std::vector<int> stop_now;
      if (p[1].revents & POLLIN) {
        signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == sizeof si)
          if (si.ssi_signo == SIGHUP && o.on_hup)
            o.on_hup();  // `confine watch`: reload its rules, not a stop request
          else if (si.ssi_signo != SIGCHLD)
            stop_now.push_back(static_cast<int>(si.ssi_signo));
      }
      reap();
      std::lock_guard<std::mutex> g(sh.mu);
      // A stop signal sent to the whole process group (Ctrl-C, timeout(1),
      // a service manager) may reach the command first: it still counts.
      for (int sig : stop_now) {
        sh.forwarded.insert(sig);
        if (sh.main_done) continue;
        kill(pid, sig);
        if (sh.stop_deadline < 0) sh.stop_deadline = now_ms() + o.stop_grace_ms;
      }
      if (!sh.main_done && sh.stop_deadline >= 0 && now_ms() > sh.stop_deadline && !sh.stop_killed) {
        kill(pid, SIGKILL);
        sh.stop_killed = true;
      }
      if (p[0].revents & (POLLHUP | POLLERR)) break;  // no task left under the filter
      // A stop request ends the recording with the main process (its
      // descendants continue unrecorded, as with --main-only).
      if (sh.main_done && (o.main_only || sh.stop_deadline >= 0)) break;
      // Only daemons left (other sessions): the recording ends with the main process.
      if (sh.main_done && o.stop_at_daemons && own_sid >= 0 && now_ms() >= next_daemon_check) {
        next_daemon_check = now_ms() + 200;
        auto left = running_descendants();
        bool in_session = false;
        for (const auto& t : left) in_session |= t.sid == own_sid;
        if (!left.empty() && !in_session) {
          sh.daemons = std::move(left);
          break;
        }
      }
    }
    sh.stop.store(true, std::memory_order_release);
    // The main thread may be between its stop check and the ioctl: repeat.
    while (!sh.main_left.load(std::memory_order_acquire)) {
      pthread_kill(main_thread, kInterruptSignal);
      usleep(1000);
    }
  });

  pthread_sigmask(SIG_UNBLOCK, &intr, nullptr);

  // A notification the answering thread has not yet received is the window
  // in which a signal makes the syscall fail with EINTR (docs/record.md, "The
  // observer effect"): under load, CPU hogs delayed this thread's return to
  // RECV. nice -15 for it alone (root; the workload was forked at its own
  // priority and the watcher was started before), restored at the end.
  errno = 0;
  int old_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  bool reniced =
      errno == 0 && old_nice > -15 && setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), -15) == 0;

  // The loop (supervise::Supervisor::run): RECV, the recording's on_call, ID_VALID
  // when it read the task, SEND CONTINUE (EINTR retried: a received notification
  // nobody answers would block its task forever), settle. The watcher's
  // kInterruptSignal makes RECV return EINTR so the stop flag is seen.
  if (Status s = sup.run(sh.stop); !s.ok()) {
    loop_error = std::move(s).error();
    uint64_t one = 1;
    ssize_t w = write(stop_efd, &one, sizeof one);
    (void)w;
  }
  if (reniced) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), old_nice);
  sh.main_left.store(true, std::memory_order_release);
  watcher.join();
  pthread_sigmask(SIG_BLOCK, &intr, nullptr);
  sigaction(kInterruptSignal, &sa_old, nullptr);
  close(stop_efd);
  if (sh.error && !loop_error) loop_error = std::move(sh.error);
  if (sampler) sampler->drain();
  // Recording ends here for perf too (tasks left running under main_only
  // continue unrecorded, as with unotify's detached drainer).
  if (counter) counter->finish();
  reap();
  bool main_done = sh.main_done;
  int main_status = sh.main_status;
  {  // a stop signal still pending when the command's exit ended the loop
    signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == sizeof si)
      if (si.ssi_signo != SIGCHLD && !(si.ssi_signo == SIGHUP && o.on_hup))
        sh.forwarded.insert(static_cast<int>(si.ssi_signo));
  }
  std::set<int> forwarded = sh.forwarded;
  res.stop_signals.assign(forwarded.begin(), forwarded.end());
  bool stop_killed = sh.stop_killed;
  if (!(main_done)) {
    // main_only/interrupt/loop error with the main process still running is
    // impossible except on a loop error: do not leave it blocked.
    if (loop_error) kill(pid, SIGKILL);
  }
  // Tasks may remain (main_only, stopped): hand the listener to a
  // detached drainer that answers CONTINUE until they are gone.
  pollfd lp{sup.fd(), POLLIN, 0};
  if (poll(&lp, 1, 0) >= 0 && !(lp.revents & POLLHUP) && main_done) {
    pid_t d = fork();
    if (d == 0) {
      setsid();
      sigprocmask(SIG_SETMASK, &old_mask, nullptr);
      supervise::drain(sup.fd());
      _exit(0);
    }
    if (d > 0)
      res.warnings.push_back("recording stopped with processes still running (pid " + std::to_string(pid) +
                             "'s descendants); they continue unrecorded");
  }
  close(sup.release());
  close(sfd);
  {  // execve failed after the filter was on: the child wrote why
    char buf[512];
    ssize_t k = read(errp[0], buf, sizeof buf);
    if (k > 0) child_error.assign(buf, static_cast<size_t>(k));
  }
  close(errp[0]);
  if (!main_done) {
    int st = 0;
    if (waitpid(pid, &st, 0) == pid) main_status = st, main_done = true;
  }
  res.exit_code = exit_code_of(main_status);
  beh.exit_status = res.exit_code;

  // The supervisor's counts: the calls (unotify) or the notifications (perf, which counts the calls).
  sup.counts([&](Arch arch, int32_t nr, uint64_t c) {
    if (counter)
      notified[{arch, nr}] += c;
    else
      acc.calls[{arch, nr}].count += c;
  });
  res.events = sup.stats().received;
  res.notifications = res.events;
  own_filter = recording.own_filter;
  const std::set<std::string>& mkdir_paths = recording.mkdir_paths;
  const std::set<std::string>& other_created = recording.other_created;
  const uint64_t vanished = sup.stats().vanished;
  std::string perf_partial;
  if (counter) {
    uint64_t total = 0;
    for (const auto& [k, c] : counter->counts()) {
      acc.calls[k].count += c;
      total += c;
    }
    // Arguments decoded from the samples (the syscalls not notified).
    const auto& facts = counter->facts();
    for (const auto& [k, m] : facts.args) {
      auto& info = acc.calls[k];
      for (const auto& [key, vals] : m) info.args[key].insert(vals.begin(), vals.end());
    }
    for (uint64_t f : facts.families) beh.net_families.insert(behavior::family_name(f));
    if (facts.seccomp_filter) own_filter = true;
    // Cross-check: perf must have seen at least every notified call.
    uint64_t short_by = 0;
    for (const auto& [k, c] : notified) {
      auto it = acc.calls.find(k);
      uint64_t have = it == acc.calls.end() ? 0 : it->second.count;
      if (have < c) {
        short_by += c - have;
        acc.calls[k].count = c;
      }
    }
    res.events = total;
    res.perf_lost = std::max(counter->lost(), short_by);
    if (res.perf_lost)
      perf_partial = "perf dropped " + std::to_string(res.perf_lost) + " of " +
                     std::to_string(std::max(counter->counted(), total + res.perf_lost)) +
                     " syscall samples (ring buffer full, " + std::to_string(counter->ring_bytes() >> 10) +
                     " KiB per CPU): a syscall made only then is missing; re-run with --backend unotify";
  }
  if (sampler) {
    sampler->drain();
    beh.errors_observed = true;
    uint64_t orphan = 0;
    for (const auto& [k, c] : sampler->counts()) {
      auto it = acc.calls.find({k.arch, k.nr});
      if (it == acc.calls.end() || it->second.count == 0) {
        orphan += c;  // failed but never notified (cannot happen while recording)
        continue;
      }
      it->second.errors[k.err] += c;
    }
    if (sampler->lost())
      beh.notes.push_back(
          std::to_string(sampler->lost()) +
          " failed-syscall samples were lost (ring buffer full): error counts are a lower bound");
    if (orphan)
      beh.notes.push_back(
          std::to_string(orphan) +
          " failed syscalls were seen by perf but not by the supervisor (after recording stopped)");
  }
  for (auto& [key, info] : acc.calls) {
    auto nm = syscall_name(key.first, key.second);
    std::string name = nm ? std::string(*nm) : "nr " + std::to_string(key.second);
    auto& dst = beh.arches[key.first][name];
    dst.count += info.count;
    for (auto& [k, v] : info.args) dst.args[k].insert(v.begin(), v.end());
    for (auto& [e, c] : info.errors) dst.errors[e] += c;
  }

  // mkdir of a directory that was there before the recording (mkdir -p): not a creation.
  if (!mkdir_paths.empty()) {
    if (changed_path_view(beh)) {
      beh.notes.push_back(
          "mkdir results not checked (the workload changed its mount namespace, root or mounts): every "
          "mkdir counts as a creation, also one that failed with EEXIST");
    } else {
      std::string existed;
      size_t n = 0;
      for (const auto& p : mkdir_paths) {
        if (other_created.count(p) || !born_before(p, start_coarse)) continue;
        auto it = beh.files.find(p);
        if (it == beh.files.end()) continue;
        it->second &= static_cast<uint8_t>(~behavior::kCreate);
        if (it->second == 0) beh.files.erase(it);
        if (++n <= 5) existed += (existed.empty() ? "" : " ") + p;
      }
      if (n)
        beh.notes.push_back("mkdir of " + std::to_string(n) +
                            " directories that existed before the recording (EEXIST) not recorded as "
                            "creations: " +
                            existed + (n > 5 ? " ..." : ""));
    }
  }

  if (!child_error.empty()) {
    beh.partial = true;
    beh.partial_reason = "the command did not start: " + child_error;
    res.warnings.push_back(child_error);
  } else if (loop_error) {
    beh.partial = true;
    beh.partial_reason = "supervisor error: " + loop_error->message();
  } else if (!perf_partial.empty()) {
    beh.partial = true;
    beh.partial_reason = perf_partial;
  } else if (stop_killed && WIFSIGNALED(main_status) && WTERMSIG(main_status) == SIGKILL) {
    beh.partial = true;
    beh.partial_reason = "the command did not exit within " + std::to_string(o.stop_grace_ms / 1000) +
                         " s of the stop signal and was killed (SIGKILL)";
  } else if (WIFSIGNALED(main_status) && !forwarded.count(WTERMSIG(main_status))) {
    beh.partial = true;
    beh.partial_reason = std::string("the command was killed by signal ") +
                         std::to_string(WTERMSIG(main_status)) + " (" + strsignal(WTERMSIG(main_status)) +
                         ")";
  }
  if (own_filter) {
    std::string n =
        "the command installed its own seccomp filter: syscalls that filter denies never reach the recorder";
    beh.notes.push_back(n);
    res.warnings.push_back(n);
  }
  if (!forwarded.empty()) {
    std::string n = "stopped by a signal forwarded to the command:";
    for (int sig : forwarded) n += std::string(" SIG") + sigabbrev_np(sig);
    beh.notes.push_back(n);
  }
  res.interrupted_notifications = vanished;
  if (vanished) {
    std::string n = std::to_string(vanished) +
                    " notified syscalls ended before the recorder received them: a signal interrupted them "
                    "(a program that does not retry saw EINTR where an unrecorded run cannot fail; "
                    "docs/record.md, \"The observer effect\") or their task was killed";
    beh.notes.push_back(n);
    res.warnings.push_back(n);
  }
  if (!sh.daemons.empty()) {
    std::string l;
    for (const auto& t : sh.daemons)
      l += (l.empty() ? "" : ", ") + t.comm + " (pid " + std::to_string(t.pid) + ")";
    std::string n = "the main process exited and only daemons (tasks in other sessions) were left: " + l +
                    "; the recording ended with the main process (confine run stops them when it exits)";
    beh.notes.push_back(n);
    res.warnings.push_back(n);
  }
  if (o.main_only)
    beh.notes.push_back(
        "recorded with --main-only: descendants were followed only while the main process lived");
  if (!perf_partial.empty() && beh.partial_reason != perf_partial) beh.notes.push_back(perf_partial);
  return res;
}

}  // namespace

std::string_view backend_name(Backend b) {
  switch (b) {
    case Backend::Auto: return "auto";
    case Backend::Unotify: return "unotify";
    case Backend::Perf: return "perf";
    case Backend::Ebpf: return "ebpf";
  }
  return "?";
}

std::optional<Backend> backend_from_name(std::string_view n) {
  if (n == "auto") return Backend::Auto;
  if (n == "unotify") return Backend::Unotify;
  if (n == "perf") return Backend::Perf;
  if (n == "ebpf") return Backend::Ebpf;
  return std::nullopt;
}

Result<RecordResult> record(const RecordOptions& o) {
  if (o.observer && (o.backend == Backend::Perf || o.backend == Backend::Ebpf))
    return Error("an observer needs the unotify backend");
  if (o.backend == Backend::Ebpf) return record_ebpf(o);
  if (o.argv.empty()) return Error("no command given");
  bool use_perf = false;
  std::string why_not;
  if (o.backend != Backend::Unotify && !o.observer) {
    Status av = perf_counter_available();
    if (av.ok())
      use_perf = true;
    else if (o.backend == Backend::Perf)
      return std::move(av).error().context("--backend perf");
    else
      why_not = av.error().message();
  }
  bool perf_failed = false;
  auto r = record_once(o, use_perf, &perf_failed);
  if (!r.ok() && perf_failed && o.backend == Backend::Auto) {
    why_not = r.error().message();
    r = record_once(o, false, &perf_failed);
  }
  if (r.ok() && !why_not.empty())
    r->behavior.notes.push_back("recorded with the unotify backend (perf not available: " + why_not + ")");
  return r;
}

}  // namespace confine::record
