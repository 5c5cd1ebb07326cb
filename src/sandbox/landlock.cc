#include "sandbox/landlock.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace confine::sandbox {

namespace {
// Our own copies of the uapi structs (Debian 12's headers stop at ABI 2).
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;  // ABI 4
  uint64_t scoped;              // ABI 6
};
struct PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
} __attribute__((packed));
constexpr uint32_t kCreateRulesetVersion = 1u << 0;
constexpr int kRulePathBeneath = 1;

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

using namespace landlock_access;
constexpr uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;
}  // namespace

int LandlockRuleset::abi_version() {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  return v < 0 ? 0 : static_cast<int>(v);
}

uint64_t LandlockRuleset::fs_all(int abi) {
  if (abi <= 0) return 0;
  uint64_t m = (1ull << 13) - 1;  // ABI 1
  if (abi >= 2) m |= kRefer;
  if (abi >= 3) m |= kTruncate;
  if (abi >= 5) m |= kIoctlDev;
  return m;
}
uint64_t LandlockRuleset::fs_read(int abi) { return fs_all(abi) & (kReadFile | kReadDir); }
uint64_t LandlockRuleset::fs_read_exec(int abi) { return fs_all(abi) & (kReadFile | kReadDir | kExecute); }
uint64_t LandlockRuleset::fs_read_write(int abi) { return fs_all(abi) & ~kExecute; }

Result<LandlockRuleset> LandlockRuleset::create(uint64_t handled_fs, uint64_t scoped) {
  LandlockRuleset rs;
  rs.abi_ = abi_version();
  if (rs.abi_ <= 0)
    return Error::sys("landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)",
                      errno ? errno : ENOSYS);
  uint64_t known = fs_all(rs.abi_);
  if (handled_fs & ~known) {
    rs.notes_.push_back("Landlock ABI " + std::to_string(rs.abi_) + " cannot govern " +
                        landlock_access_str(handled_fs & ~known) + " (needs a newer kernel)");
    handled_fs &= known;
  }
  if (scoped && rs.abi_ < 6) {
    rs.notes_.push_back("Landlock ABI " + std::to_string(rs.abi_) +
                        " has no scopes (signal/abstract-socket scoping needs ABI 6)");
    scoped = 0;
  }
  RulesetAttr attr{handled_fs, 0, scoped};
  size_t size = rs.abi_ >= 6 ? sizeof attr : (rs.abi_ >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t));
  long fd = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (fd < 0)
    return Error::sys("landlock_create_ruleset({handled_access_fs=" + hex(handled_fs) +
                          ", scoped=" + hex(scoped) + "}, " + std::to_string(size) + ", 0)",
                      errno);
  rs.fd_ = static_cast<int>(fd);
  rs.handled_ = handled_fs;
  return rs;
}

LandlockRuleset::LandlockRuleset(LandlockRuleset&& o) noexcept
    : fd_(o.fd_), abi_(o.abi_), handled_(o.handled_), notes_(std::move(o.notes_)) {
  o.fd_ = -1;
}

LandlockRuleset::~LandlockRuleset() {
  if (fd_ >= 0) close(fd_);
}

Status LandlockRuleset::allow_path(const std::string& path, uint64_t access) {
  int pfd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (pfd < 0) return Error::sys("open(\"" + path + "\", O_PATH)", errno);
  struct stat st;
  if (fstat(pfd, &st) != 0) {
    int e = errno;
    close(pfd);
    return Error::sys("fstat(\"" + path + "\")", e);
  }
  access &= handled_;
  if (!S_ISDIR(st.st_mode)) access &= kFileRights;  // directory-only rights are invalid on files
  if (access == 0) {
    close(pfd);
    return ok();
  }
  PathBeneathAttr pb{access, pfd};
  long r = syscall(SYS_landlock_add_rule, fd_, kRulePathBeneath, &pb, 0);
  int e = errno;
  close(pfd);
  if (r != 0)
    return Error::sys("landlock_add_rule(LANDLOCK_RULE_PATH_BENEATH, \"" + path + "\", " +
                          landlock_access_str(access) + ")",
                      e);
  return ok();
}

Status LandlockRuleset::allow_self(const std::string& rel, uint64_t access, std::vector<int>* pins,
                                   std::vector<std::string>* notes) {
  std::string path = rel.empty() ? std::string("/proc") : "/proc/self/" + rel;
  if (!pins) return Error(path + ": a /proc/self rule needs its dentry held (no holder given)");
  int pfd = open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (pfd < 0) {
    if (errno != ENOENT) return Error::sys("open(\"" + path + "\", O_PATH|O_NOFOLLOW)", errno);
    if (notes) notes->push_back("skipped " + path + " (does not exist in the sandboxed process)");
    return ok();
  }
  struct stat st;
  if (fstat(pfd, &st) != 0) {
    int e = errno;
    close(pfd);
    return Error::sys("fstat(\"" + path + "\")", e);
  }
  bool want_dir = rel == "task" || rel.empty();
  if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
    close(pfd);
    if (notes)
      notes->push_back("skipped " + path + " (not a " + (want_dir ? "directory" : "regular file") + ")");
    return ok();
  }
  access &= handled_ & (kWriteFile | kReadFile | kTruncate);
  if (access == 0) {
    close(pfd);
    return ok();
  }
  PathBeneathAttr pb{access, pfd};
  if (syscall(SYS_landlock_add_rule, fd_, kRulePathBeneath, &pb, 0) != 0) {
    int e = errno;
    close(pfd);
    return Error::sys("landlock_add_rule(LANDLOCK_RULE_PATH_BENEATH, \"" + path + "\", " +
                          landlock_access_str(access) + ")",
                      e);
  }
  pins->push_back(pfd);
  return ok();
}

Status send_fds(int sock, const std::vector<int>& fds) {
  if (fds.empty() || fds.size() > 253) return Error("send_fds: " + std::to_string(fds.size()) + " fds");
  char byte = 'p';
  iovec iov{&byte, 1};
  std::vector<char> ctl(CMSG_SPACE(sizeof(int) * fds.size()), 0);
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl.data();
  m.msg_controllen = ctl.size();
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
  std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  ssize_t n;
  do n = sendmsg(sock, &m, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n != 1)
    return Error::sys("sendmsg(pin socket, SCM_RIGHTS, " + std::to_string(fds.size()) + " fd(s))",
                      n < 0 ? errno : EIO);
  return ok();
}

Status LandlockRuleset::restrict_self() {
  if (syscall(SYS_landlock_restrict_self, fd_, 0) != 0)
    return Error::sys("landlock_restrict_self(ruleset, 0)", errno);
  return ok();
}

std::string landlock_access_str(uint64_t a) {
  static constexpr std::string_view names[] = {"execute",    "write_file",  "read_file", "read_dir",
                                               "remove_dir", "remove_file", "make_char", "make_dir",
                                               "make_reg",   "make_sock",   "make_fifo", "make_block",
                                               "make_sym",   "refer",       "truncate",  "ioctl_dev"};
  std::string s;
  for (size_t i = 0; i < std::size(names); ++i)
    if (a & (1ull << i)) s += (s.empty() ? "" : "|") + std::string(names[i]);
  return s.empty() ? "none" : s;
}

namespace {
// Rights whose holder may move or link files in or out of a directory; a layer
// that grants any of them beneath a path also grants refer there. Refer alone
// only lets a rename/link cross directories: the kernel still requires the
// remove/make rights on both sides and refuses a move that would give the file
// rights at its destination it did not have where it was.
constexpr uint64_t kLinkRenameRights = kRemoveDir | kRemoveFile | kMakeChar | kMakeDir | kMakeReg |
                                       kMakeSock | kMakeFifo | kMakeBlock | kMakeSym;

// One filesystem layer. Every layer of a domain that restricts the filesystem
// denies refer unless it handles it and a rule grants it (even a layer that
// handles no filesystem right), so refer is always handled and granted with
// the rights above, and the scopes travel in the same ruleset instead of a
// scope-only layer of their own.
Status apply_fs_layer(const std::string& source, uint64_t handled,
                      const std::vector<std::pair<std::string, uint64_t>>& rules, uint64_t scoped, int abi,
                      std::vector<std::string>* notes,
                      const std::vector<std::pair<std::string, uint64_t>>& self_rules = {}, int pin_sock = -1,
                      bool own_proc = false) {
  handled &= LandlockRuleset::fs_all(abi);
  if (handled == 0)
    return Error(source + ": the profile governs no filesystem right this kernel's Landlock knows");
  if (abi >= 2) handled |= kRefer;
  CONFINE_TRY(auto rs, LandlockRuleset::create(handled, scoped));
  for (const auto& [path, access] : rules) {
    uint64_t a = access & handled;
    if (a & kLinkRenameRights) a |= handled & kRefer;
    if (a) CONFINE_CHECK_CTX(rs.allow_path(path, a), source + ": " + path);
  }
  if (!self_rules.empty()) {
    // Rules on this process's own /proc files: their dentries are held by the supervisor
    // (sent now, before the restriction; the in-flight message holds them meanwhile).
    if (pin_sock < 0)
      return Error(source + ": /proc/self rules (row self-proc) need a supervising process to hold them");
    std::vector<int> pins;
    Status st = ok();
    for (const auto& [rel, access] : self_rules) {
      // The sandbox's own /proc (row sandbox-proc): the task rule covers every process of
      // the sandbox, the command's children included (a service its shell starts).
      const bool root = own_proc && rel == "task";
      st = rs.allow_self(root ? std::string() : rel, access, &pins, notes);
      if (!st.ok()) break;
      if (root && notes)
        notes->push_back("widening row sandbox-proc: /proc/self/task -> /proc (the sandbox's own /proc: " +
                         landlock_access_str(access & (kWriteFile | kReadFile | kTruncate)) + ")");
    }
    if (st.ok() && !pins.empty()) st = send_fds(pin_sock, pins);
    for (int fd : pins) close(fd);
    CONFINE_CHECK_CTX(std::move(st), source + ": /proc/self rules (row self-proc)");
  }
  if (notes)
    for (const auto& n : rs.notes()) notes->push_back(n);
  return rs.restrict_self();
}
}  // namespace

Status apply_landlock(const LandlockConfig& c, std::vector<std::string>* notes, int pin_sock) {
  int abi = LandlockRuleset::abi_version();
  if (abi <= 0) {
    if (c.enabled() || c.layer)
      return Error::sys(std::string(c.layer ? c.layer->source : "--ro/--rw/--exec") +
                            " needs Landlock: landlock_create_ruleset(VERSION)",
                        errno ? errno : ENOSYS);
    if (notes && c.scoped)
      notes->push_back("Landlock unavailable: signal and abstract-socket scoping skipped");
    return ok();
  }
  uint64_t scoped = c.scoped;  // given to the first layer only
  if (c.layer) {
    CONFINE_CHECK(apply_fs_layer(c.layer->source, c.layer->handled, c.layer->rules, scoped, abi, notes,
                                 c.layer->self_rules, pin_sock, c.layer->own_proc));
    scoped = 0;
  }
  if (c.enabled()) {
    std::vector<std::pair<std::string, uint64_t>> rules;
    for (const auto& p : c.ro) rules.emplace_back(p, LandlockRuleset::fs_read(abi));
    for (const auto& p : c.rw) rules.emplace_back(p, LandlockRuleset::fs_read_write(abi));
    for (const auto& p : c.exec) rules.emplace_back(p, LandlockRuleset::fs_read_exec(abi));
    CONFINE_CHECK(
        apply_fs_layer("--ro/--rw/--exec", LandlockRuleset::fs_all(abi), rules, scoped, abi, notes));
    scoped = 0;
  }
  if (!scoped) return ok();
  // No filesystem layer: the scopes alone (this layer restricts no filesystem access).
  if (abi < 6) {  // an empty ruleset would be refused: say what is not scoped instead
    if (notes)
      notes->push_back("Landlock ABI " + std::to_string(abi) +
                       " has no scopes: signals and abstract unix sockets not scoped (needs ABI 6)");
    return ok();
  }
  CONFINE_TRY(auto rs, LandlockRuleset::create(0, scoped));
  return rs.restrict_self();
}

std::string describe(const LandlockConfig& c) {
  int abi = LandlockRuleset::abi_version();
  std::string s = abi > 0 ? "ABI " + std::to_string(abi) : std::string("unavailable");
  if (c.enabled()) {
    s += "; filesystem allow-list (everything else denied):";
    for (const auto& p : c.ro) s += " ro:" + p;
    for (const auto& p : c.rw) s += " rw:" + p;
    for (const auto& p : c.exec) s += " exec:" + p;
  } else {
    s += "; no filesystem rules (no --ro/--rw/--exec)";
  }
  if (c.layer) {
    s += "; plus " + c.layer->source + " as its own layer (" + std::to_string(c.layer->rules.size()) +
         " path rule" + (c.layer->rules.size() == 1 ? "" : "s");
    for (const auto& [rel, access] : c.layer->self_rules)
      s += ", /proc/self/" + rel + " " + landlock_access_str(access);
    if (!c.layer->self_rules.empty())
      s += " opened by the command's process and held by confine until it exits (row self-proc)";
    s += ")";
  }
  if (c.layer || c.enabled())
    s += "; refer (cross-directory rename/link) granted wherever a rule grants make/remove";
  std::string scopes;
  if (c.scoped & landlock_access::kScopeSignal) scopes += "signals";
  if (c.scoped & landlock_access::kScopeAbstractUnixSocket)
    scopes += std::string(scopes.empty() ? "" : " and ") + "abstract unix sockets";
  if (!scopes.empty())
    s += abi >= 6 ? "; " + scopes + " scoped to the sandbox (in the first layer)"
                  : "; " + scopes + " NOT scoped (needs ABI 6)";
  return s;
}

}  // namespace confine::sandbox
