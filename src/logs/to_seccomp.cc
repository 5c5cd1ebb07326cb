// audit2allow for seccomp, on the JSON document itself so that everything we
// do not touch (rule order, comments, unknown keys, OCI config around it)
// survives. The result is re-parsed by the profile parser before it is returned.
#include "logs/to_seccomp.h"

#include <algorithm>
#include <map>
#include <set>

#include "json/json.h"
#include "seccomp/profile.h"
#include "syscalls/syscalls.h"

namespace confine::logs {

namespace {

bool is_denial(const Event& e) {
  if (e.kind != Kind::Seccomp || !e.code) return false;
  // LOG is not a denial, but it is what an audit profile (defaultAction SCMP_ACT_LOG) reports.
  return e.action == "LOG" || e.action.starts_with("ERRNO") || e.action == "TRAP" ||
         e.action == "KILL_PROCESS" || e.action == "KILL_THREAD";
}

std::string_view str_of(const json::Value* v) {
  return v && v->is(json::Type::String) ? std::string_view(v->text) : std::string_view();
}

bool is_allow_rule(const json::Value& rule) { return str_of(rule.find("action")) == "SCMP_ACT_ALLOW"; }

bool unconditional(const json::Value& rule) {
  const json::Value* args = rule.find("args");
  bool no_args = !args || args->is(json::Type::Null) || (args->is(json::Type::Array) && args->items.empty());
  return no_args && !rule.find("includes") && !rule.find("excludes");
}

// Erases `key` members from an object.
void erase_member(json::Value* obj, std::string_view key) {
  auto& m = obj->members;
  m.erase(std::remove_if(m.begin(), m.end(), [&](const json::Member& x) { return x.key == key; }), m.end());
}

json::Value* find_mut(json::Value* obj, std::string_view key) {
  if (!obj->is(json::Type::Object)) return nullptr;
  json::Value* r = nullptr;
  for (auto& m : obj->members)
    if (m.key == key) r = &m.value;  // last duplicate wins, like find()
  return r;
}

}  // namespace

Result<AllowResult> allow_logged_syscalls(std::string_view profile_text, std::string_view file,
                                          const std::vector<Event>& events) {
  AllowResult res;
  // Validate the input first: we do not edit what we cannot read.
  std::vector<seccomp::Warning> warnings;
  {
    auto p = seccomp::parse_profile_text(profile_text, file, &warnings);
    if (!p) return std::move(p).error();
  }
  CONFINE_TRY(json::Value doc, json::parse(profile_text, file));
  json::Value* sc = &doc;
  if (json::Value* linux = find_mut(&doc, "linux")) {  // OCI config.json
    json::Value* s = find_mut(linux, "seccomp");
    if (!s || !s->is(json::Type::Object))
      return Error(std::string(file) + ": OCI config has no linux.seccomp object");
    sc = s;
  }
  if (!sc->is(json::Type::Object)) return Error(std::string(file) + ": profile is not a JSON object");

  std::set<std::string> profile_arches;
  if (const json::Value* a = sc->find("architectures"); a && a->is(json::Type::Array))
    for (const auto& v : a->items)
      if (auto arch = arch_from_name(str_of(&v))) profile_arches.insert(std::string(arch_info(*arch).name));

  // name -> arches it was denied/logged on
  std::map<std::string, std::set<std::string>> wanted;
  std::set<std::string> unknown;
  for (const auto& e : events) {
    if (!is_denial(e)) continue;
    if (e.syscall.empty() || !e.arch) {
      unknown.insert((e.arch ? std::string(arch_info(*e.arch).name) : "arch 0x?") + " #" +
                     std::to_string(e.syscall_nr.value_or(-1)));
      continue;
    }
    wanted[e.syscall].insert(std::string(arch_info(*e.arch).name));
  }
  for (const auto& u : unknown) res.notes.push_back("no syscall name for " + u + ": not added");
  if (wanted.empty())
    res.notes.push_back("no denied or logged seccomp events in the input: profile unchanged");

  json::Value* syscalls = find_mut(sc, "syscalls");
  if (!syscalls || syscalls->is(json::Type::Null)) {
    erase_member(sc, "syscalls");
    syscalls = &sc->add("syscalls", json::Value::make_array());
  }
  if (!syscalls->is(json::Type::Array)) return Error(std::string(file) + ": \"syscalls\" is not an array");

  std::set<std::string> add;
  std::set<std::string> arches_seen;
  for (const auto& entry : wanted) {
    const std::string& name = entry.first;  // (not a structured binding: clang 14 cannot capture those)
    const std::set<std::string>& arches = entry.second;
    bool already = false;
    // A rule that names the syscall with SCMP_ACT_ERRNO (clone3 -> ENOSYS, ...) is a
    // deliberate answer, not a default: it is never turned into ALLOW.
    std::string deliberate;
    for (const auto& rule : syscalls->items) {
      if (!rule.is(json::Type::Object) || !str_of(rule.find("action")).starts_with("SCMP_ACT_ERRNO"))
        continue;
      bool has = str_of(rule.find("name")) == name;
      if (const json::Value* names = rule.find("names"); names && names->is(json::Type::Array))
        for (const auto& n : names->items) has = has || str_of(&n) == name;
      if (!has) continue;
      deliberate = std::string(str_of(rule.find("action")));
      if (const json::Value* e = rule.find("errnoRet"); e && e->is(json::Type::Number))
        deliberate += " (errnoRet " + e->text + ")";
      break;
    }
    if (!deliberate.empty()) {
      res.notes.push_back(name + " is refused deliberately by a " + deliberate +
                          " rule of the profile: not allowed (edit that rule by hand if it should run)");
      continue;
    }
    // Take the name out of every other non-ALLOW rule (they are what denied or logged it).
    for (auto it = syscalls->items.begin(); it != syscalls->items.end();) {
      json::Value& rule = *it;
      if (!rule.is(json::Type::Object)) {
        ++it;
        continue;
      }
      bool allow = is_allow_rule(rule);
      json::Value* names = find_mut(&rule, "names");
      bool has = false;
      if (names && names->is(json::Type::Array))
        for (const auto& n : names->items) has = has || str_of(&n) == name;
      bool legacy = str_of(rule.find("name")) == name;
      if (!has && !legacy) {
        ++it;
        continue;
      }
      if (allow) {
        if (unconditional(rule)) already = true;
        ++it;
        continue;
      }
      std::string action(str_of(rule.find("action")));
      if (has) {
        auto& items = names->items;
        items.erase(std::remove_if(items.begin(), items.end(),
                                   [&](const json::Value& v) { return str_of(&v) == name; }),
                    items.end());
        res.notes.push_back("removed " + name + " from a " + action + " rule");
        if (items.empty() && !rule.find("name")) {
          it = syscalls->items.erase(it);
          continue;
        }
      }
      if (legacy) {
        res.notes.push_back("removed the " + action + " rule for " + name);
        it = syscalls->items.erase(it);
        continue;
      }
      ++it;
    }
    if (already) {
      res.notes.push_back(name + " is already allowed unconditionally");
      continue;
    }
    add.insert(name);
    arches_seen.insert(arches.begin(), arches.end());
    for (const auto& a : arches)
      if (!profile_arches.empty() && !profile_arches.count(a) &&
          a != std::string(arch_info(native_arch()).name))
        res.notes.push_back(name + " was seen on " + a + ", which the profile's architectures do not list");
  }
  if (!add.empty()) {
    json::Value rule = json::Value::make_object();
    json::Value names = json::Value::make_array();
    for (const auto& n : add) names.push(json::Value::make_string(n));
    rule.add("names", std::move(names));
    rule.add("action", json::Value::make_string("SCMP_ACT_ALLOW"));
    std::string arches;
    for (const auto& a : arches_seen) arches += (arches.empty() ? "" : ", ") + a;
    rule.add("comment",
             json::Value::make_string("added by confine logs --to-seccomp (seen on " + arches + ")"));
    syscalls->push(std::move(rule));
    res.added.assign(add.begin(), add.end());
    std::string list;
    for (const auto& n : add) list += (list.empty() ? "" : " ") + n;
    res.notes.push_back("allowed " + std::to_string(add.size()) + " syscall(s): " + list);
  }
  res.profile = json::write(doc);
  if (res.profile.empty() || res.profile.back() != '\n') res.profile.push_back('\n');
  // Fail closed: the result must still be a valid profile.
  auto check = seccomp::parse_profile_text(res.profile, file, nullptr);
  if (!check) return std::move(check).error().context("internal error: rewritten profile does not parse");
  return res;
}

}  // namespace confine::logs
