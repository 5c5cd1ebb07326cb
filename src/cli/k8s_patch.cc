// `confine k8s patch`: recorded profiles applied to workload manifests (docs/kubernetes.md
// "Patching manifests"). Logic in src/k8s/patch.cc; this file wires arguments and output.
#include <iostream>
#include <set>

#include "cli/args.h"
#include "k8s/naming.h"
#include "k8s/patch.h"

namespace confine::cli {

namespace {
constexpr OptSpec kPatchOpts[] = {
    {"profile", 0, true, "[CONTAINER=[NAME=]]DIR",
     "a `confine record --target oci -o DIR` directory for the container CONTAINER (default: --container, "
     "else the container named like the profile); NAME: the profile's name in the bundle (default: DIR's "
     "last component, as `confine k8s bundle DIR` names it); repeatable"},
    {"container", 0, true, "NAME", "the container a --profile without CONTAINER= applies to"},
    {"k8s-version", 0, true, "V",
     "the cluster's Kubernetes version (default 1.30): appArmorProfile field from 1.30, the annotation "
     "before"},
    {"runtime-class", 0, true, "NAME",
     "set spec.runtimeClassName (the bundle's RuntimeClass, which schedules only on nodes holding it)"},
    {"output", 'o', true, "FILE", "write the patched manifest to FILE (default: standard output)"},
    {"help", 'h', false, "", "show this help"},
};

void patch_usage(std::ostream& os) {
  os << "usage: confine k8s patch MANIFEST|- [--profile [CONTAINER=[NAME=]]DIR]... [--container NAME]\n"
        "                         [--k8s-version V] [--runtime-class NAME] [-o FILE]\n\n"
        "Applies recorded profiles to Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob\n"
        "manifests (multi-document files and Lists too), per container including init and ephemeral\n"
        "containers: seccompProfile Localhost confine/NAME-H.json (the content-addressed name `confine k8s\n"
        "bundle` gives the same directory), appArmorProfile confine-NAME-H (the annotation before 1.30),\n"
        "capabilities drop ALL + add what the recording used, allowPrivilegeEscalation false, and\n"
        "readOnlyRootFilesystem with an emptyDir for each directory it wrote that holds nothing it used\n"
        "without creating it (else the root file system stays writable, reported). runAsNonRoot is not\n"
        "set (a recording does not say which user it ran as). The edits are textual: everything else stays\n"
        "as written, comments included; an existing securityContext key that is set is rewritten (its\n"
        "comments go). Containers without a profile and unknown kinds are left unchanged and reported on\n"
        "standard error (docs/kubernetes.md \"Patching manifests\").\n\n"
     << format_options(kPatchOpts)
     << "\nexamples:\n"
        "  confine record -o web --target oci -- ./server       # then: confine k8s bundle web -o bundle\n"
        "  confine k8s patch deploy.yaml --profile web -o deploy.patched.yaml\n"
        "  confine k8s patch app.yaml --profile server=prof/web --profile migrate=prof/migrate \\\n"
        "      --runtime-class confine-9f86d081884c --k8s-version 1.29\n"
        "  kubectl get deploy web -o yaml | confine k8s patch - --container web --profile prof/web\n"
        "  confine k8s patch app.yaml --profile server=api=prof/web   # bundled as `confine k8s bundle "
        "api=prof/web`\n\n"
        "exit status: 0 patched, 1 invalid manifest or profile, or a profile that matched no container\n"
        "(nothing is written then), 2 usage error\n";
}

std::string last_component(std::string d) {
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  size_t s = d.rfind('/');
  return s == std::string::npos ? d : d.substr(s + 1);
}
}  // namespace

int k8s_patch(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kPatchOpts, patch_usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (a.positional().size() != 1) {
    print_error("k8s patch: one MANIFEST (or - for standard input) is required");
    return kExitUsage;
  }
  if (a.all("profile").empty()) {
    print_error("k8s patch: at least one --profile DIR is required");
    return kExitUsage;
  }
  k8s::PatchOptions o;
  if (auto v = a.get("k8s-version")) {
    auto m = k8s::parse_k8s_minor(*v);
    if (!m.ok()) {
      print_error("k8s patch: " + m.error().message());
      return kExitUsage;
    }
    o.k8s_minor = *m;
  }
  o.runtime_class = a.get("runtime-class").value_or("");
  auto dns = [](const std::string& n) {
    return !n.empty() && n.size() <= 253 &&
           n.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") == std::string::npos &&
           std::isalnum(static_cast<unsigned char>(n.front())) &&
           std::isalnum(static_cast<unsigned char>(n.back()));
  };
  if (!o.runtime_class.empty() && !dns(o.runtime_class)) {
    print_error("k8s patch: --runtime-class must be a DNS name");
    return kExitUsage;
  }
  std::set<std::string> containers;
  for (const auto& spec : a.all("profile")) {
    k8s::PatchProfile p;
    size_t eq = spec.find('=');
    p.dir = eq == std::string::npos ? spec : spec.substr(eq + 1);
    std::string name;
    // CONTAINER=NAME=DIR: the profile's name in the bundle (`confine k8s bundle NAME=DIR`).
    if (size_t eq2 = p.dir.find('='); eq != std::string::npos && eq2 != std::string::npos) {
      name = p.dir.substr(0, eq2);
      p.dir = p.dir.substr(eq2 + 1);
    } else {
      name = last_component(p.dir);
    }
    p.container = eq != std::string::npos ? spec.substr(0, eq) : a.get("container").value_or(name);
    if (p.container.empty() || p.dir.empty()) {
      print_error("k8s patch: --profile " + spec + ": expected [CONTAINER=]DIR");
      return kExitUsage;
    }
    if (!containers.insert(p.container).second) {
      print_error("k8s patch: two profiles for container " + p.container);
      return kExitUsage;
    }
    auto f = k8s::bundle_profile(p.dir, name);
    if (!f.ok()) {
      print_error(std::move(f).error().context("k8s patch: --profile " + spec));
      return kExitInvalid;
    }
    p.files = std::move(*f);
    if (!p.files.behavior) {
      print_error("k8s patch: --profile " + spec + ": " + p.dir +
                  "/behavior.json is missing (capabilities and writable directories come from it)");
      return kExitInvalid;
    }
    auto b = behavior::parse_behavior(*p.files.behavior, p.dir + "/behavior.json");
    if (!b.ok()) {
      print_error(std::move(b).error().context("k8s patch"));
      return kExitInvalid;
    }
    p.behavior = std::move(*b);
    o.profiles.push_back(std::move(p));
  }
  const std::string in = a.positional()[0];
  auto text = file::read_file(in, 64u << 20);
  if (!text.ok()) {
    print_error(std::move(text).error().context("k8s patch"));
    return kExitInvalid;
  }
  auto r = k8s::patch_manifest(*text, in == "-" ? "<stdin>" : in, o);
  if (!r.ok()) {
    print_error(std::move(r).error().context("k8s patch"));
    return kExitInvalid;
  }
  for (const auto& l : r->report) std::cerr << "confine: k8s patch: " << file::escape_terminal(l) << "\n";
  bool unused = false;
  for (const auto& p : o.profiles)
    if (!p.used) {
      print_error("k8s patch: --profile " + p.dir + " (container " + p.container + ") matched no container");
      unused = true;
    }
  if (unused) return kExitInvalid;
  if (o.runtime_class.empty())
    print_warning(
        "k8s patch: no --runtime-class: pods may be scheduled on nodes where the profiles are not installed "
        "yet");
  auto w = file::write_output(a.get("output").value_or("-"), r->text);
  if (!w.ok()) {
    print_error(std::move(w).error().context("k8s patch"));
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace confine::cli
