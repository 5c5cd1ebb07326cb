#include "watch/rules.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/embedded.h"
#include "json/json.h"
#include "k8s/yaml.h"

namespace confine::watch {

namespace yaml = k8s::yaml;

std::string_view priority_name(Priority p) {
  switch (p) {
    case Priority::Emergency: return "Emergency";
    case Priority::Alert: return "Alert";
    case Priority::Critical: return "Critical";
    case Priority::Error: return "Error";
    case Priority::Warning: return "Warning";
    case Priority::Notice: return "Notice";
    case Priority::Informational: return "Informational";
    case Priority::Debug: return "Debug";
  }
  return "Warning";
}

std::string_view stock_rules() {
  auto f = embedded_file("rules/confine_rules.yaml");
  return f ? *f : std::string_view();
}

PosMap RuleSet::Src::map() const {
  return [this](size_t off) {
    SourcePos p;
    p.file = file;
    if (pos.empty()) return p;
    const auto& lc = pos[std::min(off, pos.size() - 1)];
    p.line = lc.first;
    p.col = lc.second + (off >= pos.size() ? 1 : 0);
    return p;
  };
}

void RuleSet::Src::append(const Src& o) {
  std::pair<uint32_t, uint32_t> sp = o.pos.empty() ? std::pair<uint32_t, uint32_t>{0, 0} : o.pos.front();
  text += ' ';
  pos.push_back(sp);
  text += o.text;
  pos.insert(pos.end(), o.pos.begin(), o.pos.end());
}

namespace {

// Line starts of a document, for offset -> (line, col).
struct Lines {
  std::vector<size_t> starts;
  explicit Lines(std::string_view t) {
    starts.push_back(0);
    for (size_t i = 0; i < t.size(); ++i)
      if (t[i] == '\n') starts.push_back(i + 1);
  }
  std::pair<uint32_t, uint32_t> at(size_t off) const {
    size_t l = static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), off) - starts.begin()) - 1;
    return {static_cast<uint32_t>(l + 1), static_cast<uint32_t>(off - starts[l] + 1)};
  }
};

// The value of a scalar with, for each byte, where it is in the file. libyaml gives the
// value after folding and unescaping, so bytes are matched to the source text in order
// (whitespace may differ: folded lines, indentation); a byte that cannot be matched (an
// escape sequence) takes the position of the last matched one.
RuleSet::Src scalar_src(const yaml::Node& n, std::string_view doc, const Lines& lines,
                        std::string_view file) {
  RuleSet::Src s;
  s.text = n.value;
  s.file = std::string(file);
  size_t j = n.start.offset, end = std::min(doc.size(), std::max(n.content_end, n.end.offset));
  size_t last = j;
  for (char c : n.value) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      s.pos.push_back(lines.at(last));
      continue;
    }
    size_t k = j;
    while (k < end && doc[k] != c) ++k;
    if (k < end) {
      last = k;
      j = k + 1;
    }
    s.pos.push_back(lines.at(last));
  }
  return s;
}

Error at(std::string_view file, const yaml::Node& n, std::string msg) {
  return Error::at(yaml::pos(file, n.start), std::move(msg));
}

Result<bool> get_bool(std::string_view file, const yaml::Node& n) {
  if (n.is_scalar()) {
    const std::string& v = n.value;
    if (v == "true" || v == "True" || v == "TRUE" || v == "yes") return true;
    if (v == "false" || v == "False" || v == "FALSE" || v == "no") return false;
  }
  return at(file, n, "expected true or false");
}

Result<std::string> get_str(std::string_view file, const yaml::Node& n, std::string_view what) {
  if (!n.is_scalar()) return at(file, n, std::string(what) + " must be a string");
  return n.value;
}

Result<std::vector<std::string>> get_strs(std::string_view file, const yaml::Node& n, std::string_view what) {
  std::vector<std::string> v;
  if (n.is_scalar() && n.value.empty() && n.plain) return v;  // `items:` with nothing
  if (!n.is_seq()) return at(file, n, std::string(what) + " must be a list");
  for (const auto& i : n.items) {
    if (!i.is_scalar()) return at(file, i, std::string(what) + ": expected a string");
    v.push_back(i.value);
  }
  return v;
}

Result<Priority> get_priority(std::string_view file, const yaml::Node& n) {
  std::string v;
  for (char c : n.str()) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<std::string_view, Priority> kP[] = {{"emergency", Priority::Emergency},
                                                             {"alert", Priority::Alert},
                                                             {"critical", Priority::Critical},
                                                             {"error", Priority::Error},
                                                             {"warning", Priority::Warning},
                                                             {"notice", Priority::Notice},
                                                             {"informational", Priority::Informational},
                                                             {"info", Priority::Informational},
                                                             {"debug", Priority::Debug}};
  for (const auto& [k, p] : kP)
    if (k == v) return p;
  return at(file, n,
            "unknown priority \"" + n.str() +
                "\" (emergency, alert, critical, error, warning, notice, "
                "informational, debug)");
}

// "0.31.0" or "12" (older integer form) -> comparable triple.
bool parse_version(std::string_view s, int v[3]) {
  v[0] = v[1] = v[2] = 0;
  for (int i = 0; i < 3; ++i) {
    size_t dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    auto r = std::from_chars(part.data(), part.data() + part.size(), v[i]);
    if (part.empty() || r.ec != std::errc() || r.ptr != part.data() + part.size()) return false;
    if (dot == std::string_view::npos) {
      if (i == 0) v[1] = v[0], v[0] = 0;  // integer engine versions predate 0.x.y: 12 -> 0.12.0
      return true;
    }
    s.remove_prefix(dot + 1);
  }
  return s.empty();
}

// override: {key: append|replace}
Result<std::map<std::string, std::string>> get_override(std::string_view file, const yaml::Node& n,
                                                        std::initializer_list<std::string_view> keys) {
  std::map<std::string, std::string> m;
  if (!n.is_map()) return at(file, n, "override must be a mapping of field: append|replace");
  for (size_t i = 0; i < n.pairs(); ++i) {
    const auto& k = n.key(i);
    const auto& v = n.val(i);
    if (std::find(keys.begin(), keys.end(), k.str()) == keys.end()) {
      std::string l;
      for (auto x : keys) l += (l.empty() ? "" : ", ") + std::string(x);
      return at(file, k, "override of \"" + k.str() + "\" is not supported (" + l + ")");
    }
    if (v.str() != "append" && v.str() != "replace") return at(file, v, "override is append or replace");
    m[k.str()] = v.str();
  }
  return m;
}

}  // namespace

Status RuleSet::load(std::string_view text, std::string_view file) {
  CONFINE_TRY(auto docs, yaml::parse(text, file));
  Lines lines(text);
  for (const auto& d : docs) {
    if (d.empty || (d.root.is_scalar() && d.root.value.empty())) continue;
    if (d.has_anchors)
      return Error::at(yaml::pos(file, d.start),
                       "YAML anchors, aliases and merge keys are not supported in rules files");
    if (!d.root.is_seq()) return at(file, d.root, "a rules file is a list of rule, macro and list items");
    for (const auto& it : d.root.items) {
      if (!it.is_map() || it.pairs() == 0)
        return at(file, it, "expected a rule, macro or list item (a mapping)");
      const std::string& kind = it.key(0).str();
      auto known = [&](std::initializer_list<std::string_view> keys) -> Status {
        for (size_t i = 0; i < it.pairs(); ++i)
          if (std::find(keys.begin(), keys.end(), it.key(i).str()) == keys.end())
            return at(file, it.key(i), "unknown key \"" + it.key(i).str() + "\" in a " + kind + " item");
        return ok();
      };
      if (kind == "required_engine_version") {
        int need[3], have[3];
        const auto& v = it.val(0);
        if (!v.is_scalar() || !parse_version(v.value, need))
          return at(file, v, "bad engine version \"" + v.str() + "\"");
        parse_version(kEngineVersion, have);
        if (std::lexicographical_compare(have, have + 3, need, need + 3))
          return at(file, v,
                    "the rules need engine version " + v.value + "; this engine implements " +
                        std::string(kEngineVersion));
        continue;
      }
      if (kind == "required_plugin_versions") {
        notes_.push_back(yaml::pos(file, it.start).str() +
                         ": required_plugin_versions ignored (no plugins here)");
        continue;
      }
      if (kind == "list") {
        CONFINE_CHECK(known({"list", "items", "append", "override"}));
        CONFINE_TRY(std::string name, get_str(file, it.val(0), "list"));
        const yaml::Node* items = it.get("items");
        if (!items) return at(file, it, "list \"" + name + "\" has no items");
        CONFINE_TRY(auto v, get_strs(file, *items, "items"));
        bool append = false;
        if (const auto* a = it.get("append")) {
          CONFINE_TRY(append, get_bool(file, *a));
        }
        if (const auto* o = it.get("override")) {
          CONFINE_TRY(auto m, get_override(file, *o, {"items"}));
          append = m["items"] == "append";
        }
        auto found = lists_.find(name);
        if (append) {
          if (found == lists_.end())
            return at(file, it.val(0), "append to list \"" + name + "\", which is not defined");
          found->second.insert(found->second.end(), v.begin(), v.end());
        } else {
          lists_[name] = std::move(v);
        }
        continue;
      }
      if (kind == "macro") {
        CONFINE_CHECK(known({"macro", "condition", "append", "override"}));
        CONFINE_TRY(std::string name, get_str(file, it.val(0), "macro"));
        const yaml::Node* c = it.get("condition");
        if (!c || !c->is_scalar()) return at(file, it, "macro \"" + name + "\" has no condition");
        bool append = false;
        if (const auto* a = it.get("append")) {
          CONFINE_TRY(append, get_bool(file, *a));
        }
        if (const auto* o = it.get("override")) {
          CONFINE_TRY(auto m, get_override(file, *o, {"condition"}));
          append = m["condition"] == "append";
        }
        Src s = scalar_src(*c, text, lines, file);
        auto found = macros_.find(name);
        if (append) {
          if (found == macros_.end())
            return at(file, it.val(0), "append to macro \"" + name + "\", which is not defined");
          found->second.parts.push_back(std::move(s));
        } else {
          macros_[name] = MacroSrc{{std::move(s)}, yaml::pos(file, it.start)};
        }
        continue;
      }
      if (kind == "rule") {
        CONFINE_CHECK(
            known({"rule", "desc", "condition", "output", "priority", "enabled", "tags", "exceptions",
                   "source", "append", "override", "warn_evttypes", "skip-if-unknown-filter"}));
        CONFINE_TRY(std::string name, get_str(file, it.val(0), "rule"));
        std::map<std::string, std::string> ov;
        bool legacy_append = false;
        if (const auto* a = it.get("append")) {
          CONFINE_TRY(legacy_append, get_bool(file, *a));
        }
        if (const auto* o = it.get("override")) {
          CONFINE_TRY(
              ov, get_override(file, *o,
                               {"condition", "output", "desc", "priority", "tags", "exceptions", "enabled"}));
        }
        if (legacy_append && !ov.empty()) return at(file, it, "a rule uses append or override, not both");
        RuleDef d;
        d.name = name;
        d.pos = yaml::pos(file, it.start);
        if (const auto* n = it.get("desc")) {
          CONFINE_TRY(d.desc, get_str(file, *n, "desc"));
        }
        if (const auto* n = it.get("condition")) {
          if (!n->is_scalar()) return at(file, *n, "condition must be a string");
          d.cond.push_back(scalar_src(*n, text, lines, file));
          d.has_condition = true;
        }
        if (const auto* n = it.get("output")) {
          if (!n->is_scalar()) return at(file, *n, "output must be a string");
          d.out = scalar_src(*n, text, lines, file);
          d.output = n->value;
          d.has_output = true;
        }
        if (const auto* n = it.get("priority")) {
          CONFINE_TRY(d.priority, get_priority(file, *n));
        }
        if (const auto* n = it.get("enabled")) {
          CONFINE_TRY(d.enabled, get_bool(file, *n));
        }
        if (const auto* n = it.get("tags")) {
          CONFINE_TRY(d.tags, get_strs(file, *n, "tags"));
        }
        if (const auto* n = it.get("source")) {
          CONFINE_TRY(d.source, get_str(file, *n, "source"));
        }
        if (const auto* n = it.get("exceptions")) {
          if (!n->is_seq()) return at(file, *n, "exceptions must be a list");
          for (const auto& e : n->items) {
            if (!e.is_map()) return at(file, e, "an exception is a mapping (name, fields, comps, values)");
            for (size_t i = 0; i < e.pairs(); ++i) {
              const auto& k = e.key(i).str();
              if (k != "name" && k != "fields" && k != "comps" && k != "values")
                return at(file, e.key(i), "unknown key \"" + k + "\" in an exception");
            }
            ExceptionDef x;
            x.pos = yaml::pos(file, e.start);
            const auto* nm = e.get("name");
            if (!nm || !nm->is_scalar() || nm->value.empty()) return at(file, e, "an exception needs a name");
            x.name = nm->value;
            if (const auto* f = e.get("fields")) {
              if (f->is_scalar()) {
                x.single_field = true;
                x.fields.push_back(f->value);
              } else {
                CONFINE_TRY(x.fields, get_strs(file, *f, "fields"));
              }
            }
            if (const auto* c = e.get("comps")) {
              if (c->is_scalar()) {
                x.comps.push_back(c->value);
              } else {
                CONFINE_TRY(x.comps, get_strs(file, *c, "comps"));
              }
            }
            if (const auto* v = e.get("values")) {
              if (!v->is_seq()) return at(file, *v, "values must be a list");
              for (const auto& tup : v->items) {
                std::vector<ExceptionDef::Item> t;
                if (x.single_field) {
                  if (!tup.is_scalar()) return at(file, tup, "with a single field, each value is a string");
                  t.push_back({{tup.value}, false});
                } else {
                  if (!tup.is_seq()) return at(file, tup, "each value is a list with one item per field");
                  for (const auto& item : tup.items) {
                    if (item.is_scalar()) {
                      t.push_back({{item.value}, false});
                    } else {
                      CONFINE_TRY(auto l, get_strs(file, item, "value"));
                      t.push_back({std::move(l), true});
                    }
                  }
                }
                x.values.push_back(std::move(t));
              }
            }
            d.exceptions.push_back(std::move(x));
          }
        }
        auto found = def_index_.find(name);
        if (legacy_append || !ov.empty()) {
          if (found == def_index_.end())
            return at(file, it.val(0), "append/override of rule \"" + name + "\", which is not defined");
          RuleDef& r = defs_[found->second];
          auto mode = [&](const char* key) -> std::string {
            if (legacy_append)
              return (std::string(key) == "condition" || std::string(key) == "exceptions") ? "append" : "";
            auto i = ov.find(key);
            return i == ov.end() ? "" : i->second;
          };
          auto need = [&](const char* key, bool has) -> Status {
            if (legacy_append) return ok();
            if (!mode(key).empty() && !has)
              return at(file, it, std::string("override of ") + key + " without a " + key);
            if (mode(key).empty() && has && !legacy_append)
              return at(file, it, std::string(key) + " given without an override for it");
            return ok();
          };
          CONFINE_CHECK(need("condition", d.has_condition));
          if (!legacy_append) {
            CONFINE_CHECK(need("output", d.has_output));
            CONFINE_CHECK(need("desc", it.get("desc") != nullptr));
            CONFINE_CHECK(need("priority", it.get("priority") != nullptr));
            CONFINE_CHECK(need("tags", it.get("tags") != nullptr));
            CONFINE_CHECK(need("enabled", it.get("enabled") != nullptr));
          }
          CONFINE_CHECK(need("exceptions", it.get("exceptions") != nullptr));
          if (d.has_condition) {
            if (mode("condition") == "append")
              r.cond.insert(r.cond.end(), d.cond.begin(), d.cond.end());
            else if (mode("condition") == "replace")
              r.cond = d.cond;
          }
          if (mode("output") == "append") {
            r.out.append(d.out);
            r.output += " " + d.output;
          } else if (mode("output") == "replace") {
            r.out = d.out, r.output = d.output;
          }
          if (mode("desc") == "append") r.desc += " " + d.desc;
          if (mode("desc") == "replace") r.desc = d.desc;
          if (!mode("priority").empty()) r.priority = d.priority;
          if (mode("tags") == "append") r.tags.insert(r.tags.end(), d.tags.begin(), d.tags.end());
          if (mode("tags") == "replace") r.tags = d.tags;
          if (!mode("enabled").empty()) r.enabled = d.enabled;
          if (mode("exceptions") == "replace") r.exceptions = d.exceptions;
          if (mode("exceptions") == "append") {
            for (auto& x : d.exceptions) {
              auto same = std::find_if(r.exceptions.begin(), r.exceptions.end(),
                                       [&](const auto& y) { return y.name == x.name; });
              if (same == r.exceptions.end()) {
                r.exceptions.push_back(std::move(x));
              } else {
                if (!x.fields.empty() && x.fields != same->fields)
                  return Error::at(x.pos,
                                   "exception \"" + x.name + "\" appended with other fields than it has");
                same->values.insert(same->values.end(), x.values.begin(), x.values.end());
              }
            }
          }
          continue;
        }
        // A definition with only `enabled` switches an existing rule on or off (Falco does so).
        if (found != def_index_.end() && !d.has_condition && it.get("enabled") && it.pairs() == 2) {
          defs_[found->second].enabled = d.enabled;
          continue;
        }
        if (!d.has_condition) return at(file, it, "rule \"" + name + "\" has no condition");
        if (!d.has_output) return at(file, it, "rule \"" + name + "\" has no output");
        if (!it.get("priority")) return at(file, it, "rule \"" + name + "\" has no priority");
        if (found != def_index_.end()) {
          defs_[found->second] = std::move(d);  // a redefinition replaces (Falco: same)
        } else {
          def_index_[name] = defs_.size();
          defs_.push_back(std::move(d));
        }
        continue;
      }
      return at(file, it.key(0),
                "unknown item \"" + kind + "\" (rule, macro, list, required_engine_version)");
    }
  }
  return ok();
}

namespace {

std::string quote_value(const std::string& v) {
  std::string q = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

// An exception as condition text: (f1 c1 v1 and f2 c2 v2) or (...).
Result<std::string> exception_text(const RuleSet::ExceptionDef& x) {
  std::vector<std::string> comps = x.comps;
  if (comps.empty()) comps.assign(x.fields.size(), x.single_field ? "in" : "=");
  if (x.fields.empty()) return Error::at(x.pos, "exception \"" + x.name + "\" has no fields");
  if (comps.size() != x.fields.size())
    return Error::at(x.pos, "exception \"" + x.name + "\": " + std::to_string(x.fields.size()) +
                                " fields but " + std::to_string(comps.size()) + " comps");
  auto is_list_op = [](const std::string& c) { return c == "in" || c == "intersects" || c == "pmatch"; };
  std::string out;
  if (x.single_field) {
    if (x.values.empty()) return std::string();
    std::string l;
    for (const auto& t : x.values) l += (l.empty() ? "" : ", ") + quote_value(t[0].vals[0]);
    if (!is_list_op(comps[0])) {
      for (const auto& t : x.values)
        out += (out.empty() ? "" : " or ") + x.fields[0] + " " + comps[0] + " " + quote_value(t[0].vals[0]);
      return out;
    }
    return x.fields[0] + " " + comps[0] + " (" + l + ")";
  }
  for (const auto& t : x.values) {
    if (t.size() != x.fields.size())
      return Error::at(x.pos, "exception \"" + x.name + "\": a value has " + std::to_string(t.size()) +
                                  " items for " + std::to_string(x.fields.size()) + " fields");
    std::string c;
    for (size_t i = 0; i < t.size(); ++i) {
      std::string v;
      if (is_list_op(comps[i])) {
        for (const auto& s : t[i].vals) v += (v.empty() ? "" : ", ") + (t[i].is_list ? s : quote_value(s));
        // a scalar value for a list comparison may name a list: (name) expands it
        v = "(" + v + ")";
      } else {
        if (t[i].is_list)
          return Error::at(x.pos,
                           "exception \"" + x.name + "\": a list value needs in, intersects or pmatch");
        v = quote_value(t[i].vals[0]);
      }
      c += (c.empty() ? "" : " and ") + x.fields[i] + " " + comps[i] + " " + v;
    }
    out += (out.empty() ? "(" : " or (") + c + ")";
  }
  return out;
}

}  // namespace

Status RuleSet::compile() {
  rules_.clear();
  by_type_.clear();
  any_type_.clear();
  joined_.clear();
  std::map<std::string, MacroDef> macros;
  std::vector<std::unique_ptr<Src>> keep;
  for (const auto& [name, m] : macros_) {
    auto s = std::make_unique<Src>(m.parts[0]);
    for (size_t i = 1; i < m.parts.size(); ++i) s->append(m.parts[i]);
    macros[name] = MacroDef{s->text, s->map()};
    keep.push_back(std::move(s));
  }
  Symbols syms{&macros, &lists_};
  // A macro nobody uses is still checked (its errors would otherwise show up only when a
  // later rule uses it).
  for (const auto& [name, m] : macros) {
    auto r = watch::compile(name, m.pos, syms);  // a reference to it: its own name is on the cycle stack
    if (!r.ok()) return std::move(r).error().context("macro \"" + name + "\"");
  }
  for (const auto& d : defs_) {
    if (d.source != "syscall") {
      notes_.push_back(d.pos.str() + ": rule \"" + d.name + "\" skipped (source " + d.source +
                       "; watch reads syscalls)");
      continue;
    }
    auto r = std::make_unique<Rule>();
    r->name = d.name, r->desc = d.desc, r->output = d.output, r->source = d.source;
    r->priority = d.priority, r->enabled = d.enabled, r->tags = d.tags, r->pos = d.pos;
    Src c = d.cond[0];
    for (size_t i = 1; i < d.cond.size(); ++i) c.append(d.cond[i]);
    auto cond = watch::compile(c.text, c.map(), syms);
    if (!cond.ok()) return std::move(cond).error().context("rule \"" + d.name + "\"");
    r->cond = std::move(*cond);
    Node excs;
    excs.kind = Node::Kind::Or;
    for (const auto& x : d.exceptions) {
      CONFINE_TRY(std::string t, exception_text(x));
      if (t.empty()) continue;
      SourcePos xp = x.pos;
      auto xn = watch::compile(
          t, [xp](size_t) { return xp; }, syms);
      if (!xn.ok())
        return std::move(xn).error().context("rule \"" + d.name + "\", exception \"" + x.name + "\"");
      excs.kids.push_back(std::move(*xn));
    }
    if (!excs.kids.empty()) {
      Node n, no;
      no.kind = Node::Kind::Not;
      no.kids.push_back(std::move(excs));
      n.kind = Node::Kind::And;
      n.kids.push_back(std::move(r->cond));
      n.kids.push_back(std::move(no));
      r->cond = std::move(n);
    }
    auto out = compile_output(d.out.text, d.out.map());
    if (!out.ok()) return std::move(out).error().context("rule \"" + d.name + "\"");
    r->out = std::move(*out);
    r->types = event_types(r->cond);
    rules_.push_back(std::move(r));
  }
  for (const auto& r : rules_) {
    if (!r->enabled) continue;
    if (r->types.any)
      any_type_.push_back(r.get());
    else
      for (const auto& t : r->types.names) by_type_[t].push_back(r.get());
  }
  return ok();
}

std::string format_alert_text(const Rule& r, const Event& e) {
  Field t;
  t.id = FieldId::EvtTime;
  return format_field(t, e) + ": " + std::string(priority_name(r.priority)) + " " + r.out.render(e);
}

std::string format_alert_json(const Rule& r, const Event& e, const std::string& hostname) {
  Field t;
  t.id = FieldId::EvtTime;
  json::Value o = json::Value::make_object();
  o.add("hostname", json::Value::make_string(hostname));
  o.add("output", json::Value::make_string(format_field(t, e) + ": " +
                                           std::string(priority_name(r.priority)) + " " + r.out.render(e)));
  json::Value f = json::Value::make_object();
  for (const auto& p : r.out.parts) {
    if (!p.is_field || f.find(p.field.name)) continue;
    std::string v = format_field(p.field, e);
    if (v == "<NA>" || p.field.type == VType::Str || p.field.type == VType::Bool ||
        p.field.id == FieldId::EvtTime)
      f.add(p.field.name, json::Value::make_string(v));
    else
      f.add(p.field.name, json::Value::make_i64(std::stoll(v)));
  }
  o.add("output_fields", std::move(f));
  o.add("priority", json::Value::make_string(std::string(priority_name(r.priority))));
  o.add("rule", json::Value::make_string(r.name));
  o.add("source", json::Value::make_string(r.source));
  json::Value tags = json::Value::make_array();
  for (const auto& tg : r.tags) tags.push(json::Value::make_string(tg));
  o.add("tags", std::move(tags));
  o.add("time", json::Value::make_string(format_field(t, e)));
  json::WriteOptions w;
  w.indent = 0;
  return json::write(o, w);
}

}  // namespace confine::watch
