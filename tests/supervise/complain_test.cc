// The complain observers without a kernel: which calls they take, what they emit, and
// that a stale notification (settle(false)) drops the AppArmor lines and the comm.
#include "supervise/complain.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace confine::supervise {
namespace {

Call call_of(std::string_view name, int32_t nr, const uint64_t* args) {
  Call c;
  c.id = 7;
  c.pid = getpid();
  c.arch = Arch::X86_64;
  c.nr = nr;
  c.name = name;
  c.audit_arch = AUDIT_ARCH_X86_64;
  c.args = args;
  return c;
}

TEST(SeccompComplain, EveryNotifiedCallButAllowedFileCalls) {
  // The profile compiled unmodified: openat allowed, everything else ERRNO.
  std::vector<sock_filter> enforce = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),  // nr
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
  };
  std::vector<Event> out;
  SeccompComplain o({"openat", "mkdir"}, &enforce, [&](const Event& e) { out.push_back(e); });
  EXPECT_TRUE(o.wants(Arch::X86_64, SYS_mount, "mount"));
  EXPECT_TRUE(o.wants(Arch::X86_64, SYS_openat, "openat"));
  uint64_t args[6] = {};
  EXPECT_FALSE(o.on_call(call_of("openat", SYS_openat, args)));  // allowed: nothing read, nothing emitted
  o.settle(true);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(o.on_call(call_of("mkdir", SYS_mkdir, args)));  // a file call the profile denies
  o.settle(true);
  EXPECT_TRUE(o.on_call(call_of("mount", SYS_mount, args)));
  o.settle(false);  // stale: the comm may be another task's
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].syscall, "mkdir");
  EXPECT_FALSE(out[0].comm.empty());
  EXPECT_EQ(out[1].syscall, "mount");
  EXPECT_TRUE(out[1].comm.empty());

  // AppArmor complain alone (no seccomp profile): file calls are not seccomp events.
  SeccompComplain alone({"openat"}, nullptr, [&](const Event& e) { out.push_back(e); });
  EXPECT_FALSE(alone.wants(Arch::X86_64, SYS_openat, "openat"));
}

TEST(FileComplain, EmitsOnlyWhenStillValid) {
  std::vector<Event> out;
  pid_t seen_workload = 0;
  FileComplain o(
      {"openat"},
      [&](const Notification& n) {
        seen_workload = n.workload;
        Event e;
        e.kind = EventKind::AppArmor;
        e.syscall = n.name;
        e.path = "/etc/x";
        return std::vector<Event>{e};
      },
      42, [&](const Event& e) { out.push_back(e); });
  EXPECT_TRUE(o.wants(Arch::X86_64, SYS_openat, "openat"));
  EXPECT_FALSE(o.wants(Arch::X86_64, SYS_read, "read"));
  uint64_t args[6] = {};
  EXPECT_TRUE(o.on_call(call_of("openat", SYS_openat, args)));
  EXPECT_EQ(seen_workload, 42);
  o.settle(false);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(o.on_call(call_of("openat", SYS_openat, args)));
  o.settle(true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].path, "/etc/x");
}

TEST(Notification, NamesUnknownArchesAndNumbers) {
  uint64_t args[6] = {1, 2, 3, 4, 5, 6};
  Call c = call_of("", 999, args);
  Notification n = notification_of(c);
  EXPECT_EQ(n.name, "nr 999");
  EXPECT_EQ(n.arch, "x86_64");
  EXPECT_EQ(n.args[5], 6u);
  c.arch_known = false;
  c.audit_arch = AUDIT_ARCH_AARCH64;
  EXPECT_EQ(notification_of(c).arch, "0xc00000b7");
}

}  // namespace
}  // namespace confine::supervise
