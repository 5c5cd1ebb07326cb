// Rule engine: workload model, Pod Security Standards (versioned like PSA), confine's version and
// bundle checks. kubesec's table is in kubesec.cc.
#include "k8s/rules.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <functional>

#include "core/file.h"
#include "generate/generate.h"
#include "k8s/bundle.h"
#include "k8s/scan.h"
#include "k8s/sha256.h"

namespace confine::k8s::rules {

using json::Type;
using json::Value;

Result<Version> parse_version(std::string_view s) {
  if (s == "latest") return Version{};
  std::string_view t = s;
  if (!t.empty() && t[0] == 'v') t.remove_prefix(1);
  if (t.size() < 3 || t.substr(0, 2) != "1.")
    return Error("--k8s-version \"" + std::string(s) +
                 "\": expected 1.MINOR (e.g. 1.30), v1.MINOR or latest");
  t.remove_prefix(2);
  unsigned m = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), m);
  // Accept a patch part ("1.30.2") but nothing else.
  if (ec != std::errc() || (p != t.data() + t.size() && *p != '.') || m > 1000)
    return Error("--k8s-version \"" + std::string(s) +
                 "\": expected 1.MINOR (e.g. 1.30), v1.MINOR or latest");
  return Version{std::min(m, kLatestMinor)};
}

std::string_view level_name(Level l) { return l == Level::Baseline ? "baseline" : "restricted"; }
Result<Level> parse_level(std::string_view s) {
  if (s == "baseline") return Level::Baseline;
  if (s == "restricted") return Level::Restricted;
  return Error("--level \"" + std::string(s) + "\": expected baseline or restricted");
}
std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

// ---- model -------------------------------------------------------------------------------------

namespace {
const Value* get(const Value* v, std::string_view key) { return v ? v->find(key) : nullptr; }
const Value* get_path(const Value* v, std::initializer_list<std::string_view> keys) {
  for (auto k : keys) v = get(v, k);
  return v;
}
std::string str_or(const Value* v, std::string def = {}) { return v && v->is(Type::String) ? v->text : def; }
}  // namespace

std::string Workload::id() const {
  std::string s = kind.empty() ? "Unknown" : kind;
  s += "/" + (name.empty() ? std::string("undefined") : name);
  s += "." + (ns.empty() ? std::string("default") : ns);
  return s;
}

Workload model(const Value& obj) {
  Workload w;
  w.obj = &obj;
  w.pos = obj.pos;
  w.kind = str_or(get(&obj, "kind"));
  w.api_version = str_or(get(&obj, "apiVersion"));
  w.name = str_or(get_path(&obj, {"metadata", "name"}));
  w.ns = str_or(get_path(&obj, {"metadata", "namespace"}));
  if (w.kind == "Pod") {
    w.spec_path = "spec";
    w.meta_path = "metadata";
  } else if (w.kind == "Deployment" || w.kind == "StatefulSet" || w.kind == "DaemonSet" ||
             w.kind == "ReplicaSet" || w.kind == "Job" || w.kind == "ReplicationController" ||
             w.kind == "PodTemplate") {
    w.spec_path = w.kind == "PodTemplate" ? "template.spec" : "spec.template.spec";
    w.meta_path = w.kind == "PodTemplate" ? "template.metadata" : "spec.template.metadata";
  } else if (w.kind == "CronJob") {
    w.spec_path = "spec.jobTemplate.spec.template.spec";
    w.meta_path = "spec.jobTemplate.spec.template.metadata";
  } else {
    return w;
  }
  w.supported = true;
  auto walk = [&](const std::string& dotted) {
    const Value* v = &obj;
    size_t b = 0;
    while (v && b <= dotted.size()) {
      size_t e = dotted.find('.', b);
      if (e == std::string::npos) e = dotted.size();
      v = v->find(std::string_view(dotted).substr(b, e - b));
      b = e + 1;
    }
    return v;
  };
  w.spec = walk(w.spec_path);
  if (w.spec && !w.spec->is(Type::Object)) w.spec = nullptr;
  w.meta = walk(w.meta_path);
  if (w.meta && !w.meta->is(Type::Object)) w.meta = nullptr;
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"}) {
    const Value* a = get(w.spec, list);
    if (!a || !a->is(Type::Array)) continue;
    for (size_t i = 0; i < a->items.size(); ++i) {
      Container c;
      c.v = &a->items[i];
      c.list = std::string(list);
      c.path = w.spec_path + "." + c.list + "[" + std::to_string(i) + "]";
      c.name = str_or(get(c.v, "name"));
      w.containers.push_back(std::move(c));
    }
  }
  return w;
}

// ---- emitting findings -------------------------------------------------------------------------

namespace {

struct Ctx {
  const Workload& w;
  std::vector<Finding>& out;
  std::string rule, set;
  Severity sev = Severity::Error;

  void add(const std::string& path, const SourcePos& pos, std::string msg) const {
    out.push_back(Finding{rule, set, sev, path, pos, std::move(msg)});
  }
  // A field of the wrong type: the API server rejects the object; never a silent pass.
  void bad_type(const std::string& path, const Value& v, std::string_view want) const {
    add(path, v.pos,
        "expected " + std::string(want) + ", got " + std::string(json::type_name(v.type)) +
            " (the API server rejects this object)");
  }
  // Typed reads: nullopt when absent or null; a wrong type is reported (and reads as absent).
  std::optional<bool> boolean(const Value* parent, std::string_view key, const std::string& ppath) const {
    const Value* v = get(parent, key);
    if (!v || v->is(Type::Null)) return std::nullopt;
    if (!v->is(Type::Bool)) {
      bad_type(ppath + "." + std::string(key), *v, "a boolean");
      return std::nullopt;
    }
    return v->boolean;
  }
  std::optional<std::string> string(const Value* parent, std::string_view key,
                                    const std::string& ppath) const {
    const Value* v = get(parent, key);
    if (!v || v->is(Type::Null)) return std::nullopt;
    if (!v->is(Type::String)) {
      bad_type(ppath + "." + std::string(key), *v, "a string");
      return std::nullopt;
    }
    return v->text;
  }
  std::optional<int64_t> integer(const Value* parent, std::string_view key, const std::string& ppath) const {
    const Value* v = get(parent, key);
    if (!v || v->is(Type::Null)) return std::nullopt;
    auto i = v->is(Type::Number) ? v->as_i64() : std::nullopt;
    if (!i) {
      bad_type(ppath + "." + std::string(key), *v, "an integer");
      return std::nullopt;
    }
    return i;
  }
  const Value* object(const Value* parent, std::string_view key, const std::string& ppath) const {
    const Value* v = get(parent, key);
    if (!v || v->is(Type::Null)) return nullptr;
    if (!v->is(Type::Object)) {
      bad_type(ppath + "." + std::string(key), *v, "an object");
      return nullptr;
    }
    return v;
  }
  const Value* array(const Value* parent, std::string_view key, const std::string& ppath) const {
    const Value* v = get(parent, key);
    if (!v || v->is(Type::Null)) return nullptr;
    if (!v->is(Type::Array)) {
      bad_type(ppath + "." + std::string(key), *v, "an array");
      return nullptr;
    }
    return v;
  }
  // The pod-level securityContext and a container's.
  const Value* pod_sc() const { return object(w.spec, "securityContext", w.spec_path); }
  const Value* sc(const Container& c) const { return object(c.v, "securityContext", c.path); }
};

std::string q(std::string_view s) { return json::quote(s); }

bool windows_pod(const Workload& w) { return str_or(get_path(w.spec, {"os", "name"})) == "windows"; }

// PSA's relaxPolicyForUserNamespacePod: from policy 1.35 (unconditionally; before, behind a perma-alpha
// gate that is off by default), runAsNonRoot, runAsUser and baseline procMount do not apply to a pod
// in a user namespace (spec.hostUsers: false).
bool userns_relaxed(const Workload& w, Version v) {
  const Value* hu = get(w.spec, "hostUsers");
  return v.minor >= 35 && hu && hu->is(Type::Bool) && !hu->boolean;
}

// -- baseline --

void check_host_namespaces(const Ctx& c, Version) {
  for (std::string_view k : {"hostNetwork", "hostPID", "hostIPC"})
    if (c.boolean(c.w.spec, k, c.w.spec_path).value_or(false))
      c.add(c.w.spec_path + "." + std::string(k), c.w.spec->find(k)->pos,
            std::string(k) + "=true is forbidden (allowed: false or unset)");
}

void check_privileged(const Ctx& c, Version) {
  for (const auto& ct : c.w.containers)
    if (const Value* sc = c.sc(ct); c.boolean(sc, "privileged", ct.path + ".securityContext").value_or(false))
      c.add(ct.path + ".securityContext.privileged", sc->find("privileged")->pos,
            "container " + q(ct.name) + " must not set privileged=true");
}

const std::set<std::string, std::less<>> kBaselineCaps = {
    "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",      "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT"};

void check_capabilities_baseline(const Ctx& c, Version) {
  for (const auto& ct : c.w.containers) {
    std::string p = ct.path + ".securityContext.capabilities";
    const Value* caps = c.object(c.sc(ct), "capabilities", ct.path + ".securityContext");
    const Value* add = c.array(caps, "add", p);
    if (!add) continue;
    for (size_t i = 0; i < add->items.size(); ++i) {
      const Value& a = add->items[i];
      std::string ip = p + ".add[" + std::to_string(i) + "]";
      if (!a.is(Type::String)) {
        c.bad_type(ip, a, "a string");
      } else if (!kBaselineCaps.count(a.text)) {
        c.add(
            ip, a.pos,
            "container " + q(ct.name) + " must not add capability " + q(a.text) +
                " (baseline allows AUDIT_WRITE CHOWN DAC_OVERRIDE FOWNER FSETID KILL MKNOD NET_BIND_SERVICE "
                "SETFCAP SETGID SETPCAP SETUID SYS_CHROOT)");
      }
    }
  }
}

void check_host_path_volumes(const Ctx& c, Version) {
  const Value* vols = c.array(c.w.spec, "volumes", c.w.spec_path);
  if (!vols) return;
  for (size_t i = 0; i < vols->items.size(); ++i)
    if (const Value* hp = get(&vols->items[i], "hostPath"); hp && !hp->is(Type::Null))
      c.add(c.w.spec_path + ".volumes[" + std::to_string(i) + "].hostPath", hp->pos,
            "volume " + q(str_or(get(&vols->items[i], "name"))) + " must not use hostPath");
}

void check_host_ports(const Ctx& c, Version) {
  for (const auto& ct : c.w.containers) {
    const Value* ports = c.array(ct.v, "ports", ct.path);
    if (!ports) continue;
    for (size_t i = 0; i < ports->items.size(); ++i) {
      std::string pp = ct.path + ".ports[" + std::to_string(i) + "]";
      if (auto hp = c.integer(&ports->items[i], "hostPort", pp); hp && *hp != 0)
        c.add(pp + ".hostPort", ports->items[i].find("hostPort")->pos,
              "container " + q(ct.name) + " must not set hostPort " + std::to_string(*hp) +
                  " (allowed: 0 or unset)");
    }
  }
}

constexpr std::string_view kAppArmorAnnotation = "container.apparmor.security.beta.kubernetes.io/";
constexpr std::string_view kSeccompPodAnnotation = "seccomp.security.alpha.kubernetes.io/pod";
constexpr std::string_view kSeccompContainerAnnotation = "container.seccomp.security.alpha.kubernetes.io/";

const Value* annotations(const Workload& w) {
  const Value* a = get(w.meta, "annotations");
  return a && a->is(Type::Object) ? a : nullptr;
}

void check_apparmor(const Ctx& c, Version) {
  auto field = [&](const Value* sc, const std::string& scpath, const std::string& who) {
    const Value* ap = c.object(sc, "appArmorProfile", scpath);
    if (!ap) return;
    std::string t = c.string(ap, "type", scpath + ".appArmorProfile").value_or("");
    if (t != "RuntimeDefault" && t != "Localhost") {
      const Value* tv = ap->find("type");
      c.add(scpath + ".appArmorProfile.type", tv ? tv->pos : ap->pos,
            who + " must not set appArmorProfile.type to " + q(t) + " (allowed: RuntimeDefault, Localhost)");
    }
  };
  field(c.pod_sc(), c.w.spec_path + ".securityContext", "pod");
  for (const auto& ct : c.w.containers)
    field(c.sc(ct), ct.path + ".securityContext", "container " + q(ct.name));
  if (const Value* an = annotations(c.w))
    for (const auto& m : an->members) {
      if (!m.key.starts_with(kAppArmorAnnotation)) continue;
      std::string v = m.value.is(Type::String) ? m.value.text : "";
      if (!m.value.is(Type::String))
        c.bad_type(c.w.meta_path + ".annotations[" + q(m.key) + "]", m.value, "a string");
      else if (!(v.empty() || v == "runtime/default" || v.starts_with("localhost/")))
        c.add(
            c.w.meta_path + ".annotations[" + q(m.key) + "]", m.value.pos,
            "annotation " + q(m.key) + "=" + q(v) + " is forbidden (allowed: runtime/default, localhost/*)");
    }
}

void check_selinux(const Ctx& c, Version v) {
  auto one = [&](const Value* sc, const std::string& scpath, const std::string& who) {
    const Value* o = c.object(sc, "seLinuxOptions", scpath);
    if (!o) return;
    std::string p = scpath + ".seLinuxOptions";
    std::string t = c.string(o, "type", p).value_or("");
    bool ok = t.empty() || t == "container_t" || t == "container_init_t" || t == "container_kvm_t" ||
              (v.minor >= 31 && t == "container_engine_t");
    if (!ok)
      c.add(p + ".type", o->find("type")->pos,
            who + " must not set seLinuxOptions.type " + q(t) +
                " (allowed: container_t, container_init_t, "
                "container_kvm_t" +
                (v.minor >= 31 ? ", container_engine_t" : "") + ")");
    for (std::string_view k : {"user", "role"})
      if (auto s = c.string(o, k, p); s && !s->empty())
        c.add(p + "." + std::string(k), o->find(k)->pos,
              who + " must not set seLinuxOptions." + std::string(k));
  };
  one(c.pod_sc(), c.w.spec_path + ".securityContext", "pod");
  for (const auto& ct : c.w.containers)
    one(c.sc(ct), ct.path + ".securityContext", "container " + q(ct.name));
}

void check_proc_mount_any(const Ctx& c) {
  for (const auto& ct : c.w.containers)
    if (auto pm = c.string(c.sc(ct), "procMount", ct.path + ".securityContext"); pm && *pm != "Default")
      c.add(ct.path + ".securityContext.procMount", c.sc(ct)->find("procMount")->pos,
            "container " + q(ct.name) + " must not set procMount " + q(*pm) + " (allowed: Default or unset)");
}
// Baseline: relaxed for user-namespace pods from 1.35. Restricted from 1.35: procMount_restricted,
// the 1.0 rule unconditionally (it overrides procMount).
void check_proc_mount(const Ctx& c, Version v) {
  if (!userns_relaxed(c.w, v)) check_proc_mount_any(c);
}
void check_proc_mount_restricted(const Ctx& c, Version) { check_proc_mount_any(c); }

bool seccomp_annotation_ok(std::string_view v) {
  return v == "runtime/default" || v == "docker/default" || v.starts_with("localhost/");
}

void check_seccomp_baseline(const Ctx& c, Version v) {
  if (v.minor < 19) {  // annotations only (PSA seccompProfileBaseline_1_0)
    const Value* an = annotations(c.w);
    if (!an) return;
    auto one = [&](const std::string& key) {
      const Value* a = an->find(key);
      if (a && a->is(Type::String) && !seccomp_annotation_ok(a->text))
        c.add(c.w.meta_path + ".annotations[" + q(key) + "]", a->pos,
              "annotation " + q(key) + "=" + q(a->text) +
                  " is forbidden (allowed: runtime/default, docker/default, "
                  "localhost/*)");
    };
    one(std::string(kSeccompPodAnnotation));
    for (const auto& ct : c.w.containers) one(std::string(kSeccompContainerAnnotation) + ct.name);
    return;
  }
  // 1.19+: the fields only (PSA seccompProfileBaseline_1_19); annotations are not looked at.
  auto one = [&](const Value* sc, const std::string& scpath, const std::string& who) {
    const Value* sp = c.object(sc, "seccompProfile", scpath);
    if (!sp) return;
    std::string t = c.string(sp, "type", scpath + ".seccompProfile").value_or("");
    if (t != "RuntimeDefault" && t != "Localhost") {
      const Value* tv = sp->find("type");
      c.add(scpath + ".seccompProfile.type", tv ? tv->pos : sp->pos,
            who + " must not set seccompProfile.type to " + q(t) + " (allowed: RuntimeDefault, Localhost)");
    }
  };
  one(c.pod_sc(), c.w.spec_path + ".securityContext", "pod");
  for (const auto& ct : c.w.containers)
    one(c.sc(ct), ct.path + ".securityContext", "container " + q(ct.name));
}

std::set<std::string, std::less<>> safe_sysctls(Version v) {
  std::set<std::string, std::less<>> s = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                                          "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                                          "net.ipv4.ip_unprivileged_port_start"};
  if (v.minor >= 27) s.insert("net.ipv4.ip_local_reserved_ports");
  if (v.minor >= 29)
    s.insert({"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
              "net.ipv4.tcp_keepalive_probes"});
  if (v.minor >= 32) s.insert({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"});
  return s;
}

void check_sysctls(const Ctx& c, Version v) {
  std::string p = c.w.spec_path + ".securityContext";
  const Value* sys = c.array(c.pod_sc(), "sysctls", p);
  if (!sys) return;
  auto safe = safe_sysctls(v);
  for (size_t i = 0; i < sys->items.size(); ++i) {
    std::string ip = p + ".sysctls[" + std::to_string(i) + "]";
    auto n = c.string(&sys->items[i], "name", ip);
    if (n && !safe.count(*n))
      c.add(ip + ".name", sys->items[i].find("name")->pos,
            "sysctl " + q(*n) + " is forbidden at " + v.str() + " (not in the safe set of that version)");
  }
}

void check_windows_host_process(const Ctx& c, Version) {
  auto one = [&](const Value* sc, const std::string& scpath, const std::string& who) {
    const Value* wo = c.object(sc, "windowsOptions", scpath);
    if (c.boolean(wo, "hostProcess", scpath + ".windowsOptions").value_or(false))
      c.add(scpath + ".windowsOptions.hostProcess", wo->find("hostProcess")->pos,
            who + " must not set windowsOptions.hostProcess=true");
  };
  one(c.pod_sc(), c.w.spec_path + ".securityContext", "pod");
  for (const auto& ct : c.w.containers)
    one(c.sc(ct), ct.path + ".securityContext", "container " + q(ct.name));
}

void check_probe_hosts(const Ctx& c, Version) {
  for (const auto& ct : c.w.containers) {
    auto handler = [&](const Value* h, const std::string& hp) {
      if (!h || !h->is(Type::Object)) return;
      for (std::string_view k : {"httpGet", "tcpSocket"}) {
        const Value* o = c.object(h, k, hp);
        if (auto host = c.string(o, "host", hp + "." + std::string(k)); host && !host->empty())
          c.add(hp + "." + std::string(k) + ".host", o->find("host")->pos,
                "container " + q(ct.name) + " must not set a probe or lifecycle host (" + q(*host) + ")");
      }
    };
    for (std::string_view p : {"livenessProbe", "readinessProbe", "startupProbe"})
      handler(c.object(ct.v, p, ct.path), ct.path + "." + std::string(p));
    const Value* lc = c.object(ct.v, "lifecycle", ct.path);
    for (std::string_view p : {"postStart", "preStop"})
      handler(c.object(lc, p, ct.path + ".lifecycle"), ct.path + ".lifecycle." + std::string(p));
  }
}

// -- restricted --

// `image` was added to PSA's 1.0 function in place (Kubernetes 1.33): allowed at every policy version.
const std::set<std::string, std::less<>> kRestrictedVolumes = {
    "configMap", "csi",   "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim",
    "projected", "secret"};

void check_restricted_volumes(const Ctx& c, Version) {
  const Value* vols = c.array(c.w.spec, "volumes", c.w.spec_path);
  if (!vols) return;
  for (size_t i = 0; i < vols->items.size(); ++i) {
    const Value& vol = vols->items[i];
    std::string vp = c.w.spec_path + ".volumes[" + std::to_string(i) + "]";
    if (!vol.is(Type::Object)) {
      c.bad_type(vp, vol, "an object");
      continue;
    }
    const json::Member* bad = nullptr;
    bool allowed = false, any = false;
    for (const auto& m : vol.members) {
      if (m.key == "name" || m.value.is(Type::Null)) continue;
      any = true;
      if (kRestrictedVolumes.count(m.key))
        allowed = true;
      else if (!bad)
        bad = &m;
    }
    // No source at all: the API server defaults it to emptyDir.
    if (!any || allowed) continue;
    c.add(vp + "." + bad->key, bad->value.pos,
          "volume " + q(str_or(get(&vol, "name"))) + " must not use volume type " + q(bad->key) +
              " (allowed: configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, "
              "projected, secret)");
  }
}

void check_allow_privilege_escalation(const Ctx& c, Version v) {
  if (v.minor >= 25 && windows_pod(c.w)) return;
  for (const auto& ct : c.w.containers) {
    const Value* sc = c.sc(ct);
    auto b = c.boolean(sc, "allowPrivilegeEscalation", ct.path + ".securityContext");
    if (b == false) continue;
    const Value* at = b ? sc->find("allowPrivilegeEscalation") : nullptr;
    c.add(ct.path + ".securityContext.allowPrivilegeEscalation", at ? at->pos : ct.v->pos,
          "container " + q(ct.name) + " must set securityContext.allowPrivilegeEscalation=false" +
              (b ? std::string(" (it sets true)") : std::string(" (unset)")));
  }
}

void check_run_as_non_root(const Ctx& c, Version v) {
  if (userns_relaxed(c.w, v)) return;
  std::string pp = c.w.spec_path + ".securityContext";
  const Value* psc = c.pod_sc();
  auto pod = c.boolean(psc, "runAsNonRoot", pp);
  if (pod == false)
    c.add(pp + ".runAsNonRoot", psc->find("runAsNonRoot")->pos, "pod must not set runAsNonRoot=false");
  for (const auto& ct : c.w.containers) {
    const Value* sc = c.sc(ct);
    auto b = c.boolean(sc, "runAsNonRoot", ct.path + ".securityContext");
    if (b == true) continue;
    if (b == false) {
      c.add(ct.path + ".securityContext.runAsNonRoot", sc->find("runAsNonRoot")->pos,
            "container " + q(ct.name) + " must not set runAsNonRoot=false");
    } else if (pod != true) {
      c.add(ct.path + ".securityContext.runAsNonRoot", ct.v->pos,
            "container " + q(ct.name) + " must set runAsNonRoot=true (in its securityContext or the pod's)");
    }
  }
}

void check_run_as_user(const Ctx& c, Version v) {
  if (userns_relaxed(c.w, v)) return;
  std::string pp = c.w.spec_path + ".securityContext";
  const Value* psc = c.pod_sc();
  if (c.integer(psc, "runAsUser", pp) == 0)
    c.add(pp + ".runAsUser", psc->find("runAsUser")->pos, "pod must not set runAsUser=0");
  for (const auto& ct : c.w.containers) {
    const Value* sc = c.sc(ct);
    if (c.integer(sc, "runAsUser", ct.path + ".securityContext") == 0)
      c.add(ct.path + ".securityContext.runAsUser", sc->find("runAsUser")->pos,
            "container " + q(ct.name) + " must not set runAsUser=0");
  }
}

void check_seccomp_restricted(const Ctx& c, Version v) {
  if (v.minor >= 25 && windows_pod(c.w)) return;
  auto type_of = [&](const Value* sc, const std::string& scpath) -> std::optional<std::string> {
    const Value* sp = c.object(sc, "seccompProfile", scpath);
    if (!sp) return std::nullopt;
    return c.string(sp, "type", scpath + ".seccompProfile").value_or("");
  };
  auto ok = [](const std::string& t) { return t == "RuntimeDefault" || t == "Localhost"; };
  auto type_pos = [](const Value* sc) {  // the type's position, else the seccompProfile's
    const Value* sp = sc->find("seccompProfile");
    const Value* t = sp->find("type");
    return t ? t->pos : sp->pos;
  };
  std::string pp = c.w.spec_path + ".securityContext";
  const Value* psc = c.pod_sc();
  auto pod = type_of(psc, pp);
  if (pod && !ok(*pod))
    c.add(pp + ".seccompProfile.type", type_pos(psc),
          "pod must not set seccompProfile.type to " + q(*pod) + " (allowed: RuntimeDefault, Localhost)");
  for (const auto& ct : c.w.containers) {
    const Value* sc = c.sc(ct);
    auto t = type_of(sc, ct.path + ".securityContext");
    if (t && ok(*t)) continue;
    if (t) {
      c.add(ct.path + ".securityContext.seccompProfile.type", type_pos(sc),
            "container " + q(ct.name) + " must not set seccompProfile.type to " + q(*t) +
                " (allowed: RuntimeDefault, Localhost)");
    } else if (!(pod && ok(*pod))) {
      c.add(ct.path + ".securityContext.seccompProfile.type", ct.v->pos,
            "container " + q(ct.name) +
                " must set seccompProfile.type to RuntimeDefault or Localhost (in its "
                "securityContext or the pod's)");
    }
  }
}

void check_capabilities_restricted(const Ctx& c, Version v) {
  if (v.minor >= 25 && windows_pod(c.w)) return;
  for (const auto& ct : c.w.containers) {
    std::string p = ct.path + ".securityContext.capabilities";
    const Value* caps = c.object(c.sc(ct), "capabilities", ct.path + ".securityContext");
    const Value* drop = c.array(caps, "drop", p);
    bool all = false;
    if (drop)
      for (const auto& d : drop->items) all = all || (d.is(Type::String) && d.text == "ALL");
    if (!all)
      c.add(p + ".drop", drop ? drop->pos : ct.v->pos,
            "container " + q(ct.name) + " must set securityContext.capabilities.drop=[\"ALL\"]");
    if (const Value* add = c.array(caps, "add", p))
      for (size_t i = 0; i < add->items.size(); ++i) {
        const Value& a = add->items[i];
        if (!a.is(Type::String) || a.text != "NET_BIND_SERVICE")
          c.add(p + ".add[" + std::to_string(i) + "]", a.pos,
                "container " + q(ct.name) + " must not add capability " +
                    q(a.is(Type::String) ? a.text : "?") + " (restricted allows only NET_BIND_SERVICE)");
      }
  }
}

using CheckFn = void (*)(const Ctx&, Version);
struct CheckImpl {
  PssCheck info;
  CheckFn fn;
};

const std::vector<CheckImpl>& impls() {
  static const std::vector<CheckImpl> v = {
      {{"hostNamespaces", Level::Baseline, 0, {0}, "hostNetwork, hostPID, hostIPC must be false or unset"},
       check_host_namespaces},
      {{"privileged", Level::Baseline, 0, {0}, "no privileged container"}, check_privileged},
      {{"capabilities_baseline", Level::Baseline, 0, {0}, "capabilities.add only from the baseline set"},
       check_capabilities_baseline},
      {{"hostPathVolumes", Level::Baseline, 0, {0}, "no hostPath volume"}, check_host_path_volumes},
      {{"hostPorts", Level::Baseline, 0, {0}, "no hostPort"}, check_host_ports},
      {{"appArmorProfile",
        Level::Baseline,
        0,
        {0},
        "AppArmor: RuntimeDefault or Localhost (fields); runtime/default or localhost/* (annotations)"},
       check_apparmor},
      {{"seLinuxOptions",
        Level::Baseline,
        0,
        {0, 31},
        "SELinux type from the allowed set (container_engine_t from 1.31); no user or role"},
       check_selinux},
      {{"procMount",
        Level::Baseline,
        0,
        {0, 35},
        "procMount Default or unset (any for hostUsers: false from 1.35)"},
       check_proc_mount},
      {{"seccompProfile_baseline",
        Level::Baseline,
        0,
        {0, 19},
        "seccomp not Unconfined: annotations before 1.19, fields from 1.19"},
       check_seccomp_baseline},
      {{"sysctls",
        Level::Baseline,
        0,
        {0, 27, 29, 32},
        "only safe sysctls (the set grew in 1.27, 1.29, 1.32)"},
       check_sysctls},
      {{"windowsHostProcess", Level::Baseline, 0, {0}, "no Windows HostProcess"}, check_windows_host_process},
      {{"hostProbesAndHostLifecycle", Level::Baseline, 34, {34}, "no host in probes and lifecycle handlers"},
       check_probe_hosts},
      {{"restrictedVolumes", Level::Restricted, 0, {0}, "only the restricted volume types"},
       check_restricted_volumes},
      {{"allowPrivilegeEscalation",
        Level::Restricted,
        8,
        {8, 25},
        "allowPrivilegeEscalation=false on every container (Windows pods exempt from 1.25)"},
       check_allow_privilege_escalation},
      {{"runAsNonRoot",
        Level::Restricted,
        0,
        {0, 35},
        "runAsNonRoot=true (pod or every container), never false (not for hostUsers: false from 1.35)"},
       check_run_as_non_root},
      {{"runAsUser",
        Level::Restricted,
        23,
        {23, 35},
        "runAsUser never 0 (not for hostUsers: false from 1.35)"},
       check_run_as_user},
      {{"procMount_restricted",
        Level::Restricted,
        35,
        {35},
        "procMount Default or unset, user namespace or not"},
       check_proc_mount_restricted},
      {{"seccompProfile_restricted",
        Level::Restricted,
        19,
        {19, 25},
        "seccompProfile RuntimeDefault or Localhost (pod or every container; Windows pods exempt from 1.25)"},
       check_seccomp_restricted},
      {{"capabilities_restricted",
        Level::Restricted,
        22,
        {22, 25},
        "drop ALL, add only NET_BIND_SERVICE (Windows pods exempt from 1.25)"},
       check_capabilities_restricted},
  };
  return v;
}

}  // namespace

const std::vector<PssCheck>& pss_checks() {
  static const std::vector<PssCheck> v = [] {
    std::vector<PssCheck> r;
    for (const auto& i : impls()) r.push_back(i.info);
    return r;
  }();
  return v;
}

std::vector<const PssCheck*> pss_checks_for(Level level, Version v) {
  std::vector<const PssCheck*> r;
  for (const auto& c : pss_checks()) {
    if (c.since_minor > v.minor) continue;
    if (c.level == Level::Restricted && level == Level::Baseline) continue;
    // Overridden in restricted (PSA's OverrideCheckIDs).
    if (level == Level::Restricted && c.id == "hostPathVolumes") continue;
    if (level == Level::Restricted && c.id == "procMount" && v.minor >= 35) continue;
    r.push_back(&c);
  }
  return r;
}

void check_pss(const Workload& w, Level level, Version v, std::vector<Finding>& out) {
  if (!w.supported) return;
  if (!w.spec) {
    out.push_back(Finding{"podSpec", "scan", Severity::Error, w.spec_path, w.pos,
                          "no pod spec at " + w.spec_path + " (an object is required)"});
    return;
  }
  for (const auto* pc : pss_checks_for(level, v)) {
    const CheckImpl& impl = impls()[size_t(pc - pss_checks().data())];
    Ctx c{w, out, std::string(pc->id), pc->level == Level::Baseline ? "pss-baseline" : "pss-restricted"};
    impl.fn(c, v);
  }
}

// ---- versions ----------------------------------------------------------------------------------

void check_versions(const Workload& w, Version v, std::vector<Finding>& out) {
  if (!w.supported || !w.spec) return;
  Ctx c{w, out, "confine/fieldVersion", "confine", Severity::Error};
  auto scs = [&](auto fn) {
    fn(get(w.spec, "securityContext"), w.spec_path + ".securityContext");
    for (const auto& ct : w.containers) fn(get(ct.v, "securityContext"), ct.path + ".securityContext");
  };
  scs([&](const Value* sc, const std::string& p) {
    if (!sc || !sc->is(Type::Object)) return;
    if (const Value* ap = sc->find("appArmorProfile"); ap && v.minor < 30)
      c.add(p + ".appArmorProfile", ap->pos,
            "the appArmorProfile field exists from Kubernetes 1.30; at " + v.str() +
                " the API server drops it and the container runs without this profile (use the annotation "
                "container.apparmor.security.beta.kubernetes.io/NAME)");
    if (const Value* sp = sc->find("seccompProfile"); sp && v.minor < 19)
      c.add(p + ".seccompProfile", sp->pos,
            "the seccompProfile field exists from Kubernetes 1.19; at " + v.str() +
                " the API server drops it (use the seccomp annotations)");
  });
  const Value* an = annotations(w);
  if (!an) return;
  Ctx d{w, out, "confine/deprecatedAnnotation", "confine", Severity::Warning};
  for (const auto& m : an->members) {
    bool seccomp = m.key == kSeccompPodAnnotation || m.key.starts_with(kSeccompContainerAnnotation);
    std::string p = w.meta_path + ".annotations[" + q(m.key) + "]";
    if (seccomp && v.minor >= 27) {
      d.sev = Severity::Error;
      d.add(p, m.value.pos,
            "seccomp annotations are ignored from Kubernetes 1.27 (" + v.str() +
                "): the container runs without this profile; use securityContext.seccompProfile");
      d.sev = Severity::Warning;
    } else if (seccomp && v.minor >= 19) {
      d.add(p, m.value.pos,
            "seccomp annotations are deprecated since 1.19 and ignored from 1.27: use "
            "securityContext.seccompProfile");
    } else if (m.key.starts_with(kAppArmorAnnotation) && v.minor >= 30) {
      d.add(
          p, m.value.pos,
          "the AppArmor annotation is deprecated from 1.30: use securityContext.appArmorProfile (tools that "
          "read only one of the two disagree; from 1.34 the API server no longer copies the field into the "
          "annotation)");
    }
  }
}

// ---- bundle ------------------------------------------------------------------------------------

namespace {

Result<std::string> read_small(const std::string& path) { return file::read_file(path, 1u << 20); }

}  // namespace

namespace {

// base64 (RFC 4648, with padding) of a ConfigMap's binaryData.
Result<std::string> unbase64(std::string_view s, const std::string& what) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : s) {
    if (c == '=') {
      ++pad;
      continue;
    }
    int v = val(c);
    if (v < 0 || pad) return Error(what + ": not base64");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xFF));
    }
  }
  if (pad > 2) return Error(what + ": not base64");
  return out;
}

// One part of a bundle: a directory of files (a ConfigMap's data as files, or a ConfigMap volume),
// or a ConfigMap object of `confine k8s bundle`'s output directory (its data and binaryData).
struct Part {
  std::string label;  // a directory, or FILE:LINE of the ConfigMap
  std::string dir;    // "" for a ConfigMap object
  std::map<std::string, std::string> files;
  Result<std::string> read(const std::string& name) const {
    if (!dir.empty()) return read_small(dir + "/" + name);
    auto it = files.find(name);
    if (it == files.end()) return Error(label + ": no key " + name);
    return it->second;
  }
};

// The ConfigMaps holding a bundle.json in the *.yaml/*.yml/*.json files of `dir` (what `confine k8s
// bundle -o DIR` writes, or `kubectl kustomize DIR` rendered into one file).
Result<std::vector<Part>> configmap_parts(const std::string& dir) {
  std::vector<Part> out;
  CONFINE_TRY(std::vector<scan::Document> docs,
              scan::load_manifests(dir, /*tune_heap=*/false));  // the webhook loads bundles too
  for (const auto& o : scan::objects(docs)) {
    const Value* kind = o.v->find("kind");
    if (!kind || !kind->is(Type::String) || kind->text != "ConfigMap") continue;
    Part p;
    p.label = o.doc->file + ":" + std::to_string(o.v->pos.line);
    for (const char* field : {"data", "binaryData"}) {
      const Value* d = o.v->find(field);
      if (!d || !d->is(Type::Object)) continue;
      for (const auto& m : d->members) {
        if (!m.value.is(Type::String)) {
          SourcePos at = m.value.pos;  // scan's positions carry no file name: the document's
          at.file = o.doc->file;
          return Error::at(at, field + std::string(".") + m.key + ": not a string");
        }
        if (std::string_view(field) == "data") {
          p.files[m.key] = m.value.text;
        } else {
          CONFINE_TRY(std::string bytes, unbase64(m.value.text, p.label + " binaryData." + m.key));
          p.files[m.key] = std::move(bytes);
        }
      }
    }
    if (p.files.count("bundle.json")) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<Bundle> load_bundle(const std::string& dir) {
  Bundle b;
  b.dir = dir;
  std::vector<Part> parts;
  struct stat st {};
  if (::stat((dir + "/bundle.json").c_str(), &st) == 0) {
    parts.push_back(Part{dir, dir, {}});
  } else {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return Error::sys("opendir(\"" + dir + "\")", errno).context("--bundle");
    std::vector<std::string> subs;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.starts_with(".")) continue;
      if (::stat((dir + "/" + n + "/bundle.json").c_str(), &st) == 0) subs.push_back(dir + "/" + n);
    }
    ::closedir(d);
    std::sort(subs.begin(), subs.end());
    for (const auto& s : subs) parts.push_back(Part{s, s, {}});
    if (parts.empty()) {
      auto cms = configmap_parts(dir);
      if (!cms) return std::move(cms).error().context("--bundle " + dir);
      parts = std::move(*cms);
    }
    if (parts.empty())
      return Error("--bundle " + dir +
                   ": no bundle.json there, in a sub-directory or in a ConfigMap of its manifests "
                   "(docs/kubernetes.md \"Bundle format\")");
  }
  for (const auto& part : parts) {
    CONFINE_TRY(std::string text, part.read("bundle.json"));
    CONFINE_TRY(Manifest m, parse_manifest(text, part.label + "/bundle.json"));
    if (b.hash.empty()) b.hash = m.bundle;
    for (const auto& e : m.profiles) {
      BundleProfile p;
      p.id = e.id();
      if (!e.error.empty()) {
        p.problem = e.error;
      } else {
        // Every file with its manifest sha256, and the content address H recomputed.
        std::string problem;
        auto load = [&](const std::optional<BundleFile>& f, std::string& into) -> bool {
          if (!f) return true;
          auto t = part.read(f->file);
          if (!t) {
            problem = t.error().message();
            return false;
          }
          if (sha256_hex(*t) != f->sha256) {
            problem = f->file + ": sha256 differs from bundle.json";
            return false;
          }
          into = std::move(*t);
          return true;
        };
        std::string sec, aa, beh;
        bool ok = load(e.seccomp, sec) && load(e.apparmor, aa) && load(e.behavior, beh);
        if (ok && !e.seccomp) {
          ok = false;
          problem = "no seccomp file";
        }
        if (ok) {
          std::string aan = normalise_apparmor(aa, e.hash);
          if (profile_hash(e.mode, sec, e.apparmor ? &aan : nullptr, e.behavior ? &beh : nullptr) != e.hash) {
            ok = false;
            problem = "content does not give the hash " + e.hash + " in its name";
          }
        }
        if (ok && e.behavior) {
          auto bh = behavior::parse_behavior(beh, part.label + "/" + e.behavior->file);
          if (!bh) {
            ok = false;
            problem = bh.error().message();
          } else {
            for (const auto& [cap, why] : generate::inferred_caps(*bh)) {
              (void)why;
              std::string n = cap;
              if (n.starts_with("CAP_")) n = n.substr(4);
              p.used_caps.insert(n);
            }
            p.behavior = std::move(*bh);
          }
        }
        p.content_ok = ok;
        p.problem = problem;
      }
      if (e.seccomp) p.seccomp_file = e.seccomp->file;
      p.apparmor_profile = e.apparmor_profile;
      if (!p.seccomp_file.empty()) b.by_seccomp["confine/" + p.seccomp_file] = p;
      if (!p.apparmor_profile.empty()) b.by_apparmor[p.apparmor_profile] = p;
    }
  }
  return b;
}

namespace {

struct Effective {
  std::string type, localhost;  // type "" = unset
  std::string path;             // where it was set
  SourcePos pos;
};

// The seccomp profile a container runs with: its field, else the pod's (annotations: before 1.27).
Effective effective_seccomp(const Workload& w, const Container& ct, Version v) {
  Effective e;
  auto from = [&](const Value* sc, const std::string& p) {
    const Value* sp = get(sc, "seccompProfile");
    if (!sp || !sp->is(Type::Object) || !e.type.empty()) return;
    e.type = str_or(get(sp, "type"));
    e.localhost = str_or(get(sp, "localhostProfile"));
    e.path = p + ".seccompProfile";
    e.pos = sp->pos;
  };
  if (v.minor >= 19) {
    from(get(ct.v, "securityContext"), ct.path + ".securityContext");
    from(get(w.spec, "securityContext"), w.spec_path + ".securityContext");
  }
  if (e.type.empty() && v.minor < 27)
    if (const Value* an = annotations(w)) {
      for (std::string key :
           {std::string(kSeccompContainerAnnotation) + ct.name, std::string(kSeccompPodAnnotation)}) {
        const Value* a = an->find(key);
        if (!a || !a->is(Type::String)) continue;
        e.path = w.meta_path + ".annotations[" + q(key) + "]";
        e.pos = a->pos;
        if (a->text.starts_with("localhost/")) {
          e.type = "Localhost";
          e.localhost = a->text.substr(10);
        } else {
          e.type = a->text == "unconfined" ? "Unconfined" : "RuntimeDefault";
        }
        break;
      }
    }
  return e;
}

Effective effective_apparmor(const Workload& w, const Container& ct, Version v) {
  Effective e;
  auto from = [&](const Value* sc, const std::string& p) {
    const Value* ap = get(sc, "appArmorProfile");
    if (!ap || !ap->is(Type::Object) || !e.type.empty()) return;
    e.type = str_or(get(ap, "type"));
    e.localhost = str_or(get(ap, "localhostProfile"));
    e.path = p + ".appArmorProfile";
    e.pos = ap->pos;
  };
  if (v.minor >= 30) {
    from(get(ct.v, "securityContext"), ct.path + ".securityContext");
    from(get(w.spec, "securityContext"), w.spec_path + ".securityContext");
  }
  if (e.type.empty())
    if (const Value* an = annotations(w)) {
      std::string key = std::string(kAppArmorAnnotation) + ct.name;
      if (const Value* a = an->find(key); a && a->is(Type::String)) {
        e.path = w.meta_path + ".annotations[" + q(key) + "]";
        e.pos = a->pos;
        if (a->text.starts_with("localhost/")) {
          e.type = "Localhost";
          e.localhost = a->text.substr(10);
        } else {
          e.type = a->text == "unconfined" ? "Unconfined" : "RuntimeDefault";
        }
      }
    }
  return e;
}

}  // namespace

void check_bundle(const Workload& w, const Bundle& b, Version v, std::vector<Finding>& out) {
  if (!w.supported || !w.spec) return;
  const Value* vols = get(w.spec, "volumes");
  for (const auto& ct : w.containers) {
    Effective sec = effective_seccomp(w, ct, v);
    const BundleProfile* prof = nullptr;
    if (sec.type == "Localhost") {
      auto it = b.by_seccomp.find(sec.localhost);
      if (it == b.by_seccomp.end()) {
        out.push_back({"confine/seccompProfileInBundle", "confine", Severity::Error, sec.path, sec.pos,
                       "container " + q(ct.name) + ": Localhost seccomp profile " + q(sec.localhost) +
                           " is not in the bundle " + b.dir +
                           " (expected confine/NAME-HASH.json of a profile the bundle lists)"});
      } else if (!it->second.content_ok) {
        out.push_back({"confine/seccompProfileInBundle", "confine", Severity::Error, sec.path, sec.pos,
                       "container " + q(ct.name) + ": profile " + q(sec.localhost) +
                           " is listed in the bundle but " + it->second.problem});
      } else {
        prof = &it->second;
      }
    }
    Effective aa = effective_apparmor(w, ct, v);
    if (aa.type == "Localhost") {
      auto it = b.by_apparmor.find(aa.localhost);
      if (it == b.by_apparmor.end())
        out.push_back({"confine/appArmorProfileInBundle", "confine", Severity::Error, aa.path, aa.pos,
                       "container " + q(ct.name) + ": Localhost AppArmor profile " + q(aa.localhost) +
                           " is not in the bundle " + b.dir});
      else if (!it->second.content_ok)
        out.push_back({"confine/appArmorProfileInBundle", "confine", Severity::Error, aa.path, aa.pos,
                       "container " + q(ct.name) + ": AppArmor profile " + q(aa.localhost) +
                           " is listed in the bundle but " + it->second.problem});
      else if (prof && it->second.id != prof->id)
        out.push_back({"confine/appArmorProfileInBundle", "confine", Severity::Warning, aa.path, aa.pos,
                       "container " + q(ct.name) + ": AppArmor profile from " + it->second.id +
                           " but seccomp profile from " + prof->id + " (recorded separately)"});
    }
    if (!prof || !prof->behavior) continue;
    // Capabilities added beyond what the recorded behaviour used.
    const Value* add = get_path(ct.v, {"securityContext", "capabilities", "add"});
    if (add && add->is(Type::Array))
      for (size_t i = 0; i < add->items.size(); ++i) {
        const Value& a = add->items[i];
        if (!a.is(Type::String)) continue;
        std::string n = a.text.starts_with("CAP_") ? a.text.substr(4) : a.text;
        if (!prof->used_caps.count(n))
          out.push_back({"confine/capabilitiesBeyondBehavior", "confine", Severity::Error,
                         ct.path + ".securityContext.capabilities.add[" + std::to_string(i) + "]", a.pos,
                         "container " + q(ct.name) + " adds " + n + " but the behaviour recorded for " +
                             prof->id + " never needed it"});
      }
    // A writable root where the behaviour wrote nothing outside the container's emptyDirs.
    const Value* ro = get_path(ct.v, {"securityContext", "readOnlyRootFilesystem"});
    if (ro && ro->is(Type::Bool) && ro->boolean) continue;
    std::vector<std::string> empty_dirs;
    if (const Value* mounts = get(ct.v, "volumeMounts"); mounts && mounts->is(Type::Array))
      for (const auto& m : mounts->items) {
        std::string vn = str_or(get(&m, "name")), mp = str_or(get(&m, "mountPath"));
        if (vols && vols->is(Type::Array))
          for (const auto& vol : vols->items)
            if (str_or(get(&vol, "name")) == vn && get(&vol, "emptyDir")) empty_dirs.push_back(mp);
      }
    std::string wrote;
    for (const auto& [path, acc] : prof->behavior->files) {
      if (!(acc & (behavior::kWrite | behavior::kCreate | behavior::kUnlink))) continue;
      // Kernel file systems the runtime mounts writable anyway.
      if (path.starts_with("/dev/") || path.starts_with("/proc/") || path.starts_with("/sys/")) continue;
      bool inside = false;
      for (const auto& d : empty_dirs)
        inside = inside || path == d || path.starts_with(d.ends_with("/") ? d : d + "/");
      if (!inside) {
        wrote = path;
        break;
      }
    }
    if (wrote.empty() && !prof->behavior->files_truncated)
      out.push_back({"confine/writableRootUnused", "confine", Severity::Warning,
                     ct.path + ".securityContext.readOnlyRootFilesystem", ro ? ro->pos : ct.v->pos,
                     "container " + q(ct.name) + " has a writable root but the behaviour recorded for " +
                         prof->id +
                         " wrote nothing outside its emptyDir volumes: set readOnlyRootFilesystem: true"});
  }
}

}  // namespace confine::k8s::rules
