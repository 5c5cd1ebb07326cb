// `confine k8s patch`: recorded profiles applied to workload manifests as textual edits at
// the positions the YAML layer (k8s/yaml.h) reports, so everything not patched is kept byte
// for byte (docs/kubernetes.md "Patching manifests").
#pragma once

#include <string>
#include <vector>

#include "behavior/behavior.h"
#include "core/error.h"
#include "k8s/naming.h"

namespace confine::k8s {

struct PatchProfile {
  std::string container;  // the container it applies to (every workload's container of that name)
  std::string dir;        // where it was read from (for messages)
  BundledProfile files;
  std::optional<behavior::Behavior> behavior;  // parsed behavior.json, when there is one
  bool used = false;
};

struct PatchOptions {
  std::vector<PatchProfile> profiles;
  unsigned k8s_minor = 30;    // Kubernetes 1.<minor>: appArmorProfile field from 1.30, annotation before
  std::string runtime_class;  // spec.runtimeClassName when not empty
};

struct PatchResult {
  std::string text;                 // the patched manifest
  std::vector<std::string> report;  // one line per object/container: what was done or left alone
  size_t patched_containers = 0;
};

// Errors: invalid YAML (file:line:col), a container that has a profile but cannot be patched
// (flow style, anchors/aliases, ...: file:line:col and why). Unknown kinds and containers
// without a profile are not errors: they are left unchanged and reported.
Result<PatchResult> patch_manifest(std::string_view text, std::string_view file, PatchOptions& o);

// "1.29", "v1.30.2" -> 29, 30; error otherwise (only 1.x).
Result<unsigned> parse_k8s_minor(std::string_view v);

// YAML double-quoted scalar for any string (control characters escaped).
std::string yaml_quote(std::string_view s);

// Directories the behavior wrote to that can be emptyDirs (it used nothing there that it did not
// create: no file it read, ran, wrote without creating or removed), and those that cannot (with
// such a path).
struct WritableDirs {
  std::vector<std::string> empty_dirs;
  std::vector<std::pair<std::string, std::string>> blocked;  // dir, a file it read under it
};
WritableDirs emptydir_candidates(const behavior::Behavior& b);

}  // namespace confine::k8s
