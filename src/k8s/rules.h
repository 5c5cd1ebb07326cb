// The rule engine of `confine k8s scan` and `confine k8s policy` (docs/kubernetes.md "Scanning").
//
// A workload (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob) is reduced to its
// pod spec and pod metadata (with their field paths); every container kind (initContainers,
// containers, ephemeralContainers) is visited. Three rule sets run over it:
//   - Pod Security Standards, baseline and restricted, versioned like Pod Security Admission
//     (k8s.io/pod-security-admission/policy/check_*.go): a check's behaviour is the one of the
//     newest version <= --k8s-version;
//   - kubesec's rule table (ids, selectors, points, kinds: controlplaneio/kubesec
//     pkg/ruler/ruleset.go at a59caad3f523eee9137af89b59978ecda80c0f66) with its scoring;
//   - confine's own: fields and annotations per Kubernetes version, and with a bundle
//     (docs/kubernetes.md "Bundle format"): Localhost profiles in the bundle with their content
//     hash, capabilities beyond the recorded behaviour, a writable root the behaviour never needed.
// Every finding names the object, the field path and the file:line:col of the value.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "behavior/behavior.h"
#include "core/error.h"
#include "json/json.h"

namespace confine::k8s::rules {

// Kubernetes minor version (major is always 1). kLatestMinor: the newest policy version known.
inline constexpr unsigned kLatestMinor = 35;
struct Version {
  unsigned minor = kLatestMinor;
  std::string str() const { return "v1." + std::to_string(minor); }
};
// "1.30", "v1.30", "latest". Versions newer than kLatestMinor evaluate as kLatestMinor (like PSA).
Result<Version> parse_version(std::string_view s);

enum class Level { Baseline, Restricted };
std::string_view level_name(Level l);
Result<Level> parse_level(std::string_view s);

enum class Severity { Error, Warning, Note };
std::string_view severity_name(Severity s);

struct Finding {
  std::string rule;  // "privileged", "kubesec/CapSysAdmin", "confine/seccompProfileInBundle", ...
  std::string set;   // "pss-baseline", "pss-restricted", "confine", "scan"
  Severity severity = Severity::Error;
  std::string path;     // field path inside the object, e.g. spec.template.spec.containers[1].securityContext
  SourcePos pos;        // of the value at `path` (or of the object when the field is absent)
  std::string message;  // what is wrong and what is allowed
};

struct Container {
  const json::Value* v = nullptr;
  std::string path;  // e.g. spec.template.spec.initContainers[0]
  std::string list;  // "initContainers" | "containers" | "ephemeralContainers"
  std::string name;
};

// One object of the input.
struct Workload {
  const json::Value* obj = nullptr;
  std::string kind, api_version, name, ns;
  SourcePos pos;
  bool supported = false;             // a workload kind with a pod template (or a Pod)
  std::string spec_path, meta_path;   // "spec.template.spec", "spec.template.metadata"
  const json::Value* spec = nullptr;  // the pod spec (null when absent)
  const json::Value* meta = nullptr;  // the pod's metadata (null when absent)
  std::vector<Container> containers;  // init, regular, ephemeral (PSA's visiting order)
  std::string id() const;             // "Deployment/web.default" (kubesec's object name)
};

// Builds the model of one object (never fails: a malformed object gives findings when checked).
Workload model(const json::Value& obj);

// ---- Pod Security Standards -------------------------------------------------------------------

struct PssCheck {
  std::string_view id;  // PSA's check id
  Level level;
  unsigned since_minor;            // the check exists from 1.<since_minor>
  std::vector<unsigned> versions;  // minors where its behaviour changed (first = since)
  std::string_view summary;
};
const std::vector<PssCheck>& pss_checks();
// The checks of a level at a version (restricted includes baseline, minus the ones a restricted
// check overrides: restrictedVolumes overrides hostPathVolumes, procMount_restricted (1.35) procMount,
// as in PSA).
std::vector<const PssCheck*> pss_checks_for(Level level, Version v);
// Runs the PSS checks of `level` at `v` over a supported workload.
void check_pss(const Workload& w, Level level, Version v, std::vector<Finding>& out);

// ---- confine's version checks -----------------------------------------------------------------
// Fields that do not exist yet at `v` (the API server drops them: the workload would run without
// the profile) and annotations the kubelet no longer reads.
void check_versions(const Workload& w, Version v, std::vector<Finding>& out);

// ---- bundle checks ----------------------------------------------------------------------------
struct BundleProfile {
  std::string id;                // NAME-H
  std::string seccomp_file;      // NAME-H.json ("" if the entry has none)
  std::string apparmor_profile;  // confine-NAME-H ("" if none)
  bool content_ok = false;       // every file present with the manifest's sha256 and H
  std::string problem;           // why not content_ok
  std::optional<behavior::Behavior> behavior;
  std::set<std::string> used_caps;  // from the behaviour (generate::inferred_caps), "NET_ADMIN"
};
struct Bundle {
  std::string dir, hash;
  std::map<std::string, BundleProfile> by_seccomp;   // "confine/NAME-H.json" -> profile
  std::map<std::string, BundleProfile> by_apparmor;  // "confine-NAME-H" -> profile
};
// Reads a bundle directory: bundle.json and the files it lists (a ConfigMap's data as files, a
// ConfigMap volume with ..data, or a directory of such parts).
Result<Bundle> load_bundle(const std::string& dir);
void check_bundle(const Workload& w, const Bundle& b, Version v, std::vector<Finding>& out);

// ---- kubesec ----------------------------------------------------------------------------------
struct KubesecRule {
  std::string_view id, selector, reason;
  std::vector<std::string_view> kinds;
  int points;
};
const std::vector<KubesecRule>& kubesec_rules();
struct KubesecResult {
  const KubesecRule* rule;
  int containers;  // kubesec's count: > 0 = the selector matched
};
// Empty when no rule applies to the kind ("This resource kind is not supported by kubesec").
std::vector<KubesecResult> kubesec_eval(const json::Value& obj);
// The JSON object kubesec writes for one document (object, valid, fileName, message, score,
// scoring: critical/passed/advise, sorted like kubesec).
json::Value kubesec_report(const json::Value& obj, const std::string& file);

}  // namespace confine::k8s::rules
