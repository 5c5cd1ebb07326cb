// Stage (d) of the compiler: lossless bytecode passes, run to a fixpoint.
//   thread_jumps   a jump to a `ja` goes straight to its target; a jump whose
//                  target tests A again with a known outcome skips that test;
//                  `ja` to a `ret` becomes the `ret`; jt == jf becomes `ja`.
//   dedupe_returns a jump to a `ret X` goes to the farthest identical `ret X`
//                  in range, so the others become unreachable.
//   remove_dead    drops unreachable instructions and `ja 0`.
// Jumps only ever move forward, and conditional offsets stay <= 255.
#include <algorithm>
#include <map>
#include <optional>

#include "seccomp/compiler.h"

namespace confine::seccomp {
namespace {

struct Ins {
  sock_filter f;
  uint32_t jt = 0, jf = 0;  // absolute targets (JA: jt)
};

bool is_ret(const sock_filter& f) { return BPF_CLASS(f.code) == BPF_RET; }
bool is_ja(const sock_filter& f) { return f.code == (BPF_JMP | BPF_JA); }
bool is_cond(const sock_filter& f) { return BPF_CLASS(f.code) == BPF_JMP && !is_ja(f); }

std::vector<Ins> to_abs(const std::vector<sock_filter>& p) {
  std::vector<Ins> v(p.size());
  for (size_t i = 0; i < p.size(); i++) {
    v[i].f = p[i];
    if (is_ja(p[i]))
      v[i].jt = static_cast<uint32_t>(i + 1 + p[i].k);
    else if (is_cond(p[i])) {
      v[i].jt = static_cast<uint32_t>(i + 1 + p[i].jt);
      v[i].jf = static_cast<uint32_t>(i + 1 + p[i].jf);
    }
  }
  return v;
}

std::vector<sock_filter> from_abs(const std::vector<Ins>& v) {
  std::vector<sock_filter> p(v.size());
  for (size_t i = 0; i < v.size(); i++) {
    p[i] = v[i].f;
    if (is_ja(v[i].f))
      p[i].k = static_cast<uint32_t>(v[i].jt - i - 1);
    else if (is_cond(v[i].f)) {
      p[i].jt = static_cast<uint8_t>(v[i].jt - i - 1);
      p[i].jf = static_cast<uint8_t>(v[i].jf - i - 1);
    }
  }
  return p;
}

// Outcome of test `t` given that test `s` (on the same, unchanged A) went `taken`.
std::optional<bool> known_outcome(const sock_filter& s, bool taken, const sock_filter& t) {
  uint32_t op = BPF_OP(s.code), top = BPF_OP(t.code);
  if (BPF_SRC(s.code) != BPF_K || BPF_SRC(t.code) != BPF_K) return std::nullopt;
  uint64_t K = s.k, T = t.k;
  if (op == top && K == T) return taken;
  // Known interval [lo, hi] of A, or an exact value.
  uint64_t lo = 0, hi = 0xffffffffull;
  if (op == BPF_JEQ) {
    if (!taken) return std::nullopt;
    lo = hi = K;
  } else if (op == BPF_JGT) {
    if (taken)
      lo = K + 1;
    else
      hi = K;
  } else if (op == BPF_JGE) {
    if (taken)
      lo = K;
    else if (K == 0)
      return std::nullopt;
    else
      hi = K - 1;
  } else {
    return std::nullopt;
  }
  if (lo > hi) return std::nullopt;
  switch (top) {
    case BPF_JEQ:
      if (T < lo || T > hi) return false;
      if (lo == hi) return lo == T;
      return std::nullopt;
    case BPF_JGT:
      if (lo > T) return true;
      if (hi <= T) return false;
      return std::nullopt;
    case BPF_JGE:
      if (lo >= T) return true;
      if (hi < T) return false;
      return std::nullopt;
    case BPF_JSET:
      if (lo == hi) return (lo & T) != 0;
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace

bool pass_thread_jumps(std::vector<sock_filter>& p) {
  std::vector<Ins> v = to_abs(p);
  bool changed = false;
  for (size_t i = 0; i < v.size(); i++) {
    Ins& in = v[i];
    if (is_ja(in.f)) {
      uint32_t t = in.jt;
      for (int hop = 0; hop < 64 && is_ja(v[t].f); hop++) t = v[t].jt;
      if (is_ret(v[t].f)) {
        in.f = v[t].f;
        changed = true;
      } else if (t != in.jt) {
        in.jt = t;
        changed = true;
      }
      continue;
    }
    if (!is_cond(in.f)) continue;
    for (int branch = 0; branch < 2; branch++) {
      uint32_t& tgt = branch == 0 ? in.jt : in.jf;
      uint32_t t = tgt;
      for (int hop = 0; hop < 64; hop++) {
        uint32_t t2;
        if (is_ja(v[t].f)) {
          t2 = v[t].jt;
        } else if (is_cond(v[t].f)) {
          auto o = known_outcome(in.f, branch == 0, v[t].f);
          if (!o) break;
          t2 = *o ? v[t].jt : v[t].jf;
        } else {
          break;
        }
        if (t2 - i - 1 > 255) break;
        t = t2;
      }
      if (t != tgt) {
        tgt = t;
        changed = true;
      }
    }
    if (in.jt == in.jf) {
      in.f = BPF_STMT(BPF_JMP | BPF_JA, 0);
      changed = true;
    }
  }
  if (changed) p = from_abs(v);
  return changed;
}

bool pass_dedupe_returns(std::vector<sock_filter>& p) {
  std::vector<Ins> v = to_abs(p);
  std::map<uint32_t, std::vector<uint32_t>> rets;  // value -> positions (ascending)
  for (size_t i = 0; i < v.size(); i++)
    if (is_ret(v[i].f) && BPF_RVAL(v[i].f.code) == BPF_K) rets[v[i].f.k].push_back(static_cast<uint32_t>(i));
  bool changed = false;
  auto retarget = [&](size_t i, uint32_t& tgt, uint64_t max_dist) {
    const sock_filter& t = v[tgt].f;
    if (!is_ret(t) || BPF_RVAL(t.code) != BPF_K) return;
    const auto& pos = rets[t.k];
    // Farthest identical return still reachable from i.
    auto it = std::upper_bound(pos.begin(), pos.end(), static_cast<uint64_t>(i) + 1 + max_dist,
                               [](uint64_t x, uint32_t y) { return x < y; });
    if (it == pos.begin()) return;
    uint32_t q = *--it;
    if (q > tgt) {
      tgt = q;
      changed = true;
    }
  };
  for (size_t i = 0; i < v.size(); i++) {
    if (is_ja(v[i].f))
      retarget(i, v[i].jt, 0xffffffffull);
    else if (is_cond(v[i].f)) {
      retarget(i, v[i].jt, 255);
      retarget(i, v[i].jf, 255);
    }
  }
  if (changed) p = from_abs(v);
  return changed;
}

bool pass_remove_dead(std::vector<sock_filter>& p) {
  std::vector<Ins> v = to_abs(p);
  std::vector<bool> live(v.size(), false);
  std::vector<uint32_t> work{0};
  while (!work.empty()) {
    uint32_t i = work.back();
    work.pop_back();
    if (i >= v.size() || live[i]) continue;
    live[i] = true;
    const sock_filter& f = v[i].f;
    if (is_ret(f)) continue;
    if (is_ja(f))
      work.push_back(v[i].jt);
    else if (is_cond(f)) {
      work.push_back(v[i].jt);
      work.push_back(v[i].jf);
    } else {
      work.push_back(i + 1);
    }
  }
  // Nops (`ja 0`) are dropped too; references to them go to their successor.
  std::vector<bool> keep(v.size());
  for (size_t i = 0; i < v.size(); i++) keep[i] = live[i] && !(is_ja(v[i].f) && v[i].jt == i + 1);
  if (std::all_of(keep.begin(), keep.end(), [](bool b) { return b; })) return false;
  std::vector<uint32_t> idx(v.size() + 1);
  uint32_t n = 0;
  for (size_t i = 0; i < v.size(); i++) {
    idx[i] = n;
    if (keep[i]) n++;
  }
  idx[v.size()] = n;
  // A removed nop's index is that of the next kept instruction, which is its target.
  std::vector<Ins> out;
  out.reserve(n);
  for (size_t i = 0; i < v.size(); i++) {
    if (!keep[i]) continue;
    Ins in = v[i];
    in.jt = idx[in.jt];
    in.jf = idx[in.jf];
    out.push_back(in);
  }
  p = from_abs(out);
  return true;
}

size_t optimize(std::vector<sock_filter>& p) {
  size_t rounds = 0;
  while (rounds < 64) {
    rounds++;
    bool changed = pass_thread_jumps(p);
    changed |= pass_dedupe_returns(p);
    changed |= pass_remove_dead(p);
    if (!changed) break;
  }
  return rounds;
}

}  // namespace confine::seccomp
