// `confine k8s scan` and `confine k8s policy` (docs/kubernetes.md "Scanning").
#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/verbs.h"
#include "k8s/policy.h"
#include "k8s/rules.h"
#include "k8s/scan.h"

namespace confine::cli {

namespace {
constexpr int kExitInput = 3;  // an input (manifest, bundle) could not be read or parsed

constexpr OptSpec kScanOpts[] = {
    {"level", 0, true, "LEVEL", "Pod Security Standards level: baseline or restricted (default restricted)"},
    {"k8s-version", 0, true, "V",
     "the Kubernetes version whose policy and fields apply: 1.MINOR or latest (default latest = v1.35)"},
    {"bundle", 0, true, "DIR",
     "check Localhost profiles, added capabilities and writable roots against this bundle "
     "(docs/kubernetes.md)"},
    {"output", 'o', true, "FORMAT", "table (default), json, kubesec, sarif or policyreport"},
    {"exit-code", 0, true, "N",
     "exit status when a finding of severity error exists (default 1; 0 = never fail)"},
    {"help", 'h', false, "", "show this help"},
};

void scan_usage(std::ostream& os) {
  os << "usage: confine k8s scan FILE|DIR|-... [--level baseline|restricted] [--k8s-version V] [--bundle "
        "DIR]\n"
        "                         [-o table|json|kubesec|sarif|policyreport] [--exit-code N]\n\n"
        "Checks Kubernetes manifests: Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob\n"
        "(also ReplicationController, PodTemplate), in Lists, JSON arrays and directories; every container\n"
        "kind (initContainers, containers, ephemeralContainers) with the pod-level securityContext "
        "inherited.\n"
        "  - Pod Security Standards at --level, versioned like Pod Security Admission at --k8s-version;\n"
        "  - confine's checks: fields the version does not have (dropped by the API server), seccomp\n"
        "    annotations the kubelet ignores (1.27+); with --bundle: Localhost seccomp/AppArmor profiles\n"
        "    must be in the bundle with their content hash, no capability beyond the recorded behaviour,\n"
        "    a writable root where the behaviour wrote nothing outside its emptyDirs;\n"
        "  - -o kubesec: kubesec's rule ids, selectors, points and JSON (critical/passed/advise).\n"
        "Every finding names the object, the field path and FILE:LINE:COL. Unknown kinds and CRDs are\n"
        "reported \"skipped: kind not supported\" (a warning), never passed silently.\n"
        "Input: YAML (multi-document; anchors and aliases refused, not expanded; booleans as Kubernetes\n"
        "reads them: `privileged: yes` is true) or JSON (a text starting with { or [), files,\n"
        "directories (*.yaml, *.yml, *.json) or - for stdin.\n\n"
     << format_options(kScanOpts)
     << "\nexamples:\n"
        "  confine k8s scan deploy.yaml\n"
        "  confine k8s scan manifests/ --level baseline --k8s-version 1.29\n"
        "  kubectl kustomize overlay/ | confine k8s scan - -o sarif > scan.sarif\n"
        "  confine k8s scan app.patched.yaml --bundle deploy/ -o json   # deploy/: confine k8s bundle -o\n"
        "  confine k8s scan pod.json -o kubesec\n"
        "  confine k8s scan cluster-dump.json -o policyreport > reports.json\n\n"
        "exit status: 0 no error finding, N (--exit-code, default 1) an error finding, 2 usage error,\n"
        "3 an input or the bundle cannot be read or parsed (the message says FILE:LINE:COL)\n";
}

constexpr OptSpec kPolicyOpts[] = {
    {"emit", 0, true, "KIND", "vap (ValidatingAdmissionPolicy + binding), kyverno or gatekeeper"},
    {"level", 0, true, "LEVEL", "baseline or restricted (default restricted)"},
    {"k8s-version", 0, true, "V", "the policy version (default latest = v1.35)"},
    {"bundle", 0, true, "DIR",
     "also admit Localhost profiles only from this bundle (its profile names and hashes)"},
    {"name", 0, true, "NAME", "name of the emitted objects (default confine-pss-LEVEL)"},
    {"output", 'o', true, "FORMAT", "yaml (default) or json"},
    {"help", 'h', false, "", "show this help"},
};

void policy_usage(std::ostream& os) {
  os << "usage: confine k8s policy --emit vap|kyverno|gatekeeper [--level baseline|restricted] "
        "[--k8s-version V]\n"
        "                           [--bundle DIR] [--name NAME] [-o yaml|json]\n\n"
        "Writes the checks of `confine k8s scan` (Pod Security Standards at --level and --k8s-version, and\n"
        "with --bundle the bundle membership of Localhost profiles) as admission policy, one CEL\n"
        "validation per check id, so admission enforces what scan reports:\n"
        "  vap         a ValidatingAdmissionPolicy + ValidatingAdmissionPolicyBinding (GA in 1.30)\n"
        "  kyverno     a Kyverno ClusterPolicy whose rules use validate.cel with the same expressions\n"
        "  gatekeeper  a Gatekeeper ConstraintTemplate (engine K8sNativeValidation, CEL) + Constraint\n"
        "Matched: pods (and pods/ephemeralcontainers), Deployments, StatefulSets, DaemonSets, ReplicaSets,\n"
        "Jobs, CronJobs, ReplicationControllers, PodTemplates.\n\n"
     << format_options(kPolicyOpts)
     << "\nexamples:\n"
        "  confine k8s policy --emit vap --level restricted > pss-restricted.yaml\n"
        "  confine k8s policy --emit vap --bundle deploy/bundle -o json\n"
        "  confine k8s policy --emit kyverno --level baseline --k8s-version 1.29\n\n"
        "exit status: 0 written, 2 usage error, 3 the bundle cannot be read\n";
}

}  // namespace

int k8s_scan(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kScanOpts, scan_usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (a.positional().empty()) {
    print_error("k8s scan: name at least one FILE, DIR or - (stdin)");
    scan_usage(std::cerr);
    return kExitUsage;
  }
  k8s::scan::Options o;
  if (auto l = a.get("level")) {
    auto r = k8s::rules::parse_level(*l);
    if (!r) {
      print_error(r.error());
      return kExitUsage;
    }
    o.level = *r;
  }
  if (auto v = a.get("k8s-version")) {
    auto r = k8s::rules::parse_version(*v);
    if (!r) {
      print_error(r.error());
      return kExitUsage;
    }
    o.version = *r;
  }
  std::string fmt = a.get("output").value_or("table");
  if (fmt != "table" && fmt != "json" && fmt != "kubesec" && fmt != "sarif" && fmt != "policyreport") {
    print_error("k8s scan: -o " + fmt + ": expected table, json, kubesec, sarif or policyreport");
    return kExitUsage;
  }
  int exit_code = 1;
  if (auto e = a.get("exit-code")) {
    char* end = nullptr;
    long v = std::strtol(e->c_str(), &end, 10);
    if (e->empty() || *end || v < 0 || v > 255) {
      print_error("k8s scan: --exit-code must be 0..255");
      return kExitUsage;
    }
    exit_code = static_cast<int>(v);
  }
  std::optional<k8s::rules::Bundle> bundle;
  if (auto b = a.get("bundle")) {
    auto r = k8s::rules::load_bundle(*b);
    if (!r) {
      print_error(r.error());
      return kExitInput;
    }
    bundle = std::move(*r);
    o.bundle = &*bundle;
  }
  std::vector<k8s::scan::Document> docs;
  for (const auto& p : a.positional()) {
    auto r = k8s::scan::load_manifests(p);
    if (!r) {
      print_error(r.error());
      return kExitInput;
    }
    for (auto& d : *r) docs.push_back(std::move(d));
  }
  auto objs = k8s::scan::objects(docs);
  auto rs = k8s::scan::run(objs, o);
  std::string out = fmt == "table"     ? k8s::scan::format_table(rs, o)
                    : fmt == "json"    ? k8s::scan::format_json(rs, o)
                    : fmt == "kubesec" ? k8s::scan::format_kubesec(rs)
                    : fmt == "sarif"   ? k8s::scan::format_sarif(rs, o)
                                       : k8s::scan::format_policyreport(rs, o);
  if (auto s = file::write_output("-", out); !s.ok()) {
    print_error(s.error());
    return kExitInput;
  }
  int rc = k8s::scan::has_errors(rs) ? exit_code : kExitOk;
  // The process ends after this: the documents and results are not freed value by value (a tenth of
  // the CPU of a large scan); they stay reachable from here until exit (no leak for LeakSanitizer).
  struct Kept {
    std::vector<k8s::scan::Document> docs;
    std::vector<k8s::scan::ObjectResult> rs;
  };
  static Kept* kept = nullptr;
  kept = new Kept{std::move(docs), std::move(rs)};
  (void)kept;
  return rc;
}

int k8s_policy(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kPolicyOpts, policy_usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (!a.positional().empty() || !a.has("emit")) {
    print_error("k8s policy: --emit vap|kyverno|gatekeeper is required (and no positional arguments)");
    policy_usage(std::cerr);
    return kExitUsage;
  }
  k8s::policy::Options o;
  std::string emit = *a.get("emit");
  if (emit == "vap")
    o.emit = k8s::policy::Emit::Vap;
  else if (emit == "kyverno")
    o.emit = k8s::policy::Emit::Kyverno;
  else if (emit == "gatekeeper")
    o.emit = k8s::policy::Emit::Gatekeeper;
  else {
    print_error("k8s policy: --emit " + emit + ": expected vap, kyverno or gatekeeper");
    return kExitUsage;
  }
  if (auto l = a.get("level")) {
    auto r = k8s::rules::parse_level(*l);
    if (!r) {
      print_error(r.error());
      return kExitUsage;
    }
    o.level = *r;
  }
  if (auto v = a.get("k8s-version")) {
    auto r = k8s::rules::parse_version(*v);
    if (!r) {
      print_error(r.error());
      return kExitUsage;
    }
    o.version = *r;
  }
  std::string fmt = a.get("output").value_or("yaml");
  if (fmt != "yaml" && fmt != "json") {
    print_error("k8s policy: -o " + fmt + ": expected yaml or json");
    return kExitUsage;
  }
  o.name = a.get("name").value_or("confine-pss-" + std::string(k8s::rules::level_name(o.level)));
  std::optional<k8s::rules::Bundle> bundle;
  if (auto b = a.get("bundle")) {
    auto r = k8s::rules::load_bundle(*b);
    if (!r) {
      print_error(r.error());
      return kExitInput;
    }
    bundle = std::move(*r);
    o.bundle = &*bundle;
  }
  auto objs = k8s::policy::emit(o);
  std::string out = fmt == "json" ? k8s::policy::to_json(objs) : k8s::policy::to_yaml(objs);
  if (auto s = file::write_output("-", out); !s.ok()) {
    print_error(s.error());
    return kExitInput;
  }
  return kExitOk;
}

}  // namespace confine::cli
