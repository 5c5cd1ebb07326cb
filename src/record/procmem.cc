#include "record/procmem.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

namespace confine::record {

namespace {
std::string read_link(const std::string& p) {
  char buf[4096];
  ssize_t n = readlink(p.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return "";  // error, or truncated: unknown
  return std::string(buf, static_cast<size_t>(n));
}
}  // namespace

std::optional<std::string> ProcMemReader::read_string(uint64_t addr, size_t max) {
  std::string out;
  const uint64_t page = 4096;
  while (out.size() < max) {
    // Never cross a page boundary in one read: the next page may be unmapped.
    size_t chunk = static_cast<size_t>(page - (addr % page));
    if (chunk > max - out.size()) chunk = max - out.size();
    char buf[4096];
    iovec local{buf, chunk};
    iovec remote{reinterpret_cast<void*>(addr), chunk};
    ssize_t n = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
    if (n <= 0) return std::nullopt;
    const char* nul = static_cast<const char*>(std::memchr(buf, 0, static_cast<size_t>(n)));
    if (nul) {
      out.append(buf, static_cast<size_t>(nul - buf));
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
    addr += static_cast<uint64_t>(n);
  }
  return std::nullopt;
}

std::optional<std::string> ProcMemReader::read_bytes(uint64_t addr, size_t len) {
  std::string out(len, '\0');
  iovec local{out.data(), len};
  iovec remote{reinterpret_cast<void*>(addr), len};
  ssize_t n = process_vm_readv(pid_, &local, 1, &remote, 1, 0);
  if (n != static_cast<ssize_t>(len)) return std::nullopt;
  return out;
}

std::string ProcMemReader::fd_path(int fd) {
  return read_link("/proc/" + std::to_string(pid_) + "/fd/" + std::to_string(fd));
}

std::string ProcMemReader::cwd() { return read_link("/proc/" + std::to_string(pid_) + "/cwd"); }

}  // namespace confine::record
