// One line -> one security event: strip the transport framing (kmsg, dmesg,
// syslog, auditd, journal), find the audit record header, split the body and
// decode the fields of the record kinds we know.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "logs/logs.h"
#include "seccomp/action.h"
#include "syscalls/syscalls.h"

namespace confine::logs {

namespace {

struct TypeName {
  uint32_t type;
  std::string_view name;
};
// linux/audit.h (and AppArmor's 1500 range used by older kernels).
constexpr TypeName kTypes[] = {
    {1100, "USER_AUTH"},
    {1107, "USER_AVC"},
    {1112, "USER_LOGIN"},
    {1300, "SYSCALL"},
    {1302, "PATH"},
    {1307, "CWD"},
    {1309, "EXECVE"},
    {1320, "EOE"},
    {1326, "SECCOMP"},
    {1327, "PROCTITLE"},
    {1331, "KERN_MODULE"},
    {1400, "AVC"},
    {1401, "SELINUX_ERR"},
    {1423, "LANDLOCK_ACCESS"},
    {1424, "LANDLOCK_DOMAIN"},
    {1500, "APPARMOR"},
    {1501, "APPARMOR_AUDIT"},
    {1502, "APPARMOR_ALLOWED"},
    {1503, "APPARMOR_DENIED"},
    {1504, "APPARMOR_HINT"},
    {1505, "APPARMOR_STATUS"},
    {1506, "APPARMOR_ERROR"},
    {1507, "APPARMOR_KILL"},
};

bool is_security_type(uint32_t t) {
  return t == 1326 || t == 1400 || t == 1107 || t == 1423 || t == 1424 || (t >= 1500 && t <= 1507);
}

template <class T>
std::optional<T> parse_int(std::string_view s, int base = 10) {
  if (s.empty()) return std::nullopt;
  if (base == 16 && (s.starts_with("0x") || s.starts_with("0X"))) s.remove_prefix(2);
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_upper_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || c == '_' || (c >= '0' && c <= '9');
  });
}

// "UNKNOWN[1423]", "1326", "SECCOMP" -> number.
std::optional<uint32_t> type_value(std::string_view v) {
  if (all_digits(v)) return parse_int<uint32_t>(v);
  if (v.starts_with("UNKNOWN[") && v.ends_with("]")) return parse_int<uint32_t>(v.substr(8, v.size() - 9));
  return audit_type_from_name(v);
}

// Sorted unique characters of a permission mask ("wr" -> "rw"); words kept as is.
std::string norm_mask(std::string_view m) {
  bool letters =
      std::all_of(m.begin(), m.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  if (!letters || m.size() > 16) return std::string(m);
  std::string s(m);
  // A word like "send" / "receive" / "connect" is not a letter set.
  static constexpr std::string_view kPerms = "rwaxmlkdciupPUtT";
  bool perm_letters =
      std::all_of(s.begin(), s.end(), [](char c) { return kPerms.find(c) != std::string_view::npos; });
  if (!perm_letters) return s;
  std::sort(s.begin(), s.end());
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

// Old AppArmor "owner::other" masks: returns union and whether only the owner side had bits.
std::string norm_owner_other(std::string_view m, bool* owner_only) {
  auto p = m.find("::");
  if (p == std::string_view::npos) return norm_mask(m);
  std::string_view owner = m.substr(0, p), other = m.substr(p + 2);
  if (owner_only) *owner_only = !owner.empty() && other.empty();
  return norm_mask(std::string(owner) + std::string(other));
}

std::string_view apparmor_from_type(uint32_t t) {
  switch (t) {
    case 1501: return "AUDIT";
    case 1502: return "ALLOWED";
    case 1503: return "DENIED";
    case 1504: return "HINT";
    case 1505: return "STATUS";
    case 1506: return "ERROR";
    case 1507: return "KILL";
    default: return "";
  }
}

// Leading transport framing: returns the rest and sets *src.
std::string_view strip_framing(std::string_view line, Source* src) {
  // /dev/kmsg: "PRI,SEQ,USEC,FLAGS[,more];message"
  if (auto semi = line.find(';'); semi != std::string_view::npos && semi < 128) {
    std::string_view pre = line.substr(0, semi);
    int digit_fields = 0;
    size_t start = 0;
    for (int f = 0; f < 3; ++f) {
      size_t c = pre.find(',', start);
      if (c == std::string_view::npos) break;
      if (!all_digits(pre.substr(start, c - start))) break;
      ++digit_fields;
      start = c + 1;
    }
    if (digit_fields == 3) {
      *src = Source::Kmsg;
      return line.substr(semi + 1);
    }
  }
  // dmesg: "[ 1234.567890] msg" or "[Sun Nov 22 04:50:00 2026] msg"; also "<5>[...]".
  std::string_view s = line;
  if (s.starts_with("<")) {
    auto gt = s.find('>');
    if (gt != std::string_view::npos && gt < 5) s.remove_prefix(gt + 1);
  }
  if (s.starts_with("[")) {
    auto rb = s.find(']');
    if (rb != std::string_view::npos && rb < 40) {
      *src = Source::Dmesg;
      s.remove_prefix(rb + 1);
      while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
      return s;
    }
  }
  if (s.starts_with("type=")) {
    *src = Source::Auditd;
    return s;
  }
  // syslog / journal short output: "... host kernel: msg" or "... host audit[123]: msg"
  if (auto k = s.find(" kernel: "); k != std::string_view::npos) {
    *src = Source::Syslog;
    s.remove_prefix(k + 9);
    if (s.starts_with("[")) {
      auto rb = s.find(']');
      if (rb != std::string_view::npos && rb < 40) s.remove_prefix(rb + 1);
    }
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    return s;
  }
  if (auto a = s.find(" audit["); a != std::string_view::npos) {
    auto e = s.find("]: ", a);
    if (e != std::string_view::npos && all_digits(s.substr(a + 7, e - a - 7))) {
      *src = Source::Syslog;
      return s.substr(e + 3);
    }
  }
  // auditd via syslog (audispd syslog plugin): "... audispd: type=..." / "... audit: type=..."
  *src = Source::Raw;
  return s;
}

void fill_common(Event* ev) {
  for (const auto& f : ev->fields) {
    if (f.key == "pid" && !ev->pid)
      ev->pid = parse_int<int64_t>(f.value);
    else if (f.key == "comm" && ev->comm.empty())
      ev->comm = f.value;
    else if (f.key == "exe" && ev->exe.empty())
      ev->exe = f.value;
  }
}

bool fill_seccomp(Event* ev, std::string* why) {
  auto arch_s = ev->get("arch");
  auto sys_s = ev->get("syscall");
  auto aa = parse_int<uint32_t>(arch_s, 16);
  auto nr = parse_int<int64_t>(sys_s);
  if (!aa || !nr) {
    *why = "seccomp record without a valid arch= and syscall=";
    return false;
  }
  ev->audit_arch = *aa;
  ev->syscall_nr = *nr;
  ev->arch = arch_from_audit(*aa, *nr);
  if (ev->arch) {
    if (auto name = syscall_name(*ev->arch, static_cast<int32_t>(*nr)); name && *nr <= INT32_MAX)
      ev->syscall = std::string(*name);
  }
  if (ev->syscall.empty()) {
    // auditd's enrichment (ausearch -i / log_format=ENRICHED) names it for us.
    auto enriched = ev->get("SYSCALL");
    if (!enriched.empty() && !all_digits(enriched)) ev->syscall = std::string(enriched);
  }
  if (auto code = ev->get("code"); !code.empty()) {
    if (auto c = parse_int<uint32_t>(code, 16)) {
      ev->code = *c;
      ev->action = seccomp::Action::from_ret(*c).str();
    } else {
      *why = "seccomp record with a bad code=";
      return false;
    }
  }
  if (auto sig = ev->get("sig"); !sig.empty()) ev->sig = parse_int<int>(sig);
  return true;
}

bool fill_apparmor(Event* ev, std::string* why) {
  for (const auto& f : ev->fields) {
    const auto& k = f.key;
    const auto& v = f.value;
    if (k == "apparmor")
      ev->apparmor = v;
    else if (k == "operation")
      ev->operation = v;
    else if (k == "profile" && ev->profile.empty())
      ev->profile = v;
    else if (k == "name" && ev->name.empty())
      ev->name = v;
    else if (k == "requested_mask")
      ev->requested_mask = v;
    else if (k == "denied_mask")
      ev->denied_mask = v;
    else if (k == "capname")
      ev->capname = v;
    else if (k == "capability")
      ev->capability = parse_int<int64_t>(v);
    else if (k == "family")
      ev->family = v;
    else if (k == "sock_type")
      ev->sock_type = v;
    else if (k == "protocol")
      ev->protocol = v;
    else if (k == "signal")
      ev->signal = v;
    else if (k == "peer")
      ev->peer = v;
    else if (k == "info")
      ev->info = v;
    else if (k == "fsuid")
      ev->fsuid = parse_int<int64_t>(v);
    else if (k == "ouid")
      ev->ouid = parse_int<int64_t>(v);
  }
  if (ev->apparmor.empty()) ev->apparmor = std::string(apparmor_from_type(ev->type));
  if (ev->apparmor.empty() && ev->operation.empty()) {
    *why = "AppArmor record without apparmor= or operation=";
    return false;
  }
  bool owner_req = false, owner_den = false;
  ev->requested = norm_owner_other(ev->requested_mask, &owner_req);
  ev->denied = norm_owner_other(ev->denied_mask, &owner_den);
  ev->owner_only = ev->requested_mask.find("::") != std::string::npos ? owner_req : false;
  if (ev->denied_mask.find("::") != std::string::npos) ev->owner_only = ev->owner_only || owner_den;
  return true;
}

bool fill_selinux(Event* ev, std::string_view body, std::string* why) {
  auto lb = body.find('{'), rb = body.find('}');
  if (lb == std::string_view::npos || rb == std::string_view::npos || rb < lb) {
    *why = "SELinux AVC without a { permissions } set";
    return false;
  }
  std::string perms;
  for (size_t i = lb + 1; i < rb; ++i) {
    char c = body[i];
    if (c == ' ') {
      if (!perms.empty() && perms.back() != ' ') perms.push_back(' ');
    } else {
      perms.push_back(c);
    }
  }
  while (!perms.empty() && perms.back() == ' ') perms.pop_back();
  ev->apparmor =
      body.find("granted") != std::string_view::npos && body.find("denied") == std::string_view::npos
          ? "GRANTED"
          : "DENIED";
  ev->operation = std::string(ev->get("tclass"));
  ev->requested = perms;
  ev->denied = perms;
  ev->profile = std::string(ev->get("scontext"));
  ev->peer = std::string(ev->get("tcontext"));
  ev->name = std::string(ev->get("name"));
  if (ev->name.empty()) ev->name = std::string(ev->get("path"));
  return true;
}

bool fill_landlock(Event* ev, std::string* why) {
  ev->domain = std::string(ev->get("domain"));
  if (ev->domain.empty() || !parse_int<uint64_t>(ev->domain, 16)) {
    *why = "Landlock record without a valid domain=";
    return false;
  }
  ev->blockers = std::string(ev->get("blockers"));
  ev->status = std::string(ev->get("status"));
  ev->mode = std::string(ev->get("mode"));
  if (ev->type == 1423 && ev->blockers.empty()) {
    *why = "Landlock access record without blockers=";
    return false;
  }
  if (ev->type == 1424 && ev->status.empty()) {
    *why = "Landlock domain record without status=";
    return false;
  }
  // The denied object: path= for fs, opid/ocomm for ptrace/signal, daddr/dest for net.
  ev->name = std::string(ev->get("path"));
  if (ev->name.empty()) ev->name = std::string(ev->get("name"));
  return true;
}

}  // namespace

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::Seccomp: return "seccomp";
    case Kind::AppArmor: return "apparmor";
    case Kind::SELinux: return "selinux";
    case Kind::Landlock: return "landlock";
  }
  return "?";
}

std::string_view source_name(Source s) {
  switch (s) {
    case Source::Kmsg: return "kmsg";
    case Source::Dmesg: return "dmesg";
    case Source::Syslog: return "syslog";
    case Source::Auditd: return "auditd";
    case Source::Journal: return "journal";
    case Source::Raw: return "raw";
  }
  return "?";
}

std::string_view Event::get(std::string_view key) const {
  for (const auto& f : fields)
    if (f.key == key) return f.value;
  return {};
}
bool Event::has(std::string_view key) const {
  for (const auto& f : fields)
    if (f.key == key) return true;
  return false;
}

std::optional<uint32_t> audit_type_from_name(std::string_view name) {
  for (const auto& t : kTypes)
    if (t.name == name) return t.type;
  return std::nullopt;
}
std::string_view audit_type_name(uint32_t type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t.name;
  return {};
}

std::optional<Arch> arch_from_audit(uint32_t audit_arch, int64_t nr) {
  std::optional<Arch> found;
  for (const auto& a : all_arches()) {
    if (a.audit_arch != audit_arch) continue;
    if (a.arch == Arch::X32) {
      if (nr >= 0 && (static_cast<uint64_t>(nr) & kX32SyscallBit)) return Arch::X32;
      continue;
    }
    if (!found) found = a.arch;
  }
  return found;
}

LineResult parse_line(std::string_view line, uint32_t line_no, Event* ev, std::string* why) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  *ev = Event{};
  ev->line = line_no;
  if (line.empty()) return LineResult::Other;
  // Binary garbage: NUL/control bytes (other than tab and auditd's 0x1d) or mostly non-ASCII.
  size_t high = 0;
  for (unsigned char c : line) {
    if ((c < 0x20 && c != '\t' && c != 0x1d) || c == 0x7f) {
      *why = "binary data";
      return LineResult::Skipped;
    }
    if (c >= 0x80) ++high;
  }
  if (high * 4 > line.size()) {
    *why = "binary data";
    return LineResult::Skipped;
  }
  // kmsg continuation lines (" SUBSYSTEM=...") carry no records.
  if (line.front() == ' ') return LineResult::Other;

  Source src = Source::Raw;
  std::string_view s = strip_framing(line, &src);
  ev->source = src;

  // Find the record header "type=N" at a token boundary.
  std::optional<uint32_t> type;
  std::string type_token;
  std::string_view body;
  bool have_header = false;
  for (size_t from = 0;;) {
    size_t p = s.find("type=", from);
    if (p == std::string_view::npos) break;
    from = p + 5;
    if (p != 0 && s[p - 1] != ' ' && s[p - 1] != ':') continue;
    size_t e = s.find(' ', p + 5);
    std::string_view tv = s.substr(p + 5, e == std::string_view::npos ? std::string_view::npos : e - p - 5);
    auto t = type_value(tv);
    if (!t) continue;
    type = t;
    type_token = std::string(tv);
    std::string_view rest = e == std::string_view::npos ? std::string_view{} : s.substr(e + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    if (rest.starts_with("msg=")) rest.remove_prefix(4);
    if (!rest.starts_with("audit(")) {
      if (!is_security_type(*t)) return LineResult::Other;
      *why = "record header without audit(TIME:SERIAL)";
      return LineResult::Skipped;
    }
    auto rp = rest.find(')');
    if (rp == std::string_view::npos) {
      if (!is_security_type(*t)) return LineResult::Other;
      *why = "truncated audit(TIME:SERIAL)";
      return LineResult::Skipped;
    }
    std::string_view stamp = rest.substr(6, rp - 6);
    auto colon = stamp.rfind(':');
    if (colon == std::string_view::npos) {
      if (!is_security_type(*t)) return LineResult::Other;
      *why = "bad audit(TIME:SERIAL)";
      return LineResult::Skipped;
    }
    ev->time = std::string(stamp.substr(0, colon));
    ev->serial = parse_int<uint64_t>(stamp.substr(colon + 1)).value_or(0);
    body = rest.substr(rp + 1);
    if (body.starts_with(":")) body.remove_prefix(1);
    have_header = true;
    break;
  }
  if (!have_header) {
    // Journal / audit transport form: "SECCOMP auid=..." or "audit: AVC apparmor=..."
    std::string_view r = s;
    if (r.starts_with("audit: ")) r.remove_prefix(7);
    auto sp = r.find(' ');
    std::string_view name = r.substr(0, sp);
    if (sp == std::string_view::npos || !is_upper_name(name)) return LineResult::Other;
    auto t = audit_type_from_name(name);
    if (!t) return LineResult::Other;
    if (r.substr(sp + 1).find('=') == std::string_view::npos) return LineResult::Other;
    type = t;
    type_token = std::string(name);
    body = r.substr(sp + 1);
    if (src == Source::Raw) ev->source = Source::Journal;
  }
  ev->type = *type;
  ev->type_name = all_digits(type_token) || type_token.starts_with("UNKNOWN[")
                      ? std::string(audit_type_name(*type))
                      : type_token;
  if (!is_security_type(*type)) return LineResult::Other;

  if (!split_fields(body, &ev->fields, why)) return LineResult::Skipped;
  if (ev->fields.empty()) {
    *why = "record without fields";
    return LineResult::Skipped;
  }
  // USER_AVC (dbus etc.): the interesting fields live in msg='...'.
  if (*type == 1107) {
    std::string inner(ev->get("msg"));
    if (inner.find('=') != std::string::npos) {
      std::vector<Field> nested;
      std::string w;
      if (split_fields(inner, &nested, &w)) {
        for (auto& f : nested) ev->fields.push_back(std::move(f));
      }
    }
  }
  fill_common(ev);

  bool ok = true;
  if (*type == 1326) {
    ev->kind = Kind::Seccomp;
    ok = fill_seccomp(ev, why);
  } else if (*type == 1423 || *type == 1424) {
    ev->kind = Kind::Landlock;
    ok = fill_landlock(ev, why);
  } else if (ev->has("apparmor") || (*type >= 1500 && *type <= 1507)) {
    ev->kind = Kind::AppArmor;
    ok = fill_apparmor(ev, why);
  } else if (body.find("avc:") != std::string_view::npos) {
    ev->kind = Kind::SELinux;
    ok = fill_selinux(ev, body, why);
  } else if (*type == 1107) {
    return LineResult::Other;  // user-space AVC from something else (systemd, dbus without LSM info)
  } else if (ev->has("operation") && ev->has("profile")) {
    ev->kind = Kind::AppArmor;
    ok = fill_apparmor(ev, why);
  } else {
    *why = "AVC record that is neither AppArmor nor SELinux";
    return LineResult::Skipped;
  }
  return ok ? LineResult::Event : LineResult::Skipped;
}

}  // namespace confine::logs
