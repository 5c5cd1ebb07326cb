// AppArmor complain mode for `confine run` (see complain.h).
#include "apparmor/complain.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>

#include "apparmor/eval.h"
#include "behavior/behavior.h"
#include "record/decode.h"
#include "record/procmem.h"
#include "sandbox/landlock.h"
#include "supervise/listener.h"
#include "syscalls/arch.h"

namespace confine::apparmor {

namespace {

namespace ll = sandbox::landlock_access;

constexpr uint64_t kAtRemovedir = 0x200;
constexpr int kMaxLinks = 40;  // MAXSYMLINKS

// A path as the kernel would see it for the task: symlinks followed (except the
// last component when !follow_last), "..", "/proc/self" -> "/proc/PID".
struct Target {
  std::string path;
  bool exists = false;
  bool dir = false;
  uid_t uid = 0;
};

// The thread group (process) of a thread, from /proc/PID/status; pid itself if unknown.
pid_t tgid_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with("Tgid:")) {
      long v = std::atol(line.c_str() + 5);
      return v > 0 ? static_cast<pid_t>(v) : pid;
    }
  return pid;
}

Target resolve_for(pid_t pid, const std::string& abs, bool follow_last) {
  const std::string root = "/proc/" + std::to_string(pid) + "/root";
  std::deque<std::string> todo;
  auto push_components = [&](const std::string& p, bool front) {
    std::vector<std::string> comps;
    size_t i = 0;
    while (i <= p.size()) {
      size_t e = p.find('/', i);
      if (e == std::string::npos) e = p.size();
      if (e > i) comps.push_back(p.substr(i, e - i));
      i = e + 1;
    }
    if (front)
      todo.insert(todo.begin(), comps.begin(), comps.end());
    else
      todo.insert(todo.end(), comps.begin(), comps.end());
  };
  push_components(abs, false);
  std::string cur;  // "" = "/"
  int links = 0;
  Target t;
  while (!todo.empty()) {
    std::string comp = todo.front();
    todo.pop_front();
    if (comp == ".") continue;
    if (comp == "..") {
      size_t s = cur.rfind('/');
      cur = s == std::string::npos ? "" : cur.substr(0, s);
      continue;
    }
    std::string next = cur + "/" + comp;
    // As the kernel resolves them for the task (pid is a thread id): self is its process.
    if (next == "/proc/self") next = "/proc/" + std::to_string(tgid_of(pid));
    if (next == "/proc/thread-self")
      next = "/proc/" + std::to_string(tgid_of(pid)) + "/task/" + std::to_string(pid);
    bool last = todo.empty();
    if (last && !follow_last) {
      cur = next;
      break;
    }
    struct stat st;
    if (lstat((root + next).c_str(), &st) != 0) {  // missing: the rest stays literal
      cur = next;
      for (const auto& c : todo) cur += "/" + c;
      t.path = cur;
      return t;
    }
    if (S_ISLNK(st.st_mode) && ++links <= kMaxLinks) {
      char buf[4096];
      ssize_t n = readlink((root + next).c_str(), buf, sizeof buf - 1);
      if (n > 0) {
        std::string target(buf, static_cast<size_t>(n));
        if (target[0] == '/') cur.clear();
        push_components(target, true);
        continue;
      }
    }
    cur = next;
  }
  t.path = cur.empty() ? "/" : cur;
  struct stat st;
  int r = follow_last ? stat((root + t.path).c_str(), &st) : lstat((root + t.path).c_str(), &st);
  if (r == 0) {
    t.exists = true;
    t.dir = S_ISDIR(st.st_mode);
    t.uid = st.st_uid;
  }
  return t;
}

// One access the LSM would check.
struct Access {
  std::string op;  // AppArmor operation name: open, exec, mkdir, unlink, rename_src, ...
  Target target;
  uint16_t requested = 0;
  std::string mask;  // kernel log letters
  std::string link_target;
  bool created = false;  // the syscall creates it (owner = the task)
  // The Landlock rights the same syscall needs (enforcement through the translation):
  // beneath the target itself, and on its parent directory (creating, removing).
  uint64_t ll_file = 0, ll_parent = 0;
};

std::string open_mask(uint64_t flags, uint16_t* req) {
  std::string m;
  uint16_t r = 0;
  switch (flags & O_ACCMODE) {
    case O_RDONLY: r = kPermRead; break;
    case O_WRONLY: r = kPermWrite; break;
    default: r = kPermRead | kPermWrite; break;
  }
  if ((flags & O_APPEND) && (r & kPermWrite)) r = (r & ~kPermWrite) | kPermAppend;
  if (flags & O_TRUNC) r |= kPermWrite;
  if (r & kPermRead) m += 'r';
  if (r & kPermWrite) m += 'w';
  if (r & kPermAppend) m += 'a';
  if (flags & O_CREAT) {
    r |= kPermWrite;  // AA_MAY_CREATE is granted by w
    m += 'c';
  }
  *req = r;
  return m;
}

// The accesses of one syscall (empty when the LSM would not be asked: missing
// file, O_PATH, EEXIST, ...).
std::vector<Access> accesses(const supervise::Notification& e, Arch arch, record::MemReader& mem, pid_t pid) {
  record::Decoded d;
  record::decode(arch, e.name, e.args, mem, &d);
  std::vector<Access> out;
  const std::string& n = e.name;
  auto path = [&](size_t i) -> const std::string* {
    return i < d.files.size() && !d.files[i].first.starts_with("?/") ? &d.files[i].first : nullptr;
  };
  auto u32 = [&](int i) { return static_cast<uint32_t>(e.args[i]); };
  using namespace apparmor;
  if (n == "open" || n == "openat" || n == "openat2" || n == "creat") {
    const std::string* p = path(0);
    if (!p) return out;
    uint64_t flags = 0;
    if (n == "open") flags = u32(1);
    if (n == "openat") flags = u32(2);
    if (n == "creat") flags = O_CREAT | O_WRONLY | O_TRUNC;
    if (n == "openat2") {
      uint64_t addr = arch == Arch::X86_64 ? e.args[2] : (e.args[2] & 0xffffffffull);
      auto b = mem.read_bytes(addr, 8);
      if (!b) return out;
      std::memcpy(&flags, b->data(), 8);
    }
    if (flags & O_PATH) return out;  // not mediated by file_open
    Access a;
    a.op = "open";
    // O_TMPFILE: decode names the unnamed file DIR/#tmpfile (row tmpfile); it is created there,
    // and the kernel calls it #INODE: evaluated as DIR/#0, a name of that form.
    const bool tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
    std::string tmpname = *p;
    if (tmpfile && tmpname.ends_with(std::string("/") + behavior::kTmpfileName))
      tmpname = tmpname.substr(0, tmpname.size() - std::string(behavior::kTmpfileName).size()) + "#0";
    a.target = resolve_for(pid, tmpname, !(flags & O_NOFOLLOW));
    if (!a.target.exists && !(flags & O_CREAT) && !tmpfile) return out;        // ENOENT first
    if (a.target.exists && (flags & O_CREAT) && (flags & O_EXCL)) return out;  // EEXIST first
    a.created = !a.target.exists;
    a.mask = open_mask(flags | (tmpfile ? O_CREAT : 0), &a.requested);
    if ((flags & O_ACCMODE) != O_WRONLY) a.ll_file |= a.target.dir ? ll::kReadDir : ll::kReadFile;
    if ((flags & O_ACCMODE) != O_RDONLY) a.ll_file |= ll::kWriteFile;
    if ((flags & O_TRUNC) && a.target.exists && !a.target.dir) a.ll_file |= ll::kTruncate;
    if (a.created && !tmpfile) a.ll_parent |= ll::kMakeReg;  // Landlock: no make_reg for O_TMPFILE
    out.push_back(std::move(a));
  } else if (n == "execve" || n == "execveat") {
    const std::string* p = path(0);
    if (!p) return out;
    Access a;
    a.op = "exec";
    a.target = resolve_for(pid, *p, true);
    if (!a.target.exists) return out;
    a.requested = kPermExec;
    a.mask = "x";
    a.ll_file = ll::kExecute;
    out.push_back(std::move(a));
  } else if (n == "mkdir" || n == "mkdirat" || n == "mknod" || n == "mknodat" || n == "symlink" ||
             n == "symlinkat") {
    const std::string* p = path(0);
    if (!p) return out;
    Access a;
    a.op = n.starts_with("mkdir") ? "mkdir" : n.starts_with("mknod") ? "mknod" : "symlink";
    a.target = resolve_for(pid, *p, false);
    if (a.target.exists) return out;  // EEXIST first
    a.target.dir = a.op == "mkdir";
    a.created = true;
    a.requested = kPermWrite;
    a.mask = "c";
    if (a.op == "mkdir") {
      a.ll_parent = ll::kMakeDir;
    } else if (a.op == "symlink") {
      a.ll_parent = ll::kMakeSym;
    } else {
      uint32_t mode = u32(n == "mknodat" ? 2 : 1);
      switch (mode & S_IFMT) {
        case S_IFSOCK: a.ll_parent = ll::kMakeSock; break;
        case S_IFIFO: a.ll_parent = ll::kMakeFifo; break;
        case S_IFCHR: a.ll_parent = ll::kMakeChar; break;
        case S_IFBLK: a.ll_parent = ll::kMakeBlock; break;
        default: a.ll_parent = ll::kMakeReg; break;
      }
    }
    out.push_back(std::move(a));
  } else if (n == "unlink" || n == "unlinkat" || n == "rmdir") {
    const std::string* p = path(0);
    if (!p) return out;
    Access a;
    a.op = (n == "rmdir" || (n == "unlinkat" && (u32(2) & kAtRemovedir))) ? "rmdir" : "unlink";
    a.target = resolve_for(pid, *p, false);
    if (!a.target.exists) return out;
    a.requested = kPermWrite;
    a.mask = "d";
    a.ll_parent = a.op == "rmdir" ? ll::kRemoveDir : ll::kRemoveFile;
    out.push_back(std::move(a));
  } else if (n == "rename" || n == "renameat" || n == "renameat2") {
    const std::string *src = path(0), *dst = path(1);
    if (!src || !dst) return out;
    Access s;
    s.op = "rename_src";
    s.target = resolve_for(pid, *src, false);
    if (!s.target.exists) return out;
    s.requested = kPermRead | kPermWrite;
    s.mask = "rwd";
    s.ll_parent = s.target.dir ? ll::kRemoveDir : ll::kRemoveFile;
    Access t;
    t.op = "rename_dest";
    t.target = resolve_for(pid, *dst, false);
    t.target.dir = s.target.dir;
    t.created = !t.target.exists;
    t.requested = kPermWrite;
    t.mask = "wc";
    t.ll_parent = (s.target.dir ? ll::kMakeDir : ll::kMakeReg) |
                  (t.target.exists ? (t.target.dir ? ll::kRemoveDir : ll::kRemoveFile) : 0);
    out.push_back(std::move(s));
    out.push_back(std::move(t));
  } else if (n == "link" || n == "linkat") {
    const std::string *oldp = path(0), *newp = path(1);
    if (!oldp || !newp) return out;
    Target old = resolve_for(pid, *oldp, n == "linkat" && (u32(4) & 0x400));  // AT_SYMLINK_FOLLOW
    if (!old.exists) return out;
    Access a;
    a.op = "link";
    a.target = resolve_for(pid, *newp, false);
    if (a.target.exists) return out;
    a.created = true;
    a.requested = kPermLink;
    a.mask = "l";
    a.ll_parent = ll::kMakeReg;
    a.link_target = old.path;
    out.push_back(std::move(a));
  } else if (n == "truncate" || n == "truncate64") {
    const std::string* p = path(0);
    if (!p) return out;
    Access a;
    a.op = "truncate";
    a.target = resolve_for(pid, *p, true);
    if (!a.target.exists) return out;
    a.requested = kPermWrite;
    a.mask = "w";
    a.ll_file = ll::kTruncate;
    out.push_back(std::move(a));
  } else if (n == "bind" || n == "connect" || (n == "socketcall" && (u32(0) == 2 || u32(0) == 3))) {
    // A unix socket path: bind creates the socket inode (AppArmor: the mknod hook, w;
    // Landlock: make_sock on the directory); connect needs w on the socket (AppArmor's
    // file rules mediate path sockets) and is not mediated by Landlock's file rights.
    bool bind = n == "bind" || (n == "socketcall" && u32(0) == 2);
    const std::string& addr = bind ? d.bind : d.connect;
    if (!addr.starts_with("unix:/")) return out;
    std::string p = record::join_path(mem.cwd(), addr.substr(5));
    Access a;
    a.op = bind ? "mknod" : "connect";
    a.target = resolve_for(pid, p, !bind);
    if (bind == a.target.exists) return out;  // EADDRINUSE / ECONNREFUSED first
    a.created = bind;
    a.requested = kPermWrite;
    a.mask = bind ? "c" : "w";
    if (bind) a.ll_parent = ll::kMakeSock;
    out.push_back(std::move(a));
  }
  return out;
}

// The task's fsuid (for owner rules), from /proc/PID/status.
std::optional<uid_t> fsuid_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (!line.starts_with("Uid:")) continue;
    unsigned long r, e, s, fs;
    if (std::sscanf(line.c_str() + 4, "%lu %lu %lu %lu", &r, &e, &s, &fs) == 4) return static_cast<uid_t>(fs);
  }
  return std::nullopt;
}

// The event of an access the profile denies.
supervise::Event denied_event(const std::string& profile, const supervise::Notification& e, const Access& a,
                              const Decision& d) {
  supervise::Event ev;
  ev.kind = supervise::EventKind::AppArmor;
  ev.profile = profile;
  ev.syscall = e.name;
  ev.arch = e.arch;
  ev.pid = e.pid;
  ev.comm = e.comm;
  ev.operation = a.op;
  ev.path = a.target.path;
  ev.directory = a.target.dir;
  ev.requested = perm_letters(d.requested);
  ev.denied = perm_letters(d.denied);
  ev.mask = a.mask;
  ev.rule = d.deny_rules.empty() ? "" : d.deny_rules[0];
  ev.info = !d.note.empty()           ? d.note
            : !d.deny_rules.empty()   ? "denied by a deny rule"
            : d.granted & d.requested ? "only partly allowed"
                                      : "no rule allows it";
  ev.target = a.link_target;
  ev.owner_assumed = d.owner_assumed;
  return ev;
}

// The Landlock rights of `need` that no rule of t grants beneath `path` (a right the
// ruleset does not handle is allowed). The self-proc rules name /proc/self of the
// sandbox's command process (`workload`): its task directory or one of its files.
uint64_t landlock_missing(const Translation& t, const std::string& path, uint64_t need, pid_t workload) {
  need &= t.handled;
  if (workload > 0)
    for (const auto& sr : t.self_rules) {
      std::string p = "/proc/" + std::to_string(workload) + "/" + sr.rel;
      bool covered = sr.rel == "task" ? path.starts_with(p + "/") : path == p;
      // Row sandbox-proc: the task rule is on the sandbox's own /proc root.
      if (sr.rel == "task" && t.own_proc) covered = path.starts_with("/proc/");
      if (covered) need &= ~sr.access;
    }
  for (const auto& r : t.rules) {
    if (!need) break;
    bool beneath = r.path == "/" || path == r.path ||
                   (path.starts_with(r.path) && path.size() > r.path.size() && path[r.path.size()] == '/');
    if (beneath) need &= ~r.access;
  }
  return need;
}

std::string parent_of(const std::string& p) {
  size_t s = p.rfind('/');
  return s == 0 || s == std::string::npos ? "/" : p.substr(0, s);
}

// "landlock would deny": the AppArmor profile allows the access, its Landlock translation
// (what `confine run` enforces without the AppArmor LSM) does not.
supervise::Event landlock_event(const std::string& profile, const supervise::Notification& e, const Access& a,
                                uint64_t file_missing, uint64_t parent_missing) {
  std::string where;
  if (file_missing) where = access_names(file_missing) + " on " + a.target.path;
  if (parent_missing)
    where += (where.empty() ? "" : ", ") + access_names(parent_missing) + " on " + parent_of(a.target.path);
  supervise::Event ev;
  ev.kind = supervise::EventKind::AppArmor;
  ev.landlock_enforcer = true;
  ev.profile = profile;
  ev.syscall = e.name;
  ev.arch = e.arch;
  ev.pid = e.pid;
  ev.comm = e.comm;
  ev.operation = a.op;
  ev.path = a.target.path;
  ev.directory = a.target.dir;
  ev.requested = perm_letters(a.requested);
  ev.denied = ev.requested;
  ev.mask = a.mask;
  ev.landlock = access_names(file_missing | parent_missing);
  ev.info = "the profile allows it, its Landlock translation does not grant " + where +
            " (confine apparmor to-landlock PROFILE)";
  return ev;
}

}  // namespace

const std::vector<std::string>& observed_file_syscalls() {
  static const std::vector<std::string> k = {
      "open",  "openat",  "openat2", "creat",     "execve",   "execveat",   "mkdir",    "mkdirat",
      "mknod", "mknodat", "unlink",  "unlinkat",  "rmdir",    "rename",     "renameat", "renameat2",
      "link",  "linkat",  "symlink", "symlinkat", "truncate", "truncate64", "bind",     "connect"};
  return k;
}

Result<sandbox::FileObserveConfig> complain_observer(const Resolved& r, const Profile& p,
                                                     std::vector<std::string>* notes,
                                                     std::optional<Translation> landlock) {
  CONFINE_TRY(Evaluator ev, Evaluator::build(r, p));
  if (notes)
    for (const auto& n : ev.notes()) notes->push_back(n);
  auto shared = std::make_shared<const Evaluator>(std::move(ev));
  sandbox::FileObserveConfig c;
  c.syscalls = observed_file_syscalls();
  std::string name = p.display_name();
  auto ll = landlock ? std::make_shared<const Translation>(std::move(*landlock)) : nullptr;
  c.observe = [shared, name, ll](const supervise::Notification& e) {
    std::vector<supervise::Event> lines;
    auto arch = arch_from_name(e.arch);
    if (!arch) return lines;
    record::ProcMemReader mem(e.pid);
    // Reads the task's memory and /proc/PID (so does fsuid_of below): the supervisor
    // checks that the notification is still valid afterwards and drops the lines if not
    // (supervise::FileComplain).
    auto acc = accesses(e, *arch, mem, e.pid);
    std::optional<uid_t> fsuid;
    bool fsuid_read = false;
    for (const auto& a : acc) {
      Query q;
      q.path = a.target.path;
      q.directory = a.target.dir;
      q.requested = a.requested;
      q.link_target = a.link_target;
      Decision d = shared->check(q);
      if (d.owner_assumed) {  // decide owner rules with the real owner when we can
        if (!fsuid_read) fsuid = fsuid_of(e.pid), fsuid_read = true;
        if (fsuid) {
          q.owner = (a.created || a.target.uid == *fsuid) ? Query::Owner::Yes : Query::Owner::No;
          d = shared->check(q);
        }
      }
      if (!d.allowed) {
        lines.push_back(denied_event(name, e, a, d));
      } else if (ll) {
        uint64_t fm = landlock_missing(*ll, a.target.path, a.ll_file, e.workload);
        uint64_t pm = landlock_missing(*ll, parent_of(a.target.path), a.ll_parent, e.workload);
        if (fm | pm) lines.push_back(landlock_event(name, e, a, fm, pm));
      }
    }
    return lines;
  };
  return c;
}

void ComplainSummary::add(const supervise::Event& e) {
  if (e.kind != supervise::EventKind::AppArmor) return;
  ++events_;
  std::string path = supervise::display_path(e);
  if (e.landlock_enforcer) {  // allowed by the rules, denied by the translation
    path += " [landlock: " + e.landlock + "]";
    if (!denied_.count(path)) order_.push_back(path), denied_[path] = e.denied;
    return;
  }
  auto it = denied_.find(path);
  if (it == denied_.end()) {
    order_.push_back(path);
    denied_[path] = e.denied;
    return;
  }
  std::string merged;
  for (char c : std::string("rwalkmx"))
    if (it->second.find(c) != std::string::npos || e.denied.find(c) != std::string::npos) merged += c;
  it->second = merged;
}

std::string ComplainSummary::str() const {
  std::string s = std::to_string(order_.size()) + " access(es) the profile would deny";
  if (order_.empty()) return s;
  s += ": ";
  for (size_t i = 0; i < order_.size(); ++i) {
    if (i == 20) {
      s += ", ... (" + std::to_string(order_.size() - 20) + " more)";
      break;
    }
    s += (i ? ", " : "") + order_[i] + " (" + denied_.at(order_[i]) + ")";
  }
  return s;
}

}  // namespace confine::apparmor
