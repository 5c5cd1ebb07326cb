// Behavior (what a workload did) -> AppArmor profile: one file rule per path
// seen, `ix` for executed programs, network rules per socket family.
#include "apparmor/from_behavior.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace confine::apparmor {

namespace {
// `include <path>` (built member by member: GCC 12 -O3 misreports the aggregate form as uninitialized).
Include angle_include(std::string path) {
  Include inc;
  inc.path = std::move(path);
  return inc;
}
}  // namespace

namespace {

// Escapes AppArmor glob/special characters so the path matches only itself;
// quotes it when it contains spaces.
std::string literal_path(const std::string& p) {
  std::string s;
  bool quote = false;
  for (char c : p) {
    if (std::strchr("*?[]{}\\\"^", c)) s += '\\';
    if (c == ' ' || c == '\t' || c == ',' || c == '#' || c == '=' || c == '(' || c == ')') quote = true;
    s += c;
  }
  return quote ? "\"" + s + "\"" : s;
}

std::string family_word(const std::string& af) {
  std::string w = af.starts_with("AF_") ? af.substr(3) : af;
  for (auto& c : w) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

}  // namespace

Result<File> from_behavior(const behavior::Behavior& b, const std::string& name,
                           std::vector<std::string>* notes) {
  if (name.empty() || name.find_first_of(" \t\n{}(),#") != std::string::npos)
    return Error("bad profile name \"" + name + "\"");
  auto p = std::make_shared<Profile>();
  p->name = name;
  p->flags = {"attach_disconnected"};
  p->items.push_back(angle_include("abstractions/base"));
  std::map<std::string, uint8_t> files = b.files;
  for (const auto& e : b.execs) files[e] |= behavior::kExec | behavior::kRead;
  std::vector<Rule> net;
  for (const auto& af : b.net_families) {
    std::string w = family_word(af);
    std::string why;
    auto probe = parse("profile p { network " + w + ", }", "probe");
    if (!probe.ok()) {
      if (notes) notes->push_back("socket family " + af + " has no AppArmor network keyword; not added");
      continue;
    }
    Rule r;
    r.kind = "network";
    r.terms.push_back(Term{Term::Kind::Word, w, "", {}, {}});
    net.push_back(r);
  }
  for (const auto& [path, acc] : files) {
    if (path.empty() || path[0] != '/') {
      if (notes) notes->push_back("path \"" + path + "\" is not absolute; not added");
      continue;
    }
    std::string perms;
    if (acc & behavior::kExec) perms += "m";
    if (acc & behavior::kRead) perms += "r";
    if (acc & (behavior::kWrite | behavior::kCreate | behavior::kUnlink)) perms += "w";
    if (acc & behavior::kExec) perms += "ix";
    if (perms.empty()) continue;
    Rule r;
    r.kind = "file";
    r.path = literal_path(path);
    r.perms = perms;
    p->items.push_back(r);
  }
  for (auto& r : net) p->items.push_back(r);
  if (b.files_truncated && notes)
    notes->push_back("the behavior's file list was truncated; the profile is incomplete");
  File f;
  f.path = name;
  f.items.push_back(angle_include("tunables/global"));
  f.items.push_back(p);
  return f;
}

}  // namespace confine::apparmor
