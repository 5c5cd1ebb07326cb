#include "k8s/naming.h"

#include <sys/stat.h>

#include "core/file.h"
#include "k8s/writer.h"

namespace confine::k8s {

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
