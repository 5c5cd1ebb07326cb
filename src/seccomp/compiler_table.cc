// Stage (a) of the compiler: ResolvedProfile -> RuleTables.
#include <algorithm>
#include <bit>
#include <deque>
#include <set>
#include <sstream>
#include <unordered_map>

#include "seccomp/compiler.h"

namespace confine::seccomp {
namespace {

// libseccomp (arch-x86.c) turns every rule for a socket-family or SysV IPC
// syscall on x86 into two: the direct syscall, and the multiplexer
// (socketcall 102 / ipc 117) with arg0 replaced by "== call number" (the
// other argument conditions are kept as written, on the multiplexer's args).
struct MuxEntry {
  std::string_view name;
  uint32_t call;
};
constexpr MuxEntry kX86SocketCalls[] = {
    {"socket", 1},      {"bind", 2},        {"connect", 3},    {"listen", 4},      {"accept", 5},
    {"getsockname", 6}, {"getpeername", 7}, {"socketpair", 8}, {"send", 9},        {"recv", 10},
    {"sendto", 11},     {"recvfrom", 12},   {"shutdown", 13},  {"setsockopt", 14}, {"getsockopt", 15},
    {"sendmsg", 16},    {"recvmsg", 17},    {"accept4", 18},   {"recvmmsg", 19},   {"sendmmsg", 20},
};
constexpr MuxEntry kX86IpcCalls[] = {
    {"semop", 1},   {"semget", 2},  {"semctl", 3}, {"semtimedop", 4}, {"msgsnd", 11}, {"msgrcv", 12},
    {"msgget", 13}, {"msgctl", 14}, {"shmat", 21}, {"shmdt", 22},     {"shmget", 23}, {"shmctl", 24},
};
constexpr int32_t kX86Socketcall = 102;
constexpr int32_t kX86Ipc = 117;

std::optional<std::pair<int32_t, uint32_t>> x86_mux(std::string_view name) {
  static const auto* index = [] {
    auto* m = new std::unordered_map<std::string_view, std::pair<int32_t, uint32_t>>;
    for (const auto& e : kX86SocketCalls) (*m)[e.name] = {kX86Socketcall, e.call};
    for (const auto& e : kX86IpcCalls) (*m)[e.name] = {kX86Ipc, e.call};
    return m;
  }();
  auto it = index->find(name);
  if (it == index->end()) return std::nullopt;
  return it->second;
}

// How one rule for a multiplexed syscall is carried over to socketcall/ipc (docs/compiler.md
// "x86 socketcall and ipc"). The multiplexer's real arguments are behind a pointer the filter
// cannot read, so only the call number can be checked.
enum class MuxUse : uint8_t {
  Exact,       // unconditional rule: socketcall(call) -> action, exactly the same syscall
  Skip,        // conditional rule less strict than the default: not carried over (fail-closed)
  CallOnly,    // conditional rule stricter than the default: action for every socketcall(call)
  Libseccomp,  // --compat libseccomp: call-number check plus the rule's other conditions, as libseccomp
};

MuxUse mux_use(const ResolvedRule& r, const Action& default_action, const CompileOptions& o) {
  if (r.conds.empty()) return MuxUse::Exact;
  if (o.libseccomp_compat) return MuxUse::Libseccomp;
  return action_precedence(r.action.kind) < action_precedence(default_action.kind) ? MuxUse::CallOnly
                                                                                   : MuxUse::Skip;
}

std::string where(const SourcePos& p) {
  std::string s = p.str();
  return s.empty() ? "<unknown position>" : s;
}

// Satisfiability of ANDed conditions on one argument word of `bits` bits.
struct WordConstraint {
  uint64_t full;  // all-ones of the word width
  uint64_t lo = 0, hi;
  uint64_t fixed_mask = 0, fixed_bits = 0;
  std::set<uint64_t> ne;
  bool unsat = false;

  explicit WordConstraint(uint8_t bits) : full(bits == 32 ? 0xffffffffull : ~0ull), hi(full) {}

  void add(const ArgCond& c) {
    uint64_t v = c.value & full, v2 = c.value_two & full;
    switch (c.op) {
      case CmpOp::EQ:
        lo = std::max(lo, v);
        hi = std::min(hi, v);
        break;
      case CmpOp::NE: ne.insert(v); break;
      case CmpOp::LT:
        if (v == 0)
          unsat = true;
        else
          hi = std::min(hi, v - 1);
        break;
      case CmpOp::LE: hi = std::min(hi, v); break;
      case CmpOp::GT:
        if (v == full)
          unsat = true;
        else
          lo = std::max(lo, v + 1);
        break;
      case CmpOp::GE: lo = std::max(lo, v); break;
      case CmpOp::MaskedEq:
        // (arg & v) == v2
        if (v2 & ~v) {
          unsat = true;
          break;
        }
        if ((fixed_mask & v) & (fixed_bits ^ v2)) {
          unsat = true;
          break;
        }
        fixed_mask |= v;
        fixed_bits |= v2;
        break;
    }
  }

  // Deposits the low bits of k into the positions of mask (software pdep).
  static uint64_t deposit(uint64_t k, uint64_t mask) {
    uint64_t r = 0;
    for (uint64_t m = mask; m; m &= m - 1) {
      if (k & 1) r |= m & -m;
      k >>= 1;
    }
    return r;
  }

  // Smallest v >= x (v <= full) with (v & fixed_mask) == fixed_bits.
  std::optional<uint64_t> next_fixed(uint64_t x) const {
    uint64_t free = ~fixed_mask & full;
    int n = std::popcount(free);
    uint64_t kmax = n == 64 ? ~0ull : (1ull << n) - 1;
    auto f = [&](uint64_t k) { return fixed_bits | deposit(k, free); };
    if (f(kmax) < x) return std::nullopt;
    uint64_t a = 0, b = kmax;  // f is increasing in k; find min k with f(k) >= x
    while (a < b) {
      uint64_t m = a + (b - a) / 2;
      if (f(m) >= x)
        b = m;
      else
        a = m + 1;
    }
    return f(a);
  }

  bool satisfiable() const {
    if (unsat || lo > hi) return false;
    std::optional<uint64_t> x = next_fixed(lo);
    for (size_t i = 0; i <= ne.size(); i++) {
      if (!x || *x > hi) return false;
      if (!ne.count(*x)) return true;
      if (*x == full) return false;
      x = next_fixed(*x + 1);
    }
    return false;
  }
};

std::string conds_str(std::span<const ArgCond> conds) {
  std::string s;
  for (const auto& c : conds) {
    if (!s.empty()) s += " && ";
    char buf[96];
    if (c.op == CmpOp::MaskedEq)
      snprintf(buf, sizeof buf, "(a%u & 0x%llx) == 0x%llx", c.index, (unsigned long long)c.value,
               (unsigned long long)c.value_two);
    else {
      const char* op = "?";
      switch (c.op) {
        case CmpOp::NE: op = "!="; break;
        case CmpOp::LT: op = "<"; break;
        case CmpOp::LE: op = "<="; break;
        case CmpOp::EQ: op = "=="; break;
        case CmpOp::GE: op = ">="; break;
        case CmpOp::GT: op = ">"; break;
        case CmpOp::MaskedEq: break;
      }
      snprintf(buf, sizeof buf, "a%u %s 0x%llx", c.index, op, (unsigned long long)c.value);
    }
    s += buf;
  }
  return s;
}

}  // namespace

bool conds_overlap(std::span<const ArgCond> a, std::span<const ArgCond> b, uint8_t bits) {
  for (uint8_t idx = 0; idx < 6; idx++) {
    WordConstraint w(bits);
    for (const auto& c : a)
      if (c.index == idx) w.add(c);
    for (const auto& c : b)
      if (c.index == idx) w.add(c);
    if (!w.satisfiable()) return false;
  }
  return true;
}

std::vector<Warning> x86_multiplexer_remarks(const ResolvedProfile& rp, const CompileOptions& opts) {
  std::vector<Warning> out;
  if (!opts.multiplexers) return out;
  for (const ArchTable& at : rp.arches) {
    if (at.arch != Arch::X86) continue;
    for (const ResolvedRule& r : at.rules) {
      auto mux = x86_mux(r.name);
      if (!mux || r.conds.empty() || r.action == rp.default_action) continue;
      std::string call = std::string(mux->first == kX86Socketcall ? "socketcall" : "ipc") + "(" +
                         std::to_string(mux->second) + ")";
      std::string m = "x86 (i386): " + r.name + " rule " + r.action.str() +
                      " with argument conditions: through " + call +
                      " its arguments cannot be checked (they are in memory behind a pointer), so ";
      switch (mux_use(r, rp.default_action, opts)) {
        case MuxUse::Skip:
          m += "it does not apply to " + call + ", which the profile's other rules or the default action " +
               rp.default_action.str() + " decide (fail-closed; --compat libseccomp would make it an " +
               r.action.str() + " for " + call + " with any arguments, as libseccomp does)";
          break;
        case MuxUse::CallOnly:
          m += r.action.str() + " applies to every " + call +
               " whatever its arguments (stricter than the default " + rp.default_action.str() + ")";
          break;
        case MuxUse::Libseccomp:
          m += "--compat libseccomp makes it " + r.action.str() + " for " + call +
               " with any arguments (wider than the rule, as libseccomp does)";
          break;
        case MuxUse::Exact: continue;
      }
      out.push_back({r.pos, std::move(m)});
    }
  }
  return out;
}

Result<RuleTables> build_rule_tables(const ResolvedProfile& rp, const CompileOptions& opts) {
  RuleTables out;
  out.default_action = rp.default_action;
  out.bad_arch_action = opts.bad_arch_action;
  if (rp.arches.empty()) return Error("profile has no architectures to compile for");

  struct Raw {  // a view of one rule (no copies: this loop is the compiler's hot spot)
    std::string_view name;
    const std::vector<ArgCond>* conds;
    Action action;
    const SourcePos* pos;
    std::string_view origin;
    uint8_t bits;
  };
  std::deque<std::vector<ArgCond>> mux_conds;  // stable storage for multiplexed conditions
  std::set<Arch> seen;
  for (const ArchTable& at : rp.arches) {
    if (!seen.insert(at.arch).second)
      return Error("architecture " + std::string(arch_info(at.arch).name) + " listed twice");
    const ArchInfo& ai = arch_info(at.arch);
    auto it = std::find_if(out.tables.begin(), out.tables.end(),
                           [&](const RuleTable& t) { return t.audit_arch == ai.audit_arch; });
    if (it == out.tables.end()) {
      RuleTable t;
      t.audit_arch = ai.audit_arch;
      t.bits = ai.bits;
      t.little_endian = ai.little_endian;
      out.tables.push_back(std::move(t));
      it = out.tables.end() - 1;
    }
    it->arches.push_back(at.arch);
  }

  for (RuleTable& t : out.tables) {
    // Gather this audit arch's rules (X86_64 and X32 share one table: their numbers are disjoint).
    std::vector<std::pair<uint32_t, Raw>> all;
    for (const ArchTable& at : rp.arches) {
      if (arch_info(at.arch).audit_arch != t.audit_arch) continue;
      for (const ResolvedRule& r : at.rules) {
        for (const ArgCond& c : r.conds)
          if (c.index > 5)
            return Error::at(c.pos, "argument index " + std::to_string(c.index) + " out of range 0..5");
        if (r.action == rp.default_action) {
          out.dropped_default++;
          continue;
        }
        all.push_back({static_cast<uint32_t>(r.nr),
                       {r.name, &r.conds, r.action, &r.pos, r.name, arch_info(at.arch).bits}});
        if (opts.multiplexers && at.arch == Arch::X86) {
          auto mux = x86_mux(r.name);
          MuxUse use = mux ? mux_use(r, rp.default_action, opts) : MuxUse::Skip;
          if (use != MuxUse::Skip) {
            std::vector<ArgCond>& mc = mux_conds.emplace_back();
            ArgCond sel;
            sel.index = 0;
            sel.op = CmpOp::EQ;
            sel.value = mux->second;
            sel.pos = r.pos;
            mc.push_back(sel);
            if (use == MuxUse::Libseccomp)
              for (const ArgCond& c : r.conds)
                if (c.index != 0) mc.push_back(c);
            Raw m{mux->first == kX86Socketcall ? "socketcall" : "ipc", &mc, r.action, &r.pos, r.name, 32};
            all.push_back({static_cast<uint32_t>(mux->first), m});
          }
        }
      }
    }
    bool has64 = false, has32 = false;
    for (Arch a : t.arches) {
      has64 |= a == Arch::X86_64;
      has32 |= a == Arch::X32;
    }
    if (has64 && !has32) t.bad_arch_ranges.push_back({kX32SyscallBit, 0xfffffffeu});
    if (has32 && !has64) t.bad_arch_ranges.push_back({0, kX32SyscallBit - 1});

    // Group by number, keeping profile order inside a group: sort small (nr, index) keys.
    std::vector<uint64_t> keys(all.size());
    for (size_t i = 0; i < all.size(); i++) keys[i] = (uint64_t(all[i].first) << 32) | i;
    std::sort(keys.begin(), keys.end());
    std::vector<Raw> raws;
    for (size_t g = 0; g < keys.size();) {
      uint32_t nr = static_cast<uint32_t>(keys[g] >> 32);
      raws.clear();
      for (; g < keys.size() && (keys[g] >> 32) == nr; g++) raws.push_back(all[keys[g] & 0xffffffffu].second);
      SyscallRules sr;
      // Prefer the real syscall's name over a multiplexed origin.
      sr.name = std::string(raws.front().name);
      sr.bits = raws.front().bits;
      const Raw* uncond = nullptr;
      for (const Raw& r : raws) {
        if (!r.conds->empty()) continue;
        if (!uncond) {
          uncond = &r;
        } else if (!(uncond->action == r.action)) {
          // libseccomp keeps the first unconditional rule and ignores later ones
          // (podman's profile relies on it, e.g. setns): match it, loudly.
          out.shadowed++;
          out.notes.push_back(where(*r.pos) + ": unconditional " + r.action.str() + " rule for " + sr.name +
                              " is overridden by the earlier unconditional " + uncond->action.str() +
                              " rule at " + where(*uncond->pos) + " (libseccomp keeps the first)");
        }
      }
      if (uncond) {
        sr.unconditional = uncond->action;
        sr.unconditional_pos = *uncond->pos;
        for (const Raw& r : raws) {
          if (r.conds->empty() || r.action == uncond->action) continue;
          out.shadowed++;
          out.notes.push_back(where(*r.pos) + ": conditional " + r.action.str() + " rule for " + sr.name +
                              (r.origin != sr.name ? " (from " + std::string(r.origin) + ")" : "") +
                              " is overridden by the unconditional " + uncond->action.str() + " rule at " +
                              where(*uncond->pos));
        }
      } else {
        for (size_t i = 0; i < raws.size(); i++) {
          for (size_t j = 0; j < i; j++) {
            if (raws[i].action == raws[j].action) continue;
            if (conds_overlap(*raws[i].conds, *raws[j].conds, sr.bits)) {
              auto desc = [&](const Raw& r) {
                return r.action.str() + " if " + conds_str(*r.conds) +
                       (r.origin != sr.name ? " (multiplexed from " + std::string(r.origin) + ")" : "");
              };
              return Error::at(*raws[i].pos, "conflicting rules for syscall " + sr.name + " on " +
                                                 std::string(arch_info(t.arches.front()).name) + ": " +
                                                 desc(raws[i]) + " here overlaps " + desc(raws[j]) + " at " +
                                                 where(*raws[j].pos) + " (some arguments match both)");
            }
          }
        }
        for (const Raw& r : raws) sr.entries.push_back({*r.conds, r.action, *r.pos, std::string(r.origin)});
      }
      t.syscalls.emplace(nr, std::move(sr));
    }
  }
  // The same source rule can produce the same note on several arches: keep the first of each.
  std::set<std::string> seen_notes;
  std::erase_if(out.notes, [&](const std::string& n) { return !seen_notes.insert(n).second; });
  return out;
}

std::string dump_rule_tables(const RuleTables& rt) {
  std::ostringstream os;
  os << "default " << rt.default_action.str() << "\nbad_arch " << rt.bad_arch_action.str() << "\n";
  for (const RuleTable& t : rt.tables) {
    char buf[64];
    snprintf(buf, sizeof buf, "0x%08x", t.audit_arch);
    os << "arch";
    for (Arch a : t.arches) os << " " << arch_info(a).name;
    os << " audit=" << buf << "\n";
    for (auto [a, b] : t.bad_arch_ranges) {
      snprintf(buf, sizeof buf, "0x%08x..0x%08x", a, b);
      os << "  nr " << buf << " -> bad_arch\n";
    }
    for (const auto& [nr, sr] : t.syscalls) {
      os << "  " << static_cast<int32_t>(nr) << " " << sr.name;
      if (sr.unconditional) {
        os << " -> " << sr.unconditional->str() << "\n";
        continue;
      }
      os << (sr.bits == 32 ? " (low 32 bits)" : "") << "\n";
      for (const RuleEntry& e : sr.entries)
        os << "    if " << conds_str(e.conds) << " -> " << e.action.str()
           << (e.origin != sr.name ? "  [" + e.origin + "]" : "") << "\n";
    }
  }
  return os.str();
}

}  // namespace confine::seccomp
