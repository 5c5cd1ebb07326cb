// The listener on the real kernel, in a forked child: a filter from notify_filter
// installed with new_listener (WAIT_KILLABLE_RECV, or without it on old kernels),
// the fd handed over with pidfd_getfd (fetch_listener), and the loop
// (Supervisor::step, poll-driven) that hands calls to observers and continues them.
#include "supervise/listener.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include "seccomp/bpf/bpf.h"
#include "supervise/complain.h"
#include "supervise/loop.h"

namespace confine::supervise {
namespace {

TEST(Listener, SupervisesARealFilter) {
  // Child: getppid -> USER_NOTIF, everything else allowed; hands the listener
  // to us through pidfd_getfd, then calls getppid 3 times.
  auto prog = notify_filter({"getppid"});
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  int hand[2], ack[2];
  ASSERT_EQ(pipe(hand), 0);
  ASSERT_EQ(pipe(ack), 0);
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    sock_fprog fp{static_cast<unsigned short>(prog->size()), prog->data()};
    int fd = static_cast<int>(new_listener(&fp));
    if (write(hand[1], &fd, sizeof fd) != sizeof fd) _exit(20);
    if (fd < 0) _exit(22);
    char k;
    if (read(ack[0], &k, 1) != 1) _exit(21);
    for (int i = 0; i < 3; ++i) syscall(SYS_getppid);
    _exit(0);
  }
  int fdnum = -1;
  ASSERT_EQ(read(hand[0], &fdnum, sizeof fdnum), static_cast<ssize_t>(sizeof fdnum));
  ASSERT_GE(fdnum, 0) << "new_listener failed in the child";
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  ASSERT_GE(pidfd, 0);
  auto l = fetch_listener(pidfd, fdnum, 5000);
  ASSERT_TRUE(l.ok()) << l.error().message();
  ASSERT_EQ(write(ack[1], "k", 1), 1);
  Supervisor sup(*l);
  set_sync_wakeup(sup.fd());  // EINVAL before Linux 6.6: ignored
  struct Obs : Observer {
    int seen = 0, settled = 0, asked = 0;
    bool all_valid = true;
    Notification last;
    int fd = -1;
    bool wants(Arch, int32_t, std::string_view name) override {
      ++asked;
      return name == "getppid";
    }
    bool on_call(const Call& c) override {
      ++seen;
      last = notification_of(c);
      return true;
    }
    void settle(bool valid) override {
      ++settled;
      all_valid &= valid;
      EXPECT_FALSE(id_valid(fd, last.id));  // answered before settle
    }
  } obs;
  obs.fd = sup.fd();
  sup.add(&obs);
  while (obs.seen < 3) {
    pollfd p{sup.fd(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1);
    auto r = sup.step();
    ASSERT_TRUE(r.ok()) << r.error().message();
  }
  EXPECT_EQ(obs.settled, 3);
  EXPECT_TRUE(obs.all_valid);  // the task waited for our answer
  EXPECT_EQ(obs.asked, 1);     // once per number
  Notification last = obs.last;
  uint64_t counted = 0;
  sup.counts([&](Arch a, int32_t nr, uint64_t c) {
    EXPECT_EQ(a, Arch::X86_64);
    EXPECT_EQ(nr, SYS_getppid);
    counted += c;
  });
  EXPECT_EQ(counted, 3u);
  EXPECT_EQ(sup.stats().received, 3u);
  EXPECT_EQ(sup.stats().vanished, 0u);
  int st = 0;
  waitpid(child, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_EQ(last.name, "getppid");
  EXPECT_EQ(last.arch, "x86_64");
  EXPECT_EQ(last.pid, child);
  EXPECT_NE(to_json(to_event(last)).find("\"syscall\":\"getppid\""), std::string::npos);
  EXPECT_NE(to_text(to_event(last)).find("getppid(0x"), std::string::npos);
  close(pidfd);
}

// Calls no observer wants by number stay on the hot path once wants_task() said no
// for their task; a call that went to an observer makes the loop ask again.
TEST(Supervisor, HotPathAndWantsTask) {
  auto prog = notify_filter({"getpid", "getppid"});
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  int hand[2], ack[2];
  ASSERT_EQ(pipe(hand), 0);
  ASSERT_EQ(pipe(ack), 0);
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    sock_fprog fp{static_cast<unsigned short>(prog->size()), prog->data()};
    int fd = static_cast<int>(new_listener(&fp));
    if (write(hand[1], &fd, sizeof fd) != sizeof fd) _exit(20);
    if (fd < 0) _exit(22);
    char k;
    if (read(ack[0], &k, 1) != 1) _exit(21);
    for (int i = 0; i < 3; ++i) syscall(SYS_getpid);
    syscall(SYS_getppid);
    for (int i = 0; i < 2; ++i) syscall(SYS_getpid);
    _exit(0);
  }
  int fdnum = -1;
  ASSERT_EQ(read(hand[0], &fdnum, sizeof fdnum), static_cast<ssize_t>(sizeof fdnum));
  ASSERT_GE(fdnum, 0) << "new_listener failed in the child";
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  ASSERT_GE(pidfd, 0);
  auto l = fetch_listener(pidfd, fdnum, 5000);
  ASSERT_TRUE(l.ok()) << l.error().message();
  ASSERT_EQ(write(ack[1], "k", 1), 1);
  Supervisor sup(*l);
  struct Obs : Observer {
    std::vector<std::string> calls;
    int asked_task = 0;
    bool first = true;
    bool wants(Arch, int32_t, std::string_view name) override { return name == "getppid"; }
    bool wants_task(pid_t) override {
      ++asked_task;
      bool f = first;
      first = false;
      return f;
    }
    bool on_call(const Call& c) override {
      calls.emplace_back(c.name);
      return false;
    }
  } obs;
  sup.add(&obs);
  while (sup.stats().received < 6) {
    pollfd p{sup.fd(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1);
    auto r = sup.step();
    ASSERT_TRUE(r.ok()) << r.error().message();
  }
  int st = 0;
  waitpid(child, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_EQ(obs.calls, (std::vector<std::string>{"getpid", "getppid"}));
  EXPECT_EQ(obs.asked_task, 3);  // getpid #1 (yes), #2 (no, then hot), #4 after getppid (no)
  std::map<int32_t, uint64_t> counts;
  sup.counts([&](Arch, int32_t nr, uint64_t c) { counts[nr] += c; });
  EXPECT_EQ(counts[SYS_getpid], 5u);
  EXPECT_EQ(counts[SYS_getppid], 1u);
  close(pidfd);
}

TEST(Listener, NotifyFilterOptions) {
  auto verdict = [](const std::vector<sock_filter>& p, uint32_t arch, int32_t nr, uint64_t a0 = 0) {
    bpf::SeccompData d;
    d.arch = arch;
    d.nr = nr;
    d.args[0] = a0;
    auto r = bpf::run(p, d);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->ret : 0u;
  };
  auto plain = notify_filter({"connect"});
  NotifyFilterOptions o;
  o.unknown_arch_notify = true;
  o.multiplexers = false;
  auto rec = notify_filter({"connect"}, o);
  ASSERT_TRUE(plain.ok() && rec.ok());
  EXPECT_EQ(verdict(*plain, AUDIT_ARCH_AARCH64, 1), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(*rec, AUDIT_ARCH_AARCH64, 1), SECCOMP_RET_USER_NOTIF);
  // socketcall(SYS_CONNECT = 3, ...) carries connect on i386
  EXPECT_EQ(verdict(*plain, AUDIT_ARCH_I386, 102, 3), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(*rec, AUDIT_ARCH_I386, 102, 3), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(*rec, AUDIT_ARCH_I386, 362), SECCOMP_RET_USER_NOTIF);  // connect
  EXPECT_EQ(verdict(*rec, AUDIT_ARCH_X86_64, 42), SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(*rec, AUDIT_ARCH_X86_64, 41), SECCOMP_RET_ALLOW);
  auto all = notify_all_filter();
  EXPECT_EQ(verdict(all, AUDIT_ARCH_X86_64, 41), SECCOMP_RET_USER_NOTIF);
}

}  // namespace
}  // namespace confine::supervise
