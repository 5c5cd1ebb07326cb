// Docker / OCI seccomp profile: JSON -> Profile (with positions), validation, canonical writer.
//
// Acceptance follows what moby's Go types (profiles/seccomp/seccomp.go) and the
// OCI runtime-spec (specs-go/config.go) decode with encoding/json, then what runc
// rejects when converting:
//   - JSON null for any field = field absent (encoding/json leaves the zero value);
//   - object keys match case-insensitively (encoding/json does), we warn when only
//     the case differs; duplicate keys: the last one wins (warning);
//   - unknown keys are ignored by runtimes: we warn and name them;
//   - integers must be exact non-negative integers (1.0, -1, 1e3 are rejected by Go's uint);
//   - minKernel is "<kernel>.<major>", each 0..255, not "0.0" (KernelVersion.UnmarshalJSON);
//   - "name" and "names" together: error (setupSeccomp); "architectures" and "archMap" together: error;
//   - errnoRet only with SCMP_ACT_ERRNO / SCMP_ACT_TRACE (runc), and at most 65535 (SECCOMP_RET_DATA).
#include "seccomp/profile.h"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_set>

#include "core/capabilities.h"
#include "core/embedded.h"
#include "core/file.h"
#include "syscalls/syscalls.h"

namespace confine::seccomp {

std::string KernelVersion::str() const { return std::to_string(major) + "." + std::to_string(minor); }

std::optional<KernelVersion> KernelVersion::parse(std::string_view s) {
  // "6.18", "6.18.3", "6.18.3-amd64", "5.10-rc1": major.minor, the rest ignored.
  KernelVersion k;
  size_t i = 0;
  auto num = [&](unsigned& out) {
    size_t start = i;
    uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 9)
      v = v * 10 + static_cast<unsigned>(s[i++] - '0');
    if (i == start || (i < s.size() && s[i] >= '0' && s[i] <= '9')) return false;
    out = static_cast<unsigned>(v);
    return true;
  };
  if (!num(k.major)) return std::nullopt;
  if (i >= s.size() || s[i] != '.') return std::nullopt;
  ++i;
  if (!num(k.minor)) return std::nullopt;
  if (i < s.size() && s[i] != '.' && s[i] != '-' && s[i] != '+' && s[i] != '_') return std::nullopt;
  return k;
}

std::string Warning::str() const {
  std::string p = pos.str();
  return (p.empty() ? "" : p + ": ") + "warning: " + message;
}

namespace {

using json::Member;
using json::Type;
using json::Value;

std::string q(std::string_view s) { return json::quote(s); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

class ProfileParser {
 public:
  explicit ProfileParser(std::vector<Warning>* w) : warnings_(w) {}

  Result<Profile> run(const Value& doc) {
    if (!doc.is(Type::Object))
      return Error::at(
          doc.pos, "a seccomp profile must be a JSON object, got " + std::string(json::type_name(doc.type)));
    const Value* root = &doc;
    // A whole OCI config.json: take linux.seccomp.
    bool is_oci_config = false;
    for (const auto& m : doc.members)
      if (m.key == "ociVersion" || m.key == "linux" || m.key == "process" || m.key == "root")
        is_oci_config = true;
    if (is_oci_config && !doc.find("defaultAction") && !doc.find("syscalls")) {
      const Value* linux = doc.find("linux");
      if (!linux || linux->is(Type::Null))
        return Error::at(doc.pos, "OCI config has no \"linux\" object, so no linux.seccomp profile");
      if (!linux->is(Type::Object))
        return Error::at(linux->pos,
                         "\"linux\" must be an object, got " + std::string(json::type_name(linux->type)));
      const Value* sc = linux->find("seccomp");
      if (!sc || sc->is(Type::Null))
        return Error::at(linux->pos,
                         "OCI config has no linux.seccomp profile (the container runs unconfined)");
      if (!sc->is(Type::Object))
        return Error::at(sc->pos,
                         "\"seccomp\" must be an object, got " + std::string(json::type_name(sc->type)));
      root = sc;
    }
    return parse_root(*root);
  }

 private:
  std::vector<Warning>* warnings_;

  void warn(const SourcePos& pos, std::string msg) {
    if (warnings_) warnings_->push_back({pos, std::move(msg)});
  }

  // Matches the members of `obj` to the known keys the way encoding/json does.
  std::map<std::string_view, const Member*> fields(const Value& obj,
                                                   std::initializer_list<std::string_view> known,
                                                   std::string_view where) {
    std::map<std::string_view, const Member*> out;
    for (const auto& m : obj.members) {
      std::string_view canon;
      for (auto k : known)
        if (k == m.key) canon = k;
      if (canon.empty()) {
        for (auto k : known)
          if (iequals(k, m.key)) canon = k;
        if (!canon.empty())
          warn(m.key_pos, "key " + q(m.key) + " in " + std::string(where) + " matches " + q(canon) +
                              " only case-insensitively (Go runtimes accept it; write " + q(canon) + ")");
      }
      if (canon.empty()) {
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        warn(m.key_pos, "unknown key " + q(m.key) + " in " + std::string(where) +
                            " is ignored by runtimes (known keys: " + list + ")");
        continue;
      }
      if (auto it = out.find(canon); it != out.end())
        warn(m.key_pos, "duplicate key " + q(m.key) + " in " + std::string(where) + " (the last one wins, " +
                            "the one at " + it->second->key_pos.str() + " is ignored)");
      out[canon] = &m;
    }
    // null = absent (encoding/json leaves the zero value).
    for (auto it = out.begin(); it != out.end();)
      it = it->second->value.is(Type::Null) ? out.erase(it) : std::next(it);
    return out;
  }

  static Error type_error(const Member& m, std::string_view expected) {
    return Error::at(m.value.pos, q(m.key) + " must be " + std::string(expected) + ", got " +
                                      std::string(json::type_name(m.value.type)));
  }

  static Result<std::string> get_string(const Member& m) {
    if (!m.value.is(Type::String)) return type_error(m, "a string");
    return m.value.text;
  }

  static Result<std::vector<std::pair<std::string, SourcePos>>> get_strings(const Member& m) {
    if (!m.value.is(Type::Array)) return type_error(m, "an array of strings");
    std::vector<std::pair<std::string, SourcePos>> out;
    for (const auto& it : m.value.items) {
      if (!it.is(Type::String))
        return Error::at(it.pos, "elements of " + q(m.key) + " must be strings, got " +
                                     std::string(json::type_name(it.type)));
      out.emplace_back(it.text, it.pos);
    }
    return out;
  }

  static Result<uint64_t> get_uint(const Member& m, uint64_t max) {
    const Value& v = m.value;
    if (!v.is(Type::Number)) return type_error(m, "a non-negative integer");
    if (!v.is_integer || v.negative) {
      if (v.is_integer && v.magnitude == 0) return 0;  // "-0" decodes as 0 in Go
      return Error::at(v.pos, q(m.key) + " must be a non-negative integer, got " + v.text);
    }
    if (v.magnitude > max)
      return Error::at(v.pos,
                       q(m.key) + " is out of range: " + v.text + " (maximum " + std::to_string(max) + ")");
    return v.magnitude;
  }

  Result<ActionKind> get_action(const Member& m) {
    CONFINE_TRY(std::string s, get_string(m));
    auto k = action_kind_from_name(s);
    if (!k)
      return Error::at(m.value.pos,
                       "unknown action " + q(s) +
                           " (expected one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, "
                           "SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, "
                           "SCMP_ACT_NOTIFY)");
    return *k;
  }

  Result<std::optional<uint32_t>> get_errno(const std::map<std::string_view, const Member*>& f,
                                            std::string_view key, ActionKind action,
                                            const SourcePos& action_pos) {
    auto it = f.find(key);
    if (it == f.end()) return std::optional<uint32_t>{};
    CONFINE_TRY(uint64_t e, get_uint(*it->second, 0xFFFF));
    if (action != ActionKind::Errno && action != ActionKind::Trace)
      return Error::at(it->second->value.pos,
                       q(it->second->key) + " is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not " +
                           std::string(action_kind_scmp_name(action)) + " (action at " + action_pos.str() +
                           ")");
    return std::optional<uint32_t>(static_cast<uint32_t>(e));
  }

  Result<Arch> get_arch(const std::string& s, const SourcePos& pos, bool* unsupported) {
    if (s.starts_with("SCMP_ARCH_"))
      if (auto a = arch_from_name(s)) return *a;
    if (s == "SCMP_ARCH_PARISC" || s == "SCMP_ARCH_PARISC64" || s == "SCMP_ARCH_SH" ||
        s == "SCMP_ARCH_SHEB") {
      *unsupported = true;
      return Arch::X86_64;  // ignored by the caller
    }
    std::string msg = "unknown architecture " + q(s);
    if (auto a = arch_from_name(s))
      msg += " (did you mean " + std::string(arch_info(*a).scmp_name) + "?)";
    else
      msg += " (expected SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64, ...)";
    return Error::at(pos, msg);
  }

  Result<std::vector<Arch>> get_arches(const Member& m) {
    CONFINE_TRY(auto names, get_strings(m));
    std::vector<Arch> out;
    for (const auto& [n, pos] : names) {
      bool unsupported = false;
      CONFINE_TRY(Arch a, get_arch(n, pos, &unsupported));
      if (unsupported) {
        warn(pos, "architecture " + n + " is not supported by confine and is ignored");
        continue;
      }
      if (std::find(out.begin(), out.end(), a) != out.end()) {
        warn(pos, "architecture " + n + " is listed twice");
        continue;
      }
      out.push_back(a);
    }
    return out;
  }

  Result<Profile> parse_root(const Value& obj) {
    Profile p;
    p.pos = obj.pos;
    p.source = obj.pos.file;
    auto f = fields(obj,
                    {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls", "flags",
                     "listenerPath", "listenerMetadata"},
                    "the profile");
    auto da = f.find("defaultAction");
    if (da == f.end()) {
      if (!f.count("syscalls"))
        return Error::at(
            obj.pos,
            "missing \"defaultAction\" (and no \"syscalls\": Docker would treat this as seccomp disabled)");
      return Error::at(obj.pos, "missing \"defaultAction\"");
    }
    CONFINE_TRY(p.default_action, get_action(*da->second));
    CONFINE_TRY(p.default_errno_ret,
                get_errno(f, "defaultErrnoRet", p.default_action, da->second->value.pos));
    if (auto it = f.find("architectures"); it != f.end()) {
      CONFINE_TRY(p.architectures, get_arches(*it->second));
    }
    if (auto it = f.find("archMap"); it != f.end()) {
      const Member& m = *it->second;
      if (!m.value.is(Type::Array)) return type_error(m, "an array");
      for (const auto& e : m.value.items) {
        if (!e.is(Type::Object))
          return Error::at(
              e.pos, "elements of \"archMap\" must be objects, got " + std::string(json::type_name(e.type)));
        auto ef = fields(e, {"architecture", "subArchitectures"}, "an archMap entry");
        ArchMapEntry entry;
        entry.pos = e.pos;
        auto a = ef.find("architecture");
        if (a == ef.end()) return Error::at(e.pos, "archMap entry has no \"architecture\"");
        CONFINE_TRY(std::string an, get_string(*a->second));
        bool unsupported = false;
        CONFINE_TRY(entry.arch, get_arch(an, a->second->value.pos, &unsupported));
        if (unsupported) {
          warn(a->second->value.pos,
               "architecture " + an + " is not supported by confine; archMap entry ignored");
          continue;
        }
        if (auto s = ef.find("subArchitectures"); s != ef.end()) {
          CONFINE_TRY(entry.sub_arches, get_arches(*s->second));
        }
        for (const auto& prev : p.arch_map)
          if (prev.arch == entry.arch)
            warn(e.pos, "archMap lists " + std::string(arch_info(entry.arch).scmp_name) +
                            " again (entry at " + prev.pos.str() + " is used)");
        p.arch_map.push_back(std::move(entry));
      }
      if (!p.architectures.empty() && !p.arch_map.empty())
        return Error::at(
            m.key_pos,
            "both \"architectures\" and \"archMap\" are set; Docker rejects this, use one of them");
    }
    if (auto it = f.find("flags"); it != f.end()) {
      CONFINE_TRY(auto flags, get_strings(*it->second));
      for (const auto& [fl, pos] : flags) {
        if (fl != "SECCOMP_FILTER_FLAG_LOG" && fl != "SECCOMP_FILTER_FLAG_SPEC_ALLOW" &&
            fl != "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") {
          std::string msg = "unknown seccomp flag " + q(fl) +
                            " (expected SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW or "
                            "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";
          if (fl == "SECCOMP_FILTER_FLAG_TSYNC" || fl == "SECCOMP_FILTER_FLAG_NEW_LISTENER" ||
              fl == "SECCOMP_FILTER_FLAG_TSYNC_ESRCH")
            msg += "; " + fl + " is managed by the runtime, not the profile";
          return Error::at(pos, msg + ")");
        }
        if (std::find(p.flags.begin(), p.flags.end(), fl) == p.flags.end()) p.flags.push_back(fl);
      }
    }
    if (auto it = f.find("listenerPath"); it != f.end()) {
      CONFINE_TRY(p.listener_path, get_string(*it->second));
    }
    if (auto it = f.find("listenerMetadata"); it != f.end()) {
      CONFINE_TRY(p.listener_metadata, get_string(*it->second));
    }
    if (auto it = f.find("syscalls"); it != f.end()) {
      const Member& m = *it->second;
      if (!m.value.is(Type::Array)) return type_error(m, "an array");
      p.syscalls.reserve(m.value.items.size());
      for (const auto& r : m.value.items) {
        if (r.is(Type::Null))
          continue;  // []*Syscall: a null element decodes to nil (moby then crashes); skip it
        CONFINE_TRY(SyscallRule rule, parse_rule(r));
        p.syscalls.push_back(std::move(rule));
      }
    }
    bool notify = p.default_action == ActionKind::Notify;
    for (const auto& r : p.syscalls) notify = notify || r.action == ActionKind::Notify;
    if (notify && p.listener_path.empty())
      warn(p.pos, "SCMP_ACT_NOTIFY is used but \"listenerPath\" is empty (runc refuses this)");
    if (p.default_action == ActionKind::Notify)
      warn(da->second->value.pos, "SCMP_ACT_NOTIFY as the default action is rejected by runc");
    return p;
  }

  Result<std::optional<Filter>> parse_filter(const Member& m) {
    if (!m.value.is(Type::Object)) return type_error(m, "an object");
    auto f = fields(m.value, {"caps", "arches", "minKernel"}, q(m.key));
    Filter out;
    out.pos = m.value.pos;
    if (auto it = f.find("caps"); it != f.end()) {
      CONFINE_TRY(auto caps, get_strings(*it->second));
      for (auto& [c, pos] : caps) {
        // Fail closed: an unknown name (a typo) would silently never match.
        if (!capability_from_name(c))
          return Error::at(pos, "unknown capability " + q(c) + " in " + q(m.key) +
                                    " (expected a name such as \"CAP_SYS_ADMIN\")");
        if (!c.starts_with("CAP_"))
          warn(pos, "capability " + q(c) +
                        " never matches: runtimes compare full names such as \"CAP_SYS_ADMIN\"");
        out.caps.push_back(std::move(c));
      }
    }
    if (auto it = f.find("arches"); it != f.end()) {
      CONFINE_TRY(auto arches, get_strings(*it->second));
      for (auto& [a, pos] : arches) {
        if (!arch_from_name(a) && a != "mips3l64n32")
          warn(pos, "architecture " + q(a) + " in " + q(m.key) + " is unknown and never matches");
        out.arches.push_back(std::move(a));
      }
    }
    if (auto it = f.find("minKernel"); it != f.end()) {
      const Member& mk = *it->second;
      CONFINE_TRY(std::string s, get_string(mk));
      if (!s.empty()) {  // "" = absent (UnmarshalJSON)
        auto bad = [&](std::string why) {
          return Error::at(mk.value.pos,
                           "invalid minKernel " + q(s) + ", expected \"<kernel>.<major>\"" + why);
        };
        size_t dot = s.find('.');
        if (dot == std::string::npos || s.find('.', dot + 1) != std::string::npos) return bad("");
        auto part = [](std::string_view x) -> std::optional<unsigned> {  // strconv.ParseUint(x, 10, 8)
          if (x.empty() || x.size() > 8) return std::nullopt;
          unsigned v = 0;
          for (char c : x) {
            if (c < '0' || c > '9') return std::nullopt;
            v = v * 10 + static_cast<unsigned>(c - '0');
          }
          if (v > 255) return std::nullopt;
          return v;
        };
        auto a = part(std::string_view(s).substr(0, dot)), b = part(std::string_view(s).substr(dot + 1));
        if (!a || !b) return bad(" (each part a number 0..255)");
        if (*a == 0 && *b == 0) return bad(": version cannot be 0.0");
        out.min_kernel = KernelVersion{*a, *b};
      }
    }
    if (out.caps.empty() && out.arches.empty() && !out.min_kernel) return std::optional<Filter>{};
    return std::optional<Filter>(std::move(out));
  }

  Result<SyscallRule> parse_rule(const Value& r) {
    if (!r.is(Type::Object))
      return Error::at(
          r.pos, "elements of \"syscalls\" must be objects, got " + std::string(json::type_name(r.type)));
    SyscallRule rule;
    rule.pos = r.pos;
    auto f = fields(r, {"names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"},
                    "a syscall rule");
    auto name = f.find("name"), names = f.find("names");
    if (name != f.end() && names != f.end()) {
      // setupSeccomp only complains when both are non-empty.
      CONFINE_TRY(std::string n, get_string(*name->second));
      CONFINE_TRY(auto ns, get_strings(*names->second));
      if (!n.empty() && !ns.empty())
        return Error::at(name->second->key_pos,
                         "both \"name\" and \"names\" are set; Docker rejects this, use \"names\"");
    }
    if (names != f.end()) {
      CONFINE_TRY(auto ns, get_strings(*names->second));
      for (auto& [n, pos] : ns) {
        rule.names.push_back(std::move(n));
        rule.name_pos.push_back(pos);
      }
    }
    if (rule.names.empty() && name != f.end()) {
      CONFINE_TRY(std::string n, get_string(*name->second));
      if (!n.empty()) {
        rule.names.push_back(n);
        rule.name_pos.push_back(name->second->value.pos);
      }
    }
    auto act = f.find("action");
    if (act == f.end()) return Error::at(r.pos, "syscall rule has no \"action\"");
    CONFINE_TRY(rule.action, get_action(*act->second));
    CONFINE_TRY(rule.errno_ret, get_errno(f, "errnoRet", rule.action, act->second->value.pos));
    if (auto it = f.find("comment"); it != f.end()) {
      CONFINE_TRY(rule.comment, get_string(*it->second));
    }
    if (auto it = f.find("args"); it != f.end()) {
      const Member& m = *it->second;
      if (!m.value.is(Type::Array)) return type_error(m, "an array");
      for (const auto& a : m.value.items) {
        if (a.is(Type::Null)) continue;
        CONFINE_TRY(ArgCond c, parse_arg(a));
        rule.args.push_back(c);
      }
    }
    if (auto it = f.find("includes"); it != f.end()) {
      CONFINE_TRY(rule.includes, parse_filter(*it->second));
    }
    if (auto it = f.find("excludes"); it != f.end()) {
      CONFINE_TRY(rule.excludes, parse_filter(*it->second));
    }
    if (rule.names.empty()) warn(r.pos, "syscall rule has no names and matches nothing");
    CONFINE_CHECK(check_names(rule));
    return rule;
  }

  static bool tables_complete() {
    for (const auto& a : all_arches())
      if (syscall_table(a.arch).empty()) return false;
    return true;
  }

  Status check_names(const SyscallRule& rule) {
    static const bool complete = tables_complete();
    std::unordered_set<std::string_view> seen;
    for (size_t i = 0; i < rule.names.size(); ++i) {
      const std::string& n = rule.names[i];
      if (!seen.insert(n).second) warn(rule.name_pos[i], "syscall " + q(n) + " is listed twice in this rule");
      if (syscall_known_anywhere(n)) continue;
      std::string msg = "unknown syscall " + q(n);
      if (n.empty()) msg = "empty syscall name";
      auto sim = similar_syscall_names(n, 3);
      if (!sim.empty() && !n.empty()) {
        msg += " (did you mean ";
        for (size_t k = 0; k < sim.size(); ++k)
          msg += (k ? (k + 1 == sim.size() ? " or " : ", ") : "") + q(sim[k]);
        msg += "?)";
      }
      if (!complete) {
        // Some architecture tables are missing, so "unknown everywhere" cannot be decided.
        warn(rule.name_pos[i], msg + " on every architecture confine has tables for");
        continue;
      }
      return Error::at(rule.name_pos[i], msg + " on every architecture");
    }
    return ok();
  }

  Result<ArgCond> parse_arg(const Value& a) {
    if (!a.is(Type::Object))
      return Error::at(a.pos,
                       "elements of \"args\" must be objects, got " + std::string(json::type_name(a.type)));
    auto f = fields(a, {"index", "value", "valueTwo", "op"}, "an argument condition");
    ArgCond c;
    c.pos = a.pos;
    if (auto it = f.find("index"); it != f.end()) {
      const Member& m = *it->second;
      CONFINE_TRY(uint64_t idx, get_uint(m, UINT64_MAX));
      if (idx > 5)
        return Error::at(m.value.pos, "argument index " + m.value.text +
                                          " is out of range (syscalls have arguments 0..5)");
      c.index = static_cast<uint8_t>(idx);
    } else {
      warn(a.pos, "argument condition has no \"index\"; it applies to argument 0");
    }
    if (auto it = f.find("value"); it != f.end()) {
      CONFINE_TRY(c.value, get_uint(*it->second, UINT64_MAX));
    }
    if (auto it = f.find("valueTwo"); it != f.end()) {
      CONFINE_TRY(c.value_two, get_uint(*it->second, UINT64_MAX));
    }
    auto op = f.find("op");
    if (op == f.end()) return Error::at(a.pos, "argument condition has no \"op\"");
    CONFINE_TRY(std::string os, get_string(*op->second));
    auto o = cmp_op_from_name(os);
    if (!o)
      return Error::at(
          op->second->value.pos,
          "unknown operator " + q(os) +
              " (expected SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT or "
              "SCMP_CMP_MASKED_EQ)");
    c.op = *o;
    if (c.op == CmpOp::MaskedEq && (c.value_two & ~c.value) != 0)
      warn(a.pos, "SCMP_CMP_MASKED_EQ never matches: valueTwo has bits outside the mask \"value\"");
    return c;
  }
};

}  // namespace

Result<Profile> parse_profile(const json::Value& doc, std::vector<Warning>* warnings) {
  ProfileParser p(warnings);
  return p.run(doc);
}

Result<Profile> parse_profile_text(std::string_view text, std::string_view file,
                                   std::vector<Warning>* warnings) {
  CONFINE_TRY(json::Value doc, json::parse(text, file));
  CONFINE_TRY(Profile p, parse_profile(doc, warnings));
  p.source = std::string(file);
  return p;
}

std::optional<std::string_view> bundled_profile(std::string_view name) {
  if (name == "runtime-default") return embedded_file("profiles/runtime-default.json");
  return std::nullopt;
}

json::Value* oci_seccomp_slot(json::Value& doc) {
  json::Value* slot = nullptr;
  for (auto& m : doc.members)
    if (m.key == "linux" && m.value.is(json::Type::Object))
      for (auto& n : m.value.members)
        if (n.key == "seccomp") slot = &n.value;
  return slot;
}

bool is_bundled_profile(const std::string& path) {
  struct stat st {};
  return bundled_profile(path) && ::stat(path.c_str(), &st) != 0;
}

Result<std::string> read_profile_text(const std::string& path) {
  if (is_bundled_profile(path)) return std::string(*bundled_profile(path));
  return file::read_file(path, file::kMaxProfileBytes);
}

Result<Profile> load_profile(const std::string& path, std::vector<Warning>* warnings) {
  CONFINE_TRY(std::string text, read_profile_text(path));
  CONFINE_TRY(json::Value doc, json::parse(text, path == "-" ? "<stdin>" : path));
  CONFINE_TRY(Profile p, parse_profile(doc, warnings));
  p.source = path == "-" ? "<stdin>" : path;
  return p;
}

// ---------------------------------------------------------------- writer

namespace {
json::Value str_array(const std::vector<std::string>& v) {
  json::Value a = json::Value::make_array();
  for (const auto& s : v) a.push(json::Value::make_string(s));
  return a;
}
json::Value arch_array(const std::vector<Arch>& v) {
  json::Value a = json::Value::make_array();
  for (Arch x : v) a.push(json::Value::make_string(std::string(arch_info(x).scmp_name)));
  return a;
}
json::Value filter_json(const std::optional<Filter>& f) {
  json::Value o = json::Value::make_object();
  if (!f) return o;
  if (!f->caps.empty()) o.add("caps", str_array(f->caps));
  if (!f->arches.empty()) o.add("arches", str_array(f->arches));
  if (f->min_kernel) o.add("minKernel", json::Value::make_string(f->min_kernel->str()));
  return o;
}
}  // namespace

json::Value profile_to_json(const Profile& p) {
  using json::Value;
  Value o = Value::make_object();
  o.add("defaultAction", Value::make_string(std::string(action_kind_scmp_name(p.default_action))));
  if (p.default_errno_ret) o.add("defaultErrnoRet", Value::make_u64(*p.default_errno_ret));
  if (!p.architectures.empty()) o.add("architectures", arch_array(p.architectures));
  if (!p.arch_map.empty()) {
    Value& am = o.add("archMap", Value::make_array());
    for (const auto& e : p.arch_map) {
      Value& v = am.push(Value::make_object());
      v.add("architecture", Value::make_string(std::string(arch_info(e.arch).scmp_name)));
      v.add("subArchitectures", arch_array(e.sub_arches));
    }
  }
  if (!p.flags.empty()) o.add("flags", str_array(p.flags));
  if (!p.listener_path.empty()) o.add("listenerPath", Value::make_string(p.listener_path));
  if (!p.listener_metadata.empty()) o.add("listenerMetadata", Value::make_string(p.listener_metadata));
  Value& sc = o.add("syscalls", Value::make_array());
  for (const auto& r : p.syscalls) {
    Value& v = sc.push(Value::make_object());
    v.add("names", str_array(r.names));
    v.add("action", Value::make_string(std::string(action_kind_scmp_name(r.action))));
    if (r.errno_ret) v.add("errnoRet", Value::make_u64(*r.errno_ret));
    if (!r.args.empty()) {
      Value& args = v.add("args", Value::make_array());
      for (const auto& a : r.args) {
        Value& av = args.push(Value::make_object());
        av.add("index", Value::make_u64(a.index));
        av.add("value", Value::make_u64(a.value));
        av.add("valueTwo", Value::make_u64(a.value_two));
        av.add("op", Value::make_string(std::string(cmp_op_scmp_name(a.op))));
      }
    }
    if (!r.comment.empty()) v.add("comment", Value::make_string(r.comment));
    if (r.includes) v.add("includes", filter_json(r.includes));
    if (r.excludes) v.add("excludes", filter_json(r.excludes));
  }
  return o;
}

std::string format_profile(const Profile& p) { return json::write(profile_to_json(p)); }

}  // namespace confine::seccomp
