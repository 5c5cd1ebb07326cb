// Behavior -> seccomp profile (Docker JSON whitelist).
#include <algorithm>
#include <map>

#include "generate/generate.h"
#include "syscalls/syscalls.h"

namespace confine::generate {

namespace {
using seccomp::ArgCond;
using seccomp::CmpOp;
using seccomp::SyscallRule;

SyscallRule allow(std::vector<std::string> names, std::string comment) {
  SyscallRule r;
  r.names = std::move(names);
  r.action = seccomp::ActionKind::Allow;
  r.comment = std::move(comment);
  return r;
}

// Observed values of one argument key over every arch.
std::set<uint64_t> values(const behavior::Behavior& b, const std::string& sys, const std::string& key,
                          bool* any_call) {
  std::set<uint64_t> out;
  for (const auto& [arch, m] : b.arches) {
    auto it = m.find(sys);
    if (it == m.end()) continue;
    *any_call = true;
    auto k = it->second.args.find(key);
    if (k != it->second.args.end()) out.insert(k->second.begin(), k->second.end());
  }
  return out;
}

constexpr uint64_t kCloneNsMask = 0x7E020080ull;  // CLONE_NEW* (same as record/decode.h)

struct Companion {
  std::vector<const char*> triggers;  // any of these recorded ...
  std::vector<const char*> needs;     // ... and all of these recorded (may be empty)
  std::vector<const char*> adds;      // ... implies these
  const char* why;
};

// Each entry is a slow path observed to break replays, or documented kernel/libc
// behaviour; every added syscall is one Docker's default profile allows too.
const std::vector<Companion>& companions() {
  static const std::vector<Companion> k = {
      {{"nanosleep", "clock_nanosleep", "poll", "ppoll", "select", "pselect6", "_newselect", "futex",
        "epoll_wait", "epoll_pwait", "epoll_pwait2", "nanosleep_time64", "clock_nanosleep_time64",
        "ppoll_time64", "pselect6_time64", "futex_time64"},
       {},
       {"restart_syscall"},
       "a sleep, poll or futex wait interrupted by a signal (or SIGSTOP/SIGCONT) is resumed by the kernel "
       "through restart_syscall"},
      {{"rt_sigaction"},
       {},
       {"rt_sigreturn"},
       "a handler installed with rt_sigaction returns through "
       "rt_sigreturn, which runs only when the signal arrives"},
      {{"sigaction", "signal"},
       {},
       {"sigreturn"},
       "an i386 handler installed with sigaction/signal returns "
       "through sigreturn, which runs only when the signal arrives"},
      {{"wait4", "waitid", "waitpid"},
       {"rt_sigaction"},
       {"rt_sigsuspend"},
       "shells wait for a child that is still running with sigsuspend, for one that already exited with "
       "wait4 only"},
      {{"clone", "clone3"},
       {},
       {"futex"},
       "threads and processes sharing memory wait on a futex only when a lock is contended"},
      {{"clone", "clone3"}, {}, {"exit"}, "a thread ends with exit, a process with exit_group"},
      {{"mmap", "mmap2", "brk"},
       {},
       {"munmap", "mremap", "madvise"},
       "heap growth and release depend on the input size (realloc of a large block uses mremap, free of one "
       "munmap or madvise)"},
  };
  return k;
}
}  // namespace

std::vector<std::pair<std::string, std::string>> companion_syscalls(const behavior::Behavior& b) {
  std::set<std::string> recorded = b.syscall_names();
  std::map<std::string, std::string> out;
  for (const auto& c : companions()) {
    bool trig = false;
    for (const char* t : c.triggers) trig = trig || recorded.count(t);
    for (const char* n : c.needs) trig = trig && recorded.count(n);
    if (!trig) continue;
    for (const char* a : c.adds)
      if (!recorded.count(a) && !out.count(a)) out[a] = c.why;
  }
  return {out.begin(), out.end()};
}

Result<ArgMode> arg_mode_from_name(std::string_view s) {
  if (s == "none") return ArgMode::None;
  if (s == "sensitive") return ArgMode::Sensitive;
  if (s == "strict") return ArgMode::Strict;
  return Error("--args " + std::string(s) + ": expected none, sensitive or strict");
}

seccomp::Profile seccomp_profile(const behavior::Behavior& b, const SeccompOptions& o) {
  seccomp::Profile p;
  p.default_action = seccomp::ActionKind::Errno;
  p.default_errno_ret = o.default_errno;
  for (const auto& [arch, m] : b.arches)
    if (!m.empty()) p.architectures.push_back(arch);
  if (std::find(p.architectures.begin(), p.architectures.end(), native_arch()) == p.architectures.end())
    p.architectures.insert(p.architectures.begin(), native_arch());

  std::set<std::string> names;
  for (const auto& [arch, m] : b.arches)
    for (const auto& [n, info] : m)
      if (syscall_known_anywhere(n)) names.insert(n);

  std::vector<SyscallRule> arg_rules;
  auto filtered = [&](const std::string& sys, const std::string& key, CmpOp op, uint64_t mask,
                      const char* what) {
    bool called = false;
    auto vals = values(b, sys, key, &called);
    if (!called || vals.empty() || vals.size() > o.max_values) return false;
    for (uint64_t v : vals) {
      SyscallRule r = allow({sys}, std::string(what));
      ArgCond c;
      c.index = 0;
      c.op = op;
      if (op == CmpOp::MaskedEq) {
        c.value = mask;
        c.value_two = v;
      } else {
        c.value = v;
      }
      r.args.push_back(c);
      arg_rules.push_back(std::move(r));
    }
    names.erase(sys);
    return true;
  };
  auto set_index = [&](size_t from, uint8_t idx) {
    for (size_t i = from; i < arg_rules.size(); ++i)
      for (auto& c : arg_rules[i].args) c.index = idx;
  };

  if (o.args != ArgMode::None) {
    filtered("socket", "domain", CmpOp::EQ, 0, "socket families the program used (argument 0)");
    filtered("personality", "persona", CmpOp::EQ, 0, "personalities the program set");
    filtered("unshare", "flags", CmpOp::EQ, 0, "unshare flags the program used");
    size_t at = arg_rules.size();
    if (filtered("setns", "nstype", CmpOp::EQ, 0, "setns namespace types the program used")) set_index(at, 1);
    // clone: when no namespace flag was ever seen, allow clone only without
    // them; clone3 (flags in memory, uninspectable) then answers ENOSYS so
    // libc falls back to clone.
    bool c1 = false, c3 = false;
    auto v1 = values(b, "clone", "ns_flags", &c1);
    auto v3 = values(b, "clone3", "ns_flags", &c3);
    v1.insert(v3.begin(), v3.end());
    if ((c1 || c3) && v1 == std::set<uint64_t>{0}) {
      SyscallRule r =
          allow({"clone"}, "clone without namespace flags (the program never created a namespace)");
      ArgCond c;
      c.index = 0;
      c.op = CmpOp::MaskedEq;
      c.value = kCloneNsMask;
      c.value_two = 0;
      r.args.push_back(c);
      arg_rules.push_back(std::move(r));
      names.erase("clone");
      if (c3) {
        names.erase("clone3");
        SyscallRule e;
        e.names = {"clone3"};
        e.action = seccomp::ActionKind::Errno;
        e.errno_ret = 38;  // ENOSYS
        e.comment =
            "clone3 passes its flags in memory, which seccomp cannot inspect: ENOSYS makes libc fall back to "
            "clone";
        arg_rules.push_back(std::move(e));
      }
    }
  }
  if (o.args == ArgMode::Strict) {
    size_t at = arg_rules.size();
    // ioctl requests are 32-bit: compare the low half only (house rule).
    if (filtered("ioctl", "request", CmpOp::MaskedEq, 0xffffffffull,
                 "ioctl requests the program used (argument 1)"))
      set_index(at, 1);
    filtered("prctl", "option", CmpOp::EQ, 0, "prctl options the program used");
  }

  if (!names.empty()) {
    p.syscalls.push_back(allow(std::vector<std::string>(names.begin(), names.end()),
                               "syscalls recorded by confine record" +
                                   (b.command.empty() ? std::string() : " from: " + b.command[0])));
  }
  if (o.companions) {
    std::vector<std::string> extra;
    std::string why;
    for (const auto& [n, reason] : companion_syscalls(b)) {
      if (!syscall_known_anywhere(n)) continue;
      extra.push_back(n);
      why += (why.empty() ? "" : "; ") + n + ": " + reason;
    }
    if (!extra.empty())
      p.syscalls.push_back(allow(std::move(extra),
                                 "not recorded, added as companions of recorded syscalls "
                                 "(slow paths one run can miss): " +
                                     why));
  }
  for (auto& r : arg_rules) p.syscalls.push_back(std::move(r));
  return p;
}

}  // namespace confine::generate
