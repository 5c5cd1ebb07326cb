#include "k8s/naming.h"

#include <sys/stat.h>

#include "core/file.h"
#include "json/json.h"
#include "k8s/bundle.h"
#include "k8s/writer.h"

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
  // Exactly what `confine k8s bundle` writes (writer.h prepare_profile: the OCI conversion,
  // the AppArmor renaming with its attachment dropped, complain mode), so a patched manifest
  // names the file the agent installs.
  CONFINE_TRY(std::string seccomp, file::read_file(dir + "/seccomp.json"));
  std::optional<std::string> aa, beh;
  struct stat st {};
  if (::stat((dir + "/apparmor.profile").c_str(), &st) == 0) {
    CONFINE_TRY(std::string t, file::read_file(dir + "/apparmor.profile"));
    aa = std::move(t);
  }
  if (::stat((dir + "/behavior.json").c_str(), &st) == 0) {
    CONFINE_TRY(std::string t, file::read_file(dir + "/behavior.json"));
    beh = std::move(t);
  }
  CONFINE_TRY(PreparedProfile pp,
              prepare_profile(name, mode, seccomp, aa ? &*aa : nullptr, beh ? &*beh : nullptr, dir));
  BundledProfile p;
  p.name = name;
  p.mode = mode;
  p.hash = pp.entry.hash;
  for (auto& [key, bytes] : pp.files) {
    if (key == p.id() + ".json")
      p.seccomp = bytes;
    else if (key == p.id() + ".apparmor")
      p.apparmor = bytes;
    else if (key == p.id() + ".behavior.json")
      p.behavior = bytes;
  }
  if (p.seccomp.empty()) return Error(dir + ": the bundle writer gave no seccomp file for " + p.id());
  return p;
}

}  // namespace confine::k8s
