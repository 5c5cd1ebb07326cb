// The bundle writer (`confine k8s bundle`): names, content hashes, the split into parts, the
// seccomp/AppArmor conversions and the YAML emitter.
#include "k8s/writer.h"

#include <gtest/gtest.h>

#include <string>

#include "apparmor/apparmor.h"
#include "generate/generate.h"
#include "k8s/bundle.h"
#include "k8s/label.h"
#include "k8s/sha256.h"
#include "seccomp/profile.h"

using namespace confine::k8s;

namespace {
const std::string kSeccomp =
    R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]})";
const std::string kApparmor = "profile web /usr/bin/web flags=(attach_disconnected) {\n  /etc/hosts r,\n}\n";
const std::string kBehavior = "{\"format\": 1}\n";

std::string with_runtime_rule() {
  std::vector<std::string> notes;
  auto s = oci_seccomp(kSeccomp, "s.json", "enforce", &notes);
  EXPECT_TRUE(s.ok());
  return s.ok() ? *s : "";
}
}  // namespace

TEST(K8sWriter, ProfileArg) {
  auto a = parse_profile_arg("prof/web/", "enforce");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name, "web");
  EXPECT_EQ(a->dir, "prof/web");
  EXPECT_EQ(a->mode, "enforce");
  a = parse_profile_arg("api=out/x:complain", "enforce");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name, "api");
  EXPECT_EQ(a->dir, "out/x");
  EXPECT_EQ(a->mode, "complain");
  a = parse_profile_arg("web:enforce", "complain");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->mode, "enforce");
  // Not silently mangled: an invalid directory name needs NAME=.
  EXPECT_FALSE(parse_profile_arg("out/Web_1", "enforce").ok());
  EXPECT_NE(parse_profile_arg("out/Web_1", "enforce").error().message().find("NAME=DIR"), std::string::npos);
  EXPECT_FALSE(parse_profile_arg("../x=y", "enforce").ok());  // '=' after a '/' is part of the path
  EXPECT_FALSE(parse_profile_arg("-a=dir", "enforce").ok());
  EXPECT_FALSE(parse_profile_arg(std::string(51, 'a') + "=dir", "enforce").ok());
}

TEST(K8sWriter, SplitParts) {
  size_t b = kPartOverhead + 250;
  auto p = split_parts({100, 100, 100, 250}, b);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ((*p)[0], (std::vector<size_t>{0, 1}));
  EXPECT_EQ((*p)[1], (std::vector<size_t>{2}));
  EXPECT_EQ((*p)[2], (std::vector<size_t>{3}));
  auto big = split_parts({100, 251}, b);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message().find("never split"), std::string::npos);
}

TEST(K8sWriter, OciSeccompAddsTheRuntimeRowsOnceAndKeepsBytes) {
  std::vector<std::string> notes;
  auto s = oci_seccomp(kSeccomp, "s.json", "enforce", &notes);
  ASSERT_TRUE(s.ok()) << s.error().message();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("runtime_post_filter_syscalls"), std::string::npos);
  auto p = confine::seccomp::parse_profile_text(*s, "s.json");
  ASSERT_TRUE(p.ok());
  std::set<std::string> allowed;
  for (const auto& r : p->syscalls) allowed.insert(r.names.begin(), r.names.end());
  for (const auto& rs : confine::generate::runtime_post_filter_syscalls())
    EXPECT_TRUE(allowed.count(rs.name)) << rs.name;
  // Already for a container runtime: the bytes are kept (the hash is of what was recorded).
  notes.clear();
  auto again = oci_seccomp(*s, "s.json", "enforce", &notes);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *s);
  EXPECT_TRUE(notes.empty());
  // Complain: defaultAction LOG.
  auto c = oci_seccomp(*s, "s.json", "complain", &notes);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(confine::seccomp::parse_profile_text(*c, "c")->default_action, confine::seccomp::ActionKind::Log);
  EXPECT_FALSE(oci_seccomp(*c, "c.json", "enforce", &notes).ok());  // a LOG default is complain
}

TEST(K8sWriter, OciSeccompFailsClosed) {
  std::vector<std::string> notes;
  EXPECT_FALSE(
      oci_seccomp(R"({"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64",
    "subArchitectures": ["SCMP_ARCH_X86"]}], "syscalls": []})",
                  "a", "enforce", &notes)
          .ok());
  EXPECT_FALSE(oci_seccomp(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["ptrace"],
    "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}}]})",
                           "i", "enforce", &notes)
                   .ok());
  EXPECT_FALSE(oci_seccomp(R"({"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
    "syscalls": []})",
                           "f", "enforce", &notes)
                   .ok());
  EXPECT_FALSE(oci_seccomp("{", "j", "enforce", &notes).ok());
  // The LOG flag (a host-target recording) is dropped, with a note.
  notes.clear();
  auto l = oci_seccomp(R"({"defaultAction": "SCMP_ACT_ERRNO", "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": []})",
                       "l", "enforce", &notes);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->find("flags"), std::string::npos);
  EXPECT_EQ(notes.size(), 2u);
}

TEST(K8sWriter, ApparmorRenamedWithoutAttachment) {
  std::vector<std::string> notes;
  auto a = bundle_apparmor(kApparmor, "a", "web", "complain", &notes);
  ASSERT_TRUE(a.ok()) << a.error().message();
  auto f = confine::apparmor::parse(*a, "a");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(confine::apparmor::profile_names(*f), std::vector<std::string>{"confine-web-000000000000"});
  EXPECT_EQ(a->find("/usr/bin/web"), std::string::npos);
  EXPECT_NE(a->find("complain"), std::string::npos);
  EXPECT_NE(a->find("attach_disconnected"), std::string::npos);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_FALSE(bundle_apparmor(kApparmor + "profile other {\n}\n", "a", "web", "enforce", &notes).ok());
  EXPECT_FALSE(bundle_apparmor("# nothing\n", "a", "web", "enforce", &notes).ok());
}

TEST(K8sWriter, PreparedHashIsWhatTheAgentRecomputes) {
  for (const char* mode : {"enforce", "complain"}) {
    auto p = prepare_profile("web", mode, with_runtime_rule(), &kApparmor, &kBehavior, "d");
    ASSERT_TRUE(p.ok()) << p.error().message();
    const ProfileEntry& e = p->entry;
    ASSERT_EQ(p->files.size(), 3u);
    EXPECT_EQ(p->files[0].first, "web-" + e.hash + ".json");
    const std::string& sc = p->files[0].second;
    const std::string& aa = p->files[1].second;
    EXPECT_NE(aa.find("profile confine-web-" + e.hash + " "), std::string::npos) << aa;
    std::string norm = normalise_apparmor(aa, e.hash);
    EXPECT_EQ(profile_hash(mode, sc, &norm, &kBehavior), e.hash);
    EXPECT_EQ(e.seccomp->sha256, sha256_hex(sc));
    EXPECT_EQ(e.apparmor->sha256, sha256_hex(aa));
    EXPECT_EQ(e.apparmor_profile, "confine-web-" + e.hash);
    EXPECT_TRUE(oci_form_problem(sc).empty());
  }
  auto a = prepare_profile("web", "enforce", with_runtime_rule(), nullptr, nullptr, "d");
  auto b = prepare_profile("web", "enforce", with_runtime_rule(), nullptr, &kBehavior, "d");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->entry.hash, b->entry.hash);  // every file is covered
  EXPECT_FALSE(prepare_profile("Web", "enforce", kSeccomp, nullptr, nullptr, "d").ok());
}

TEST(K8sWriter, PlanBundle) {
  auto a = prepare_profile("web", "enforce", with_runtime_rule(), &kApparmor, &kBehavior, "d");
  auto b = prepare_profile("cat", "enforce", with_runtime_rule(), nullptr, nullptr, "d");
  ASSERT_TRUE(a.ok() && b.ok());
  BundleOptions o;
  auto r = plan_bundle({*a, *b}, o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->bundle, bundle_hash({&a->entry, &b->entry}));
  EXPECT_EQ(r->parts.size(), 1u);
  std::set<std::string> names;
  for (const auto& [f, t] : r->files) names.insert(f);
  for (const char* f : {"kustomization.yaml", "configmap-1.yaml", "daemonset.yaml", "rbac.yaml",
                        "admission-policy.yaml", "runtimeclass.yaml", "namespace.yaml"})
    EXPECT_TRUE(names.count(f)) << f;
  EXPECT_EQ(r->runtime_classes[0], "confine-" + r->bundle);
  EXPECT_FALSE(plan_bundle({*a, *a}, o).ok());  // the same name twice
  EXPECT_FALSE(plan_bundle({}, o).ok());
  {
    // Text beyond printable ASCII goes into binaryData, base64.
    const std::string beh = "{\"p\": \"caf\xc3\xa9\"}\r\n";
    auto u = prepare_profile("u", "enforce", with_runtime_rule(), nullptr, &beh, "d");
    ASSERT_TRUE(u.ok()) << u.error().message();
    auto ru = plan_bundle({*u}, o);
    ASSERT_TRUE(ru.ok());
    std::string cm;
    for (const auto& [f, t] : ru->files)
      if (f == "configmap-1.yaml") cm = t;
    EXPECT_NE(cm.find("binaryData:\n  u-" + u->entry.hash + ".behavior.json: \"eyJwIjogImNhZsOpIn0NCg==\""),
              std::string::npos)
        << cm;
  }
  o.budget = kPartOverhead + std::max(a->cost, b->cost) + 1;  // one profile per part
  auto small = plan_bundle({*a, *b}, o);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(small->parts.size(), 2u);
}

TEST(K8sWriter, Yaml) {
  auto v = confine::json::parse(
      R"({"a": "x", "on": true, "n": 3, "e": {}, "l": [], "list": [{"k": "v", "m": 1}, "s"],
    "q": "say \"hi\"\\ \u2028 \u0085 \t", "ml": "line one is long enough to be a literal block in the output\nline 2\n"})");
  ASSERT_TRUE(v.ok());
  auto y = to_yaml(*v);
  ASSERT_TRUE(y.ok()) << y.error().message();
  EXPECT_EQ(*y,
            "a: \"x\"\n\"on\": true\n\"n\": 3\ne: {}\nl: []\nlist:\n- k: \"v\"\n  m: 1\n- \"s\"\n"
            "q: \"say \\\"hi\\\"\\\\ \\u2028 \\x85 \\t\"\n"
            "ml: |\n  line one is long enough to be a literal block in the output\n  line 2\n");
  confine::json::Value bad = confine::json::Value::make_object();
  bad.add("x", confine::json::Value::make_string("\xff"));
  EXPECT_FALSE(to_yaml(bad).ok());
}

TEST(K8sLabels, MergePatch) {
  auto cur = confine::json::parse(
      R"({"confine.dev/bundle-0123456789ab": "installed", "confine.dev/apparmor": "unsupported", "x": "y"})");
  auto want = confine::json::parse(
      R"({"confine.dev/bundle-aaaaaaaaaaaa": "installed", "confine.dev/apparmor": "unsupported"})");
  ASSERT_TRUE(cur.ok() && want.ok());
  auto p = confine::json::parse(label_patch(*cur, *want));
  ASSERT_TRUE(p.ok());
  const auto* l = p->find("metadata")->find("labels");
  ASSERT_EQ(l->members.size(), 3u);
  EXPECT_EQ(l->find("confine.dev/bundle-aaaaaaaaaaaa")->text, "installed");
  EXPECT_TRUE(l->find("confine.dev/bundle-0123456789ab")->is(confine::json::Type::Null));
  EXPECT_EQ(l->find("x"), nullptr);  // other labels untouched
  // Nothing to change: no patch.
  EXPECT_EQ(label_patch(*want, *want), "");
  // Not ready (no bundle label): the old bundle's label goes.
  auto none = confine::json::parse(R"({"confine.dev/apparmor": "unsupported"})");
  EXPECT_NE(label_patch(*cur, *none).find("\"confine.dev/bundle-0123456789ab\":null"), std::string::npos)
      << label_patch(*cur, *none);
}
