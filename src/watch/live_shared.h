// What the unotify source (live.cc) knows about syscall arguments and /proc, shared with the
// eBPF source (watch/ebpf.cc) so both render fields the same way. Defined at the end of live.cc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "record/decode.h"
#include "watch/event.h"

namespace confine::watch {

// How evt.arg.NAME renders an argument (live.cc's table).
enum class ArgKind : uint8_t { Num, Fd, Path, Str, Family, Ptrace, Hex, Mode, OpenFlags, CloneFlags };
struct ArgLayout {
  std::string_view name[6];  // static storage; "" past the last
  ArgKind kind[6] = {};
  int n = 0;
};
// Falco's argument names of syscall SYS; false when the table has none.
bool arg_layout(std::string_view sys, ArgLayout* out);
// The text of a scalar argument (every kind but Path and Str).
std::string arg_scalar_text(ArgKind k, uint64_t v);
// container.id from a /proc/PID/cgroup text or a cgroup path: the first 12 of the first run of
// 64 hex digits, "host" when there is none.
std::string container_id_of(std::string_view cgroup);
// fd.name, fd.typechar and evt.is_open_* of syscall SYS from what the recorder's decoder found:
// the file it opens or changes (rename and link: the path they write), resolved by
// `resolve(path, follow_last_link)` as the kernel will, or the socket address it connects or
// binds. Unread: an open whose path could not be read; None: nothing decoded (the caller may
// still know the descriptor the call uses).
enum class FdFrom { Decoded, Unread, None };
FdFrom fill_fd(std::string_view sys, const uint64_t raw[6], const record::Decoded& d,
               const std::function<std::string(const std::string&, bool)>& resolve, Event* ev);
// evt.arg.* of syscall SYS (Falco's names) into ev->args, from its raw values, what the
// recorder's decoder found (paths, addresses) and the task's memory; a path argument the
// decoder does not file also becomes fd.name when the event has none. False when an argument
// could not be read (the event is partial).
bool fill_args(std::string_view sys, const uint64_t raw[6], const record::Decoded& d, record::MemReader& mem,
               Event* ev);
// Whether NAME is open, openat, openat2 or creat (evt.is_open_*).
bool is_open_syscall(std::string_view name);
// The file an absolute path of task PID names once links are followed (live.cc resolve_in_task).
std::string path_in_task(pid_t pid, const std::string& path, bool follow_last);
// Whether process PID holds a listening TCP socket (proc.pis_server of its children).
bool listens(pid_t pid);
// What an fd of a live task refers to (fd.name, fd.typechar), from /proc/TID/fd/N.
void fd_of_task(pid_t tid, int fd, std::string* name, FdType* type);

}  // namespace confine::watch
