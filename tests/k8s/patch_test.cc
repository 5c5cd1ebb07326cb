// The YAML layer (positions, limits, hostile input) and `k8s patch` (textual edits).
#include "k8s/patch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "k8s/naming.h"
#include "k8s/sha256.h"
#include "k8s/yaml.h"

using namespace confine::k8s;
namespace fs = std::filesystem;

namespace {

TEST(Yaml, NodesKnowTheirPlace) {
  std::string t = "# c\napiVersion: v1\nkind: Pod   # x\nmetadata:\n  name: \"p\"\n---\nkind: List\n";
  auto d = yaml::parse(t, "m.yaml");
  ASSERT_TRUE(d.ok()) << d.error().message();
  ASSERT_EQ(d->size(), 2u);
  const auto& r = (*d)[0].root;
  const yaml::Node* k = r.get("kind");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->value, "Pod");
  EXPECT_EQ(k->start.line, 3u);
  EXPECT_EQ(k->start.col, 7u);
  EXPECT_EQ(t.substr(k->start.offset, k->content_end - k->start.offset), "Pod");
  const yaml::Node* n = r.get("metadata")->get("name");
  EXPECT_FALSE(n->plain);
  EXPECT_EQ(t.substr(n->start.offset, n->content_end - n->start.offset), "\"p\"");
  EXPECT_EQ((*d)[1].root.get("kind")->start.line, 7u);
}

TEST(Yaml, OffsetsAreBytesWithNonAsciiText) {
  std::string t = "a: \"h\xc3\xa9llo \xe2\x82\xac\"  # \xc3\xa9\nb: x\n";
  auto d = yaml::parse(t, "u.yaml");
  ASSERT_TRUE(d.ok()) << d.error().message();
  const yaml::Node* b = (*d)[0].root.get("b");
  EXPECT_EQ(t.substr(b->start.offset, 1), "x");
  const yaml::Node* a = (*d)[0].root.get("a");
  EXPECT_EQ(t.substr(a->start.offset, a->content_end - a->start.offset), "\"h\xc3\xa9llo \xe2\x82\xac\"");
}

TEST(Yaml, ErrorsHaveFileLineCol) {
  auto d = yaml::parse("a: 1\nb: [1, 2\n", "bad.yaml");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message().rfind("bad.yaml:", 0), 0u) << d.error().message();
  auto dup = yaml::parse("a: 1\nb: 2\na: 3\n", "dup.yaml");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message().find("dup.yaml:3:1: duplicate mapping key \"a\""), std::string::npos)
      << dup.error().message();
  EXPECT_FALSE(yaml::parse(std::string_view("a: \0b", 5), "nul.yaml").ok());
  EXPECT_FALSE(yaml::parse("? [a]\n: 1\n", "k.yaml").ok());
}

TEST(Yaml, AliasesAreNeverExpanded) {
  // A "billion laughs": ten levels of ten aliases each would be 10^10 nodes expanded.
  std::string t = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string prev = "a";
  for (char c = 'b'; c <= 'k'; ++c) {
    t += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) t += (i ? ", *" : "*") + prev;
    t += "]\n";
    prev = std::string(1, c);
  }
  yaml::Limits lim;
  lim.max_nodes = 1000;
  auto d = yaml::parse(t, "bomb.yaml", lim);
  ASSERT_TRUE(d.ok()) << d.error().message();
  EXPECT_TRUE((*d)[0].has_anchors);
  EXPECT_EQ((*d)[0].root.get("k")->items[0].kind, yaml::Kind::Alias);
}

TEST(Yaml, LimitsHold) {
  std::string deep(5000, '[');
  auto d = yaml::parse(deep, "deep.yaml");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("nested deeper than 100"), std::string::npos);
  yaml::Limits lim;
  lim.max_documents = 3;
  EXPECT_FALSE(yaml::parse("a\n---\nb\n---\nc\n---\nd\n", "docs.yaml", lim).ok());
  lim = {};
  lim.max_bytes = 10;
  EXPECT_FALSE(yaml::parse("a: 12345678901234567890", "big.yaml", lim).ok());
  lim = {};
  lim.max_nodes = 10;
  EXPECT_FALSE(yaml::parse("[1,2,3,4,5,6,7,8,9,10,11,12]", "many.yaml", lim).ok());
}

TEST(Naming, HashIsTheBundleFormats) {
  char tmpl[] = "/tmp/confine-naming.XXXXXX";
  std::string dir = std::string(mkdtemp(tmpl)) + "/web";
  fs::create_directories(dir);
  std::string sc = "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": []}\n";
  std::string aa = "profile rec {\n  /etc/** r,\n}\n";
  std::string beh = "{\"version\": 1}\n";
  std::ofstream(dir + "/seccomp.json") << sc;
  std::ofstream(dir + "/apparmor.profile") << aa;
  std::ofstream(dir + "/behavior.json") << beh;
  auto p = bundle_profile(dir, "web");
  ASSERT_TRUE(p.ok()) << p.error().message();
  // By hand, as docs/kubernetes.md "Bundle format" says, over the files the bundle holds (the
  // seccomp file in its bundle form: `confine k8s bundle` adds the runtime's post-filter
  // syscalls to a profile not recorded with --target oci).
  std::string aa0 = "profile confine-web-000000000000 {\n  /etc/** r,\n}\n";
  std::string digest = "confine-k8s-profile/1\nmode enforce\nseccomp " + sha256_hex(p->seccomp) +
                       "\napparmor " + sha256_hex(aa0) + "\nbehavior " + sha256_hex(beh) + "\n";
  std::string h = sha256_hex(digest).substr(0, 12);
  EXPECT_EQ(p->hash, h);
  EXPECT_EQ(p->localhost_seccomp(), "confine/web-" + h + ".json");
  EXPECT_EQ(*p->apparmor, "profile confine-web-" + h + " {\n  /etc/** r,\n}\n");
  // A Docker-only key is refused (the bundle cannot convert it).
  std::ofstream(dir + "/seccomp.json")
      << "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"mount\"], \"action\": "
         "\"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}}]}";
  EXPECT_FALSE(bundle_profile(dir, "web").ok());
  EXPECT_FALSE(bundle_profile(dir, "Web_1").ok());
  fs::remove_all(fs::path(dir).parent_path());
}

PatchProfile profile(const std::string& container, bool apparmor = true) {
  PatchProfile p;
  p.container = container;
  p.files.name = container;
  p.files.mode = "enforce";
  p.files.hash = "0123456789ab";
  if (apparmor) p.files.apparmor = "profile confine-x {}";
  confine::behavior::Behavior b;
  b.binds.insert("0.0.0.0:80");
  b.files["/tmp/cache/x"] = confine::behavior::kWrite | confine::behavior::kCreate | confine::behavior::kRead;
  b.files["/etc/passwd"] = confine::behavior::kRead;
  p.behavior = b;
  return p;
}

std::string patch(const std::string& in, PatchOptions& o) {
  auto r = patch_manifest(in, "m.yaml", o);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? r->text : "";
}

TEST(Patch, DeploymentKeepsEverythingElse) {
  std::string in =
      "# the app\n"
      "apiVersion: apps/v1\n"
      "kind: Deployment\n"
      "metadata: {name: web}   # flow style here is fine: not touched\n"
      "spec:\n"
      "  replicas: 2 # two\n"
      "  template:\n"
      "    metadata:\n"
      "      labels: {app: web}\n"
      "    spec:\n"
      "      containers:\n"
      "      - name: web\n"
      "        image: 'nginx:1'   # quoted\n"
      "        securityContext:\n"
      "          runAsUser: 101 # keep\n"
      "          allowPrivilegeEscalation: true # replaced\n"
      "      - name: side\n"
      "        image: busybox\n"
      "      # trailing comment\n";
  PatchOptions o;
  o.profiles.push_back(profile("web"));
  o.runtime_class = "confine-abc";
  std::string want =
      "# the app\n"
      "apiVersion: apps/v1\n"
      "kind: Deployment\n"
      "metadata: {name: web}   # flow style here is fine: not touched\n"
      "spec:\n"
      "  replicas: 2 # two\n"
      "  template:\n"
      "    metadata:\n"
      "      labels: {app: web}\n"
      "    spec:\n"
      "      containers:\n"
      "      - name: web\n"
      "        image: 'nginx:1'   # quoted\n"
      "        securityContext:\n"
      "          runAsUser: 101 # keep\n"
      "          allowPrivilegeEscalation: false\n"
      "          seccompProfile:\n"
      "            type: Localhost\n"
      "            localhostProfile: \"confine/web-0123456789ab.json\"\n"
      "          appArmorProfile:\n"
      "            type: Localhost\n"
      "            localhostProfile: \"confine-web-0123456789ab\"\n"
      "          capabilities:\n"
      "            drop:\n"
      "              - \"ALL\"\n"
      "            add:\n"
      "              - \"NET_BIND_SERVICE\"\n"
      "          readOnlyRootFilesystem: true\n"
      "        volumeMounts:\n"
      "          - name: \"confine-rw-0\"\n"
      "            mountPath: \"/tmp\"\n"
      "      - name: side\n"
      "        image: busybox\n"
      "      volumes:\n"
      "        - name: \"confine-rw-0\"\n"
      "          emptyDir: {}\n"
      "      runtimeClassName: \"confine-abc\"\n"
      "      # trailing comment\n";
  EXPECT_EQ(patch(in, o), want);
  EXPECT_TRUE(o.profiles[0].used);
}

TEST(Patch, CronJobInitContainersListAndOldAppArmor) {
  std::string in =
      "apiVersion: v1\n"
      "kind: List\n"
      "items:\n"
      "- apiVersion: batch/v1\n"
      "  kind: CronJob\n"
      "  metadata:\n"
      "    name: c\n"
      "  spec:\n"
      "    schedule: '* * * * *'\n"
      "    jobTemplate:\n"
      "      spec:\n"
      "        template:\n"
      "          spec:\n"
      "            initContainers:\n"
      "            - name: init\n"
      "              image: busybox\n"
      "            containers:\n"
      "            - name: main\n"
      "              image: busybox\n"
      "              volumeMounts: []\n"
      "            volumes:\n"
      "            - name: data\n"
      "              emptyDir: {}\n"
      "- kind: ConfigMap\n"
      "  metadata: {name: x}\n";
  PatchOptions o;
  o.profiles.push_back(profile("init"));
  o.k8s_minor = 29;
  auto r = patch_manifest(in, "m.yaml", o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const std::string& out = r->text;
  EXPECT_NE(out.find("            initContainers:\n            - name: init\n              image: busybox\n"
                     "              securityContext:\n"),
            std::string::npos)
      << out;
  EXPECT_NE(
      out.find(
          "            - name: data\n              emptyDir: {}\n            - name: \"confine-rw-0\"\n"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("          metadata:\n            annotations:\n"
                     "              container.apparmor.security.beta.kubernetes.io/init: "
                     "\"localhost/confine-init-0123456789ab\"\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("appArmorProfile"), std::string::npos);
  EXPECT_NE(out.find("              volumeMounts: []\n"), std::string::npos) << "main has no profile";
  bool reported_main = false, reported_cm = false;
  for (const auto& l : r->report) {
    reported_main |= l.find("containers[main]: no profile given") != std::string::npos;
    reported_cm |= l.find("kind ConfigMap is not a workload") != std::string::npos;
  }
  EXPECT_TRUE(reported_main);
  EXPECT_TRUE(reported_cm);
}

TEST(Patch, NeverAnEmptyDirOverWhatItReads) {
  PatchProfile p = profile("web");
  p.behavior->files["/var/lib/app/state.db"] = confine::behavior::kRead | confine::behavior::kWrite;
  auto w = emptydir_candidates(*p.behavior);
  ASSERT_EQ(w.blocked.size(), 1u);
  EXPECT_EQ(w.blocked[0].first, "/var/lib/app");
  // Appending to a file that was there (written without creating it) blocks its directory too.
  confine::behavior::Behavior log;
  log.files["/var/log/app.log"] = confine::behavior::kWrite;
  log.files["/var/log/new.log"] = confine::behavior::kWrite | confine::behavior::kCreate;
  auto lw = emptydir_candidates(log);
  ASSERT_EQ(lw.blocked.size(), 1u);
  EXPECT_EQ(lw.blocked[0].second, "/var/log/app.log");
  EXPECT_TRUE(lw.empty_dirs.empty());
  PatchOptions o;
  o.profiles.push_back(p);
  std::string out = patch("kind: Pod\nspec:\n  containers:\n  - name: web\n    image: x\n", o);
  EXPECT_EQ(out.find("readOnlyRootFilesystem"), std::string::npos) << out;
  EXPECT_EQ(out.find("emptyDir"), std::string::npos) << out;
  EXPECT_NE(out.find("seccompProfile"), std::string::npos) << out;
}

TEST(Patch, RefusesWhatItCannotEditSafely) {
  PatchOptions o;
  o.profiles.push_back(profile("web"));
  auto flow = patch_manifest("kind: Pod\nspec: {containers: [{name: web, image: x}]}\n", "f.yaml", o);
  ASSERT_FALSE(flow.ok());
  EXPECT_NE(flow.error().message().find("f.yaml:2:"), std::string::npos) << flow.error().message();
  auto anchors = patch_manifest(
      "kind: Pod\nspec:\n  containers:\n  - &c\n    name: web\n    image: x\n  initContainers:\n  - *c\n",
      "a.yaml", o);
  ASSERT_FALSE(anchors.ok());
  EXPECT_NE(anchors.error().message().find("anchors"), std::string::npos);
  auto priv = patch_manifest(
      "kind: Pod\nspec:\n  containers:\n  - name: web\n    securityContext:\n      privileged: true\n",
      "p.yaml", o);
  EXPECT_FALSE(priv.ok());
  auto yes = patch_manifest(
      "kind: Pod\nspec:\n  containers:\n  - name: web\n    securityContext:\n      privileged: yes\n",
      "y.yaml", o);
  EXPECT_FALSE(yes.ok()) << "YAML 1.1: yes is true to Kubernetes";
  // Found by fuzz/k8s_yaml_fuzz.cc: two containers of one name (one annotation key twice), a lone CR
  // (a line break to YAML, not to the editor).
  auto twice = patch_manifest("kind: Pod\nspec:\n  containers:\n  - name: web\n  - name: web\n", "t.yaml", o);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message().find("t.yaml:5:5: "), std::string::npos) << twice.error().message();
  auto cr = patch_manifest("kind: Pod\nspec:\n  containers:\n  - name: web\n    x: a\rb: c\n", "cr.yaml", o);
  ASSERT_FALSE(cr.ok());
  EXPECT_NE(cr.error().message().find("cr.yaml:5: a line break other than LF"), std::string::npos)
      << cr.error().message();
  auto bad = patch_manifest("kind: Pod\nspec:\n  containers:\n  - name: web\n   image: x\n", "b.yaml", o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().rfind("b.yaml:", 0), 0u) << bad.error().message();
}

TEST(Patch, AnExistingAppArmorAnnotationFollowsTheField) {
  PatchOptions o;
  o.profiles.push_back(profile("web"));
  std::string out = patch(
      "kind: Pod\nmetadata:\n  name: p\n  annotations:\n"
      "    container.apparmor.security.beta.kubernetes.io/web: runtime/default  # old\n"
      "spec:\n  containers:\n  - name: web\n",
      o);
  EXPECT_NE(
      out.find(
          "    container.apparmor.security.beta.kubernetes.io/web: \"localhost/confine-web-0123456789ab\"\n"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("appArmorProfile:"), std::string::npos) << out;
}

TEST(Patch, UnknownKindsAndNoProfilesChangeNothing) {
  std::string in =
      "kind: Service\nmetadata:\n  name: s # c\n---\n---\nkind: Pod\nspec:\n  containers:\n  - name: a\n";
  PatchOptions o;
  o.profiles.push_back(profile("web"));
  EXPECT_EQ(patch(in, o), in);
  EXPECT_FALSE(o.profiles[0].used);
}

TEST(Patch, CrlfStaysCrlfAndVersions) {
  PatchOptions o;
  o.profiles.push_back(profile("web", false));
  std::string out = patch("kind: Pod\r\nspec:\r\n  containers:\r\n  - name: web\r\n    image: x\r\n", o);
  EXPECT_NE(out.find("seccompProfile"), std::string::npos);
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n') {
      EXPECT_EQ(out[i - 1], '\r') << out;
    }
  }
  EXPECT_EQ(*parse_k8s_minor("v1.30.2"), 30u);
  EXPECT_EQ(*parse_k8s_minor("1.29"), 29u);
  EXPECT_FALSE(parse_k8s_minor("2.1").ok());
  EXPECT_FALSE(parse_k8s_minor("1.x").ok());
  EXPECT_EQ(yaml_quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\x0a\"");
}

}  // namespace
