#include "watch/live.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/file.h"
#include "json/json.h"
#include "watch/live_shared.h"

namespace confine::watch {

namespace {

std::string read_small(const std::string& path, size_t max = 65536) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string s;
  char buf[4096];
  ssize_t n;
  while (s.size() < max && (n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return s;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// "/system.slice/docker-<64 hex>.scope", "/kubepods/.../<64 hex>", "libpod-<64 hex>": the
// first run of 64 hex digits names the container; its first 12 are the id Falco prints.
std::string container_id_from_cgroup(std::string_view cg) {
  size_t run = 0;
  for (size_t i = 0; i < cg.size(); ++i) {
    if (std::isxdigit(static_cast<unsigned char>(cg[i])) &&
        !std::isupper(static_cast<unsigned char>(cg[i]))) {
      if (++run == 64 && (i + 1 == cg.size() || !std::isxdigit(static_cast<unsigned char>(cg[i + 1]))))
        return std::string(cg.substr(i + 1 - 64, 12));
    } else {
      run = 0;
    }
  }
  return "host";
}

std::string comm_of_path(std::string_view p) {
  size_t s = p.rfind('/');
  std::string_view b = s == std::string_view::npos ? p : p.substr(s + 1);
  return std::string(b.substr(0, 15));
}

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string_view family_name(uint64_t f) {
  switch (f) {
    case 1: return "AF_UNIX";
    case 2: return "AF_INET";
    case 10: return "AF_INET6";
    case 16: return "AF_NETLINK";
    case 17: return "AF_PACKET";
    default: return {};
  }
}

std::string_view ptrace_name(uint64_t r) {
  switch (r) {
    case 0: return "PTRACE_TRACEME";
    case 1: return "PTRACE_PEEKTEXT";
    case 2: return "PTRACE_PEEKDATA";
    case 3: return "PTRACE_PEEKUSER";
    case 4: return "PTRACE_POKETEXT";
    case 5: return "PTRACE_POKEDATA";
    case 6: return "PTRACE_POKEUSER";
    case 7: return "PTRACE_CONT";
    case 8: return "PTRACE_KILL";
    case 9: return "PTRACE_SINGLESTEP";
    case 12: return "PTRACE_GETREGS";
    case 13: return "PTRACE_SETREGS";
    case 16: return "PTRACE_ATTACH";
    case 17: return "PTRACE_DETACH";
    case 24: return "PTRACE_SYSCALL";
    case 0x4200: return "PTRACE_SETOPTIONS";
    case 0x4206: return "PTRACE_SEIZE";
    case 0x4207: return "PTRACE_INTERRUPT";
    default: return {};
  }
}

// How evt.arg.NAME renders an argument.
enum class AK : uint8_t { Num, Fd, Path, Str, Family, Ptrace, Hex, Mode, OpenFlags, CloneFlags };
struct ArgSpec {
  std::string_view name;
  AK kind;
};
struct SysArgs {
  std::string_view sys;
  ArgSpec args[6];
};

// Falco's argument names for the syscalls the stock rules and common rules use. A Path
// argument renders the path the recorder's decoder resolved (absolute), when it did.
constexpr SysArgs kSysArgs[] = {
    {"open", {{"name", AK::Path}, {"flags", AK::OpenFlags}, {"mode", AK::Num}}},
    {"creat", {{"name", AK::Path}, {"mode", AK::Num}}},
    {"openat", {{"dirfd", AK::Fd}, {"name", AK::Path}, {"flags", AK::OpenFlags}, {"mode", AK::Num}}},
    {"openat2", {{"dirfd", AK::Fd}, {"name", AK::Path}}},
    {"execve", {{"filename", AK::Path}}},
    {"execveat",
     {{"dirfd", AK::Fd},
      {"pathname", AK::Path},
      {
          "flags",
          AK::Hex,
      }}},
    {"socket", {{"domain", AK::Family}, {"type", AK::Num}, {"proto", AK::Num}}},
    {"ptrace", {{"request", AK::Ptrace}, {"pid", AK::Num}, {"addr", AK::Hex}, {"data", AK::Hex}}},
    {"init_module", {{"img", AK::Hex}, {"length", AK::Num}, {"uargs", AK::Str}}},
    {"finit_module", {{"fd", AK::Fd}, {"uargs", AK::Str}, {"flags", AK::Hex}}},
    {"memfd_create", {{"name", AK::Str}, {"flags", AK::Hex}}},
    {"symlink", {{"target", AK::Str}, {"linkpath", AK::Path}}},
    {"symlinkat", {{"target", AK::Str}, {"linkdirfd", AK::Fd}, {"linkpath", AK::Path}}},
    {"unlink", {{"path", AK::Path}}},
    {"unlinkat", {{"dirfd", AK::Fd}, {"name", AK::Path}, {"flags", AK::Hex}}},
    {"mkdir", {{"path", AK::Path}, {"mode", AK::Num}}},
    {"mknod", {{"path", AK::Path}, {"mode", AK::Num}, {"dev", AK::Num}}},
    {"mknodat", {{"dirfd", AK::Fd}, {"path", AK::Path}, {"mode", AK::Num}, {"dev", AK::Num}}},
    {"link", {{"oldpath", AK::Path}, {"newpath", AK::Path}}},
    {"linkat",
     {{"olddir", AK::Fd},
      {"oldpath", AK::Path},
      {"newdir", AK::Fd},
      {"newpath", AK::Path},
      {"flags", AK::Hex}}},
    {"userfaultfd", {{"flags", AK::Hex}}},
    {"process_vm_writev", {{"pid", AK::Num}}},
    {"mkdirat", {{"dirfd", AK::Fd}, {"path", AK::Path}, {"mode", AK::Num}}},
    {"rename", {{"oldpath", AK::Path}, {"newpath", AK::Path}}},
    {"renameat", {{"olddirfd", AK::Fd}, {"oldpath", AK::Path}, {"newdirfd", AK::Fd}, {"newpath", AK::Path}}},
    {"renameat2", {{"olddirfd", AK::Fd}, {"oldpath", AK::Path}, {"newdirfd", AK::Fd}, {"newpath", AK::Path}}},
    {"setuid", {{"uid", AK::Num}}},
    {"setgid", {{"gid", AK::Num}}},
    {"unshare", {{"flags", AK::CloneFlags}}},
    {"setns", {{"fd", AK::Fd}, {"nstype", AK::Hex}}},
    {"mount", {{"dev", AK::Str}, {"dir", AK::Str}, {"type", AK::Str}, {"flags", AK::Hex}}},
    {"chmod", {{"filename", AK::Path}, {"mode", AK::Mode}}},
    {"fchmod", {{"fd", AK::Fd}, {"mode", AK::Mode}}},
    {"fchmodat", {{"dirfd", AK::Fd}, {"filename", AK::Path}, {"mode", AK::Mode}}},
    {"dup", {{"oldfd", AK::Fd}}},
    {"dup2", {{"oldfd", AK::Fd}, {"newfd", AK::Num}}},
    {"dup3", {{"oldfd", AK::Fd}, {"newfd", AK::Num}, {"flags", AK::Hex}}},
    {"truncate", {{"path", AK::Path}, {"length", AK::Num}}},
    {"ftruncate", {{"fd", AK::Fd}, {"length", AK::Num}}},
    {"setreuid", {{"ruid", AK::Num}, {"euid", AK::Num}}},
    {"setresuid", {{"ruid", AK::Num}, {"euid", AK::Num}, {"suid", AK::Num}}},
    {"kill", {{"pid", AK::Num}, {"sig", AK::Num}}},
    {"connect", {{"fd", AK::Fd}, {"addr", AK::Str}}},
    {"bind", {{"fd", AK::Fd}, {"addr", AK::Str}}},
    {"bpf", {{"cmd", AK::Num}}},
};

// open flags as Falco prints them: the access mode and the flag names joined by '|'
// ("O_WRONLY|O_CREAT|O_TRUNC"), so `evt.arg.flags contains O_TRUNC` tests a flag.
std::string open_flags_text(uint64_t f) {
  static constexpr std::pair<uint64_t, std::string_view> kFlags[] = {
      {O_CREAT, "O_CREAT"},         {O_EXCL, "O_EXCL"},         {O_NOCTTY, "O_NOCTTY"},
      {O_TRUNC, "O_TRUNC"},         {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
      {O_DSYNC, "O_DSYNC"},         {O_DIRECT, "O_DIRECT"},     {0100000, "O_LARGEFILE"},
      {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
      {O_CLOEXEC, "O_CLOEXEC"},     {O_PATH, "O_PATH"},         {020000000 /* __O_TMPFILE */, "O_TMPFILE"}};
  uint64_t acc = f & O_ACCMODE;
  std::string out = acc == O_RDONLY   ? "O_RDONLY"
                    : acc == O_WRONLY ? "O_WRONLY"
                    : acc == O_RDWR   ? "O_RDWR"
                                      : "O_ACCMODE";
  for (const auto& [bit, name] : kFlags)
    if ((f & bit) == bit) out += "|" + std::string(name);
  return out;
}

// unshare's (and clone's) flags as Falco prints them: the CLONE_* names joined by '|'
// ("CLONE_NEWUSER|CLONE_NEWNS"), a remainder in hex, so `evt.arg.flags contains CLONE_NEWUSER`
// tests a flag.
std::string clone_flags_text(uint64_t f) {
  static constexpr std::pair<uint64_t, std::string_view> kFlags[] = {{0x100, "CLONE_VM"},
                                                                     {0x200, "CLONE_FS"},
                                                                     {0x400, "CLONE_FILES"},
                                                                     {0x800, "CLONE_SIGHAND"},
                                                                     {0x1000, "CLONE_PIDFD"},
                                                                     {0x2000, "CLONE_PTRACE"},
                                                                     {0x4000, "CLONE_VFORK"},
                                                                     {0x8000, "CLONE_PARENT"},
                                                                     {0x10000, "CLONE_THREAD"},
                                                                     {0x20000, "CLONE_NEWNS"},
                                                                     {0x40000, "CLONE_SYSVSEM"},
                                                                     {0x80000, "CLONE_SETTLS"},
                                                                     {0x100000, "CLONE_PARENT_SETTID"},
                                                                     {0x200000, "CLONE_CHILD_CLEARTID"},
                                                                     {0x400000, "CLONE_DETACHED"},
                                                                     {0x800000, "CLONE_UNTRACED"},
                                                                     {0x1000000, "CLONE_CHILD_SETTID"},
                                                                     {0x2000000, "CLONE_NEWCGROUP"},
                                                                     {0x4000000, "CLONE_NEWUTS"},
                                                                     {0x8000000, "CLONE_NEWIPC"},
                                                                     {0x10000000, "CLONE_NEWUSER"},
                                                                     {0x20000000, "CLONE_NEWPID"},
                                                                     {0x40000000, "CLONE_NEWNET"},
                                                                     {0x80000000, "CLONE_IO"},
                                                                     {0x80, "CLONE_NEWTIME"}};
  std::string out;
  uint64_t rest = f & 0xffffffffu;
  for (const auto& [bit, name] : kFlags)
    if (rest & bit) {
      out += (out.empty() ? "" : "|") + std::string(name);
      rest &= ~bit;
    }
  if (rest) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(rest));
    out += (out.empty() ? "" : "|") + std::string(b);
  }
  return out.empty() ? "0" : out;
}

// A file mode as Falco prints it: its flag names joined by '|' ("S_IXUSR|S_ISUID"), so
// `evt.arg.mode contains S_ISUID` tests a bit.
std::string mode_text(uint64_t m) {
  static constexpr std::pair<uint64_t, std::string_view> kBits[] = {
      {04000, "S_ISUID"}, {02000, "S_ISGID"}, {01000, "S_ISVTX"}, {0400, "S_IRUSR"},
      {0200, "S_IWUSR"},  {0100, "S_IXUSR"},  {040, "S_IRGRP"},   {020, "S_IWGRP"},
      {010, "S_IXGRP"},   {04, "S_IROTH"},    {02, "S_IWOTH"},    {01, "S_IXOTH"}};
  std::string out;
  for (const auto& [bit, name] : kBits)
    if (m & bit) {
      if (!out.empty()) out += '|';
      out += name;
    }
  return out.empty() ? "0" : out;
}

// The socket with this inode in /proc/PID/net/FILE (tcp, tcp6, udp, udp6): its peer
// ("ADDR:PORT", or the local address for an unconnected socket), "" when not found.
std::string inet_socket(pid_t pid, const char* file, uint64_t ino, bool v6) {
  std::string t = read_small("/proc/" + std::to_string(pid) + "/net/" + file, 4u << 20);
  std::string want = " " + std::to_string(ino) + " ";
  size_t at = t.find(want);
  if (at == std::string::npos) return "";
  size_t ls = t.rfind('\n', at);
  ls = ls == std::string::npos ? 0 : ls + 1;
  // "  sl  local_address rem_address st ...": hex addresses, network order per 32-bit word.
  char local[64] = {}, rem[64] = {};
  if (std::sscanf(t.c_str() + ls, "%*s %63s %63s", local, rem) != 2) return "";
  auto render = [&](const char* hex) -> std::string {
    std::string_view h(hex);
    size_t colon = h.find(':');
    if (colon == std::string_view::npos) return "";
    unsigned port = 0;
    std::from_chars(h.data() + colon + 1, h.data() + h.size(), port, 16);
    char buf[80];
    if (!v6 && colon == 8) {
      uint32_t a = 0;
      std::from_chars(h.data(), h.data() + 8, a, 16);
      std::snprintf(buf, sizeof buf, "%u.%u.%u.%u:%u", a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff, a >> 24,
                    port);
      return buf;
    }
    return "[" + std::string(h.substr(0, colon)) + "]:" + std::to_string(port);
  };
  std::string r = render(rem);
  if (r.empty() || r.starts_with("0.0.0.0:0") || r.starts_with("[00000000000000000000000000000000]:0"))
    r = render(local);
  return r;
}

// Whether process `pid` holds a listening TCP socket (IPv4 or IPv6): its socket fds'
// inodes against the LISTEN (0A) rows of /proc/PID/net/tcp{,6}. Read at execve for the
// parent (proc.pis_server): a server's children are rare and worth knowing.
bool holds_listening_socket(pid_t pid) {
  std::string ps = "/proc/" + std::to_string(pid);
  std::vector<std::string> inodes;
  if (DIR* d = ::opendir((ps + "/fd").c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::string l = read_link(ps + "/fd/" + e->d_name);
      if (l.starts_with("socket:[") && l.ends_with("]"))
        inodes.push_back(" " + l.substr(8, l.size() - 9) + " ");
      if (inodes.size() > 4096) break;
    }
    ::closedir(d);
  }
  if (inodes.empty()) return false;
  for (const char* f : {"/net/tcp", "/net/tcp6"}) {
    std::string t = read_small(ps + f, 8u << 20);
    size_t pos = t.find('\n');  // the header
    while (pos != std::string::npos && pos + 1 < t.size()) {
      size_t end = t.find('\n', pos + 1);
      std::string_view line(t.data() + pos + 1, (end == std::string::npos ? t.size() : end) - pos - 1);
      pos = end;
      // "sl local rem st ...": the 4th column is the state.
      size_t i = 0;
      int col = 0;
      std::string_view st;
      while (i < line.size() && col < 4) {
        while (i < line.size() && line[i] == ' ') ++i;
        size_t j = line.find(' ', i);
        if (j == std::string_view::npos) j = line.size();
        if (++col == 4) st = line.substr(i, j - i);
        i = j;
      }
      if (st != "0A") continue;
      for (const auto& ino : inodes)
        if (line.find(ino) != std::string_view::npos) return true;
    }
  }
  return false;
}

// The file an absolute path of task `pid` names once symbolic links are followed, as the
// kernel will resolve it (fd.name, proc.exepath): a link to /etc/shadow read through /tmp/x is
// a read of /etc/shadow, and /proc/self/fd/N or /dev/fd/N of an exec is the file behind the fd
// (a memfd). `follow_last`: the last component too (open without O_NOFOLLOW, exec); a missing
// last component keeps its name under the resolved directory (a creation). Only for a task that
// shares this process's mount namespace and root (a container's paths are left as written); on any
// error the path as written. Observation only: the file may change before the kernel looks.
std::string resolve_in_task(pid_t pid, const std::string& path, bool follow_last) {
  if (path.empty() || path[0] != '/') return path;
  std::string ps = "/proc/" + std::to_string(pid);
  // Another mount namespace (a container: its /proc/PID/root reads "/" after pivot_root) or
  // another root (chroot): paths are the task's, not this host's.
  static const std::string own_mnt = read_link("/proc/self/ns/mnt");
  if (own_mnt.empty() || read_link(ps + "/ns/mnt") != own_mnt || read_link(ps + "/root") != "/") return path;
  std::string p = path;
  // The task's own magic names, rewritten to its pid (here "self" would be this process).
  for (const char* self : {"/proc/self/", "/proc/thread-self/"})
    if (p.starts_with(self)) p = ps + "/" + p.substr(std::strlen(self));
  if (p.starts_with("/dev/fd/")) p = ps + "/fd/" + p.substr(8);
  if (p.starts_with("/dev/stdin") || p.starts_with("/dev/stdout") || p.starts_with("/dev/stderr"))
    return path;
  // /proc/PID/fd/N, /proc/PID/exe, /proc/PID/cwd, /proc/PID/root: magic links name what the
  // task holds, which realpath cannot (a memfd, a deleted file): read the link itself.
  auto magic = [](std::string_view q) {
    if (!q.starts_with("/proc/")) return false;
    q.remove_prefix(6);
    size_t i = 0;
    while (i < q.size() && std::isdigit(static_cast<unsigned char>(q[i]))) ++i;
    if (i == 0) return false;
    q.remove_prefix(i);
    size_t t = q.find("/task/");
    if (t == 0) {
      q.remove_prefix(6);
      size_t j = 0;
      while (j < q.size() && std::isdigit(static_cast<unsigned char>(q[j]))) ++j;
      if (j == 0) return false;
      q.remove_prefix(j);
    }
    if (q == "/exe" || q == "/cwd" || q == "/root") return true;
    if (!q.starts_with("/fd/")) return false;
    q.remove_prefix(4);
    return !q.empty() && std::all_of(q.begin(), q.end(),
                                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  };
  if (magic(p)) {
    if (!follow_last) return path;
    std::string l = read_link(p);
    return l.empty() ? path : l;
  }
  char buf[PATH_MAX];
  if (follow_last && ::realpath(p.c_str(), buf)) return buf;
  size_t slash = p.rfind('/');
  std::string dir = slash == 0 ? "/" : p.substr(0, slash), last = p.substr(slash + 1);
  if (last.empty() || last == "." || last == "..")
    return ::realpath(p.c_str(), buf) ? std::string(buf) : path;
  if (!::realpath(dir.c_str(), buf)) return path;
  std::string d = buf;
  return d + (d.ends_with('/') ? "" : "/") + last;
}

// What an fd of a task refers to (fd.name, fd.typechar) from /proc/TID/fd/N.
void resolve_fd(pid_t tid, int fd, std::string* name, FdType* type) {
  char link[4096];
  std::string p = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  ssize_t n = readlink(p.c_str(), link, sizeof link - 1);
  if (n <= 0) return;
  std::string_view l(link, static_cast<size_t>(n));
  *name = std::string(l);
  if (l.starts_with("socket:[")) {
    uint64_t ino = 0;
    std::from_chars(l.data() + 8, l.data() + l.size(), ino);
    struct Net {
      const char* file;
      bool v6;
      FdType t;
    };
    for (const Net& x : {Net{"tcp", false, FdType::Ipv4}, Net{"udp", false, FdType::Ipv4},
                         Net{"tcp6", true, FdType::Ipv6}, Net{"udp6", true, FdType::Ipv6}}) {
      std::string a = inet_socket(tid, x.file, ino, x.v6);
      if (!a.empty()) {
        *name = a;
        *type = x.t;
        return;
      }
    }
    // Not an inet socket the tables list (an unconnected TCP socket is in none): a unix socket
    // when /proc/net/unix has it, else another kind ('o').
    std::string ux = read_small("/proc/" + std::to_string(tid) + "/net/unix", 8u << 20);
    *type = ux.find(" " + std::to_string(ino) + " ") != std::string::npos ||
                    ux.find(" " + std::to_string(ino) + "\n") != std::string::npos
                ? FdType::Unix
                : FdType::Other;
  } else if (l.starts_with("pipe:[")) {
    *type = FdType::Pipe;
  } else if (l.starts_with("anon_inode:[eventfd]")) {
    *type = FdType::Event;
  } else if (l.starts_with("anon_inode:[signalfd]")) {
    *type = FdType::Signal;
  } else if (l.starts_with("/memfd:")) {
    *type = FdType::Memfd;
  } else if (l.starts_with("/")) {
    struct stat st;
    *type = stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? FdType::Dir : FdType::File;
  } else {
    *type = FdType::Other;
  }
}

bool first_arg_is_fd(std::string_view n) {
  return n == "dup" || n == "dup2" || n == "dup3" || n == "fchmod" || n == "ftruncate" || n == "fchown";
}

const SysArgs* sys_args(std::string_view name) {
  for (const auto& s : kSysArgs)
    if (s.sys == name) return &s;
  return nullptr;
}

bool is_open_call(std::string_view n) {
  return n == "open" || n == "openat" || n == "openat2" || n == "creat";
}

}  // namespace

std::string ProcTable::user_name(uint32_t uid) {
  if (!users_loaded_) {
    users_loaded_ = true;
    std::string pw = read_small("/etc/passwd", 4u << 20);
    size_t i = 0;
    while (i < pw.size()) {
      size_t e = pw.find('\n', i);
      if (e == std::string::npos) e = pw.size();
      std::string_view line(pw.data() + i, e - i);
      size_t c1 = line.find(':'), c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1),
             c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
      if (c3 != std::string_view::npos) {
        uint32_t u = 0;
        auto r = std::from_chars(line.data() + c2 + 1, line.data() + c3, u);
        if (r.ec == std::errc() && !users_.count(u)) users_[u] = std::string(line.substr(0, c1));
      }
      i = e + 1;
    }
  }
  auto it = users_.find(uid);
  return it == users_.end() ? std::string() : it->second;
}

pid_t ProcTable::tgid_of(pid_t tid) {
  auto it = tgid_.find(tid);
  if (it != tgid_.end()) return it->second;
  std::string st = read_small("/proc/" + std::to_string(tid) + "/status", 8192);
  pid_t tg = tid;
  size_t p = st.find("\nTgid:");
  if (p != std::string::npos) tg = static_cast<pid_t>(std::atoi(st.c_str() + p + 6));
  if (tg <= 0) tg = tid;
  if (tgid_.size() > 100000) tgid_.clear();
  tgid_[tid] = tg;
  return tg;
}

ProcInfo* ProcTable::get(pid_t pid) {
  auto it = procs_.find(pid);
  if (it != procs_.end()) return &it->second;
  if (pid <= 0) return nullptr;
  std::string base = "/proc/" + std::to_string(pid);
  std::string st = read_small(base + "/stat", 4096);
  size_t open = st.find('('), close = st.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 4 >= st.size()) return nullptr;
  ProcInfo p;
  p.pid = pid;
  p.comm = st.substr(open + 1, close - open - 1);
  char state = 0;
  int ppid = 0;
  if (std::sscanf(st.c_str() + close + 2, "%c %d", &state, &ppid) == 2) p.ppid = ppid;
  p.exepath = read_link(base + "/exe");
  std::string cl = read_small(base + "/cmdline", 32768);
  if (!cl.empty()) {
    p.has_argv = true;
    size_t i = 0;
    while (i < cl.size()) {
      size_t e = cl.find('\0', i);
      if (e == std::string::npos) e = cl.size();
      p.argv.emplace_back(cl, i, e - i);
      i = e + 1;
    }
  }
  read_uid(pid, &p);
  std::string cg = read_small(base + "/cgroup", 8192);
  if (!cg.empty()) p.container_id = container_id_from_cgroup(cg);
  p.finish();
  return &put(std::move(p));
}

void ProcTable::read_uid(pid_t pid, ProcInfo* p) {
  std::string status = read_small("/proc/" + std::to_string(pid) + "/status", 8192);
  size_t u = status.find("\nUid:");
  if (u == std::string::npos) return;
  p->has_uid = true;
  p->uid = static_cast<uint32_t>(std::strtoul(status.c_str() + u + 5, nullptr, 10));
  p->user = user_name(p->uid);
}

void ProcTable::trim() {
  if (procs_.size() > 65536) procs_.clear();  // bounded; re-read from /proc on demand
}

ProcInfo& ProcTable::put(ProcInfo p) {
  pid_t pid = p.pid;
  auto& slot = procs_[pid];
  slot = std::move(p);
  return slot;
}

const ProcInfo* ProcTable::find(pid_t pid) { return get(pid); }

Result<Baseline> load_baseline(const std::string& dir) {
  Baseline b;
  b.file = dir + "/behavior.json";
  CONFINE_TRY(behavior::Behavior beh, behavior::load_behavior(b.file));
  for (const auto& [arch, calls] : beh.arches)
    for (const auto& [name, info] : calls) b.syscalls[arch].insert(name);
  b.execs = beh.execs;
  return b;
}

LiveWatcher::LiveWatcher(const RuleSet* rules, const Baseline* baseline, bool json,
                         std::function<void(const std::string&)> emit)
    : rules_(rules), base_(baseline), json_(json), emit_(std::move(emit)) {
  char h[256] = {0};
  if (gethostname(h, sizeof h - 1) == 0) hostname_ = h;
  ev_.procs = &procs_;
  deviation_rule_.name = "Deviation from the recorded profile";
  deviation_rule_.desc = "a syscall or program the profile's recording never saw";
  deviation_rule_.priority = Priority::Notice;
  deviation_rule_.tags = {"deviation"};
  deviation_rule_.source = "syscall";
}

namespace {
// Calls after which the process's user changes: its entry is read again at its next event.
bool changes_ids(std::string_view n) {
  return n == "setuid" || n == "setreuid" || n == "setresuid" || n == "setfsuid" || n == "setuid32" ||
         n == "setreuid32" || n == "setresuid32" || n == "setfsuid32";
}
}  // namespace

bool LiveWatcher::wants_call(Arch arch, std::string_view name) {
  asked_.insert(std::string(name));
  bool w = wants_now(arch, name);
  if (w) observed_.insert(std::string(name));
  return w;
}

void LiveWatcher::maybe_reload() {
  if (!reload_.exchange(false, std::memory_order_acq_rel) || !loader_) return;
  auto r = loader_();
  if (!r.ok()) {
    note_("SIGHUP: rules not reloaded (the old ones stay): " + r.error().message());
    return;
  }
  owned_rules_ = std::move(*r);
  rules_ = owned_rules_.get();
  std::string missed;
  for (const auto& n : asked_)
    if (!observed_.count(n) && rules_->interested(n)) missed += (missed.empty() ? "" : ", ") + n;
  if (rules_->interested_in_all() && asked_.size() > observed_.size()) missed = "every syscall";
  note_("SIGHUP: rules reloaded (" + std::to_string(rules_->rules().size()) + " rules)" +
        (missed.empty() ? std::string()
                        : "; not observed until the command is restarted (the supervisor hands over only the "
                          "syscalls the first rules needed): " +
                              missed));
}

bool LiveWatcher::wants_now(Arch arch, std::string_view name) {
  if (capture_) return true;  // --save-events: the whole stream (the benchmark's mix)
  if (changes_ids(name)) return true;
  if (rules_ && rules_->interested(name)) return true;
  if (base_) {
    if (name == "execve" || name == "execveat") return true;
    auto it = base_->syscalls.find(arch);
    if (it == base_->syscalls.end() || !it->second.count(std::string(name))) return true;
  }
  return false;
}

void LiveWatcher::observe(const record::ObservedCall& c) {
  ++stats_.observed;
  maybe_reload();
  procs_.trim();  // between events only: pointers into the table stay valid during one
  ev_.reset();
  pending_ = true;
  partial_ = false;
  exec_written_.clear();
  ev_.ts_ns = now_ns();
  ev_.arch = c.arch;
  ev_.nr = c.nr;
  ev_.type = c.name;
  for (int i = 0; i < 6; ++i) ev_.raw[i] = c.args[i];
  ev_.tid = c.tid;
  const record::Decoded& d = *c.decoded;
  bool is_exec = c.name == "execve" || c.name == "execveat";
  pid_t pid = procs_.tgid_of(c.tid);
  ProcInfo* p = procs_.get(pid);
  if (is_exec) {
    // Falco evaluates execve on its return, with the new program: build that process now
    // (argv from the task's memory), keep the old one's parent, user and container.
    ProcInfo n;
    n.pid = pid;
    if (p)
      n.ppid = p->ppid, n.has_uid = p->has_uid, n.uid = p->uid, n.user = p->user,
      n.container_id = p->container_id;
    procs_.read_uid(pid, &n);  // now: a setuid program's parent may have switched users before exec
    if (n.ppid > 0) n.parent_listens = holds_listening_socket(n.ppid) ? 1 : 0;
    // proc.exepath: the file that runs (links followed, /proc/self/fd/N read), like the
    // kernel's exe link; proc.name: the last component as written (the kernel's comm).
    exec_written_ = d.exec;
    n.exepath = resolve_in_task(pid, d.exec, true);
    if (n.exepath.empty()) partial_ = true;
    n.comm = comm_of_path(d.exec);
    uint64_t argv_ptr = c.name == "execve" ? c.args[1] : c.args[2];
    if (argv_ptr) {
      n.has_argv = true;
      size_t total = 0;
      for (size_t i = 0; i < 256; ++i) {
        auto b = c.mem->read_bytes(argv_ptr + 8 * i, 8);
        if (!b) {
          partial_ = true;
          break;
        }
        uint64_t a;
        std::memcpy(&a, b->data(), 8);
        if (!a) break;
        auto s = c.mem->read_string(a, 4096);
        if (!s) {
          partial_ = true;
          break;
        }
        total += s->size();
        n.argv.push_back(std::move(*s));
        if (total > 32768) break;
      }
    }
    n.finish();
    p = &procs_.put(std::move(n));
  }
  ev_.proc = p;
  if (!p) partial_ = true;
  stale_pid_ = changes_ids(c.name) ? pid : 0;
  // The file or socket.
  const pid_t task = pid;
  FdFrom from = fill_fd(
      c.name, c.args, d,
      [task](const std::string& p, bool follow) { return resolve_in_task(task, p, follow); }, &ev_);
  if (from == FdFrom::Unread) {
    partial_ = true;
  } else if (from == FdFrom::None && first_arg_is_fd(c.name)) {
    // fd.name / fd.typechar of the descriptor the call uses (a socket dup'ed onto stdio is a
    // reverse shell): from /proc/TID/fd now, while the task waits.
    resolve_fd(c.tid, static_cast<int>(c.args[0]), &ev_.fd_name, &ev_.fd_type);
    ev_.has_fd = !ev_.fd_name.empty();
  }
  // Named arguments.
  if (!fill_args(c.name, c.args, d, *c.mem, &ev_)) partial_ = true;
}

void LiveWatcher::settle(bool valid) {
  if (!pending_) return;
  pending_ = false;
  struct Forget {
    ProcTable& t;
    pid_t pid;
    ~Forget() {
      if (pid) t.erase(pid);
    }
  } forget{procs_, stale_pid_};
  if (!valid) {
    ++stats_.dropped;
    return;
  }
  if (partial_) ++stats_.partial;
  ++stats_.evaluated;
  if (capture_) capture_(ev_);
  if (rules_) {
    rules_->match(ev_, [&](const Rule& r) {
      ++stats_.alerts;
      emit_(json_ ? format_alert_json(r, ev_, hostname_) : format_alert_text(r, ev_));
    });
  }
  if (base_) {
    std::string what;
    bool is_exec = ev_.type == "execve" || ev_.type == "execveat";
    auto it = base_->syscalls.find(ev_.arch);
    std::string name = ev_.type.empty() ? "nr " + std::to_string(ev_.nr) : std::string(ev_.type);
    if (it == base_->syscalls.end() || !it->second.count(name))
      what = "syscall " + name + " (" +
             std::string(ev_.arch == Arch::X86   ? "i386"
                         : ev_.arch == Arch::X32 ? "x32"
                                                 : "x86_64") +
             ")";
    else if (is_exec && !exec_written_.empty() && !base_->execs.count(exec_written_))
      what = "program " + exec_written_;  // as the recorder files it: as written, links not followed
    if (!what.empty() && deviations_seen_.insert(what).second) {
      ++stats_.deviations;
      ++stats_.alerts;
      auto out = compile_output("Deviation from the recorded profile (" + what + " not in " + base_->file +
                                    ") proc=%proc.name cmdline=%proc.cmdline pid=%proc.pid file=%fd.name",
                                nullptr);
      if (out.ok()) {
        deviation_rule_.out = std::move(*out);
        emit_(json_ ? format_alert_json(deviation_rule_, ev_, hostname_)
                    : format_alert_text(deviation_rule_, ev_));
      }
    }
  }
}

std::string event_to_json(const Event& e) {
  using json::Value;
  Value o = Value::make_object();
  o.add("type", Value::make_string(std::string(e.type)));
  o.add("arch", Value::make_u64(static_cast<uint64_t>(e.arch)));
  o.add("nr", Value::make_i64(e.nr));
  o.add("tid", Value::make_i64(e.tid));
  if (e.has_fd) {
    o.add("fd", Value::make_string(e.fd_name));
    o.add("fdtype", Value::make_string(std::string(1, static_cast<char>(e.fd_type))));
  }
  if (e.is_open) o.add("open", Value::make_u64((e.open_read ? 1 : 0) | (e.open_write ? 2 : 0)));
  Value args = Value::make_array();
  for (const auto& a : e.args) {
    Value x = Value::make_array();
    x.push(Value::make_string(std::string(a.name)));
    x.push(Value::make_string(a.text));
    x.push(Value::make_u64(a.raw));
    args.push(std::move(x));
  }
  o.add("args", std::move(args));
  auto proc = [](const ProcInfo& p) {
    Value x = Value::make_object();
    x.add("pid", Value::make_i64(p.pid));
    x.add("ppid", Value::make_i64(p.ppid));
    x.add("comm", Value::make_string(p.comm));
    x.add("exe", Value::make_string(p.exepath));
    Value av = Value::make_array();
    for (const auto& s : p.argv) av.push(Value::make_string(s));
    x.add("argv", std::move(av));
    if (p.has_uid) x.add("uid", Value::make_u64(p.uid));
    x.add("user", Value::make_string(p.user));
    x.add("container", Value::make_string(p.container_id));
    if (p.parent_listens >= 0) x.add("pserver", Value::make_bool(p.parent_listens > 0));
    return x;
  };
  Value procs = Value::make_array();
  const ProcInfo* p = e.proc;
  for (int i = 0; p && i < 4; ++i) {
    procs.push(proc(*p));
    p = e.procs && p->ppid > 0 ? e.procs->find(p->ppid) : nullptr;
  }
  o.add("procs", std::move(procs));
  json::WriteOptions w;
  w.indent = 0;
  return json::write(o, w);
}

Status event_from_json(std::string_view line, Event* e, MemProcTable* procs) {
  CONFINE_TRY(json::Value v, json::parse(line, "events"));
  e->reset();
  static std::set<std::string, std::less<>> names;  // evt.type needs stable storage
  auto str = [&](const char* k) -> std::string {
    const json::Value* x = v.find(k);
    return x && x->is(json::Type::String) ? x->text : std::string();
  };
  std::string t = str("type");
  if (!t.empty()) e->type = *names.insert(t).first;
  if (auto* a = v.find("arch")) e->arch = static_cast<Arch>(a->as_u64().value_or(0));
  if (auto* n = v.find("nr")) e->nr = static_cast<int32_t>(n->as_i64().value_or(-1));
  if (auto* n = v.find("tid")) e->tid = static_cast<pid_t>(n->as_i64().value_or(0));
  if (v.find("fd")) {
    e->has_fd = true;
    e->fd_name = str("fd");
    std::string ft = str("fdtype");
    e->fd_type = ft.empty() ? FdType::File : static_cast<FdType>(ft[0]);
  }
  if (auto* o = v.find("open")) {
    e->is_open = true;
    uint64_t b = o->as_u64().value_or(0);
    e->open_read = b & 1, e->open_write = b & 2;
  }
  if (auto* args = v.find("args"))
    for (const auto& x : args->items) {
      if (x.items.size() != 3) continue;
      Arg a;
      a.name = *names.insert(x.items[0].text).first;
      a.text = x.items[1].text;
      a.raw = x.items[2].as_u64().value_or(0);
      a.has_raw = true;
      e->args.push_back(std::move(a));
    }
  pid_t first = 0;
  if (auto* ps = v.find("procs"))
    for (const auto& x : ps->items) {
      ProcInfo p;
      p.pid = static_cast<pid_t>(x.find("pid") ? x.find("pid")->as_i64().value_or(0) : 0);
      p.ppid = static_cast<pid_t>(x.find("ppid") ? x.find("ppid")->as_i64().value_or(0) : 0);
      if (auto* c = x.find("comm")) p.comm = c->text;
      if (auto* c = x.find("exe")) p.exepath = c->text;
      if (auto* c = x.find("argv")) {
        p.has_argv = true;
        for (const auto& s : c->items) p.argv.push_back(s.text);
      }
      if (auto* c = x.find("uid")) p.has_uid = true, p.uid = static_cast<uint32_t>(c->as_u64().value_or(0));
      if (auto* c = x.find("user")) p.user = c->text;
      if (auto* c = x.find("pserver")) p.parent_listens = c->type == json::Type::Bool && c->boolean ? 1 : 0;
      if (auto* c = x.find("container")) p.container_id = c->text;
      p.finish();
      if (!first) first = p.pid;
      procs->procs[p.pid] = std::move(p);
    }
  e->proc = first ? procs->find(first) : nullptr;
  e->procs = procs;
  return ok();
}

}  // namespace confine::watch

// Shared with the eBPF source (watch/live_shared.h).
namespace confine::watch {

bool arg_layout(std::string_view sys, ArgLayout* out) {
  const SysArgs* sa = sys_args(sys);
  if (!sa) return false;
  *out = ArgLayout{};
  for (int i = 0; i < 6 && !sa->args[i].name.empty(); ++i) {
    out->name[i] = sa->args[i].name;
    out->kind[i] = static_cast<ArgKind>(static_cast<uint8_t>(sa->args[i].kind));
    out->n = i + 1;
  }
  return true;
}

std::string arg_scalar_text(ArgKind k, uint64_t v) {
  static_assert(static_cast<uint8_t>(AK::CloneFlags) == static_cast<uint8_t>(ArgKind::CloneFlags));
  switch (k) {
    case ArgKind::OpenFlags: return open_flags_text(v & 0xffffffffu);
    case ArgKind::CloneFlags: return clone_flags_text(v);
    case ArgKind::Mode: return mode_text(v & 07777);
    case ArgKind::Fd: return static_cast<int>(v) == -100 ? "AT_FDCWD" : std::to_string(static_cast<int>(v));
    case ArgKind::Hex: {
      char b[24];
      std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
      return b;
    }
    case ArgKind::Family: {
      auto f = family_name(v & 0xffff);
      return f.empty() ? std::to_string(v & 0xffff) : std::string(f);
    }
    case ArgKind::Ptrace: {
      auto f = ptrace_name(v & 0xffffffffu);
      return f.empty() ? std::to_string(v & 0xffffffffu) : std::string(f);
    }
    default: return std::to_string(static_cast<int64_t>(v));
  }
}

std::string container_id_of(std::string_view cgroup) { return container_id_from_cgroup(cgroup); }
bool is_open_syscall(std::string_view name) { return is_open_call(name); }
void fd_of_task(pid_t tid, int fd, std::string* name, FdType* type) { resolve_fd(tid, fd, name, type); }
std::string path_in_task(pid_t pid, const std::string& path, bool follow_last) {
  return resolve_in_task(pid, path, follow_last);
}
bool listens(pid_t pid) { return holds_listening_socket(pid); }

FdFrom fill_fd(std::string_view sys, const uint64_t raw[6], const record::Decoded& d,
               const std::function<std::string(const std::string&, bool)>& resolve, Event* ev) {
  if (!d.files.empty()) {
    ev->has_fd = true;
    // fd.name: the file the call changes or opens, links followed as the kernel will (a read
    // of /etc/shadow through a link elsewhere is a read of /etc/shadow). rename and link
    // create their second path: that is the one they write (their first is evt.arg.oldpath).
    bool to_second = d.files.size() > 1 && (sys == "rename" || sys == "renameat" || sys == "renameat2" ||
                                            sys == "link" || sys == "linkat");
    const std::string& written = to_second ? d.files[1].first : d.files.front().first;
    uint64_t oflags = sys == "open" ? raw[1] : sys == "openat" ? raw[2] : 0;
    bool follow = sys == "execve" || sys == "execveat" || (is_open_call(sys) && !(oflags & O_NOFOLLOW));
    ev->fd_name = resolve(written, follow);
    ev->fd_type = ev->fd_name.starts_with("/memfd:") ? FdType::Memfd : FdType::File;
    if (is_open_call(sys)) {
      uint8_t a = d.files.front().second;
      ev->is_open = true;
      ev->open_read = a & behavior::kRead;
      ev->open_write = (a & (behavior::kWrite | behavior::kCreate)) != 0;
      // O_PATH: a handle that reads and writes nothing (ln -sf probes its target so).
      if (oflags & O_PATH) ev->open_read = ev->open_write = false;
    }
    return FdFrom::Decoded;
  }
  if (!d.connect.empty() || !d.bind.empty()) {
    ev->has_fd = true;
    ev->fd_name = d.connect.empty() ? d.bind : d.connect;
    ev->fd_type = ev->fd_name.starts_with("unix:") ? FdType::Unix
                  : ev->fd_name[0] == '['          ? FdType::Ipv6
                                                   : FdType::Ipv4;
    return FdFrom::Decoded;
  }
  return is_open_call(sys) ? FdFrom::Unread : FdFrom::None;  // an open whose path could not be read
}

bool fill_args(std::string_view sys, const uint64_t raw[6], const record::Decoded& d, record::MemReader& mem,
               Event* ev) {
  ArgLayout lay;
  if (sys.empty() || !arg_layout(sys, &lay)) return true;
  bool complete = true;
  size_t path_i = 0;
  for (int i = 0; i < lay.n; ++i) {
    Arg a;
    a.name = lay.name[i];
    a.raw = raw[i];
    a.has_raw = true;
    switch (lay.kind[i]) {
      case ArgKind::Path:
        if (sys == "execve" || sys == "execveat") {
          a.text = d.exec;
        } else if (path_i < d.files.size()) {
          a.text = d.files[path_i].first;
        } else if (raw[i]) {
          // A path the decoder does not file (chmod, fchmodat): read here, absolute against
          // the dirfd argument before it or the cwd, normalised as the decoder's are.
          if (auto r = mem.read_string(raw[i], 4096)) {
            std::string base;
            if (!r->empty() && (*r)[0] != '/') {
              int dirfd = i > 0 && lay.kind[i - 1] == ArgKind::Fd ? static_cast<int>(raw[i - 1]) : -100;
              base = dirfd == -100 ? mem.cwd() : mem.fd_path(dirfd);
            }
            if (r->empty() || (*r)[0] == '/' || !base.empty())
              a.text = record::join_path(base.empty() ? "/" : base, *r);
            else
              complete = false;
          } else {
            complete = false;
          }
          if (!a.text.empty() && !ev->has_fd) {
            ev->has_fd = true;
            ev->fd_name = a.text;
            ev->fd_type = FdType::File;
          }
        }
        ++path_i;
        break;
      case ArgKind::Str:
        if (a.name == "addr") {
          a.text = d.connect.empty() ? d.bind : d.connect;
        } else if (raw[i]) {
          if (auto s = mem.read_string(raw[i], 4096))
            a.text = std::move(*s);
          else
            complete = false;
        }
        break;
      default: a.text = arg_scalar_text(lay.kind[i], raw[i]); break;
    }
    ev->args.push_back(std::move(a));
  }
  return complete;
}

}  // namespace confine::watch
