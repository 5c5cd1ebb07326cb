#include "logs/report.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/file.h"

namespace confine::logs {

namespace {

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", v);
  return buf;
}

// Printable form of a value for the one-line text output: the terminal
// escaping of core/file.h (control bytes, C1, invalid UTF-8 as \xNN), quoted
// when it holds a space or a quote.
std::string shown(std::string_view v) {
  std::string e = file::escape_terminal(v);
  if (!v.empty() && e == v && v.find_first_of(" \"") == std::string_view::npos) return e;
  std::string o = "\"";
  for (char c : e) o += c == '"' ? std::string("\\x22") : std::string(1, c);
  return o + "\"";
}

void add(std::string* s, std::string_view k, std::string_view v) {
  if (v.empty()) return;
  *s += " ";
  *s += k;
  *s += "=";
  *s += shown(v);
}

void counts_json(JsonOut& j, std::string_view name, const std::map<std::string, uint64_t>& m) {
  j.key(name);
  j.begin_object();
  for (const auto& [k, v] : m) j.kv(k, v);
  j.end_object();
}

void counts_text(std::string* out, std::string_view title, const std::map<std::string, uint64_t>& m) {
  if (m.empty()) return;
  std::vector<std::pair<std::string, uint64_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  *out += "  " + std::string(title) + ":";
  size_t n = 0;
  for (const auto& [k, c] : v) {
    if (++n > 40) {
      *out += " ...";
      break;
    }
    *out += " " + shown(k) + "(" + std::to_string(c) + ")";
  }
  *out += "\n";
}

}  // namespace

std::string event_line(const Event& e) {
  std::string s(kind_name(e.kind));
  switch (e.kind) {
    case Kind::Seccomp: {
      s += " ";
      s += e.arch ? std::string(arch_info(*e.arch).name) : "arch=" + hex32(e.audit_arch.value_or(0));
      s += " ";
      s += e.syscall.empty() ? "#" + std::to_string(e.syscall_nr.value_or(-1))
                             : e.syscall + "(" + std::to_string(e.syscall_nr.value_or(-1)) + ")";
      s += " ";
      s += e.action.empty() ? "?" : e.action;
      break;
    }
    case Kind::AppArmor:
    case Kind::SELinux:
      s += " " + (e.apparmor.empty() ? std::string("?") : e.apparmor);
      s += " " + (e.operation.empty() ? std::string("?") : shown(e.operation));
      add(&s, "profile", e.profile.empty() ? e.get("label") : std::string_view(e.profile));
      add(&s, "name", e.name);
      add(&s, "requested", e.requested);
      add(&s, "denied", e.denied);
      if (e.owner_only) s += " owner";
      add(&s, "capname", e.capname);
      add(&s, "family", e.family);
      add(&s, "sock_type", e.sock_type);
      add(&s, "signal", e.signal);
      add(&s, "peer", e.peer);
      add(&s, "info", e.info);
      break;
    case Kind::Landlock:
      add(&s, "domain", e.domain);
      add(&s, "blockers", e.blockers);
      add(&s, "status", e.status);
      add(&s, "name", e.name);
      add(&s, "opid", e.get("opid"));
      add(&s, "ocomm", e.get("ocomm"));
      add(&s, "dest", e.get("dest"));
      add(&s, "denials", e.get("denials"));
      break;
  }
  if (e.pid) s += " pid=" + std::to_string(*e.pid);
  add(&s, "comm", e.comm);
  add(&s, "exe", e.exe);
  return s;
}

void event_json(JsonOut& j, const Event& e) {
  j.begin_object();
  j.kv("kind", kind_name(e.kind));
  j.kv("source", source_name(e.source));
  j.kv("line", static_cast<uint64_t>(e.line));
  j.kv("type", static_cast<uint64_t>(e.type));
  j.kv("type_name", e.type_name);
  j.kv("time", e.time);
  j.kv("serial", e.serial);
  if (e.pid)
    j.kv("pid", *e.pid);
  else {
    j.key("pid");
    j.null();
  }
  j.kv("comm", e.comm);
  j.kv("exe", e.exe);
  switch (e.kind) {
    case Kind::Seccomp:
      j.key("arch");
      if (e.arch)
        j.value(arch_info(*e.arch).name);
      else
        j.null();
      j.kv("audit_arch", hex32(e.audit_arch.value_or(0)));
      j.kv("syscall_nr", e.syscall_nr.value_or(-1));
      j.key("syscall");
      if (e.syscall.empty())
        j.null();
      else
        j.value(e.syscall);
      j.key("code");
      if (e.code)
        j.value("0x" + hex32(*e.code));
      else
        j.null();
      j.kv("action", e.action);
      j.key("sig");
      if (e.sig)
        j.value(*e.sig);
      else
        j.null();
      break;
    case Kind::AppArmor:
    case Kind::SELinux: {
      j.kv("result", e.apparmor);
      j.kv("operation", e.operation);
      j.kv("profile", e.profile.empty() ? std::string(e.get("label")) : e.profile);
      j.kv("name", e.name);
      j.kv("requested_mask", e.requested_mask);
      j.kv("denied_mask", e.denied_mask);
      j.kv("requested", e.requested);
      j.kv("denied", e.denied);
      j.kv("owner_only", e.owner_only);
      auto opt = [&](std::string_view k, const std::optional<int64_t>& v) {
        if (v) j.kv(k, *v);
      };
      opt("capability", e.capability);
      auto str = [&](std::string_view k, const std::string& v) {
        if (!v.empty()) j.kv(k, v);
      };
      str("capname", e.capname);
      str("family", e.family);
      str("sock_type", e.sock_type);
      str("protocol", e.protocol);
      str("signal", e.signal);
      str("peer", e.peer);
      str("info", e.info);
      opt("fsuid", e.fsuid);
      opt("ouid", e.ouid);
      break;
    }
    case Kind::Landlock: {
      j.kv("domain", e.domain);
      j.key("blockers");
      j.begin_array();
      std::string_view b = e.blockers;
      while (!b.empty()) {
        auto c = b.find(',');
        j.value(b.substr(0, c));
        if (c == std::string_view::npos) break;
        b.remove_prefix(c + 1);
      }
      j.end_array();
      j.kv("status", e.status);
      j.kv("mode", e.mode);
      j.kv("name", e.name);
      break;
    }
  }
  j.key("fields");
  j.begin_object();
  std::set<std::string> seen;
  for (const auto& f : e.fields)
    if (seen.insert(f.key).second) j.kv(f.key, f.value);
  j.end_object();
  j.end_object();
}

std::string report_json(const std::vector<Event>& events, const Stats& stats) {
  JsonOut j;
  j.begin_object();
  j.kv("version", 1);
  j.key("stats");
  j.begin_object();
  j.kv("records", stats.records);
  j.kv("events", stats.events);
  j.kv("other", stats.other);
  j.kv("skipped", stats.skipped);
  j.key("skipped_samples");
  j.begin_array();
  for (const auto& [line, why] : stats.skipped_samples) {
    j.begin_object();
    j.kv("line", static_cast<uint64_t>(line));
    j.kv("reason", why);
    j.end_object();
  }
  j.end_array();
  j.end_object();
  Summary s = summarize(events);
  j.key("summary");
  j.begin_object();
  counts_json(j, "by_kind", s.by_kind);
  counts_json(j, "by_type", s.by_type);
  counts_json(j, "by_action", s.by_action);
  counts_json(j, "by_syscall", s.by_syscall);
  counts_json(j, "by_profile", s.by_profile);
  counts_json(j, "by_comm", s.by_comm);
  j.end_object();
  j.key("events");
  j.begin_array();
  for (const auto& e : events) event_json(j, e);
  j.end_array();
  j.end_object();
  return j.str();
}

std::string report_text(const std::vector<Event>& events, const Stats& stats, bool list_events) {
  std::string out;
  if (list_events)
    for (const auto& e : events) out += event_line(e) + "\n";
  Summary s = summarize(events);
  if (list_events && !events.empty()) out += "\n";
  out += "summary: " + std::to_string(stats.events) + " events from " + std::to_string(stats.records) +
         " records (" + std::to_string(stats.other) + " other, " + std::to_string(stats.skipped) +
         " skipped)\n";
  counts_text(&out, "by kind", s.by_kind);
  counts_text(&out, "by type", s.by_type);
  counts_text(&out, "by action", s.by_action);
  counts_text(&out, "by syscall", s.by_syscall);
  counts_text(&out, "by profile", s.by_profile);
  counts_text(&out, "by comm", s.by_comm);
  for (const auto& [line, why] : stats.skipped_samples)
    out += "  skipped record " + std::to_string(line) + ": " + why + "\n";
  return out;
}

}  // namespace confine::logs
