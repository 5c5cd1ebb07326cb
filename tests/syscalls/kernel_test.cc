// The running kernel as oracle (x86_64 only): every call our table says was
// added after 6.1 must exist (errno != ENOSYS when called with arguments it
// rejects), and on a 6.18 kernel every number our x86_64 table leaves
// unassigned below 548 must be ENOSYS.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <set>
#include <string>

#include "platform/probe.h"
#include "syscalls/arch.h"
#include "syscalls/syscalls.h"

namespace confine {
namespace {

bool under_seccomp() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Seccomp:", 0) == 0) return line.find('0') == std::string::npos;
  return false;
}

// Runs syscall nr in a child with arguments every one of these calls rejects
// (bad fd, NULL pointers, all flag bits set). Returns the errno, or -SIG if
// the child died from a signal (uretprobe/uprobe outside a trampoline).
int probe(long nr) {
  pid_t pid = fork();
  if (pid == 0) {
    long r = syscall(nr, -1L, 0L, 0xffffffffL, 0L, 0xffffffffL, 0L);
    _exit(r == -1 ? (errno & 0xff) : 0);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1000;
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return WEXITSTATUS(status);
}

TEST(RunningKernel, PostLinux61CallsExist) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "x86_64 only";
#endif
  if (under_seccomp()) GTEST_SKIP() << "running under a seccomp filter";
  struct utsname u {};
  uname(&u);
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  if (major < 6 || (major == 6 && minor < 18)) GTEST_SKIP() << "kernel " << u.release << " older than 6.18";
  const char* added[] = {"cachestat",         "fchmodat2",        "map_shadow_stack",
                         "futex_wake",        "futex_wait",       "futex_requeue",
                         "statmount",         "listmount",        "lsm_get_self_attr",
                         "lsm_set_self_attr", "lsm_list_modules", "mseal",
                         "setxattrat",        "getxattrat",       "listxattrat",
                         "removexattrat",     "open_tree_attr",   "file_getattr",
                         "file_setattr",      "uretprobe",        "uprobe"};
  // Calls a kernel config can compile out (cond_syscall -> ENOSYS):
  // CONFIG_X86_USER_SHADOW_STACK, CONFIG_CACHESTAT_SYSCALL, CONFIG_SECURITY,
  // CONFIG_UPROBES. This machine's kernel has no user shadow stacks.
  const std::set<std::string> optional = {
      "map_shadow_stack", "cachestat", "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
      "uretprobe",        "uprobe"};
  int present = 0;
  for (const char* n : added) {
    auto nr = syscall_number(Arch::X86_64, n);
    ASSERT_TRUE(nr.has_value()) << n;
    int e = probe(*nr);
    if (e == ENOSYS && optional.count(n)) {
      std::printf("[ kernel ] %s (%d): ENOSYS, configured out of %s\n", n, *nr, u.release);
      continue;
    }
    ++present;
    EXPECT_NE(e, ENOSYS) << n << " (" << *nr << ") is ENOSYS on " << u.release;
    EXPECT_NE(e, 0) << n << " succeeded with garbage arguments?";
  }
  EXPECT_GE(present, 14);
}

TEST(RunningKernel, UnassignedNumbersAreEnosysOn618) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "x86_64 only";
#endif
  if (under_seccomp()) GTEST_SKIP() << "running under a seccomp filter";
  struct utsname u {};
  uname(&u);
  if (std::string(u.release).rfind("6.18", 0) != 0)
    GTEST_SKIP() << "exact check needs a 6.18 kernel, have " << u.release;
  int checked = 0;
  for (long nr = 0; nr < 548; ++nr) {
    if (syscall_name(Arch::X86_64, static_cast<int32_t>(nr))) continue;
    // x86_64 rejects the x32-only numbers 512..547 without the x32 bit too.
    long r = syscall(nr, 0L, 0L, 0L, 0L, 0L, 0L);
    EXPECT_TRUE(r == -1 && errno == ENOSYS)
        << "number " << nr << " is not in our table but the kernel has it";
    ++checked;
  }
  EXPECT_GT(checked, 100);
  // And the first number past our table: 470 (listns arrives in 6.19).
  EXPECT_EQ(max_syscall_number(Arch::X86_64), 469);
}

#if defined(__x86_64__)
// i386 syscalls from this 64-bit process via int $0x80 (CONFIG_IA32_EMULATION).
long int80(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return ret;
}

// Runs fn in a child; the child writes one line per finding to a pipe.
std::string in_child(void (*fn)(int fd)) {
  int p[2];
  if (pipe(p) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    fn(p[1]);
    _exit(0);
  }
  close(p[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    out += "child died (status " + std::to_string(status) + ")";
  return out;
}

TEST(RunningKernel, I386UnassignedNumbersAreEnosysOn618) {
  if (under_seccomp()) GTEST_SKIP() << "running under a seccomp filter";
  struct utsname u {};
  uname(&u);
  if (std::string(u.release).rfind("6.18", 0) != 0)
    GTEST_SKIP() << "exact check needs a 6.18 kernel, have " << u.release;
  CONFINE_REQUIRE_PLATFORM("int80");
  std::string bad = in_child([](int fd) {
    for (long nr = 0; nr < 520; ++nr) {
      if (syscall_name(Arch::X86, static_cast<int32_t>(nr))) continue;
      long r = int80(nr, 0, 0, 0);
      if (r != -ENOSYS) {
        std::string line = std::to_string(nr) + " -> " + std::to_string(r) + "\n";
        (void)!write(fd, line.data(), line.size());
      }
    }
  });
  EXPECT_EQ(bad, "") << "i386 numbers the kernel has but our table does not";
  EXPECT_EQ(max_syscall_number(Arch::X86), 469);
}

TEST(RunningKernel, I386PostLinux61CallsExist) {
  if (under_seccomp()) GTEST_SKIP() << "running under a seccomp filter";
  struct utsname u {};
  uname(&u);
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  if (major < 6 || (major == 6 && minor < 18)) GTEST_SKIP() << "kernel " << u.release << " older than 6.18";
  CONFINE_REQUIRE_PLATFORM("int80");
  std::string bad = in_child([](int fd) {
    const char* added[] = {"fchmodat2",     "futex_wake",     "futex_wait",   "futex_requeue", "statmount",
                           "listmount",     "mseal",          "setxattrat",   "getxattrat",    "listxattrat",
                           "removexattrat", "open_tree_attr", "file_getattr", "file_setattr"};
    for (const char* n : added) {
      auto nr = syscall_number(Arch::X86, n);
      long r = nr ? int80(*nr, -1, 0, 0xffffffffL) : -ENOSYS;
      if (r == -ENOSYS || r == 0) {
        std::string line = std::string(n) + " -> " + std::to_string(r) + "\n";
        (void)!write(fd, line.data(), line.size());
      }
    }
  });
  EXPECT_EQ(bad, "") << "post-6.1 i386 calls that the kernel lacks (or that succeeded on garbage)";
}
#endif

}  // namespace
}  // namespace confine
