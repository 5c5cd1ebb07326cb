// The listener on the real kernel, in a forked child: a filter from notify_filter
// installed with new_listener (WAIT_KILLABLE_RECV, or without it on old kernels),
// the fd handed over with pidfd_getfd (fetch_listener), and the poll-driven
// loop (Listener::handle_one) that continues every notified syscall.
#include "supervise/listener.h"

#include <gtest/gtest.h>
#include <linux/audit.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp/bpf/bpf.h"

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
  Listener sup(*l);
  set_sync_wakeup(sup.fd());  // EINVAL before Linux 6.6: ignored
  int seen = 0;
  Notification last;
  while (seen < 3) {
    pollfd p{sup.fd(), POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 5000), 1);
    auto r = sup.handle_one([&](const Notification& e) {
      ++seen;
      last = e;
      EXPECT_TRUE(notif_id_valid(e));  // the task waits for our answer
    });
    ASSERT_TRUE(r.ok()) << r.error().message();
  }
  int st = 0;
  waitpid(child, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_EQ(last.name, "getppid");
  EXPECT_EQ(last.arch, "x86_64");
  EXPECT_EQ(last.pid, child);
  EXPECT_FALSE(id_valid(sup.fd(), last.id));  // answered
  EXPECT_NE(to_json(to_event(last)).find("\"syscall\":\"getppid\""), std::string::npos);
  EXPECT_NE(to_text(to_event(last)).find("getppid(0x"), std::string::npos);
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
