// Profile parser/validator/writer: real profiles written by Docker and podman,
// and broken ones with exact messages and positions.
#include "seccomp/profile.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "syscalls/syscalls.h"

namespace confine::seccomp {
namespace {

const std::string kMoby = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/";
const std::string kPodman = "/usr/share/containers/seccomp.json";

bool same_filter(const std::optional<Filter>& a, const std::optional<Filter>& b) {
  if (a.has_value() != b.has_value()) return false;
  if (!a) return true;
  return a->caps == b->caps && a->arches == b->arches && a->min_kernel == b->min_kernel;
}

// Model equality, positions ignored.
::testing::AssertionResult same_profile(const Profile& a, const Profile& b) {
  if (a.default_action != b.default_action) return ::testing::AssertionFailure() << "defaultAction";
  if (a.default_errno_ret != b.default_errno_ret) return ::testing::AssertionFailure() << "defaultErrnoRet";
  if (a.architectures != b.architectures) return ::testing::AssertionFailure() << "architectures";
  if (a.arch_map.size() != b.arch_map.size()) return ::testing::AssertionFailure() << "archMap size";
  for (size_t i = 0; i < a.arch_map.size(); ++i)
    if (a.arch_map[i].arch != b.arch_map[i].arch || a.arch_map[i].sub_arches != b.arch_map[i].sub_arches)
      return ::testing::AssertionFailure() << "archMap[" << i << "]";
  if (a.flags != b.flags || a.listener_path != b.listener_path || a.listener_metadata != b.listener_metadata)
    return ::testing::AssertionFailure() << "flags/listener";
  if (a.syscalls.size() != b.syscalls.size()) return ::testing::AssertionFailure() << "syscalls size";
  for (size_t i = 0; i < a.syscalls.size(); ++i) {
    const auto &x = a.syscalls[i], &y = b.syscalls[i];
    if (x.names != y.names || x.action != y.action || x.errno_ret != y.errno_ret || x.args != y.args ||
        x.comment != y.comment || !same_filter(x.includes, y.includes) ||
        !same_filter(x.excludes, y.excludes))
      return ::testing::AssertionFailure() << "syscalls[" << i << "]";
    if (x.name_pos.size() != x.names.size()) return ::testing::AssertionFailure() << "name_pos size";
  }
  return ::testing::AssertionSuccess();
}

// Parses, writes, re-parses: the model must survive unchanged, and the text must be a fixpoint.
void expect_round_trip(const std::string& path) {
  std::vector<Warning> w;
  auto p = load_profile(path, &w);
  if (!p.ok() && p.error().sys_errno() == ENOENT)
    FAIL() << path << " not installed (required: see README Set-up; never a skip)";
  ASSERT_TRUE(p.ok()) << p.error().message();
  std::string text = format_profile(*p);
  auto p2 = parse_profile_text(text, "rewritten.json");
  ASSERT_TRUE(p2.ok()) << p2.error().message();
  EXPECT_TRUE(same_profile(*p, *p2)) << path;
  EXPECT_EQ(format_profile(*p2), text);
}

TEST(Profile, DockerDefaultParses) {
  std::vector<Warning> w;
  auto p = load_profile(kMoby + "default.json", &w);
  if (!p.ok() && p.error().sys_errno() == ENOENT)
    FAIL() << "not installed (make deps-test installs it; never a skip)";
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->default_action, ActionKind::Errno);
  EXPECT_FALSE(p->default_errno_ret);
  ASSERT_FALSE(p->arch_map.empty());
  EXPECT_EQ(p->arch_map[0].arch, Arch::X86_64);
  EXPECT_EQ(p->arch_map[0].sub_arches, (std::vector<Arch>{Arch::X86, Arch::X32}));
  ASSERT_GT(p->syscalls.size(), 20u);
  const auto& first = p->syscalls[0];
  EXPECT_EQ(first.action, ActionKind::Allow);
  EXPECT_NE(std::find(first.names.begin(), first.names.end(), "read"), first.names.end());
  EXPECT_EQ(first.name_pos[0].file, kMoby + "default.json");
  EXPECT_GT(first.name_pos[0].line, 1u);
  // Unknown keys aside, Docker's own profile raises nothing but "not in our tables yet" notes.
  for (const auto& x : w)
    EXPECT_NE(x.message.find("on every architecture confine has tables for"), std::string::npos) << x.str();
  bool has_min_kernel = false;
  for (const auto& r : p->syscalls)
    if (r.includes && r.includes->min_kernel) has_min_kernel = *r.includes->min_kernel == KernelVersion{4, 8};
  EXPECT_TRUE(has_min_kernel);
}

TEST(Profile, RoundTripDockerDefault) { expect_round_trip(kMoby + "default.json"); }
TEST(Profile, RoundTripDockerFixtureOldFormat) {
  expect_round_trip(kMoby + "fixtures/default-old-format.json");
}
TEST(Profile, RoundTripDockerFixtureExample) { expect_round_trip(kMoby + "fixtures/example.json"); }
TEST(Profile, RoundTripDockerFixtureConditional) {
  expect_round_trip(kMoby + "fixtures/conditional_include.json");
}
TEST(Profile, RoundTripPodman) { expect_round_trip(kPodman); }

TEST(Profile, PodmanExtensionsAreWarnedByName) {
  std::vector<Warning> w;
  auto p = load_profile(kPodman, &w);
  if (!p.ok() && p.error().sys_errno() == ENOENT)
    FAIL() << "not installed (make deps-test installs it; never a skip)";
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->default_errno_ret, 38u);
  int errno_keys = 0;
  bool default_errno = false;
  for (const auto& x : w) {
    if (x.message.starts_with("unknown key \"errno\" in a syscall rule is ignored by runtimes")) ++errno_keys;
    if (x.message.starts_with("unknown key \"defaultErrno\" in the profile")) {
      default_errno = true;
      EXPECT_EQ(x.pos.str(), kPodman + ":4:2");
    }
  }
  EXPECT_EQ(errno_keys, 11);
  EXPECT_TRUE(default_errno);
}

TEST(Profile, OldFormatNameField) {
  auto p = load_profile(kMoby + "fixtures/example.json");
  if (!p.ok() && p.error().sys_errno() == ENOENT)
    FAIL() << "not installed (make deps-test installs it; never a skip)";
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->syscalls.size(), 3u);
  EXPECT_EQ(p->syscalls[0].names, std::vector<std::string>{"clone"});
  ASSERT_EQ(p->syscalls[0].args.size(), 1u);
  EXPECT_EQ(p->syscalls[0].args[0].op, CmpOp::MaskedEq);
  EXPECT_EQ(p->syscalls[0].args[0].value, 2114060288u);
}

std::string err(std::string_view text, std::vector<Warning>* w = nullptr) {
  auto p = parse_profile_text(text, "p.json", w);
  return p.ok() ? "OK" : p.error().message();
}

std::string rule(std::string_view body) {
  return std::string(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[)") + std::string(body) + "]}";
}

// Expects the error "p.json:1:<column of the first `at` in text>: msg" (msg may be a prefix).
void expect_err(const std::string& text, std::string_view at, const std::string& msg) {
  size_t col = text.find(at);
  ASSERT_NE(col, std::string::npos) << at;
  std::string want = "p.json:1:" + std::to_string(col + 1) + ": " + msg;
  std::string got = err(text);
  EXPECT_EQ(got.substr(0, want.size()), want) << "text: " << text;
}

TEST(Profile, SemanticErrorsHavePositions) {
  EXPECT_EQ(err("[]"), "p.json:1:1: a seccomp profile must be a JSON object, got array");
  EXPECT_EQ(err("{}"),
            "p.json:1:1: missing \"defaultAction\" (and no \"syscalls\": Docker would treat this as seccomp "
            "disabled)");
  expect_err(R"({"defaultAction": 1})", "1", "\"defaultAction\" must be a string, got number");
  expect_err(R"({"defaultAction": "SCMP_ACT_DENY"})", "\"SCMP_ACT_DENY",
             "unknown action \"SCMP_ACT_DENY\" (expected");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":1})"), "1}",
             "\"errnoRet\" is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW (action "
             "at p.json:1:");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":70000})"), "70000",
             "\"errnoRet\" is out of range: 70000 (maximum 65535)");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":-1})"), "-1",
             "\"errnoRet\" must be a non-negative integer, got -1");
  expect_err(rule(R"({"names":"read","action":"SCMP_ACT_ALLOW"})"), "\"read",
             "\"names\" must be an array of strings, got string");
  expect_err(rule(R"({"names":["read", 3],"action":"SCMP_ACT_ALLOW"})"), "3",
             "elements of \"names\" must be strings, got number");
  expect_err(rule(R"({"name":"read","names":["write"],"action":"SCMP_ACT_ALLOW"})"), "\"name\"",
             "both \"name\" and \"names\" are set; Docker rejects this, use \"names\"");
  expect_err(rule(R"({"names":["read"]})"), "{\"names", "syscall rule has no \"action\"");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":6,"op":"SCMP_CMP_EQ"}]})"),
             "6", "argument index 6 is out of range (syscalls have arguments 0..5)");
  expect_err(
      rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":1.5,"op":"SCMP_CMP_EQ"}]})"),
      "1.5", "\"index\" must be a non-negative integer, got 1.5");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"op":"SCMP_CMP_XX"}]})"),
             "\"SCMP_CMP_XX", "unknown operator \"SCMP_CMP_XX\" (expected SCMP_CMP_NE");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0}]})"), "{\"index",
             "argument condition has no \"op\"");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"5.8.1"}})"),
             "\"5.8.1", "invalid minKernel \"5.8.1\", expected \"<kernel>.<major>\"");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"0.0"}})"), "\"0.0",
             "invalid minKernel \"0.0\", expected \"<kernel>.<major>\": version cannot be 0.0");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"5.x"}})"), "\"5.x",
             "invalid minKernel \"5.x\", expected \"<kernel>.<major>\" (each part a number 0..255)");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"256.1"}})"),
             "\"256", "invalid minKernel \"256.1\"");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":5.8}})"), "5.8",
             "\"minKernel\" must be a string, got number");
  expect_err(rule(R"({"names":["read"],"action":"SCMP_ACT_ALLOW","excludes":[]})"), "[]}",
             "\"excludes\" must be an object, got array");
  expect_err(R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["amd64"]})", "\"amd64",
             "unknown architecture \"amd64\" (did you mean SCMP_ARCH_X86_64?)");
  expect_err(R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86"],)"
             R"("archMap":[{"architecture":"SCMP_ARCH_X86_64"}]})",
             "\"archMap",
             "both \"architectures\" and \"archMap\" are set; Docker rejects this, use one of them");
  expect_err(R"({"defaultAction":"SCMP_ACT_ERRNO","flags":["SECCOMP_FILTER_FLAG_TSYNC"]})", "\"SECCOMP",
             "unknown seccomp flag \"SECCOMP_FILTER_FLAG_TSYNC\" (expected SECCOMP_FILTER_FLAG_LOG, "
             "SECCOMP_FILTER_FLAG_SPEC_ALLOW or SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV; "
             "SECCOMP_FILTER_FLAG_TSYNC is "
             "managed by the runtime, not the profile)");
  expect_err(R"({"defaultAction":"SCMP_ACT_ALLOW","defaultErrnoRet":1})", "1}",
             "\"defaultErrnoRet\" is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_ALLOW "
             "(action at "
             "p.json:1:18)");
  expect_err(R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":{}})", "{}",
             "\"syscalls\" must be an array, got object");
  // JSON syntax errors keep their positions through the profile layer.
  EXPECT_EQ(err("{\"defaultAction\": \"SCMP_ACT_ERRNO\"\n  \"syscalls\": []}"),
            "p.json:2:3: expected ',' or '}' after object member, got '\"'");
}

TEST(Profile, UnknownSyscallSuggestsNames) {
  std::vector<Warning> w;
  std::string e = err(rule(R"({"names":["read","opne"],"action":"SCMP_ACT_ALLOW"})"), &w);
  // With tables for every arch this is an error; while some arch tables are missing, a warning.
  std::string msg = e;
  if (e == "OK") {
    ASSERT_EQ(w.size(), 1u);
    msg = w[0].str();
  }
  EXPECT_NE(msg.find("p.json:1:64: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown syscall \"opne\" (did you mean \"open\""), std::string::npos) << msg;
}

TEST(Profile, WarningsForIgnoredKeys) {
  std::vector<Warning> w;
  EXPECT_EQ(err(R"({"defaultAction":"SCMP_ACT_ERRNO","DefaultAction":"SCMP_ACT_ALLOW","bogus":1,)"
                R"("syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","note":"x"}]})",
                &w),
            "OK");
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].str(),
            "p.json:1:35: warning: key \"DefaultAction\" in the profile matches \"defaultAction\" only "
            "case-insensitively (Go runtimes accept it; write \"defaultAction\")");
  EXPECT_EQ(w[1].str().substr(0, 79),
            "p.json:1:35: warning: duplicate key \"DefaultAction\" in the profile (the last on");
  EXPECT_EQ(w[2].str().substr(0, 74),
            "p.json:1:68: warning: unknown key \"bogus\" in the profile is ignored by run");
  EXPECT_EQ(w[3].str().substr(0, 62), "p.json:1:134: warning: unknown key \"note\" in a syscall rule is");
  // Go semantics: the last duplicate wins.
  auto p =
      parse_profile_text(R"({"defaultAction":"SCMP_ACT_ERRNO","DefaultAction":"SCMP_ACT_ALLOW"})", "p.json");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->default_action, ActionKind::Allow);
}

TEST(Profile, SuspiciousButValidInputsWarn) {
  std::vector<Warning> w;
  std::string text = rule(
      R"({"names":["read","write","read"],"action":"SCMP_ACT_NOTIFY"},)"
      R"({"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"value":1,"valueTwo":2,"op":"SCMP_CMP_MASKED_EQ"}]})");
  EXPECT_EQ(err(text, &w), "OK");
  std::vector<std::string> msgs;
  for (const auto& x : w) msgs.push_back(x.str());
  ASSERT_EQ(msgs.size(), 4u) << ::testing::PrintToString(msgs);
  EXPECT_EQ(msgs[0], "p.json:1:72: warning: syscall \"read\" is listed twice in this rule");
  EXPECT_EQ(msgs[1], "p.json:1:161: warning: argument condition has no \"index\"; it applies to argument 0");
  EXPECT_EQ(msgs[2],
            "p.json:1:161: warning: SCMP_CMP_MASKED_EQ never matches: valueTwo has bits outside the mask "
            "\"value\"");
  EXPECT_EQ(msgs[3],
            "p.json:1:1: warning: SCMP_ACT_NOTIFY is used but \"listenerPath\" is empty (runc refuses this)");
}

TEST(Profile, NullMeansAbsentAndExactValues) {
  auto p = parse_profile_text(
      rule(R"({"names":["ioctl"],"action":"SCMP_ACT_ERRNO","comment":null,"includes":null,"args":[)"
           R"({"index":1,"value":18446744073709551615,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]})"),
      "p.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->syscalls.size(), 1u);
  EXPECT_EQ(p->syscalls[0].args[0].value, UINT64_MAX);
  EXPECT_FALSE(p->syscalls[0].includes);
  EXPECT_FALSE(p->syscalls[0].errno_ret);
}

TEST(Profile, OciConfigAndBareLinuxSeccomp) {
  std::string oci =
      R"({"ociVersion":"1.0.2","process":{"args":["sh"]},"linux":{"seccomp":)"
      R"({"defaultAction":"SCMP_ACT_KILL_PROCESS","architectures":["SCMP_ARCH_X86_64"],)"
      R"("flags":["SECCOMP_FILTER_FLAG_LOG"],"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}}})";
  auto p = parse_profile_text(oci, "config.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->default_action, ActionKind::KillProcess);
  EXPECT_EQ(p->flags, std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"});
  EXPECT_EQ(p->syscalls[0].pos.str(), "config.json:1:194");
  EXPECT_EQ(err(R"({"ociVersion":"1.0.2","linux":{}})"),
            "p.json:1:31: OCI config has no linux.seccomp profile (the container runs unconfined)");
  EXPECT_EQ(err(R"({"ociVersion":"1.0.2"})"),
            "p.json:1:1: OCI config has no \"linux\" object, so no linux.seccomp profile");
}

TEST(Profile, KernelVersionParse) {
  EXPECT_EQ(KernelVersion::parse("6.18"), (KernelVersion{6, 18}));
  EXPECT_EQ(KernelVersion::parse("6.18.3-amd64"), (KernelVersion{6, 18}));
  EXPECT_EQ(KernelVersion::parse("5.10-rc1"), (KernelVersion{5, 10}));
  EXPECT_FALSE(KernelVersion::parse("6"));
  EXPECT_FALSE(KernelVersion::parse("x.1"));
  EXPECT_FALSE(KernelVersion::parse("6.18x"));
  EXPECT_TRUE((KernelVersion{4, 8} < KernelVersion{4, 14}));
}

TEST(Profile, WriterIsCanonical) {
  auto p = parse_profile_text(
      R"({"syscalls":[{"action":"SCMP_ACT_KILL","name":"ptrace","comment":"","args":[]}],"defaultAction":"SCMP_ACT_ALLOW"})",
      "p.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(format_profile(*p),
            "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [\n    {\n      \"names\": "
            "[\"ptrace\"],\n"
            "      \"action\": \"SCMP_ACT_KILL_THREAD\"\n    }\n  ]\n}\n");
}

TEST(Profile, UnknownCapabilityInIncludesOrExcludesIsAnErrorWithPosition) {
  for (const char* key : {"includes", "excludes"}) {
    std::string text =
        std::string(
            "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n  {\"names\": [\"mkdir\"], "
            "\"action\": \"SCMP_ACT_ERRNO\",\n   \"") +
        key + "\": {\"caps\": [\"CAP_SYS_ADMIN\", \"CAP_BOGUS\"]}}]}";
    auto p = parse_profile_text(text, "p.json");
    ASSERT_FALSE(p.ok()) << key;
    EXPECT_NE(p.error().message().find("p.json:3:"), std::string::npos) << p.error().message();
    EXPECT_NE(p.error().message().find("unknown capability \"CAP_BOGUS\""), std::string::npos);
  }
  auto good = parse_profile_text(
      R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
          "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE"]}}]})",
      "ok.json");
  EXPECT_TRUE(good.ok()) << good.error().message();
}

}  // namespace
}  // namespace confine::seccomp
