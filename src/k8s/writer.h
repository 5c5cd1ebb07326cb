// `confine k8s bundle`: the writer side of the bundle format (bundle.h, docs/kubernetes.md
// "Bundle format") and the Kubernetes objects that deploy it: ConfigMaps (parts sized for
// `kubectl apply`), the agent's DaemonSet, ServiceAccount + RBAC, a ValidatingAdmissionPolicy
// limiting the agent to its own node's confine labels, RuntimeClasses that schedule onto nodes
// labelled with the bundle's hash, and a kustomization.yaml.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "json/json.h"
#include "k8s/bundle.h"

namespace confine::k8s {

// One profile as prepared for a bundle: its manifest entry and its files (key -> bytes).
struct PreparedProfile {
  ProfileEntry entry;
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<std::string> notes;  // conversions made (printed by the CLI)
  size_t cost = 0;                 // bytes it adds to a part's last-applied annotation
};

// The seccomp profile as a container runtime reads it for a Localhost profile (OCI LinuxSeccomp,
// the runtime's own post-filter syscalls allowed: generate::runtime_post_filter_syscalls(), each
// addition a note), with defaultAction SCMP_ACT_LOG in complain mode. The input bytes are kept
// when nothing needs to change. Fails on what cannot convert (archMap, includes/excludes, a
// listener, flags other than SECCOMP_FILTER_FLAG_LOG).
Result<std::string> oci_seccomp(const std::string& text, const std::string& file, const std::string& mode,
                                std::vector<std::string>* notes);
// The AppArmor text renamed: exactly one top-level profile, named confine-NAME-000000000000
// (the hash slot), its attachment dropped, flags=(complain) exactly in complain mode.
Result<std::string> bundle_apparmor(const std::string& text, const std::string& file, const std::string& name,
                                    const std::string& mode, std::vector<std::string>* notes);

// NAME, mode and the contents of a `confine record -o DIR` output (apparmor/behavior optional).
Result<PreparedProfile> prepare_profile(const std::string& name, const std::string& mode,
                                        const std::string& seccomp, const std::string* apparmor,
                                        const std::string* behavior, const std::string& dir);

// The CLI's PROFILE_DIR argument: [NAME=]DIR[:enforce|:complain].
struct ProfileArg {
  std::string name, dir, mode;
};
Result<ProfileArg> parse_profile_arg(const std::string& arg, const std::string& default_mode);

// Splits profiles (their `cost`, in order) into parts of at most `budget` bytes each (first fit
// in order). A profile larger than the budget on its own is an error.
Result<std::vector<std::vector<size_t>>> split_parts(const std::vector<size_t>& costs, size_t budget);
// Default part budget: the JSON-escaped data of one ConfigMap, well under the 256 KiB
// (262144 bytes) of kubectl apply's last-applied-configuration annotation (the object's
// metadata and the JSON around the data take the rest), and far under the 1 MiB object limit.
inline constexpr size_t kDefaultPartBudget = 200 * 1024;
inline constexpr size_t kPartOverhead = 2048;  // the manifest's head and the object's metadata

struct BundleOptions {
  std::string ns = "confine-system";
  std::string image = "confine-agent:0.1.0";
  std::string kubelet_root = "/var/lib/kubelet";
  std::string handler = "runc";        // RuntimeClass handler (the CRI runtime handler name)
  std::string runtime = "containerd";  // containerd | cri-o: which runtime state the agent reads
  size_t budget = kDefaultPartBudget;
};

struct BundleResult {
  std::string bundle;  // 12 hex
  std::vector<std::vector<size_t>> parts;
  std::vector<std::pair<std::string, std::string>> files;  // name in OUT_DIR -> content
  std::vector<std::string> runtime_classes;
};

// The whole kustomize directory, in memory (no I/O): fails on duplicate names, a profile too
// large for a part, text a ConfigMap cannot hold.
Result<BundleResult> plan_bundle(const std::vector<PreparedProfile>& profiles, const BundleOptions& o);
// Writes it into `out` (created if missing) through the safe writer.
Status write_bundle(const BundleResult& r, const std::string& out);

// A small YAML emitter for JSON-shaped values (block style, every string scalar double-quoted
// or, for multi-line printable text, a literal block); fails on text that is not UTF-8.
Result<std::string> to_yaml(const json::Value& v);

}  // namespace confine::k8s
