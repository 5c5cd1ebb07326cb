// Behavior: what a workload did, per architecture. Recorders and log parsers
// write it; generators (src/generate) read only it. behavior.json is its file
// format (docs/record.md):
//
//   {"version": 1, "command": ["ls", "-la"], "exit_status": 0,
//    "partial": false, "partial_reason": "",
//    "notes": ["..."],
//    "arches": {"x86_64": {"openat": {"count": 12},
//                          "socket": {"count": 1, "args": {"domain": [2], "type": [1]}}}},
//    "files": [{"path": "/etc/passwd", "access": "r"}],   // r w c x d s p (d = unlink/rmdir,
//                                                         // s = created as a unix socket by bind(),
//                                                         // p = created as a fifo by mkfifo/mknod)
//    "execs": ["/usr/bin/ls"],
//    "network": {"families": ["AF_INET"], "bind": ["127.0.0.1:8000"], "connect": []},
//    "processes": [{"comm": "ls", "exe": "/usr/bin/ls"}]}
//
// Error counts ("errors": {"ENOENT": 3} per syscall) come from a separate
// observer (record/errors.h: perf on raw_syscalls:sys_exit, root only): the
// user-notification supervisor never sees a return value. "errors_observed"
// says whether the counts exist at all (false: unknown, not zero).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "json/json.h"
#include "syscalls/arch.h"

namespace confine::behavior {

// File access bits ("rwcxdspe"). kSocket and kFifo say which kind of inode a creation
// made (with kCreate): a unix socket bound at the path (bind(), mknod S_IFSOCK) or a
// fifo (mkfifo, mknod S_IFIFO); kCreate alone is a regular file or a directory. kList:
// the directory's entries were read (getdents on it); an open of a directory is kRead
// alone, whether the program then listed it or only kept it to come back to (fchdir,
// O_PATH, openat's dirfd): the path rows tell a walked tree by kList.
enum Access : uint8_t {
  kRead = 1,
  kWrite = 2,
  kCreate = 4,
  kExec = 8,
  kUnlink = 16,
  kSocket = 32,
  kFifo = 64,
  kList = 128,
};
// An open with O_TMPFILE makes an unnamed file in the directory it names (the kernel calls it
// #INODE there): recorded as DIR/#tmpfile, with the access of the open and c (path row tmpfile).
inline constexpr const char* kTmpfileName = "#tmpfile";
std::string access_str(uint8_t a);                    // "rw", "rwc", ...
Result<uint8_t> access_from_str(std::string_view s);  // inverse; error on other letters

struct SyscallInfo {
  uint64_t count = 0;
  // Observed values of sensitive arguments by key ("domain", "type", "flags",
  // "request", "option", "persona", "prot", "call", "nstype").
  std::map<std::string, std::set<uint64_t>> args;
  std::map<int, uint64_t> errors;  // errno -> failed calls (when Behavior::errors_observed)
  uint64_t error_count() const;
  bool operator==(const SyscallInfo&) const = default;
};

struct Process {
  std::string comm, exe;
  auto operator<=>(const Process&) const = default;
};

struct Behavior {
  std::vector<std::string> command;
  std::optional<int> exit_status;
  bool partial = false;
  std::string partial_reason;
  std::vector<std::string> notes;
  // Keyed by arch (X86_64, X86, X32); inner map by syscall name ("nr 999" when unknown).
  std::map<Arch, std::map<std::string, SyscallInfo>> arches;
  std::map<std::string, uint8_t> files;  // path -> Access bits
  bool files_truncated = false;          // too many distinct paths were seen; the list is a prefix
  bool errors_observed = false;          // SyscallInfo::errors were counted
  std::set<std::string> execs;
  std::set<std::string> net_families;  // "AF_INET", "AF_UNIX", ... ("AF_<n>" when unknown)
  std::set<std::string> binds, connects;
  std::set<Process> processes;
  bool operator==(const Behavior&) const = default;

  // Distinct syscall names over all arches.
  std::set<std::string> syscall_names() const;
  uint64_t total_calls() const;
};

inline constexpr size_t kMaxFiles = 20000;

// Adds `access` to the path's letters; a new path past kMaxFiles is not filed and marks the
// behaviour files_truncated.
void add_file(Behavior& b, std::string path, uint8_t access);

// Union of b into a: counts add, sets unite, partial if either is, exit status
// kept from a when set, notes deduplicated.
void merge(Behavior& a, const Behavior& b);

json::Value to_json(const Behavior& b);
std::string format_behavior(const Behavior& b);
// Strict: unknown keys, wrong types, unknown arches and bad access letters are
// errors with file:line:col.
Result<Behavior> from_json(const json::Value& doc);
Result<Behavior> parse_behavior(std::string_view text, std::string_view file);
Result<Behavior> load_behavior(const std::string& path);

// errno <-> behavior.json key: "ENOENT", the kernel's restart codes 512..516
// as "ERESTARTSYS" etc., "E<n>" otherwise.
std::string errno_key(int err);
Result<int> errno_from_key(std::string_view key);

// "AF_INET" for 2, "AF_<n>" when unknown.
std::string family_name(uint64_t family);

}  // namespace confine::behavior
