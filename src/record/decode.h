// Syscall argument decoders for the recorder: one notification (arch, name,
// six raw arguments) -> the sensitive argument values, files, exec'd paths and
// network endpoints it shows. Pointer arguments are read through a MemReader
// (process_vm_readv on the live task in the recorder, a fake in tests); the
// caller must validate the notification id after decoding (the task may have
// died and its pid been reused while we read).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "syscalls/arch.h"

namespace confine::record {

class MemReader {
 public:
  virtual ~MemReader() = default;
  // NUL-terminated string at addr (at most max bytes); nullopt if unreadable or not terminated.
  virtual std::optional<std::string> read_string(uint64_t addr, size_t max) = 0;
  // Exactly len bytes at addr; nullopt if unreadable.
  virtual std::optional<std::string> read_bytes(uint64_t addr, size_t len) = 0;
  // Target of /proc/PID/fd/N ("" if unknown) and /proc/PID/cwd.
  virtual std::string fd_path(int fd) = 0;
  virtual std::string cwd() = 0;
};

struct Decoded {
  std::vector<std::pair<std::string, uint64_t>> args;  // ("domain", 2), ...
  std::vector<std::pair<std::string, uint8_t>> files;  // (absolute path, behavior::Access bits)
  std::string exec;                                    // execve/execveat target
  // getdents/getdents64: the directory whose entries were read (its fd's path; behavior::kList).
  // Not in files: a listing opens nothing (watch's fd.name and open events stay the opens').
  std::string listed;
  // An O_PATH open: a handle that reads and writes nothing, which neither Landlock nor AppArmor
  // checks (file_open is not called for it). files still names the path (watch's fd.name); the
  // recorders file nothing for it: rsync opens each component of its destination so (/, /tmp,
  // the working directory), and each became an `r` rule, under Landlock a listing of its tree.
  bool handle_only = false;
  std::optional<uint64_t> family;  // socket domain
  std::string bind, connect;       // "127.0.0.1:8080", "[::1]:80", "unix:/run/x", "unix:@abs"
  bool seccomp_filter = false;     // the task installs its own seccomp filter
  bool used_memory = false;        // something was read from the task (validate the id)
};

// Decodes one syscall. `name` is the syscall name on `arch`.
void decode(Arch arch, std::string_view name, const uint64_t args[6], MemReader& mem, Decoded* out);

// Whether decode() can find anything in a syscall of this name. False means
// decode() is a no-op for it, so the recorder only counts the call (its hot
// path). A unit test checks this against decode() for every known name.
bool decode_relevant(std::string_view name);

// Whether decode() needs the live task for this name: it reads memory (paths,
// sockaddrs, clone3's and openat2's structs, i386 socketcall's argument
// array) or /proc/PID (cwd, fds). The other decode_relevant() names (socket,
// clone, ioctl, mmap, ...) are decoded from the six argument values alone, so
// the perf backend decodes them from its sys_enter samples and never notifies
// them (every notification can turn into a spurious EINTR: docs/record.md,
// "The observer effect"). A unit test checks it against decode().
bool decode_needs_task(std::string_view name);

// Lexical normalisation: "/a/./b//../c" -> "/a/c"; a relative path is joined
// to base first (base must be absolute; otherwise the result is "?/" + path).
std::string join_path(std::string_view base, std::string_view path);

// struct sockaddr bytes -> "127.0.0.1:80", "[::1]:8080", "unix:/path", "unix:@name",
// "unix:unnamed", "AF_<n>" for other families; "" when too short.
std::string format_sockaddr(std::string_view bytes);

// Namespace bits of clone flags (CLONE_NEW*).
inline constexpr uint64_t kCloneNsMask = 0x7E020080ull;

}  // namespace confine::record
