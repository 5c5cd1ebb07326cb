#include "k8s/writer.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include "apparmor/apparmor.h"
#include "core/file.h"
#include "generate/generate.h"
#include "k8s/sha256.h"
#include "seccomp/profile.h"

namespace confine::k8s {

namespace {
using json::Type;
using json::Value;

std::string q(std::string_view s) { return json::quote(s); }
Value str(std::string s) { return Value::make_string(std::move(s)); }
Value strs(std::initializer_list<std::string> l) {
  Value a = Value::make_array();
  for (const auto& s : l) a.push(str(s));
  return a;
}
Value obj() { return Value::make_object(); }

constexpr std::string_view kZeros = "000000000000";

// --- YAML -------------------------------------------------------------------------------

// Decodes one UTF-8 sequence at s[i]; returns its length (0 = invalid).
size_t utf8_len(std::string_view s, size_t i, uint32_t* cp) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
  for (size_t k = 1; k < n; ++k) {
    unsigned char d = static_cast<unsigned char>(s[i + k]);
    if ((d >> 6) != 2) return 0;
    v = (v << 6) | (d & 0x3f);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (v < kMin[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return n;
}

// A character YAML 1.1 (go-yaml, kubectl) takes as-is inside a scalar: printable, and no
// line break (NEL, LS and PS are line breaks in YAML 1.1).
bool yaml_plain_char(uint32_t cp) {
  if (cp < 0x80) return cp >= 0x20 && cp != 0x7f;
  if (cp <= 0xa0) return cp == 0xa0;
  if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff) return false;
  return cp <= 0xd7ff || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;
}

Result<std::string> yaml_quoted(std::string_view s) {
  std::string o = "\"";
  static const char* hex = "0123456789ABCDEF";
  for (size_t i = 0; i < s.size();) {
    uint32_t cp = 0;
    size_t n = utf8_len(s, i, &cp);
    if (n == 0)
      return Error("byte " + std::to_string(i) + " is not UTF-8: a ConfigMap's data cannot hold it");
    if (cp == '"' || cp == '\\') {
      o += '\\';
      o += static_cast<char>(cp);
    } else if (cp == '\n') {
      o += "\\n";
    } else if (cp == '\t') {
      o += "\\t";
    } else if (yaml_plain_char(cp)) {
      o.append(s.substr(i, n));
    } else if (cp <= 0xff) {
      o += "\\x";
      o += hex[cp >> 4];
      o += hex[cp & 15];
    } else if (cp <= 0xffff) {
      o += "\\u";
      for (int sh = 12; sh >= 0; sh -= 4) o += hex[(cp >> sh) & 15];
    } else {
      o += "\\U";
      for (int sh = 28; sh >= 0; sh -= 4) o += hex[(cp >> sh) & 15];
    }
    i += n;
  }
  return o + "\"";
}

// A literal block scalar keeps text exactly when: it ends in exactly one newline (clip
// chomping), its first line does not start with a space (no indentation indicator needed),
// and every character is printable ASCII (no tab, no CR).
bool literal_ok(std::string_view s) {
  if (s.size() < 2 || s.back() != '\n' || s[s.size() - 2] == '\n' || s[0] == ' ' || s[0] == '\n')
    return false;
  for (char c : s)
    if (c != '\n' && (c < 0x20 || c > 0x7e)) return false;
  return s.find('\n') != s.size() - 1 || s.size() > 80;
}

bool plain_key(std::string_view k) {
  if (k.empty() || !((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z'))) return false;
  for (char c : k)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-' || c == '_' || c == '/'))
      return false;
  std::string l(k);
  for (auto& c : l) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  for (const char* w : {"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
    if (l == w) return false;
  return true;
}

Status yaml_node(const Value& v, size_t ind, std::string& o);

Status yaml_value(const Value& v, size_t ind, std::string& o) {
  switch (v.type) {
    case Type::Null: o += " null\n"; return ok();
    case Type::Bool: o += v.boolean ? " true\n" : " false\n"; return ok();
    case Type::Number: o += " " + v.text + "\n"; return ok();
    case Type::String: {
      if (literal_ok(v.text)) {
        o += " |\n";
        std::string pad(ind + 2, ' ');
        size_t start = 0;
        while (start < v.text.size()) {
          size_t nl = v.text.find('\n', start);
          std::string_view line(v.text.data() + start, nl - start);
          if (!line.empty()) o += pad;
          o.append(line);
          o += '\n';
          start = nl + 1;
        }
        return ok();
      }
      CONFINE_TRY(std::string s, yaml_quoted(v.text));
      o += " " + s + "\n";
      return ok();
    }
    case Type::Array:
      if (v.items.empty()) {
        o += " []\n";
        return ok();
      }
      o += "\n";
      return yaml_node(v, ind, o);  // sequences at the key's indentation (kubectl's style)
    case Type::Object:
      if (v.members.empty()) {
        o += " {}\n";
        return ok();
      }
      o += "\n";
      return yaml_node(v, ind + 2, o);
  }
  return ok();
}

Status yaml_node(const Value& v, size_t ind, std::string& o) {
  std::string pad(ind, ' ');
  if (v.is(Type::Object)) {
    for (const auto& m : v.members) {
      o += pad;
      if (plain_key(m.key)) {
        o += m.key;
      } else {
        CONFINE_TRY(std::string k, yaml_quoted(m.key));
        o += k;
      }
      o += ":";
      CONFINE_CHECK(yaml_value(m.value, ind, o));
    }
    return ok();
  }
  for (const auto& item : v.items) {
    if (item.is(Type::Object) && !item.members.empty()) {
      std::string sub;
      CONFINE_CHECK(yaml_node(item, ind + 2, sub));
      o += pad + "- " + sub.substr(ind + 2);
    } else if (item.is(Type::Array) && !item.items.empty()) {
      o += pad + "-\n";
      CONFINE_CHECK(yaml_node(item, ind + 2, o));
    } else {
      o += pad + "-";
      CONFINE_CHECK(yaml_value(item, ind + 2, o));
    }
  }
  return ok();
}

// --- profiles ---------------------------------------------------------------------------

// Text that goes into a ConfigMap's `data` as is: printable ASCII, newlines and tabs. Anything else
// (UTF-8 beyond ASCII, CR, control characters) goes into `binaryData`, base64: YAML tools do not all
// carry every character through unchanged (`kubectl kustomize` 1.20 and 1.32 lose a U+0085 NEL in a
// double-quoted scalar, seen here), base64 they do. The kubelet writes both as the file's bytes.
bool plain_text(std::string_view s) {
  for (char c : s)
    if (!((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t')) return false;
  return true;
}

std::string base64(std::string_view s) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  o.reserve((s.size() + 2) / 3 * 4);
  for (size_t i = 0; i < s.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) v |= static_cast<unsigned char>(s[i + 1]) << 8;
    if (i + 2 < s.size()) v |= static_cast<unsigned char>(s[i + 2]);
    o += t[(v >> 18) & 63];
    o += t[(v >> 12) & 63];
    o += i + 1 < s.size() ? t[(v >> 6) & 63] : '=';
    o += i + 2 < s.size() ? t[v & 63] : '=';
  }
  return o;
}

bool unconditional_allow(const seccomp::SyscallRule& r) {
  return r.action == seccomp::ActionKind::Allow && r.args.empty() && !r.includes && !r.excludes;
}

// The length of `s` as a JSON string the way Go's encoding/json writes it (kubectl's
// last-applied annotation): quotes, \" \\ \n \r \t as two bytes, other control
// characters, < > & (HTML-safe escaping), U+2028 and U+2029 as six.
size_t go_json_len(std::string_view s) {
  size_t n = 2;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t')
      n += 2;
    else if (c < 0x20 || c == '<' || c == '>' || c == '&')
      n += 6;
    else if (c == 0xe2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
             (static_cast<unsigned char>(s[i + 2]) & 0xfe) == 0xa8) {
      n += 6;
      i += 2;
    } else {
      n += 1;
    }
  }
  return n;
}
}  // namespace

Result<std::string> to_yaml(const Value& v) {
  std::string o;
  if (!v.is(Type::Object) && !v.is(Type::Array))
    return Error("a YAML document here is a mapping or a sequence");
  CONFINE_CHECK(yaml_node(v, 0, o));
  return o;
}

Result<std::string> oci_seccomp(const std::string& text, const std::string& file, const std::string& mode,
                                std::vector<std::string>* notes) {
  std::vector<seccomp::Warning> warns;
  CONFINE_TRY(seccomp::Profile p, seccomp::parse_profile_text(text, file, &warns));
  bool changed = false;
  auto doc = json::parse(text, file);
  if (doc.ok() && doc->is(Type::Object) && seccomp::oci_seccomp_slot(*doc))
    changed = true;  // a whole OCI config.json: its linux.seccomp is what goes into the bundle
  if (!p.arch_map.empty())
    return Error(file +
                 ": archMap (Docker-only) cannot convert to the OCI form: the nodes' architecture is "
                 "not known here; list the architectures in \"architectures\"");
  if (!p.listener_path.empty())
    return Error(file + ": listenerPath needs a seccomp agent on every node: not bundled");
  for (const auto& r : p.syscalls) {
    if (r.includes || r.excludes)
      return Error(r.pos.str() +
                   ": includes/excludes (Docker-only, by capability or kernel) cannot convert to "
                   "the OCI form without knowing the container's capabilities");
    if (r.action == seccomp::ActionKind::Notify)
      return Error(r.pos.str() + ": SCMP_ACT_NOTIFY needs a seccomp agent on every node: not bundled");
  }
  for (const auto& f : p.flags)
    if (f != "SECCOMP_FILTER_FLAG_LOG")
      return Error(file + ": flag " + f + ": runc 1.1 refuses every seccomp flag (docs/record.md)");
  if (!p.flags.empty()) {
    p.flags.clear();
    changed = true;
    notes->push_back(file +
                     ": flag SECCOMP_FILTER_FLAG_LOG dropped (runc 1.1 refuses seccomp flags; the "
                     "profile was made for `confine run`: record with --target oci)");
  }
  // Only the unconditional rules count: the runtime's own calls do not have the workload's arguments.
  std::set<std::string> allowed;
  for (const auto& r : p.syscalls)
    if (unconditional_allow(r)) allowed.insert(r.names.begin(), r.names.end());
  std::vector<std::string> extra;
  std::string why;
  for (const auto& rs : generate::runtime_post_filter_syscalls()) {
    if (allowed.count(rs.name)) continue;
    extra.push_back(rs.name);
    why +=
        (why.empty() ? "" : "; ") + rs.name + (rs.nnp_off_only ? " (no_new_privs off)" : "") + ": " + rs.why;
  }
  if (!extra.empty()) {
    seccomp::SyscallRule r;
    r.names = extra;
    r.name_pos.resize(extra.size());
    r.action = seccomp::ActionKind::Allow;
    r.comment =
        "not the workload's: the OCI runtime (runc 1.1) makes these after loading the filter, before exec "
        "(strace of runc init; added by confine k8s bundle): " +
        why;
    p.syscalls.push_back(std::move(r));
    changed = true;
    std::string names;
    for (const auto& n : extra) names += (names.empty() ? "" : " ") + n;
    notes->push_back(file +
                     ": allowed the container runtime's own post-filter syscalls (reviewed table "
                     "generate::runtime_post_filter_syscalls, docs/record.md \"--target oci\"): " +
                     names);
  }
  if (mode == "complain") {
    if (p.default_action != seccomp::ActionKind::Log) {
      p.default_action = seccomp::ActionKind::Log;
      p.default_errno_ret.reset();
      changed = true;
    }
  } else if (p.default_action == seccomp::ActionKind::Log) {
    return Error(file + ": defaultAction SCMP_ACT_LOG is complain mode: bundle it as NAME=DIR:complain");
  }
  std::string out = changed ? seccomp::format_profile(p) : text;
  if (std::string why2 = oci_form_problem(out); !why2.empty()) return Error(file + ": " + why2);
  CONFINE_CHECK(seccomp::parse_profile_text(out, file));
  return out;
}

Result<std::string> bundle_apparmor(const std::string& text, const std::string& file, const std::string& name,
                                    const std::string& mode, std::vector<std::string>* notes) {
  CONFINE_TRY(apparmor::File f, apparmor::parse(text, file));
  std::shared_ptr<apparmor::Profile> top;
  for (auto& it : f.items)
    if (auto* p = std::get_if<std::shared_ptr<apparmor::Profile>>(&it)) {
      if (top)
        return Error((*p)->pos.str() + ": a second top-level profile " + q((*p)->display_name()) +
                     ": a bundled AppArmor file defines exactly one profile (confine-NAME-HASH)");
      top = *p;
    }
  if (!top) return Error(file + ": defines no profile");
  std::string want = "confine-" + name + "-" + std::string(kZeros);
  if (!top->attachment.empty())
    notes->push_back(file + ": attachment " + q(top->attachment) +
                     " dropped (loaded on every node, it would confine host processes running that path; "
                     "pods name the profile)");
  top->name = want;
  top->attachment.clear();
  top->keyword = apparmor::Profile::Keyword::Profile;
  auto& fl = top->flags;
  fl.erase(std::remove_if(fl.begin(), fl.end(),
                          [](const std::string& s) { return s == "complain" || s == "enforce"; }),
           fl.end());
  if (mode == "complain") fl.push_back("complain");
  std::string out = apparmor::format(f);
  // What the agent checks: every profile is confine-NAME-H or its child.
  CONFINE_TRY(apparmor::File g, apparmor::parse(out, file));
  for (const auto& n : apparmor::profile_names(g))
    if (n != want && n.rfind(want + "//", 0) != 0)
      return Error(file + ": defines profile " + q(n) + " outside " + q(want));
  for (const auto& pr : apparmor::profiles(g)) {
    bool complain = std::find(pr->flags.begin(), pr->flags.end(), "complain") != pr->flags.end();
    if (complain != (mode == "complain"))
      return Error(file + ": child profile " + q(pr->display_name()) + (complain ? " is" : " is not") +
                   " in complain mode; the bundle's mode is " + mode);
  }
  return out;
}

Result<PreparedProfile> prepare_profile(const std::string& name, const std::string& mode,
                                        const std::string& seccomp, const std::string* apparmor,
                                        const std::string* behavior, const std::string& dir) {
  if (!valid_profile_name(name))
    return Error("profile name " + q(name) +
                 " is not valid ([a-z0-9] and '-', not first or last, at most 50 characters): name it with "
                 "NAME=DIR");
  if (mode != "enforce" && mode != "complain")
    return Error("mode " + q(mode) + " is not enforce or complain");
  PreparedProfile p;
  CONFINE_TRY(std::string sc, oci_seccomp(seccomp, dir + "/seccomp.json", mode, &p.notes));
  std::string aa;
  if (apparmor) {
    CONFINE_TRY(aa, bundle_apparmor(*apparmor, dir + "/apparmor.profile", name, mode, &p.notes));
  }
  if (behavior) CONFINE_CHECK(json::parse(*behavior, dir + "/behavior.json"));
  std::string h = profile_hash(mode, sc, apparmor ? &aa : nullptr, behavior);
  if (apparmor) {
    // The hash slot becomes H (normalise_apparmor turns every H back into zeros for the agent).
    if (aa.find(h) != std::string::npos)
      return Error(dir + "/apparmor.profile: holds the text " + h +
                   " (its own hash): rename anything "
                   "that contains it");
    for (size_t pos = aa.find(kZeros); pos != std::string::npos; pos = aa.find(kZeros, pos + 12))
      aa.replace(pos, 12, h);
  }
  ProfileEntry& e = p.entry;
  e.name = name;
  e.hash = h;
  e.mode = mode;
  std::string base = name + "-" + h;
  e.seccomp = BundleFile{base + ".json", sha256_hex(sc)};
  p.files.emplace_back(base + ".json", sc);
  if (apparmor) {
    e.apparmor = BundleFile{base + ".apparmor", sha256_hex(aa)};
    e.apparmor_profile = "confine-" + base;
    p.files.emplace_back(base + ".apparmor", aa);
  }
  if (behavior) {
    e.behavior = BundleFile{base + ".behavior.json", sha256_hex(*behavior)};
    p.files.emplace_back(base + ".behavior.json", *behavior);
  }
  size_t cost = 0;
  for (const auto& [k, v] : p.files) {
    cost += go_json_len(k) + (plain_text(v) ? go_json_len(v) : (v.size() + 2) / 3 * 4 + 2) + 2;
    if (k.size() > 253) return Error(q(k) + ": a ConfigMap key is at most 253 characters");
  }
  cost += 200 + 80 * p.files.size();  // the manifest entry (names, 64-hex digests), JSON-escaped
  p.cost = cost;
  return p;
}

Result<ProfileArg> parse_profile_arg(const std::string& arg, const std::string& default_mode) {
  ProfileArg a;
  std::string rest = arg;
  a.mode = default_mode;
  for (const char* m : {"complain", "enforce"}) {
    std::string suf = std::string(":") + m;
    if (rest.size() > suf.size() && rest.compare(rest.size() - suf.size(), suf.size(), suf) == 0) {
      a.mode = m;
      rest.resize(rest.size() - suf.size());
    }
  }
  size_t eq = rest.find('=');
  if (eq != std::string::npos && eq > 0 && rest.find('/') > eq) {
    a.name = rest.substr(0, eq);
    rest = rest.substr(eq + 1);
  }
  while (rest.size() > 1 && rest.back() == '/') rest.pop_back();
  if (rest.empty()) return Error(q(arg) + ": no directory");
  a.dir = rest;
  if (a.name.empty()) {
    size_t s = rest.rfind('/');
    a.name = s == std::string::npos ? rest : rest.substr(s + 1);
  }
  if (!valid_profile_name(a.name))
    return Error(
        q(arg) + ": profile name " + q(a.name) +
        " is not valid ([a-z0-9] and '-', not first or last, at most 50 characters): write NAME=DIR");
  return a;
}

Result<std::vector<std::vector<size_t>>> split_parts(const std::vector<size_t>& costs, size_t budget) {
  std::vector<std::vector<size_t>> parts;
  size_t used = 0;
  for (size_t i = 0; i < costs.size(); ++i) {
    if (costs[i] + kPartOverhead > budget)
      return Error("profile " + std::to_string(i + 1) + " needs " + std::to_string(costs[i]) +
                   " bytes (JSON-escaped, as kubectl apply's last-applied annotation holds it), more than a "
                   "part holds (" +
                   std::to_string(budget - kPartOverhead) + "): a profile is never split across ConfigMaps");
    if (parts.empty() || used + costs[i] > budget - kPartOverhead) {
      parts.emplace_back();
      used = 0;
    }
    parts.back().push_back(i);
    used += costs[i];
  }
  if (parts.empty()) parts.emplace_back();
  return parts;
}

namespace {
Value meta(const std::string& name, const std::string* ns) {
  Value m = obj();
  m.add("name", str(name));
  if (ns) m.add("namespace", str(*ns));
  Value l = obj();
  l.add("app.kubernetes.io/name", str("confine-agent"));
  l.add("app.kubernetes.io/part-of", str("confine"));
  m.add("labels", std::move(l));
  return m;
}

Value kv(std::initializer_list<std::pair<std::string, Value>> l) {
  Value o = obj();
  for (const auto& [k, v] : l) o.add(k, v);
  return o;
}

Value manifest_json(const std::string& bundle, size_t part, size_t parts,
                    const std::vector<PreparedProfile>& ps, const std::vector<size_t>& mine) {
  Value m = obj();
  m.add("format", str(std::string(kBundleFormat)));
  m.add("bundle", str(bundle));
  m.add("part", Value::make_u64(part));
  m.add("parts", Value::make_u64(parts));
  Value arr = Value::make_array();
  for (size_t i : mine) {
    const ProfileEntry& e = ps[i].entry;
    Value o = obj();
    o.add("name", str(e.name));
    o.add("hash", str(e.hash));
    o.add("mode", str(e.mode));
    o.add("seccomp", kv({{"file", str(e.seccomp->file)}, {"sha256", str(e.seccomp->sha256)}}));
    if (e.apparmor)
      o.add("apparmor", kv({{"file", str(e.apparmor->file)},
                            {"sha256", str(e.apparmor->sha256)},
                            {"profile", str(e.apparmor_profile)}}));
    if (e.behavior)
      o.add("behavior", kv({{"file", str(e.behavior->file)}, {"sha256", str(e.behavior->sha256)}}));
    arr.push(std::move(o));
  }
  m.add("profiles", std::move(arr));
  return m;
}

struct RuntimePaths {
  std::vector<std::string> state, bundles;
};
RuntimePaths runtime_paths(const std::string& rt) {
  if (rt == "cri-o") return {{"/run/runc"}, {"/run/containers/storage/overlay-containers"}};
  return {{"/run/containerd/runc/k8s.io"}, {"/run/containerd/io.containerd.runtime.v2.task/k8s.io"}};
}

Value host_vol(const std::string& name, const std::string& path, const std::string& type) {
  return kv({{"name", str(name)}, {"hostPath", kv({{"path", str(path)}, {"type", str(type)}})}});
}
Value mount(const std::string& name, const std::string& path, bool ro) {
  Value m = kv({{"name", str(name)}, {"mountPath", str(path)}});
  if (ro) m.add("readOnly", Value::make_bool(true));
  return m;
}

Value daemonset(const BundleOptions& o, size_t nparts, const std::string& bundle) {
  const std::string kr = "/var/lib/kubelet";  // the agent's view; hostPaths map the node's kubelet root there
  // --node $(NODE_NAME): the kubelet expands the downward-API variable; the agent labels its own node.
  Value args = strs({"k8s", "agent", "--profiles", "/etc/confine/bundle", "--kubelet-root", kr, "--apparmor",
                     "--node", "$(NODE_NAME)"});
  RuntimePaths rp = runtime_paths(o.runtime);
  for (const auto& s : rp.state) {
    args.push(str("--runtime-state"));
    args.push(str(s));
  }
  Value vols = Value::make_array(), mounts = Value::make_array();
  for (size_t i = 1; i <= nparts; ++i) {
    std::string n = "bundle-" + std::to_string(i);
    vols.push(
        kv({{"name", str(n)}, {"configMap", kv({{"name", str("confine-bundle-" + std::to_string(i))}})}}));
    mounts.push(mount(n, "/etc/confine/bundle/" + std::to_string(i), true));
  }
  // Where the kubelet reads Localhost seccomp profiles: the agent installs into seccomp/confine.
  vols.push(host_vol("seccomp", o.kubelet_root + "/seccomp", "DirectoryOrCreate"));
  mounts.push(mount("seccomp", kr + "/seccomp", false));
  // status.json (the readiness probe reads it) and the AppArmor files handed to apparmor_parser.
  vols.push(host_vol("state", o.kubelet_root + "/confine-agent", "DirectoryOrCreate"));
  mounts.push(mount("state", kr + "/confine-agent", false));
  // The container runtime's state, read-only, at the same paths (state.json names the bundle
  // directory by its host path): what judges whether a dropped profile is still in use. Type
  // Directory: a node with another runtime fails to start the pod instead of an empty directory
  // made up that would say "nothing in use".
  size_t k = 0;
  for (const auto& d : rp.state) {
    std::string n = "runtime-state-" + std::to_string(++k);
    vols.push(host_vol(n, d, "Directory"));
    mounts.push(mount(n, d, true));
  }
  k = 0;
  for (const auto& d : rp.bundles) {
    std::string n = "runtime-bundles-" + std::to_string(++k);
    vols.push(host_vol(n, d, "Directory"));
    mounts.push(mount(n, d, true));
  }
  // AppArmor: apparmor_parser -r writes the policy to securityfs (the container's /sys is read-only).
  vols.push(host_vol("securityfs", "/sys/kernel/security", "Directory"));
  mounts.push(mount("securityfs", "/sys/kernel/security", false));

  Value sc = obj();
  sc.add("runAsUser", Value::make_u64(0));  // the kubelet's directories are root's (0755): no DAC_OVERRIDE
  sc.add("runAsGroup", Value::make_u64(0));
  sc.add("allowPrivilegeEscalation", Value::make_bool(false));
  sc.add("readOnlyRootFilesystem", Value::make_bool(true));
  sc.add("privileged", Value::make_bool(false));
  // MAC_ADMIN: loading AppArmor policy (apparmor_parser -r). Nothing else: root owns every path written.
  sc.add("capabilities", kv({{"drop", strs({"ALL"})}, {"add", strs({"MAC_ADMIN"})}}));
  sc.add("seccompProfile", kv({{"type", str("RuntimeDefault")}}));
  // Unconfined: the runtime's default AppArmor profile denies writes to /sys/kernel/security,
  // i.e. loading policy; the agent's own syscalls stay under RuntimeDefault seccomp.
  sc.add("appArmorProfile", kv({{"type", str("Unconfined")}}));

  Value c = obj();
  c.add("name", str("agent"));
  c.add("image", str(o.image));
  c.add("imagePullPolicy", str("IfNotPresent"));
  c.add("command", strs({"/confine"}));
  c.add("args", std::move(args));
  c.add("env", Value::make_array())
      .push(kv({{"name", str("NODE_NAME")},
                {"valueFrom", kv({{"fieldRef", kv({{"fieldPath", str("spec.nodeName")}})}})}}));
  c.add("readinessProbe", kv({{"exec", kv({{"command", strs({"/confine", "k8s", "status", "--ready"})}})},
                              {"initialDelaySeconds", Value::make_u64(2)},
                              {"periodSeconds", Value::make_u64(10)},
                              {"timeoutSeconds", Value::make_u64(5)}}));
  // Idle RSS is a few MiB (docs/benchmarks.md); apparmor_parser compiling a large profile needs more.
  c.add("resources", kv({{"requests", kv({{"cpu", str("10m")}, {"memory", str("32Mi")}})},
                         {"limits", kv({{"cpu", str("500m")}, {"memory", str("256Mi")}})}}));
  c.add("securityContext", std::move(sc));
  c.add("volumeMounts", std::move(mounts));

  Value pod = obj();
  pod.add("serviceAccountName", str("confine-agent"));
  // The token of its one API call (its own node's labels; the admission policy holds it to that).
  pod.add("automountServiceAccountToken", Value::make_bool(true));
  pod.add("nodeSelector", kv({{"kubernetes.io/os", str("linux")}}));
  // Every node: the profiles must be where any pod may land (NoSchedule and NoExecute taints too).
  pod.add("tolerations", Value::make_array()).push(kv({{"operator", str("Exists")}}));
  pod.add("terminationGracePeriodSeconds", Value::make_u64(10));
  pod.add("containers", Value::make_array()).push(std::move(c));
  pod.add("volumes", std::move(vols));

  Value tmeta = obj();
  tmeta.add("labels", kv({{"app.kubernetes.io/name", str("confine-agent")}}));
  Value spec = obj();
  spec.add("selector", kv({{"matchLabels", kv({{"app.kubernetes.io/name", str("confine-agent")}})}}));
  spec.add("updateStrategy",
           kv({{"type", str("RollingUpdate")}, {"rollingUpdate", kv({{"maxUnavailable", str("10%")}})}}));
  spec.add("template", kv({{"metadata", tmeta}, {"spec", pod}}));
  Value ds = obj();
  ds.add("apiVersion", str("apps/v1"));
  ds.add("kind", str("DaemonSet"));
  Value m = meta("confine-agent", &o.ns);
  m.add("annotations", kv({{"confine.dev/bundle", str(bundle)}}));
  ds.add("metadata", std::move(m));
  ds.add("spec", std::move(spec));
  return ds;
}

// The agent may change only its own node, and there only labels under confine.dev/.
Value admission_policy(const BundleOptions& o) {
  std::string sa = "system:serviceaccount:" + o.ns + ":confine-agent";
  const std::string claim = "request.userInfo.extra[\"authentication.kubernetes.io/node-name\"]";
  Value spec = obj();
  spec.add("failurePolicy", str("Fail"));
  Value rules = Value::make_array();
  // PATCH is an UPDATE at admission; RBAC grants nothing else (no delete, no nodes/status).
  rules.push(kv({{"apiGroups", strs({""})},
                 {"apiVersions", strs({"v1"})},
                 {"operations", strs({"UPDATE"})},
                 {"resources", strs({"nodes"})}}));
  spec.add("matchConstraints", kv({{"resourceRules", rules}}));
  spec.add("matchConditions", Value::make_array())
      .push(
          kv({{"name", str("confine-agent")}, {"expression", str("request.userInfo.username == " + q(sa))}}));
  Value vars = Value::make_array();
  vars.push(kv({{"name", str("old")},
                {"expression", str("has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}")}}));
  vars.push(kv({{"name", str("new")},
                {"expression", str("has(object.metadata.labels) ? object.metadata.labels : {}")}}));
  spec.add("variables", std::move(vars));
  Value val = Value::make_array();
  val.push(
      kv({{"expression", str("\"authentication.kubernetes.io/node-name\" in request.userInfo.extra && " +
                             claim + ".size() == 1 && " + claim + "[0] == oldObject.metadata.name")},
          {"message", str("the confine agent may change only the node its pod is bound to (the node-name "
                          "claim of its service-account token, Kubernetes 1.30+)")}}));
  val.push(
      kv({{"expression", str("variables.new.all(k, k.startsWith(\"confine.dev/\") || (k in variables.old "
                             "&& variables.old[k] == variables.new[k])) && variables.old.all(k, "
                             "k.startsWith(\"confine.dev/\") || k in variables.new)")},
          {"message", str("the confine agent may change only confine.dev/ labels")}}));
  val.push(kv({{"expression",
                str("object.spec == oldObject.spec && (has(object.metadata.annotations) ? "
                    "object.metadata.annotations : {}) == (has(oldObject.metadata.annotations) ? "
                    "oldObject.metadata.annotations : {}) && (has(object.metadata.finalizers) ? "
                    "object.metadata.finalizers : []) == (has(oldObject.metadata.finalizers) ? "
                    "oldObject.metadata.finalizers : []) && (has(object.metadata.ownerReferences) ? "
                    "object.metadata.ownerReferences : []) == (has(oldObject.metadata.ownerReferences) ? "
                    "oldObject.metadata.ownerReferences : [])")},
               {"message", str("the confine agent changes nothing of a node but its confine.dev/ labels")}}));
  spec.add("validations", std::move(val));
  Value p = obj();
  p.add("apiVersion", str("admissionregistration.k8s.io/v1"));
  p.add("kind", str("ValidatingAdmissionPolicy"));
  p.add("metadata", meta("confine-agent-own-node-labels", nullptr));
  p.add("spec", std::move(spec));
  return p;
}

Result<std::string> yaml_docs(const std::vector<Value>& docs, const std::string& header) {
  std::string out = header;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (i) out += "---\n";
    CONFINE_TRY(std::string y, to_yaml(docs[i]));
    out += y;
  }
  return out;
}
}  // namespace

Result<BundleResult> plan_bundle(const std::vector<PreparedProfile>& ps, const BundleOptions& o) {
  BundleResult r;
  std::set<std::string> names;
  std::vector<const ProfileEntry*> all;
  std::vector<size_t> costs;
  for (const auto& p : ps) {
    if (!names.insert(p.entry.name).second)
      return Error("profile name " + q(p.entry.name) + " is given twice: name one of them with NAME=DIR");
    all.push_back(&p.entry);
    costs.push_back(p.cost);
  }
  if (ps.empty()) return Error("no profiles: name at least one PROFILE_DIR");
  r.bundle = bundle_hash(all);
  CONFINE_TRY(r.parts, split_parts(costs, o.budget));
  const std::string head =
      "# Written by `confine k8s bundle` (docs/kubernetes.md); bundle " + r.bundle + ".\n";
  std::vector<std::string> resources;
  auto emit = [&](const std::string& f, const std::vector<Value>& docs, const std::string& why) -> Status {
    CONFINE_TRY(std::string text, yaml_docs(docs, head + why));
    resources.push_back(f);
    r.files.emplace_back(f, std::move(text));
    return ok();
  };
  Value ns = obj();
  ns.add("apiVersion", str("v1"));
  ns.add("kind", str("Namespace"));
  Value nsm = meta(o.ns, nullptr);
  // Pod Security Admission: the agent's hostPath volumes are outside the baseline level.
  nsm.members.back().value.add("pod-security.kubernetes.io/enforce", str("privileged"));  // labels
  ns.add("metadata", std::move(nsm));
  CONFINE_CHECK(emit("namespace.yaml", {ns}, ""));
  size_t nparts = r.parts.size();
  for (size_t i = 0; i < nparts; ++i) {
    Value data = obj(), binary = obj();
    Value man = manifest_json(r.bundle, i + 1, nparts, ps, r.parts[i]);
    data.add(std::string(kManifestName), str(json::write(man)));
    for (size_t k : r.parts[i])
      for (const auto& [key, bytes] : ps[k].files) {
        if (plain_text(bytes))
          data.add(key, str(bytes));
        else
          binary.add(key, str(base64(bytes)));
      }
    Value cm = obj();
    cm.add("apiVersion", str("v1"));
    cm.add("kind", str("ConfigMap"));
    Value m = meta("confine-bundle-" + std::to_string(i + 1), &o.ns);
    m.members.back().value.add("confine.dev/bundle", str(r.bundle));  // labels
    cm.add("metadata", std::move(m));
    cm.add("data", std::move(data));
    if (!binary.members.empty()) cm.add("binaryData", std::move(binary));
    // The check the split is for: the object as kubectl apply's annotation holds it.
    size_t size = 512;  // apiVersion, kind, metadata
    for (const char* f : {"data", "binaryData"})
      if (const Value* d = cm.find(f))
        for (const auto& mem : d->members) size += go_json_len(mem.key) + go_json_len(mem.value.text) + 2;
    if (size > 256 * 1024)
      return Error(
          "part " + std::to_string(i + 1) + " is " + std::to_string(size) +
          " bytes as JSON, more than kubectl apply's 256 KiB annotation: internal error in the split");
    CONFINE_CHECK(emit("configmap-" + std::to_string(i + 1) + ".yaml", {cm},
                       "# Part " + std::to_string(i + 1) + " of " + std::to_string(nparts) + ": " +
                           std::to_string(size) + " bytes as JSON (kubectl apply's annotation: 256 KiB).\n"));
  }
  CONFINE_CHECK(emit("daemonset.yaml", {daemonset(o, nparts, r.bundle)},
                     "# The node side: `confine k8s agent` on every node (tolerates every taint).\n"));
  Value sa = obj();
  sa.add("apiVersion", str("v1"));
  sa.add("kind", str("ServiceAccount"));
  sa.add("metadata", meta("confine-agent", &o.ns));
  Value role = obj();
  role.add("apiVersion", str("rbac.authorization.k8s.io/v1"));
  role.add("kind", str("ClusterRole"));
  role.add("metadata", meta("confine-agent", nullptr));
  role.add("rules", Value::make_array())
      .push(
          kv({{"apiGroups", strs({""})}, {"resources", strs({"nodes"})}, {"verbs", strs({"get", "patch"})}}));
  Value rb = obj();
  rb.add("apiVersion", str("rbac.authorization.k8s.io/v1"));
  rb.add("kind", str("ClusterRoleBinding"));
  rb.add("metadata", meta("confine-agent", nullptr));
  rb.add("roleRef", kv({{"apiGroup", str("rbac.authorization.k8s.io")},
                        {"kind", str("ClusterRole")},
                        {"name", str("confine-agent")}}));
  rb.add("subjects", Value::make_array())
      .push(kv({{"kind", str("ServiceAccount")}, {"name", str("confine-agent")}, {"namespace", str(o.ns)}}));
  CONFINE_CHECK(emit("rbac.yaml", {sa, role, rb},
                     "# The agent's one API write: the labels of its own node (nodes get/patch; the\n"
                     "# admission policy narrows it to its own node and the confine.dev/ label keys).\n"));
  Value binding = obj();
  binding.add("apiVersion", str("admissionregistration.k8s.io/v1"));
  binding.add("kind", str("ValidatingAdmissionPolicyBinding"));
  binding.add("metadata", meta("confine-agent-own-node-labels", nullptr));
  binding.add("spec", kv({{"policyName", str("confine-agent-own-node-labels")},
                          {"validationActions", strs({"Deny"})}}));
  CONFINE_CHECK(
      emit("admission-policy.yaml", {admission_policy(o), binding},
           "# Kubernetes 1.30+ (admissionregistration.k8s.io/v1): the agent's service account may\n"
           "# change only the node named in its token's node claim, and only confine.dev/ labels.\n"));
  std::vector<Value> rcs;
  for (bool aa : {false, true}) {
    std::string n = "confine-" + r.bundle + (aa ? "-apparmor" : "");
    Value sel = kv({{"confine.dev/bundle-" + r.bundle, str("installed")}});
    if (aa) sel.add("confine.dev/apparmor", str("enforced"));
    Value rc = obj();
    rc.add("apiVersion", str("node.k8s.io/v1"));
    rc.add("kind", str("RuntimeClass"));
    rc.add("metadata", meta(n, nullptr));
    rc.add("handler", str(o.handler));
    rc.add("scheduling", kv({{"nodeSelector", sel}}));
    rcs.push_back(std::move(rc));
    r.runtime_classes.push_back(n);
  }
  CONFINE_CHECK(emit("runtimeclass.yaml", rcs,
                     "# Pods with runtimeClassName " + r.runtime_classes[0] +
                         " land only on nodes whose agent installed every profile of\n# this bundle; " +
                         r.runtime_classes[1] + " also needs AppArmor enforced there.\n"));
  Value kz = obj();
  kz.add("apiVersion", str("kustomize.config.k8s.io/v1beta1"));
  kz.add("kind", str("Kustomization"));
  Value res = Value::make_array();
  for (const auto& f : resources) res.push(str(f));
  kz.add("resources", std::move(res));
  CONFINE_TRY(std::string text, yaml_docs({kz}, head));
  r.files.emplace_back("kustomization.yaml", std::move(text));
  return r;
}

Status write_bundle(const BundleResult& r, const std::string& out) {
  if (mkdir(out.c_str(), 0755) != 0 && errno != EEXIST) return Error::sys("mkdir " + out, errno);
  for (const auto& [f, text] : r.files) CONFINE_CHECK(file::write_file_atomic(out + "/" + f, text));
  // A part an earlier, larger bundle wrote here is no longer listed: remove it when it is ours.
  for (size_t i = r.parts.size() + 1; i <= 1000; ++i) {
    std::string f = out + "/configmap-" + std::to_string(i) + ".yaml";
    auto t = file::read_file(f, 1u << 20);
    if (!t.ok()) break;
    if (t->rfind("# Written by `confine k8s bundle`", 0) == 0 && unlink(f.c_str()) != 0)
      return Error::sys("unlink " + f, errno);
  }
  return ok();
}

}  // namespace confine::k8s
