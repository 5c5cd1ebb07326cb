// Include loading (profile root, cycles, `if exists`, directories) and
// variable collection/checking/expansion.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <set>

#include "apparmor/apparmor.h"

namespace confine::apparmor {

namespace fs = std::filesystem;

namespace {

const std::set<std::string, std::less<>> kBuiltinVars = {"profile_name", "exec_path", "attach_path",
                                                         "profile_ns"};

// Which Debian package installs an include of the profile root (checked with
// `dpkg -S` on Debian 12: apparmor 3.0.8, apparmor-profiles-extra 1.35).
// First matching prefix wins.
struct IncludeOwner {
  const char* prefix;
  const char* package;
};
constexpr IncludeOwner kIncludeOwners[] = {
    {"abstractions/gstreamer", "apparmor-profiles-extra"},
    {"abstractions/totem", "apparmor-profiles-extra"},
    {"abstractions/", "apparmor"},
    {"tunables/", "apparmor"},
    {"abi/", "apparmor"},
};

std::string package_hint(const std::string& path) {
  for (const auto& o : kIncludeOwners)
    if (path.starts_with(o.prefix))
      return std::string("; the Debian package ") + o.package + " provides it (apt-get install " + o.package +
             ")";
  return "";
}

bool skip_dir_entry(const std::string& name) {
  if (name.empty() || name[0] == '.') return true;
  for (const char* suf : {"~", ".dpkg-new", ".dpkg-old", ".dpkg-dist", ".dpkg-bak", ".dpkg-remove", ".rpmnew",
                          ".rpmsave", ".orig", ".rej", ".pacsave", ".pacnew"})
    if (name.ends_with(suf)) return true;
  return name == "README";
}

struct Loader {
  const ResolveOptions& opt;
  Resolved& out;
  std::vector<std::string> stack;
  std::set<std::string> vars_done;

  Result<std::vector<std::string>> locate(const Include& inc, const std::string& dir) {
    std::vector<std::string> cands;
    if (inc.angle) {
      cands.push_back((fs::path(opt.root) / inc.path).string());
    } else if (!inc.path.empty() && inc.path[0] == '/') {
      cands.push_back(inc.path);
    } else {
      cands.push_back((fs::path(dir) / inc.path).string());
      cands.push_back((fs::path(opt.root) / inc.path).string());
    }
    for (const auto& c : cands) {
      std::error_code ec;
      if (fs::is_directory(c, ec)) {
        std::vector<std::string> files;
        for (const auto& e : fs::directory_iterator(c, ec)) {
          std::string n = e.path().filename().string();
          if (skip_dir_entry(n) || !e.is_regular_file(ec)) continue;
          files.push_back(e.path().string());
        }
        std::sort(files.begin(), files.end());
        return files;
      }
      if (fs::is_regular_file(c, ec)) return std::vector<std::string>{c};
    }
    if (inc.if_exists) return std::vector<std::string>{};
    std::string looked;
    for (const auto& c : cands) looked += (looked.empty() ? "" : ", ") + c;
    return Error::at(inc.pos, "could not open include " +
                                  (inc.angle ? "<" + inc.path + ">" : "\"" + inc.path + "\"") +
                                  " (looked in " + looked + ")" +
                                  (inc.angle || !inc.path.starts_with("/") ? package_hint(inc.path) : ""));
  }

  Status load_items(const std::vector<Item>& items, const std::string& dir, size_t depth) {
    for (const auto& it : items) {
      if (auto* inc = std::get_if<Include>(&it)) {
        CONFINE_TRY(auto paths, locate(*inc, dir));
        for (const auto& p : paths) CONFINE_CHECK(load_file(p, *inc, depth + 1));
      } else if (auto* pr = std::get_if<std::shared_ptr<Profile>>(&it)) {
        CONFINE_CHECK(load_items((*pr)->items, dir, depth));
      } else if (auto* c = std::get_if<std::shared_ptr<Conditional>>(&it)) {
        // apparmor_parser reads includes before it evaluates conditions: both branches load
        CONFINE_CHECK(load_items((*c)->then_items, dir, depth));
        CONFINE_CHECK(load_items((*c)->else_items, dir, depth));
      } else if (auto* b = std::get_if<std::shared_ptr<QualifierBlock>>(&it)) {
        CONFINE_CHECK(load_items((*b)->items, dir, depth));
      }
    }
    return ok();
  }

  Status load_file(const std::string& path, const Include& from, size_t depth) {
    std::string key = fs::weakly_canonical(path).string();
    if (std::find(stack.begin(), stack.end(), key) != stack.end()) {
      std::string chain;
      for (const auto& s : stack) chain += s + " -> ";
      return Error::at(from.pos, "include cycle: " + chain + key);
    }
    if (depth > opt.max_include_depth) return Error::at(from.pos, "includes nested too deeply");
    if (out.files.count(key)) return ok();
    if (out.files.size() >= opt.max_files) return Error::at(from.pos, "too many included files");
    CONFINE_TRY(File f, parse_file(path));
    auto fp = std::make_shared<File>(std::move(f));
    out.files[key] = fp;
    stack.push_back(key);
    CONFINE_CHECK(collect_vars(fp->items, key));
    CONFINE_CHECK(load_items(fp->items, fs::path(path).parent_path().string(), depth));
    stack.pop_back();
    return ok();
  }

  Status collect_vars(const std::vector<Item>& items, const std::string& key) {
    if (!vars_done.insert(key).second) return ok();
    for (const auto& it : items) {
      auto* v = std::get_if<Variable>(&it);
      if (!v) continue;
      if (v->boolean) {
        if (out.bools.count(v->name))
          return Error::at(v->pos, "variable $" + v->name + " was previously declared");
        out.bools[v->name] = !v->values.empty() && v->values[0] == "true";
        continue;
      }
      auto found = out.vars.find(v->name);
      if (v->append) {
        if (found == out.vars.end())
          return Error::at(v->pos, "variable @{" + v->name + "} is appended to (+=) before it is defined");
        found->second.insert(found->second.end(), v->values.begin(), v->values.end());
      } else {
        if (found != out.vars.end()) return Error::at(v->pos, "variable @{" + v->name + "} is redefined");
        out.vars[v->name] = v->values;
      }
    }
    return ok();
  }
};

// Names of the @{...} references in s.
std::vector<std::string> var_refs(const std::string& s) {
  std::vector<std::string> out;
  size_t i = 0;
  while ((i = s.find("@{", i)) != std::string::npos) {
    size_t e = s.find('}', i + 2);
    if (e == std::string::npos) break;
    out.push_back(s.substr(i + 2, e - i - 2));
    i = e + 1;
  }
  return out;
}

Status check_refs(const std::string& s, const SourcePos& pos, const Resolved& r) {
  for (const auto& n : var_refs(s))
    if (!r.vars.count(n) && !kBuiltinVars.count(n)) return Error::at(pos, "undefined variable @{" + n + "}");
  return ok();
}

// refs = false inside branches apparmor_parser discards (it reports unset booleans there
// too, but never looks at the discarded rules' variables).
Status check_items(const std::vector<Item>& items, const Resolved& r, bool refs = true) {
  for (const auto& it : items) {
    if (auto* rule = std::get_if<Rule>(&it)) {
      if (!refs) continue;
      CONFINE_CHECK(check_refs(rule->path, rule->pos, r));
      CONFINE_CHECK(check_refs(rule->target, rule->pos, r));
      for (const auto& t : rule->terms) {
        CONFINE_CHECK(check_refs(t.key, t.pos, r));
        CONFINE_CHECK(check_refs(t.value, t.pos, r));
        for (const auto& l : t.list) CONFINE_CHECK(check_refs(l, t.pos, r));
      }
    } else if (auto* v = std::get_if<Variable>(&it)) {
      if (!refs) continue;
      for (const auto& s : v->values) CONFINE_CHECK(check_refs(s, v->pos, r));
    } else if (auto* p = std::get_if<std::shared_ptr<Profile>>(&it)) {
      if (refs) CONFINE_CHECK(check_refs((*p)->attachment, (*p)->pos, r));
      CONFINE_CHECK(check_items((*p)->items, r, refs));
    } else if (auto* c = std::get_if<std::shared_ptr<Conditional>>(&it)) {
      const Condition& cond = (*c)->cond;
      if (cond.kind == Condition::Kind::Bool && !r.bools.count(cond.name))
        return Error::at(cond.pos, "unset boolean variable $" + cond.name + " used in if-expression");
      bool taken = evaluate(cond, r);
      CONFINE_CHECK(check_items((*c)->then_items, r, refs && taken));
      CONFINE_CHECK(check_items((*c)->else_items, r, refs && !taken));
    } else if (auto* b = std::get_if<std::shared_ptr<QualifierBlock>>(&it)) {
      CONFINE_CHECK(check_items((*b)->items, r, refs));
    }
  }
  return ok();
}

// apparmor_parser 3.0 keeps only the file-type rules of a qualifier block.
void warn_dropped(const std::vector<Item>& items, std::vector<std::string>& warnings, bool in_block) {
  for (const auto& it : items) {
    if (auto* rule = std::get_if<Rule>(&it)) {
      if (in_block && rule->kind != "file" && rule->kind != "link")
        warnings.push_back(rule->pos.str() + ": " + rule->kind +
                           " rule inside a qualifier block is ignored by apparmor_parser 3.0 (only file "
                           "rules take the block's qualifiers); write the qualifiers on the rule");
    } else if (auto* p = std::get_if<std::shared_ptr<Profile>>(&it)) {
      if (in_block)
        warnings.push_back((*p)->pos.str() + ": profile \"" + (*p)->display_name() +
                           "\" inside a qualifier block is ignored by apparmor_parser 3.0");
      warn_dropped((*p)->items, warnings, false);
    } else if (auto* c = std::get_if<std::shared_ptr<Conditional>>(&it)) {
      warn_dropped((*c)->then_items, warnings, in_block);
      warn_dropped((*c)->else_items, warnings, in_block);
    } else if (auto* b = std::get_if<std::shared_ptr<QualifierBlock>>(&it)) {
      warn_dropped((*b)->items, warnings, true);
    }
  }
}

}  // namespace

Result<Resolved> resolve(File main, const std::string& dir, const ResolveOptions& opt) {
  Resolved r;
  r.main = std::move(main);
  Loader l{opt, r, {}, {}};
  std::error_code ec;
  std::string self = r.main.path.empty() ? "" : fs::weakly_canonical(r.main.path, ec).string();
  if (!self.empty()) l.stack.push_back(self);
  CONFINE_CHECK(l.collect_vars(r.main.items, self.empty() ? "<main>" : self));
  CONFINE_CHECK(l.load_items(r.main.items, dir, 0));
  CONFINE_CHECK(check_items(r.main.items, r));
  for (const auto& [k, f] : r.files) CONFINE_CHECK(check_items(f->items, r));
  warn_dropped(r.main.items, r.warnings, false);
  return r;
}

bool evaluate(const Condition& c, const Resolved& r) {
  bool v = false;
  switch (c.kind) {
    case Condition::Kind::Bool: {
      auto f = r.bools.find(c.name);
      v = f != r.bools.end() && f->second;
      break;
    }
    case Condition::Kind::DefinedBool: v = r.bools.count(c.name) > 0; break;
    case Condition::Kind::DefinedVar: v = r.vars.count(c.name) > 0; break;
  }
  return (c.negations % 2) ? !v : v;
}

namespace {
// Applies a qualifier block's qualifiers to one rule of its body the way apparmor_parser 3.0
// does; false when the rule does not survive (not a file-type rule, or owner vs other).
bool apply_block(const QualifierBlock& b, Rule& rule) {
  if (rule.kind != "file" && rule.kind != "link") return false;
  if (!b.owner.empty()) {
    if (!rule.owner.empty() && rule.owner != b.owner) return false;  // grants nothing
    rule.owner = b.owner;
  }
  if (b.audit && rule.mode != RuleMode::Deny) rule.audit = true;
  return true;
}

void flatten_items(const Resolved& r, const std::vector<Item>& items, const std::string& dir,
                   std::vector<FlatRule>& out, size_t depth, const ResolveOptions& opt) {
  if (depth > opt.max_include_depth) return;
  for (const auto& it : items) {
    if (auto* rule = std::get_if<Rule>(&it)) {
      out.push_back(FlatRule{*rule, rule->pos.str()});
    } else if (auto* c = std::get_if<std::shared_ptr<Conditional>>(&it)) {
      flatten_items(r, evaluate((*c)->cond, r) ? (*c)->then_items : (*c)->else_items, dir, out, depth, opt);
    } else if (auto* b = std::get_if<std::shared_ptr<QualifierBlock>>(&it)) {
      std::vector<FlatRule> inner;
      flatten_items(r, (*b)->items, dir, inner, depth, opt);
      for (auto& fr : inner)
        if (apply_block(**b, fr.rule)) out.push_back(std::move(fr));
    } else if (auto* inc = std::get_if<Include>(&it)) {
      Loader l{opt, const_cast<Resolved&>(r), {}, {}};
      auto paths = l.locate(*inc, dir);
      if (!paths.ok()) continue;
      for (const auto& p : *paths) {
        std::error_code ec;
        auto f = r.files.find(fs::weakly_canonical(p, ec).string());
        if (f == r.files.end()) continue;
        flatten_items(r, f->second->items, fs::path(p).parent_path().string(), out, depth + 1, opt);
      }
    }
  }
}
}  // namespace

std::vector<FlatRule> flatten(const Resolved& r, const Profile& p) {
  std::vector<FlatRule> out;
  ResolveOptions opt;
  std::string dir = r.main.path.empty() ? "." : fs::path(r.main.path).parent_path().string();
  flatten_items(r, p.items, dir, out, 0, opt);
  return out;
}

Result<std::vector<std::string>> expand(const std::string& path, const Resolved& r, size_t max) {
  // 0. a quoted path ("/a b/*": the parser keeps the quotes) names what is between them
  bool quoted = path.size() >= 2 && path.front() == '"' && path.back() == '"';
  // 1. variables
  std::vector<std::string> cur{quoted ? path.substr(1, path.size() - 2) : path};
  for (int round = 0; round < 16; ++round) {
    bool any = false;
    std::vector<std::string> next;
    for (const auto& s : cur) {
      size_t i = s.find("@{");
      if (i == std::string::npos) {
        next.push_back(s);
        continue;
      }
      size_t e = s.find('}', i);
      if (e == std::string::npos) return Error("unterminated variable in \"" + path + "\"");
      std::string name = s.substr(i + 2, e - i - 2);
      auto v = r.vars.find(name);
      if (v == r.vars.end()) return Error("undefined variable @{" + name + "} in \"" + path + "\"");
      any = true;
      for (std::string val : v->second) {
        if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
        next.push_back(s.substr(0, i) + val + s.substr(e + 1));
        if (next.size() > max)
          return Error("\"" + path + "\" expands to more than " + std::to_string(max) + " paths");
      }
    }
    cur = std::move(next);
    if (!any) break;
  }
  // 2. alternations {a,b,c} (innermost first)
  std::vector<std::string> done;
  while (!cur.empty()) {
    std::string s = cur.back();
    cur.pop_back();
    size_t open = std::string::npos, close = std::string::npos;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '\\') {
        ++i;
        continue;
      }
      if (s[i] == '{') open = i;
      if (s[i] == '}' && open != std::string::npos) {
        close = i;
        break;
      }
    }
    if (close == std::string::npos) {
      done.push_back(s);
      continue;
    }
    std::string inner = s.substr(open + 1, close - open - 1);
    size_t b = 0;
    while (true) {
      size_t c = inner.find(',', b);
      cur.push_back(s.substr(0, open) + inner.substr(b, c == std::string::npos ? std::string::npos : c - b) +
                    s.substr(close + 1));
      if (cur.size() + done.size() > max)
        return Error("\"" + path + "\" expands to more than " + std::to_string(max) + " paths");
      if (c == std::string::npos) break;
      b = c + 1;
    }
  }
  std::sort(done.begin(), done.end());
  done.erase(std::unique(done.begin(), done.end()), done.end());
  // collapse duplicate slashes (apparmor does)
  for (auto& s : done) {
    std::string t;
    for (char c : s)
      if (!(c == '/' && !t.empty() && t.back() == '/')) t += c;
    s = t;
  }
  std::sort(done.begin(), done.end());
  done.erase(std::unique(done.begin(), done.end()), done.end());
  return done;
}

}  // namespace confine::apparmor
