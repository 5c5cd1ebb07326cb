// `confine k8s <subcommand>`: the Kubernetes node side (docs/kubernetes.md).
#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "cli/args.h"
#include "cli/verbs.h"
#include "json/json.h"
#include "k8s/agent.h"
#include "k8s/bundle.h"
#include "k8s/runtime.h"
#include "k8s/sha256.h"

namespace confine::cli {

int k8s_scan(std::span<char* const> args);    // k8s_scan.cc
int k8s_policy(std::span<char* const> args);  // k8s_scan.cc

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
    {"help", 'h', false, "", "show this help"},
};

void agent_usage(std::ostream& os) {
  os << "usage: confine k8s agent --profiles DIR [--kubelet-root DIR] [--apparmor] [--once] [--state DIR]\n"
        "                         [--runtime-state DIR]... [--interval SECONDS] [--grace SECONDS]\n\n"
        "The node side of a bundle (docs/kubernetes.md). Reads the bundle's ConfigMap volume exactly as the\n"
        "kubelet lays it out (through one resolved ..data snapshot), validates every profile (content hash,\n"
        "seccomp parser, unknown syscalls, AppArmor profile name, size), installs the seccomp profiles to\n"
        "KUBELET_ROOT/seccomp/confine/NAME-HASH.json atomically (temp, fsync, rename, fsync of the "
        "directory),\n"
        "loads the AppArmor profiles with apparmor_parser -r where the host has AppArmor (--apparmor),\n"
        "removes files the bundle no longer lists once no container uses them (runc state; kept when in\n"
        "doubt) and writes STATE/status.json: ready, the node labels, every profile's state. An invalid\n"
        "profile is never installed and is reported; the others still install. Readiness: the DaemonSet's\n"
        "readiness probe execs `confine k8s status --ready`.\n\n"
     << format_options(kAgentOpts)
     << "\nexamples:\n"
        "  confine k8s agent --profiles /etc/confine/bundle --kubelet-root /var/lib/kubelet --apparmor\n"
        "  confine k8s agent --profiles /tmp/cm --kubelet-root /tmp/kubelet --once && cat "
        "/tmp/kubelet/confine-agent/status.json\n\n"
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
      if (s && s->text == "installed")
        ++installed;
      else if (const auto* e = p.find("error"))
        std::cerr << "confine: k8s agent: " << file::escape_terminal(p.find("name")->text) << ": "
                  << file::escape_terminal(e->text) << "\n";
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
  return kExitOk;
}

constexpr Verb kSub[] = {
    {"agent", "install a bundle's profiles on this node (the DaemonSet's container)", k8s_agent},
    {"status", "what is installed on this node, its hashes, bundle and use", k8s_status},
    {"scan", "check manifests: Pod Security Standards, kubesec scoring, the bundle", k8s_scan},
    {"policy", "the scan's checks as admission policy (VAP, Kyverno, Gatekeeper)", k8s_policy},
};

void usage(std::ostream& os) {
  os << "usage: confine k8s <subcommand> [options]\n\nsubcommands:\n";
  for (const auto& v : kSub) {
    std::string n(v.name);
    n.resize(10, ' ');
    os << "  " << n << v.summary << "\n";
  }
  os << "\nThe node side of Kubernetes support (docs/kubernetes.md). `confine k8s bundle` (writing the\n"
        "ConfigMaps, DaemonSet, RBAC and RuntimeClass) and `confine k8s patch` are not written yet.\n\n"
        "examples:\n"
        "  confine k8s agent --profiles /etc/confine/bundle --kubelet-root /var/lib/kubelet --once\n"
        "  confine k8s status --kubelet-root /var/lib/kubelet -o json\n";
}
}  // namespace

int verb_k8s(std::span<char* const> args) { return dispatch_subverb("k8s", kSub, args, usage); }

}  // namespace confine::cli
