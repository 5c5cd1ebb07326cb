#include "k8s/policy.h"

#include <cctype>
#include <functional>
#include <set>

namespace confine::k8s::policy {

using json::Value;

namespace {

constexpr std::string_view S = "variables.podSpec";
constexpr std::string_view M = "variables.podMeta";

std::string str(std::string_view s) { return std::string(s); }

// "has(b.a) && has(b.a.b) ..." : the dotted field is set.
std::string set(std::string_view base, std::string_view dotted) {
  std::string r, cur(base);
  size_t b = 0;
  while (b <= dotted.size()) {
    size_t e = dotted.find('.', b);
    if (e == std::string_view::npos) e = dotted.size();
    cur += "." + std::string(dotted.substr(b, e - b));
    r += (r.empty() ? "" : " && ") + ("has(" + cur + ")");
    b = e + 1;
  }
  return "(" + r + ")";
}

// Every container of every kind satisfies P (P uses `c`). Each list separately: Container and
// EphemeralContainer are different schema types.
std::string all_containers(const std::string& p) {
  std::string r;
  for (std::string_view l : {"initContainers", "containers", "ephemeralContainers"})
    r += (r.empty() ? "" : " && ") +
         ("(!has(" + str(S) + "." + str(l) + ") || " + str(S) + "." + str(l) + ".all(c, " + p + "))");
  return r;
}

std::string list(const std::set<std::string, std::less<>>& s) {
  std::string r = "[";
  for (const auto& x : s) r += (r.size() > 1 ? ", '" : "'") + x + "'";
  return r + "]";
}

// sc is "c.securityContext" or "variables.podSpec.securityContext"; the owner is "c" or S.
std::string field_not(std::string_view owner, std::string_view dotted, const std::string& ok_expr) {
  return "(!" + set(owner, dotted) + " || " + ok_expr + ")";
}

std::string windows() { return "(" + set(S, "os.name") + " && " + str(S) + ".os.name == 'windows')"; }
// A pod in a user namespace (PSA's relaxPolicyForUserNamespacePod, from policy 1.35).
std::string userns() { return "(has(" + str(S) + ".hostUsers) && " + str(S) + ".hostUsers == false)"; }

}  // namespace

std::vector<Variable> variables() {
  return {
      {"podSpec",
       "object.kind == 'Pod' ? object.spec : object.kind == 'CronJob' ? "
       "object.spec.jobTemplate.spec.template.spec "
       ": object.kind == 'PodTemplate' ? object.template.spec : object.spec.template.spec"},
      {"hasPodMeta",
       "object.kind == 'Pod' ? has(object.metadata) : object.kind == 'CronJob' ? "
       "has(object.spec.jobTemplate.spec.template.metadata) : object.kind == 'PodTemplate' ? "
       "has(object.template.metadata) : has(object.spec.template.metadata)"},
      {"podMeta",
       "object.kind == 'Pod' ? object.metadata : object.kind == 'CronJob' ? "
       "object.spec.jobTemplate.spec.template.metadata : object.kind == 'PodTemplate' ? "
       "object.template.metadata : "
       "object.spec.template.metadata"},
  };
}

std::vector<Validation> validations(const Options& o, std::string_view params) {
  using rules::Level;
  const unsigned v = o.version.minor;
  std::vector<Validation> out;
  auto add = [&](std::string check, std::string expr) {
    std::string summary;
    for (const auto& c : rules::pss_checks())
      if (c.id == check) summary = std::string(c.summary);
    if (summary.empty()) summary = check;
    out.push_back({check, std::move(expr), check + ": " + summary});
  };
  const std::string psc = str(S) + ".securityContext";
  auto pod_and_containers = [&](const std::string& dotted_in_sc,
                                const std::function<std::string(const std::string&)>& ok) {
    return field_not(S, "securityContext." + dotted_in_sc, ok(psc + "." + dotted_in_sc)) + " && " +
           all_containers(
               field_not("c", "securityContext." + dotted_in_sc, ok("c.securityContext." + dotted_in_sc)));
  };
  auto annotations_all = [&](const std::string& pred /* uses k and the value */) {
    return "(!variables.hasPodMeta || !has(" + str(M) + ".annotations) || " + str(M) +
           ".annotations.all(k, " + pred + "))";
  };
  const std::string ann = str(M) + ".annotations[k]";

  for (const auto* c : rules::pss_checks_for(o.level, o.version)) {
    std::string id(c->id);
    if (id == "hostNamespaces") {
      std::string e;
      for (std::string f : {"hostNetwork", "hostPID", "hostIPC"})
        e += (e.empty() ? "" : " && ") + field_not(S, f, "!" + str(S) + "." + f);
      add(id, e);
    } else if (id == "privileged") {
      add(id, all_containers(field_not("c", "securityContext.privileged", "!c.securityContext.privileged")));
    } else if (id == "capabilities_baseline") {
      std::set<std::string, std::less<>> caps = {
          "AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",      "MKNOD",
          "NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT"};
      add(id,
          all_containers(field_not("c", "securityContext.capabilities.add",
                                   "c.securityContext.capabilities.add.all(a, a in " + list(caps) + ")")));
    } else if (id == "hostPathVolumes") {
      add(id, field_not(S, "volumes", str(S) + ".volumes.all(vol, !has(vol.hostPath))"));
    } else if (id == "hostPorts") {
      add(id, all_containers("(!has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0))"));
    } else if (id == "appArmorProfile") {
      auto ok = [](const std::string& f) {
        return "(has(" + f + ".type) && " + f + ".type in ['RuntimeDefault', 'Localhost'])";
      };
      add(id, pod_and_containers("appArmorProfile", ok) + " && " +
                  annotations_all("!k.startsWith('container.apparmor.security.beta.kubernetes.io/') || " +
                                  ann + " == '' || " + ann + " == 'runtime/default' || " + ann +
                                  ".startsWith('localhost/')"));
    } else if (id == "seLinuxOptions") {
      std::set<std::string, std::less<>> types = {"", "container_t", "container_init_t", "container_kvm_t"};
      if (v >= 31) types.insert("container_engine_t");
      auto ok = [&](const std::string& f) {
        return "((!has(" + f + ".type) || " + f + ".type in " + list(types) + ") && (!has(" + f +
               ".user) || " + f + ".user == '') && (!has(" + f + ".role) || " + f + ".role == ''))";
      };
      add(id, pod_and_containers("seLinuxOptions", ok));
    } else if (id == "procMount" || id == "procMount_restricted") {
      std::string e = all_containers(
          field_not("c", "securityContext.procMount", "c.securityContext.procMount == 'Default'"));
      add(id, id == "procMount" && v >= 35 ? userns() + " || (" + e + ")" : e);
    } else if (id == "seccompProfile_baseline") {
      if (v < 19) {
        auto okv = [&](const std::string& x) {
          return "(" + x + " == 'runtime/default' || " + x + " == 'docker/default' || " + x +
                 ".startsWith('localhost/'))";
        };
        // The pod annotation, and the container annotations of containers that exist.
        std::string e = annotations_all("k != 'seccomp.security.alpha.kubernetes.io/pod' || " + okv(ann));
        e += " && " +
             all_containers(
                 "!variables.hasPodMeta || !has(" + str(M) +
                 ".annotations) || !(('container.seccomp.security.alpha.kubernetes.io/' + c.name) in " +
                 str(M) + ".annotations) || " +
                 okv(str(M) + ".annotations['container.seccomp.security.alpha.kubernetes.io/' + c.name]"));
        add(id, e);
      } else {
        auto ok = [](const std::string& f) {
          return "(has(" + f + ".type) && " + f + ".type in ['RuntimeDefault', 'Localhost'])";
        };
        add(id, pod_and_containers("seccompProfile", ok));
      }
    } else if (id == "sysctls") {
      std::set<std::string, std::less<>> s = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                                              "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
                                              "net.ipv4.ip_unprivileged_port_start"};
      if (v >= 27) s.insert("net.ipv4.ip_local_reserved_ports");
      if (v >= 29)
        s.insert({"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
                  "net.ipv4.tcp_keepalive_probes"});
      if (v >= 32) s.insert({"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"});
      add(id, field_not(S, "securityContext.sysctls", psc + ".sysctls.all(s, s.name in " + list(s) + ")"));
    } else if (id == "windowsHostProcess") {
      auto ok = [](const std::string& f) { return "!" + f; };
      add(id, pod_and_containers("windowsOptions.hostProcess", ok));
    } else if (id == "hostProbesAndHostLifecycle") {
      std::string p;
      auto handler = [&](const std::string& h) {
        for (std::string k : {"httpGet", "tcpSocket"})
          p += (p.empty() ? "" : " && ") +
               field_not("c", h + "." + k + ".host", "c." + h + "." + k + ".host == ''");
      };
      for (std::string pr : {"livenessProbe", "readinessProbe", "startupProbe"}) handler(pr);
      for (std::string lc : {"lifecycle.postStart", "lifecycle.preStop"}) handler(lc);
      add(id, all_containers("(" + p + ")"));
    } else if (id == "restrictedVolumes") {
      // The API server defaults a volume without a source to emptyDir before admission.
      add(id, field_not(S, "volumes",
                        str(S) +
                            ".volumes.all(vol, has(vol.configMap) || has(vol.csi) || has(vol.downwardAPI) || "
                            "has(vol.emptyDir) || has(vol.ephemeral) || has(vol.image) || "
                            "has(vol.persistentVolumeClaim) || "
                            "has(vol.projected) || has(vol.secret))"));
    } else if (id == "allowPrivilegeEscalation") {
      std::string e = all_containers(set("c", "securityContext.allowPrivilegeEscalation") +
                                     " && c.securityContext.allowPrivilegeEscalation == false");
      add(id, v >= 25 ? windows() + " || (" + e + ")" : e);
    } else if (id == "runAsNonRoot") {
      std::string pod_true = "(" + set(S, "securityContext.runAsNonRoot") + " && " + psc + ".runAsNonRoot)";
      std::string e = field_not(S, "securityContext.runAsNonRoot", psc + ".runAsNonRoot") + " && " +
                      all_containers("(" + set("c", "securityContext.runAsNonRoot") +
                                     " ? c.securityContext.runAsNonRoot : " + pod_true + ")");
      add(id, v >= 35 ? userns() + " || (" + e + ")" : e);
    } else if (id == "runAsUser") {
      auto ok = [](const std::string& f) { return f + " != 0"; };
      std::string e = pod_and_containers("runAsUser", ok);
      add(id, v >= 35 ? userns() + " || (" + e + ")" : e);
    } else if (id == "seccompProfile_restricted") {
      auto ok = [](const std::string& f) {
        return "(has(" + f + ".type) && " + f + ".type in ['RuntimeDefault', 'Localhost'])";
      };
      std::string pod_ok =
          "(" + set(S, "securityContext.seccompProfile") + " && " + ok(psc + ".seccompProfile") + ")";
      std::string e = field_not(S, "securityContext.seccompProfile", ok(psc + ".seccompProfile")) + " && " +
                      all_containers("(" + set("c", "securityContext.seccompProfile") + " ? " +
                                     ok("c.securityContext.seccompProfile") + " : " + pod_ok + ")");
      add(id, v >= 25 ? windows() + " || (" + e + ")" : e);
    } else if (id == "capabilities_restricted") {
      std::string e =
          all_containers("(" + set("c", "securityContext.capabilities.drop") +
                         " && c.securityContext.capabilities.drop.exists(d, d == 'ALL')) && " +
                         field_not("c", "securityContext.capabilities.add",
                                   "c.securityContext.capabilities.add.all(a, a == 'NET_BIND_SERVICE')"));
      add(id, v >= 25 ? windows() + " || (" + e + ")" : e);
    }
  }
  if (o.bundle) {
    // Bundle membership through the policy's parameters: space-separated names, with a space at
    // both ends, so membership is one `contains` of " NAME ".
    std::string P(params);
    auto in = [&](const std::string& key, const std::string& x) {
      return P + "." + key + ".contains(' ' + " + x + " + ' ')";
    };
    auto local_ok = [&](const std::string& f, const std::string& key) {
      return "(!(has(" + f + ".type) && " + f + ".type == 'Localhost') || (has(" + f +
             ".localhostProfile) && " + in(key, f + ".localhostProfile") + "))";
    };
    std::string sec = field_not(S, "securityContext.seccompProfile",
                                local_ok(str(S) + ".securityContext.seccompProfile", "seccomp")) +
                      " && " +
                      all_containers(field_not("c", "securityContext.seccompProfile",
                                               local_ok("c.securityContext.seccompProfile", "seccomp")));
    out.push_back({"confine/seccompProfileInBundle", sec,
                   "confine/seccompProfileInBundle: a Localhost seccomp profile must be one of the bundle's "
                   "(name and content hash)"});
    std::string aa = field_not(S, "securityContext.appArmorProfile",
                               local_ok(str(S) + ".securityContext.appArmorProfile", "apparmor")) +
                     " && " +
                     all_containers(field_not("c", "securityContext.appArmorProfile",
                                              local_ok("c.securityContext.appArmorProfile", "apparmor"))) +
                     " && " +
                     annotations_all("!k.startsWith('container.apparmor.security.beta.kubernetes.io/') || !" +
                                     ann + ".startsWith('localhost/') || " + in("apparmorAnnotations", ann));
    out.push_back({"confine/appArmorProfileInBundle", aa,
                   "confine/appArmorProfileInBundle: a Localhost AppArmor profile must be one of the "
                   "bundle's (name and content hash)"});
  }
  return out;
}

namespace {

Value s(std::string x) { return Value::make_string(std::move(x)); }
Value arr(std::initializer_list<std::string> xs) {
  Value a = Value::make_array();
  for (const auto& x : xs) a.push(s(x));
  return a;
}

// The kinds the policy matches (the same as the scan's).
Value resource_rules() {
  Value rs = Value::make_array();
  auto rule = [&](std::initializer_list<std::string> groups, std::initializer_list<std::string> resources) {
    Value r = Value::make_object();
    r.add("apiGroups", arr(groups));
    r.add("apiVersions", arr({"*"}));
    r.add("operations", arr({"CREATE", "UPDATE"}));
    r.add("resources", arr(resources));
    rs.push(std::move(r));
  };
  rule({""}, {"pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"});
  rule({"apps"}, {"deployments", "statefulsets", "daemonsets", "replicasets"});
  rule({"batch"}, {"jobs", "cronjobs"});
  return rs;
}

struct BundleLists {
  std::string seccomp = " ", apparmor = " ", apparmor_annotations = " ";
};
BundleLists lists(const rules::Bundle& b) {
  BundleLists l;
  for (const auto& [k, p] : b.by_seccomp)
    if (p.content_ok) l.seccomp += k + " ";
  for (const auto& [k, p] : b.by_apparmor)
    if (p.content_ok) {
      l.apparmor += k + " ";
      l.apparmor_annotations += "localhost/" + k + " ";
    }
  return l;
}

Value variables_json() {
  Value vs = Value::make_array();
  for (const auto& v : variables()) {
    Value o = Value::make_object();
    o.add("name", s(v.name));
    o.add("expression", s(v.expression));
    vs.push(std::move(o));
  }
  return vs;
}

Value metadata(const std::string& name, const Options& o) {
  Value md = Value::make_object();
  md.add("name", s(name));
  Value an = Value::make_object();
  an.add("confine.dev/level", s(std::string(rules::level_name(o.level))));
  an.add("confine.dev/k8s-version", s(o.version.str()));
  if (o.bundle) an.add("confine.dev/bundle", s(o.bundle->hash));
  md.add("annotations", std::move(an));
  return md;
}

}  // namespace

std::vector<Value> emit(const Options& o) {
  std::vector<Value> objs;
  const std::string ns_param = "confine-system";
  if (o.emit == Emit::Vap || o.emit == Emit::Kyverno) {
    auto vals = validations(o, "params.data");
    if (o.bundle) {
      BundleLists l = lists(*o.bundle);
      Value cm = Value::make_object();
      cm.add("apiVersion", s("v1"));
      cm.add("kind", s("ConfigMap"));
      Value md = Value::make_object();
      md.add("name", s(o.name + "-bundle"));
      md.add("namespace", s(ns_param));
      cm.add("metadata", std::move(md));
      Value d = Value::make_object();
      d.add("seccomp", s(l.seccomp));
      d.add("apparmor", s(l.apparmor));
      d.add("apparmorAnnotations", s(l.apparmor_annotations));
      cm.add("data", std::move(d));
      objs.push_back(std::move(cm));
    }
    auto param_kind = [] {
      Value pk = Value::make_object();
      pk.add("apiVersion", s("v1"));
      pk.add("kind", s("ConfigMap"));
      return pk;
    };
    if (o.emit == Emit::Vap) {
      Value p = Value::make_object();
      p.add("apiVersion", s("admissionregistration.k8s.io/v1"));
      p.add("kind", s("ValidatingAdmissionPolicy"));
      p.add("metadata", metadata(o.name, o));
      Value spec = Value::make_object();
      spec.add("failurePolicy", s("Fail"));
      if (o.bundle) spec.add("paramKind", param_kind());
      Value mc = Value::make_object();
      mc.add("resourceRules", resource_rules());
      spec.add("matchConstraints", std::move(mc));
      spec.add("variables", variables_json());
      Value vs = Value::make_array();
      for (const auto& v : vals) {
        Value x = Value::make_object();
        x.add("expression", s(v.expression));
        x.add("message", s(v.message));
        x.add("reason", s("Forbidden"));
        vs.push(std::move(x));
      }
      spec.add("validations", std::move(vs));
      p.add("spec", std::move(spec));
      objs.push_back(std::move(p));
      Value b = Value::make_object();
      b.add("apiVersion", s("admissionregistration.k8s.io/v1"));
      b.add("kind", s("ValidatingAdmissionPolicyBinding"));
      b.add("metadata", metadata(o.name, o));
      Value bs = Value::make_object();
      bs.add("policyName", s(o.name));
      bs.add("validationActions", arr({"Deny"}));
      if (o.bundle) {
        Value pr = Value::make_object();
        pr.add("name", s(o.name + "-bundle"));
        pr.add("namespace", s(ns_param));
        pr.add("parameterNotFoundAction", s("Deny"));
        bs.add("paramRef", std::move(pr));
      }
      b.add("spec", std::move(bs));
      objs.push_back(std::move(b));
    } else {
      Value p = Value::make_object();
      p.add("apiVersion", s("kyverno.io/v1"));
      p.add("kind", s("ClusterPolicy"));
      p.add("metadata", metadata(o.name, o));
      Value spec = Value::make_object();
      spec.add("validationFailureAction", s("Enforce"));
      spec.add("background", Value::make_bool(true));
      Value rs = Value::make_array();
      Value r = Value::make_object();
      r.add("name", s(o.name));
      Value match = Value::make_object();
      Value any = Value::make_array();
      Value res = Value::make_object();
      Value kinds = arr({"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
                         "ReplicationController", "PodTemplate"});
      res.add("kinds", std::move(kinds));
      Value ra = Value::make_object();
      ra.add("resources", std::move(res));
      any.push(std::move(ra));
      match.add("any", std::move(any));
      r.add("match", std::move(match));
      Value validate = Value::make_object();
      Value cel = Value::make_object();
      if (o.bundle) {
        Value pk = param_kind();
        cel.add("paramKind", std::move(pk));
        Value pr = Value::make_object();
        pr.add("name", s(o.name + "-bundle"));
        pr.add("namespace", s(ns_param));
        pr.add("parameterNotFoundAction", s("Deny"));
        cel.add("paramRef", std::move(pr));
      }
      cel.add("variables", variables_json());
      Value es = Value::make_array();
      for (const auto& v : vals) {
        Value x = Value::make_object();
        x.add("expression", s(v.expression));
        x.add("message", s(v.message));
        es.push(std::move(x));
      }
      cel.add("expressions", std::move(es));
      validate.add("cel", std::move(cel));
      r.add("validate", std::move(validate));
      rs.push(std::move(r));
      spec.add("rules", std::move(rs));
      p.add("spec", std::move(spec));
      objs.push_back(std::move(p));
    }
    return objs;
  }
  // Gatekeeper: a ConstraintTemplate with the CEL engine; the bundle lists are the Constraint's parameters.
  auto vals = validations(o, "variables.params");
  std::string kind = "ConfinePss";
  for (char c : std::string(rules::level_name(o.level))) kind += c;
  kind[10] = static_cast<char>(std::toupper(static_cast<unsigned char>(kind[10])));
  std::string lname;
  for (char c : kind) lname += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Value t = Value::make_object();
  t.add("apiVersion", s("templates.gatekeeper.sh/v1"));
  t.add("kind", s("ConstraintTemplate"));
  t.add("metadata", metadata(lname, o));
  Value ts = Value::make_object();
  Value crd = Value::make_object();
  Value crds = Value::make_object();
  Value names = Value::make_object();
  names.add("kind", s(kind));
  crds.add("names", std::move(names));
  Value valid = Value::make_object();
  Value schema = Value::make_object();
  schema.add("type", s("object"));
  Value props = Value::make_object();
  for (std::string k : {"seccomp", "apparmor", "apparmorAnnotations"}) {
    Value p = Value::make_object();
    p.add("type", s("string"));
    props.add(k, std::move(p));
  }
  schema.add("properties", std::move(props));
  valid.add("openAPIV3Schema", std::move(schema));
  crds.add("validation", std::move(valid));
  crd.add("spec", std::move(crds));
  ts.add("crd", std::move(crd));
  Value targets = Value::make_array();
  Value tg = Value::make_object();
  tg.add("target", s("admission.k8s.gatekeeper.sh"));
  Value code = Value::make_array();
  Value engine = Value::make_object();
  engine.add("engine", s("K8sNativeValidation"));
  Value src = Value::make_object();
  src.add("variables", variables_json());
  Value vs = Value::make_array();
  for (const auto& v : vals) {
    Value x = Value::make_object();
    x.add("expression", s(v.expression));
    x.add("message", s(v.message));
    vs.push(std::move(x));
  }
  src.add("validations", std::move(vs));
  engine.add("source", std::move(src));
  code.push(std::move(engine));
  tg.add("code", std::move(code));
  targets.push(std::move(tg));
  ts.add("targets", std::move(targets));
  t.add("spec", std::move(ts));
  objs.push_back(std::move(t));
  Value c = Value::make_object();
  c.add("apiVersion", s("constraints.gatekeeper.sh/v1beta1"));
  c.add("kind", s(kind));
  c.add("metadata", metadata(o.name, o));
  Value cs = Value::make_object();
  Value match = Value::make_object();
  Value kinds = Value::make_array();
  auto kk = [&](std::initializer_list<std::string> groups, std::initializer_list<std::string> ks) {
    Value k = Value::make_object();
    k.add("apiGroups", arr(groups));
    k.add("kinds", arr(ks));
    kinds.push(std::move(k));
  };
  kk({""}, {"Pod", "ReplicationController", "PodTemplate"});
  kk({"apps"}, {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"});
  kk({"batch"}, {"Job", "CronJob"});
  match.add("kinds", std::move(kinds));
  cs.add("match", std::move(match));
  cs.add("enforcementAction", s("deny"));
  Value params = Value::make_object();
  BundleLists l = o.bundle ? lists(*o.bundle) : BundleLists{};
  params.add("seccomp", s(l.seccomp));
  params.add("apparmor", s(l.apparmor));
  params.add("apparmorAnnotations", s(l.apparmor_annotations));
  cs.add("parameters", std::move(params));
  c.add("spec", std::move(cs));
  objs.push_back(std::move(c));
  return objs;
}

std::string to_json(const std::vector<Value>& objs) {
  Value list = Value::make_object();
  list.add("apiVersion", s("v1"));
  list.add("kind", s("List"));
  Value items = Value::make_array();
  for (const auto& o : objs) items.push(o);
  list.add("items", std::move(items));
  return json::write(list) + "\n";
}

namespace {
// A mapping key written plain when it cannot be read as anything but that string.
std::string yaml_key(const std::string& k) {
  static const std::set<std::string> special = {"true", "false", "null", "yes", "no",
                                                "on",   "off",   "y",    "n",   "~"};
  bool plain = !k.empty() && (std::isalpha(static_cast<unsigned char>(k[0])) || k[0] == '_');
  for (char c : k)
    plain = plain &&
            (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/');
  std::string low;
  for (char c : k) low += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return plain && !special.count(low) ? k : json::quote(k);
}
// Block-style YAML; every string double-quoted (JSON escapes are valid YAML double-quoted escapes),
// so no value is ever re-typed (no "yes"/"no"/"1.30" surprises).
void emit_yaml(const Value& v, int indent, std::string& out, bool in_seq) {
  std::string pad(static_cast<size_t>(indent), ' ');
  auto scalar = [](const Value& x) -> std::string {
    switch (x.type) {
      case json::Type::Null: return "null";
      case json::Type::Bool: return x.boolean ? "true" : "false";
      case json::Type::Number: return x.text;
      case json::Type::String: return json::quote(x.text);
      case json::Type::Array: return "[]";
      case json::Type::Object: return "{}";
    }
    return "null";
  };
  auto nonempty_container = [](const Value& x) {
    return (x.is(json::Type::Object) && !x.members.empty()) || (x.is(json::Type::Array) && !x.items.empty());
  };
  if (v.is(json::Type::Object)) {
    bool first = true;
    for (const auto& m : v.members) {
      std::string lead = (first && in_seq) ? "" : pad;
      first = false;
      out += lead + yaml_key(m.key) + ":";
      if (nonempty_container(m.value)) {
        out += "\n";
        emit_yaml(m.value, indent + 2, out, false);
      } else {
        out += " " + scalar(m.value) + "\n";
      }
    }
  } else if (v.is(json::Type::Array)) {
    for (const auto& i : v.items) {
      out += pad + "- ";
      if (i.is(json::Type::Object) && !i.members.empty()) {
        emit_yaml(i, indent + 2, out, true);
      } else if (i.is(json::Type::Array) && !i.items.empty()) {
        out += "\n";
        emit_yaml(i, indent + 2, out, false);
      } else {
        out += scalar(i) + "\n";
      }
    }
  } else {
    out += pad + scalar(v) + "\n";
  }
}
}  // namespace

std::string yaml(const Value& v) {
  std::string out;
  emit_yaml(v, 0, out, false);
  return out;
}

std::string to_yaml(const std::vector<Value>& objs) {
  std::string out;
  for (const auto& o : objs) out += "---\n" + yaml(o);
  return out;
}

}  // namespace confine::k8s::policy
