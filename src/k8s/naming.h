// A recorded profile directory (`confine record -o DIR`: seccomp.json, apparmor.profile,
// behavior.json) as it goes into a bundle: the files' bundle form and the content address
// NAME-H (docs/kubernetes.md "Bundle format"). `confine k8s patch` references exactly the
// names `confine k8s bundle` writes because both call bundle_profile().
#pragma once

#include <optional>
#include <string>

#include "core/error.h"

namespace confine::k8s {

struct BundledProfile {
  std::string name, mode, hash;
  std::string seccomp;                  // NAME-H.json: OCI LinuxSeccomp form
  std::optional<std::string> apparmor;  // NAME-H.apparmor: defines exactly confine-NAME-H
  std::optional<std::string> behavior;  // NAME-H.behavior.json
  std::string id() const { return name + "-" + hash; }
  // What a pod's seccompProfile.localhostProfile names (relative to <kubelet-root>/seccomp).
  std::string localhost_seccomp() const { return "confine/" + id() + ".json"; }
  std::string apparmor_profile() const { return "confine-" + id(); }
};

// Reads DIR/seccomp.json (required), DIR/apparmor.profile and DIR/behavior.json (optional) and
// prepares them exactly as `confine k8s bundle` does (writer.h prepare_profile: OCI form,
// renamed AppArmor profile, complain mode), so H is the bundle's.
Result<BundledProfile> bundle_profile(const std::string& dir, const std::string& name,
                                      const std::string& mode = "enforce");

}  // namespace confine::k8s
