// kubesec-compatible scoring. The rule ids, selectors, reasons, kinds and points are kubesec's rule
// table (controlplaneio/kubesec pkg/ruler/ruleset.go, commit a59caad3f523eee9137af89b59978ecda80c0f66),
// so a pipeline reading kubesec's JSON reads ours; the predicates are written here from the semantics
// of pkg/rules/*.go at that commit (a container rule counts the matching containers of every kind,
// init and ephemeral included; a pod-level securityContext value is inherited by a container that
// leaves the field unset, for the fields that exist at pod level).
#include <algorithm>
#include <functional>

#include "k8s/rules.h"

namespace confine::k8s::rules {

using json::Type;
using json::Value;

namespace {
const std::vector<std::string_view> kPodKinds = {"Pod", "Deployment", "StatefulSet", "DaemonSet"};
}

const std::vector<KubesecRule>& kubesec_rules() {
  static const std::vector<KubesecRule> r = {
      {"HostNetwork", ".spec .hostNetwork == true",
       "Sharing the host's network namespace permits processes in the pod to communicate with processes "
       "bound to "
       "the host's loopback adapter",
       kPodKinds, -9},
      {"HostPID", ".spec .hostPID == true",
       "Sharing the host's PID namespace allows visibility of processes on the host, potentially leaking "
       "information such as environment variables and configuration",
       kPodKinds, -9},
      {"HostIPC", ".spec .hostIPC == true",
       "Sharing the host's IPC namespace allows container processes to communicate with processes on the "
       "host",
       kPodKinds, -9},
      {"ReadOnlyRootFilesystem", "containers[] .securityContext .readOnlyRootFilesystem == true",
       "An immutable root filesystem can prevent malicious binaries being added to PATH and increase attack "
       "cost",
       kPodKinds, 1},
      {"RunAsNonRoot", ".spec, .spec.containers[] | .securityContext .runAsNonRoot == true",
       "Force the running image to run as a non-root user to ensure least privilege", kPodKinds, 1},
      {"RunAsUser", ".spec, .spec.containers[] | .securityContext .runAsUser -gt 10000",
       "Run as a high-UID user to avoid conflicts with the host's users", kPodKinds, 1},
      {"RunAsGroup", ".spec, .spec.containers[] | .securityContext .runAsGroup -gt 10000",
       "Run as a high-UID group to avoid conflicts with the host's groups", kPodKinds, 1},
      {"Privileged", "containers[] .securityContext .privileged == true",
       "Privileged containers can allow almost completely unrestricted host access", kPodKinds, -30},
      {"CapSysAdmin", "containers[] .securityContext .capabilities .add == SYS_ADMIN",
       "CAP_SYS_ADMIN is the most privileged capability and should always be avoided", kPodKinds, -30},
      {"CapDropAny", "containers[] .securityContext .capabilities .drop",
       "Reducing kernel capabilities available to a container limits its attack surface", kPodKinds, 1},
      {"CapDropAll", "containers[] .securityContext .capabilities .drop | index(\"ALL\")",
       "Drop all capabilities and add only those required to reduce syscall attack surface", kPodKinds, 1},
      {"DockerSock", "volumes[] .hostPath .path == /var/run/docker.sock",
       "Mounting the docker.socket leaks information about other containers and can allow container breakout",
       kPodKinds, -9},
      {"ProcMount", "volumes[] .hostPath .path == /proc",
       "Mounting the proc directory from the host system into a container gives access to information about "
       "other containers running on the same host and can allow container breakout",
       kPodKinds, -9},
      {"RequestsCPU", "containers[] .resources .requests .cpu",
       "Enforcing CPU requests aids a fair balancing of resources across the cluster", kPodKinds, 1},
      {"LimitsCPU", "containers[] .resources .limits .cpu",
       "Enforcing CPU limits prevents DOS via resource exhaustion", kPodKinds, 1},
      {"RequestsMemory", "containers[] .resources .requests .memory",
       "Enforcing memory requests aids a fair balancing of resources across the cluster", kPodKinds, 1},
      {"LimitsMemory", "containers[] .resources .limits .memory",
       "Enforcing memory limits prevents DOS via resource exhaustion", kPodKinds, 1},
      {"ServiceAccountName", ".spec .serviceAccountName",
       "Service accounts restrict Kubernetes API access and should be configured with least privilege",
       kPodKinds, 3},
      {"HostAliases", ".spec .hostAliases",
       "Managing /etc/hosts aliases can prevent the container from modifying the file after a pod's "
       "containers "
       "have already been started. DNS should be managed by the orchestrator",
       kPodKinds, -3},
      {"SeccompAny",
       ".spec .securityContext .seccompProfile .type | .spec .containers[] .securityContext .seccompProfile "
       ".type "
       "| .spec .initContainers[] .securityContext .seccompProfile .type | .spec .ephemeralContainers[] "
       ".securityContext .seccompProfile .type",
       "Seccomp profiles set minimum privilege and secure against unknown threats", kPodKinds, 1},
      {"SeccompUnconfined",
       ".spec .securityContext .seccompProfile .type | .spec .containers[] .securityContext .seccompProfile "
       ".type "
       "| .spec .initContainers[] .securityContext .seccompProfile .type | .spec .ephemeralContainers[] "
       ".securityContext .seccompProfile .type",
       "Unconfined Seccomp profiles have full system call access", kPodKinds, -1},
      {"ApparmorAny",
       ".spec .securityContext .appArmorProfile .type | .spec .containers[] .securityContext "
       ".appArmorProfile "
       ".type | .spec .initContainers[] .securityContext .appArmorProfile .type | .spec "
       ".ephemeralContainers[] "
       ".securityContext .appArmorProfile .type",
       "Well defined AppArmor policies may provide greater protection from unknown threats.", kPodKinds, 3},
      {"ApparmorUnconfined",
       ".spec .securityContext .appArmorProfile .type | .spec .containers[] .securityContext "
       ".appArmorProfile "
       ".type | .spec .initContainers[] .securityContext .appArmorProfile .type | .spec "
       ".ephemeralContainers[] "
       ".securityContext .appArmorProfile .type",
       "Unconfined AppArmor profiles disable AppArmor enforcement on the workloads", kPodKinds, -1},
      {"VolumeClaimAccessModeReadWriteOnce",
       ".spec .volumeClaimTemplates[] .spec .accessModes | index(\"ReadWriteOnce\")",
       "Setting the access mode of ReadWriteOnce on volumeClaimTemplates (if any exist) allows only one node "
       "to "
       "mount the persistentVolume",
       {"StatefulSet"},
       1},
      {"VolumeClaimRequestsStorage",
       ".spec .volumeClaimTemplates[] .spec .resources .requests .storage",
       "Setting a storage request on volumeClaimTemplates (if any exist) allows for the StatefulSet's PVCs "
       "to be "
       "bound to appropriately sized PVs.",
       {"StatefulSet"},
       1},
      {"AllowPrivilegeEscalation", "containers[] .securityContext .allowPrivilegeEscalation == true",
       "Ensure a non-root process can not gain more privileges", kPodKinds, -7},
      {"AutomountServiceAccountToken", ".spec .automountServiceAccountToken == false",
       "Disabling the automounting of Service Account Token reduces the attack surface of the API server",
       kPodKinds, 1},
      {"HostUsers", ".spec .hostUsers == false",
       "A user namespace for a Pod is enabled by setting the hostUsers field of Pod .spec, which can prevent "
       "various attacks",
       kPodKinds, 1},
      {"SecretsAsEnvironmentVariables",
       ".spec .containers[] .env[] .valueFrom .secretKeyRef | .spec .initContainers[] .env[] .valueFrom "
       ".secretKeyRef | .spec .ephemeralContainers[] .env[] .valueFrom .secretKeyRef | .spec .containers[] "
       ".envFrom[] .secretRef | .spec .initContainers[] .envFrom[] .secretRef | .spec .ephemeralContainers[] "
       ".envFrom[] .secretRef",
       "Secrets passed as environment variables can be easily exposed through application logs, crash dumps, "
       "and "
       "system process inspection",
       {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"},
       -5},
      {"BindingsToSystemAnonymous",
       ".subjects[] .name == \"system:anonymous\"",
       "Binding a Role or a ClusterRole to user system:anonymous gives any unauthenticated user the "
       "permissions "
       "granted by that role",
       {"RoleBinding", "ClusterRoleBinding"},
       -30},
  };
  return r;
}

namespace {

const Value* get(const Value* v, std::string_view k) {
  return v && v->is(Type::Object) ? v->find(k) : nullptr;
}
const Value* dig(const Value* v, std::initializer_list<std::string_view> ks) {
  for (auto k : ks) v = get(v, k);
  return v;
}
bool is_true(const Value* v) { return v && v->is(Type::Bool) && v->boolean; }
bool is_false(const Value* v) { return v && v->is(Type::Bool) && !v->boolean; }
const std::vector<Value>* arr(const Value* v) { return v && v->is(Type::Array) ? &v->items : nullptr; }

// kubesec's getSpecSelector: Pod -> spec, CronJob -> spec.jobTemplate.spec.template.spec, else
// spec.template.spec.
const Value* spec_of(const Value& obj, const std::string& kind) {
  if (kind == "Pod") return get(&obj, "spec");
  if (kind == "CronJob") return dig(&obj, {"spec", "jobTemplate", "spec", "template", "spec"});
  return dig(&obj, {"spec", "template", "spec"});
}

// A JSON value printed the way Go's fmt "%v" does for the shapes kubesec's substring tests see.
std::string go_v(const Value* v) {
  if (!v) return "<nil>";
  switch (v->type) {
    case Type::String: return v->text;
    case Type::Bool: return v->boolean ? "true" : "false";
    case Type::Number: return v->text;
    case Type::Null: return "<nil>";
    case Type::Array: {
      std::string s = "[";
      for (size_t i = 0; i < v->items.size(); ++i) s += (i ? " " : "") + go_v(&v->items[i]);
      return s + "]";
    }
    case Type::Object: {
      std::vector<std::pair<std::string, const Value*>> ms;
      for (const auto& m : v->members) ms.emplace_back(m.key, &m.value);
      std::sort(ms.begin(), ms.end(), [](auto& a, auto& b) { return a.first < b.first; });
      std::string s = "map[";
      for (size_t i = 0; i < ms.size(); ++i) s += (i ? " " : "") + ms[i].first + ":" + go_v(ms[i].second);
      return s + "]";
    }
  }
  return "";
}

// checkSecurityContext: containers (init, regular, ephemeral) whose own field is valid, or unset
// while the pod-level one is valid (when `pod_level`).
enum class Tri { Unset, Valid, Invalid };
int count_sc(const Value* spec, bool pod_level, const std::function<Tri(const Value* sc)>& fn) {
  bool pod_valid = pod_level && fn(get(spec, "securityContext")) == Tri::Valid;
  int n = 0;
  for (std::string_view list : {"initContainers", "containers", "ephemeralContainers"})
    if (const auto* cs = arr(get(spec, list)))
      for (const auto& c : *cs) {
        Tri t = fn(get(&c, "securityContext"));
        if (t == Tri::Valid || (t == Tri::Unset && pod_valid)) ++n;
      }
  return n;
}
Tri bool_field(const Value* sc, std::string_view k) {
  const Value* v = get(sc, k);
  if (!v || !v->is(Type::Bool)) return Tri::Unset;
  return v->boolean ? Tri::Valid : Tri::Invalid;
}
Tri gt10000(const Value* sc, std::string_view k) {
  const Value* v = get(sc, k);
  if (!v || !v->is(Type::Number)) return Tri::Unset;
  return v->number > 10000 ? Tri::Valid : Tri::Invalid;
}
Tri profile_type(const Value* sc, std::string_view k, bool want_unconfined) {
  const Value* v = dig(sc, {k, "type"});
  if (!v || !v->is(Type::String)) return Tri::Unset;
  return (v->text == "Unconfined") == want_unconfined ? Tri::Valid : Tri::Invalid;
}

int eval_rule(std::string_view id, const Value& obj, const Value* spec) {
  if (id == "HostNetwork" || id == "HostPID" || id == "HostIPC") {
    std::string k = id == "HostNetwork" ? "hostNetwork" : id == "HostPID" ? "hostPID" : "hostIPC";
    return is_true(get(spec, k)) ? 1 : 0;
  }
  if (id == "ReadOnlyRootFilesystem")
    return count_sc(spec, false, [](const Value* sc) { return bool_field(sc, "readOnlyRootFilesystem"); });
  if (id == "RunAsNonRoot")
    return count_sc(spec, true, [](const Value* sc) { return bool_field(sc, "runAsNonRoot"); });
  if (id == "RunAsUser")
    return count_sc(spec, true, [](const Value* sc) { return gt10000(sc, "runAsUser"); });
  if (id == "RunAsGroup")
    return count_sc(spec, true, [](const Value* sc) { return gt10000(sc, "runAsGroup"); });
  if (id == "Privileged")
    return count_sc(spec, false, [](const Value* sc) { return bool_field(sc, "privileged"); });
  if (id == "AllowPrivilegeEscalation")
    return count_sc(spec, false, [](const Value* sc) { return bool_field(sc, "allowPrivilegeEscalation"); });
  if (id == "CapSysAdmin" || id == "CapDropAny" || id == "CapDropAll")
    return count_sc(spec, false, [id](const Value* sc) {
      const Value* v = dig(sc, {"capabilities", id == "CapSysAdmin" ? "add" : "drop"});
      if (!v || v->is(Type::Null)) return Tri::Unset;
      if (id == "CapDropAny") return Tri::Valid;  // kubesec: a drop list at all
      std::string s = go_v(v);
      if (id == "CapDropAll") {
        std::transform(s.begin(), s.end(), s.begin(), ::toupper);
        return s.find("ALL") != std::string::npos ? Tri::Valid : Tri::Invalid;
      }
      return s.find("SYS_ADMIN") != std::string::npos ? Tri::Valid : Tri::Invalid;
    });
  if (id == "DockerSock" || id == "ProcMount") {
    std::string all;
    if (const auto* vs = arr(get(spec, "volumes")))
      for (const auto& v : *vs)
        if (const Value* p = dig(&v, {"hostPath", "path"})) all += go_v(p) + " ";
    if (id == "DockerSock") return all.find("/var/run/docker.sock") != std::string::npos ? 1 : 0;
    // kubesec's ProcMount compares each path with "/proc" exactly.
    if (const auto* vs = arr(get(spec, "volumes")))
      for (const auto& v : *vs)
        if (const Value* p = dig(&v, {"hostPath", "path"}); p && p->is(Type::String) && p->text == "/proc")
          return 1;
    return 0;
  }
  if (id == "RequestsCPU" || id == "LimitsCPU" || id == "RequestsMemory" || id == "LimitsMemory") {
    std::string_view which = id.starts_with("Requests") ? "requests" : "limits";
    std::string_view res = id.ends_with("CPU") ? "cpu" : "memory";
    int n = 0;
    if (const auto* cs = arr(get(spec, "containers")))  // kubesec: regular containers only
      for (const auto& c : *cs)
        if (const Value* v = dig(&c, {"resources", which, res}); v && !v->is(Type::Null)) ++n;
    return n;
  }
  if (id == "ServiceAccountName") {
    const Value* v = get(spec, "serviceAccountName");
    return v && !v->is(Type::Null) ? 1 : 0;
  }
  if (id == "HostAliases") {
    const Value* v = get(spec, "hostAliases");
    return v && !v->is(Type::Null) ? 1 : 0;
  }
  if (id == "SeccompAny" || id == "SeccompUnconfined")
    return count_sc(spec, true, [id](const Value* sc) {
      return profile_type(sc, "seccompProfile", id == "SeccompUnconfined");
    });
  if (id == "ApparmorAny" || id == "ApparmorUnconfined")
    return count_sc(spec, true, [id](const Value* sc) {
      return profile_type(sc, "appArmorProfile", id == "ApparmorUnconfined");
    });
  if (id == "VolumeClaimAccessModeReadWriteOnce" || id == "VolumeClaimRequestsStorage") {
    const auto* ts = arr(dig(&obj, {"spec", "volumeClaimTemplates"}));
    if (!ts || ts->empty()) return 1;  // kubesec: no templates passes
    if (id == "VolumeClaimRequestsStorage") {
      int n = 0;
      for (const auto& t : *ts)
        if (dig(&t, {"spec", "resources", "requests", "storage"})) ++n;
      return n;
    }
    for (const auto& t : *ts)
      if (const auto* ms = arr(dig(&t, {"spec", "accessModes"})))
        if (ms->size() == 1 && (*ms)[0].is(Type::String) && (*ms)[0].text == "ReadWriteOnce") return 1;
    return 0;
  }
  if (id == "AutomountServiceAccountToken")
    return is_false(get(spec, "automountServiceAccountToken")) ? 1 : 0;
  if (id == "HostUsers") return is_false(get(spec, "hostUsers")) ? 1 : 0;
  if (id == "SecretsAsEnvironmentVariables") {
    int n = 0;
    for (std::string_view list : {"containers", "initContainers", "ephemeralContainers"})
      if (const auto* cs = arr(get(spec, list)))
        for (const auto& c : *cs) {
          bool hit = false;
          if (const auto* env = arr(get(&c, "env")))
            for (const auto& e : *env) hit = hit || dig(&e, {"valueFrom", "secretKeyRef"}) != nullptr;
          if (const auto* ef = arr(get(&c, "envFrom")))
            for (const auto& e : *ef) hit = hit || get(&e, "secretRef") != nullptr;
          n += hit;
        }
    return n;
  }
  if (id == "BindingsToSystemAnonymous") {
    if (const auto* ss = arr(get(&obj, "subjects")))
      for (const auto& s : *ss)
        if (const Value* n = get(&s, "name");
            n && n->is(Type::String) && n->text.find("system:anonymous") != std::string::npos)
          return 1;
    return 0;
  }
  return 0;
}

}  // namespace

std::vector<KubesecResult> kubesec_eval(const Value& obj) {
  std::vector<KubesecResult> r;
  const Value* k = get(&obj, "kind");
  std::string kind = k && k->is(Type::String) ? k->text : "";
  const Value* spec = spec_of(obj, kind);
  for (const auto& rule : kubesec_rules()) {
    if (std::find(rule.kinds.begin(), rule.kinds.end(), kind) == rule.kinds.end()) continue;
    r.push_back({&rule, eval_rule(rule.id, obj, spec)});
  }
  return r;
}

json::Value kubesec_report(const Value& obj, const std::string& file) {
  Value rep = Value::make_object();
  std::string object = "Unknown";
  if (const Value* k = get(&obj, "kind"); k && k->is(Type::String)) {
    const Value* n = dig(&obj, {"metadata", "name"});
    const Value* ns = dig(&obj, {"metadata", "namespace"});
    object = k->text + "/" + (n ? go_v(n) : "undefined") + "." + (ns ? go_v(ns) : "default");
  }
  rep.add("object", Value::make_string(object));
  rep.add("valid", Value::make_bool(true));
  rep.add("fileName", Value::make_string(file));
  auto results = kubesec_eval(obj);
  std::vector<const KubesecRule*> critical, passed, advise;
  int score = 0;
  for (const auto& r : results) {
    if (r.containers > 0) {
      score += r.rule->points;
      (r.rule->points >= 0 ? passed : critical).push_back(r.rule);
    } else if (r.rule->points >= 0) {
      advise.push_back(r.rule);
    }
  }
  auto order = [](const KubesecRule* a, const KubesecRule* b) {  // kubesec's RuleRefCustomOrder
    if (a->points != b->points) {
      if (a->points > 0 || b->points > 0) return a->points > b->points;
      return a->points < b->points;
    }
    return a->selector < b->selector;
  };
  std::string msg = results.empty() ? "This resource kind is not supported by kubesec"
                    : score >= 0    ? "Passed with a score of " + std::to_string(score) + " points"
                                    : "Failed with a score of " + std::to_string(score) + " points";
  rep.add("message", Value::make_string(msg));
  rep.add("score", Value::make_i64(score));
  Value scoring = Value::make_object();
  for (auto [name, list] :
       {std::pair{"critical", &critical}, std::pair{"passed", &passed}, std::pair{"advise", &advise}}) {
    if (list->empty()) continue;  // omitempty
    std::stable_sort(list->begin(), list->end(), order);
    Value a = Value::make_array();
    for (const auto* r : *list) {
      Value o = Value::make_object();
      o.add("id", Value::make_string(std::string(r->id)));
      o.add("selector", Value::make_string(std::string(r->selector)));
      o.add("reason", Value::make_string(std::string(r->reason)));
      o.add("points", Value::make_i64(r->points));
      a.push(std::move(o));
    }
    scoring.add(name, std::move(a));
  }
  rep.add("scoring", std::move(scoring));
  return rep;
}

}  // namespace confine::k8s::rules
