// Behavior -> seccomp profile (Docker JSON whitelist).
#include <algorithm>
#include <map>

#include "generate/generate.h"
#include "syscalls/syscalls.h"

namespace confine::generate {

namespace {
using seccomp::ArgCond;
using seccomp::CmpOp;
using seccomp::SyscallRule;

SyscallRule allow(std::vector<std::string> names, std::string comment) {
  SyscallRule r;
  r.names = std::move(names);
  r.action = seccomp::ActionKind::Allow;
  r.comment = std::move(comment);
  return r;
}

// Observed values of one argument key over every arch.
std::set<uint64_t> values(const behavior::Behavior& b, const std::string& sys, const std::string& key,
                          bool* any_call) {
  std::set<uint64_t> out;
  for (const auto& [arch, m] : b.arches) {
    auto it = m.find(sys);
    if (it == m.end()) continue;
    *any_call = true;
    auto k = it->second.args.find(key);
    if (k != it->second.args.end()) out.insert(k->second.begin(), k->second.end());
  }
  return out;
}

constexpr uint64_t kCloneNsMask = 0x7E020080ull;  // CLONE_NEW* (same as record/decode.h)
constexpr const char* kInterpreterCloneWhy =
    "an interpreter whose script imports a module that starts threads creates them with clone (without "
    "namespace flags, as a recorded clone is allowed; clone3 answers ENOSYS)";

}  // namespace

// The generalisation table (docs/generalisation.md lists it; a test keeps the two
// equal). Each row: when any trigger was recorded (and every `needs`, and a file
// write when `file_write`), the `adds` are allowed too, with the reason in the
// profile. Families are the same operation through other entry points, chosen
// by buffer size, input shape or libc version; companions are slow paths that
// depend on timing or input. Every added name is one Docker's default profile
// allows unconditionally (tests/generate: never a new risk).
const std::vector<Generalisation>& generalisation_table() {
  using G = Generalisation;
  static const std::vector<G> k = {
      // ---- families ------------------------------------------------------------------------
      {G::Family,
       {"read", "readv", "pread64", "preadv", "preadv2"},
       {},
       false,
       {"read", "readv", "pread64", "preadv", "preadv2"},
       "reading: libc, stdio and databases switch between read, readv and pread by buffer size and access "
       "pattern"},
      {G::Family,
       {"write", "writev", "pwrite64", "pwritev", "pwritev2"},
       {},
       false,
       {"write", "writev", "pwrite64", "pwritev", "pwritev2"},
       "writing: the same choice between write, writev and pwrite on other output sizes"},
      {G::Family,
       {"stat", "fstat", "lstat", "newfstatat", "statx", "stat64", "fstat64", "lstat64", "fstatat64"},
       {},
       false,
       {"stat", "fstat", "lstat", "newfstatat", "statx", "stat64", "fstat64", "lstat64", "fstatat64"},
       "file status: libc versions and programs use stat, lstat, fstatat or statx for the same question"},
      {G::Family,
       {"open", "openat", "openat2"},
       {},
       false,
       {"open", "openat"},
       "opening a file: open and openat are one operation (openat2, with its resolve flags, is only kept "
       "when recorded)"},
      {G::Family,
       {"getdents", "getdents64"},
       {},
       false,
       {"getdents", "getdents64"},
       "listing a directory: 32- and 64-bit entry formats"},
      {G::Family,
       {"wait4", "waitid", "waitpid"},
       {},
       false,
       {"wait4", "waitid", "waitpid"},
       "reaping a child: wait4, waitid and waitpid by libc function and arch"},
      {G::Family,
       {"poll", "ppoll", "select", "pselect6", "_newselect", "ppoll_time64", "pselect6_time64"},
       {},
       false,
       {"poll", "ppoll", "select", "pselect6", "_newselect", "ppoll_time64", "pselect6_time64"},
       "waiting for readiness: poll and select in their signal-mask and time64 forms"},
      {G::Family,
       {"epoll_wait", "epoll_pwait", "epoll_pwait2"},
       {},
       false,
       {"epoll_wait", "epoll_pwait", "epoll_pwait2"},
       "epoll waits with and without a signal mask"},
      {G::Family,
       {"epoll_create", "epoll_create1"},
       {},
       false,
       {"epoll_create", "epoll_create1"},
       "creating an epoll instance, with or without flags"},
      {G::Family, {"dup", "dup2", "dup3"}, {}, false, {"dup", "dup2", "dup3"}, "duplicating a descriptor"},
      {G::Family, {"pipe", "pipe2"}, {}, false, {"pipe", "pipe2"}, "creating a pipe, with or without flags"},
      {G::Family,
       {"accept", "accept4"},
       {},
       false,
       {"accept", "accept4"},
       "accepting a connection, with or without flags"},
      {G::Family,
       {"recvfrom", "recvmsg", "recvmmsg", "recv"},
       {},
       false,
       {"recvfrom", "recvmsg", "recvmmsg"},
       "receiving: one message or a batch, by load"},
      {G::Family,
       {"sendto", "sendmsg", "sendmmsg", "send"},
       {},
       false,
       {"sendto", "sendmsg", "sendmmsg"},
       "sending: one message or a batch, by load"},
      {G::Family,
       {"fsync", "fdatasync", "sync_file_range"},
       {},
       false,
       {"fsync", "fdatasync", "sync_file_range"},
       "flushing a file: full or data-only sync"},
      {G::Family,
       {"ftruncate", "fallocate", "truncate", "ftruncate64", "truncate64"},
       {},
       false,
       {"ftruncate", "fallocate", "truncate", "ftruncate64", "truncate64"},
       "changing a file's size: growing or compacting it"},
      {G::Family,
       {"rename", "renameat", "renameat2"},
       {},
       false,
       {"rename", "renameat", "renameat2"},
       "renaming a file"},
      {G::Family, {"unlink", "unlinkat"}, {}, false, {"unlink", "unlinkat"}, "removing a file"},
      {G::Family, {"mkdir", "mkdirat"}, {}, false, {"mkdir", "mkdirat"}, "creating a directory"},
      {G::Family, {"link", "linkat"}, {}, false, {"link", "linkat"}, "creating a hard link"},
      {G::Family, {"symlink", "symlinkat"}, {}, false, {"symlink", "symlinkat"}, "creating a symbolic link"},
      {G::Family,
       {"readlink", "readlinkat"},
       {},
       false,
       {"readlink", "readlinkat"},
       "reading a symbolic link"},
      {G::Family,
       {"access", "faccessat", "faccessat2"},
       {},
       false,
       {"access", "faccessat", "faccessat2"},
       "checking access to a file"},
      {G::Family,
       {"chmod", "fchmod", "fchmodat"},
       {},
       false,
       {"chmod", "fchmod", "fchmodat"},
       "changing a file's mode"},
      {G::Family,
       {"chown", "fchown", "lchown", "fchownat"},
       {},
       false,
       {"chown", "fchown", "lchown", "fchownat"},
       "changing a file's owner"},
      {G::Family,
       {"utime", "utimes", "utimensat", "futimesat"},
       {},
       false,
       {"utime", "utimes", "utimensat", "futimesat"},
       "setting a file's times"},
      {G::Family,
       {"statfs", "fstatfs", "statfs64", "fstatfs64"},
       {},
       false,
       {"statfs", "fstatfs", "statfs64", "fstatfs64"},
       "file system status"},
      {G::Family,
       {"lseek", "_llseek"},
       {},
       false,
       {"lseek", "_llseek"},
       "seeking: 64-bit offsets on 32-bit arches"},
      {G::Family,
       {"copy_file_range", "sendfile", "sendfile64"},
       {},
       false,
       {"copy_file_range", "sendfile", "sendfile64"},
       "copying between descriptors in the kernel: copy_file_range within a file system, sendfile across"},
      {G::Family, {"eventfd", "eventfd2"}, {}, false, {"eventfd", "eventfd2"}, "creating an eventfd"},
      {G::Family, {"signalfd", "signalfd4"}, {}, false, {"signalfd", "signalfd4"}, "creating a signalfd"},
      {G::Family,
       {"inotify_init", "inotify_init1"},
       {},
       false,
       {"inotify_init", "inotify_init1"},
       "creating an inotify instance"},
      {G::Family,
       {"getrlimit", "prlimit64", "ugetrlimit"},
       {},
       false,
       {"getrlimit", "prlimit64", "ugetrlimit"},
       "reading resource limits"},
      {G::Family,
       {"nanosleep", "clock_nanosleep", "clock_nanosleep_time64"},
       {},
       false,
       {"nanosleep", "clock_nanosleep", "clock_nanosleep_time64"},
       "sleeping"},
      // ---- companions: slow paths ------------------------------------------------------------
      {G::Companion,
       {"nanosleep", "clock_nanosleep", "poll", "ppoll", "select", "pselect6", "_newselect", "futex",
        "epoll_wait", "epoll_pwait", "epoll_pwait2", "nanosleep_time64", "clock_nanosleep_time64",
        "ppoll_time64", "pselect6_time64", "futex_time64"},
       {},
       false,
       {"restart_syscall"},
       "a sleep, poll or futex wait interrupted by a signal (or SIGSTOP/SIGCONT) is resumed by the kernel "
       "through restart_syscall"},
      {G::Companion,
       {"rt_sigaction"},
       {},
       false,
       {"rt_sigreturn"},
       "a handler installed with rt_sigaction returns through rt_sigreturn, which runs only when the signal "
       "arrives"},
      {G::Companion,
       {"sigaction", "signal"},
       {},
       false,
       {"sigreturn"},
       "an i386 handler installed with sigaction/signal returns through sigreturn, which runs only when the "
       "signal arrives"},
      {G::Companion,
       {"wait4", "waitid", "waitpid"},
       {"rt_sigaction"},
       false,
       {"rt_sigsuspend"},
       "shells wait for a child that is still running with sigsuspend, for one that already exited with "
       "wait4 "
       "only"},
      {G::Companion,
       {"clone", "clone3"},
       {},
       false,
       {"futex"},
       "threads and processes sharing memory wait on a futex only when a lock is contended"},
      {G::Companion,
       {"clone", "clone3"},
       {},
       false,
       {"exit"},
       "a thread ends with exit, a process with exit_group"},
      // ---- interpreters (exec:interpreter: the recording executed python3, perl, ruby, node...;
      // interpreter_names() lists them). Besides these rows: clone without namespace flags
      // when such a recording made none (companion_syscalls, seccomp_profile).
      {G::Companion,
       {"execve"},
       {"exec:interpreter"},
       false,
       {"futex", "exit", "rt_sigprocmask", "madvise"},
       "an interpreter's script chooses library code by its imports and input: a module that starts threads "
       "(python's concurrent.futures, threading) needs the thread's own calls (futex waits, exit, its signal "
       "mask, stack release) in a process that made none in the recording"},
      {G::Companion,
       {"execve"},
       {"exec:interpreter"},
       false,
       {"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait"},
       "an interpreter's event loop (python's asyncio and selectors, a Ruby or Node reactor) is chosen by "
       "the "
       "script's imports: epoll in a process that only read and wrote in the recording (seen: python3 "
       "importing concurrent.futures)"},
      {G::Companion,
       {"execve"},
       {"exec:interpreter"},
       true,
       {"unlink", "unlinkat", "fchown"},
       "an interpreter's standard library manages the files the script writes: sqlite3 removes its journal "
       "and, as root, gives it the database's owner (fchown on its descriptor), tempfile removes its files; "
       "which files stays the path rules' business (AppArmor w), another owner needs CAP_CHOWN"},
      {G::Companion,
       {"fork", "vfork"},
       {},
       false,
       {"wait4", "waitid"},
       "a program that forks reaps its children; a recording where none was reaped yet shows no wait"},
      {G::Companion,
       {"clone", "clone3"},
       {"execve"},
       false,
       {"wait4", "waitid"},
       "a program that starts other programs reaps them with wait4 or waitid (a VCS, a build tool or a shell "
       "on a larger input)"},
      {G::Companion,
       {"mmap", "mmap2", "brk"},
       {},
       false,
       {"munmap", "mremap", "madvise"},
       "heap growth and release depend on the input size (realloc of a large block uses mremap, free of one "
       "munmap or madvise)"},
      {G::Companion,
       {"write", "writev", "pwrite64", "pwritev"},
       {},
       true,
       {"fsync", "fdatasync", "ftruncate"},
       "a program that writes files grows, truncates and syncs them depending on the input and on whether "
       "the "
       "file existed (a key-value store's background save fsyncs; a rewrite truncates)"},
      {G::Companion,
       {"write", "writev"},
       {},
       false,
       {"poll", "ppoll"},
       "a writer whose output is a pipe or socket waits for a slow reader with poll (seen: a decompressor "
       "piped into a slow consumer)"},
      {G::Companion,
       {"unlinkat", "rmdir", "mkdir", "mkdirat", "fchdir", "chdir"},
       {},
       false,
       {"getdents64", "getdents"},
       "a program that manages directories (creates, removes or enters them) lists one when it has entries "
       "(rm -r, find, tar of a tree)"},
      // ---- rows the corpus (tests/corpus/, docs/profile-quality.md) showed on its check inputs ----------
      {G::Family,
       {"chdir", "fchdir"},
       {},
       false,
       {"chdir", "fchdir"},
       "changing the working directory by path or by descriptor (seen: mkdir -p of nested directories "
       "returns to the saved directory with fchdir)"},
      {G::Companion,
       {"getdents64", "getdents"},
       {},
       false,
       {"readlink", "readlinkat"},
       "a program that lists directories meets symbolic links in other trees and reads them (seen: tar of a "
       "tree with a symlink in a new subdirectory)"},
      {G::Companion,
       {"write", "writev"},
       {},
       false,
       {"gettid", "tgkill"},
       "glibc's raise signals the calling thread (gettid, tgkill): a writer whose pipe reader exits early "
       "re-raises SIGPIPE (seen: sort | uniq | head on a bigger input); nginx writes pid#tid on each "
       "error-log line, only when a request fails"},
      {G::Companion,
       {"mmap", "mmap2", "brk"},
       {},
       false,
       {"sysinfo"},
       "glibc's qsort asks sysinfo for the physical memory size once the array passes 1 KiB (seen: jq "
       "group_by over 5000 objects, tar --sort=name of 300 files)"},
      {G::Companion,
       {"mkdir", "mkdirat"},
       {"utimensat"},
       false,
       {"symlink", "symlinkat", "unlink", "unlinkat"},
       "an extractor (creates directories, restores file times: tar -x, cpio) recreates the symbolic links "
       "an archive holds and replaces its placeholder files; where is the path rules' business (seen: tar -x "
       "of an archive with a symlink in a new subdirectory)"},
      {G::Companion,
       {"wait4", "waitid", "waitpid"},
       {"pipe2"},
       false,
       {"pselect6", "select", "poll", "ppoll"},
       "a program that runs children and talks to them over pipes waits on several at once with select or "
       "poll when it runs them in parallel (seen: make -j4 waits on its jobserver pipe with pselect6)"},
      {G::Companion,
       {"open", "openat"},
       {},
       false,
       {"getcwd"},
       "resolving a relative name to a full path asks for the working directory (seen: jq resolving an "
       "import against its -L search path)"},
      {G::Companion,
       {"clone", "fork"},
       {"execve"},
       false,
       {"vfork", "rt_sigprocmask"},
       "a shell starts a pipeline stage with fork (clone) and a simple command with vfork, signals blocked "
       "around it: a script on other input takes the other path (seen: dash running the corpus near "
       "misses)"},
      // ---- rows the held-out checks (tests/integration/heldout.sh, docs/heldout.md) needed ----------
      {G::Companion,
       {"unlink", "unlinkat"},
       {},
       false,
       {"rmdir"},
       "a program that deletes files removes a directory too when its input has one to delete (rsync "
       "--delete of a directory gone from the source: rmdir; rm -r: unlinkat with AT_REMOVEDIR, which the "
       "unlinkat rule already allows); where is the path rules' business"},
      {G::Companion,
       {"unlinkat", "rmdir"},
       {},
       false,
       {"fcntl", "fstatfs"},
       "a program that removes directories walks the tree with gnulib fts, which duplicates and flags each "
       "directory descriptor with fcntl and asks fstatfs for the file system type only when a directory to "
       "remove exists and has entries (seen: rm -rf of an output tree that training had not yet created)"},
      // ---- rows the corpus' KNOWN false denials needed (tests/corpus/known-false-denials) -------------
      {G::Companion,
       {"open", "openat", "creat"},
       {},
       true,
       {"unlink", "unlinkat"},
       "a program that writes files removes the temporary files it makes once its input passes a buffer "
       "size (sort and tac spill to TMPDIR or -T DIR, then unlink them) and a partial output after an "
       "error; where is the path rules' business: they grant removal only where it writes (seen: sort -S "
       "64K on 60000 lines, training on 100)"},
      {G::Companion,
       {"link", "linkat"},
       {},
       true,
       {"utimensat"},
       "a content-addressed store (git's objects: written under a temporary name, then linked into place) "
       "freshens an object that already exists with utime instead of writing it again, and whether one "
       "exists depends on the input (seen once: git add over racily-clean files)"},
      // ---- rows the third held-out pass (docs/heldout.md, "Third pass") needed -----------------------
      {G::Companion,
       {"rename", "renameat", "renameat2"},
       {},
       true,
       {"chmod", "fchmod", "fchmodat", "chown", "fchown", "fchownat", "lchown", "utimensat"},
       "a program that writes its output under a temporary name and renames it into place gives the "
       "temporary the replaced file's times, owner and mode, only when the output existed before (gnulib "
       "supersede: msgfmt -o over an existing file: utimensat, chown, chmod); another owner needs "
       "CAP_CHOWN, which file is the path rules' business (AppArmor w)"},
      {G::Companion,
       {"execve"},
       {"exec:interpreter"},
       false,
       {"getdents64", "getdents"},
       "an interpreter's module loader lists its library directories to find a module that is not in an "
       "index (seen: tclsh's package require msgcat globs tcl8/*.tm); which directories is the path rules' "
       "business (read-only system hierarchies)"},
      // ---- rows the fourth held-out pass needed ----------------------------------------------------
      {G::Companion,
       {"futex", "futex_time64"},
       {},
       false,
       {"sched_yield"},
       "threads that contend for a lock spin and yield the CPU (glibc's and V8's spin locks, a thread pool "
       "draining its queue) only when another thread holds it at that moment, which the scheduling of each "
       "run decides (seen: node, sched_yield in 1 recording of 3 of the same script)"},
      {G::Companion,
       {"read", "pread64", "readv", "preadv", "preadv2"},
       {},
       false,
       {"lseek", "_llseek"},
       "a program that reads seeks in what it reads depending on the options and the input (split -n "
       "CHUNKS measures and positions its input; tail of a large file, an archive's index at its end); it "
       "moves an offset in a descriptor it already holds and reaches nothing new"},
      {G::Companion,
       {"symlink", "symlinkat", "link", "linkat"},
       {},
       false,
       {"rename", "renameat", "renameat2"},
       "a program that makes links replaces one whose name is taken by making the new link under a "
       "temporary name and renaming it over the old, only when the name exists (coreutils ln -sf and ln "
       "-f: force_symlinkat, force_linkat); which names is the path rules' business"},
  };
  return k;
}

const std::vector<std::string>& interpreter_names() {
  static const std::vector<std::string> k = {"python", "python2", "python3", "perl", "ruby",
                                             "node",   "nodejs",  "php",     "lua",  "tclsh"};
  return k;
}

bool runs_interpreter(const behavior::Behavior& b) {
  for (const auto& e : b.execs) {
    std::string base = e.substr(e.rfind('/') + 1);
    for (const auto& n : interpreter_names()) {
      // python3.11, lua5.4, ruby3.1, php8.2: the name and a version
      std::string rest = base.starts_with(n) ? base.substr(n.size()) : "x";
      if (rest.empty() ||
          std::all_of(rest.begin(), rest.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); }))
        return true;
    }
  }
  return false;
}

namespace {
bool wrote_a_file(const behavior::Behavior& b) {
  for (const auto& [path, acc] : b.files) {
    if (!(acc & (behavior::kWrite | behavior::kCreate))) continue;
    if (path.starts_with("/dev/") || path.starts_with("/proc/") || path.starts_with("/sys/")) continue;
    return true;
  }
  return false;
}
}  // namespace

std::vector<std::pair<std::string, std::string>> companion_syscalls(const behavior::Behavior& b) {
  std::set<std::string> recorded = b.syscall_names();
  const bool interpreter = runs_interpreter(b);
  if (interpreter) recorded.insert("exec:interpreter");  // a condition, not a syscall
  bool wrote = wrote_a_file(b);
  std::map<std::string, std::string> out;
  for (const auto& g : generalisation_table()) {
    bool trig = false;
    for (const auto& t : g.triggers) trig = trig || recorded.count(t);
    for (const auto& n : g.needs) trig = trig && recorded.count(n);
    if (g.file_write) trig = trig && wrote;
    if (!trig) continue;
    for (const auto& a : g.adds)
      if (!recorded.count(a) && !out.count(a)) out[a] = g.why;
  }
  if (interpreter && !recorded.count("clone") && !recorded.count("clone3"))
    out["clone"] = kInterpreterCloneWhy;  // argument-filtered: seccomp_profile writes its rule
  return {out.begin(), out.end()};
}

Result<Target> target_from_name(std::string_view s) {
  if (s == "host") return Target::Host;
  if (s == "oci") return Target::Oci;
  return Error("--target " + std::string(s) +
               ": expected host (confine run) or oci (runc, Kubernetes, podman)");
}

const std::vector<RuntimeSyscall>& runtime_post_filter_syscalls() {
  static const std::vector<RuntimeSyscall> k = {
      // runc's init, both modes (ensure /proc/self/fd is on procfs, close inherited fds, exec)
      {"openat", false, "runc init opens /proc/self/fd to close inherited descriptors"},
      {"getdents64", false, "runc init lists /proc/self/fd"},
      {"fstatfs", false, "runc init checks that /proc/self/fd is on procfs"},
      {"fstat", false, "runc init inspects the descriptors it closes"},
      {"newfstatat", false, "runc init stats the command before exec"},
      {"fcntl", false, "runc init marks inherited descriptors close-on-exec"},
      {"close", false, "runc init closes its own descriptors"},
      {"read", false, "runc init reads its sync pipe"},
      {"write", false, "runc init reports to its parent over the sync pipe"},
      {"epoll_ctl", false, "the Go runtime's netpoller drops closed descriptors"},
      {"getpid", false, "runc init (Go runtime) signal and exec bookkeeping"},
      {"prctl", false,
       "runc init sets no_new_privs / drops the bounding set (120 calls with no_new_privs off)"},
      {"execve", false, "runc init finally executes the workload"},
      {"rt_sigreturn", false, "the Go runtime preempts threads with SIGURG, handled on this thread"},
      {"rt_sigprocmask", false, "the Go runtime masks signals around thread switches"},
      {"sigaltstack", false, "the Go runtime's signal stack"},
      {"futex", false, "the Go runtime's scheduler wakes other threads"},
      {"nanosleep", false, "the Go runtime's scheduler (osyield/usleep)"},
      {"sched_yield", false, "the Go runtime's scheduler"},
      {"mmap", false, "the Go runtime's allocator"},
      {"munmap", false, "the Go runtime's allocator"},
      {"madvise", false, "the Go runtime's allocator returns memory"},
      {"gettid", false, "the Go runtime identifies the thread it signals"},
      {"tgkill", false, "the Go runtime sends preemption signals"},
      {"exit", false, "the Go runtime ends a thread"},
      // runc's init with no_new_privs off: the filter is loaded before identity and capabilities change
      {"capget", true, "runc init reads capabilities before dropping them"},
      {"capset", true, "runc init sets the container's capabilities"},
      {"setgroups", true, "runc init sets supplementary groups"},
      {"setgid", true, "runc init sets the container's gid"},
      {"setuid", true, "runc init sets the container's uid"},
      {"getppid", true, "runc init checks its parent is alive"},
      {"getcwd", true, "runc init resolves the working directory"},
      {"chdir", true, "runc init enters the working directory"},
      {"faccessat2", true, "runc init checks the command is executable"},
  };
  return k;
}

Result<ArgMode> arg_mode_from_name(std::string_view s) {
  if (s == "none") return ArgMode::None;
  if (s == "sensitive") return ArgMode::Sensitive;
  if (s == "strict") return ArgMode::Strict;
  return Error("--args " + std::string(s) + ": expected none, sensitive or strict");
}

seccomp::Profile seccomp_profile(const behavior::Behavior& b, const SeccompOptions& o) {
  seccomp::Profile p;
  p.default_action = seccomp::ActionKind::Errno;
  p.default_errno_ret = o.default_errno;
  // runc 1.1.5 (Debian 12) refuses every flag ("seccomp flags are not yet supported by
  // runc"), so the OCI target carries none (docs/record.md).
  if (o.log_denials && o.target == Target::Host) p.flags.push_back("SECCOMP_FILTER_FLAG_LOG");
  for (const auto& [arch, m] : b.arches)
    if (!m.empty()) p.architectures.push_back(arch);
  if (std::find(p.architectures.begin(), p.architectures.end(), native_arch()) == p.architectures.end())
    p.architectures.insert(p.architectures.begin(), native_arch());

  std::set<std::string> names;
  for (const auto& [arch, m] : b.arches)
    for (const auto& [n, info] : m)
      if (syscall_known_anywhere(n)) names.insert(n);

  std::vector<SyscallRule> arg_rules;
  auto filtered = [&](const std::string& sys, const std::string& key, CmpOp op, uint64_t mask,
                      const char* what) {
    bool called = false;
    auto vals = values(b, sys, key, &called);
    if (!called || vals.empty() || vals.size() > o.max_values) return false;
    for (uint64_t v : vals) {
      SyscallRule r = allow({sys}, std::string(what));
      ArgCond c;
      c.index = 0;
      c.op = op;
      if (op == CmpOp::MaskedEq) {
        c.value = mask;
        c.value_two = v;
      } else {
        c.value = v;
      }
      r.args.push_back(c);
      arg_rules.push_back(std::move(r));
    }
    names.erase(sys);
    return true;
  };
  auto set_index = [&](size_t from, uint8_t idx) {
    for (size_t i = from; i < arg_rules.size(); ++i)
      for (auto& c : arg_rules[i].args) c.index = idx;
  };

  if (o.args != ArgMode::None) {
    filtered("socket", "domain", CmpOp::EQ, 0, "socket families the program used (argument 0)");
    filtered("personality", "persona", CmpOp::EQ, 0, "personalities the program set");
    filtered("unshare", "flags", CmpOp::EQ, 0, "unshare flags the program used");
    size_t at = arg_rules.size();
    if (filtered("setns", "nstype", CmpOp::EQ, 0, "setns namespace types the program used")) set_index(at, 1);
    // clone: when no namespace flag was ever seen, allow clone only without
    // them; clone3 (flags in memory, uninspectable) then answers ENOSYS so
    // libc falls back to clone.
    bool c1 = false, c3 = false;
    auto v1 = values(b, "clone", "ns_flags", &c1);
    auto v3 = values(b, "clone3", "ns_flags", &c3);
    v1.insert(v3.begin(), v3.end());
    // An interpreter that made no thread in the recording: its script's imports may (row
    // kInterpreterCloneWhy, printed with the table's additions).
    const bool interp = o.companions && !c1 && !c3 && runs_interpreter(b);
    if (((c1 || c3) && v1 == std::set<uint64_t>{0}) || interp) {
      SyscallRule r =
          allow({"clone"}, interp ? std::string("clone without namespace flags: ") + kInterpreterCloneWhy
                                  : "clone without namespace flags (the program never created a namespace)");
      ArgCond c;
      c.index = 0;
      c.op = CmpOp::MaskedEq;
      c.value = kCloneNsMask;
      c.value_two = 0;
      r.args.push_back(c);
      arg_rules.push_back(std::move(r));
      names.erase("clone");
      // Always, recorded or not: glibc 2.34+ creates threads (and posix_spawn
      // children) with clone3 first; a run that made none still needs the fallback.
      {
        names.erase("clone3");
        SyscallRule e;
        e.names = {"clone3"};
        e.action = seccomp::ActionKind::Errno;
        e.errno_ret = 38;  // ENOSYS
        e.comment =
            "clone3 passes its flags in memory, which seccomp cannot inspect: ENOSYS makes libc fall back to "
            "clone";
        arg_rules.push_back(std::move(e));
      }
    }
  }
  if (o.args == ArgMode::Strict) {
    size_t at = arg_rules.size();
    // ioctl requests are 32-bit: compare the low half only (house rule).
    if (filtered("ioctl", "request", CmpOp::MaskedEq, 0xffffffffull,
                 "ioctl requests the program used (argument 1)"))
      set_index(at, 1);
    filtered("prctl", "option", CmpOp::EQ, 0, "prctl options the program used");
  }

  if (!names.empty()) {
    p.syscalls.push_back(allow(std::vector<std::string>(names.begin(), names.end()),
                               "syscalls recorded by confine record" +
                                   (b.command.empty() ? std::string() : " from: " + b.command[0])));
  }
  if (o.companions) {
    std::vector<std::string> extra;
    std::string why;
    for (const auto& [n, reason] : companion_syscalls(b)) {
      if (!syscall_known_anywhere(n)) continue;
      if (n == "clone" && reason == kInterpreterCloneWhy && o.args != ArgMode::None)
        continue;  // its filtered rule above
      extra.push_back(n);
      why += (why.empty() ? "" : "; ") + n + ": " + reason;
    }
    if (!extra.empty())
      p.syscalls.push_back(allow(std::move(extra),
                                 "not recorded, added by the generalisation table (docs/generalisation.md: "
                                 "families and slow paths one run can miss): " +
                                     why));
  }
  if (o.target == Target::Oci) {
    // Only names this profile would otherwise not allow (for any argument); an
    // argument-filtered name the runtime needs becomes unconditional: the runtime's
    // own calls do not have the workload's arguments.
    std::set<std::string> allowed;
    for (const auto& r : p.syscalls)
      if (r.action == seccomp::ActionKind::Allow) allowed.insert(r.names.begin(), r.names.end());
    std::vector<std::string> extra;
    std::string why;
    for (const auto& rs : runtime_post_filter_syscalls()) {
      if (allowed.count(rs.name)) continue;
      bool filtered = false;
      for (const auto& r : arg_rules)
        for (const auto& n : r.names) filtered = filtered || n == rs.name;
      extra.push_back(rs.name);
      why += (why.empty() ? "" : "; ") + rs.name + (rs.nnp_off_only ? " (no_new_privs off)" : "") +
             (filtered ? " (argument rules of the workload do not apply to the runtime)" : "") + ": " +
             rs.why;
    }
    if (!extra.empty())
      p.syscalls.push_back(
          allow(std::move(extra),
                "not the workload's: the OCI runtime (runc 1.1) makes these after loading the "
                "filter, before exec (strace of runc init): " +
                    why));
  }
  for (auto& r : arg_rules) p.syscalls.push_back(std::move(r));
  return p;
}

}  // namespace confine::generate
