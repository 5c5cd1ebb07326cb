// The typed event the watch rule engine evaluates (docs/watch.md "Events and fields").
//
// A source (the unotify supervisor today, the eBPF source later) fills an Event per
// syscall of interest. Every field a source cannot fill is *absent*: printed `<NA>` in
// outputs, and every comparison on it is false (Falco's semantics; `not` of a false
// comparison is true, and `FIELD exists` is the way to test for it). The unotify source
// sees a syscall at its entry, before it runs: evt.res is always absent and evt.dir is '>'.
//
// Strings are owned by the event or by the process table it points to, so evaluating
// rules on an event allocates nothing: fields resolve lazily to string_views into them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "syscalls/arch.h"

namespace confine::watch {

// One process (thread group) as the source knows it. Ancestors are found through
// ProcLookup by ppid.
struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  bool has_uid = false;
  uint32_t uid = 0;
  std::string comm;     // proc.name (task comm: at most 15 bytes)
  std::string exepath;  // proc.exepath ("" = absent)
  std::vector<std::string> argv;
  std::string args;          // proc.args: argv[1..] joined by spaces
  std::string cmdline;       // proc.cmdline: comm + " " + args (Falco's form)
  std::string user;          // user.name ("" = absent)
  std::string container_id;  // container.id: "host" outside a container, "" = absent
  bool has_argv = false;
  // proc.pis_server: the parent held a listening TCP socket when this program was started
  // (-1 unknown, 0 no, 1 yes). Filled at execve, for rules on what a network server starts.
  int8_t parent_listens = -1;
  // Derived strings (args, cmdline) from comm and argv.
  void finish();
};

class ProcLookup {
 public:
  virtual ~ProcLookup() = default;
  // The process with this pid, or nullptr when unknown (gone, outside the watched tree).
  virtual const ProcInfo* find(pid_t pid) = 0;
};

// File-descriptor type letters (fd.typechar), as Falco prints them.
enum class FdType : char {
  None = 0,
  File = 'f',
  Dir = 'd',
  Ipv4 = '4',
  Ipv6 = '6',
  Unix = 'u',
  Pipe = 'p',
  Event = 'e',
  Signal = 's',
  Memfd = 'm',
  Netlink = 'n',
  Other = 'o'
};

// A named syscall argument: evt.arg.NAME renders `text`, evt.rawarg.NAME is `raw`.
struct Arg {
  std::string_view name;  // static storage (the argument tables)
  std::string text;
  uint64_t raw = 0;
  bool has_raw = false;
};

struct Event {
  uint64_t ts_ns = 0;  // CLOCK_REALTIME, ns
  Arch arch = Arch::X86_64;
  int32_t nr = -1;
  std::string_view type;  // syscall name (static storage); "" when the number has no name
  uint64_t raw[6] = {};
  pid_t tid = 0;
  const ProcInfo* proc = nullptr;  // absent when null
  ProcLookup* procs = nullptr;     // for proc.pname / proc.aname[N]
  // The file or socket the syscall names: a path (absolute), an address ("127.0.0.1:80").
  bool has_fd = false;
  std::string fd_name;
  FdType fd_type = FdType::None;
  // open*: what the flags ask for (evt.is_open_read/write/exec).
  bool open_read = false, open_write = false, open_exec = false, is_open = false;
  bool has_res = false;
  int64_t res = 0;
  std::vector<Arg> args;  // reused across events by the source (no allocation once warm)

  void reset() {
    ts_ns = 0, nr = -1, type = {}, tid = 0, proc = nullptr;
    has_fd = false, fd_name.clear(), fd_type = FdType::None;
    open_read = open_write = open_exec = is_open = false;
    has_res = false, res = 0;
    for (auto& a : args) a.text.clear();
    args.clear();
    for (auto& r : raw) r = 0;
  }
  const Arg* arg(std::string_view name) const {
    for (const auto& a : args)
      if (a.name == name) return &a;
    return nullptr;
  }
};

}  // namespace confine::watch
