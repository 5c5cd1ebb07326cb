#include "supervise/event.h"

#include <charconv>
#include <cstdio>

#include "json/json.h"

namespace confine::supervise {

namespace {

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

std::string q(std::string_view s) { return json::quote(s); }

// "0x1ff" -> 0x1ff (lower-case hex, as hex() writes; at most 16 digits).
bool parse_hex(std::string_view s, uint64_t* out) {
  if (!s.starts_with("0x") || s.size() < 3 || s.size() > 18) return false;
  auto r = std::from_chars(s.data() + 2, s.data() + s.size(), *out, 16);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

std::string to_json(const Event& e) {
  if (e.kind == EventKind::Seccomp) {
    std::string s = "{\"kind\":\"seccomp\",\"pid\":" + std::to_string(e.pid) + ",\"comm\":" + q(e.comm) +
                    ",\"syscall\":" + q(e.syscall) + ",\"nr\":" + std::to_string(e.nr) +
                    ",\"arch\":" + q(e.arch) + ",\"args\":[";
    for (size_t i = 0; i < e.args.size(); ++i) s += (i ? ",\"" : "\"") + hex(e.args[i]) + "\"";
    return s + "]}";
  }
  std::string s = "{\"kind\":\"apparmor\"";
  if (e.landlock_enforcer) s += ",\"enforcer\":\"landlock\"";
  s += ",\"profile\":" + q(e.profile) + ",\"syscall\":" + q(e.syscall) + ",\"arch\":" + q(e.arch) +
       ",\"pid\":" + std::to_string(e.pid) + ",\"comm\":" + q(e.comm) + ",\"operation\":" + q(e.operation) +
       ",\"path\":" + q(e.path) + (e.directory ? ",\"directory\":true" : "") +
       ",\"requested\":" + q(e.requested) + ",\"denied\":" + q(e.denied) + ",\"mask\":" + q(e.mask);
  if (e.landlock_enforcer) s += ",\"landlock\":" + q(e.landlock);
  s += ",\"rule\":" + q(e.rule) + ",\"info\":" + q(e.info);
  if (!e.target.empty()) s += ",\"target\":" + q(e.target);
  if (e.owner_assumed) s += ",\"owner_assumed\":true";
  return s + "}";
}

Result<Event> parse_event(std::string_view line) {
  CONFINE_TRY(json::Value v, json::parse(line, "event"));
  if (!v.is(json::Type::Object)) return Error("event: not a JSON object");
  Status bad;
  auto str = [&](const char* k, std::string* out) {
    const json::Value* x = v.find(k);
    if (!x) return false;
    if (!x->is(json::Type::String)) {
      if (bad.ok()) bad = Error::at(x->pos, std::string("event: \"") + k + "\" is not a string");
      return false;
    }
    *out = x->text;
    return true;
  };
  auto boolean = [&](const char* k) {
    const json::Value* x = v.find(k);
    if (x && !x->is(json::Type::Bool) && bad.ok())
      bad = Error::at(x->pos, std::string("event: \"") + k + "\" is not a boolean");
    return x && x->is(json::Type::Bool) && x->boolean;
  };
  auto integer = [&](const char* k, int64_t lo, int64_t hi) -> int64_t {
    const json::Value* x = v.find(k);
    if (!x) return 0;
    auto n = x->as_i64();
    if (!n || *n < lo || *n > hi) {
      if (bad.ok()) bad = Error::at(x->pos, std::string("event: \"") + k + "\" is not an integer in range");
      return 0;
    }
    return *n;
  };
  Event e;
  std::string kind;
  if (!str("kind", &kind)) return bad.ok() ? Error("event: no \"kind\"") : std::move(bad).error();
  if (kind == "seccomp")
    e.kind = EventKind::Seccomp;
  else if (kind == "apparmor")
    e.kind = EventKind::AppArmor;
  else
    return Error("event: unknown kind \"" + kind + "\"");
  e.pid = static_cast<pid_t>(integer("pid", 0, INT32_MAX));
  str("comm", &e.comm);
  bool has_syscall = str("syscall", &e.syscall);
  bool has_arch = str("arch", &e.arch);
  if (e.kind == EventKind::Seccomp) {
    e.nr = static_cast<int32_t>(integer("nr", INT32_MIN, INT32_MAX));
    if (const json::Value* a = v.find("args")) {
      if (!a->is(json::Type::Array) || a->items.size() > e.args.size())
        return Error::at(a->pos, "event: \"args\" is not an array of at most 6 hex strings");
      for (size_t i = 0; i < a->items.size(); ++i)
        if (!a->items[i].is(json::Type::String) || !parse_hex(a->items[i].text, &e.args[i]))
          return Error::at(a->items[i].pos, "event: \"args\" item is not a hex string (\"0x1ff\")");
    }
    if (!bad.ok()) return std::move(bad).error();
    if (!has_syscall || !has_arch) return Error("event: seccomp event without \"syscall\" and \"arch\"");
    return e;
  }
  std::string enforcer;
  if (str("enforcer", &enforcer)) {
    if (enforcer != "landlock") return Error("event: unknown enforcer \"" + enforcer + "\"");
    e.landlock_enforcer = true;
  }
  str("profile", &e.profile);
  str("operation", &e.operation);
  bool has_path = str("path", &e.path);
  e.directory = boolean("directory");
  str("requested", &e.requested);
  bool has_denied = str("denied", &e.denied);
  str("mask", &e.mask);
  if (e.landlock_enforcer) str("landlock", &e.landlock);
  str("rule", &e.rule);
  str("info", &e.info);
  str("target", &e.target);
  e.owner_assumed = boolean("owner_assumed");
  if (!bad.ok()) return std::move(bad).error();
  if (!has_path || !has_denied) return Error("event: apparmor event without \"path\" and \"denied\"");
  return e;
}

std::string display_path(const Event& e) { return e.path + (e.directory && e.path != "/" ? "/" : ""); }

std::string to_text(const Event& e) {
  if (e.kind == EventKind::Seccomp) {
    std::string s = "pid " + std::to_string(e.pid) + " (" + e.comm + ") " + e.syscall + "(";
    for (size_t i = 0; i < e.args.size(); ++i) s += (i ? ", " : "") + hex(e.args[i]);
    s += ")";
    if (e.arch != "x86_64") s += " [" + e.arch + "]";
    return s + " would be denied";
  }
  std::string why = e.rule.empty() ? e.info : "deny rule " + e.rule;
  std::string s = e.landlock_enforcer
                      ? "landlock would deny " + e.syscall + " " + display_path(e) + " (" + e.landlock + ")"
                      : "apparmor would deny " + e.syscall + " " + display_path(e) + " (" + e.denied + ")";
  if (!e.target.empty()) s += " -> " + e.target;
  s += " [pid " + std::to_string(e.pid) + " " + e.comm + "; " + why + "]";
  if (e.owner_assumed) s += " (owner rule assumed to match)";
  return s;
}

}  // namespace confine::supervise
