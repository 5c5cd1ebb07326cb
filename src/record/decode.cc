#include "record/decode.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstring>

#include "behavior/behavior.h"

namespace confine::record {

namespace {
using behavior::kCreate;
using behavior::kExec;
using behavior::kFifo;
using behavior::kRead;
using behavior::kSocket;
using behavior::kTmpfileName;
using behavior::kUnlink;
using behavior::kWrite;

constexpr size_t kPathMax = 4096;
constexpr int kAtFdcwd = -100;
constexpr uint64_t kAtEmptyPath = 0x1000;

struct Ctx {
  Arch arch;
  const uint64_t* a;
  MemReader& mem;
  Decoded* out;
  bool wide() const { return arch == Arch::X86_64; }
  // Pointer/long-sized argument (32 bits on i386 and x32).
  uint64_t ptr(int i) const { return wide() ? a[i] : (a[i] & 0xffffffffull); }
  uint32_t u32(int i) const { return static_cast<uint32_t>(a[i]); }
  int32_t i32(int i) const { return static_cast<int32_t>(a[i]); }

  std::optional<std::string> str(uint64_t addr) {
    if (addr == 0) return std::nullopt;
    out->used_memory = true;
    return mem.read_string(addr, kPathMax);
  }
  std::string base(int32_t dirfd) {
    if (dirfd == kAtFdcwd) return mem.cwd();
    if (dirfd < 0) return "";
    return mem.fd_path(dirfd);
  }
  void file_at(int32_t dirfd, uint64_t addr, uint8_t acc, bool empty_path_ok = false,
               const char* child = nullptr) {
    auto p = str(addr);
    if (!p) return;
    std::string full;
    if (p->empty()) {
      if (!empty_path_ok) return;
      full = base(dirfd);
      if (full.empty()) return;
    } else if ((*p)[0] == '/') {
      full = join_path("/", *p);
    } else {
      full = join_path(base(dirfd), *p);
    }
    if (child) full = join_path(full, child);
    out->files.emplace_back(std::move(full), acc);
  }
  void file(uint64_t addr, uint8_t acc) { file_at(kAtFdcwd, addr, acc); }
  void arg(const char* key, uint64_t v) { out->args.emplace_back(key, v); }
  void sockaddr(uint64_t addr, uint64_t len, bool is_bind) {
    if (addr == 0 || len == 0) return;
    if (len > 128) len = 128;
    out->used_memory = true;
    auto bytes = mem.read_bytes(addr, len);
    if (!bytes) return;
    std::string s = format_sockaddr(*bytes);
    if (s.empty()) return;
    (is_bind ? out->bind : out->connect) = s;
    // bind() to a path creates a socket inode there (relative to the cwd, as the
    // kernel resolves it): a file the program created, of type socket.
    if (is_bind && s.starts_with("unix:") && s.size() > 5 && s[5] != '@' && s != "unix:unnamed") {
      std::string full = join_path(mem.cwd(), s.substr(5));
      out->files.emplace_back(std::move(full), kCreate | kSocket);
    }
  }
};

// The kind of inode mknod(2) makes, as an access bit (0: a regular file, or a device
// node, which stays plain c: no generalisation grants creating devices).
uint8_t mknod_kind(uint32_t mode) {
  switch (mode & S_IFMT) {
    case S_IFSOCK: return kSocket;
    case S_IFIFO: return kFifo;
    default: return 0;
  }
}

bool is_tmpfile(uint64_t flags) { return (flags & O_TMPFILE) == O_TMPFILE; }

uint8_t open_access(uint64_t flags) {
  uint8_t acc = 0;
  switch (flags & O_ACCMODE) {
    case O_RDONLY: acc = kRead; break;
    case O_WRONLY: acc = kWrite; break;
    default: acc = kRead | kWrite; break;
  }
  if (flags & O_PATH) acc = kRead;  // O_PATH opens neither read nor write; count as a lookup
  if (flags & O_CREAT) acc |= kCreate;
  if (flags & O_TRUNC) acc |= kWrite;
  if (is_tmpfile(flags)) acc |= kCreate;  // an unnamed file in the directory
  return acc;
}
}  // namespace

std::string join_path(std::string_view base, std::string_view path) {
  std::string full;
  if (!path.empty() && path[0] == '/') {
    full = std::string(path);
  } else {
    if (base.empty() || base[0] != '/') return "?/" + std::string(path);
    full = std::string(base) + "/" + std::string(path);
  }
  std::vector<std::string_view> parts;
  std::string_view rest = full;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(seg);
  }
  std::string out;
  for (auto s : parts) {
    out += '/';
    out += s;
  }
  return out.empty() ? "/" : out;
}

std::string format_sockaddr(std::string_view b) {
  if (b.size() < 2) return "";
  uint16_t fam;
  std::memcpy(&fam, b.data(), 2);
  char buf[INET6_ADDRSTRLEN];
  if (fam == AF_INET) {
    if (b.size() < sizeof(sockaddr_in)) return "";
    sockaddr_in in;
    std::memcpy(&in, b.data(), sizeof in);
    if (!inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf)) return "";
    return std::string(buf) + ":" + std::to_string(ntohs(in.sin_port));
  }
  if (fam == AF_INET6) {
    if (b.size() < sizeof(sockaddr_in6)) return "";
    sockaddr_in6 in6;
    std::memcpy(&in6, b.data(), sizeof in6);
    if (!inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf)) return "";
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6.sin6_port));
  }
  if (fam == AF_UNIX) {
    std::string_view path = b.substr(2);
    if (path.empty()) return "unix:unnamed";
    if (path[0] == '\0') {
      std::string name(path.substr(1));
      for (char& c : name)
        if (c == '\0') c = '@';
      return "unix:@" + name;
    }
    size_t nul = path.find('\0');
    return "unix:" + std::string(path.substr(0, nul));
  }
  return behavior::family_name(fam);
}

bool decode_relevant(std::string_view n) {
  static constexpr std::string_view kNames[] = {
      "socket",   "socketpair",  "clone",     "clone3",  "unshare",  "setns",         "ioctl",
      "prctl",    "personality", "mmap",      "mmap2",   "mprotect", "pkey_mprotect", "socketcall",
      "seccomp",  "open",        "creat",     "openat",  "openat2",  "execve",        "execveat",
      "mkdir",    "mknod",       "mkdirat",   "mknodat", "unlink",   "rmdir",         "unlinkat",
      "rename",   "renameat",    "renameat2", "link",    "linkat",   "symlink",       "symlinkat",
      "truncate", "truncate64",  "connect",   "bind",    "sendto",   "fcntl",         "fcntl64",
      "getdents", "getdents64"};
  for (auto k : kNames)
    if (k == n) return true;
  return false;
}

bool decode_needs_task(std::string_view n) {
  static constexpr std::string_view kNames[] = {
      "clone3",   "socketcall", "open",    "creat",    "openat",    "openat2",   "execve",   "execveat",
      "mkdir",    "mknod",      "mkdirat", "mknodat",  "unlink",    "rmdir",     "unlinkat", "rename",
      "renameat", "renameat2",  "link",    "linkat",   "symlink",   "symlinkat", "truncate", "truncate64",
      "connect",  "bind",       "sendto",  "getdents", "getdents64"};
  for (auto k : kNames)
    if (k == n) return true;
  return false;
}

void decode(Arch arch, std::string_view n, const uint64_t args[6], MemReader& mem, Decoded* out) {
  Ctx c{arch, args, mem, out};
  // --- sensitive argument values
  if (n == "socket" || n == "socketpair") {
    c.arg("domain", c.u32(0));
    c.arg("type", c.u32(1) & 0xf);  // SOCK_TYPE_MASK; NONBLOCK/CLOEXEC are not interesting
    out->family = c.u32(0);
  } else if (n == "clone") {
    c.arg("ns_flags", c.ptr(0) & kCloneNsMask);
  } else if (n == "clone3") {
    if (c.ptr(0) && c.ptr(1) >= 8) {
      out->used_memory = true;
      if (auto b = mem.read_bytes(c.ptr(0), 8)) {
        uint64_t flags;
        std::memcpy(&flags, b->data(), 8);
        c.arg("ns_flags", flags & kCloneNsMask);
      }
    }
  } else if (n == "unshare") {
    c.arg("flags", c.u32(0));
  } else if (n == "setns") {
    c.arg("nstype", c.u32(1));
  } else if (n == "ioctl") {
    c.arg("request", c.u32(1));
  } else if (n == "prctl") {
    c.arg("option", c.u32(0));
    if (c.u32(0) == 22 && c.u32(1) == 2) out->seccomp_filter = true;  // PR_SET_SECCOMP, SECCOMP_MODE_FILTER
  } else if (n == "personality") {
    c.arg("persona", c.u32(0));
  } else if (n == "mmap" || n == "mmap2" || n == "mprotect" || n == "pkey_mprotect") {
    if (!(n == "mmap" && arch == Arch::X86))  // i386 old mmap takes a pointer to its arguments
      c.arg("prot", c.u32(2) & 0x6);          // PROT_WRITE | PROT_EXEC
  } else if (n == "socketcall") {
    c.arg("call", c.u32(0));
  } else if (n == "fcntl" || n == "fcntl64") {
    c.arg("cmd", c.u32(1));  // the apparmor generator's file-lock row looks for the lock commands
  } else if (n == "seccomp") {
    c.arg("op", c.u32(0));
    if (c.u32(0) == 1) out->seccomp_filter = true;  // SECCOMP_SET_MODE_FILTER
  }
  // --- files
  if (n == "open" || n == "openat") out->handle_only = (c.u32(n == "open" ? 1 : 2) & O_PATH) != 0;
  if (n == "open") {
    c.file_at(kAtFdcwd, c.ptr(0), open_access(c.u32(1)), false,
              is_tmpfile(c.u32(1)) ? kTmpfileName : nullptr);
  } else if (n == "creat") {
    c.file(c.ptr(0), kWrite | kCreate);
  } else if (n == "openat") {
    c.file_at(c.i32(0), c.ptr(1), open_access(c.u32(2)), false,
              is_tmpfile(c.u32(2)) ? kTmpfileName : nullptr);
  } else if (n == "openat2") {
    if (c.ptr(2) && c.ptr(3) >= 8) {
      out->used_memory = true;
      if (auto b = mem.read_bytes(c.ptr(2), 8)) {
        uint64_t flags;
        std::memcpy(&flags, b->data(), 8);
        out->handle_only = (flags & O_PATH) != 0;
        c.file_at(c.i32(0), c.ptr(1), open_access(flags), false, is_tmpfile(flags) ? kTmpfileName : nullptr);
      }
    }
  } else if (n == "execve") {
    c.file(c.ptr(0), kExec);
  } else if (n == "execveat") {
    c.file_at(c.i32(0), c.ptr(1), kExec, (c.u32(4) & kAtEmptyPath) != 0);
  } else if (n == "mkdir") {
    c.file(c.ptr(0), kCreate);
  } else if (n == "mknod") {
    c.file(c.ptr(0), kCreate | mknod_kind(c.u32(1)));
  } else if (n == "mkdirat") {
    c.file_at(c.i32(0), c.ptr(1), kCreate);
  } else if (n == "mknodat") {
    c.file_at(c.i32(0), c.ptr(1), kCreate | mknod_kind(c.u32(2)));
  } else if (n == "unlink" || n == "rmdir") {
    c.file(c.ptr(0), kUnlink);
  } else if (n == "unlinkat") {
    c.file_at(c.i32(0), c.ptr(1), kUnlink);
  } else if (n == "rename") {
    c.file(c.ptr(0), kUnlink);
    c.file(c.ptr(1), kCreate);
  } else if (n == "renameat" || n == "renameat2") {
    c.file_at(c.i32(0), c.ptr(1), kUnlink);
    c.file_at(c.i32(2), c.ptr(3), kCreate);
  } else if (n == "link") {
    c.file(c.ptr(0), kRead);
    c.file(c.ptr(1), kCreate);
  } else if (n == "linkat") {
    c.file_at(c.i32(0), c.ptr(1), kRead);
    c.file_at(c.i32(2), c.ptr(3), kCreate);
  } else if (n == "symlink") {
    c.file(c.ptr(1), kCreate);
  } else if (n == "symlinkat") {
    c.file_at(c.i32(1), c.ptr(2), kCreate);
  } else if (n == "truncate" || n == "truncate64") {
    c.file(c.ptr(0), kWrite);
  } else if (n == "getdents" || n == "getdents64") {
    // The directory listed: an open of it alone is no listing (a program opens its working
    // directory to come back to it, rsync opens each component with O_PATH).
    if (c.i32(0) >= 0) {
      out->used_memory = true;  // /proc/PID/fd: validate the notification id after
      std::string d = c.base(c.i32(0));
      if (d.starts_with("/") && !d.ends_with(" (deleted)")) out->listed = join_path("/", d);
    }
  }
  for (const auto& [p, acc] : out->files)
    if (acc & kExec) out->exec = p;
  // --- network
  if (n == "connect") {
    c.sockaddr(c.ptr(1), c.u32(2), false);
  } else if (n == "bind") {
    c.sockaddr(c.ptr(1), c.u32(2), true);
  } else if (n == "sendto") {
    c.sockaddr(c.ptr(4), c.u32(5), false);
  } else if (n == "socketcall" && (c.u32(0) == 1 || c.u32(0) == 2 || c.u32(0) == 3)) {
    // i386 socketcall(call, unsigned long args[]): socket=1, bind=2, connect=3.
    out->used_memory = true;
    if (auto b = mem.read_bytes(c.ptr(1), 12)) {
      uint32_t v[3];
      std::memcpy(v, b->data(), sizeof v);
      if (c.u32(0) == 1) {
        c.arg("domain", v[0]);
        c.arg("type", v[1] & 0xf);
        out->family = v[0];
      } else {
        c.sockaddr(v[1], v[2], c.u32(0) == 2);
      }
    }
  }
}

}  // namespace confine::record
