// Stage (b) of the compiler: RuleTables -> decision DAG.
//
// Shape of the DAG:
//   ld arch; jeq AUDIT_ARCH_1 ? (ld nr; <search 1>) : jeq AUDIT_ARCH_2 ? ... : ret bad_arch
//   <search>: binary search (jge) over the number ranges of one audit arch;
//             small groups of isolated numbers become a jeq chain. Leaves are
//             `ret ACTION` or an argument block. Unconditional syscalls (and
//             the x32 bit check) use only ld nr/arch, jeq/jge and ret, so the
//             kernel's action cache sees constant ALLOWs as such.
//   <argument block>: per action, an OR of AND-chains of comparisons; each
//             64-bit comparison is split into 32-bit halves (high word first).
// Nodes are hash-consed: identical subgraphs (returns, shared tails) exist once.
#include <algorithm>
#include <cstddef>
#include <sstream>
#include <unordered_map>

#include "seccomp/compiler.h"

namespace confine::seccomp {
namespace {

constexpr uint32_t kOffNr = 0, kOffArch = 4, kOffIp = 8, kOffArgs = 16;

struct NodeHash {
  size_t operator()(const Node& n) const {
    uint64_t h = (uint64_t(n.kind) << 56) ^ (uint64_t(n.op) << 48) ^ n.k;
    h = h * 0x9e3779b97f4a7c15ull ^ n.next;
    h = h * 0x9e3779b97f4a7c15ull ^ n.jf;
    return static_cast<size_t>(h ^ (h >> 29));
  }
};

class Builder {
 public:
  Tree tree;

  uint32_t add(const Node& n) {
    auto [it, inserted] = index_.try_emplace(n, static_cast<uint32_t>(tree.nodes.size()));
    if (inserted) tree.nodes.push_back(n);
    return it->second;
  }
  uint32_t ret(const Action& a) { return add({NodeKind::Ret, JumpOp::Jeq, a.ret(), 0, 0}); }
  uint32_t load(uint32_t off, uint32_t next) { return add({NodeKind::Load, JumpOp::Jeq, off, next, 0}); }
  uint32_t and_(uint32_t k, uint32_t next) { return add({NodeKind::And, JumpOp::Jeq, k, next, 0}); }
  uint32_t jump(JumpOp op, uint32_t k, uint32_t jt, uint32_t jf) {
    if (jt == jf) return jt;  // the test cannot change the outcome
    return add({NodeKind::Jump, op, k, jt, jf});
  }

 private:
  std::unordered_map<Node, uint32_t, NodeHash> index_;
};

struct Ctx {
  Builder& b;
  const RuleTable& t;
  uint32_t lo_off(uint8_t i) const { return kOffArgs + 8 * i + (t.little_endian ? 0 : 4); }
  uint32_t hi_off(uint8_t i) const { return kOffArgs + 8 * i + (t.little_endian ? 4 : 0); }

  // One comparison on one 32-bit word already in A. `strict_lo` etc. are
  // expressed with the available jumps (jeq, jgt, jge, jset).
  uint32_t cmp_word(CmpOp op, uint32_t v, uint32_t T, uint32_t F) {
    switch (op) {
      case CmpOp::EQ: return b.jump(JumpOp::Jeq, v, T, F);
      case CmpOp::NE: return b.jump(JumpOp::Jeq, v, F, T);
      case CmpOp::GT: return b.jump(JumpOp::Jgt, v, T, F);
      case CmpOp::GE: return v == 0 ? T : b.jump(JumpOp::Jge, v, T, F);
      case CmpOp::LT: return v == 0 ? F : b.jump(JumpOp::Jge, v, F, T);
      case CmpOp::LE: return b.jump(JumpOp::Jgt, v, F, T);
      case CmpOp::MaskedEq: break;  // handled by masked()
    }
    return F;
  }

  // (word & m) == d, word loaded from `off`.
  uint32_t masked(uint32_t off, uint32_t m, uint32_t d, uint32_t T, uint32_t F) {
    if (d & ~m) return F;
    if (m == 0) return T;
    if (d == 0) return b.load(off, b.jump(JumpOp::Jset, m, F, T));
    if (d == m && std::has_single_bit(m)) return b.load(off, b.jump(JumpOp::Jset, m, T, F));
    if (m == 0xffffffffu) return b.load(off, b.jump(JumpOp::Jeq, d, T, F));
    return b.load(off, b.and_(m, b.jump(JumpOp::Jeq, d, T, F)));
  }

  uint32_t cond(const ArgCond& c, uint8_t bits, uint32_t T, uint32_t F) {
    if (bits == 32) {
      // libseccomp compares only the low 32 bits on 32-bit arches.
      uint32_t v = static_cast<uint32_t>(c.value), v2 = static_cast<uint32_t>(c.value_two);
      if (c.op == CmpOp::MaskedEq) return masked(lo_off(c.index), v, v2, T, F);
      if (c.op == CmpOp::LE && v == 0xffffffffu) return T;
      uint32_t w = cmp_word(c.op, v, T, F);
      return (w == T || w == F) ? w : b.load(lo_off(c.index), w);
    }
    uint32_t hi = static_cast<uint32_t>(c.value >> 32), lo = static_cast<uint32_t>(c.value);
    uint32_t ldhi = hi_off(c.index), ldlo = lo_off(c.index);
    switch (c.op) {
      case CmpOp::EQ:
        return b.load(ldhi, b.jump(JumpOp::Jeq, hi, b.load(ldlo, b.jump(JumpOp::Jeq, lo, T, F)), F));
      case CmpOp::NE:
        return b.load(ldhi, b.jump(JumpOp::Jeq, hi, b.load(ldlo, b.jump(JumpOp::Jeq, lo, F, T)), T));
      case CmpOp::MaskedEq: {
        uint64_t m = c.value, d = c.value_two;
        if (d & ~m) return F;
        uint32_t low = masked(ldlo, static_cast<uint32_t>(m), static_cast<uint32_t>(d), T, F);
        return masked(ldhi, static_cast<uint32_t>(m >> 32), static_cast<uint32_t>(d >> 32), low, F);
      }
      case CmpOp::GT:
      case CmpOp::GE:
      case CmpOp::LT:
      case CmpOp::LE: {
        // Decided by the high word unless it equals hi; then by the low word.
        bool greater_wins = c.op == CmpOp::GT || c.op == CmpOp::GE;
        uint32_t on_gt = greater_wins ? T : F, on_lt = greater_wins ? F : T;
        uint32_t low_test = cmp_word(c.op, lo, T, F);
        uint32_t low = (low_test == T || low_test == F) ? low_test : b.load(ldlo, low_test);
        if (hi == 0xffffffffu) return b.load(ldhi, b.jump(JumpOp::Jeq, hi, low, on_lt));
        // hi == 0: "not > 0" already means "== 0".
        uint32_t eq = hi == 0 ? low : b.jump(JumpOp::Jeq, hi, low, on_lt);
        return b.load(ldhi, b.jump(JumpOp::Jgt, hi, on_gt, eq));
      }
    }
    return F;
  }

  uint32_t arg_block(const SyscallRules& sr, uint32_t dflt) {
    std::vector<Action> order;
    for (const RuleEntry& e : sr.entries)
      if (std::find(order.begin(), order.end(), e.action) == order.end()) order.push_back(e.action);
    uint32_t node = dflt;
    for (auto a = order.rbegin(); a != order.rend(); ++a) {
      uint32_t succ = b.ret(*a);
      for (auto e = sr.entries.rbegin(); e != sr.entries.rend(); ++e) {
        if (!(e->action == *a)) continue;
        uint32_t T = succ;
        for (auto c = e->conds.rbegin(); c != e->conds.rend(); ++c) T = cond(*c, sr.bits, T, node);
        node = T;
      }
    }
    return node;
  }
};

struct Range {
  uint32_t first, last, leaf;
};

uint32_t search(Builder& b, const std::vector<Range>& r, size_t i, size_t j) {
  if (i == j) return r[i].leaf;
  // A few isolated numbers in a sea of one leaf: a jeq chain is shorter.
  std::optional<uint32_t> sea;
  bool chain_ok = true;
  size_t singles = 0;
  for (size_t x = i; x <= j && chain_ok; x++) {
    if (r[x].first != r[x].last) {
      if (sea && *sea != r[x].leaf) chain_ok = false;
      sea = r[x].leaf;
    }
  }
  if (chain_ok && sea) {
    for (size_t x = i; x <= j; x++)
      if (r[x].leaf != *sea) singles++;
    if (singles <= 3) {
      uint32_t node = *sea;
      for (size_t x = j + 1; x-- > i;)
        if (r[x].leaf != *sea) node = b.jump(JumpOp::Jeq, r[x].first, r[x].leaf, node);
      return node;
    }
  }
  size_t m = (i + j + 1) / 2;
  return b.jump(JumpOp::Jge, r[m].first, search(b, r, m, j), search(b, r, i, m - 1));
}

}  // namespace

Result<Tree> build_tree(const RuleTables& rt) {
  Builder b;
  uint32_t dflt = b.ret(rt.default_action);
  uint32_t bad = b.ret(rt.bad_arch_action);
  std::vector<std::pair<uint32_t, uint32_t>> arch_blocks;  // audit arch, block
  for (const RuleTable& t : rt.tables) {
    Ctx ctx{b, t};
    std::vector<Range> pts;
    auto in_bad = [&](uint32_t nr) {
      for (auto [a, z] : t.bad_arch_ranges)
        if (nr >= a && nr <= z) return true;
      return false;
    };
    for (auto [a, z] : t.bad_arch_ranges) pts.push_back({a, z, bad});
    for (const auto& [nr, sr] : t.syscalls) {
      if (in_bad(nr)) continue;  // fail closed: the number cannot be this arch's
      uint32_t leaf = sr.unconditional ? b.ret(*sr.unconditional) : ctx.arg_block(sr, dflt);
      pts.push_back({nr, nr, leaf});
    }
    std::sort(pts.begin(), pts.end(), [](const Range& x, const Range& y) { return x.first < y.first; });
    // Fill gaps with the default action and merge neighbours with the same leaf.
    std::vector<Range> ranges;
    auto push = [&](Range r) {
      if (!ranges.empty() && ranges.back().leaf == r.leaf && ranges.back().last + 1 == r.first)
        ranges.back().last = r.last;
      else
        ranges.push_back(r);
    };
    uint64_t next = 0;
    for (const Range& r : pts) {
      if (r.first > next) push({static_cast<uint32_t>(next), r.first - 1, dflt});
      push(r);
      next = uint64_t(r.last) + 1;
    }
    if (next <= 0xffffffffull) push({static_cast<uint32_t>(next), 0xffffffffu, dflt});
    uint32_t body = search(b, ranges, 0, ranges.size() - 1);
    arch_blocks.push_back({t.audit_arch, b.load(kOffNr, body)});
  }
  uint32_t node = bad;
  for (auto it = arch_blocks.rbegin(); it != arch_blocks.rend(); ++it)
    node = b.jump(JumpOp::Jeq, it->first, it->second, node);
  b.tree.root = b.load(kOffArch, node);
  (void)kOffIp;
  return std::move(b.tree);
}

std::string dump_tree(const Tree& t) {
  std::ostringstream os;
  auto field = [](uint32_t off) -> std::string {
    if (off == kOffNr) return "nr";
    if (off == kOffArch) return "arch";
    if (off == kOffIp) return "ip";
    if (off == kOffIp + 4) return "ip+4";
    uint32_t a = (off - kOffArgs) / 8;
    return "args[" + std::to_string(a) + "]" + ((off - kOffArgs) % 8 ? "+4" : "");
  };
  for (size_t i = t.nodes.size(); i-- > 0;) {
    const Node& n = t.nodes[i];
    char buf[160];
    switch (n.kind) {
      case NodeKind::Ret: snprintf(buf, sizeof buf, "ret %s", Action::from_ret(n.k).str().c_str()); break;
      case NodeKind::Load: snprintf(buf, sizeof buf, "ld [%s] -> n%u", field(n.k).c_str(), n.next); break;
      case NodeKind::And: snprintf(buf, sizeof buf, "and 0x%x -> n%u", n.k, n.next); break;
      case NodeKind::Jump: {
        const char* op = n.op == JumpOp::Jeq   ? "jeq"
                         : n.op == JumpOp::Jgt ? "jgt"
                         : n.op == JumpOp::Jge ? "jge"
                                               : "jset";
        snprintf(buf, sizeof buf, "%s 0x%x ? n%u : n%u", op, n.k, n.next, n.jf);
        break;
      }
    }
    os << (i == t.root ? "*" : " ") << "n" << i << ": " << buf << "\n";
  }
  return os.str();
}

}  // namespace confine::seccomp
