#include "inspect/inspect.h"

#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace confine::inspect {
namespace {

TEST(Caps, NamesUpToCheckpointRestoreAndUnknownBitsAsNumbers) {
  EXPECT_EQ(cap_name(0), "cap_chown");
  EXPECT_EQ(cap_name(21), "cap_sys_admin");
  EXPECT_EQ(cap_name(38), "cap_perfmon");
  EXPECT_EQ(cap_name(39), "cap_bpf");
  EXPECT_EQ(cap_name(40), "cap_checkpoint_restore");
  EXPECT_EQ(cap_name(41), "41");
  EXPECT_EQ(cap_name(63), "63");
  EXPECT_EQ(cap_from_name("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(cap_from_name("net_raw"), 13);
  EXPECT_FALSE(cap_from_name("cap_nope"));
  auto n = cap_names((1ull << 0) | (1ull << 21) | (1ull << 45));
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[2], "45");
  EXPECT_EQ(cap_summary(0), "none");
  EXPECT_EQ(cap_summary(all_known_caps()), "full");
  EXPECT_EQ(cap_summary((1ull << 5) | (1ull << 13)), "2:kill,net_raw");
  // Every name round-trips.
  for (int b = 0; b <= kLastKnownCap; ++b) EXPECT_EQ(cap_from_name(cap_name(b)), b);
}

std::string status_line(const std::string& key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(key + ":", 0) == 0) {
      std::string v = line.substr(key.size() + 1);
      while (!v.empty() && (v[0] == ' ' || v[0] == '\t')) v.erase(0, 1);
      return v;
    }
  return {};
}

TEST(Inspect, SelfMatchesProcStatus) {
  auto r = inspect_pid(0);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->pid, getpid());
  EXPECT_EQ(std::to_string(r->seccomp), status_line("Seccomp"));
  EXPECT_EQ(std::to_string(r->no_new_privs), status_line("NoNewPrivs"));
  ASSERT_TRUE(r->caps);
  EXPECT_EQ(r->caps->effective, std::stoull(status_line("CapEff"), nullptr, 16));
  EXPECT_EQ(r->namespaces.size(), 10u);
  for (const auto& ns : r->namespaces) {
    EXPECT_NE(ns.inode, 0u) << ns.type;
    EXPECT_FALSE(ns.differs_from_self()) << ns.type;  // self vs self
  }
  EXPECT_FALSE(r->runtime.empty());
}

TEST(Inspect, NoSuchPidIsAnError) {
  auto r = inspect_pid(4194000);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("no such process"), std::string::npos);
}

TEST(Inspect, ListsProcessesIncludingSelf) {
  auto procs = list_processes();
  bool found = false;
  for (const auto& p : procs) found = found || p.pid == getpid();
  EXPECT_TRUE(found);
}

// The probe, run inside a child under a real libseccomp filter, must see
// exactly what the filter blocks among the probed names.
TEST(Probe, SeesExactlyTheFilter) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t c = fork();
  ASSERT_GE(c, 0);
  if (c == 0) {
    close(fds[0]);
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(mkdir), 0);
    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(chroot), 0);
    seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(reboot), 0);
    seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(getppid), 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (seccomp_load(ctx) != 0) _exit(3);
    ProbeOptions o;
    o.only = {"mkdir", "chroot", "reboot", "getppid", "getpid", "exit_group", "rt_sigreturn", "uretprobe"};
    auto rep = probe_self(o);
    std::string out;
    if (!rep) {
      out = "error " + rep.error().message();
    } else {
      for (const auto& r : rep->results)
        out +=
            r.name + "=" + std::to_string(static_cast<int>(r.verdict)) + ":" + std::to_string(r.err) + "\n";
    }
    if (write(fds[1], out.data(), out.size()) < 0) _exit(4);
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(c, &st, 0);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st << " " << got;
  auto has = [&](const std::string& s) { return got.find(s + "\n") != std::string::npos; };
  using V = ProbeResult::Verdict;
  auto v = [](V x, int e) { return std::to_string(static_cast<int>(x)) + ":" + std::to_string(e); };
  EXPECT_TRUE(has("mkdir=" + v(V::Errno, EPERM))) << got;
  EXPECT_TRUE(has("chroot=" + v(V::Errno, EACCES))) << got;
  EXPECT_TRUE(has("reboot=" + v(V::Signal, SIGSYS))) << got;
  EXPECT_TRUE(has("getppid=" + v(V::Allowed, 0))) << got;  // LOG allows
  EXPECT_TRUE(has("getpid=" + v(V::Allowed, 0))) << got;
  EXPECT_TRUE(has("exit_group=" + v(V::Allowed, 0))) << got;
  EXPECT_TRUE(has("rt_sigreturn=" + v(V::Allowed, 0))) << got;
  EXPECT_TRUE(has("uretprobe=" + v(V::Allowed, 0))) << got;  // not filterable: not called
}

}  // namespace
}  // namespace confine::inspect
