// summarize / diff_profiles / merge_profiles, on small profiles and on Docker's and podman's real ones.
#include "seccomp/merge.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "syscalls/syscalls.h"

namespace confine::seccomp {
namespace {

const std::string kDocker = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";
const std::string kPodman = "/usr/share/containers/seccomp.json";

Profile must_parse(std::string_view text, std::string_view name = "p.json") {
  auto p = parse_profile_text(text, name);
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? *p : Profile{};
}

ResolvedProfile must_resolve(const Profile& p, std::set<std::string> caps = {}) {
  ResolveContext c;
  c.arch = Arch::X86_64;
  c.arches = std::vector<Arch>{Arch::X86_64};
  c.kernel = KernelVersion{6, 18};
  c.caps = std::move(caps);
  auto r = resolve(p, c);
  EXPECT_TRUE(r.ok());
  return r.ok() ? *r : ResolvedProfile{};
}

// Syscalls every call of which is allowed (the first unconditional rule decides; no rule = default).
std::set<std::string> fully_allowed(const ResolvedProfile& r) {
  std::set<std::string> out;
  const ArchTable& t = r.arches.at(0);
  for (const auto& e : syscall_table(t.arch)) {
    const ResolvedRule* decide = nullptr;
    bool any = false;
    for (const auto& x : t.rules)
      if (x.nr == e.nr) {
        any = true;
        if (x.conds.empty() && !decide) decide = &x;
      }
    if (decide ? decide->action.kind == ActionKind::Allow
               : (!any && r.default_action.kind == ActionKind::Allow))
      out.insert(std::string(e.name));
  }
  return out;
}

TEST(Summary, CountsPerSyscall) {
  Profile p = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},)"
      R"({"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},)"
      R"({"names":["ptrace"],"action":"SCMP_ACT_KILL_PROCESS"},{"names":["read"],"action":"SCMP_ACT_LOG"}]})");
  auto s = summarize(must_resolve(p));
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].allowed, 2u);
  EXPECT_EQ(s[0].conditional, 1u);
  EXPECT_EQ(s[0].other, 1u);
  ASSERT_EQ(s[0].conflicts.size(), 1u);
  EXPECT_EQ(s[0].conflicts[0].substr(0, 39), "read: several unconditional actions (AL");
}

TEST(Diff, SmallProfiles) {
  Profile a = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","getpid"],"action":"SCMP_ACT_ALLOW"}]})");
  Profile b = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","close"],"action":"SCMP_ACT_ALLOW"},)"
      R"({"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_LE"}]},)"
      R"({"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]})");
  auto ra = must_resolve(a), rb = must_resolve(b);
  EXPECT_TRUE(diff_profiles(ra, ra).empty());
  auto d = diff_profiles(ra, rb);
  EXPECT_FALSE(d.default_action);
  ASSERT_EQ(d.arches.size(), 1u);
  EXPECT_EQ(d.arches[0].only_a, std::vector<std::string>{"getpid"});
  EXPECT_EQ(d.arches[0].only_b, std::vector<std::string>{"close"});
  ASSERT_EQ(d.arches[0].changed.size(), 1u);
  EXPECT_EQ(d.arches[0].changed[0].name, "write");
  EXPECT_EQ(d.arches[0].changed[0].a, "ALLOW");
  EXPECT_EQ(d.arches[0].changed[0].b, "ALLOW if arg0 <= 0x2 | else ERRNO(1 EPERM)");
}

TEST(Diff, DockerVsPodmanIsNotEmptyAndSymmetric) {
  auto a = load_profile(kDocker), b = load_profile(kPodman);
  if (!a.ok() || !b.ok()) FAIL() << "not installed (make deps-test installs it; never a skip)";
  auto ra = must_resolve(*a), rb = must_resolve(*b);
  auto d1 = diff_profiles(ra, rb), d2 = diff_profiles(rb, ra);
  ASSERT_TRUE(d1.default_action);  // EPERM vs ENOSYS
  EXPECT_EQ(d1.default_action->first, "ERRNO(1 EPERM)");
  EXPECT_EQ(d1.default_action->second, "ERRNO(38 ENOSYS)");
  EXPECT_EQ(d1.arches[0].only_a, d2.arches[0].only_b);
  EXPECT_EQ(d1.arches[0].only_b, d2.arches[0].only_a);
  EXPECT_EQ(d1.arches[0].changed.size(), d2.arches[0].changed.size());
}

TEST(Merge, DefaultsAndConflicts) {
  Profile a = must_parse(
      R"({"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ptrace","reboot"],"action":"SCMP_ACT_ERRNO"}]})",
      "a.json");
  Profile b = must_parse(
      R"({"defaultAction":"SCMP_ACT_KILL_PROCESS","syscalls":[{"names":["read","ptrace"],"action":"SCMP_ACT_ALLOW"}]})",
      "b.json");
  std::vector<Profile> in{a, b};
  auto m = merge_profiles(in);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->profile.default_action, ActionKind::KillProcess);
  ASSERT_GE(m->conflicts.size(), 2u);
  EXPECT_EQ(m->conflicts[0],
            "default actions differ (a.json: SCMP_ACT_ALLOW, b.json: SCMP_ACT_KILL_PROCESS); using the most "
            "restrictive, SCMP_ACT_KILL_PROCESS from b.json");
  EXPECT_NE(std::find(m->conflicts.begin(), m->conflicts.end(),
                      "ptrace: SCMP_ACT_ALLOW (b.json) wins over SCMP_ACT_ERRNO (a.json)"),
            m->conflicts.end());
  auto allowed = fully_allowed(must_resolve(m->profile));
  EXPECT_TRUE(allowed.count("ptrace"));
  EXPECT_TRUE(allowed.count("read"));
  EXPECT_TRUE(allowed.count("getpid"));  // from a.json's ALLOW default
  EXPECT_FALSE(allowed.count("reboot"));
  // The result is a valid profile text.
  auto re = parse_profile_text(format_profile(m->profile), "merged.json");
  ASSERT_TRUE(re.ok()) << re.error().message();
}

TEST(Merge, ErrnoWithoutErrnoRetIsEperm) {
  Profile a = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]})",
      "a.json");
  Profile b = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO"}]})",
      "b.json");
  std::vector<Profile> in{a, b};
  auto m = merge_profiles(in);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->conflicts.empty()) << ::testing::PrintToString(m->conflicts);
  EXPECT_EQ(m->profile.syscalls.size(), 1u);
}

// The union property on real profiles, for several capability sets.
TEST(Merge, DockerAndPodmanUnionAllowsWhatEitherAllows) {
  auto a = load_profile(kDocker), b = load_profile(kPodman);
  if (!a.ok() || !b.ok()) FAIL() << "not installed (make deps-test installs it; never a skip)";
  std::vector<Profile> in{*a, *b};
  auto m = merge_profiles(in);
  ASSERT_TRUE(m.ok());
  auto text = format_profile(m->profile);
  auto re = parse_profile_text(text, "merged.json");
  ASSERT_TRUE(re.ok()) << re.error().message();
  for (std::set<std::string> caps : {std::set<std::string>{}, std::set<std::string>{"CAP_SYS_ADMIN"},
                                     std::set<std::string>{"CAP_SYS_PTRACE", "CAP_SYS_BOOT", "CAP_SYSLOG"}}) {
    auto merged = fully_allowed(must_resolve(*re, caps));
    for (const Profile* p : {&*a, &*b}) {
      for (const auto& n : fully_allowed(must_resolve(*p, caps)))
        EXPECT_TRUE(merged.count(n)) << n << " allowed by " << p->source << " but not by the merge";
    }
  }
  // Merging a profile with itself changes nothing.
  std::vector<Profile> same{*a, *a};
  auto ms = merge_profiles(same);
  ASSERT_TRUE(ms.ok());
  EXPECT_TRUE(ms->conflicts.empty());
  EXPECT_TRUE(diff_profiles(must_resolve(*a), must_resolve(ms->profile)).empty());
}

}  // namespace
}  // namespace confine::seccomp
