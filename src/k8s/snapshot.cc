#include "k8s/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace confine::k8s {

namespace {
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string q(const std::string& s) { return "\"" + s + "\""; }

Result<std::string> read_link(int dirfd, const char* name, const std::string& where) {
  char buf[4096];
  ssize_t n = readlinkat(dirfd, name, buf, sizeof buf);
  if (n < 0) return Error::sys("readlinkat(" + q(where) + ", " + q(name) + ")", errno);
  if (static_cast<size_t>(n) >= sizeof buf) return Error(where + "/" + name + ": link target too long");
  return std::string(buf, static_cast<size_t>(n));
}

enum class Torn { No, Yes };

// One attempt. Torn::Yes: the directory went away under us (an update): read again.
Result<std::pair<Snapshot, Torn>> read_once(int mfd, const std::string& mount, size_t max_value) {
  Snapshot s;
  s.mount = mount;
  CONFINE_TRY(s.target, read_link(mfd, "..data", mount));
  // The kubelet writes a single relative name ("..2026_..."); anything else is not its layout.
  if (s.target.empty() || s.target.find('/') != std::string::npos || s.target.rfind("..", 0) != 0 ||
      s.target == ".." || s.target == "..data")
    return Error(mount + "/..data -> " + q(s.target) +
                 ": not the kubelet's layout (a timestamped directory \"..YYYY_MM_DD_...\" next to it)");
  Fd dfd(openat(mfd, s.target.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dfd.fd < 0) {
    if (errno == ENOENT) return std::pair<Snapshot, Torn>(std::move(s), Torn::Yes);
    return Error::sys("openat(" + q(mount) + ", " + q(s.target) + ", O_DIRECTORY|O_NOFOLLOW)", errno);
  }
  int lfd = dup(dfd.fd);
  if (lfd < 0) return Error::sys("dup", errno);
  DIR* d = fdopendir(lfd);
  if (!d) {
    ::close(lfd);
    return Error::sys("fdopendir(" + q(mount + "/" + s.target) + ")", errno);
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    SnapshotFile f;
    f.name = n;
    struct stat st {};
    if (fstatat(dfd.fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return std::pair<Snapshot, Torn>(std::move(s), Torn::Yes);
      f.error = Error::sys("fstatat", errno).message();
    } else if (S_ISLNK(st.st_mode)) {
      auto t = read_link(dfd.fd, n.c_str(), mount);
      f.error = "a symbolic link" + (t.ok() ? " (to " + q(*t) + ")" : std::string()) +
                ": a ConfigMap key is a regular file; never followed";
    } else if (S_ISDIR(st.st_mode)) {
      f.error = "a directory: a bundle's keys are flat files";
    } else if (!S_ISREG(st.st_mode)) {
      f.error = "not a regular file";
    } else if (static_cast<uint64_t>(st.st_size) > max_value) {
      f.error = std::to_string(st.st_size) + " bytes, more than a ConfigMap can hold (" +
                std::to_string(max_value) + "): not read";
    } else {
      int fd = openat(dfd.fd, n.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        if (errno == ENOENT) return std::pair<Snapshot, Torn>(std::move(s), Torn::Yes);
        f.error = Error::sys("openat", errno).message();
      } else {
        Fd ffd(fd);
        struct stat fst {};
        if (fstat(fd, &fst) != 0 || !S_ISREG(fst.st_mode)) {
          f.error = "changed type while being opened";
        } else {
          char buf[65536];
          for (;;) {
            ssize_t r = read(fd, buf, sizeof buf);
            if (r < 0) {
              if (errno == EINTR) continue;
              f.error = Error::sys("read", errno).message();
              break;
            }
            if (r == 0) break;
            f.content.append(buf, static_cast<size_t>(r));
            if (f.content.size() > max_value) {
              f.error = "grew past " + std::to_string(max_value) + " bytes while being read: not used";
              f.content.clear();
              break;
            }
          }
        }
      }
    }
    if (!f.error.empty()) f.content.clear();
    s.files.push_back(std::move(f));
  }
  // ..data moved while we read: the old directory may have lost entries; read the new one.
  auto again = read_link(mfd, "..data", mount);
  if (!again.ok() || *again != s.target) return std::pair<Snapshot, Torn>(std::move(s), Torn::Yes);
  return std::pair<Snapshot, Torn>(std::move(s), Torn::No);
}
}  // namespace

const SnapshotFile* Snapshot::find(const std::string& name) const {
  for (const auto& f : files)
    if (f.name == name) return &f;
  return nullptr;
}

bool is_configmap_volume(const std::string& dir) {
  struct stat st {};
  return lstat((dir + "/..data").c_str(), &st) == 0;
}

Result<Snapshot> read_snapshot(const std::string& mount, size_t max_value) {
  Fd mfd(open(mount.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (mfd.fd < 0) return Error::sys("open(" + q(mount) + ", O_DIRECTORY)", errno);
  for (int attempt = 0; attempt < 20; ++attempt) {
    CONFINE_TRY(auto r, read_once(mfd.fd, mount, max_value));
    if (r.second == Torn::No) return std::move(r.first);
    usleep(10000u * static_cast<unsigned>(attempt + 1));
  }
  return Error(mount + ": ..data kept changing while it was read (20 attempts)");
}

}  // namespace confine::k8s
