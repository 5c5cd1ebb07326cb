// aa-logprof without the LSM (see logprof.h).
#include "apparmor/logprof.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "apparmor/eval.h"
#include "apparmor/from_behavior.h"
#include "json/json.h"
#include "supervise/event.h"

namespace confine::apparmor {

namespace {

namespace fs = std::filesystem;

// Exec modes, longest first so "pix" is not read as "p" + "ix".
constexpr const char* kExecModes[] = {"pix", "Pix", "cix", "Cix", "pux", "PUx", "cux", "CUx",
                                      "ix",  "px",  "Px",  "ux",  "Ux",  "cx",  "Cx"};

struct Perms {
  std::set<char> letters;  // m r w a l k
  std::string exec;        // "", "ix", "px", ... (or "x" in deny rules)
};

Perms split_perms(const std::string& p) {
  Perms out;
  for (size_t i = 0; i < p.size();) {
    bool hit = false;
    for (const char* m : kExecModes) {
      std::string_view mv(m);
      if (p.compare(i, mv.size(), mv) == 0) {
        out.exec = std::string(mv);
        i += mv.size();
        hit = true;
        break;
      }
    }
    if (hit) continue;
    if (p[i] == 'x')
      out.exec = "x";
    else
      out.letters.insert(p[i]);
    ++i;
  }
  return out;
}

std::string join_perms(const Perms& p) {
  std::string s;
  for (char c : std::string("mrwalk")) {
    if (c == 'a' && p.letters.count('w')) continue;  // w includes a (and "wa" is an error)
    if (p.letters.count(c)) s += c;
  }
  return s + p.exec;
}

// Kernel-logged mask -> rule letters (+ exec); unknown letters reported.
Perms needed_from_mask(const std::string& mask, std::string* unknown) {
  Perms p;
  for (char c : mask) {
    switch (c) {
      case 'r':
      case 'm':
      case 'l':
      case 'k':
      case 'a':
      case 'w': p.letters.insert(c); break;
      case 'c':  // create
      case 'd':  // delete
        p.letters.insert('w');
        break;
      case 'x': p.exec = "ix"; break;
      case ':':
      case ' ': break;
      default: *unknown += c;
    }
  }
  return p;
}

std::string escape_path(const std::string& p) {
  std::string s;
  for (char c : p) {
    if (std::string_view("*?[]{}\\\"^").find(c) != std::string_view::npos) s += '\\';
    s += c;
  }
  if (s.find_first_of(" \t,#=()") != std::string::npos) s = "\"" + s + "\"";
  return s;
}

std::string unquote(const std::string& s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

bool is_sock_type(const std::string& w) {
  static const std::set<std::string> k = {"stream", "dgram", "seqpacket", "rdm", "raw", "packet"};
  return k.count(w) > 0;
}

// Rule letters <-> the evaluator's permission bits (exec: any exec mode).
uint16_t perm_bits(const Perms& p) {
  uint16_t m = 0;
  for (char c : p.letters) m |= perms_from_rule(std::string(1, c));
  if (!p.exec.empty()) m |= kPermExec;
  return m;
}

Perms perms_of_bits(uint16_t m) {
  Perms p;
  for (auto [c, bit] : {std::pair{'r', kPermRead},
                        {'w', kPermWrite},
                        {'a', kPermAppend},
                        {'l', kPermLink},
                        {'k', kPermLock},
                        {'m', kPermMmap}})
    if (m & bit) p.letters.insert(c);
  if (m & kPermExec) p.exec = "x";
  return p;
}

// What one profile (with includes) allows: file rules with apparmor::Evaluator (the
// evaluator complain mode uses: one glob matcher, one semantics), capability and
// network rules here.
struct ProfileRules {
  Evaluator files;
  std::vector<Rule> caps, nets;  // allow and deny (mode tells)
  std::vector<std::string> notes;

  void add_rule(const Rule& rule, const std::string& origin, const Resolved& r) {
    if (rule.kind == "capability") {
      caps.push_back(rule);
    } else if (rule.kind == "network") {
      nets.push_back(rule);
    } else if (auto st = files.add_rule(rule, origin, r); !st.ok()) {
      notes.push_back(origin + ": rule not evaluated: " + st.error().message());
    }
  }

  // Letters (and exec) allowed / denied for a concrete path ("/d/" for a directory).
  void file_perms(const std::string& path, bool owner_ok, const Perms& need, Perms* allow, Perms* deny,
                  std::string* deny_origin) const {
    Query q;
    q.path = path;
    q.requested = perm_bits(need);
    q.owner = owner_ok ? Query::Owner::Yes : Query::Owner::No;
    Decision d = files.check(q);
    *allow = perms_of_bits(d.allow_bits);
    *deny = perms_of_bits(d.deny_bits);
    if (!d.deny_rules.empty()) *deny_origin = d.deny_rules[0];
  }

  // 1 allowed, -1 denied by a deny rule, 0 neither.
  int capability(const std::string& name) const {
    int res = 0;
    for (const auto& r : caps) {
      bool hit = r.terms.empty();
      for (const auto& t : r.terms) hit |= t.kind == Term::Kind::Word && t.key == name;
      if (!hit) continue;
      if (r.mode == RuleMode::Deny) return -1;
      res = 1;
    }
    return res;
  }

  int network(const std::string& family, const std::string& type) const {
    int res = 0;
    for (const auto& r : nets) {
      std::set<std::string> fams, types;
      for (const auto& t : r.terms) {
        if (t.kind != Term::Kind::Word) continue;
        if (is_sock_type(t.key))
          types.insert(t.key);
        else
          fams.insert(t.key);
      }
      bool hit = (fams.empty() || fams.count(family)) && (types.empty() || type.empty() || types.count(type));
      if (r.mode == RuleMode::Deny) {
        // a deny narrower than the request (type-specific) still blocks that type only
        if (hit && (type.empty() ? types.empty() : true)) return -1;
        continue;
      }
      if (hit) res = 1;
    }
    return res;
  }
};

void collect_profiles(const std::vector<Item>& items, const std::string& prefix,
                      std::vector<std::pair<std::string, std::shared_ptr<Profile>>>& out) {
  for (const auto& it : items)
    if (auto* p = std::get_if<std::shared_ptr<Profile>>(&it)) {
      std::string n = prefix + (*p)->display_name();
      out.emplace_back(n, *p);
      collect_profiles((*p)->items, n + "//", out);
    }
}

// "/proc/1234/task/1235/comm" -> "@{PROC}/@{pid}/task/@{tid}/comm"; nullopt if not a pid path.
// Without @{PROC}/@{pid}/@{tid} defined (no tunables/global included) the glob is spelled out.
std::optional<std::string> proc_pid_glob(const std::string& p, bool have_vars) {
  auto digits = [](std::string_view v) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!p.starts_with("/proc/")) return std::nullopt;
  std::string rest = p.substr(6);
  size_t sl = rest.find('/');
  if (!digits(rest.substr(0, sl))) return std::nullopt;
  std::string tail = sl == std::string::npos ? "" : rest.substr(sl);
  std::string out = have_vars ? "@{PROC}/@{pid}" : "/proc/[0-9]*";
  if (tail.starts_with("/task/")) {
    std::string t = tail.substr(6);
    size_t s2 = t.find('/');
    if (digits(t.substr(0, s2))) {
      out += have_vars ? "/task/@{tid}" : "/task/[0-9]*";
      tail = s2 == std::string::npos ? "" : t.substr(s2);
    }
  }
  std::string esc = escape_path(tail);
  if (!esc.empty() && esc.front() == '"') return "\"" + out + esc.substr(1);
  return out + esc;
}

Rule file_rule(const std::string& path, const std::string& perms) {
  Rule r;
  r.kind = "file";
  r.path = path;
  r.perms = perms;
  return r;
}

}  // namespace

Result<LogprofResult> add_logged_rules(std::string_view profile_text, const std::string& file,
                                       const std::vector<LogEntry>& entries, const LogprofOptions& opt) {
  CONFINE_TRY(File f, parse(profile_text, file));
  f.path = file;
  std::string dir = fs::path(file).parent_path().string();
  CONFINE_TRY(Resolved r, resolve(std::move(f), dir.empty() ? "." : dir, opt.resolve));
  std::vector<std::pair<std::string, std::shared_ptr<Profile>>> profs;
  collect_profiles(r.main.items, "", profs);
  if (profs.empty()) return Error(file + ": no profile in file");

  const bool have_proc_vars = r.vars.count("PROC") && r.vars.count("pid") && r.vars.count("tid");
  LogprofResult res;
  struct State {
    std::shared_ptr<Profile> prof;
    ProfileRules eval;
    bool evaluated = false;
    std::map<std::string, Rule> new_files;  // by rule path
    std::vector<Rule> new_caps, new_nets;
    std::vector<std::pair<std::string, std::string>> changed;  // old, new text
  };
  std::map<std::string, State> states;
  std::map<std::string, size_t> other_profiles;
  auto state_for = [&](const std::string& name) -> State* {
    std::string key = name;
    if (key.empty()) {
      if (profs.size() != 1) return nullptr;
      key = profs[0].first;
    }
    auto it = std::find_if(profs.begin(), profs.end(), [&](const auto& p) { return p.first == key; });
    if (it == profs.end()) return nullptr;
    State& s = states[key];
    if (!s.evaluated) {
      s.prof = it->second;
      for (const auto& fr : flatten(r, *s.prof)) s.eval.add_rule(fr.rule, fr.origin, r);
      s.evaluated = true;
    }
    return &s;
  };

  std::set<std::string> notes;
  for (const auto& e : entries) {
    State* s = state_for(e.profile);
    if (!s) {
      ++other_profiles[e.profile.empty() ? "(no profile: Landlock record, file has several profiles)"
                                         : e.profile];
      continue;
    }
    const std::string pname = e.profile.empty() ? profs[0].first : e.profile;
    if (e.kind == LogEntry::Kind::Capability) {
      if (!is_capability(e.capname)) {
        notes.insert(e.origin + ": unknown capability \"" + e.capname + "\"; skipped");
        continue;
      }
      int v = s->eval.capability(e.capname);
      if (v < 0) notes.insert(pname + ": capability " + e.capname + " is denied by a deny rule; not added");
      if (v != 0) continue;
      Rule rule;
      rule.kind = "capability";
      rule.terms.push_back(Term{Term::Kind::Word, e.capname, "", {}, {}});
      s->new_caps.push_back(rule);
      s->eval.caps.push_back(rule);
      continue;
    }
    if (e.kind == LogEntry::Kind::Network) {
      Rule rule;
      rule.kind = "network";
      rule.terms.push_back(Term{Term::Kind::Word, e.family, "", {}, {}});
      if (!e.sock_type.empty()) rule.terms.push_back(Term{Term::Kind::Word, e.sock_type, "", {}, {}});
      if (!parse("profile p { " + format_rule(rule) + " }", "probe").ok()) {
        notes.insert(e.origin + ": network " + e.family + " " + e.sock_type +
                     " is not an AppArmor rule; skipped");
        continue;
      }
      int v = s->eval.network(e.family, e.sock_type);
      if (v < 0)
        notes.insert(pname + ": network " + e.family + " " + e.sock_type +
                     " is denied by a deny rule; not added");
      if (v != 0) continue;
      s->new_nets.push_back(rule);
      s->eval.nets.push_back(rule);
      continue;
    }
    // file
    if (e.path.empty() || (e.path[0] != '/' && e.path[0] != '@')) {
      notes.insert(e.origin + ": path \"" + e.path + "\" is not absolute; skipped");
      continue;
    }
    if (std::any_of(e.path.begin(), e.path.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }) ||
        (!e.pattern && e.path.find("@{") != std::string::npos)) {
      notes.insert(e.origin + ": path has characters AppArmor rules cannot express literally; skipped");
      continue;
    }
    std::string unknown;
    Perms need = needed_from_mask(e.mask, &unknown);
    if (!unknown.empty())
      notes.insert(e.origin + ": mask letters \"" + unknown + "\" have no file rule; ignored");
    // Never write on a system directory tree: a logged write on /, /root, /home, /dev,
    // /proc, /sys or /etc itself, or a pattern of writes directly in one of them (a
    // Landlock make_* record names the directory), adds no write letter.
    if (need.letters.count('w') || need.letters.count('a') || need.letters.count('l')) {
      std::string dir = unquote(e.path);
      if (e.pattern) {
        size_t g = dir.find_first_of("*?[{@");
        size_t sl = g == std::string::npos ? std::string::npos : dir.rfind('/', g);
        dir = sl == std::string::npos ? "" : sl == 0 ? "/" : dir.substr(0, sl);
      } else {
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
      }
      if (is_system_tree(dir)) {
        for (char c : {'w', 'a', 'l'}) need.letters.erase(c);
        notes.insert(e.origin + ": write on " + e.path +
                     " not added (a write on a system directory itself or directly in it: add it by "
                     "hand if it is meant)");
        if (need.letters.empty() && need.exec.empty()) continue;
      }
    }
    std::string rule_path = e.pattern ? e.path : escape_path(e.path);
    // /proc/<pid>/... -> owner @{PROC}/@{pid}/... (as aa-logprof proposes; pids differ every run)
    std::string owner;
    if (!e.pattern) {
      if (auto g = proc_pid_glob(e.path, have_proc_vars)) {
        rule_path = *g;
        owner = "owner";
      }
    }
    Perms allow, deny;
    std::string deny_origin;
    if (!e.pattern) s->eval.file_perms(e.path, e.owned.value_or(true), need, &allow, &deny, &deny_origin);
    Perms add;
    for (char c : need.letters) {
      if (deny.letters.count(c)) {
        notes.insert(pname + ": " + e.path + " '" + std::string(1, c) + "' is denied by the deny rule at " +
                     deny_origin + "; not added");
        continue;
      }
      if (!allow.letters.count(c)) add.letters.insert(c);
    }
    if (!need.exec.empty()) {
      if (!deny.exec.empty())
        notes.insert(pname + ": exec of " + e.path + " is denied by the deny rule at " + deny_origin +
                     "; not added");
      else if (allow.exec.empty())
        add.exec = need.exec;
    }
    // pending rule for this path in this run
    auto pend = s->new_files.find(rule_path);
    if (pend != s->new_files.end()) {
      Perms have = split_perms(pend->second.perms);
      for (char c : add.letters) have.letters.insert(c);
      if (have.exec.empty()) have.exec = add.exec;
      pend->second.perms = join_perms(have);
      continue;
    }
    if (add.letters.empty() && add.exec.empty()) continue;  // already allowed
    // an existing plain rule for exactly this path: unite the letters
    Rule* existing = nullptr;
    for (auto& it : s->prof->items)
      if (auto* rr = std::get_if<Rule>(&it))
        if (rr->kind == "file" && rr->mode != RuleMode::Deny && rr->owner == owner && !rr->audit &&
            rr->target.empty() && unquote(rr->path) == unquote(rule_path))
          existing = rr;
    if (existing) {
      Perms have = split_perms(existing->perms);
      if (!add.exec.empty() && !have.exec.empty() && have.exec != add.exec) {
        notes.insert(pname + ": " + e.path + " already has exec mode " + have.exec + "; ix not added");
        add.exec.clear();
      }
      std::string before = format_rule(*existing);
      for (char c : add.letters) have.letters.insert(c);
      if (have.exec.empty()) have.exec = add.exec;
      existing->perms = join_perms(have);
      std::string after = format_rule(*existing);
      if (after != before) s->changed.emplace_back(before, after);
      s->eval.add_rule(*existing, "changed", r);
      continue;
    }
    Rule nr = file_rule(rule_path, join_perms(add));
    nr.owner = owner;
    if (!parse("profile p {\n" + format_rule(nr) + "\n}\n", "probe").ok()) {
      notes.insert(e.origin + ": " + rule_path + " cannot be written as an AppArmor rule; skipped");
      continue;
    }
    s->new_files.emplace(rule_path, nr);
    s->eval.add_rule(nr, "added", r);
  }

  // Apply and describe.
  std::string diff;
  for (auto& [name, s] : states) {
    std::vector<Rule> added;
    for (auto& rr : s.new_caps) added.push_back(rr);
    for (auto& rr : s.new_nets) added.push_back(rr);
    for (auto& [p, rr] : s.new_files) added.push_back(rr);
    if (added.empty() && s.changed.empty()) continue;
    diff += "@@ profile " + name + " @@\n";
    for (const auto& [before, after] : s.changed) {
      diff += "-  " + before + "\n+  " + after + "\n";
      res.added.push_back(name + ": " + after);
    }
    if (!added.empty()) {
      Comment blank;
      blank.blank = true;
      Comment c;
      c.text = " added by confine logs --to-apparmor";
      s.prof->items.push_back(blank);
      s.prof->items.push_back(c);
      for (auto& rr : added) {
        s.prof->items.push_back(rr);
        diff += "+  " + format_rule(rr) + "\n";
        res.added.push_back(name + ": " + format_rule(rr));
      }
    }
  }
  if (!diff.empty()) res.diff = "--- " + file + "\n+++ " + file + "\n" + diff;
  for (const auto& [p, n] : other_profiles)
    res.notes.push_back(std::to_string(n) + " event(s) for profile " + p + " (not in " + file + ") ignored");
  for (const auto& [name, s] : states)
    for (const auto& n : s.eval.notes) notes.insert(name + ": " + n);
  res.notes.insert(res.notes.end(), notes.begin(), notes.end());
  res.text = res.changed() ? format(r.main) : std::string(profile_text);
  if (res.changed()) {
    auto again = parse(res.text, file);
    if (!again.ok()) return Error("internal: updated profile does not parse: " + again.error().message());
  }
  return res;
}

Result<std::optional<LogEntry>> entry_from_json_line(std::string_view line, const std::string& origin) {
  // confine's own complain lines (`run --log`): read by the event reader.
  if (auto ev = supervise::parse_event(line); ev.ok() && ev->kind == supervise::EventKind::AppArmor &&
                                              !ev->profile.empty() && !ev->path.empty() &&
                                              !ev->denied.empty()) {
    LogEntry e;
    e.origin = origin;
    e.profile = ev->profile;
    e.kind = LogEntry::Kind::File;
    e.path = supervise::display_path(*ev);  // "/d/" for a directory
    e.mask = ev->denied;                    // what no rule allowed (the rest of "requested" was)
    return std::optional<LogEntry>(e);
  }
  // Other JSON records of AppArmor denials (capability, network, kernel field names).
  CONFINE_TRY(json::Value v, json::parse(line, origin));
  if (!v.is(json::Type::Object)) return std::optional<LogEntry>{};
  auto str = [&](const char* k) -> std::string {
    const json::Value* x = v.find(k);
    return x && x->is(json::Type::String) ? x->text : "";
  };
  if (str("kind") != "apparmor") return std::optional<LogEntry>{};
  LogEntry e;
  e.origin = origin;
  e.profile = str("profile");
  if (e.profile.empty()) return Error(origin + ": apparmor entry without \"profile\"");
  std::string cap = str("capname");
  if (cap.empty()) cap = str("capability");
  if (!cap.empty()) {
    e.kind = LogEntry::Kind::Capability;
    e.capname = cap;
    return std::optional<LogEntry>(e);
  }
  if (!str("family").empty()) {
    e.kind = LogEntry::Kind::Network;
    e.family = str("family");
    e.sock_type = str("sock_type");
    if (e.sock_type.empty()) e.sock_type = str("type");
    return std::optional<LogEntry>(e);
  }
  e.kind = LogEntry::Kind::File;
  e.path = str("path");
  if (e.path.empty()) e.path = str("name");
  // confine run's complain lines: "denied" is what no rule allowed (the rest of "requested" was)
  e.mask = str("denied");
  if (e.mask.empty()) e.mask = str("requested");
  if (e.mask.empty()) e.mask = str("requested_mask");
  if (const json::Value* d = v.find("directory");
      d && d->is(json::Type::Bool) && d->boolean && !e.path.empty() && !e.path.ends_with("/"))
    e.path += "/";
  if (e.path.empty() || e.mask.empty())
    return Error(origin + ": apparmor entry without \"path\" and \"requested\"");
  return std::optional<LogEntry>(e);
}

std::optional<LogEntry> entry_from_landlock(std::string_view blockers, std::string_view path,
                                            const std::string& origin) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::string file_mask;
  bool dir_read = false, dir_write = false;
  size_t i = 0;
  while (i <= blockers.size()) {
    size_t e = blockers.find(',', i);
    std::string_view b = blockers.substr(i, e == std::string_view::npos ? std::string_view::npos : e - i);
    if (b == "fs.read_file") file_mask += "r";
    if (b == "fs.write_file" || b == "fs.truncate" || b == "fs.ioctl_dev") file_mask += "w";
    if (b == "fs.execute") file_mask += "x";
    if (b == "fs.read_dir") dir_read = true;
    if (b.starts_with("fs.make_") || b.starts_with("fs.remove_") || b == "fs.refer") dir_write = true;
    if (e == std::string_view::npos) break;
    i = e + 1;
  }
  LogEntry le;
  le.origin = origin;
  le.kind = LogEntry::Kind::File;
  std::string p(path);
  if (dir_write) {
    // Landlock names the directory in which the entry was to be made/removed.
    std::string d = escape_path(p);
    bool q = d.front() == '"';
    if (q) d = d.substr(1, d.size() - 2);
    le.path = (q ? "\"" : "") + d + (d.ends_with("/") ? "" : "/") + "*" + (q ? "\"" : "");
    le.pattern = true;
    le.mask = "w";
    return le;
  }
  if (dir_read) {
    le.path = p.ends_with("/") ? p : p + "/";
    le.mask = "r";
    return le;
  }
  if (file_mask.empty()) return std::nullopt;
  le.path = p;
  le.mask = file_mask;
  return le;
}

}  // namespace confine::apparmor
