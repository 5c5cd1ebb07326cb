#include "core/file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

namespace confine::file {

namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::string q(const std::string& p) { return "\"" + p + "\""; }

const char* kind_name(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISLNK(m)) return "a symbolic link";
  return "not a regular file";
}

Status write_all(int fd, std::string_view data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::sys("write(" + q(path) + ")", errno);
    }
    off += static_cast<size_t>(n);
  }
  return ok();
}

Result<std::string> read_fd(int fd, const std::string& path, size_t max_bytes) {
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::sys("read(" + q(path) + ")", errno);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > max_bytes)
      return Error(path + ": input too large (more than " + std::to_string(max_bytes) + " bytes)");
  }
  return data;
}

// Read without changing it (/proc/self/status "Umask:", Linux 4.7+), so writers on several
// threads (k8s agent) never see or leave the transient umask(0); umask(2) twice otherwise.
mode_t current_umask() {
  int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[4096];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n > 0) {
      buf[n] = 0;
      if (const char* u = strstr(buf, "\nUmask:\t"))
        return static_cast<mode_t>(strtoul(u + 8, nullptr, 8) & 0777);
    }
  }
  mode_t m = ::umask(0);
  ::umask(m);
  return m;
}

std::string random_suffix() {
  unsigned char b[6];
  if (getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) {
    static unsigned counter = 0;
    unsigned v = static_cast<unsigned>(getpid()) * 2654435761u + ++counter;
    for (auto& c : b) c = static_cast<unsigned char>(v >>= 3);
  }
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (unsigned char c : b) {
    s += hex[c >> 4];
    s += hex[c & 15];
  }
  return s;
}

// "/a/b/" -> ("/a", "b"); "b" -> (".", "b").
std::pair<std::string, std::string> split(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t s = p.rfind('/');
  if (s == std::string::npos) return {".", p};
  if (s == 0) return {"/", p.substr(1)};
  return {p.substr(0, s), p.substr(s + 1)};
}

bool trusted_owner(uid_t uid) { return uid == 0 || uid == geteuid(); }

// Every directory from / down to `real_dir` (a canonical path) must be
// writable by nobody but the caller: owned by root or the caller and without
// group/other write, or sticky with the next component owned by root or the
// caller. `leaf_uid` is the owner of the entry inside real_dir (or -1).
Status check_chain(const std::string& real_dir, long leaf_uid, const std::string& why) {
  std::vector<std::string> comps;
  for (size_t i = 0; i < real_dir.size();) {
    size_t j = real_dir.find('/', i);
    if (j == std::string::npos) j = real_dir.size();
    if (j > i) comps.push_back(real_dir.substr(i, j - i));
    i = j + 1;
  }
  std::string cur = "/";
  struct stat st {};
  if (lstat(cur.c_str(), &st) != 0) return Error::sys("lstat(\"/\")", errno);
  for (size_t k = 0; k <= comps.size(); ++k) {
    std::string next = k < comps.size() ? (cur == "/" ? "/" : cur + "/") + comps[k] : "";
    long next_uid = leaf_uid;
    struct stat nst {};
    if (!next.empty()) {
      if (lstat(next.c_str(), &nst) != 0) return Error::sys("lstat(" + q(next) + ")", errno);
      next_uid = static_cast<long>(nst.st_uid);
    }
    if (!trusted_owner(st.st_uid))
      return Error(why + ": directory " + cur + " is owned by uid " + std::to_string(st.st_uid) +
                   ", not by root or the caller");
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
      bool sticky_ok = (st.st_mode & S_ISVTX) && next_uid >= 0 && trusted_owner(static_cast<uid_t>(next_uid));
      if (!sticky_ok) return Error(why + ": directory " + cur + " is writable by others");
    }
    if (next.empty()) break;
    cur = next;
    st = nst;
  }
  return ok();
}

Result<std::string> real_dir(const std::string& dir) {
  char buf[PATH_MAX];
  if (!realpath(dir.c_str(), buf)) return Error::sys("realpath(" + q(dir) + ")", errno);
  return std::string(buf);
}

// Where a user-named output lands: its directory (canonical) and name there.
struct Target {
  std::string dir, name;
  bool via_symlink = false;
};

Result<Target> resolve(const std::string& path) {
  if (path.empty()) return Error("empty path");
  std::string cur = path;
  bool followed = false;
  for (int hop = 0; hop < 40; ++hop) {
    auto [d, n] = split(cur);
    if (n.empty() || n == "." || n == "..") return Error(path + ": not a file name");
    CONFINE_TRY(std::string rd, real_dir(d));
    struct stat st {};
    std::string full = (rd == "/" ? "/" : rd + "/") + n;
    if (lstat(full.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      if (followed) CONFINE_CHECK(check_chain(rd, geteuid(), path + ": refusing to follow the symlink"));
      return Target{rd, n, followed};
    }
    // A symlink: followed only if nobody but the caller could have planted or retargeted it.
    if (!trusted_owner(st.st_uid))
      return Error(path + ": refusing to follow the symlink " + full + ": owned by uid " +
                   std::to_string(st.st_uid) + ", not by root or the caller");
    CONFINE_CHECK(
        check_chain(rd, static_cast<long>(st.st_uid), path + ": refusing to follow the symlink " + full));
    char buf[PATH_MAX];
    ssize_t len = readlink(full.c_str(), buf, sizeof buf - 1);
    if (len < 0) return Error::sys("readlink(" + q(full) + ")", errno);
    std::string t(buf, static_cast<size_t>(len));
    cur = t.starts_with("/") ? t : rd + "/" + t;
    followed = true;
  }
  return Error::sys("resolving " + q(path), ELOOP);
}

Result<Fd> open_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error::sys("open(" + q(dir) + ", O_DIRECTORY)", errno);
  return Fd(fd);
}

// An existing character device or FIFO, written in place (never replaced).
bool in_place_kind(const std::string& path, struct stat* st) {
  return ::stat(path.c_str(), st) == 0 && (S_ISCHR(st->st_mode) || S_ISFIFO(st->st_mode));
}

// A device or FIFO reached through a symlink (/dev/stdout) is written only
// when the symlink policy allows it: a link planted where others can write
// must not send a profile to /dev/kmsg or a terminal.
Status in_place_allowed(const std::string& path) {
  struct stat l {};
  if (::lstat(path.c_str(), &l) == 0 && S_ISLNK(l.st_mode)) {
    CONFINE_TRY(Target t, resolve(path));
    (void)t;
  }
  return ok();
}

Status write_in_place(const std::string& path, std::string_view bytes) {
  int raw = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (raw < 0) return Error::sys("open(" + q(path) + ", O_WRONLY)", errno);
  Fd fd(raw);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error::sys("fstat(" + q(path) + ")", errno);
  if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
    return Error(path + ": changed while being opened (now " + kind_name(st.st_mode) + ")");
  return write_all(fd.get(), bytes, path);
}

// Checks the existing entry `name` in dirfd; fills *old when it is a regular file.
Status check_existing(int dirfd, const Target& t, const std::string& path, const WriteOptions& opt,
                      struct stat* old, bool* exists) {
  *exists = false;
  if (fstatat(dirfd, t.name.c_str(), old, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return ok();
    return Error::sys("fstatat(" + q(t.dir + "/" + t.name) + ")", errno);
  }
  if (S_ISLNK(old->st_mode))
    return Error(path + ": " + t.dir + "/" + t.name + " became a symbolic link while being written");
  if (!S_ISREG(old->st_mode)) return Error(path + ": is " + kind_name(old->st_mode) + ", not a regular file");
  if (old->st_nlink > 1 && opt.hard_links == HardLinks::Refuse)
    return Error(path + ": has " + std::to_string(old->st_nlink) +
                 " hard links; replacing it would detach this name from the others (which would keep the old "
                 "content): write elsewhere or remove the other links");
  *exists = true;
  return ok();
}

Result<std::pair<Fd, std::string>> create_temp(int dirfd, const Target& t, mode_t mode) {
  for (int i = 0; i < 100; ++i) {
    std::string tmp = "." + t.name.substr(0, 200) + ".confine-" + random_suffix();
    int fd = ::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return std::pair<Fd, std::string>(Fd(fd), tmp);
    if (errno != EEXIST)
      return Error::sys("openat(" + q(t.dir) + ", " + q(tmp) + ", O_CREAT|O_EXCL|O_NOFOLLOW)", errno);
  }
  return Error::sys("openat(" + q(t.dir) + ", temp file)", EEXIST);
}

}  // namespace

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  if (path == "-" || path == "/dev/stdin") return read_fd(0, path == "-" ? "<stdin>" : path, max_bytes);
  // An inherited descriptor named explicitly (bash <(...)): read it, bounded.
  for (std::string_view pre : {"/dev/fd/", "/proc/self/fd/"}) {
    if (path.starts_with(pre) && path.size() > pre.size() && path.size() - pre.size() < 8 &&
        path.find_first_not_of("0123456789", pre.size()) == std::string::npos)
      return read_fd(std::atoi(path.c_str() + pre.size()), path, max_bytes);
  }
  CONFINE_TRY(int raw, open_regular(path));
  Fd fd(raw);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error::sys("fstat(" + q(path) + ")", errno);
  if (static_cast<uint64_t>(st.st_size) > max_bytes)
    return Error(path + ": file too large (" + std::to_string(st.st_size) + " bytes, limit " +
                 std::to_string(max_bytes) + ")");
  return read_fd(fd.get(), path, max_bytes);
}

Result<int> open_regular(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  int raw = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (raw < 0) return Error::sys("open(" + q(path) + ")", errno);
  Fd fd(raw);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error::sys("fstat(" + q(path) + ")", errno);
  if (S_ISDIR(st.st_mode)) return Error::sys("read(" + q(path) + ")", EISDIR);
  if (!S_ISREG(st.st_mode))
    return Error(path + ": is " + kind_name(st.st_mode) +
                 ", not a regular file (use - to read standard input)");
  int fl = fcntl(fd.get(), F_GETFL);
  if (fl >= 0) (void)fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK);
  return fd.release();
}

Status sync_dir(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0) return Error::sys("open(" + q(dir) + ", O_DIRECTORY)", errno);
  if (fsync(d.get()) != 0 && errno != EINVAL) return Error::sys("fsync(" + q(dir) + ")", errno);
  return ok();
}

Status write_file_atomic(const std::string& path, std::string_view bytes, const WriteOptions& opt) {
  struct stat dev {};
  if (in_place_kind(path, &dev)) {
    CONFINE_CHECK(in_place_allowed(path));
    return write_in_place(path, bytes);
  }
  CONFINE_TRY(Target t, resolve(path));
  CONFINE_TRY(Fd dir, open_dir(t.dir));
  struct stat old {};
  bool exists = false;
  CONFINE_CHECK(check_existing(dir.get(), t, path, opt, &old, &exists));
  CONFINE_TRY(auto tmp, create_temp(dir.get(), t, 0600));
  // Named references, not a structured binding: clang 14 (the fuzz build) cannot capture those in a lambda.
  auto& fd = tmp.first;
  auto& tmp_name = tmp.second;
  std::string tmp_path = t.dir + "/" + tmp_name;
  auto fail = [&](Error e) -> Status {
    fd.reset();
    unlinkat(dir.get(), tmp_name.c_str(), 0);
    return e;
  };
  if (auto s = write_all(fd.get(), bytes, tmp_path); !s.ok()) return fail(std::move(s).error());
  if (exists) {
    if ((old.st_uid != geteuid() || old.st_gid != getegid()) &&
        fchown(fd.get(), old.st_uid, old.st_gid) != 0 && errno != EPERM)
      return fail(Error::sys("fchown(" + q(tmp_path) + ")", errno));
    if (fchmod(fd.get(), old.st_mode & 07777) != 0)
      return fail(Error::sys("fchmod(" + q(tmp_path) + ")", errno));
  } else if (fchmod(fd.get(), opt.new_mode & ~current_umask() & 07777) != 0) {
    return fail(Error::sys("fchmod(" + q(tmp_path) + ")", errno));
  }
  if (fsync(fd.get()) != 0) return fail(Error::sys("fsync(" + q(tmp_path) + ")", errno));
  if (::close(fd.release()) != 0) return fail(Error::sys("close(" + q(tmp_path) + ")", errno));
  // The target may have changed kind since it was checked: never replace a directory or a new symlink
  // blindly.
  struct stat again {};
  bool again_exists = false;
  if (auto s = check_existing(dir.get(), t, path, opt, &again, &again_exists); !s.ok())
    return fail(std::move(s).error());
  if (renameat(dir.get(), tmp_name.c_str(), dir.get(), t.name.c_str()) != 0)
    return fail(Error::sys("renameat(" + q(tmp_path) + ", " + q(t.dir + "/" + t.name) + ")", errno));
  if (opt.sync_dir && fsync(dir.get()) != 0 && errno != EINVAL)
    return Error::sys("fsync(" + q(t.dir) + ")", errno);
  return ok();
}

Status write_output(const std::string& path, std::string_view bytes, const WriteOptions& opt) {
  if (path == "-" || path == "/dev/stdout") {  // the descriptor itself: reopening a pipe may be denied
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    if (!std::cout) return Error::sys("write(<stdout>)", errno ? errno : EIO);
    return ok();
  }
  return write_file_atomic(path, bytes, opt);
}

Status check_writable(const std::string& path, const WriteOptions& opt) {
  if (path == "-") return ok();
  struct stat dev {};
  if (in_place_kind(path, &dev)) {
    CONFINE_CHECK(in_place_allowed(path));
    if (S_ISFIFO(dev.st_mode)) return ok();  // opening it would wait for a reader
    if (access(path.c_str(), W_OK) != 0) return Error::sys("access(" + q(path) + ", W_OK)", errno);
    return ok();
  }
  CONFINE_TRY(Target t, resolve(path));
  CONFINE_TRY(Fd dir, open_dir(t.dir));
  struct stat old {};
  bool exists = false;
  CONFINE_CHECK(check_existing(dir.get(), t, path, opt, &old, &exists));
  CONFINE_TRY(auto tmp, create_temp(dir.get(), t, 0600));
  tmp.first.reset();
  unlinkat(dir.get(), tmp.second.c_str(), 0);
  return ok();
}

// ---------------------------------------------------------------- AppendFile

Result<AppendFile> AppendFile::open(const std::string& path) {
  AppendFile f;
  f.path_ = path;
  struct stat st {};
  if (in_place_kind(path, &st)) {
    CONFINE_CHECK(in_place_allowed(path));
    // A FIFO without a reader fails with ENXIO instead of blocking.
    f.fd_ = ::open(path.c_str(), O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (f.fd_ < 0) return Error::sys("open(" + q(path) + ", O_WRONLY|O_NONBLOCK)", errno);
    int fl = fcntl(f.fd_, F_GETFL);
    if (fl >= 0) (void)fcntl(f.fd_, F_SETFL, fl & ~O_NONBLOCK);
    return f;
  }
  CONFINE_TRY(Target t, resolve(path));
  CONFINE_TRY(Fd dir, open_dir(t.dir));
  f.fd_ = ::openat(dir.get(), t.name.c_str(),
                   O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
  if (f.fd_ < 0)
    return Error::sys("openat(" + q(t.dir) + ", " + q(t.name) + ", O_APPEND|O_CREAT|O_NOFOLLOW)", errno);
  if (fstat(f.fd_, &st) != 0) return Error::sys("fstat(" + q(path) + ")", errno);
  if (!S_ISREG(st.st_mode)) return Error(path + ": is " + kind_name(st.st_mode) + ", not a regular file");
  if (st.st_nlink > 1)
    return Error(path + ": has " + std::to_string(st.st_nlink) + " hard links: refusing to append to it");
  return f;
}

AppendFile& AppendFile::operator=(AppendFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status AppendFile::append(std::string_view bytes) {
  if (fd_ < 0) return Error(path_ + ": not open");
  return write_all(fd_, bytes, path_);
}

// ---------------------------------------------------------------- OutputDir

Result<OutputDir> OutputDir::prepare(const std::string& dir, bool (*ours)(std::string_view name)) {
  if (dir.empty()) return Error("empty directory name");
  OutputDir o;
  o.dir_ = dir;
  // A symlinked DIR: switch the directory it names (same policy as files).
  CONFINE_TRY(Target t, resolve(dir));
  CONFINE_TRY(std::string cwd, real_dir("."));
  std::string full = (t.dir == "/" ? "/" : t.dir + "/") + t.name;
  if (full == cwd || cwd.starts_with(full + "/"))
    return Error(dir + ": is the current directory or holds it: choose a directory below it");
  o.parent_ = t.dir;
  o.name_ = t.name;
  CONFINE_TRY(Fd pfd, open_dir(t.dir));
  struct stat st {};
  mode_t mode = 0777;
  if (fstatat(pfd.get(), t.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISDIR(st.st_mode))
      return Error(dir + ": is " + std::string(kind_name(st.st_mode)) + ", not a directory");
    o.existed_ = true;
    mode = st.st_mode & 07777;
    if (ours) {
      std::error_code ec;
      for (const auto& e : std::filesystem::directory_iterator(full, ec)) {
        std::string n = e.path().filename().string();
        if (!ours(n) || e.is_directory(ec) || e.is_symlink(ec))
          return Error(
              dir + ": holds " + n +
              ", which confine did not write: refusing to replace the directory (choose a new or empty one)");
      }
      if (ec) return Error::sys("opendir(" + q(full) + ")", ec.value());
    }
  } else if (errno != ENOENT) {
    return Error::sys("fstatat(" + q(full) + ")", errno);
  }
  for (int i = 0;; ++i) {
    o.tmp_name_ = "." + t.name.substr(0, 200) + ".tmp-" + random_suffix();
    if (mkdirat(pfd.get(), o.tmp_name_.c_str(), 0700) == 0) break;
    if (errno != EEXIST || i > 100)
      return Error::sys("mkdirat(" + q(t.dir) + ", " + q(o.tmp_name_) + ")", errno);
  }
  o.work_ = (t.dir == "/" ? "/" : t.dir + "/") + o.tmp_name_;
  o.parent_fd_ = pfd.release();
  o.done_ = false;
  if (o.existed_) {
    if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
        fchownat(o.parent_fd_, o.tmp_name_.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 &&
        errno != EPERM)
      return Error::sys("fchownat(" + q(o.work_) + ")", errno);
  } else {
    mode &= ~current_umask();
  }
  if (fchmodat(o.parent_fd_, o.tmp_name_.c_str(), mode, 0) != 0)
    return Error::sys("fchmodat(" + q(o.work_) + ")", errno);
  return o;
}

OutputDir::OutputDir(OutputDir&& o) noexcept { *this = std::move(o); }

OutputDir& OutputDir::operator=(OutputDir&& o) noexcept {
  if (this != &o) {
    discard();
    parent_fd_ = o.parent_fd_;
    dir_ = std::move(o.dir_);
    parent_ = std::move(o.parent_);
    name_ = std::move(o.name_);
    tmp_name_ = std::move(o.tmp_name_);
    work_ = std::move(o.work_);
    existed_ = o.existed_;
    done_ = o.done_;
    o.parent_fd_ = -1;
    o.done_ = true;
  }
  return *this;
}

OutputDir::~OutputDir() { discard(); }

void OutputDir::discard() {
  if (!done_ && !work_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(work_, ec);
  }
  done_ = true;
  if (parent_fd_ >= 0) ::close(parent_fd_);
  parent_fd_ = -1;
}

std::string OutputDir::keep() {
  std::string w = work_;
  done_ = true;
  discard();
  return w;
}

Status OutputDir::commit() {
  if (done_) return Error(dir_ + ": output set already committed or discarded");
  // Every file in the set is on disk before the switch.
  if (int wfd = ::open(work_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); wfd >= 0) {
    (void)fsync(wfd);
    ::close(wfd);
  }
  std::string full = (parent_ == "/" ? "/" : parent_ + "/") + name_;
  unsigned flags = existed_ ? RENAME_EXCHANGE : RENAME_NOREPLACE;
  if (renameat2(parent_fd_, tmp_name_.c_str(), parent_fd_, name_.c_str(), flags) != 0)
    return Error::sys(std::string("renameat2(") + q(work_) + ", " + q(full) + ", " +
                          (existed_ ? "RENAME_EXCHANGE" : "RENAME_NOREPLACE") + ")",
                      errno);
  if (existed_) {
    // The old set now sits at the temp name.
    std::error_code ec;
    std::filesystem::remove_all(work_, ec);
  }
  (void)fsync(parent_fd_);
  done_ = true;
  discard();
  return ok();
}

// ---------------------------------------------------------------- escaping

std::string escape_terminal(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string o;
  o.reserve(s.size());
  auto esc = [&](unsigned char c) {
    o += "\\x";
    o += hex[c >> 4];
    o += hex[c & 15];
  };
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f || c == '\\')
        esc(c);
      else
        o += static_cast<char>(c);
      ++i;
      continue;
    }
    // A UTF-8 sequence: kept when well-formed (no overlong forms, surrogates,
    // or code points past U+10FFFF) and not a C1 control (U+0080..U+009F).
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (c > 0xf4) len = 0;
    uint32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    bool good = len != 0 && i + len <= s.size();
    for (size_t k = 1; good && k < len; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) good = false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (good && len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) good = false;
    if (good && len == 4 && (cp < 0x10000 || cp > 0x10ffff)) good = false;
    if (good && cp <= 0x9f) good = false;  // C1 controls (e.g. U+009B CSI)
    if (good) {
      o.append(s.substr(i, len));
      i += len;
    } else {
      esc(c);
      ++i;
    }
  }
  return o;
}

std::string escape_terminal_lines(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (size_t start = 0; start <= s.size();) {
    size_t nl = s.find('\n', start);
    o += escape_terminal(s.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    o += '\n';
    start = nl + 1;
  }
  return o;
}

}  // namespace confine::file
