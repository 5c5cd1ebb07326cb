// Every file confine reads from the user or writes goes through here.
//
//   CONFINE_TRY(std::string text, file::read_file(path, file::kMaxProfileBytes));
//   CONFINE_CHECK(file::write_file_atomic(path, text));
//   CONFINE_CHECK(file::write_output(path_or_dash, text));          // "-" = stdout
//   CONFINE_TRY(file::AppendFile log, file::AppendFile::open(path));  // --log
//   CONFINE_TRY(file::OutputDir d, file::OutputDir::prepare("prof"));  // record/harden -o
//   ... write into d.work() ... CONFINE_CHECK(d.commit());
//
// Writing (write_file_atomic):
//   - the target's directory is opened once (O_DIRECTORY|O_NOFOLLOW on the last
//     component); the temp file is created in it with openat(O_EXCL|O_NOFOLLOW|
//     O_CREAT|O_CLOEXEC) under a random name, written, fsync'd, renamed over the
//     target with renameat, and the directory is fsync'd. A symlink planted at
//     any name in the directory is never followed.
//   - an existing target keeps its mode and owner; a new file gets 0644 (or
//     WriteOptions::new_mode) minus the umask.
//   - a symlink named by the user is followed only if the link and every
//     directory on its way are writable by nobody but the caller (root or the
//     caller owns them, no group/other write unless sticky with the entry owned
//     by the caller or root); otherwise the write is refused, with the reason.
//   - a target with more than one hard link is refused: replacing it would
//     silently detach it from its other names (the other names would keep the
//     old content). Write elsewhere or remove the other names.
//   - an existing character device or FIFO (-o /dev/null, -o /dev/stdout to a
//     pipe) is written in place; a directory, block device or socket is refused.
// Reading (read_file): a regular file, opened O_NONBLOCK|O_NOFOLLOW-free (a
// FIFO must not block the open) and refused unless it is a regular file; "-"
// and "/dev/stdin" read standard input, whatever it is, up to the bound.
// Every error names the syscall and the path.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.h"

namespace confine::file {

// Bounds per input kind: generous, finite.
inline constexpr size_t kMaxProfileBytes = 64u << 20;  // seccomp/AppArmor/behavior/OCI documents
inline constexpr size_t kMaxLogBytes = 512u << 20;     // audit logs, journal exports

enum class HardLinks {
  Refuse,  // default: a target with st_nlink > 1 is an error
  Break,   // replace this name only; the other names keep the old content
};

struct WriteOptions {
  mode_t new_mode = 0644;  // for a file that does not exist yet (the umask applies)
  HardLinks hard_links = HardLinks::Refuse;
  // false: the directory is not fsync'd after the rename; the caller writing a batch of
  // files into one directory fsyncs it once at the end (sync_dir()), before relying on them.
  bool sync_dir = true;
};

// fsync(2) of a directory (after a batch written with WriteOptions::sync_dir = false).
Status sync_dir(const std::string& dir);

// Reads `path` ("-" or "/dev/stdin" = standard input) with a bound.
Result<std::string> read_file(const std::string& path, size_t max_bytes = kMaxProfileBytes);

// Opens a user-named input for reading (O_RDONLY|O_CLOEXEC, the FIFO-safe
// open of read_file) and refuses anything but a regular file; the caller
// owns (and closes) the descriptor. For readers that stream (logs -f).
Result<int> open_regular(const std::string& path);

// Replaces `path` atomically (see above).
Status write_file_atomic(const std::string& path, std::string_view bytes, const WriteOptions& opt = {});

// "-" and "/dev/stdout" -> standard output; anything else -> write_file_atomic.
Status write_output(const std::string& path, std::string_view bytes, const WriteOptions& opt = {});

// Checks, before a command runs, that write_file_atomic(path) can succeed
// later: the symlink policy, the target's kind and links, and a probe temp
// file created and removed in the target's directory. "-" is always fine.
Status check_writable(const std::string& path, const WriteOptions& opt = {});

// A log opened for appending (--log): O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|
// O_CLOEXEC through the directory fd, with the same symlink policy; an existing
// character device or FIFO is opened as is. Opened before the command runs.
class AppendFile {
 public:
  static Result<AppendFile> open(const std::string& path);
  AppendFile() = default;
  AppendFile(AppendFile&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  AppendFile& operator=(AppendFile&& o) noexcept;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile();
  bool is_open() const { return fd_ >= 0; }
  // One write(2) per call (O_APPEND: lines from concurrent writers do not interleave).
  Status append(std::string_view bytes);

 private:
  int fd_ = -1;
  std::string path_;
};

// A directory of outputs written as one set (record -o DIR, harden -o DIR).
// prepare() creates a fresh sibling temp directory ".NAME.tmp-XXXXXX" next to
// DIR; the caller writes its files into work(); commit() switches it in:
// renameat2(RENAME_EXCHANGE) with an existing DIR (then the old set is
// removed) or renameat2(RENAME_NOREPLACE) when DIR is new; the parent is
// fsync'd. Without commit() (failure, early return) the temp directory is
// removed and DIR is untouched. An interrupted process leaves the temp
// directory behind, never a mixed set. DIR may not be (or hold) the current
// directory.
class OutputDir {
 public:
  // `ours` names the files the verb writes: an existing DIR holding anything
  // else (or a subdirectory) is refused rather than replaced (nullptr: no check).
  static Result<OutputDir> prepare(const std::string& dir, bool (*ours)(std::string_view name) = nullptr);
  OutputDir() = default;
  OutputDir(OutputDir&& o) noexcept;
  OutputDir& operator=(OutputDir&& o) noexcept;
  OutputDir(const OutputDir&) = delete;
  OutputDir& operator=(const OutputDir&) = delete;
  ~OutputDir();

  const std::string& work() const { return work_; }   // where to write now
  const std::string& target() const { return dir_; }  // what the user named
  bool existed() const { return existed_; }           // DIR held a set before
  Status commit();
  // Keeps the temp directory (e.g. a failed harden, for inspection) and forgets it.
  std::string keep();

 private:
  void discard();
  int parent_fd_ = -1;
  std::string dir_, parent_, name_, tmp_name_, work_;
  bool existed_ = false, done_ = true;
};

// Text that came from a task (comm, exe paths, argv, audit fields) made safe
// for a terminal: valid printable UTF-8 is kept, control bytes (C0, DEL, C1),
// invalid UTF-8 and backslashes are written as \xNN (so the escaping is
// unambiguous).
std::string escape_terminal(std::string_view s);
// The same for multi-line text (a diff, a report): each line escaped, the
// newlines between lines kept.
std::string escape_terminal_lines(std::string_view s);

}  // namespace confine::file
