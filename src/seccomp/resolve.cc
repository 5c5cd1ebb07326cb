// Resolution of a Profile for one context, following moby's setupSeccomp
// (profiles/seccomp/seccomp_linux.go) and runc's conversion:
//
// Arch set (first = primary):
//   1. ctx.arches if given (exactly those);
//   2. else the archMap entry whose "architecture" is the primary arch (ctx.arch, default native),
//      followed by its subArchitectures;
//   3. else "architectures" (runc always adds the native arch, so the primary arch comes first);
//   4. else the primary arch only.
// Rule filters (includes/excludes) are evaluated once, against the primary arch, like moby
// (which compares with the host's arch, for every sub-architecture too):
//   excludes.arches contains primary -> skip;  excludes.caps: any held -> skip;  excludes.minKernel <= kernel
//   -> skip; includes.arches must contain primary;      includes.caps: all held;          includes.minKernel
//   <= kernel.
// Actions: SCMP_ACT_ERRNO / SCMP_ACT_TRACE take errnoRet, else EPERM (runc's actErrno / actTrace);
// the default action takes defaultErrnoRet, else EPERM.
// Arguments: when a rule compares the same argument index twice, runc adds each condition as a
// separate rule (OR) instead of ANDing them; we do the same and warn.
#include "seccomp/resolve.h"

#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <string_view>
#include <unordered_set>

#include "syscalls/syscalls.h"

namespace confine::seccomp {

KernelVersion running_kernel() {
  struct utsname u {};
  if (uname(&u) != 0) return {};
  return KernelVersion::parse(u.release).value_or(KernelVersion{});
}

namespace {

Action make_action(ActionKind k, std::optional<uint32_t> errno_ret) {
  Action a{k, 0};
  if (k == ActionKind::Errno || k == ActionKind::Trace) a.data = errno_ret.value_or(EPERM);
  return a;
}

bool arch_matches(const std::vector<std::string>& names, Arch primary) {
  for (const auto& n : names) {
    auto a = n == "mips3l64n32" ? std::optional<Arch>(Arch::MIPSEL64N32) : arch_from_name(n);
    if (a && *a == primary) return true;
  }
  return false;
}

}  // namespace

Result<ResolvedProfile> resolve(const Profile& p, const ResolveContext& ctx) {
  ResolvedProfile out;
  out.default_action = make_action(p.default_action, p.default_errno_ret);
  out.flags = p.flags;
  const Arch primary = ctx.arch.value_or(native_arch());
  const KernelVersion kernel = ctx.kernel.value_or(running_kernel());

  std::vector<Arch> arches;
  auto add = [&](Arch a) {
    if (std::find(arches.begin(), arches.end(), a) == arches.end()) arches.push_back(a);
  };
  if (ctx.arches) {
    if (ctx.arches->empty()) return Error("resolve: empty architecture list");
    for (Arch a : *ctx.arches) add(a);
  } else {
    add(primary);
    const ArchMapEntry* entry = nullptr;
    for (const auto& e : p.arch_map)
      if (e.arch == primary) {
        entry = &e;
        break;
      }
    if (entry) {
      for (Arch a : entry->sub_arches) add(a);
    } else if (!p.arch_map.empty()) {
      out.warnings.push_back({p.pos, "archMap has no entry for " + std::string(arch_info(primary).scmp_name) +
                                         "; only the primary architecture is filtered"});
    } else {
      for (Arch a : p.architectures) add(a);
    }
  }
  for (Arch a : arches) out.arches.push_back(ArchTable{a, {}, {}});
  size_t names = 0;
  for (const auto& r : p.syscalls) names += r.names.size();
  for (auto& t : out.arches) t.rules.reserve(names);
  std::vector<std::unordered_set<std::string_view>> skipped_seen(out.arches.size());

  for (const auto& r : p.syscalls) {
    if (r.excludes) {
      const Filter& f = *r.excludes;
      if (!f.arches.empty() && arch_matches(f.arches, primary)) continue;
      bool held = false;
      for (const auto& c : f.caps) held = held || ctx.caps.count(c);
      if (held) continue;
      if (f.min_kernel && kernel >= *f.min_kernel) continue;
    }
    if (r.includes) {
      const Filter& f = *r.includes;
      if (!f.arches.empty() && !arch_matches(f.arches, primary)) continue;
      bool all = true;
      for (const auto& c : f.caps) all = all && ctx.caps.count(c);
      if (!all) continue;
      if (f.min_kernel && kernel < *f.min_kernel) continue;
    }
    const Action act = make_action(r.action, r.errno_ret);
    // runc: a repeated argument index turns the conditions into separate (ORed) rules.
    std::vector<std::vector<ArgCond>> groups;
    bool repeated = false;
    for (size_t i = 0; i < r.args.size() && !repeated; ++i)
      for (size_t j = 0; j < i; ++j)
        if (r.args[i].index == r.args[j].index) repeated = true;
    if (repeated) {
      out.warnings.push_back({r.pos,
                              "this rule compares the same argument more than once; like runc, each "
                              "condition becomes a separate rule (they are ORed, not ANDed)"});
      for (const auto& c : r.args) groups.push_back({c});
    } else {
      groups.push_back(r.args);
    }
    for (size_t i = 0; i < r.names.size(); ++i) {
      const std::string& name = r.names[i];
      const SourcePos& pos = i < r.name_pos.size() ? r.name_pos[i] : r.pos;
      // One binary search per name over the generated tables, then a table read per arch.
      const std::optional<size_t> idx = syscall_name_index(name);
      for (size_t k = 0; k < out.arches.size(); ++k) {
        ArchTable& t = out.arches[k];
        std::optional<int32_t> nr = idx ? syscall_number_at(t.arch, *idx) : std::nullopt;
        if (!nr) {
          if (skipped_seen[k].insert(name).second) t.skipped.push_back(name);
          continue;
        }
        for (const auto& g : groups) t.rules.push_back(ResolvedRule{name, *nr, g, act, pos});
      }
    }
  }
  for (const auto& t : out.arches) {
    if (t.skipped.empty()) continue;
    std::string list;
    for (const auto& n : t.skipped) list += (list.empty() ? "" : ", ") + n;
    out.warnings.push_back(
        {SourcePos{p.source, 0, 0}, std::to_string(t.skipped.size()) + " syscall name" +
                                        (t.skipped.size() == 1 ? "" : "s") + " not present on " +
                                        std::string(arch_info(t.arch).name) + ", skipped: " + list});
  }
  return out;
}

}  // namespace confine::seccomp
