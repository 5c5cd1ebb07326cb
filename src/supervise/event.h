// The complain/notification event: the one typed record the supervisor's
// observers produce, with the one writer and the one reader of its JSON line
// (`confine run --log`, the sandbox's event pipe, `confine logs`, `harden`).
//
//   seccomp:  {"kind":"seccomp","pid":3,"comm":"sh","syscall":"mkdir","nr":83,"arch":"x86_64",
//              "args":["0x7ffd..","0x1ff","0x0","0x0","0x0","0x0"]}
//   apparmor: {"kind":"apparmor"[,"enforcer":"landlock"],"profile":"p","syscall":"openat",
//              "arch":"x86_64","pid":3,"comm":"sh","operation":"open","path":"/tmp/f"
//              [,"directory":true],"requested":"w","denied":"w","mask":"wc"[,"landlock":"write_file"],
//              "rule":"","info":"no rule allows it"[,"target":"/x"][,"owner_assumed":true]}
//
// "requested"/"denied": profile letters rwalkmx; "mask": the kernel's log letters (c = create,
// d = delete); "rule": the deny rule that decided it ("" when no rule allows it); "enforcer":
// "landlock" when the profile allows the access and its Landlock translation does not.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace confine::supervise {

enum class EventKind { Seccomp, AppArmor };

struct Event {
  EventKind kind = EventKind::Seccomp;
  pid_t pid = 0;
  std::string comm;     // the task's name (set by the task: untrusted text)
  std::string syscall;  // "mkdir" ("nr 999" when unknown)
  std::string arch;     // "x86_64", "x86", "x32" (hex audit arch when unknown)
  // seccomp
  int32_t nr = 0;
  std::array<uint64_t, 6> args{};
  // apparmor
  bool landlock_enforcer = false;  // "enforcer":"landlock"
  std::string profile, operation, path;
  bool directory = false;
  std::string requested, denied, mask;
  std::string landlock;  // Landlock rights the translation lacks ("enforcer":"landlock" only)
  std::string rule, info, target;
  bool owner_assumed = false;

  bool operator==(const Event&) const = default;
};

// The JSON line (no newline).
std::string to_json(const Event& e);

// Reads a line written by to_json. Unknown members are ignored; a line that is not a
// JSON object, has no known "kind", or lacks a kind's mandatory members
// (seccomp: syscall, arch; apparmor: path, denied) is an error.
Result<Event> parse_event(std::string_view line);

// One line for a terminal (not escaped: comm and paths come from the task):
//   seccomp:  "pid 3 (sh) mkdir(0x7ffd.., 0x1ff, ...) would be denied" (" [x86]" before
//             "would" when not x86_64)
//   apparmor: "apparmor would deny openat /tmp/f (w) [pid 3 sh; no rule allows it]"
//             "landlock would deny mknodat /tmp/s (c) [pid 3 sh; ...]"
std::string to_text(const Event& e);

// The path as reports show it: "/tmp/d/" for a directory.
std::string display_path(const Event& e);

}  // namespace confine::supervise
