#include "sandbox/fds.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>

namespace confine::sandbox {

Status close_fds(const FdConfig& c, const std::vector<int>& also_keep) {
  std::vector<int> keep = c.keep;
  keep.insert(keep.end(), also_keep.begin(), also_keep.end());
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  unsigned lo = 3;
  for (int k : keep) {
    if (k < 3) continue;
    unsigned uk = static_cast<unsigned>(k);
    if (uk > lo && syscall(SYS_close_range, lo, uk - 1, 0) != 0)
      return Error::sys("close_range(" + std::to_string(lo) + ", " + std::to_string(uk - 1) + ", 0)", errno);
    lo = uk + 1;
  }
  if (syscall(SYS_close_range, lo, UINT_MAX, 0) != 0)
    return Error::sys("close_range(" + std::to_string(lo) + ", UINT_MAX, 0)", errno);
  // Kept fds must survive exec.
  for (int k : c.keep) {
    int fl = fcntl(k, F_GETFD);
    if (fl < 0) return Error::sys("fcntl(" + std::to_string(k) + ", F_GETFD) for --keep-fd", errno);
    if ((fl & FD_CLOEXEC) && fcntl(k, F_SETFD, fl & ~FD_CLOEXEC) != 0)
      return Error::sys("fcntl(" + std::to_string(k) + ", F_SETFD, 0)", errno);
  }
  return ok();
}

Status validate(const FdConfig& c) {
  for (int k : c.keep) {
    if (k < 0) return Error("--keep-fd " + std::to_string(k) + ": not a file descriptor number");
    if (fcntl(k, F_GETFD) < 0)
      return Error::sys("--keep-fd " + std::to_string(k) + ": fcntl(F_GETFD)", errno);
  }
  return ok();
}

Status new_session() {
  if (setsid() < 0) return Error::sys("setsid()", errno);
  return ok();
}

Status apply_env(const EnvConfig& c) {
  if (c.clear) {
    if (clearenv() != 0) return Error("clearenv() failed");
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
  }
  for (const auto& kv : c.set) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return Error("--env " + kv + ": expected NAME=VALUE");
    if (setenv(kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str(), 1) != 0)
      return Error::sys("setenv(\"" + kv.substr(0, eq) + "\")", errno);
  }
  return ok();
}

std::string describe(const FdConfig& c) {
  std::string s = "close every fd but 0,1,2";
  for (int k : c.keep) s += "," + std::to_string(k);
  return s + "; new session (setsid), no controlling terminal";
}

std::string describe(const EnvConfig& c) {
  std::string s = c.clear ? "cleared (PATH set to the default)" : "inherited";
  for (const auto& kv : c.set) s += "; " + kv.substr(0, kv.find('='));
  return s;
}

}  // namespace confine::sandbox
