#include "generate/generate.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "seccomp/profile.h"

namespace confine::generate {
namespace {

behavior::Behavior sample() {
  behavior::Behavior b;
  b.command = {"app"};
  for (const char* n : {"read", "write", "openat", "exit_group"}) b.arches[Arch::X86_64][n].count = 1;
  auto& s = b.arches[Arch::X86_64]["socket"];
  s.count = 1;
  s.args["domain"] = {2, 10};
  auto& c = b.arches[Arch::X86_64]["clone3"];
  c.count = 1;
  c.args["ns_flags"] = {0};
  auto& io = b.arches[Arch::X86_64]["ioctl"];
  io.count = 2;
  io.args["request"] = {0x5401};
  b.arches[Arch::X86]["write"].count = 1;
  b.files["/tmp/app/log"] = behavior::kWrite | behavior::kCreate;
  b.files["/etc/passwd"] = behavior::kRead;
  b.files["/dev/null"] = behavior::kWrite;
  b.files["/var/lib/app/db"] = behavior::kWrite;
  b.binds = {"0.0.0.0:80"};
  return b;
}

const seccomp::SyscallRule* find(const seccomp::Profile& p, const std::string& n, bool with_args) {
  for (const auto& r : p.syscalls)
    if (std::find(r.names.begin(), r.names.end(), n) != r.names.end() && r.args.empty() != with_args)
      return &r;
  return nullptr;
}

TEST(Generate, SeccompSensitive) {
  auto p = seccomp_profile(sample());
  EXPECT_EQ(p.default_action, seccomp::ActionKind::Errno);
  EXPECT_EQ(p.default_errno_ret, 1u);
  EXPECT_EQ(p.architectures, (std::vector<Arch>{Arch::X86_64, Arch::X86}));
  ASSERT_TRUE(find(p, "read", false));
  ASSERT_TRUE(find(p, "ioctl", false));  // sensitive leaves ioctl alone
  EXPECT_FALSE(find(p, "socket", false));
  int socket_rules = 0;
  for (const auto& r : p.syscalls)
    if (r.names == std::vector<std::string>{"socket"}) ++socket_rules;
  EXPECT_EQ(socket_rules, 2);
  const auto* clone = find(p, "clone", true);
  ASSERT_TRUE(clone);
  EXPECT_EQ(clone->args[0].op, seccomp::CmpOp::MaskedEq);
  EXPECT_EQ(clone->args[0].value, 0x7E020080u);
  const auto* c3 = find(p, "clone3", false);
  ASSERT_TRUE(c3);
  EXPECT_EQ(c3->action, seccomp::ActionKind::Errno);
  EXPECT_EQ(c3->errno_ret, 38u);
  // The written profile is valid for our own parser (and names sorted).
  std::string text = seccomp::format_profile(p);
  auto back = seccomp::parse_profile_text(text, "gen.json");
  ASSERT_TRUE(back.ok()) << back.error().message();
  auto allowed = allowed_syscalls(*back, Arch::X86_64);
  ASSERT_TRUE(allowed.ok()) << allowed.error().message();
  EXPECT_EQ(*allowed,
            (std::set<std::string>{"clone", "exit_group", "ioctl", "openat", "read", "socket", "write"}));
}

TEST(Generate, SeccompStrictAndNone) {
  SeccompOptions o;
  o.args = ArgMode::Strict;
  auto p = seccomp_profile(sample(), o);
  const auto* io = find(p, "ioctl", true);
  ASSERT_TRUE(io);
  EXPECT_EQ(io->args[0].index, 1);
  EXPECT_EQ(io->args[0].value, 0xffffffffu);
  EXPECT_EQ(io->args[0].value_two, 0x5401u);
  o.args = ArgMode::None;
  o.default_errno = 38;
  auto n = seccomp_profile(sample(), o);
  EXPECT_EQ(n.syscalls.size(), 1u);
  EXPECT_EQ(n.default_errno_ret, 38u);
  EXPECT_FALSE(arg_mode_from_name("loose").ok());
}

TEST(Generate, SecurityContext) {
  auto y = security_context_yaml(sample());
  EXPECT_NE(y.find("allowPrivilegeEscalation: false"), std::string::npos);
  EXPECT_NE(y.find("readOnlyRootFilesystem: true"), std::string::npos);
  EXPECT_NE(y.find("drop: [\"ALL\"]"), std::string::npos);
  EXPECT_NE(y.find("NET_BIND_SERVICE"), std::string::npos);
  EXPECT_NE(y.find("type: Localhost"), std::string::npos);
  EXPECT_EQ(writable_dirs(sample()), (std::vector<std::string>{"/tmp", "/var/lib/app"}));
  EXPECT_NE(y.find("emptyDir: {}"), std::string::npos);
}

TEST(Generate, SyscallTable) {
  auto t = syscall_table(sample());
  EXPECT_NE(t.find("ioctl"), std::string::npos);
  EXPECT_NE(t.find("x86\n"), std::string::npos);
  EXPECT_NE(t.find("errors: not observable"), std::string::npos);
  auto j = syscall_table_json(sample());
  EXPECT_NE(j.find("\"calls\": 2"), std::string::npos);
}

TEST(Generate, ComparesWithDockerDefault) {
  auto d =
      seccomp::load_profile("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json");
  if (!d.ok()) GTEST_SKIP() << "Docker's default profile not installed";
  auto theirs = allowed_syscalls(*d, Arch::X86_64);
  ASSERT_TRUE(theirs.ok()) << theirs.error().message();
  EXPECT_GT(theirs->size(), 250u);
  EXPECT_TRUE(theirs->count("read"));
  EXPECT_FALSE(theirs->count("kexec_load"));
  auto c = compare("docker", {"read", "write", "nonexistent_call"}, *theirs);
  EXPECT_EQ(c.removed.size(), theirs->size() - 2);
  EXPECT_EQ(c.extra, (std::vector<std::string>{"nonexistent_call"}));
}

}  // namespace
}  // namespace confine::generate
