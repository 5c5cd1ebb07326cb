#include "k8s/bundle.h"

#include <algorithm>
#include <set>

#include "json/json.h"
#include "k8s/sha256.h"

namespace confine::k8s {

namespace {
using json::Type;
using json::Value;

std::string q(std::string_view s) { return json::quote(s); }

// Fields of an object, refusing unknown and duplicate keys.
Status check_keys(const Value& v, std::initializer_list<std::string_view> allowed, const std::string& what) {
  std::set<std::string> seen;
  for (const auto& m : v.members) {
    if (std::find(allowed.begin(), allowed.end(), m.key) == allowed.end())
      return Error::at(m.key_pos, what + ": unknown key " + q(m.key));
    if (!seen.insert(m.key).second) return Error::at(m.key_pos, what + ": duplicate key " + q(m.key));
  }
  return ok();
}

Result<std::string> get_string(const Value& obj, std::string_view key, const std::string& what) {
  const Value* v = obj.find(key);
  if (!v) return Error::at(obj.pos, what + ": missing " + q(key));
  if (!v->is(Type::String)) return Error::at(v->pos, what + ": " + q(key) + " must be a string");
  return v->text;
}

Result<BundleFile> get_file(const Value& v, const std::string& what, const std::string& expected,
                            bool apparmor, std::string* aa_profile) {
  if (!v.is(Type::Object)) return Error::at(v.pos, what + " must be an object");
  if (apparmor) {
    CONFINE_CHECK(check_keys(v, {"file", "sha256", "profile"}, what));
  } else {
    CONFINE_CHECK(check_keys(v, {"file", "sha256"}, what));
  }
  BundleFile f;
  CONFINE_TRY(f.file, get_string(v, "file", what));
  CONFINE_TRY(f.sha256, get_string(v, "sha256", what));
  if (f.file != expected) return Error::at(v.pos, what + ": file " + q(f.file) + " is not " + q(expected));
  if (!is_hex(f.sha256, 64)) return Error::at(v.pos, what + ": sha256 must be 64 lower-case hex digits");
  if (apparmor) {
    CONFINE_TRY(*aa_profile, get_string(v, "profile", what));
  }
  return f;
}

void parse_entry(const Value& v, ProfileEntry& e) {
  auto fail = [&](const Error& err) { e.error = err.message(); };
  std::string what = "profiles[" + std::to_string(e.index) + "]";
  if (!v.is(Type::Object)) return fail(Error::at(v.pos, what + " must be an object"));
  if (const Value* n = v.find("name"); n && n->is(Type::String)) e.name = n->text;
  if (const Value* h = v.find("hash"); h && h->is(Type::String)) e.hash = h->text;
  if (const Value* m = v.find("mode"); m && m->is(Type::String)) e.mode = m->text;
  if (auto s = check_keys(v, {"name", "hash", "mode", "seccomp", "apparmor", "behavior"}, what); !s.ok())
    return fail(s.error());
  for (const char* k : {"name", "hash", "mode"})
    if (auto s = get_string(v, k, what); !s.ok()) return fail(s.error());
  if (!valid_profile_name(e.name))
    return fail(Error::at(v.find("name")->pos, what + ": name " + q(e.name) +
                                                   " is not a profile name ([a-z0-9-], at most 50, "
                                                   "no '/' or '..')"));
  if (!is_hex(e.hash, 12))
    return fail(Error::at(v.find("hash")->pos, what + ": hash must be 12 lower-case hex"));
  if (e.mode != "enforce" && e.mode != "complain")
    return fail(Error::at(v.find("mode")->pos, what + ": mode must be \"enforce\" or \"complain\""));
  const Value* sc = v.find("seccomp");
  if (!sc) return fail(Error::at(v.pos, what + ": missing \"seccomp\""));
  std::string base = e.name + "-" + e.hash;
  auto s = get_file(*sc, what + ".seccomp", base + ".json", false, nullptr);
  if (!s.ok()) return fail(s.error());
  e.seccomp = *s;
  if (const Value* a = v.find("apparmor")) {
    auto r = get_file(*a, what + ".apparmor", base + ".apparmor", true, &e.apparmor_profile);
    if (!r.ok()) return fail(r.error());
    if (e.apparmor_profile != "confine-" + base)
      return fail(Error::at(
          a->pos, what + ".apparmor: profile " + q(e.apparmor_profile) + " is not " + q("confine-" + base)));
    e.apparmor = *r;
  }
  if (const Value* b = v.find("behavior")) {
    auto r = get_file(*b, what + ".behavior", base + ".behavior.json", false, nullptr);
    if (!r.ok()) return fail(r.error());
    e.behavior = *r;
  }
}
}  // namespace

bool is_hex(std::string_view s, size_t len) {
  if (s.size() != len) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool valid_profile_name(std::string_view n) {
  if (n.empty() || n.size() > 50) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return n.front() != '-' && n.back() != '-';
}

Result<Manifest> parse_manifest(std::string_view text, std::string_view file) {
  json::ParseLimits lim;
  lim.max_bytes = 1u << 20;
  lim.max_depth = 16;
  CONFINE_TRY(Value doc, json::parse(text, file, lim));
  if (!doc.is(Type::Object)) return Error::at(doc.pos, "a bundle manifest is a JSON object");
  CONFINE_CHECK(check_keys(doc, {"format", "bundle", "part", "parts", "profiles"}, "bundle manifest"));
  CONFINE_TRY(std::string fmt, get_string(doc, "format", "bundle manifest"));
  if (fmt != kBundleFormat)
    return Error::at(doc.find("format")->pos, "format " + q(fmt) + " is not " + q(kBundleFormat));
  Manifest m;
  CONFINE_TRY(m.bundle, get_string(doc, "bundle", "bundle manifest"));
  if (!is_hex(m.bundle, 12)) return Error::at(doc.find("bundle")->pos, "bundle must be 12 lower-case hex");
  for (const char* k : {"part", "parts"}) {
    const Value* v = doc.find(k);
    auto n = v ? v->as_u64() : std::nullopt;
    if (!n || *n < 1 || *n > 1000)
      return Error::at(v ? v->pos : doc.pos, std::string("\"") + k + "\" must be an integer 1..1000");
    (std::string_view(k) == "part" ? m.part : m.parts) = static_cast<unsigned>(*n);
  }
  if (m.part > m.parts) return Error::at(doc.find("part")->pos, "part is larger than parts");
  const Value* ps = doc.find("profiles");
  if (!ps || !ps->is(Type::Array)) return Error::at(doc.pos, "\"profiles\" must be an array");
  std::set<std::string> names;
  for (size_t i = 0; i < ps->items.size(); ++i) {
    ProfileEntry e;
    e.index = i;
    parse_entry(ps->items[i], e);
    if (e.error.empty() && !names.insert(e.name).second)
      e.error = "profiles[" + std::to_string(i) + "]: profile " + q(e.name) + " is listed twice";
    m.profiles.push_back(std::move(e));
  }
  return m;
}

// The OCI LinuxSeccomp form: what containerd and CRI-O read for a Localhost profile.
std::string oci_form_problem(const std::string& text) {
  auto doc = json::parse(text, "", {});
  if (!doc.ok() || !doc->is(json::Type::Object)) return "not a JSON object";
  for (const auto& m : doc->members)
    if (m.key == "archMap" || m.key == "linux" || m.key == "ociVersion")
      return "key " + q(m.key) + " is not part of the OCI LinuxSeccomp form";
  if (const json::Value* s = doc->find("syscalls"); s && s->is(json::Type::Array))
    for (const auto& r : s->items)
      for (const auto& m : r.members)
        if (m.key == "includes" || m.key == "excludes" || m.key == "name")
          return m.key_pos.str() + ": key " + q(m.key) + " is Docker-only (not OCI LinuxSeccomp)";
  return "";
}

std::string normalise_apparmor(std::string text, const std::string& hash) {
  if (hash.empty()) return text;
  for (size_t p = text.find(hash); p != std::string::npos; p = text.find(hash, p + hash.size()))
    text.replace(p, hash.size(), std::string(hash.size(), '0'));
  return text;
}

std::string profile_hash(const std::string& mode, const std::string& seccomp, const std::string* apparmor,
                         const std::string* behavior) {
  std::string d = "confine-k8s-profile/1\nmode " + mode + "\nseccomp " + sha256_hex(seccomp) + "\n";
  if (apparmor) d += "apparmor " + sha256_hex(*apparmor) + "\n";
  if (behavior) d += "behavior " + sha256_hex(*behavior) + "\n";
  return sha256_hex(d).substr(0, 12);
}

std::string bundle_hash(const std::vector<const ProfileEntry*>& all) {
  std::vector<std::string> lines;
  for (const auto* e : all) lines.push_back(q(e->name) + " " + q(e->hash) + " " + q(e->mode) + "\n");
  std::sort(lines.begin(), lines.end());
  std::string d;
  for (const auto& l : lines) d += l;
  return sha256_hex(d).substr(0, 12);
}

}  // namespace confine::k8s
