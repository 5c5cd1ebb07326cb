// Landlock ruleset builder (reusable: `confine run` feeds it --ro/--rw/--exec;
// the AppArmor translation will feed it profile file rules). Uses the newest
// ABI the kernel offers and says what it had to leave out on older kernels.
//
//   CONFINE_TRY(auto rs, LandlockRuleset::create(LandlockRuleset::fs_all(abi)));
//   CONFINE_CHECK(rs.allow_path("/usr", LandlockRuleset::fs_read_exec(abi)));
//   CONFINE_CHECK(rs.restrict_self());   // needs no_new_privs or CAP_SYS_ADMIN
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

namespace landlock_access {  // LANDLOCK_ACCESS_FS_* (uapi facts, up to ABI 7)
inline constexpr uint64_t kExecute = 1ull << 0, kWriteFile = 1ull << 1, kReadFile = 1ull << 2,
                          kReadDir = 1ull << 3, kRemoveDir = 1ull << 4, kRemoveFile = 1ull << 5,
                          kMakeChar = 1ull << 6, kMakeDir = 1ull << 7, kMakeReg = 1ull << 8,
                          kMakeSock = 1ull << 9, kMakeFifo = 1ull << 10, kMakeBlock = 1ull << 11,
                          kMakeSym = 1ull << 12, kRefer = 1ull << 13 /* ABI 2 */,
                          kTruncate = 1ull << 14 /* ABI 3 */, kIoctlDev = 1ull << 15 /* ABI 5 */;
inline constexpr uint64_t kScopeAbstractUnixSocket = 1ull << 0, kScopeSignal = 1ull << 1;  // ABI 6
}  // namespace landlock_access

class LandlockRuleset {
 public:
  // 0 = Landlock unavailable (not built in, disabled at boot, or no syscall).
  static int abi_version();
  // Filesystem rights the given ABI knows.
  static uint64_t fs_all(int abi);
  static uint64_t fs_read(int abi);        // read files, list directories
  static uint64_t fs_read_exec(int abi);   // + execute
  static uint64_t fs_read_write(int abi);  // everything but execute

  // handled_fs: rights this ruleset governs (anything not allowed by a rule is denied);
  // scoped: LANDLOCK_SCOPE_* (ignored below ABI 6, noted in notes()).
  static Result<LandlockRuleset> create(uint64_t handled_fs, uint64_t scoped = 0);
  LandlockRuleset(LandlockRuleset&& o) noexcept;
  LandlockRuleset& operator=(LandlockRuleset&&) = delete;
  ~LandlockRuleset();

  // Allows `access` beneath path (directory) or on path (file: only file rights apply).
  Status allow_path(const std::string& path, uint64_t access);
  // Allows `access` (file rights only) on /proc/self/REL of the calling process: its
  // "task" directory (every file of each of its threads, present and future) or one
  // regular file ("comm"); a missing REL, a link or another kind is skipped with a note
  // (a narrowing). The rule names the dentry opened now, which the kernel may evict
  // under memory pressure (the rule is then gone: a denial) unless a reference is held:
  // the O_PATH fd (close-on-exec) is appended to *pins for the caller to keep.
  // rel "" names the /proc root itself (row sandbox-proc: the sandbox's own /proc).
  Status allow_self(const std::string& rel, uint64_t access, std::vector<int>* pins,
                    std::vector<std::string>* notes);
  // landlock_restrict_self: applies to this thread and its future children.
  Status restrict_self();
  int abi() const { return abi_; }
  uint64_t handled_fs() const { return handled_; }
  const std::vector<std::string>& notes() const { return notes_; }

 private:
  LandlockRuleset() = default;
  int fd_ = -1;
  int abi_ = 0;
  uint64_t handled_ = 0;
  std::vector<std::string> notes_;
};

std::string landlock_access_str(uint64_t access);

// The `confine run` facet: the AppArmor layer (if any), the --ro/--rw/--exec
// allow-lists (when any is given), and the scopes of LandlockConfig::scoped
// (ABI >= 6: no signal to, no abstract-socket connection with, a process
// outside the sandbox) inside the first filesystem layer. Fails if a
// filesystem layer is asked for and Landlock is unavailable.
// The layer's self rules pin their /proc/self dentries by sending the O_PATH fds over
// pin_sock (SCM_RIGHTS) to the supervising process, which keeps them until the sandbox
// exits; with self rules and no pin_sock it fails (never a rule that may vanish).
Status apply_landlock(const LandlockConfig& c, std::vector<std::string>* notes, int pin_sock = -1);
// Sends fds over a unix socket in one SCM_RIGHTS message (1 to 253 fds).
Status send_fds(int sock, const std::vector<int>& fds);
std::string describe(const LandlockConfig& c);

}  // namespace confine::sandbox
