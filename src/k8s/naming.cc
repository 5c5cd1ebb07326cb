#include "k8s/naming.h"

#include <sys/stat.h>

#include "core/file.h"
#include "json/json.h"
#include "k8s/bundle.h"

namespace confine::k8s {

std::string oci_seccomp_problem(const std::string& text) {
  auto doc = json::parse(text, "", {});
  if (!doc.ok()) return doc.error().message();
  if (!doc->is(json::Type::Object)) return "not a JSON object";
  for (const auto& m : doc->members)
    if (m.key == "archMap" || m.key == "linux" || m.key == "ociVersion")
      return "key " + json::quote(m.key) + " is not part of the OCI LinuxSeccomp form";
  if (const json::Value* s = doc->find("syscalls"); s && s->is(json::Type::Array))
    for (const auto& r : s->items)
      for (const auto& m : r.members)
        if (m.key == "includes" || m.key == "excludes" || m.key == "name")
          return m.key_pos.str() + ": key " + json::quote(m.key) + " is Docker-only (not OCI LinuxSeccomp)";
  return "";
}

Result<std::string> rename_apparmor_profile(const std::string& text, const std::string& name) {
  // The first line (after blank space) of the form `profile X ...`: X becomes `name`.
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  for (size_t ls = 0; ls < text.size();) {
    size_t p = ls;
    while (p < text.size() && ws(text[p])) ++p;
    if (text.compare(p, 7, "profile") == 0 && p + 7 < text.size() && ws(text[p + 7])) {
      size_t b = p + 7;
      while (b < text.size() && ws(text[b])) ++b;
      size_t e = b;
      while (e < text.size() && !ws(text[e])) ++e;
      if (e > b) return text.substr(0, b) + name + text.substr(e);
    }
    size_t nl = text.find('\n', ls);
    if (nl == std::string::npos) break;
    ls = nl + 1;
  }
  return Error("no `profile NAME` line in the AppArmor text");
}

Result<BundledProfile> bundle_profile(const std::string& dir, const std::string& name,
                                      const std::string& mode) {
  if (!valid_profile_name(name))
    return Error(
        "profile name \"" + name + "\" (from " + dir +
        ") is not a profile name: [a-z0-9-], at most 50, starting and ending with a letter or digit");
  if (mode != "enforce")
    return Error("profile " + name + ": mode " + mode + " is not supported here yet (only enforce)");
  BundledProfile p;
  p.name = name;
  p.mode = mode;
  CONFINE_TRY(p.seccomp, file::read_file(dir + "/seccomp.json"));
  if (std::string why = oci_seccomp_problem(p.seccomp); !why.empty())
    return Error(dir + "/seccomp.json: " + why + " (a bundle holds the OCI form: record with --target oci)");
  struct stat st {};
  if (::stat((dir + "/apparmor.profile").c_str(), &st) == 0) {
    CONFINE_TRY(std::string aa, file::read_file(dir + "/apparmor.profile"));
    auto r = rename_apparmor_profile(aa, "confine-" + name + "-000000000000");
    if (!r.ok()) return std::move(r).error().context(dir + "/apparmor.profile");
    p.apparmor = *r;
  }
  if (::stat((dir + "/behavior.json").c_str(), &st) == 0) {
    CONFINE_TRY(std::string b, file::read_file(dir + "/behavior.json"));
    p.behavior = std::move(b);
  }
  p.hash =
      profile_hash(mode, p.seccomp, p.apparmor ? &*p.apparmor : nullptr, p.behavior ? &*p.behavior : nullptr);
  if (p.apparmor) {
    std::string& t = *p.apparmor;
    for (size_t i = t.find("000000000000"); i != std::string::npos; i = t.find("000000000000", i + 12))
      t.replace(i, 12, p.hash);
  }
  return p;
}

}  // namespace confine::k8s
