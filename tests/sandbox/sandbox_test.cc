// Unit tests of the sandbox facets' pure parts, plus the reusable pieces
// (Landlock builder) on the real kernel in
// forked children.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "sandbox/caps.h"
#include "sandbox/landlock.h"
#include "sandbox/limits.h"
#include "sandbox/mounts.h"
#include "sandbox/namespaces.h"
#include "sandbox/user.h"

namespace confine::sandbox {
namespace {

TEST(Caps, NamesAnyCaseWithOrWithoutPrefix) {
  EXPECT_EQ(cap_from_name("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(cap_from_name("sys_admin"), 21);
  EXPECT_EQ(cap_from_name("Net_Bind_Service"), 10);
  EXPECT_EQ(cap_from_name("cap_checkpoint_restore"), 40);
  EXPECT_FALSE(cap_from_name("CAP_FLY"));
  EXPECT_FALSE(cap_from_name(""));
  EXPECT_EQ(cap_name(0), "CAP_CHOWN");
}

TEST(Caps, ListsAllAndErrors) {
  auto all = parse_cap_list("ALL");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, all_caps_mask());
  auto two = parse_cap_list(" kill , CAP_CHOWN ");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, (1ull << 5) | 1ull);
  auto bad = parse_cap_list("kill,fly");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("\"fly\""), std::string::npos);
  EXPECT_FALSE(parse_cap_list("").ok());
  EXPECT_FALSE(parse_cap_list(",,").ok());
  // podman's default set: 11 capabilities; no SYS_ADMIN, NET_RAW, MKNOD, AUDIT_WRITE.
  EXPECT_EQ(__builtin_popcountll(default_caps_mask()), 11);
  for (int c : {21, 13, 27, 29}) EXPECT_FALSE(default_caps_mask() & (1ull << c)) << cap_name(c);
  EXPECT_EQ(caps_to_string(default_caps_mask()),
            "CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_KILL,CAP_SETGID,CAP_SETUID,CAP_SETPCAP,"
            "CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT,CAP_SETFCAP");
  EXPECT_EQ(caps_to_string(0), "none");
  EXPECT_EQ(caps_to_string(1ull << 5 | 1), "CAP_CHOWN,CAP_KILL");
}

TEST(Mounts, Sizes) {
  EXPECT_EQ(*parse_size("4096"), 4096u);
  EXPECT_EQ(*parse_size("64m"), 64u << 20);
  EXPECT_EQ(*parse_size("1G"), 1ull << 30);
  EXPECT_EQ(*parse_size("2Ki"), 2048u);
  for (const char* bad : {"", "m", "12q", "0", "-1", "1.5g", "99999999999999999999", "17179869184g", " 1m"})
    EXPECT_FALSE(parse_size(bad).ok()) << bad;
}

TEST(Mounts, TmpfsAndBindSpecs) {
  auto t = parse_tmpfs("/tmp:64m");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/tmp");
  EXPECT_EQ(t->size_bytes, 64u << 20);
  EXPECT_EQ(parse_tmpfs("/work")->size_bytes, 0u);
  EXPECT_FALSE(parse_tmpfs("tmp").ok());
  EXPECT_FALSE(parse_tmpfs("/tmp:").ok());
  auto b = parse_bind("/a:/b:ro");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->src, "/a");
  EXPECT_EQ(b->dst, "/b");
  EXPECT_TRUE(b->read_only);
  EXPECT_EQ(parse_bind("/a")->dst, "/a");
  EXPECT_FALSE(parse_bind("/a:/b")->read_only);
  EXPECT_FALSE(parse_bind("/a:/b:rx").ok());
  EXPECT_FALSE(parse_bind("/a:/b:ro:x").ok());
  EXPECT_FALSE(parse_bind("a:/b").ok());
  EXPECT_FALSE(parse_bind("").ok());
}

TEST(Limits, CpusAndDurations) {
  EXPECT_DOUBLE_EQ(*parse_cpus("0.5"), 0.5);
  EXPECT_FALSE(parse_cpus("0").ok());
  EXPECT_FALSE(parse_cpus("nan").ok());
  EXPECT_FALSE(parse_cpus("1x").ok());
  EXPECT_DOUBLE_EQ(*parse_duration("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(*parse_duration("2m"), 120);
  EXPECT_DOUBLE_EQ(*parse_duration("1.5s"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_duration("10"), 10);
  EXPECT_FALSE(parse_duration("soon").ok());
  EXPECT_FALSE(parse_duration("-1").ok());
  EXPECT_FALSE(parse_duration("").ok());
}

TEST(Namespaces, ListsAndFlags) {
  NamespaceConfig c;
  EXPECT_FALSE(c.net);  // shared unless asked
  ASSERT_TRUE(set_namespaces(c, "net", true).ok());
  EXPECT_TRUE(c.net);
  ASSERT_TRUE(set_namespaces(c, "pid,network", false).ok());
  EXPECT_FALSE(c.pid);
  EXPECT_FALSE(c.net);
  EXPECT_FALSE(set_namespaces(c, "time", true).ok());
  ASSERT_TRUE(set_namespaces(c, "all", true).ok());
  EXPECT_FALSE(c.user);  // "all" never forces a user namespace (root keeps real ids)
  EXPECT_EQ(clone_flags_str(clone_flags(c)),
            "CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWIPC|CLONE_NEWUTS|CLONE_NEWCGROUP");
}

TEST(User, ParseAndNonRoot) {
  UserConfig u;
  ASSERT_TRUE(parse_user(u, "1000:2000").ok());
  EXPECT_EQ(*u.uid, 1000u);
  EXPECT_EQ(*u.gid, 2000u);
  for (const char* bad : {"root", "", ":1", "1:", "1:x", "-1", "4294967295"}) {
    UserConfig v;
    EXPECT_FALSE(parse_user(v, bad).ok()) << bad;
  }
  UserConfig r;
  r.no_root = true;
  EXPECT_FALSE(check_non_root(r, 0).ok());
  EXPECT_TRUE(check_non_root(r, 1000).ok());
  r.uid = 0;
  EXPECT_FALSE(check_non_root(r, 1000).ok());
}

// Runs fn in a forked child; returns its exit status.
template <class F>
int in_child(F fn) {
  pid_t p = fork();
  if (p == 0) _exit(fn());
  int st = 0;
  waitpid(p, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

TEST(Landlock, RulesetOnTheRealKernel) {
  int abi = LandlockRuleset::abi_version();
  if (abi <= 0) FAIL() << "Landlock unavailable (required: see README Set-up; never a skip)";
  EXPECT_EQ(LandlockRuleset::fs_all(1), (1ull << 13) - 1);
  EXPECT_TRUE(LandlockRuleset::fs_all(abi) & landlock_access::kReadFile);
  // Only /etc readable: /etc/hostname opens, /usr/bin does not.
  int rc = in_child([&] {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
    auto rs = LandlockRuleset::create(LandlockRuleset::fs_all(abi));
    if (!rs.ok()) return 11;
    if (!rs->allow_path("/etc", LandlockRuleset::fs_read(abi)).ok()) return 12;
    if (!rs->restrict_self().ok()) return 13;
    int a = open("/etc/hostname", O_RDONLY);
    int b = open("/usr/bin", O_RDONLY | O_DIRECTORY);
    if (a < 0) return 14;
    if (b >= 0 || errno != EACCES) return 15;
    return 0;
  });
  EXPECT_EQ(rc, 0);
  // A missing path is an error naming the syscall.
  auto rs = LandlockRuleset::create(LandlockRuleset::fs_all(abi));
  ASSERT_TRUE(rs.ok());
  auto s = rs->allow_path("/nonexistent/x", LandlockRuleset::fs_read(abi));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("open(\"/nonexistent/x\", O_PATH): ENOENT"), std::string::npos);
}

}  // namespace
}  // namespace confine::sandbox
