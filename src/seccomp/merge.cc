// Summary, diff and merge of seccomp profiles (see merge.h).
#include "seccomp/merge.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <set>

#include "syscalls/syscalls.h"

namespace confine::seccomp {

namespace {

std::vector<const ResolvedRule*> rules_for(const ArchTable& t, int32_t nr) {
  std::vector<const ResolvedRule*> out;
  for (const auto& r : t.rules)
    if (r.nr == nr) out.push_back(&r);
  return out;
}

std::string hex(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

SyscallClass classify(const std::vector<const ResolvedRule*>& rules, const Action& def) {
  if (rules.empty()) return SyscallClass::Default;
  // The first unconditional rule decides (the compiler's semantics).
  for (const auto* r : rules)
    if (r->conds.empty()) {
      if (r->action.kind == ActionKind::Allow) return SyscallClass::Allowed;
      return r->action == def ? SyscallClass::Default : SyscallClass::Other;
    }
  return SyscallClass::Conditional;
}

// Fully allowed: every call passes (unconditional ALLOW, or no rule under an ALLOW default).
bool fully_allowed(const std::vector<const ResolvedRule*>& rules, const Action& def) {
  auto c = classify(rules, def);
  return c == SyscallClass::Allowed || (c == SyscallClass::Default && def.kind == ActionKind::Allow);
}
// Never allowed: no rule and no default lets any call through.
bool never_allowed(const std::vector<const ResolvedRule*>& rules, const Action& def) {
  auto c = classify(rules, def);
  if (c == SyscallClass::Other) return true;
  if (c == SyscallClass::Default) return def.kind != ActionKind::Allow;
  if (c == SyscallClass::Conditional) {
    for (const auto* r : rules)
      if (r->action.kind == ActionKind::Allow) return false;
    return def.kind != ActionKind::Allow;
  }
  return false;
}

}  // namespace

std::string describe_cond(const ArgCond& c) {
  std::string a = "arg" + std::to_string(c.index);
  switch (c.op) {
    case CmpOp::NE: return a + " != " + hex(c.value);
    case CmpOp::LT: return a + " < " + hex(c.value);
    case CmpOp::LE: return a + " <= " + hex(c.value);
    case CmpOp::EQ: return a + " == " + hex(c.value);
    case CmpOp::GE: return a + " >= " + hex(c.value);
    case CmpOp::GT: return a + " > " + hex(c.value);
    case CmpOp::MaskedEq: return a + " & " + hex(c.value) + " == " + hex(c.value_two);
  }
  return a;
}

std::string describe_treatment(const ResolvedProfile& r, const ArchTable& t, int32_t nr) {
  auto rules = rules_for(t, nr);
  if (rules.empty()) return r.default_action.str() + " (default)";
  std::string out;
  for (const auto* x : rules) {
    if (x->conds.empty()) {
      if (!out.empty()) out += " | else ";
      return out + x->action.str();
    }
    if (!out.empty()) out += " | ";
    out += x->action.str() + " if ";
    for (size_t i = 0; i < x->conds.size(); ++i) out += (i ? " && " : "") + describe_cond(x->conds[i]);
  }
  return out + " | else " + r.default_action.str();
}

std::vector<ArchSummary> summarize(const ResolvedProfile& r) {
  std::vector<ArchSummary> out;
  for (const auto& t : r.arches) {
    ArchSummary s;
    s.arch = t.arch;
    s.skipped = t.skipped.size();
    std::map<int32_t, std::vector<const ResolvedRule*>> by_nr;
    for (const auto& x : t.rules) by_nr[x.nr].push_back(&x);
    for (const auto& [nr, rules] : by_nr) {
      switch (classify(rules, r.default_action)) {
        case SyscallClass::Allowed: ++s.allowed; break;
        case SyscallClass::Conditional: ++s.conditional; break;
        case SyscallClass::Other: ++s.other; break;
        case SyscallClass::Default: break;
      }
      std::set<uint32_t> uncond;
      for (const auto* x : rules)
        if (x->conds.empty()) uncond.insert(x->action.ret());
      if (uncond.size() > 1) {
        std::string msg = rules[0]->name + ": several unconditional actions (";
        bool first = true;
        for (const auto* x : rules)
          if (x->conds.empty()) {
            msg += (first ? "" : ", ") + x->action.str() + " at " + x->pos.str();
            first = false;
          }
        s.conflicts.push_back(msg + "); the first one applies");
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

bool ProfileDiff::empty() const {
  if (default_action) return false;
  for (const auto& a : arches)
    if (!a.empty()) return false;
  return true;
}

ProfileDiff diff_profiles(const ResolvedProfile& a, const ResolvedProfile& b) {
  ProfileDiff d;
  if (!(a.default_action == b.default_action))
    d.default_action = {a.default_action.str(), b.default_action.str()};
  auto find = [](const ResolvedProfile& p, Arch arch) -> const ArchTable* {
    for (const auto& t : p.arches)
      if (t.arch == arch) return &t;
    return nullptr;
  };
  std::vector<Arch> arches;
  for (const auto& t : a.arches) arches.push_back(t.arch);
  for (const auto& t : b.arches)
    if (std::find(arches.begin(), arches.end(), t.arch) == arches.end()) arches.push_back(t.arch);
  for (Arch arch : arches) {
    ArchDiff ad;
    ad.arch = arch;
    const ArchTable* ta = find(a, arch);
    const ArchTable* tb = find(b, arch);
    if (!ta || !tb) {
      ad.only_in_a = !tb;
      ad.only_in_b = !ta;
      d.arches.push_back(std::move(ad));
      continue;
    }
    for (const auto& e : syscall_table(arch)) {
      auto ra = rules_for(*ta, e.nr), rb = rules_for(*tb, e.nr);
      std::string da = describe_treatment(a, *ta, e.nr), db = describe_treatment(b, *tb, e.nr);
      // Compare effective behaviour, not wording: "(default)" marks are dropped.
      auto strip = [](std::string s) {
        if (s.ends_with(" (default)")) s.resize(s.size() - 10);
        return s;
      };
      if (strip(da) == strip(db)) continue;
      // Both fall through to their (different) default actions: reported once as the default difference.
      if (ra.empty() && rb.empty()) continue;
      std::string name(e.name);
      if (fully_allowed(ra, a.default_action) && never_allowed(rb, b.default_action))
        ad.only_a.push_back(name);
      else if (fully_allowed(rb, b.default_action) && never_allowed(ra, a.default_action))
        ad.only_b.push_back(name);
      else
        ad.changed.push_back({name, da, db});
    }
    std::sort(ad.only_a.begin(), ad.only_a.end());
    std::sort(ad.only_b.begin(), ad.only_b.end());
    std::sort(ad.changed.begin(), ad.changed.end(),
              [](const SyscallChange& x, const SyscallChange& y) { return x.name < y.name; });
    d.arches.push_back(std::move(ad));
  }
  return d;
}

// ---------------------------------------------------------------- merge

namespace {

std::string action_text(ActionKind k, std::optional<uint32_t> e) {
  std::string s(action_kind_scmp_name(k));
  if (e) s += "(" + std::to_string(*e) + ")";
  return s;
}

// The errno a runtime actually uses: ERRNO/TRACE without errnoRet mean EPERM (runc).
std::optional<uint32_t> eff_errno(ActionKind k, std::optional<uint32_t> e) {
  if (k == ActionKind::Errno || k == ActionKind::Trace) return e.value_or(EPERM);
  return std::nullopt;
}
bool same_action(ActionKind k1, std::optional<uint32_t> e1, ActionKind k2, std::optional<uint32_t> e2) {
  return k1 == k2 && eff_errno(k1, e1) == eff_errno(k2, e2);
}

bool unfiltered(const SyscallRule& r) { return r.args.empty() && !r.includes && !r.excludes; }

// Identity of a rule for one name, without positions or comment (to drop exact duplicates).
std::string rule_key(const std::string& name, const SyscallRule& r) {
  std::string k = name + "|" + action_text(r.action, eff_errno(r.action, r.errno_ret));
  for (const auto& a : r.args)
    k += "|" + std::to_string(a.index) + std::string(cmp_op_scmp_name(a.op)) + std::to_string(a.value) + "," +
         std::to_string(a.value_two);
  auto filt = [&](const char* tag, const std::optional<Filter>& f) {
    if (!f) return;
    k += std::string("|") + tag;
    for (const auto& c : f->caps) k += ",c:" + c;
    for (const auto& c : f->arches) k += ",a:" + c;
    if (f->min_kernel) k += ",k:" + f->min_kernel->str();
  };
  filt("inc", r.includes);
  filt("exc", r.excludes);
  return k;
}

}  // namespace

Result<MergeResult> merge_profiles(std::span<const Profile> inputs) {
  if (inputs.empty()) return Error("merge: no input profiles");
  MergeResult res;
  Profile& out = res.profile;
  const Profile& first = inputs[0];

  // Default action.
  size_t pick = 0;
  bool agree = true;
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Profile& p = inputs[i];
    if (!same_action(p.default_action, p.default_errno_ret, first.default_action, first.default_errno_ret))
      agree = false;
    if (action_precedence(p.default_action) < action_precedence(inputs[pick].default_action)) pick = i;
  }
  out.default_action = inputs[pick].default_action;
  out.default_errno_ret = inputs[pick].default_errno_ret;
  if (!agree) {
    std::string msg = "default actions differ (";
    for (size_t i = 0; i < inputs.size(); ++i)
      msg += (i ? ", " : "") + inputs[i].source + ": " +
             action_text(inputs[i].default_action, inputs[i].default_errno_ret);
    res.conflicts.push_back(msg + "); using the most restrictive, " +
                            action_text(out.default_action, out.default_errno_ret) + " from " +
                            inputs[pick].source);
  }

  // Architectures: union, in the form the inputs use.
  bool any_map = false;
  for (const auto& p : inputs) any_map = any_map || !p.arch_map.empty();
  for (const auto& p : inputs) {
    if (any_map) {
      for (const auto& e : p.arch_map) {
        auto it = std::find_if(out.arch_map.begin(), out.arch_map.end(),
                               [&](const ArchMapEntry& x) { return x.arch == e.arch; });
        if (it == out.arch_map.end()) {
          out.arch_map.push_back(ArchMapEntry{e.arch, e.sub_arches, {}});
          continue;
        }
        for (Arch s : e.sub_arches)
          if (std::find(it->sub_arches.begin(), it->sub_arches.end(), s) == it->sub_arches.end())
            it->sub_arches.push_back(s);
      }
      if (p.arch_map.empty() && !p.architectures.empty())
        res.conflicts.push_back(p.source +
                                " lists \"architectures\" while other inputs use \"archMap\"; its list is "
                                "not carried over (the archMap entries decide)");
    } else {
      for (Arch a : p.architectures)
        if (std::find(out.architectures.begin(), out.architectures.end(), a) == out.architectures.end())
          out.architectures.push_back(a);
    }
    for (const auto& f : p.flags)
      if (std::find(out.flags.begin(), out.flags.end(), f) == out.flags.end()) out.flags.push_back(f);
    if (!p.listener_path.empty()) {
      if (!out.listener_path.empty() && out.listener_path != p.listener_path)
        res.conflicts.push_back("listenerPath differs; keeping \"" + out.listener_path + "\"");
      else
        out.listener_path = p.listener_path;
    }
    if (!p.listener_metadata.empty() && out.listener_metadata.empty())
      out.listener_metadata = p.listener_metadata;
  }

  // Best unconditional, unfiltered action per syscall name over all inputs (most permissive wins).
  struct Best {
    ActionKind kind;
    std::optional<uint32_t> errno_ret;
    size_t input;
  };
  std::map<std::string, Best> best;
  auto consider = [&](const std::string& n, ActionKind k, std::optional<uint32_t> e, size_t input) {
    auto it = best.find(n);
    if (it == best.end()) {
      best[n] = Best{k, e, input};
      return;
    }
    Best& b = it->second;
    if (same_action(b.kind, b.errno_ret, k, e)) return;
    std::string was = action_text(b.kind, b.errno_ret) + " (" + inputs[b.input].source + ")";
    std::string now = action_text(k, e) + " (" + inputs[input].source + ")";
    if (action_precedence(k) > action_precedence(b.kind)) {
      res.conflicts.push_back(n + ": " + now + " wins over " + was);
      b = Best{k, e, input};
    } else {
      res.conflicts.push_back(n + ": " + was + " wins over " + now);
    }
  };
  std::vector<std::set<std::string>> named(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    for (const auto& r : inputs[i].syscalls) {
      for (const auto& n : r.names) {
        named[i].insert(n);
        if (unfiltered(r)) consider(n, r.action, r.errno_ret, i);
      }
    }
  // Inputs with a more permissive default: their default becomes explicit for the names they do not mention.
  std::vector<std::pair<size_t, std::vector<std::string>>> implicit;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Profile& p = inputs[i];
    if (action_precedence(p.default_action) <= action_precedence(out.default_action)) continue;
    std::vector<std::string> names;
    for (auto n : all_syscall_names()) {
      std::string s(n);
      if (named[i].count(s)) continue;
      names.push_back(s);
      consider(s, p.default_action, p.default_errno_ret, i);
    }
    for (const auto& r : p.syscalls)
      if (!unfiltered(r) && r.action != p.default_action)
        for (const auto& n : r.names)
          res.conflicts.push_back(
              n + ": " + p.source + " restricts it only conditionally under a " +
              action_text(p.default_action, p.default_errno_ret) +
              " default; the merged profile keeps the conditional rule (more restrictive)");
    implicit.emplace_back(i, std::move(names));
  }

  // Emit rules: each input's rules in order, minus names decided by a better (or the same earlier) rule.
  std::set<std::string> emitted_best, emitted_keys;
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (const auto& r : inputs[i].syscalls) {
      SyscallRule nr = r;
      nr.names.clear();
      nr.name_pos.clear();
      for (size_t k = 0; k < r.names.size(); ++k) {
        const std::string& n = r.names[k];
        auto it = best.find(n);
        if (it != best.end()) {
          const Best& b = it->second;
          bool is_best = unfiltered(r) && same_action(r.action, r.errno_ret, b.kind, b.errno_ret);
          if (is_best) {
            if (emitted_best.count(n)) continue;  // duplicate
            emitted_best.insert(n);
          } else if (action_precedence(r.action) <= action_precedence(b.kind)) {
            continue;  // dominated by an unconditional rule at least as permissive
          }
        }
        if (!emitted_keys.insert(rule_key(n, r)).second) continue;  // exact duplicate
        nr.names.push_back(n);
        nr.name_pos.push_back(k < r.name_pos.size() ? r.name_pos[k] : r.pos);
      }
      if (!nr.names.empty()) out.syscalls.push_back(std::move(nr));
    }
    for (const auto& [idx, names] : implicit) {
      if (idx != i) continue;
      SyscallRule nr;
      nr.action = inputs[i].default_action;
      nr.errno_ret = inputs[i].default_errno_ret;
      nr.comment = "default action of " + inputs[i].source;
      for (const auto& n : names) {
        const Best& b = best.at(n);
        if (!same_action(b.kind, b.errno_ret, nr.action, nr.errno_ret) || emitted_best.count(n)) continue;
        emitted_best.insert(n);
        nr.names.push_back(n);
        nr.name_pos.push_back({});
      }
      if (!nr.names.empty()) out.syscalls.push_back(std::move(nr));
    }
  }
  out.source = "merged";
  return res;
}

}  // namespace confine::seccomp
