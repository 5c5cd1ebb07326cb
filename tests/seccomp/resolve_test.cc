// Resolution: arch precedence, includes/excludes, errno defaults, runc's repeated-index rule;
// syscall numbers checked against libseccomp 2.5.4 as an oracle.
#include "seccomp/resolve.h"

#include <gtest/gtest.h>
#include <seccomp.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "syscalls/syscalls.h"

namespace confine::seccomp {
namespace {

const std::string kMoby = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/";

Profile must_parse(std::string_view text) {
  auto p = parse_profile_text(text, "p.json");
  EXPECT_TRUE(p.ok()) << p.error().message();
  return p.ok() ? *p : Profile{};
}

std::set<std::string> names_of(const ArchTable& t) {
  std::set<std::string> s;
  for (const auto& r : t.rules) s.insert(r.name);
  return s;
}

std::vector<Arch> arches_of(const ResolvedProfile& r) {
  std::vector<Arch> v;
  for (const auto& t : r.arches) v.push_back(t.arch);
  return v;
}

ResolveContext ctx_x86(std::set<std::string> caps = {}, KernelVersion k = {6, 18}) {
  ResolveContext c;
  c.caps = std::move(caps);
  c.kernel = k;
  c.arch = Arch::X86_64;
  return c;
}

// The same cases moby's TestLoadConditional checks, on moby's own fixture.
TEST(Resolve, DockerConditionalFixture) {
  auto p = load_profile(kMoby + "fixtures/conditional_include.json");
  if (!p.ok() && p.error().sys_errno() == ENOENT)
    FAIL() << "not installed (make deps-test installs it; never a skip)";
  ASSERT_TRUE(p.ok()) << p.error().message();
  auto none = resolve(*p, ctx_x86());
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(names_of(none->arches[0]), (std::set<std::string>{"chmod", "ptrace"}));
  auto syslog = resolve(*p, ctx_x86({"CAP_SYSLOG"}));
  EXPECT_EQ(names_of(syslog->arches[0]), (std::set<std::string>{"chmod", "syslog", "ptrace"}));
  auto admin = resolve(*p, ctx_x86({"CAP_SYS_ADMIN"}));
  EXPECT_EQ(names_of(admin->arches[0]), (std::set<std::string>{"chmod"}));
}

TEST(Resolve, ArchPrecedence) {
  const char* archmap =
      R"({"defaultAction":"SCMP_ACT_ERRNO","archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":)"
      R"(["SCMP_ARCH_X86","SCMP_ARCH_X32"]},{"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]}],)"
      R"("syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]})";
  Profile p = must_parse(archmap);
  auto r = resolve(p, ctx_x86());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(arches_of(*r), (std::vector<Arch>{Arch::X86_64, Arch::X86, Arch::X32}));
  auto c = ctx_x86();
  c.arch = Arch::AARCH64;
  EXPECT_EQ(arches_of(*resolve(p, c)), (std::vector<Arch>{Arch::AARCH64, Arch::ARM}));
  c.arch = Arch::RISCV64;  // no archMap entry: primary only, with a warning
  auto rv = resolve(p, c);
  EXPECT_EQ(arches_of(*rv), (std::vector<Arch>{Arch::RISCV64}));
  ASSERT_FALSE(rv->warnings.empty());
  EXPECT_NE(rv->warnings[0].message.find("archMap has no entry for SCMP_ARCH_RISCV64"), std::string::npos);
  c.arches = std::vector<Arch>{Arch::X86};  // explicit list wins
  EXPECT_EQ(arches_of(*resolve(p, c)), (std::vector<Arch>{Arch::X86}));

  Profile a = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86","SCMP_ARCH_X86_64"]})");
  EXPECT_EQ(arches_of(*resolve(a, ctx_x86())), (std::vector<Arch>{Arch::X86_64, Arch::X86}));
  Profile none = must_parse(R"({"defaultAction":"SCMP_ACT_ERRNO"})");
  EXPECT_EQ(arches_of(*resolve(none, ctx_x86())), (std::vector<Arch>{Arch::X86_64}));
  EXPECT_EQ(arches_of(*resolve(none, ResolveContext{})), (std::vector<Arch>{native_arch()}));
}

TEST(Resolve, ActionsAndErrnoDefaults) {
  Profile p = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[)"
      R"({"names":["read"],"action":"SCMP_ACT_ERRNO"},{"names":["write"],"action":"SCMP_ACT_ERRNO","errnoRet":13},)"
      R"({"names":["open"],"action":"SCMP_ACT_TRACE"},{"names":["close"],"action":"SCMP_ACT_KILL"},)"
      R"({"names":["kill"],"action":"SCMP_ACT_LOG"}]})");
  auto r = resolve(p, ctx_x86());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->default_action, (Action{ActionKind::Errno, 38}));
  const auto& rules = r->arches[0].rules;
  ASSERT_EQ(rules.size(), 5u);
  EXPECT_EQ(rules[0].action, (Action{ActionKind::Errno, EPERM}));  // runc: ERRNO without errnoRet = EPERM
  EXPECT_EQ(rules[1].action, (Action{ActionKind::Errno, 13}));
  EXPECT_EQ(rules[2].action, (Action{ActionKind::Trace, EPERM}));
  EXPECT_EQ(rules[3].action, (Action{ActionKind::KillThread, 0}));
  EXPECT_EQ(rules[4].action, (Action{ActionKind::Log, 0}));
  EXPECT_EQ(rules[1].nr, 1);  // write on x86_64
  EXPECT_EQ(rules[1].pos.str(), "p.json:1:123");
  Profile d = must_parse(R"({"defaultAction":"SCMP_ACT_ERRNO"})");
  EXPECT_EQ(resolve(d, ctx_x86())->default_action, (Action{ActionKind::Errno, EPERM}));
}

TEST(Resolve, FiltersArchesCapsKernel) {
  Profile p = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[)"
      R"({"names":["read"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64"]}},)"
      R"({"names":["write"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["s390x"]}},)"
      R"({"names":["open"],"action":"SCMP_ACT_ALLOW","excludes":{"arches":["amd64","x86"]}},)"
      R"({"names":["close"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"5.8"}},)"
      R"({"names":["kill"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"5.8"}},)"
      R"({"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN","CAP_NET_ADMIN"]}}]})");
  EXPECT_EQ(names_of(resolve(p, ctx_x86({}, {6, 1}))->arches[0]), (std::set<std::string>{"read", "close"}));
  EXPECT_EQ(names_of(resolve(p, ctx_x86({}, {5, 4}))->arches[0]), (std::set<std::string>{"read", "kill"}));
  EXPECT_EQ(names_of(resolve(p, ctx_x86({"CAP_SYS_ADMIN"}, {6, 1}))->arches[0]),
            (std::set<std::string>{"read", "close"}));
  EXPECT_EQ(names_of(resolve(p, ctx_x86({"CAP_SYS_ADMIN", "CAP_NET_ADMIN"}, {6, 1}))->arches[0]),
            (std::set<std::string>{"read", "close", "mount"}));
  auto c = ctx_x86({}, {6, 1});
  c.arch = Arch::S390X;
  EXPECT_EQ(names_of(resolve(p, c)->arches[0]), (std::set<std::string>{"write", "open", "close"}));
}

TEST(Resolve, RepeatedArgumentIndexIsOrLikeRunc) {
  Profile p = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[)"
      R"({"index":0,"value":0,"op":"SCMP_CMP_EQ"},{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},)"
      R"({"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[)"
      R"({"index":0,"value":1,"op":"SCMP_CMP_EQ"},{"index":1,"value":2,"op":"SCMP_CMP_EQ"}]}]})");
  auto r = resolve(p, ctx_x86());
  ASSERT_TRUE(r.ok());
  const auto& rules = r->arches[0].rules;
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].conds.size(), 1u);
  EXPECT_EQ(rules[1].conds.size(), 1u);
  EXPECT_EQ(rules[1].conds[0].value, 8u);
  EXPECT_EQ(rules[2].conds.size(), 2u);  // different indexes: ANDed
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].message.find("ORed"), std::string::npos);
}

TEST(Resolve, NamesMissingOnSomeArchesAreSkippedWithOneWarningPerArch) {
  Profile p = must_parse(
      R"({"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_AARCH64"],)"
      R"("syscalls":[{"names":["open","read","arch_prctl"],"action":"SCMP_ACT_ALLOW"}]})");
  auto r = resolve(p, ctx_x86());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->arches.size(), 2u);
  EXPECT_EQ(names_of(r->arches[0]), (std::set<std::string>{"open", "read", "arch_prctl"}));
  if (syscall_table(Arch::AARCH64).empty()) GTEST_SKIP() << "no aarch64 table yet";
  EXPECT_EQ(names_of(r->arches[1]), (std::set<std::string>{"read"}));
  EXPECT_EQ(r->arches[1].skipped, (std::vector<std::string>{"open", "arch_prctl"}));
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_EQ(r->warnings[0].message, "2 syscall names not present on aarch64, skipped: open, arch_prctl");
}

// Every number we resolve for Docker's default profile equals libseccomp's.
TEST(Resolve, DockerDefaultNumbersMatchLibseccomp) {
  auto p = load_profile(kMoby + "default.json");
  if (!p.ok() && p.error().sys_errno() == ENOENT)
    FAIL() << "not installed (make deps-test installs it; never a skip)";
  ASSERT_TRUE(p.ok()) << p.error().message();
  struct {
    Arch arch;
    uint32_t scmp;
  } arches[] = {{Arch::X86_64, SCMP_ARCH_X86_64},   {Arch::X86, SCMP_ARCH_X86},
                {Arch::AARCH64, SCMP_ARCH_AARCH64}, {Arch::S390X, SCMP_ARCH_S390X},
                {Arch::PPC64LE, SCMP_ARCH_PPC64LE}, {Arch::ARM, SCMP_ARCH_ARM}};
  for (auto [arch, scmp] : arches) {
    if (syscall_table(arch).empty()) continue;
    ResolveContext c;
    c.arch = arch;
    c.kernel = KernelVersion{6, 18};
    c.caps = {"CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_BOOT"};
    auto r = resolve(*p, c);
    ASSERT_TRUE(r.ok());
    size_t checked = 0;
    for (const auto& rule : r->arches[0].rules) {
      int nr = seccomp_syscall_resolve_name_arch(scmp, rule.name.c_str());
      if (nr < 0) continue;  // libseccomp 2.5.4 predates some 6.x syscalls
      EXPECT_EQ(rule.nr, nr) << rule.name << " on " << arch_info(arch).name;
      ++checked;
    }
    EXPECT_GT(checked, 250u) << arch_info(arch).name;
  }
}

}  // namespace
}  // namespace confine::seccomp
