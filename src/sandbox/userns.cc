#include "sandbox/userns.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace confine::sandbox {

namespace {
Status write_proc(pid_t pid, const char* file, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + file;
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Error::sys("open(\"" + path + "\", O_WRONLY)", errno);
  ssize_t n = write(fd, text.data(), text.size());
  int e = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    std::string shown = text;
    if (!shown.empty() && shown.back() == '\n') shown.pop_back();
    return Error::sys("write(\"" + path + "\", \"" + shown + "\")", n < 0 ? e : EIO);
  }
  return ok();
}
}  // namespace

Status write_id_maps(pid_t child, const UserNsConfig& c) {
  CONFINE_CHECK(write_proc(child, "setgroups", "deny\n"));
  CONFINE_CHECK(
      write_proc(child, "uid_map", std::to_string(c.inner_uid) + " " + std::to_string(c.outer_uid) + " 1\n"));
  CONFINE_CHECK(
      write_proc(child, "gid_map", std::to_string(c.inner_gid) + " " + std::to_string(c.outer_gid) + " 1\n"));
  return ok();
}

std::string describe(const UserNsConfig& c) {
  return "uid " + std::to_string(c.inner_uid) + " -> " + std::to_string(c.outer_uid) + ", gid " +
         std::to_string(c.inner_gid) + " -> " + std::to_string(c.outer_gid) + ", setgroups denied";
}

}  // namespace confine::sandbox
