// AppArmor file-rule evaluation (see eval.h for the semantics).
#include "apparmor/eval.h"

#include <algorithm>
#include <cstring>

namespace confine::apparmor {

std::string perm_letters(uint16_t m) {
  static constexpr char kLetters[] = "rwalkmx";
  std::string s;
  for (int i = 0; i < 7; ++i)
    if (m & (1u << i)) s += kLetters[i];
  return s;
}

uint16_t perms_from_rule(std::string_view p) {
  uint16_t m = 0;
  for (char c : p) {
    switch (c) {
      case 'r': m |= kPermRead; break;
      case 'w': m |= kPermWrite | kPermAppend; break;
      case 'a': m |= kPermAppend; break;
      case 'l': m |= kPermLink; break;
      case 'k': m |= kPermLock; break;
      case 'm': m |= kPermMmap; break;
      case 'x': m |= kPermExec; break;
      default: break;  // exec modifiers i p c u P C U
    }
  }
  // apparmor_parser: "ix implies m" (also pix, cix)
  if (p.find("ix") != std::string_view::npos) m |= kPermMmap;
  return m;
}

// ---- globs --------------------------------------------------------------------------

Result<Glob> Glob::compile(std::string_view pat) {
  Glob g;
  g.pattern_ = std::string(pat);
  std::vector<Atom> atoms;
  auto lit = [&](char c) { atoms.push_back(Atom{Kind::Lit, c, 0}); };
  auto bad = [&](const std::string& why) { return Error("glob \"" + g.pattern_ + "\": " + why); };
  for (size_t i = 0; i < pat.size(); ++i) {
    char c = pat[i];
    if (c == '\\') {
      if (i + 1 >= pat.size()) return bad("trailing '\\'");
      lit(pat[++i]);
      continue;
    }
    if (c == '*') {
      size_t j = i;
      while (j < pat.size() && pat[j] == '*') ++j;
      // apparmor_parser: a * or ** right after '/' that ends the component or the
      // pattern must match at least one character (/a/* does not match /a/).
      bool after_slash = !atoms.empty() && atoms.back().kind == Kind::Lit && atoms.back().c == '/';
      if (after_slash && (j == pat.size() || pat[j] == '/')) atoms.push_back(Atom{Kind::AnyButSlash, 0, 0});
      if (i + 1 < pat.size() && pat[i + 1] == '*') {
        atoms.push_back(Atom{Kind::StarStar, 0, 0});
        ++i;
      } else {
        atoms.push_back(Atom{Kind::Star, 0, 0});
      }
      continue;
    }
    if (c == '?') {
      atoms.push_back(Atom{Kind::AnyButSlash, 0, 0});
      continue;
    }
    if (c == '[') {
      std::bitset<256> set;
      size_t j = i + 1;
      bool neg = false;
      if (j < pat.size() && pat[j] == '^') neg = true, ++j;
      bool first = true;
      bool closed = false;
      while (j < pat.size()) {
        unsigned char a = static_cast<unsigned char>(pat[j]);
        if (a == ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        if (a == '\\' && j + 1 < pat.size()) a = static_cast<unsigned char>(pat[++j]);
        if (j + 2 < pat.size() && pat[j + 1] == '-' && pat[j + 2] != ']') {
          unsigned char b = static_cast<unsigned char>(pat[j + 2]);
          if (b == '\\' && j + 3 < pat.size()) b = static_cast<unsigned char>(pat[++j + 2]);
          if (b < a) return bad("bad range in character class");
          for (unsigned v = a; v <= b; ++v) set.set(v);
          j += 3;
          continue;
        }
        set.set(a);
        ++j;
      }
      if (!closed) return bad("unterminated character class");
      if (neg) set.flip();
      set.reset(0);
      if (g.classes_.size() >= 65535) return bad("too many character classes");
      g.classes_.push_back(set);
      atoms.push_back(Atom{Kind::Class, 0, static_cast<uint16_t>(g.classes_.size() - 1)});
      i = j;
      continue;
    }
    if (c == '{' || c == '}') return bad("unexpanded alternation (expand() first)");
    if (c == ']') return bad("']' without '['");
    if (c == '/' && !atoms.empty() && atoms.back().kind == Kind::Lit && atoms.back().c == '/') continue;
    lit(c);
  }
  size_t k = 0;
  while (k < atoms.size() && atoms[k].kind == Kind::Lit) g.prefix_ += atoms[k++].c;
  g.atoms_.assign(atoms.begin() + static_cast<long>(k), atoms.end());
  if (g.atoms_.size() < 64) {
    g.eat_.assign(256, 0);
    for (size_t i = 0; i < g.atoms_.size(); ++i) {
      const Atom& a = g.atoms_[i];
      if (a.kind == Kind::Star || a.kind == Kind::StarStar) g.star_ |= 1ull << i;
      for (unsigned ch = 1; ch < 256; ++ch)
        if (g.atom_eats(a, static_cast<unsigned char>(ch))) g.eat_[ch] |= 1ull << i;
    }
  }
  return g;
}

bool Glob::atom_eats(const Atom& a, unsigned char ch) const {
  switch (a.kind) {
    case Kind::Lit: return static_cast<unsigned char>(a.c) == ch;
    case Kind::AnyButSlash:
    case Kind::Star: return ch != '/';
    case Kind::Class: return classes_[a.cls].test(ch);
    case Kind::StarStar: return true;
  }
  return false;
}

bool Glob::match(std::string_view path) const {
  if (path.size() < prefix_.size() || path.compare(0, prefix_.size(), prefix_) != 0) return false;
  std::string_view rest = path.substr(prefix_.size());
  const size_t n = atoms_.size();
  if (n == 0) return rest.empty();
  if (n == 1 && atoms_[0].kind == Kind::StarStar) return true;
  if (n == 1 && atoms_[0].kind == Kind::Star) return rest.find('/') == std::string_view::npos;
  if (n == 2 && atoms_[0].kind == Kind::AnyButSlash && atoms_[1].kind == Kind::StarStar)
    return !rest.empty() && rest[0] != '/';
  // NFA simulation over atom positions: O(|path| * atoms), no backtracking.
  if (!eat_.empty()) {  // Shift-And with self-loops for the stars
    auto closure = [&](uint64_t d) {
      while (true) {
        uint64_t e = d | ((d & star_) << 1);
        if (e == d) return d;
        d = e;
      }
    };
    uint64_t d = closure(1);
    for (char chs : rest) {
      uint64_t eat = d & eat_[static_cast<unsigned char>(chs)];
      d = ((eat & ~star_) << 1) | (eat & star_);
      if (!d) return false;
      d = closure(d);
    }
    return (d >> n) & 1;
  }
  // State sets live on the stack for the usual short globs.
  uint8_t sa[128], sb[128];
  std::vector<uint8_t> va, vb;
  uint8_t* cur = sa;
  uint8_t* nxt = sb;
  if (n + 1 > sizeof sa) {
    va.resize(n + 1);
    vb.resize(n + 1);
    cur = va.data();
    nxt = vb.data();
  }
  std::memset(cur, 0, n + 1);
  auto closure = [&](uint8_t* s) {
    for (size_t i = 0; i < n; ++i)
      if (s[i] && (atoms_[i].kind == Kind::Star || atoms_[i].kind == Kind::StarStar)) s[i + 1] = 1;
  };
  cur[0] = 1;
  closure(cur);
  for (char chs : rest) {
    unsigned char ch = static_cast<unsigned char>(chs);
    std::memset(nxt, 0, n + 1);
    bool any = false;
    for (size_t i = 0; i < n; ++i) {
      if (!cur[i] || !atom_eats(atoms_[i], ch)) continue;
      bool star = atoms_[i].kind == Kind::Star || atoms_[i].kind == Kind::StarStar;
      nxt[star ? i : i + 1] = 1;
      any = true;
    }
    if (!any) return false;
    closure(nxt);
    std::swap(cur, nxt);
  }
  return cur[n] != 0;
}

bool glob_match(std::string_view pattern, std::string_view path) {
  auto g = Glob::compile(pattern);
  return g.ok() && g->match(path);
}

// ---- evaluator ----------------------------------------------------------------------

bool profile_complain(const Profile& p) {
  for (const auto& f : p.flags)
    if (f == "complain" || f == "mode=complain") return true;
  return false;
}

Result<Evaluator> Evaluator::build(const Resolved& r, const Profile& p) {
  Evaluator ev;
  ev.name_ = p.display_name();
  for (const auto& fr : flatten(r, p)) CONFINE_CHECK(ev.add_rule(fr.rule, fr.origin, r));
  if (ev.skipped_)
    ev.notes_.push_back(std::to_string(ev.skipped_) +
                        " rule path(s) not absolute after expansion, skipped (e.g. " + ev.skipped_example_ +
                        ")");
  return ev;
}

Status Evaluator::add_rule(const Rule& rule, const std::string& origin, const Resolved& r) {
  if (rule.kind != "file" && rule.kind != "link" && rule.kind != "all") return ok();
  const size_t first = rules_.size();
  CRule base;
  base.deny = rule.mode == RuleMode::Deny;
  base.origin = origin;
  if (rule.owner == "owner") base.cond = CRule::Cond::Owner;
  if (rule.owner == "other") base.cond = CRule::Cond::Other;
  if (rule.kind == "all" || (rule.kind == "file" && rule.path.empty())) {
    base.all_paths = true;
    base.perms = rule.perms.empty() ? static_cast<uint16_t>(kPermAll) : perms_from_rule(rule.perms);
    base.glob = *Glob::compile("/**");
    rules_.push_back(std::move(base));
  } else {
    std::vector<std::string> targets;
    if (rule.kind == "link") {
      base.perms = kPermLink;
      base.link_subset = rule.link_subset;
    } else {
      base.perms = perms_from_rule(rule.perms);
      base.link_subset = rule.target.empty() || rule.link_subset;
    }
    bool link_target = !rule.target.empty() && (base.perms & kPermLink);
    if (link_target) {
      auto t = expand(rule.target, r);
      if (!t.ok()) return std::move(t).error().context(origin);
      targets = std::move(*t);
    }
    auto paths = expand(rule.path, r);
    if (!paths.ok()) return std::move(paths).error().context(origin);
    std::vector<CRule> add;
    for (const auto& g : *paths) {
      if (g.empty() || g[0] != '/') {
        if (!skipped_++) skipped_example_ = g + " (" + origin + ")";
        continue;
      }
      auto glob = Glob::compile(g);
      if (!glob.ok()) return std::move(glob).error().context(origin);
      if (!link_target) {
        CRule c = base;
        c.glob = std::move(*glob);
        add.push_back(std::move(c));
        continue;
      }
      for (const auto& t : targets) {
        auto tg = Glob::compile(t);
        if (!tg.ok()) return std::move(tg).error().context(origin);
        CRule c = base;
        c.glob = *glob;
        c.link_target = std::move(*tg);
        add.push_back(std::move(c));
      }
    }
    for (auto& c : add) rules_.push_back(std::move(c));  // all or nothing
  }
  for (size_t i = first; i < rules_.size(); ++i) index_one(static_cast<uint32_t>(i));
  return ok();
}

void Evaluator::index_one(uint32_t i) {
  const std::string& pre = rules_[i].glob.literal_prefix();
  size_t second = pre.size() > 1 ? pre.find('/', 1) : std::string::npos;
  if (rules_[i].all_paths || pre.empty() || pre[0] != '/' || second == std::string::npos)
    generic_.push_back(i);
  else
    by_component_[pre.substr(1, second - 1)].push_back(i);
}

Evaluator::Perms Evaluator::collect(std::string_view matched, const Query& q, bool for_link) const {
  Perms out;
  const std::vector<uint32_t>* bucket = nullptr;
  size_t second = matched.size() > 1 ? matched.find('/', 1) : std::string_view::npos;
  if (second != std::string_view::npos) {
    auto it = by_component_.find(matched.substr(1, second - 1));
    if (it != by_component_.end()) bucket = &it->second;
  }
  auto visit = [&](const CRule& c) {
    uint16_t bits = c.perms;
    if (c.link_target && (q.link_target.empty() || !c.link_target->match(q.link_target))) bits &= ~kPermLink;
    if (!bits) return;
    if (!c.all_paths && !c.glob.match(matched)) return;
    bool conditional = c.cond != CRule::Cond::Any;
    bool applies = true;
    if (conditional) {
      if (q.owner == Query::Owner::Unknown) {
        applies = !c.deny;  // benefit of the doubt
        if (bits & q.requested) out.owner_assumed = true;
      } else {
        applies = (q.owner == Query::Owner::Yes) == (c.cond == CRule::Cond::Owner);
      }
    }
    if (!applies) return;
    if (c.deny) {
      out.deny |= bits;
      out.deny_rules.push_back(&c);
    } else {
      out.allow |= bits;
      out.allow_rules.push_back(&c);
    }
  };
  (void)for_link;
  // Rule order does not matter (unions), so the buckets can be visited in any order.
  for (uint32_t i : generic_) visit(rules_[i]);
  if (bucket)
    for (uint32_t i : *bucket) visit(rules_[i]);
  return out;
}

Decision Evaluator::check(const Query& q) const {
  Decision d;
  d.requested = q.requested;
  std::string matched = q.path;
  if (q.directory && (matched.empty() || matched.back() != '/')) matched += '/';
  Perms p = collect(matched, q, false);
  uint16_t eff = p.allow & ~p.deny;
  d.granted = eff;
  d.denied = q.requested & ~eff;
  d.owner_assumed = p.owner_assumed;
  d.allow_bits = p.allow;
  d.deny_bits = p.deny;
  // Link subset rule: a link granted only by subset rules must not give the new
  // name permissions its target does not have.
  if ((q.requested & kPermLink) && !(d.denied & kPermLink) && !q.link_target.empty()) {
    bool free_link = false;
    for (const CRule* c : p.allow_rules)
      if ((c->perms & kPermLink) && !c->link_subset && c->link_target) free_link = true;
    if (!free_link) {
      Query tq;
      tq.path = q.link_target;
      tq.owner = q.owner;
      Perms t = collect(tq.path, tq, true);
      uint16_t teff = (t.allow & ~t.deny) & ~kPermLink;
      uint16_t extra = (eff & ~kPermLink) & ~teff;
      if (extra) {
        d.denied |= kPermLink;
        d.note = "link subset rule: " + q.path + " would get '" + perm_letters(extra) + "' that " +
                 q.link_target + " does not have";
      }
    }
  }
  for (const CRule* c : p.allow_rules)
    if (c->perms & q.requested) d.allow_rules.push_back(c->origin);
  for (const CRule* c : p.deny_rules)
    if (c->perms & q.requested) d.deny_rules.push_back(c->origin);
  auto uniq = [](std::vector<std::string>& v) {
    std::vector<std::string> o;
    for (auto& s : v)
      if (std::find(o.begin(), o.end(), s) == o.end()) o.push_back(std::move(s));
    v = std::move(o);
  };
  uniq(d.allow_rules);
  uniq(d.deny_rules);
  d.allowed = d.denied == 0;
  return d;
}

}  // namespace confine::apparmor
