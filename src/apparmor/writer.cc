// Canonical AppArmor text: two-space indentation, one rule per line, single
// spaces, `PATH PERMS` order, `key=value`, lists as `(a, b)`; comments kept.
#include <sstream>

#include "apparmor/apparmor.h"

namespace confine::apparmor {

namespace {

std::string join_list(const std::vector<std::string>& l) {
  std::string s = "(";
  for (size_t i = 0; i < l.size(); ++i) s += (i ? ", " : "") + l[i];
  return s + ")";
}

std::string term_str(const Term& t) {
  switch (t.kind) {
    case Term::Kind::Word: return t.key;
    case Term::Kind::KeyValue: return t.key + "=" + t.value;
    case Term::Kind::KeyList: return t.key + "=" + join_list(t.list);
    case Term::Kind::List: return join_list(t.list);
    case Term::Kind::Arrow: return "-> " + t.key;
    case Term::Kind::In: return t.key + " in " + join_list(t.list);
  }
  return "";
}

void write_items(std::ostringstream& o, const std::vector<Item>& items, int depth);

std::string condition_str(const Condition& c) {
  std::string s;
  for (unsigned i = 0; i < c.negations; ++i) s += "not ";
  switch (c.kind) {
    case Condition::Kind::Bool: return s + "$" + c.name;
    case Condition::Kind::DefinedBool: return s + "defined $" + c.name;
    case Condition::Kind::DefinedVar: return s + "defined @{" + c.name + "}";
  }
  return s;
}

// Writes `if COND {` ... up to (not including) the final '}' of the chain.
void write_conditional_chain(std::ostringstream& o, const Conditional& c, int depth) {
  std::string ind(2 * depth, ' ');
  o << "if " << condition_str(c.cond) << " {\n";
  write_items(o, c.then_items, depth + 1);
  if (!c.has_else) return;
  o << ind << "} else ";
  if (c.else_if && c.else_items.size() == 1) {
    if (auto* inner = std::get_if<std::shared_ptr<Conditional>>(&c.else_items[0])) {
      write_conditional_chain(o, **inner, depth);
      return;
    }
  }
  o << "{\n";
  write_items(o, c.else_items, depth + 1);
}

void write_conditional(std::ostringstream& o, const Conditional& c, int depth) {
  std::string ind(2 * depth, ' ');
  o << ind;
  write_conditional_chain(o, c, depth);
  o << ind << "}";
  if (!c.trailing_comment.empty()) o << " #" << c.trailing_comment;
  o << "\n";
}

void write_qualifier_block(std::ostringstream& o, const QualifierBlock& b, int depth) {
  std::string ind(2 * depth, ' ');
  o << ind;
  if (b.audit) o << "audit ";
  if (b.mode == RuleMode::Allow) o << "allow ";
  if (b.mode == RuleMode::Deny) o << "deny ";
  if (!b.owner.empty()) o << b.owner << " ";
  o << "{\n";
  write_items(o, b.items, depth + 1);
  o << ind << "}";
  if (!b.trailing_comment.empty()) o << " #" << b.trailing_comment;
  o << "\n";
}

void write_profile(std::ostringstream& o, const Profile& p, int depth) {
  std::string ind(2 * depth, ' ');
  o << ind;
  switch (p.keyword) {
    case Profile::Keyword::Profile:
      o << "profile " << p.name;
      if (!p.attachment.empty()) o << " " << p.attachment;
      break;
    case Profile::Keyword::Hat: o << "hat " << p.name; break;
    case Profile::Keyword::Caret: o << "^" << p.name; break;
    case Profile::Keyword::None: o << p.attachment; break;
  }
  if (!p.flags.empty() || !p.flags_keyword)
    o << " " << (p.flags_keyword ? "flags=" : "") << join_list(p.flags);
  o << " {\n";
  write_items(o, p.items, depth + 1);
  o << ind << "}";
  if (!p.trailing_comment.empty()) o << " #" << p.trailing_comment;  // after the closing '}'
  o << "\n";
}

void write_items(std::ostringstream& o, const std::vector<Item>& items, int depth) {
  std::string ind(2 * depth, ' ');
  for (const auto& it : items) {
    if (auto* c = std::get_if<Comment>(&it)) {
      if (c->blank)
        o << "\n";
      else
        o << ind << "#" << c->text << "\n";
    } else if (auto* inc = std::get_if<Include>(&it)) {
      o << ind << (inc->hash ? "#include " : "include ") << (inc->if_exists ? "if exists " : "")
        << (inc->angle ? "<" + inc->path + ">" : "\"" + inc->path + "\"") << "\n";
    } else if (auto* a = std::get_if<Abi>(&it)) {
      o << ind << "abi " << (a->angle ? "<" + a->path + ">" : "\"" + a->path + "\"") << ",\n";
    } else if (auto* al = std::get_if<Alias>(&it)) {
      o << ind << "alias " << al->from << " -> " << al->to << ",\n";
    } else if (auto* v = std::get_if<Variable>(&it)) {
      o << ind << (v->boolean ? "$" + v->name : "@{" + v->name + "}") << (v->append ? " +=" : " =");
      for (const auto& s : v->values) o << " " << s;
      o << "\n";
    } else if (auto* r = std::get_if<Rule>(&it)) {
      o << ind << format_rule(*r) << "\n";
    } else if (auto* p = std::get_if<std::shared_ptr<Profile>>(&it)) {
      write_profile(o, **p, depth);
    } else if (auto* c = std::get_if<std::shared_ptr<Conditional>>(&it)) {
      write_conditional(o, **c, depth);
    } else if (auto* b = std::get_if<std::shared_ptr<QualifierBlock>>(&it)) {
      write_qualifier_block(o, **b, depth);
    }
  }
}

}  // namespace

std::string format_rule(const Rule& r) {
  std::string s;
  if (r.audit) s += "audit ";
  if (r.mode == RuleMode::Allow) s += "allow ";
  if (r.mode == RuleMode::Deny) s += "deny ";
  if (!r.owner.empty()) s += r.owner + " ";
  if (r.kind == "file") {
    if (r.file_keyword) s += "file";
    if (!r.path.empty()) s += (r.file_keyword ? " " : "") + r.path + " " + r.perms;
    if (!r.target.empty()) s += " -> " + r.target;
  } else if (r.kind == "link") {
    s += "link ";
    if (r.link_subset) s += "subset ";
    s += r.path + " -> " + r.target;
  } else if (r.kind == "rlimit") {
    s += "set rlimit " + (r.terms.size() > 0 ? r.terms[0].key : "") +
         " <= " + (r.terms.size() > 1 ? r.terms[1].key : "");
  } else {
    s += r.kind;
    for (const auto& t : r.terms) s += " " + term_str(t);
  }
  s += ",";
  if (!r.trailing_comment.empty()) s += " #" + r.trailing_comment;
  return s;
}

std::string format(const File& f) {
  std::ostringstream o;
  write_items(o, f.items, 0);
  return o.str();
}

namespace {
void collect_names(const std::vector<Item>& items, const std::string& prefix, std::vector<std::string>& out) {
  for (const auto& it : items) {
    if (auto* p = std::get_if<std::shared_ptr<Profile>>(&it)) {
      std::string n = prefix + (*p)->display_name();
      out.push_back(n);
      collect_names((*p)->items, n + "//", out);
    }
  }
}
}  // namespace

std::vector<std::string> profile_names(const File& f) {
  std::vector<std::string> out;
  collect_names(f.items, "", out);
  return out;
}

std::vector<std::shared_ptr<Profile>> profiles(const File& f) {
  std::vector<std::shared_ptr<Profile>> out;
  for (const auto& it : f.items)
    if (auto* p = std::get_if<std::shared_ptr<Profile>>(&it)) out.push_back(*p);
  return out;
}

}  // namespace confine::apparmor
