#include "sandbox/seccomp_install.h"

#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "sandbox/caps.h"
#include "seccomp/compiler.h"
#include "seccomp/profile.h"
#include "seccomp/resolve.h"
#include "supervise/listener.h"
#include "syscalls/syscalls.h"

namespace confine::sandbox {

Result<SeccompConfig> prepare_seccomp(const std::string& path, SeccompMode mode, uint64_t caps_keep,
                                      std::vector<std::string>* warnings,
                                      const std::vector<std::string>& also_notify, bool libseccomp_compat) {
  seccomp::CompileOptions opts;
  opts.libseccomp_compat = libseccomp_compat;
  SeccompConfig c;
  c.mode = mode;
  c.source = path;
  if (mode == SeccompMode::Unconfined) return c;
  std::vector<seccomp::Warning> w;
  CONFINE_TRY(auto prof, seccomp::load_profile(path, &w));
  seccomp::ResolveContext ctx;
  for (int i = 0; i < 64; ++i)
    if (caps_keep & (1ull << i)) ctx.caps.insert(cap_name(i));
  CONFINE_TRY(auto rp, seccomp::resolve(prof, ctx));
  if (warnings) {
    for (const auto& x : w) warnings->push_back(x.str());
    // Resolution notes (names absent on some arch of a multi-arch profile) are
    // expected for Docker-style profiles: `confine seccomp check` shows them.
  }
  if (mode == SeccompMode::Complain && !also_notify.empty()) {
    CONFINE_TRY(auto enforce, seccomp::compile(rp, opts));
    c.enforce_prog = std::move(enforce.insns);
  }
  if (mode == SeccompMode::Complain) {
    // Everything the profile would not allow is reported instead (and then continued).
    seccomp::Action notify{seccomp::ActionKind::Notify, 0};
    if (rp.default_action.kind != seccomp::ActionKind::Allow) rp.default_action = notify;
    for (auto& t : rp.arches)
      for (auto& r : t.rules)
        if (r.action.kind != seccomp::ActionKind::Allow) r.action = notify;
    // Observed file syscalls: notified whatever the profile says (one listener per task).
    for (auto& t : rp.arches) {
      std::erase_if(t.rules, [&](const seccomp::ResolvedRule& r) {
        return std::find(also_notify.begin(), also_notify.end(), r.name) != also_notify.end();
      });
      for (const auto& n : also_notify) {
        auto nr = syscall_number(t.arch, n);
        if (!nr) continue;
        std::erase_if(t.rules, [&](const seccomp::ResolvedRule& r) { return r.nr == *nr; });
        seccomp::ResolvedRule r;
        r.name = n;
        r.nr = *nr;
        r.action = notify;
        t.rules.push_back(std::move(r));
      }
    }
  }
  if (mode == SeccompMode::Enforce) {
    for (const auto& f : rp.flags) {
      if (f == "SECCOMP_FILTER_FLAG_LOG") c.filter_flags |= SECCOMP_FILTER_FLAG_LOG;
      if (f == "SECCOMP_FILTER_FLAG_SPEC_ALLOW") c.filter_flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
      // WAIT_KILLABLE_RECV only concerns a listener: complain mode sets it on its own.
    }
    if (c.filter_flags & SECCOMP_FILTER_FLAG_LOG) {
      seccomp::ResolvedProfile quiet;
      quiet.default_action = seccomp::Action::allow();
      bool any = false;
      for (auto& t : rp.arches) {
        seccomp::ArchTable qt;
        qt.arch = t.arch;
        for (auto& r : t.rules)
          if (r.action.kind == seccomp::ActionKind::Errno) {
            qt.rules.push_back(r);
            r.action = seccomp::Action::allow();
            any = true;
          }
        quiet.arches.push_back(std::move(qt));
      }
      if (any) {
        seccomp::CompileOptions qo = opts;
        qo.bad_arch_action = seccomp::Action::allow();  // the main filter decides other arches
        CONFINE_TRY(auto q, seccomp::compile(quiet, qo));
        c.quiet_prog = std::move(q.insns);
      }
    }
  }
  CONFINE_TRY(auto prog, seccomp::compile(rp, opts));
  c.prog = std::move(prog.insns);
  return c;
}

Result<std::vector<sock_filter>> memfd_noexec_filter() {
  // MASKED_EQ: (flags & MFD_NOEXEC_SEAL (8)) == 0 -> EPERM.
  static constexpr std::string_view kProfile = R"({
  "defaultAction": "SCMP_ACT_ALLOW",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [{"names": ["memfd_create"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
                "args": [{"index": 1, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]
})";
  CONFINE_TRY(auto prof, seccomp::parse_profile_text(kProfile, "<memfd-noexec>"));
  CONFINE_TRY(auto rp, seccomp::resolve(prof, seccomp::ResolveContext{}));
  CONFINE_TRY(auto prog, seccomp::compile(rp, seccomp::CompileOptions{}));
  return std::move(prog.insns);
}

Result<int> install_listener_filter(const std::vector<sock_filter>& prog) {
  sock_fprog fprog{static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
  long fd = supervise::new_listener(&fprog);
  if (fd < 0)
    return Error::sys(
        "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, {file syscalls -> "
        "USER_NOTIF, len=" +
            std::to_string(prog.size()) + "})",
        errno);
  return static_cast<int>(fd);
}

Result<int> install_seccomp(const SeccompConfig& c) {
  if (!c.memfd_noexec.empty()) {
    sock_fprog mp{static_cast<unsigned short>(c.memfd_noexec.size()),
                  const_cast<sock_filter*>(c.memfd_noexec.data())};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &mp) != 0)
      return Error::sys(
          "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC, {memfd_create without MFD_NOEXEC_SEAL -> EPERM})", errno);
  }
  if (c.mode == SeccompMode::Unconfined) return -1;
  sock_fprog fprog{static_cast<unsigned short>(c.prog.size()), const_cast<sock_filter*>(c.prog.data())};
  if (c.mode == SeccompMode::Complain) {
    long fd = supervise::new_listener(&fprog);
    if (fd < 0)
      return Error::sys("seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, {len=" +
                            std::to_string(c.prog.size()) + "})",
                        errno);
    return static_cast<int>(fd);
  }
  if (!c.quiet_prog.empty()) {
    sock_fprog qp{static_cast<unsigned short>(c.quiet_prog.size()),
                  const_cast<sock_filter*>(c.quiet_prog.data())};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &qp) != 0)
      return Error::sys(
          "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, {the profile's ERRNO rules, len=" +
              std::to_string(c.quiet_prog.size()) + "})",
          errno);
  }
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC | c.filter_flags, &fprog);
  if (r != 0) {
    std::string what =
        "seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC" +
        std::string(c.filter_flags & SECCOMP_FILTER_FLAG_LOG ? "|SECCOMP_FILTER_FLAG_LOG" : "") +
        std::string(c.filter_flags & SECCOMP_FILTER_FLAG_SPEC_ALLOW ? "|SECCOMP_FILTER_FLAG_SPEC_ALLOW"
                                                                    : "") +
        ", {len=" + std::to_string(c.prog.size()) + "})";
    if (r > 0) return Error(what + ": thread " + std::to_string(r) + " could not be synchronised");
    return Error::sys(what, errno);
  }
  return -1;
}

std::string describe(const SeccompConfig& c) {
  std::string extra = c.memfd_noexec.empty() ? "" : "; executable memfds refused (exec is restricted)";
  switch (c.mode) {
    case SeccompMode::Unconfined: return "unconfined (no profile)" + extra;
    case SeccompMode::Enforce:
      return c.source + " (" + std::to_string(c.prog.size()) + " BPF instructions, TSYNC" +
             (c.filter_flags & SECCOMP_FILTER_FLAG_LOG
                  ? std::string(", LOG: denials reach the kernel audit log") +
                        (c.quiet_prog.empty() ? "" : "; its ERRNO rules in an unlogged filter of their own")
                  : std::string()) +
             (c.filter_flags & SECCOMP_FILTER_FLAG_SPEC_ALLOW ? ", SPEC_ALLOW" : "") + "), installed last" +
             extra;
    case SeccompMode::Complain:
      return c.source + " in COMPLAIN mode (" + std::to_string(c.prog.size()) +
             " instructions; denials become user notifications, reported and continued)" + extra;
  }
  return "?";
}

}  // namespace confine::sandbox
