#include "sandbox/user.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace confine::sandbox {

namespace {
Result<uint32_t> parse_id(std::string_view s, const char* what) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v == static_cast<uint32_t>(-1))
    return Error(std::string("bad ") + what + " \"" + std::string(s) + "\" (expected a number)");
  return v;
}
}  // namespace

Status parse_user(UserConfig& c, std::string_view spec) {
  size_t colon = spec.find(':');
  CONFINE_TRY(uint32_t uid, parse_id(spec.substr(0, colon), "uid"));
  c.uid = uid;
  if (colon != std::string_view::npos) {
    CONFINE_TRY(uint32_t gid, parse_id(spec.substr(colon + 1), "gid"));
    c.gid = gid;
  }
  return ok();
}

uid_t effective_uid(const UserConfig& c, uid_t current) { return c.uid.value_or(current); }

Status check_non_root(const UserConfig& c, uid_t current) {
  if (c.no_root && effective_uid(c, current) == 0)
    return Error("--no-root: the command would run as uid 0; give a non-zero --user UID");
  return ok();
}

Status apply_user(const UserConfig& c, bool setgroups_allowed) {
  if (!c.uid && !c.gid) return ok();
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error::sys("prctl(PR_SET_KEEPCAPS, 1)", errno);
  gid_t gid = c.gid.value_or(c.uid ? static_cast<gid_t>(*c.uid) : getgid());
  if (setgroups_allowed) {
    if (setgroups(1, &gid) != 0) return Error::sys("setgroups(1, [" + std::to_string(gid) + "])", errno);
  }
  if (setresgid(gid, gid, gid) != 0) {
    auto g = std::to_string(gid);
    return Error::sys("setresgid(" + g + ", " + g + ", " + g + ")", errno);
  }
  if (c.uid) {
    auto u = std::to_string(*c.uid);
    if (setresuid(*c.uid, *c.uid, *c.uid) != 0)
      return Error::sys("setresuid(" + u + ", " + u + ", " + u + ")", errno);
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Error::sys("prctl(PR_SET_KEEPCAPS, 0)", errno);
  // The uid change cleared the effective set; later steps (Landlock, seccomp
  // without no_new_privs) may need it until the caps facet sets the final sets.
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &hdr, data) != 0) return Error::sys("capget(v3)", errno);
  data[0].effective = data[0].permitted;
  data[1].effective = data[1].permitted;
  if (syscall(SYS_capset, &hdr, data) != 0) return Error::sys("capset(v3, {effective=permitted})", errno);
  return ok();
}

std::string describe(const UserConfig& c, uid_t current) {
  std::string s = "uid " + std::to_string(effective_uid(c, current));
  if (c.gid)
    s += ", gid " + std::to_string(*c.gid);
  else if (c.uid)
    s += ", gid " + std::to_string(*c.uid);
  if (c.no_root) s += "; uid 0 refused (--no-root)";
  return s;
}

}  // namespace confine::sandbox
