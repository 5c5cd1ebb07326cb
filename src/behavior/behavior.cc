#include "behavior/behavior.h"

#include <algorithm>
#include <cstring>
#include <optional>

namespace confine::behavior {

namespace {
constexpr char kAccessLetters[] = "rwcxdspe";

Error bad(const json::Value& v, std::string msg) { return Error::at(v.pos, std::move(msg)); }

Result<const json::Value*> want(const json::Value& v, json::Type t, std::string_view what) {
  if (!v.is(t))
    return bad(v, std::string(what) + ": expected " + std::string(json::type_name(t)) + ", got " +
                      std::string(json::type_name(v.type)));
  return &v;
}

Result<std::string> get_string(const json::Value& v, std::string_view what) {
  CONFINE_TRY(auto p, want(v, json::Type::String, what));
  return p->text;
}

Result<std::set<std::string>> get_string_set(const json::Value& v, std::string_view what) {
  CONFINE_TRY(auto p, want(v, json::Type::Array, what));
  std::set<std::string> out;
  for (const auto& it : p->items) {
    CONFINE_TRY(auto s, get_string(it, what));
    out.insert(std::move(s));
  }
  return out;
}

json::Value string_array(const std::set<std::string>& s) {
  auto a = json::Value::make_array();
  for (const auto& x : s) a.push(json::Value::make_string(x));
  return a;
}

// Objects: every key must be known, no duplicates.
Status check_keys(const json::Value& obj, std::initializer_list<std::string_view> known,
                  std::string_view what) {
  std::set<std::string> seen;
  for (const auto& m : obj.members) {
    if (std::find(known.begin(), known.end(), m.key) == known.end())
      return Error::at(m.key_pos, "unknown key \"" + m.key + "\" in " + std::string(what));
    if (!seen.insert(m.key).second)
      return Error::at(m.key_pos, "duplicate key \"" + m.key + "\" in " + std::string(what));
  }
  return ok();
}
}  // namespace

std::string access_str(uint8_t a) {
  std::string s;
  for (int i = 0; i < 8; ++i)
    if (a & (1u << i)) s += kAccessLetters[i];
  return s;
}

Result<uint8_t> access_from_str(std::string_view s) {
  uint8_t a = 0;
  if (s.empty()) return Error("empty access (expected letters of \"rwcxdspe\")");
  for (char c : s) {
    const char* p = std::strchr(kAccessLetters, c);
    if (!p || c == 0)
      return Error(std::string("bad access letter '") + c + "' (expected letters of \"rwcxdspe\")");
    a |= static_cast<uint8_t>(1u << (p - kAccessLetters));
  }
  return a;
}

std::string family_name(uint64_t f) {
  switch (f) {
    case 0: return "AF_UNSPEC";
    case 1: return "AF_UNIX";
    case 2: return "AF_INET";
    case 10: return "AF_INET6";
    case 16: return "AF_NETLINK";
    case 17: return "AF_PACKET";
    case 38: return "AF_ALG";
    case 40: return "AF_VSOCK";
    case 44: return "AF_XDP";
    default: return "AF_" + std::to_string(f);
  }
}

uint64_t SyscallInfo::error_count() const {
  uint64_t n = 0;
  for (const auto& [e, c] : errors) n += c;
  return n;
}

namespace {
constexpr std::pair<int, std::string_view> kRestartCodes[] = {{512, "ERESTARTSYS"},
                                                              {513, "ERESTARTNOINTR"},
                                                              {514, "ERESTARTNOHAND"},
                                                              {515, "ENOIOCTLCMD"},
                                                              {516, "ERESTART_RESTARTBLOCK"}};
}  // namespace

std::string errno_key(int err) {
  for (const auto& [n, name] : kRestartCodes)
    if (n == err) return std::string(name);
  return errno_name(err);
}

Result<int> errno_from_key(std::string_view key) {
  for (const auto& [n, name] : kRestartCodes)
    if (name == key) return n;
  int e = errno_from_name(key);
  if (e > 0) return e;
  if (key.size() > 1 && key[0] == 'E' && key.size() <= 5 &&
      key.substr(1).find_first_not_of("0123456789") == std::string_view::npos) {
    int v = std::stoi(std::string(key.substr(1)));
    if (v > 0 && v <= 4095) return v;
  }
  return Error("unknown errno \"" + std::string(key) + "\" (expected a name like ENOENT or E<1..4095>)");
}

std::set<std::string> Behavior::syscall_names() const {
  std::set<std::string> s;
  for (const auto& [a, m] : arches)
    for (const auto& [n, i] : m) s.insert(n);
  return s;
}

uint64_t Behavior::total_calls() const {
  uint64_t t = 0;
  for (const auto& [a, m] : arches)
    for (const auto& [n, i] : m) t += i.count;
  return t;
}

void add_file(Behavior& b, std::string path, uint8_t access) {
  auto it = b.files.find(path);
  if (it != b.files.end())
    it->second |= access;
  else if (b.files.size() < kMaxFiles)
    b.files.emplace(std::move(path), access);
  else
    b.files_truncated = true;
}

void merge(Behavior& a, const Behavior& b) {
  if (a.command.empty()) a.command = b.command;
  if (!a.exit_status) a.exit_status = b.exit_status;
  if (b.partial) {
    a.partial = true;
    if (a.partial_reason.empty()) a.partial_reason = b.partial_reason;
  }
  for (const auto& n : b.notes)
    if (std::find(a.notes.begin(), a.notes.end(), n) == a.notes.end()) a.notes.push_back(n);
  for (const auto& [arch, m] : b.arches)
    for (const auto& [name, info] : m) {
      auto& dst = a.arches[arch][name];
      dst.count += info.count;
      for (const auto& [k, vals] : info.args) dst.args[k].insert(vals.begin(), vals.end());
      for (const auto& [e, c] : info.errors) dst.errors[e] += c;
    }
  a.errors_observed |= b.errors_observed;
  for (const auto& [p, acc] : b.files) add_file(a, p, acc);
  a.files_truncated |= b.files_truncated;
  a.execs.insert(b.execs.begin(), b.execs.end());
  a.net_families.insert(b.net_families.begin(), b.net_families.end());
  a.binds.insert(b.binds.begin(), b.binds.end());
  a.connects.insert(b.connects.begin(), b.connects.end());
  a.processes.insert(b.processes.begin(), b.processes.end());
}

json::Value to_json(const Behavior& b) {
  using json::Value;
  Value o = Value::make_object();
  o.add("version", Value::make_u64(1));
  auto cmd = Value::make_array();
  for (const auto& c : b.command) cmd.push(Value::make_string(c));
  o.add("command", std::move(cmd));
  o.add("exit_status", b.exit_status ? Value::make_i64(*b.exit_status) : Value::make_null());
  o.add("partial", Value::make_bool(b.partial));
  o.add("partial_reason", Value::make_string(b.partial_reason));
  auto notes = Value::make_array();
  for (const auto& n : b.notes) notes.push(Value::make_string(n));
  o.add("notes", std::move(notes));
  auto arches = Value::make_object();
  for (const auto& [arch, m] : b.arches) {
    auto calls = Value::make_object();
    for (const auto& [name, info] : m) {
      auto s = Value::make_object();
      s.add("count", Value::make_u64(info.count));
      if (!info.args.empty()) {
        auto args = Value::make_object();
        for (const auto& [k, vals] : info.args) {
          auto arr = Value::make_array();
          for (uint64_t v : vals) arr.push(Value::make_u64(v));
          args.add(k, std::move(arr));
        }
        s.add("args", std::move(args));
      }
      if (!info.errors.empty()) {
        auto errs = Value::make_object();
        for (const auto& [e, c] : info.errors) errs.add(errno_key(e), Value::make_u64(c));
        s.add("errors", std::move(errs));
      }
      calls.add(name, std::move(s));
    }
    arches.add(std::string(arch_info(arch).name), std::move(calls));
  }
  o.add("arches", std::move(arches));
  auto files = Value::make_array();
  for (const auto& [p, acc] : b.files) {
    auto f = Value::make_object();
    f.add("path", Value::make_string(p));
    f.add("access", Value::make_string(access_str(acc)));
    files.push(std::move(f));
  }
  o.add("files", std::move(files));
  o.add("files_truncated", Value::make_bool(b.files_truncated));
  o.add("errors_observed", Value::make_bool(b.errors_observed));
  o.add("execs", string_array(b.execs));
  auto net = Value::make_object();
  net.add("families", string_array(b.net_families));
  net.add("bind", string_array(b.binds));
  net.add("connect", string_array(b.connects));
  o.add("network", std::move(net));
  auto procs = Value::make_array();
  for (const auto& p : b.processes) {
    auto po = Value::make_object();
    po.add("comm", Value::make_string(p.comm));
    po.add("exe", Value::make_string(p.exe));
    procs.push(std::move(po));
  }
  o.add("processes", std::move(procs));
  return o;
}

std::string format_behavior(const Behavior& b) { return json::write(to_json(b)) + "\n"; }

Result<Behavior> from_json(const json::Value& doc) {
  Behavior b;
  CONFINE_TRY(auto root, want(doc, json::Type::Object, "behavior"));
  CONFINE_CHECK(
      check_keys(*root,
                 {"version", "command", "exit_status", "partial", "partial_reason", "notes", "arches",
                  "files", "files_truncated", "errors_observed", "execs", "network", "processes"},
                 "behavior"));
  const json::Value* ver = root->find("version");
  if (!ver) return bad(*root, "behavior: missing \"version\"");
  if (ver->as_u64() != 1u) return bad(*ver, "behavior: unsupported version (expected 1)");
  if (const auto* v = root->find("command")) {
    CONFINE_TRY(auto a, want(*v, json::Type::Array, "command"));
    for (const auto& it : a->items) {
      CONFINE_TRY(auto s, get_string(it, "command"));
      b.command.push_back(std::move(s));
    }
  }
  if (const auto* v = root->find("exit_status"); v && !v->is(json::Type::Null)) {
    auto i = v->as_i64();
    if (!i || *i < 0 || *i > 255) return bad(*v, "exit_status: expected an integer 0..255 or null");
    b.exit_status = static_cast<int>(*i);
  }
  if (const auto* v = root->find("partial")) {
    CONFINE_TRY(auto p, want(*v, json::Type::Bool, "partial"));
    b.partial = p->boolean;
  }
  if (const auto* v = root->find("partial_reason")) {
    CONFINE_TRY(b.partial_reason, get_string(*v, "partial_reason"));
  }
  if (const auto* v = root->find("notes")) {
    CONFINE_TRY(auto a, want(*v, json::Type::Array, "notes"));
    for (const auto& it : a->items) {
      CONFINE_TRY(auto s, get_string(it, "notes"));
      b.notes.push_back(std::move(s));
    }
  }
  if (const auto* v = root->find("arches")) {
    CONFINE_TRY(auto ao, want(*v, json::Type::Object, "arches"));
    for (const auto& am : ao->members) {
      auto arch = arch_from_name(am.key);
      if (!arch) return Error::at(am.key_pos, "arches: unknown architecture \"" + am.key + "\"");
      if (b.arches.count(*arch))
        return Error::at(am.key_pos, "arches: duplicate architecture \"" + am.key + "\"");
      auto& calls = b.arches[*arch];
      CONFINE_TRY(auto co, want(am.value, json::Type::Object, "arches." + am.key));
      for (const auto& cm : co->members) {
        if (cm.key.empty()) return Error::at(cm.key_pos, "empty syscall name");
        if (calls.count(cm.key)) return Error::at(cm.key_pos, "duplicate syscall \"" + cm.key + "\"");
        SyscallInfo info;
        CONFINE_TRY(auto so, want(cm.value, json::Type::Object, cm.key));
        CONFINE_CHECK(check_keys(*so, {"count", "args", "errors"}, "syscall \"" + cm.key + "\""));
        const auto* cnt = so->find("count");
        if (!cnt || !cnt->as_u64()) return bad(*so, cm.key + ": \"count\" must be a non-negative integer");
        info.count = *cnt->as_u64();
        if (const auto* args = so->find("args")) {
          CONFINE_TRY(auto argo, want(*args, json::Type::Object, cm.key + ".args"));
          for (const auto& km : argo->members) {
            if (info.args.count(km.key))
              return Error::at(km.key_pos, "duplicate argument key \"" + km.key + "\"");
            auto& set = info.args[km.key];
            CONFINE_TRY(auto vals, want(km.value, json::Type::Array, km.key));
            for (const auto& x : vals->items) {
              auto u = x.as_u64();
              if (!u) return bad(x, cm.key + ".args." + km.key + ": expected a non-negative integer");
              set.insert(*u);
            }
          }
        }
        if (const auto* errs = so->find("errors")) {
          CONFINE_TRY(auto eo, want(*errs, json::Type::Object, cm.key + ".errors"));
          for (const auto& em : eo->members) {
            auto e = errno_from_key(em.key);
            if (!e.ok()) return Error::at(em.key_pos, cm.key + ".errors: " + e.error().detail());
            if (info.errors.count(*e)) return Error::at(em.key_pos, "duplicate errno \"" + em.key + "\"");
            auto c = em.value.as_u64();
            if (!c) return bad(em.value, cm.key + ".errors." + em.key + ": expected a non-negative integer");
            info.errors[*e] = *c;
          }
        }
        calls.emplace(cm.key, std::move(info));
      }
    }
  }
  if (const auto* v = root->find("files")) {
    CONFINE_TRY(auto fa, want(*v, json::Type::Array, "files"));
    for (const auto& f : fa->items) {
      CONFINE_TRY(auto fo, want(f, json::Type::Object, "files[]"));
      CONFINE_CHECK(check_keys(*fo, {"path", "access"}, "file"));
      const auto* p = fo->find("path");
      const auto* a = fo->find("access");
      if (!p || !a) return bad(*fo, "file: needs \"path\" and \"access\"");
      CONFINE_TRY(auto path, get_string(*p, "path"));
      CONFINE_TRY(auto as, get_string(*a, "access"));
      auto acc = access_from_str(as);
      if (!acc.ok()) return bad(*a, acc.error().detail());
      if (b.files.size() >= kMaxFiles)
        return bad(f, "files: more than " + std::to_string(kMaxFiles) + " entries");
      b.files[path] |= *acc;
    }
  }
  if (const auto* v = root->find("errors_observed")) {
    CONFINE_TRY(auto p, want(*v, json::Type::Bool, "errors_observed"));
    b.errors_observed = p->boolean;
  }
  if (const auto* v = root->find("files_truncated")) {
    CONFINE_TRY(auto p, want(*v, json::Type::Bool, "files_truncated"));
    b.files_truncated = p->boolean;
  }
  if (const auto* v = root->find("execs")) {
    CONFINE_TRY(b.execs, get_string_set(*v, "execs"));
  }
  if (const auto* v = root->find("network")) {
    CONFINE_TRY(auto no, want(*v, json::Type::Object, "network"));
    CONFINE_CHECK(check_keys(*no, {"families", "bind", "connect"}, "network"));
    if (const auto* x = no->find("families")) {
      CONFINE_TRY(b.net_families, get_string_set(*x, "network.families"));
    }
    if (const auto* x = no->find("bind")) {
      CONFINE_TRY(b.binds, get_string_set(*x, "network.bind"));
    }
    if (const auto* x = no->find("connect")) {
      CONFINE_TRY(b.connects, get_string_set(*x, "network.connect"));
    }
  }
  if (const auto* v = root->find("processes")) {
    CONFINE_TRY(auto pa, want(*v, json::Type::Array, "processes"));
    for (const auto& p : pa->items) {
      CONFINE_TRY(auto po, want(p, json::Type::Object, "processes[]"));
      CONFINE_CHECK(check_keys(*po, {"comm", "exe"}, "process"));
      Process pr;
      if (const auto* c = po->find("comm")) {
        CONFINE_TRY(pr.comm, get_string(*c, "comm"));
      }
      if (const auto* e = po->find("exe")) {
        CONFINE_TRY(pr.exe, get_string(*e, "exe"));
      }
      b.processes.insert(std::move(pr));
    }
  }
  return b;
}

Result<Behavior> parse_behavior(std::string_view text, std::string_view file) {
  CONFINE_TRY(auto doc, json::parse(text, file));
  return from_json(doc);
}

Result<Behavior> load_behavior(const std::string& path) {
  CONFINE_TRY(auto doc, json::parse_file(path));
  auto b = from_json(doc);
  if (!b.ok()) return std::move(b).error().context("loading behavior " + path);
  return b;
}

}  // namespace confine::behavior
