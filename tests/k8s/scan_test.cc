// The rule engine of `confine k8s scan` (src/k8s/rules.h, scan.h, policy.h).
#include "k8s/scan.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <set>
#include <sstream>

#include "k8s/policy.h"
#include "k8s/rules.h"
#include "k8s/yaml_fast.h"

using namespace confine;
using namespace confine::k8s;

namespace {

json::Value parse(const std::string& s) {
  auto v = json::parse(s, "t.json");
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message());
  return v.ok() ? std::move(*v) : json::Value();
}

std::vector<rules::Finding> findings(const json::Value& obj, rules::Level l = rules::Level::Restricted,
                                     unsigned minor = rules::kLatestMinor) {
  std::vector<rules::Finding> out;
  auto w = rules::model(obj);
  rules::check_pss(w, l, rules::Version{minor}, out);
  rules::check_versions(w, rules::Version{minor}, out);
  return out;
}

std::set<std::string> errors(const std::vector<rules::Finding>& fs) {
  std::set<std::string> s;
  for (const auto& f : fs)
    if (f.severity == rules::Severity::Error) s.insert(f.rule);
  return s;
}

// A pod that passes restricted at every version.
std::string pod(const std::string& pod_sc, const std::string& ctr_sc, const std::string& extra_spec = "",
                const std::string& annotations = "{}") {
  return R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "annotations": )" + annotations +
         R"(}, "spec": {"securityContext": )" + pod_sc +
         R"(, "containers": [{"name": "app", "image": "x", "securityContext": )" + ctr_sc + "}]" +
         extra_spec + "}}";
}
const std::string kPodOk = R"({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}})";
const std::string kCtrOk = R"({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}})";

}  // namespace

TEST(K8sScan, Versions) {
  EXPECT_EQ(rules::parse_version("1.30")->minor, 30u);
  EXPECT_EQ(rules::parse_version("v1.19")->minor, 19u);
  EXPECT_EQ(rules::parse_version("1.29.3")->minor, 29u);
  EXPECT_EQ(rules::parse_version("latest")->minor, rules::kLatestMinor);
  EXPECT_EQ(rules::parse_version("1.99")->minor, rules::kLatestMinor);  // newer evaluates as latest, like PSA
  EXPECT_FALSE(rules::parse_version("2.1").ok());
  EXPECT_FALSE(rules::parse_version("1.x").ok());
  EXPECT_FALSE(rules::parse_version("").ok());
}

TEST(K8sScan, RestrictedPodPasses) {
  // (From 1.19: before, the seccompProfile field itself is a confine/fieldVersion error.)
  for (unsigned m : {19u, 25u, 30u, rules::kLatestMinor})
    EXPECT_TRUE(errors(findings(parse(pod(kPodOk, kCtrOk)), rules::Level::Restricted, m)).empty()) << m;
}

TEST(K8sScan, PodLevelInheritance) {
  // runAsNonRoot and seccompProfile at pod level cover every container; a container overrides.
  auto fs =
      findings(parse(pod(kPodOk, R"({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
                                          "runAsNonRoot": false})")));
  EXPECT_EQ(errors(fs), std::set<std::string>{"runAsNonRoot"});
  fs = findings(parse(pod(
      R"({"seccompProfile": {"type": "RuntimeDefault"}})",
      R"({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true})")));
  EXPECT_TRUE(errors(fs).empty());
  fs = findings(parse(pod(R"({"runAsNonRoot": true})", kCtrOk)));
  EXPECT_EQ(errors(fs), std::set<std::string>{"seccompProfile_restricted"});
  // The path names the container's field, the position the container.
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].path, "spec.containers[0].securityContext.seccompProfile.type");
  EXPECT_EQ(fs[0].pos.line, 1u);
  EXPECT_GT(fs[0].pos.col, 1u);
}

TEST(K8sScan, InitAndEphemeralContainers) {
  std::string s = R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
    "spec": {"template": {"spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
      "initContainers": [{"name": "i", "image": "x", "securityContext": {"allowPrivilegeEscalation": false,
                          "capabilities": {"drop": ["ALL"]}, "privileged": true}}],
      "containers": [{"name": "c", "image": "x", "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}],
      "ephemeralContainers": [{"name": "e", "image": "x", "securityContext": {"capabilities": {"drop": ["ALL"]}}}]}}}})";
  auto fs = findings(parse(s));
  std::set<std::string> paths;
  for (const auto& f : fs) paths.insert(f.rule + " " + f.path);
  EXPECT_TRUE(paths.count("privileged spec.template.spec.initContainers[0].securityContext.privileged"));
  EXPECT_TRUE(
      paths.count("allowPrivilegeEscalation "
                  "spec.template.spec.ephemeralContainers[0].securityContext.allowPrivilegeEscalation"));
  EXPECT_EQ(fs.size(), 2u);
}

TEST(K8sScan, CronJobTemplatePath) {
  auto w = rules::model(
      parse(R"({"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template":
    {"spec": {"containers": [{"name": "a"}]}}}}}})"));
  EXPECT_TRUE(w.supported);
  ASSERT_EQ(w.containers.size(), 1u);
  EXPECT_EQ(w.containers[0].path, "spec.jobTemplate.spec.template.spec.containers[0]");
}

TEST(K8sScan, SeccompAnnotationsVersusFields) {
  const std::string ann = R"({"seccomp.security.alpha.kubernetes.io/pod": "unconfined"})";
  json::Value p = parse(pod(kPodOk, kCtrOk, "", ann));
  // Before 1.19 PSA reads the annotations; from 1.19 only the fields.
  EXPECT_TRUE(errors(findings(p, rules::Level::Baseline, 18)).count("seccompProfile_baseline"));
  EXPECT_FALSE(errors(findings(p, rules::Level::Baseline, 19)).count("seccompProfile_baseline"));
  // confine: from 1.27 the kubelet ignores the annotation: an error, not a silent pass.
  EXPECT_TRUE(errors(findings(p, rules::Level::Baseline, 27)).count("confine/deprecatedAnnotation"));
  EXPECT_FALSE(errors(findings(p, rules::Level::Baseline, 26)).count("confine/deprecatedAnnotation"));
  // The field before 1.19 does not exist.
  EXPECT_TRUE(
      errors(findings(parse(pod(kPodOk, kCtrOk)), rules::Level::Baseline, 18)).count("confine/fieldVersion"));
}

TEST(K8sScan, AppArmorFieldAndAnnotation) {
  const std::string ann = R"({"container.apparmor.security.beta.kubernetes.io/app": "unconfined"})";
  // The annotation is a baseline violation at every version (PSA checks both).
  for (unsigned m : {0u, 29u, 30u, 34u})
    EXPECT_TRUE(errors(findings(parse(pod(kPodOk, kCtrOk, "", ann)), rules::Level::Baseline, m))
                    .count("appArmorProfile"));
  std::string field = R"({"runAsNonRoot": true, "appArmorProfile": {"type": "Unconfined"}})";
  EXPECT_TRUE(
      errors(findings(parse(pod(field, kCtrOk)), rules::Level::Baseline, 30)).count("appArmorProfile"));
  // The field before 1.30: dropped by the API server.
  std::string ok = R"({"appArmorProfile": {"type": "RuntimeDefault"}})";
  EXPECT_TRUE(
      errors(findings(parse(pod(ok, kCtrOk)), rules::Level::Baseline, 29)).count("confine/fieldVersion"));
  EXPECT_FALSE(
      errors(findings(parse(pod(ok, kCtrOk)), rules::Level::Baseline, 30)).count("confine/fieldVersion"));
  // A missing type is not an allowed type.
  std::string notype = R"({"appArmorProfile": {}})";
  EXPECT_TRUE(
      errors(findings(parse(pod(notype, kCtrOk)), rules::Level::Baseline, 30)).count("appArmorProfile"));
}

TEST(K8sScan, SysctlsPerVersion) {
  auto with = [&](const char* name) {
    return parse(pod(
        std::string(
            R"({"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}, "sysctls": [{"name": ")") +
            name + "\"}]}",
        kCtrOk));
  };
  EXPECT_TRUE(errors(findings(with("net.ipv4.ip_local_reserved_ports"), rules::Level::Baseline, 26))
                  .count("sysctls"));
  EXPECT_FALSE(errors(findings(with("net.ipv4.ip_local_reserved_ports"), rules::Level::Baseline, 27))
                   .count("sysctls"));
  EXPECT_TRUE(
      errors(findings(with("net.ipv4.tcp_fin_timeout"), rules::Level::Baseline, 28)).count("sysctls"));
  EXPECT_FALSE(
      errors(findings(with("net.ipv4.tcp_fin_timeout"), rules::Level::Baseline, 29)).count("sysctls"));
  EXPECT_TRUE(errors(findings(with("net.ipv4.tcp_wmem"), rules::Level::Baseline, 31)).count("sysctls"));
  EXPECT_FALSE(errors(findings(with("net.ipv4.tcp_wmem"), rules::Level::Baseline, 32)).count("sysctls"));
  EXPECT_TRUE(errors(findings(with("kernel.msgmax"), rules::Level::Baseline, 35)).count("sysctls"));
}

TEST(K8sScan, CheckSetPerVersion) {
  auto ids = [](rules::Level l, unsigned m) {
    std::set<std::string> s;
    for (const auto* c : rules::pss_checks_for(l, rules::Version{m})) s.insert(std::string(c->id));
    return s;
  };
  EXPECT_EQ(ids(rules::Level::Baseline, 33).count("hostProbesAndHostLifecycle"), 0u);
  EXPECT_EQ(ids(rules::Level::Baseline, 34).count("hostProbesAndHostLifecycle"), 1u);
  EXPECT_EQ(ids(rules::Level::Restricted, 22).count("runAsUser"), 0u);
  EXPECT_EQ(ids(rules::Level::Restricted, 23).count("runAsUser"), 1u);
  EXPECT_EQ(ids(rules::Level::Restricted, 35).count("hostPathVolumes"),
            0u);  // overridden by restrictedVolumes
  EXPECT_EQ(ids(rules::Level::Baseline, 35).count("restrictedVolumes"), 0u);
  EXPECT_EQ(ids(rules::Level::Restricted, 35).size(), 17u);
  EXPECT_EQ(ids(rules::Level::Baseline, 35).size(), 12u);
}

TEST(K8sScan, WrongTypesAreFindings) {
  auto fs = findings(
      parse(R"({"kind": "Pod", "metadata": {"name": "x"}, "spec": {"hostPID": 1, "containers": [{"name": "c",
    "securityContext": {"privileged": "true", "runAsUser": "0"}}]}})"),
      rules::Level::Restricted);
  int types = 0;
  for (const auto& f : fs) types += f.message.find("the API server rejects this object") != std::string::npos;
  EXPECT_GE(types, 3);
  EXPECT_TRUE(errors(fs).count("hostNamespaces"));
  EXPECT_TRUE(errors(fs).count("privileged"));
  EXPECT_TRUE(errors(fs).count("runAsUser"));
}

TEST(K8sScan, UnknownKindIsSkippedNotSilent) {
  std::vector<scan::Document> docs;
  docs.push_back(
      {"t.json", parse(R"({"kind": "List", "items": [{"apiVersion": "x/v1", "kind": "Widget"}, {"kind": "Pod",
      "metadata": {"name": "p"}}]})")});
  auto rs = scan::run(scan::objects(docs), scan::Options{});
  ASSERT_EQ(rs.size(), 2u);
  ASSERT_EQ(rs[0].findings.size(), 1u);
  EXPECT_EQ(rs[0].findings[0].rule, "scan/kindNotSupported");
  EXPECT_NE(rs[0].findings[0].message.find("skipped: kind not supported: Widget"), std::string::npos);
  // A Pod without a spec is an error, not a pass.
  EXPECT_TRUE(errors(rs[1].findings).count("podSpec"));
}

TEST(K8sScan, LoadManifests) {
  auto y = scan::load_manifests(std::string(CONFINE_SOURCE_DIR) + "/tests/k8s/bad/pod.yaml");
  ASSERT_TRUE(y.ok()) << "YAML through the YAML layer: " << y.error().message();
  ASSERT_EQ(y->size(), 1u);
  EXPECT_EQ((*y)[0].root.find("kind")->text, "Pod");
  auto b = scan::load_manifests(std::string(CONFINE_SOURCE_DIR) + "/tests/k8s/bad/bad-syntax.json");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("bad-syntax.json:5:3:"), std::string::npos);
  auto d = scan::load_manifests(std::string(CONFINE_SOURCE_DIR) + "/tests/k8s/manifests/");
  ASSERT_TRUE(d.ok());
  EXPECT_GE(d->size(), 5u);
  EXPECT_GT(scan::objects(*d).size(), 50u);
}

// The parsed values carry no file name (a copy per value was most of a large scan's allocations): the
// findings get their document's, YAML and JSON alike, every document of a stream; parse errors name the file.
TEST(K8sScan, FindingsNameTheFileValuesDoNot) {
  for (const char* text :
       {"kind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    securityContext:\n      "
        "privileged: true\n---\nkind: Pod\nspec:\n  hostPID: yes\n",
        "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}, \"spec\": {\"containers\": [{\"name\": \"c\",\n"
        "\"securityContext\": {\"privileged\": true}}]}}\n{\"kind\": \"Pod\", \"spec\": {\"hostPID\": "
        "true}}\n"}) {
    auto docs = scan::parse_documents(text, "dir/m.yaml");
    ASSERT_TRUE(docs.ok()) << docs.error().message();
    ASSERT_EQ(docs->size(), 2u);
    EXPECT_EQ((*docs)[0].root.pos.file, "");
    EXPECT_EQ((*docs)[0].root.members[0].key_pos.file, "");
    scan::Options o;
    o.level = rules::Level::Baseline;
    auto rs = scan::run(scan::objects(*docs), o);
    ASSERT_EQ(rs.size(), 2u);
    ASSERT_EQ(rs[0].findings.size(), 1u) << text;
    EXPECT_EQ(rs[0].findings[0].rule, "privileged");
    EXPECT_EQ(rs[0].findings[0].pos.file, "dir/m.yaml");
    EXPECT_EQ(rs[0].findings[0].pos.line, text[0] == '{' ? 2u : 7u);
    EXPECT_EQ(rs[0].w.pos.file, "dir/m.yaml");
    ASSERT_EQ(rs[1].findings.size(), 1u);
    EXPECT_EQ(rs[1].findings[0].rule, "hostNamespaces");  // YAML 1.1: yes is true
    EXPECT_EQ(rs[1].findings[0].pos.file, "dir/m.yaml");
    EXPECT_EQ(rs[1].findings[0].pos.line, text[0] == '{' ? 3u : 11u);
  }
  auto s = scan::parse_documents("{\"kind\": \"Pod\"}\n", "-");
  ASSERT_TRUE(s.ok());
  auto rs = scan::run(scan::objects(*s), scan::Options{});
  ASSERT_FALSE(rs[0].findings.empty());
  EXPECT_EQ(rs[0].findings[0].pos.file, "<stdin>");
  auto e =
      scan::parse_documents("{\"kind\": \"Pod\"}\n{\"kind\": \"Pod\", \"spec\": {\"a\": 1,}}\n", "x.json");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("x.json:2:"), std::string::npos) << e.error().message();
  auto e1 = scan::parse_documents("{\"kind\": }", "y.json");
  ASSERT_FALSE(e1.ok());
  EXPECT_NE(e1.error().message().find("y.json:1:"), std::string::npos) << e1.error().message();
  auto e2 = scan::parse_documents("kind: Pod\nspec: *x\n", "z.yaml");
  ASSERT_FALSE(e2.ok());
  EXPECT_NE(e2.error().message().find("z.yaml:2:"), std::string::npos) << e2.error().message();
}

// The table escapes what comes from the input (a terminal escape in a name), and only that.
TEST(K8sScan, TableEscapesInputOnly) {
  auto d = scan::parse_documents(
      "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\\u001b[31m\\\\b\"}, \"spec\": {\"hostPID\": true, "
      "\"containers\": []}}\n{\"kind\": \"Pod\", \"metadata\": {\"name\": \"plain\"}, \"spec\": "
      "{\"hostPID\": "
      "true, \"containers\": []}}",
      "e.json");
  ASSERT_TRUE(d.ok()) << d.error().message();
  std::string t = scan::format_table(scan::run(scan::objects(*d), scan::Options{}), scan::Options{});
  EXPECT_EQ(t.find('\x1b'), std::string::npos);
  EXPECT_NE(t.find("Pod/a\\x1b[31m\\x5cb.default: hostNamespaces"), std::string::npos) << t;
  EXPECT_NE(t.find("e.json:2:"), std::string::npos) << t;
  EXPECT_NE(t.find("Pod/plain.default: hostNamespaces at spec.hostPID"), std::string::npos) << t;
}

// Plain YAML scalars: only a text that can start a JSON number is tried as one; the rest stay strings.
TEST(K8sScan, YamlPlainScalars) {
  auto d =
      scan::parse_documents("a: -1\nb: 1.5e3\nc: nginx\nd: -x\ne: '7'\nf: 0x1F\ng: ~\nh: on\n", "s.yaml");
  ASSERT_TRUE(d.ok()) << d.error().message();
  const auto& r = (*d)[0].root;
  EXPECT_TRUE(r.find("a")->is(json::Type::Number));
  EXPECT_EQ(r.find("a")->text, "-1");
  EXPECT_TRUE(r.find("b")->is(json::Type::Number));
  EXPECT_TRUE(r.find("c")->is(json::Type::String));
  EXPECT_EQ(r.find("c")->text, "nginx");
  EXPECT_TRUE(r.find("d")->is(json::Type::String));
  EXPECT_EQ(r.find("d")->text, "-x");
  EXPECT_TRUE(r.find("e")->is(json::Type::String));
  EXPECT_TRUE(r.find("f")->is(json::Type::String));  // not a JSON number (as before)
  EXPECT_TRUE(r.find("g")->is(json::Type::Null));
  EXPECT_TRUE(r.find("h")->is(json::Type::Bool));
  EXPECT_EQ(r.members[2].key, "c");
}

TEST(K8sScan, KubesecReadmeExample) {
  // kubesec's README example (test/asset/score-0-cap-sys-admin.yml): -30, CapSysAdmin critical.
  auto r = rules::kubesec_report(
      parse(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "security-context-demo"},
    "spec": {"containers": [{"name": "sec-ctx-demo", "image": "gcr.io/google-samples/node-hello:1.0",
    "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}})"),
      "f");
  EXPECT_EQ(r.find("object")->text, "Pod/security-context-demo.default");
  EXPECT_EQ(r.find("score")->as_i64(), -30);
  EXPECT_EQ(r.find("message")->text, "Failed with a score of -30 points");
  const auto* crit = r.find("scoring")->find("critical");
  ASSERT_TRUE(crit);
  ASSERT_EQ(crit->items.size(), 1u);
  EXPECT_EQ(crit->items[0].find("id")->text, "CapSysAdmin");
  EXPECT_EQ(r.find("scoring")->find("passed"), nullptr);  // omitempty
}

TEST(K8sScan, KubesecInheritanceAndContainerKinds) {
  // RunAsNonRoot at pod level counts for every container; init and ephemeral containers count.
  auto res = rules::kubesec_eval(parse(R"({"kind": "Deployment", "spec": {"template": {"spec": {
    "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "Unconfined"}},
    "initContainers": [{"name": "i", "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}],
    "containers": [{"name": "c"}], "ephemeralContainers": [{"name": "e", "securityContext": {"readOnlyRootFilesystem": true}}]}}}})"));
  std::map<std::string, int> m;
  for (const auto& r : res) m[std::string(r.rule->id)] = r.containers;
  EXPECT_EQ(m["RunAsNonRoot"], 3);
  EXPECT_EQ(m["SeccompAny"], 1);         // the init container's own RuntimeDefault
  EXPECT_EQ(m["SeccompUnconfined"], 2);  // inherited by the two that leave it unset
  EXPECT_EQ(m["ReadOnlyRootFilesystem"], 1);
  EXPECT_EQ(m.count("VolumeClaimRequestsStorage"), 0u);  // StatefulSet only
  EXPECT_TRUE(rules::kubesec_eval(parse(R"({"kind": "Service"})")).empty());
  EXPECT_EQ(rules::kubesec_report(parse(R"({"kind": "Service"})"), "f").find("message")->text,
            "This resource kind is not supported by kubesec");
  EXPECT_EQ(rules::kubesec_rules().size(), 30u);
}

TEST(K8sPolicy, OneValidationPerCheck) {
  policy::Options o;
  auto vs = policy::validations(o);
  EXPECT_EQ(vs.size(), 17u);
  for (const auto& v : vs) EXPECT_EQ(v.message.rfind(v.check + ": ", 0), 0u) << v.message;
  o.level = rules::Level::Baseline;
  o.version = rules::Version{18};
  EXPECT_EQ(policy::validations(o).size(), 11u);
}

TEST(K8sPolicy, YamlQuoting) {
  json::Value v = json::Value::make_object();
  v.add("yes", json::Value::make_string("no"));
  v.add("version", json::Value::make_string("1.30"));
  v.add("a: b", json::Value::make_bool(true));
  json::Value list = json::Value::make_array();
  list.push(json::Value::make_object());
  v.add("items", std::move(list));
  EXPECT_EQ(policy::yaml(v), "\"yes\": \"no\"\nversion: \"1.30\"\n\"a: b\": true\nitems:\n  - {}\n");
}

// Every case of tests/k8s/manifests/pss-cases.json (written by gen_pss_cases.py from PSA's
// semantics) at the version edges: the failing checks are exactly the expected ones.
class PssCases : public ::testing::TestWithParam<std::string> {};

TEST_P(PssCases, ExpectedChecksFail) {
  static json::Value all = [] {
    std::ifstream f(std::string(CONFINE_SOURCE_DIR) + "/tests/k8s/manifests/pss-cases.json");
    std::stringstream ss;
    ss << f.rdbuf();
    return *json::parse(ss.str(), "pss-cases.json");
  }();
  const json::Value* obj = nullptr;
  for (const auto& i : all.find("items")->items)
    if (i.find("metadata")->find("name")->text == GetParam()) obj = &i;
  ASSERT_TRUE(obj);
  auto expect = *json::parse(obj->find("metadata")->find("annotations")->find("confine.test/expect")->text);
  for (auto level : {rules::Level::Baseline, rules::Level::Restricted})
    for (const auto& m : expect.find(std::string(rules::level_name(level)))->members) {
      std::set<std::string> want;
      std::stringstream ss(m.value.text);
      for (std::string id; std::getline(ss, id, ',');) want.insert(id);
      std::set<std::string> got;
      for (const auto& id : errors(findings(*obj, level, static_cast<unsigned>(std::stoul(m.key)))))
        if (id.find('/') == std::string::npos) got.insert(id);
      EXPECT_EQ(got, want) << GetParam() << " " << rules::level_name(level) << " 1." << m.key;
    }
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, PssCases,
    ::testing::Values(
        "pass-base", "fail-hostnetwork", "fail-hostpid", "fail-hostipc", "pass-hostnetwork-false",
        "fail-privileged-ephemeral", "pass-privileged-false", "fail-cap-sysadmin-init",
        "fail-cap-chown-restricted-only", "pass-cap-net-bind", "fail-cap-drop-missing-ephemeral",
        "fail-hostpath", "fail-nfs-restricted-only", "pass-volumes-allowed", "fail-hostport-init",
        "pass-hostport-0", "fail-apparmor-field-pod", "fail-apparmor-field-ephemeral",
        "pass-apparmor-field-localhost", "fail-apparmor-annotation", "pass-apparmor-annotation-localhost",
        "fail-selinux-engine-before-131", "fail-selinux-user-init", "pass-selinux-container-t",
        "fail-procmount", "userns-procmount-from-135", "userns-runasuser-0-from-135",
        "userns-runasnonroot-unset-from-135", "pass-image-volume", "pass-procmount-default",
        "fail-seccomp-field-unconfined", "fail-seccomp-field-container", "fail-seccomp-annotation-before-119",
        "fail-seccomp-container-annotation-before-119", "fail-seccomp-missing-one-container",
        "pass-seccomp-every-container", "fail-sysctl-ip-local-reserved-ports",
        "fail-sysctl-tcp-keepalive-time", "fail-sysctl-tcp-rmem", "fail-sysctl-msgmax",
        "fail-windows-hostprocess", "fail-probe-host-from-134", "fail-lifecycle-host-init-from-134",
        "pass-probe-no-host", "fail-ape-unset-init", "fail-ape-true", "fail-runasnonroot-unset",
        "fail-runasnonroot-container-false", "fail-runasnonroot-pod-false",
        "pass-runasnonroot-every-container", "fail-runasuser-0-container", "fail-runasuser-0-pod",
        "windows-exempt-from-125"),
    [](const auto& info) {
      std::string n = info.param;
      for (char& c : n)
        if (c == '-') c = '_';
      return n;
    });

TEST(K8sScan, JsonStreamKeepsFilePositions) {
  char tmpl[] = "/tmp/confine-k8s-scan-test.XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  std::string text =
      "{\"kind\": \"Pod\"}\n\n  {\"kind\": \"Pod\",\n \"spec\": {\"hostPID\": true}} [{\"kind\": \"Job\"}]\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto d = scan::load_manifests(tmpl);
  unlink(tmpl);
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[1].root.pos.line, 3u);
  EXPECT_EQ((*d)[1].root.pos.col, 3u);
  const auto* pid = (*d)[1].root.find("spec")->find("hostPID");
  EXPECT_EQ(pid->pos.line, 4u);
  EXPECT_EQ(pid->pos.col, 22u);
  EXPECT_EQ((*d)[2].root.pos.line, 4u);
  EXPECT_EQ((*d)[2].root.pos.col, 29u);
  EXPECT_EQ(scan::objects(*d).size(), 3u);
}

// YAML input (the YAML layer of k8s patch): positions kept, YAML 1.1 booleans as Kubernetes
// reads them (`privileged: yes` is privileged), quoted "yes" a string, numbers numbers, several
// documents, aliases refused at their line (never expanded).
TEST(K8sScan, YamlInput) {
  std::string y =
      "# comment\n"
      "apiVersion: v1\n"
      "kind: Pod\n"
      "metadata: {name: p}\n"
      "spec:\n"
      "  containers:\n"
      "  - name: c\n"
      "    image: x\n"
      "    securityContext:\n"
      "      privileged: yes\n"
      "      runAsUser: 1000\n"
      "---\n"
      "---\n"
      "apiVersion: v1\n"
      "kind: ConfigMap\n"
      "metadata:\n"
      "  name: \"yes\"\n";
  auto docs = scan::parse_documents(y, "m.yaml");
  ASSERT_TRUE(docs.ok()) << docs.error().message();
  ASSERT_EQ(docs->size(), 2u) << "the empty document is skipped";
  const json::Value& root = (*docs)[0].root;
  const json::Value* sc = root.find("spec")->find("containers")->items[0].find("securityContext");
  ASSERT_TRUE(sc);
  EXPECT_TRUE(sc->find("privileged")->is(json::Type::Bool));
  EXPECT_TRUE(sc->find("privileged")->boolean);
  EXPECT_EQ(sc->find("privileged")->pos.line, 10u);
  EXPECT_EQ(sc->find("runAsUser")->as_u64(), 1000u);
  EXPECT_TRUE((*docs)[1].root.find("metadata")->find("name")->is(json::Type::String)) << "quoted: a string";
  auto fs = findings(root, rules::Level::Baseline);
  bool priv = false;
  for (const auto& f : fs) priv |= f.rule == "privileged" && f.severity == rules::Severity::Error;
  EXPECT_TRUE(priv) << "privileged: yes fails baseline";
  auto alias = scan::parse_documents("a: &x [1, 2]\nb: [*x, *x]\n", "bomb.yaml");
  ASSERT_FALSE(alias.ok());
  EXPECT_NE(alias.error().message().find("bomb.yaml:2:"), std::string::npos) << alias.error().message();
  auto merge = scan::parse_documents("a: &x {k: 1}\nb:\n  <<: *x\n", "merge.yaml");
  EXPECT_FALSE(merge.ok());
  auto bad = scan::parse_documents("a: [1, 2\n", "bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("bad.yaml:"), std::string::npos) << bad.error().message();
}

// The YAML input is built straight from libyaml's events; it must equal the reference (the tree of
// src/k8s/yaml.h converted afterwards) on every input: values, line:col of every value and key, and the
// error message when one fails. Inputs: this directory's manifests, the real corpus when `make deps-test`
// fetched it, and edge cases of every YAML feature the scanner treats specially. fuzz/k8s_scan_yaml_fuzz.cc
// does the same on random inputs.
namespace {
bool same_value(const json::Value& a, const json::Value& b, std::string* where) {
  if (a.type != b.type || a.pos != b.pos || a.boolean != b.boolean || a.text != b.text ||
      a.is_integer != b.is_integer || a.negative != b.negative || a.magnitude != b.magnitude ||
      a.items.size() != b.items.size() || a.members.size() != b.members.size()) {
    *where = a.pos.str() + " vs " + b.pos.str();
    return false;
  }
  for (size_t i = 0; i < a.items.size(); ++i)
    if (!same_value(a.items[i], b.items[i], where)) return false;
  for (size_t i = 0; i < a.members.size(); ++i)
    if (a.members[i].key != b.members[i].key || a.members[i].key_pos != b.members[i].key_pos ||
        !same_value(a.members[i].value, b.members[i].value, where)) {
      if (where->empty()) *where = "key " + a.members[i].key + " at " + a.members[i].key_pos.str();
      return false;
    }
  return true;
}

void expect_same_as_reference(const std::string& text, const std::string& name) {
  yaml::Limits lim;
  auto got = scan::yaml_documents_limited(text, name, lim);
  auto want = scan::yaml_documents_reference(text, name, lim);
  ASSERT_EQ(got.ok(), want.ok()) << name << ": "
                                 << (got.ok() ? want.error().message() : got.error().message());
  if (!got.ok()) {
    EXPECT_EQ(got.error().message(), want.error().message()) << name;
    return;
  }
  ASSERT_EQ(got->size(), want->size()) << name;
  for (size_t i = 0; i < got->size(); ++i) {
    std::string where;
    EXPECT_TRUE(same_value((*got)[i].root, (*want)[i].root, &where))
        << name << " document " << i << ": " << where;
  }
}

void each_file(const std::string& dir, const std::function<void(const std::string&)>& f, int depth = 0) {
  DIR* d = opendir(dir.c_str());
  if (!d || depth > 8) {
    if (d) closedir(d);
    return;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  closedir(d);
  for (const auto& n : names) {
    std::string p = dir + "/" + n;
    struct stat st {};
    if (lstat(p.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode))
      each_file(p, f, depth + 1);
    else if (S_ISREG(st.st_mode) && st.st_size < (4 << 20))
      f(p);
  }
}
}  // namespace

TEST(K8sScan, YamlEventsEqualTheReference) {
  const char* cases[] = {
      "",
      "# only a comment\n",
      "---\n...\n",
      "~\n",
      "null\n",
      "!!str null\n",
      "\"\"\n",
      "x\n",
      "- 1\n- 2\n",
      "a: 1\nb:\n  - x\n  - {c: d}\n",
      "a: 1\na: 2\n",
      "a: 1\n\"a\": 2\n",
      "? [a, b]\n: c\n",
      "? {a: b}\n: c\n",
      "[*x]\n",
      "a: &x [1, 2]\nb: [*x, *x]\n",
      "a: &x {k: 1}\nb:\n  <<: *x\n",
      "'<<': 1\n",
      "<<: 1\n",
      "*x : 1\n",
      "a: *x\n---\nb: [1, 2\n",
      "a: 1\n---\nb: *y\n",
      "a: !!int \"5\"\nb: !!str 5\nc: !foo bar\n",
      "a: 012\nb: 1e3\nc: -\nd: -0\ne: 1.\nf: .5\ng: 0x1F\nh: 1_000\ni: -1.5e-3\nj: 99999999999999999999\n",
      "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: True\nh: ~\ni:\nj: Null\n",
      "a: |\n  line\n   two\nb: >-\n  folded\n  text\nc: 'it''s'\nd: \"x\\ty\\u00e9\"\n",
      "é: ü\nname: \"ünï\"\nx: [é, {ü: 1}]\n",
      "a:\n  b:\n    c:\n      - - - x\n",
      "a: b: c\n",
      "- a\nb: c\n",
      "a: 1\n\tb: 2\n",
      "%YAML 1.1\n---\na: 1\n",
      "a: [1, 2]\n# c\n---\n# empty\n---\nb: 2\n",
      "a: 1\0b\n"};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i)
    expect_same_as_reference(
        std::string(cases[i], i + 1 == sizeof cases / sizeof *cases ? 7 : strlen(cases[i])),
        "case" + std::to_string(i) + ".yaml");
  // Deep nesting and many documents reach the limits in both.
  expect_same_as_reference(std::string(150, '[') + std::string(150, ']'), "deep.yaml");
  std::string many;
  for (int i = 0; i < 20; ++i) many += "---\na: " + std::to_string(i) + "\n";
  expect_same_as_reference(many, "many.yaml");
  size_t files = 0, fast = 0;
  auto one = [&](const std::string& p) {
    if (!(p.ends_with(".yaml") || p.ends_with(".yml") || p.ends_with(".json"))) return;
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    expect_same_as_reference(ss.str(), p);
    ++files;
    fast += yaml::read_block_subset(ss.str(), yaml::Limits{},
                                    [](std::string_view, std::string&& s, bool, const SourcePos&) {
                                      return json::Value::make_string(std::move(s));
                                    })
                .has_value();
  };
  each_file(std::string(CONFINE_SOURCE_DIR) + "/tests/k8s", one);
  each_file(std::string(CONFINE_SOURCE_DIR) + "/fuzz/corpus/k8s_yaml_fuzz", one);
  each_file(std::string(CONFINE_SOURCE_DIR) + "/fuzz/corpus/k8s_scan_yaml_fuzz", one);
  each_file("/var/cache/confine-test/deb-corpus", one);  // absent: the other inputs still run
  EXPECT_GT(files, 5u);
  std::cout << files << " files, " << fast << " read without libyaml\n";
}

// The block-style subset read without libyaml (src/k8s/yaml_fast.h): equal to the reference whenever it
// reads a text (through yaml_documents_limited, which falls back to libyaml when it declines), and it
// does read the common manifests (else the scan is slow again, silently).
// libyaml also breaks lines at a lone CR, U+0085, U+2028 and U+2029; confine's positions count
// '\n' only (what an editor, sed and grep -n show), in both readers and in parse errors, so a
// position never lies past the text's last line (found by the watch rules fuzzer).
TEST(K8sScan, PositionsCountNewlinesOnly) {
  yaml::Limits lim;
  for (const std::string brk : {"\r", "\xc2\x85", "\xe2\x80\xa8"}) {
    // A parse error after five of those breaks, on the text's second '\n' line.
    std::string bad = "a: 1\nb: [" + brk + brk + brk + brk + brk + "c: {\n";
    for (auto* f : {&scan::yaml_documents_limited, &scan::yaml_documents_reference}) {
      auto r = (*f)(bad, "t.yaml", lim);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().pos().line, 3u) << r.error().message();
    }
    // A value's position after them: the column counts characters on the '\n' line.
    std::string good = "a: 1\nb: \"x" + brk + "y\"\nc: [1" + brk + ", 2]\n";
    for (auto* f : {&scan::yaml_documents_limited, &scan::yaml_documents_reference}) {
      auto r = (*f)(good, "t.yaml", lim);
      ASSERT_TRUE(r.ok()) << r.error().message();
      const auto& root = (*r)[0].root;
      ASSERT_EQ(root.members.size(), 3u);
      EXPECT_EQ(root.members[2].key_pos.line, 3u);
      EXPECT_EQ(root.members[2].key_pos.col, 1u);
      ASSERT_EQ(root.members[2].value.items.size(), 2u);
      EXPECT_EQ(root.members[2].value.items[1].pos.line, 3u);
      EXPECT_EQ(root.members[2].value.items[1].pos.col, 9u);  // "c: [1" brk ", " is 8 characters
    }
  }
}

TEST(K8sScan, YamlFastSubset) {
  const char* cases[] = {"a: 1\nb:\nc: [] # x\nd: {}\n",
                         "a:\n- x\n-\n- y # c\nb: 2\n",
                         "- name: a\n  image: b\n-   k: v\n    l: w\n",
                         "a: b c\n  d e\n  f\nx: 'p\n  q\n\n  r\n\n\n  s '\n",
                         "a: b\n  c: d\n",
                         "a: 'x' y\n",
                         "a: 'it''s'\n'b': \"c\\\"\\n\"\n",
                         "  a: 1\n  b: 2\n",
                         "  a: 1\nb: 2\n",
                         "a:\n  - x\n  - y\nb: z\n",
                         "a:\n  - x\n  b: z\n",
                         "a: # c\n  b: 1\n",
                         "a: -x\nb: :y\nc: ?z\nd: x#y\ne: x #y\nf: -\n",
                         "a: 1\n---\n---\nb: 2\n",
                         "a: 1\n--- \nb: 2\n",
                         "a: 1\n...\n",
                         "a: 1\n---x: 2\n",
                         "<<: 1\n",
                         "'<<': 1\n",
                         "a: 1\na: 2\n",
                         "a b : c\n",
                         "a:: b\n",
                         "a: b\n\n  c\n",
                         "a: b\n  # c\n  d\n",
                         "a: b\n  - c\n",
                         "a:\n  b\n",
                         "- - a\n",
                         "-\n  - a\n",
                         "- a\n- b: c\n  d: e\n",
                         "a: 'x\n---\n'\n",
                         "a: \"x\n y\"\n",
                         "a: 'x'\n  b: 1\n",
                         "k: v\n - x\n",
                         "a:\n- b\n - c\n",
                         "a: |\n  x\n"};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i)
    expect_same_as_reference(cases[i], "fast" + std::to_string(i) + ".yaml");
  // Random texts from the pieces of block YAML: indentation, keys, entries, scalars of every style,
  // comments, blank lines, markers (a fixed seed: the same texts on every run).
  const char* pieces[] = {"a",   "b",   "k",   "x y",  "'q'", "'q''r'", "\"d\"", "\"e\\n\"", "1",   "-2",
                          "yes", "~",   "[]",  "{}",   "# c", " #c",    "#",     ":",        ": ",  "- ",
                          "-",   "? ",  "'",   "\"",   "<<",  "*x",     "&y ",   "!t ",      "|",   ">",
                          "[a]", "0x1", "1.5", "null", "on",  "a:b",    "a#b",   "--- ",     "...", "%"};
  uint64_t seed = 42;
  auto rnd = [&](uint64_t n) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % n;
  };
  size_t read_fast = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string t;
    size_t lines = 1 + rnd(8);
    for (size_t l = 0; l < lines; ++l) {
      t.append(rnd(3) == 0 ? 0 : 2 * rnd(3) + rnd(2) * rnd(2), ' ');
      size_t n = 1 + rnd(4);
      for (size_t p = 0; p < n; ++p) t += pieces[rnd(sizeof pieces / sizeof *pieces)];
      if (rnd(4) == 0) t += ": ";
      if (rnd(3) == 0) t += pieces[rnd(sizeof pieces / sizeof *pieces)];
      if (rnd(10) == 0) t += "---\n";
      t += '\n';
    }
    if (yaml::read_block_subset(t, yaml::Limits{},
                                [](std::string_view, std::string&& s, bool, const SourcePos&) {
                                  return json::Value::make_string(std::move(s));
                                }))
      ++read_fast;
    expect_same_as_reference(t, "random" + std::to_string(iter) + ".yaml");
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "input:\n" << t;
      break;
    }
  }
  // Well-formed block YAML made at random (nested mappings and sequences, indentless or not, scalars of
  // every style, folded lines, comments, blank lines), then one byte changed in half of them.
  const char* scalars[] = {"a",    "b c",         "1",         "-1.5",        "yes",     "~",         "x: y",
                           "'s'",  "'t''u'",      "\"v\"",     "\"w\\tz\"",   "[]",      "{}",        "-x",
                           ":y",   "a #c",        "'p\n   q'", "'p\n\n   q'", "r\n   s", "r\n\n   s", "",
                           "#c",   "\"\\u00e9\"", "0x1F",      "012",         "1e3",     "on",        "*a",
                           "&b c", "!!str 1",     "|\n   x"};
  std::function<void(std::string&, size_t, int)> gen = [&](std::string& o, size_t ind, int depth) {
    size_t n = 1 + rnd(4);
    bool seq = rnd(3) == 0;
    for (size_t i = 0; i < n; ++i) {
      if (rnd(8) == 0) o += std::string(ind + rnd(3), ' ') + "# note\n";
      if (rnd(10) == 0) o += "\n";
      o += std::string(ind, ' ');
      o += seq ? "- " : std::string(1, static_cast<char>('a' + rnd(6))) + (rnd(5) == 0 ? " k" : "") + ":";
      if (depth < 4 && rnd(3) == 0) {
        if (seq && rnd(2) == 0) {
          // "- k: v" with the mapping at the key's column
          o += "k: v\n";
          o += std::string(ind + 2, ' ') + "m: n\n";
          continue;
        }
        o += "\n";
        gen(o, ind + (seq || rnd(2) ? 2 : 0), depth + 1);
        continue;
      }
      o += seq ? "" : " ";
      std::string sc = scalars[rnd(sizeof scalars / sizeof *scalars)];
      for (size_t k = 0; (k = sc.find('\n', k)) != std::string::npos; k += 1 + ind)
        sc.insert(k + 1, ind, ' ');
      o += sc + "\n";
    }
  };
  for (int iter = 0; iter < 20000; ++iter) {
    std::string t = rnd(4) == 0 ? "---\n" : "";
    gen(t, rnd(4) == 0 ? 1 : 0, 0);
    if (rnd(3) == 0) {
      t += "---\n";
      gen(t, 0, 0);
    }
    if (rnd(2) == 0) t[rnd(t.size())] = " :-'\"#\nab"[rnd(10)];
    if (yaml::read_block_subset(t, yaml::Limits{},
                                [](std::string_view, std::string&& s, bool, const SourcePos&) {
                                  return json::Value::make_string(std::move(s));
                                }))
      ++read_fast;
    expect_same_as_reference(t, "gen" + std::to_string(iter) + ".yaml");
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "input:\n" << t;
      break;
    }
  }
  std::cout << "random texts read without libyaml: " << read_fast << " of 40000\n";
  EXPECT_GT(read_fast, 4000u) << "the fast reader declines nearly everything";
  // The manifests as PyYAML and kubectl write them are read without libyaml.
  std::string py =
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n    a: "
      "'[{\"key\":\"x\",\n"
      "      \"operator\":\"Exists\"}]'\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n"
      "        command:\n        - /bin/sh\n        - -c\n        - exec /x --a=b\n          2>&1 | tee /y\n"
      "        securityContext:\n          privileged: true\n        ports: []\n---\napiVersion: v1\nkind: "
      "Pod\n";
  EXPECT_TRUE(yaml::read_block_subset(py, yaml::Limits{},
                                      [](std::string_view, std::string&& s, bool, const SourcePos&) {
                                        return json::Value::make_string(std::move(s));
                                      })
                  .has_value());
  expect_same_as_reference(py, "py.yaml");
}
