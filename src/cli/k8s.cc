// `confine k8s <subcommand>`: the Kubernetes node side (docs/kubernetes.md).
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "cli/args.h"
#include "cli/verbs.h"
#include "json/json.h"
#include "k8s/agent.h"
#include "k8s/bundle.h"
#include "k8s/runtime.h"
#include "k8s/sha256.h"
#include "k8s/writer.h"

namespace confine::cli {

int k8s_patch(std::span<char* const> args);    // k8s_patch.cc
int k8s_scan(std::span<char* const> args);     // k8s_scan.cc
int k8s_policy(std::span<char* const> args);   // k8s_scan.cc
int k8s_webhook(std::span<char* const> args);  // k8s_webhook.cc

namespace {
constexpr int kExitSetup = 125;

constexpr OptSpec kAgentOpts[] = {
    {"profiles", 0, true, "DIR", "the bundle's ConfigMap volume, or a directory of them (one per part)"},
    {"kubelet-root", 0, true, "DIR", "the kubelet's root directory (default /var/lib/kubelet)"},
    {"apparmor", 0, false, "",
     "load the bundle's AppArmor profiles (apparmor_parser -r) where the host has AppArmor"},
    {"once", 0, false, "",
     "apply once and exit (0 ready, 1 not ready); default: watch and apply on every change"},
    {"state", 0, true, "DIR", "where status.json goes (default KUBELET_ROOT/confine-agent)"},
    {"runtime-state", 0, true, "DIR",
     "a runc/crun --root to judge what containers use (repeatable; default /run/runc, "
     "/run/containerd/runc/k8s.io, /run/crun)"},
    {"interval", 0, true, "SECONDS", "rescan period while watching (default 60)"},
    {"grace", 0, true, "SECONDS",
     "remove a dropped, unused file only once it has been unused this long (default 300; 0 = at once)"},
    {"node", 0, true, "NAME",
     "set the computed confine.dev/ labels on this node (the one API call: GET + merge PATCH through curl)"},
    {"api-server", 0, true, "URL", "https://HOST:PORT (default from KUBERNETES_SERVICE_HOST/PORT)"},
    {"api-credentials", 0, true, "DIR",
     "the service-account token and ca.crt (default /var/run/secrets/kubernetes.io/serviceaccount)"},
    {"collect-max", 0, true, "BYTES",
     "rollout: bytes per complain-mode collection file before it is rotated to .1 (default 1048576)"},
    {"help", 'h', false, "", "show this help"},
};

void agent_usage(std::ostream& os) {
  os << "usage: confine k8s agent --profiles DIR [--kubelet-root DIR] [--apparmor] [--once] [--state DIR]\n"
        "                         [--runtime-state DIR]... [--interval SECONDS] [--grace SECONDS]\n"
        "                         [--node NAME [--api-server URL] [--api-credentials DIR]]\n"
        "                         [--collect-max BYTES]\n\n"
        "The node side of a bundle (docs/kubernetes.md). Reads the bundle's ConfigMap volume exactly as the\n"
        "kubelet lays it out (through one resolved ..data snapshot), validates every profile (content hash,\n"
        "seccomp parser, unknown syscalls, AppArmor profile name, size), installs the seccomp profiles to\n"
        "KUBELET_ROOT/seccomp/confine/NAME-HASH.json atomically (temp, fsync, rename, fsync of the "
        "directory),\n"
        "loads the AppArmor profiles with apparmor_parser -r where the host has AppArmor (--apparmor),\n"
        "removes files the bundle no longer lists once no container uses them (runc state; kept when in\n"
        "doubt) and writes STATE/status.json: ready, the node labels, every profile's state. An invalid\n"
        "profile is never installed and is reported; the others still install. Readiness: the DaemonSet's\n"
        "readiness probe execs `confine k8s status --ready`. With --node, the labels are also set on that\n"
        "node (GET, then a JSON merge patch removing its other confine.dev/bundle-* labels) through curl\n"
        "with the service-account token on curl's standard input; a failure is in the status, not fatal.\n\n"
        "AppArmor (--apparmor): a profile this agent already loaded, listed in the bundle's mode, is not\n"
        "reloaded; a new one is checked with apparmor_parser -N (exactly the bundle's profile name), loaded\n"
        "with -r and looked up in /sys/kernel/security/apparmor/profiles; a profile this agent loaded that\n"
        "the bundle dropped is removed (apparmor_parser -R) once no process (/proc/PID/attr, hence\n"
        "hostPID) and no container (runc state) uses it. A parser failure is reported in status.json and\n"
        "retried on the next pass, never a crash loop.\n\n"
        "Rollout: for every complain-mode profile (seccomp SCMP_ACT_LOG, AppArmor flags=(complain)) the\n"
        "agent reads the seccomp records of /dev/kmsg (type=1326), attributes each to a container created\n"
        "with that profile by the record's pid -> /proc/PID/cgroup (never by comm or exe) and appends it to\n"
        "STATE/complain/NAME-HASH.log, which `confine logs FILE --to-seccomp NAME-HASH.json` reads. Records\n"
        "of processes that exited before they were read cannot be attributed (counted in status.json).\n\n"
     << format_options(kAgentOpts)
     << "\nexamples:\n"
        "  confine k8s agent --profiles /etc/confine/bundle --kubelet-root /var/lib/kubelet --apparmor\n"
        "  confine k8s agent --profiles /etc/confine/bundle --node \"$NODE_NAME\"   # in the DaemonSet\n"
        "  confine k8s agent --profiles /tmp/cm --kubelet-root /tmp/kubelet --once && cat "
        "/tmp/kubelet/confine-agent/status.json\n"
        "  confine logs /var/lib/kubelet/confine-agent/complain/web-0123456789ab.log \\\n"
        "      --to-seccomp /var/lib/kubelet/seccomp/confine/web-0123456789ab.json\n\n"
        "exit status (--once): 0 ready, 1 not ready (see status.json), 2 usage error, 125 the install or\n"
        "state directory cannot be written\n";
}

constexpr OptSpec kStatusOpts[] = {
    {"kubelet-root", 0, true, "DIR", "the kubelet's root directory (default /var/lib/kubelet)"},
    {"state", 0, true, "DIR", "the agent's state directory (default KUBELET_ROOT/confine-agent)"},
    {"runtime-state", 0, true, "DIR",
     "a runc/crun --root to judge what is in use (repeatable; default as the agent)"},
    {"ready", 0, false, "",
     "exit 0 only when the agent's bundle is complete and every profile file is on disk with its hash"},
    {"output", 'o', true, "FORMAT", "text (default) or json"},
    {"help", 'h', false, "", "show this help"},
};

void status_usage(std::ostream& os) {
  os << "usage: confine k8s status [--kubelet-root DIR] [--state DIR] [-o json] [--ready]\n\n"
        "What is installed on this node: every file in KUBELET_ROOT/seccomp/confine with its sha256, "
        "whether\n"
        "the agent's current bundle lists it (and whether its content is still what the agent installed),\n"
        "which bundle the agent last applied, and which containers use each file (runc state).\n\n"
     << format_options(kStatusOpts)
     << "\nexamples:\n"
        "  confine k8s status --kubelet-root /var/lib/kubelet\n"
        "  confine k8s status --kubelet-root /tmp/kubelet -o json\n"
        "  confine k8s status --ready     # the DaemonSet's readiness probe\n\n"
        "exit status: 0 ok (with --ready: ready), 1 not ready, 2 usage error\n";
}

std::vector<std::string> runtime_roots(const Args& a) {
  auto r = a.all("runtime-state");
  if (r.empty())
    for (const char* d : k8s::kDefaultRuntimeRoots) r.push_back(d);
  return r;
}

int k8s_agent(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kAgentOpts, agent_usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (!a.positional().empty() || !a.has("profiles")) {
    print_error("k8s agent: --profiles DIR is required (and no positional arguments)");
    return kExitUsage;
  }
  k8s::AgentOptions o;
  o.profiles = *a.get("profiles");
  o.kubelet_root = a.get("kubelet-root").value_or("/var/lib/kubelet");
  o.state = a.get("state").value_or("");
  o.apparmor = a.has("apparmor");
  o.runtime_roots = runtime_roots(a);
  o.label.node = a.get("node").value_or("");
  o.label.server = a.get("api-server").value_or("");
  o.label.credentials = a.get("api-credentials").value_or(o.label.credentials);
  unsigned interval = 60;
  if (auto i = a.get("interval")) {
    try {
      interval = static_cast<unsigned>(std::stoul(*i));
    } catch (...) {
      interval = 0;
    }
    if (interval == 0 || interval > 86400) {
      print_error("k8s agent: --interval must be 1..86400 seconds");
      return kExitUsage;
    }
  }
  if (auto g = a.get("grace")) {
    char* end = nullptr;
    unsigned long v = std::strtoul(g->c_str(), &end, 10);
    if (g->empty() || *end || v > 7u * 86400) {
      print_error("k8s agent: --grace must be 0..604800 seconds");
      return kExitUsage;
    }
    o.grace_s = static_cast<unsigned>(v);
  }
  if (auto m = a.get("collect-max")) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(m->c_str(), &end, 10);
    if (m->empty() || *end || v < 4096 || v > (1ull << 30)) {
      print_error("k8s agent: --collect-max must be 4096..1073741824 bytes");
      return kExitUsage;
    }
    o.collect_max = v;
  }
  if (!a.has("once")) {
    auto s = k8s::watch(o, interval);
    if (!s.ok()) {
      print_error(s.error());
      return kExitSetup;
    }
    return kExitOk;
  }
  auto r = k8s::apply(o);
  if (!r.ok()) {
    print_error(r.error());
    return kExitSetup;
  }
  const json::Value& st = r->status;
  size_t installed = 0, total = 0;
  if (const auto* ps = st.find("profiles"))
    for (const auto& p : ps->items) {
      ++total;
      const auto* sc = p.find("seccomp");
      const auto* s = sc ? sc->find("state") : nullptr;
      // A profile whose AppArmor part failed to load (or was refused) is not installed either.
      const auto* aa = p.find("apparmor");
      const auto* as = aa ? aa->find("state") : nullptr;
      bool aa_bad = as && (as->text == "failed" || as->text == "refused");
      if (s && s->text == "installed" && !aa_bad)
        ++installed;
      else if (const auto* e = p.find("error"))
        std::cerr << "confine: k8s agent: " << file::escape_terminal(p.find("name")->text) << ": "
                  << file::escape_terminal(e->text) << "\n";
      else if (aa_bad && aa->find("detail"))
        std::cerr << "confine: k8s agent: " << file::escape_terminal(p.find("name")->text) << ": AppArmor "
                  << as->text << ": " << file::escape_terminal(aa->find("detail")->text) << "\n";
    }
  std::cout << (r->ready ? "ready" : "not ready") << ": " << installed << " of " << total
            << " profiles installed";
  if (const auto* w = st.find("not_ready_because"))
    std::cout << " (" << file::escape_terminal(w->text) << ")";
  std::cout << "\n";
  return r->ready ? kExitOk : kExitInvalid;
}

int k8s_status(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kStatusOpts, status_usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  std::string fmt = a.get("output").value_or("text");
  if (fmt != "text" && fmt != "json") {
    print_error("k8s status: -o must be text or json");
    return kExitUsage;
  }
  std::string kr = a.get("kubelet-root").value_or("/var/lib/kubelet");
  std::string sdir = a.get("state").value_or(k8s::default_state_dir(kr));
  std::string idir = k8s::install_dir(kr);
  json::Value agent = json::Value::make_null();
  std::string agent_err;
  if (auto t = file::read_file(sdir + "/" + k8s::kStatusFile, 64u << 20); t.ok()) {
    auto d = json::parse(*t, sdir + "/" + k8s::kStatusFile);
    if (d.ok())
      agent = std::move(*d);
    else
      agent_err = d.error().message();
  } else {
    agent_err = t.error().message();
  }
  // file -> sha256 the agent installed, for the profiles of its current bundle.
  std::map<std::string, std::string> current;
  if (const auto* ps = agent.find("profiles"))
    for (const auto& p : ps->items) {
      const auto* sc = p.find("seccomp");
      const auto* st = sc ? sc->find("state") : nullptr;
      if (st && st->text == "installed") current[sc->find("file")->text] = sc->find("sha256")->text;
    }
  bool agent_ready = false;
  if (const auto* r = agent.find("ready")) agent_ready = r->boolean;
  std::string bundle;
  if (const auto* b = agent.find("bundle"))
    if (const auto* h = b->find("hash")) bundle = h->text;

  std::vector<std::string> files;
  if (DIR* d = opendir(idir.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') files.push_back(e->d_name);
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  std::string missing;
  for (const auto& [f, h] : current)
    if (std::find(files.begin(), files.end(), f) == files.end()) missing = f;

  if (a.has("ready")) {
    bool ok = agent_ready && missing.empty();
    std::string why = !agent_err.empty() ? agent_err : !agent_ready ? "the agent reports not ready" : "";
    for (const auto& [f, h] : current) {
      if (!ok) break;
      auto t = file::read_file(idir + "/" + f, 4u << 20);
      if (!t.ok() || k8s::sha256_hex(*t) != h) {
        ok = false;
        why = idir + "/" + f + ": missing or not what the agent installed";
      }
    }
    if (!missing.empty()) why = idir + "/" + missing + ": missing";
    std::cout << (ok ? "ready" : "not ready: " + file::escape_terminal(why)) << "\n";
    return ok ? kExitOk : kExitInvalid;
  }

  k8s::RuntimeScan scan = k8s::scan_runtime(runtime_roots(a));
  json::Value out = json::Value::make_object();
  out.add("install_dir", json::Value::make_string(idir));
  out.add("bundle", json::Value::make_string(bundle));
  out.add("agent_ready", json::Value::make_bool(agent_ready));
  if (!agent_err.empty()) out.add("agent_status_error", json::Value::make_string(agent_err));
  if (const auto* l = agent.find("labels")) out.add("labels", *l);
  json::Value arr = json::Value::make_array();
  for (const auto& f : files) {
    json::Value e = json::Value::make_object();
    e.add("file", json::Value::make_string(f));
    auto t = file::read_file(idir + "/" + f, 4u << 20);
    std::string sha = t.ok() ? k8s::sha256_hex(*t) : "";
    e.add("sha256", json::Value::make_string(sha));
    auto it = current.find(f);
    std::string role = it == current.end() ? "stale" : it->second == sha ? "current" : "modified";
    e.add("bundle", json::Value::make_string(role));
    k8s::Use u =
        k8s::profile_use(scan, idir + "/" + f, "confine/" + f, t.ok() ? k8s::canonical_seccomp(*t) : "");
    json::Value cs = json::Value::make_array();
    for (const auto& c : u.containers) cs.push(json::Value::make_string(c));
    e.add("in_use_by", std::move(cs));
    if (!u.doubt.empty() && u.containers.empty()) e.add("in_use_unknown", json::Value::make_string(u.doubt));
    arr.push(std::move(e));
  }
  out.add("files", std::move(arr));
  // AppArmor: every profile of the agent's bundle, as the agent left it and as the kernel lists it now.
  const std::string aafs = "/sys/kernel/security/apparmor";
  auto loaded = k8s::kernel_profiles(aafs);
  json::Value aas = json::Value::make_array();
  if (const auto* ps = agent.find("profiles"))
    for (const auto& p : ps->items) {
      const auto* aa = p.find("apparmor");
      const auto* name = aa ? aa->find("profile") : nullptr;
      if (!name) continue;
      json::Value e = json::Value::make_object();
      e.add("profile", *name);
      if (const auto* s = aa->find("state")) e.add("agent", *s);
      auto it = loaded.find(name->text);
      e.add("kernel", json::Value::make_string(it == loaded.end() ? "" : it->second));
      e.add("state", json::Value::make_string(it != loaded.end() ? "installed" : "not-installed"));
      if (const auto* d = aa->find("detail")) e.add("detail", *d);
      aas.push(std::move(e));
    }
  out.add("apparmor", std::move(aas));
  if (fmt == "json") {
    std::cout << json::write(out) << "\n";
    return kExitOk;
  }
  std::cout << "install dir: " << idir << "\n";
  std::cout << "bundle: " << (bundle.empty() ? "(no agent status: " + agent_err + ")" : bundle)
            << (agent_ready ? " (ready)" : " (not ready)") << "\n";
  for (const auto& e : out.find("files")->items) {
    std::cout << "  " << file::escape_terminal(e.find("file")->text) << "  "
              << e.find("sha256")->text.substr(0, 12) << "  " << e.find("bundle")->text;
    const auto& u = e.find("in_use_by")->items;
    if (!u.empty())
      std::cout << "  in use by " << u.size() << " container(s): " << u.front().text;
    else if (const auto* d = e.find("in_use_unknown"))
      std::cout << "  in use: unknown (" << d->text << ")";
    else
      std::cout << "  unused";
    std::cout << "\n";
  }
  const auto& aal = out.find("apparmor")->items;
  if (!aal.empty()) std::cout << "apparmor (" << aafs << "/profiles):\n";
  for (const auto& e : aal) {
    std::cout << "  " << file::escape_terminal(e.find("profile")->text) << "  ";
    if (e.find("state")->text == "installed")
      std::cout << "Installed (" << e.find("kernel")->text << ")";
    else
      std::cout << "not installed (agent: "
                << file::escape_terminal(e.find("agent") ? e.find("agent")->text : "")
                << (e.find("detail") ? ": " + file::escape_terminal(e.find("detail")->text) : "") << ")";
    std::cout << "\n";
  }
  return kExitOk;
}

constexpr OptSpec kBundleOpts[] = {
    {"output", 'o', true, "OUT_DIR", "the kustomize directory to write (required; created if missing)"},
    {"namespace", 0, true, "NS",
     "namespace of the agent, its ConfigMaps and ServiceAccount (default confine-system)"},
    {"image", 0, true, "IMAGE", "the agent's image (default confine-agent:0.1.0, what `make image` builds)"},
    {"kubelet-root", 0, true, "DIR", "the nodes' kubelet root directory (default /var/lib/kubelet)"},
    {"mode", 0, true, "MODE", "enforce (default) or complain for profiles without :MODE"},
    {"runtime", 0, true, "RUNTIME",
     "containerd (default) or cri-o: whose state the agent reads (read-only) to see which profiles are in "
     "use"},
    {"handler", 0, true, "NAME", "the RuntimeClasses' CRI handler (default runc)"},
    {"max-part-bytes", 0, true, "N",
     "JSON-escaped bytes per ConfigMap part (default and maximum 204800; kubectl apply's annotation holds "
     "256 KiB)"},
    {"help", 'h', false, "", "show this help"},
};

void bundle_usage(std::ostream& os) {
  os << "usage: confine k8s bundle [NAME=]PROFILE_DIR[:complain|:enforce]... -o OUT_DIR [--namespace NS]\n"
        "                          [--image IMAGE] [--kubelet-root DIR] [--mode MODE] [--runtime RUNTIME]\n\n"
        "Writes a kustomize directory that puts recorded profiles on every node (docs/kubernetes.md):\n"
        "ConfigMaps holding the bundle (docs/kubernetes.md \"Bundle format\"; split so each stays under\n"
        "kubectl apply's 256 KiB annotation), the DaemonSet running `confine k8s agent` on every node, its\n"
        "ServiceAccount and RBAC (get/patch nodes), a ValidatingAdmissionPolicy (Kubernetes 1.30+) limiting\n"
        "it to the confine.dev/ labels of its own node, and two RuntimeClasses whose scheduling selects "
        "nodes\n"
        "labelled confine.dev/bundle-HASH=installed (and confine.dev/apparmor=enforced).\n\n"
        "Each PROFILE_DIR is a `confine record -o DIR` output: seccomp.json (required), apparmor.profile "
        "and\n"
        "behavior.json (optional). The profile's NAME is the directory's name unless NAME= is given; names\n"
        "are content-addressed in the bundle: NAME-HASH. The seccomp file becomes the OCI LinuxSeccomp form\n"
        "with the container runtime's own syscalls (as `record --target oci`); the AppArmor profile is\n"
        "renamed confine-NAME-HASH (its attachment dropped). Every conversion is printed.\n\n"
     << format_options(kBundleOpts)
     << "\nexamples:\n"
        "  confine record --target oci -o web -- ./web-server\n"
        "  confine record --target oci -o worker -- ./worker\n"
        "  confine k8s bundle web worker:complain -o deploy/\n"
        "  kubectl apply -k deploy/\n"
        "  confine k8s bundle api=prof/api-v2 -o deploy/ --namespace kube-system --image "
        "reg.example/confine:0.1.0\n\n"
        "exit status: 0 written, 1 a profile cannot be bundled, 2 usage error, 125 OUT_DIR cannot be "
        "written\n";
}

int k8s_bundle(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kBundleOpts, bundle_usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (a.positional().empty() || !a.has("output")) {
    print_error("k8s bundle: give PROFILE_DIR... and -o OUT_DIR");
    return kExitUsage;
  }
  k8s::BundleOptions o;
  const std::string out = *a.get("output");
  o.ns = a.get("namespace").value_or(o.ns);
  o.image = a.get("image").value_or(o.image);
  o.kubelet_root = a.get("kubelet-root").value_or(o.kubelet_root);
  while (o.kubelet_root.size() > 1 && o.kubelet_root.back() == '/') o.kubelet_root.pop_back();
  o.handler = a.get("handler").value_or(o.handler);
  o.runtime = a.get("runtime").value_or(o.runtime);
  std::string mode = a.get("mode").value_or("enforce");
  if (mode != "enforce" && mode != "complain") {
    print_error("k8s bundle: --mode must be enforce or complain");
    return kExitUsage;
  }
  if (o.runtime != "containerd" && o.runtime != "cri-o") {
    print_error("k8s bundle: --runtime must be containerd or cri-o");
    return kExitUsage;
  }
  if (!k8s::valid_profile_name(o.ns)) {
    print_error("k8s bundle: --namespace " + json::quote(o.ns) + " is not a DNS label");
    return kExitUsage;
  }
  if (o.kubelet_root.empty() || o.kubelet_root[0] != '/' || o.kubelet_root.find("..") != std::string::npos) {
    print_error("k8s bundle: --kubelet-root must be an absolute path without '..'");
    return kExitUsage;
  }
  if (auto m = a.get("max-part-bytes")) {
    char* end = nullptr;
    unsigned long v = std::strtoul(m->c_str(), &end, 10);
    if (m->empty() || *end || v < 4096 || v > k8s::kDefaultPartBudget) {
      print_error("k8s bundle: --max-part-bytes must be 4096..204800");
      return kExitUsage;
    }
    o.budget = v;
  }
  std::vector<k8s::PreparedProfile> ps;
  for (const auto& arg : a.positional()) {
    auto pr = k8s::parse_profile_arg(arg, mode);
    if (!pr.ok()) {
      print_error(pr.error());
      return kExitUsage;
    }
    auto sc = file::read_file(pr->dir + "/seccomp.json");
    if (!sc.ok()) {
      print_error(sc.error().context("k8s bundle: " + pr->name));
      return kExitInvalid;
    }
    std::optional<std::string> aa, beh;
    for (auto [f, slot] : {std::pair{"apparmor.profile", &aa}, std::pair{"behavior.json", &beh}}) {
      std::string path = pr->dir + "/" + f;
      if (access(path.c_str(), F_OK) != 0) continue;
      auto t = file::read_file(path);
      if (!t.ok()) {
        print_error(t.error().context("k8s bundle: " + pr->name));
        return kExitInvalid;
      }
      *slot = std::move(*t);
    }
    auto p =
        k8s::prepare_profile(pr->name, pr->mode, *sc, aa ? &*aa : nullptr, beh ? &*beh : nullptr, pr->dir);
    if (!p.ok()) {
      print_error(p.error().context("k8s bundle: " + pr->name));
      return kExitInvalid;
    }
    for (const auto& n : p->notes) std::cerr << "confine: k8s bundle: " << file::escape_terminal(n) << "\n";
    ps.push_back(std::move(*p));
  }
  std::sort(ps.begin(), ps.end(), [](const auto& x, const auto& y) { return x.entry.name < y.entry.name; });
  auto r = k8s::plan_bundle(ps, o);
  if (!r.ok()) {
    print_error(r.error().context("k8s bundle"));
    return kExitInvalid;
  }
  if (auto w = k8s::write_bundle(*r, out); !w.ok()) {
    print_error(w.error().context("k8s bundle"));
    return kExitSetup;
  }
  std::cout << "bundle " << r->bundle << ": " << ps.size() << " profile(s) in " << r->parts.size()
            << " ConfigMap part(s) -> " << file::escape_terminal(out) << "/\n";
  for (const auto& p : ps) {
    const auto& e = p.entry;
    std::cout << "  " << e.name << " (" << e.mode << "): seccompProfile Localhost confine/" << e.id()
              << ".json";
    if (e.apparmor) std::cout << ", appArmorProfile Localhost " << e.apparmor_profile;
    std::cout << "\n";
  }
  std::cout << "runtimeClassName: " << r->runtime_classes[0] << " (nodes with every profile installed), "
            << r->runtime_classes[1] << " (and AppArmor enforced)\n"
            << "apply: kubectl apply -k " << file::escape_terminal(out) << "\n";
  return kExitOk;
}

constexpr Verb kSub[] = {
    {"bundle", "write the ConfigMaps, DaemonSet, RBAC and RuntimeClasses for recorded profiles", k8s_bundle},
    {"agent", "install a bundle's profiles on this node (the DaemonSet's container)", k8s_agent},
    {"status", "what is installed on this node, its hashes, bundle and use", k8s_status},
    {"patch", "apply recorded profiles to workload manifests (Deployment, Pod, CronJob, ...)", k8s_patch},
    {"scan", "check manifests: Pod Security Standards, kubesec scoring, the bundle", k8s_scan},
    {"policy", "the scan's checks as admission policy (VAP, Kyverno, Gatekeeper)", k8s_policy},
    {"webhook", "a validating admission webhook (TLS) running the scan's checks against the bundle",
     k8s_webhook},
};

void usage(std::ostream& os) {
  os << "usage: confine k8s <subcommand> [options]\n\nsubcommands:\n";
  for (const auto& v : kSub) {
    std::string n(v.name);
    n.resize(10, ' ');
    os << "  " << n << v.summary << "\n";
  }
  os << "\nKubernetes support (docs/kubernetes.md): `bundle` writes what `kubectl apply -k` deploys, the\n"
        "DaemonSet runs `agent` on every node, `status` shows a node's profiles, `patch` points workload\n"
        "manifests at the bundle's profiles, `scan` and `policy` check manifests before and at admission,\n"
        "`webhook` admits workloads only with Localhost profiles the bundle holds, content hash included.\n\n"
        "examples:\n"
        "  confine k8s bundle web worker -o deploy/ && kubectl apply -k deploy/\n"
        "  confine k8s agent --profiles /etc/confine/bundle --kubelet-root /var/lib/kubelet --once\n"
        "  confine k8s status --kubelet-root /var/lib/kubelet -o json\n"
        "  confine k8s patch deploy.yaml --profile web=prof/web -o deploy.patched.yaml\n"
        "  confine k8s scan deploy.patched.yaml --bundle deploy/\n"
        "  confine k8s webhook --listen :8443 --tls-cert tls.crt --tls-key tls.key --bundle deploy/\n";
}
}  // namespace

int verb_k8s(std::span<char* const> args) { return dispatch_subverb("k8s", kSub, args, usage); }

}  // namespace confine::cli
