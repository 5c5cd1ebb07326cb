// The failed-syscall sampler on the real kernel: forked children make known
// failing syscalls (64-bit, from a thread, from a grandchild, i386 through a
// 32-bit binary and through int $0x80, x32 numbers), and strace -f -c is the
// peer for a real program.
#include "record/errors.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "platform/probe.h"
#include "syscalls/syscalls.h"

namespace confine::record {
namespace {

using Counts = std::map<ErrorSampler::Key, uint64_t>;

ErrorSampler::Key K(Arch a, int32_t nr, int err) { return {a, nr, err}; }

std::string show(const Counts& c) {
  std::string s;
  for (const auto& [k, n] : c) {
    auto name = syscall_name(k.arch, k.nr);
    s += std::string(arch_info(k.arch).name) + ":" + (name ? std::string(*name) : std::to_string(k.nr)) +
         ":" + error_name(k.err) + "=" + std::to_string(n) + " ";
  }
  return s;
}

// Opening as root can only fail for a permission reason when we lack
// CAP_PERFMON/CAP_SYS_ADMIN (e.g. an unprivileged container); anything else
// is a bug.
bool permission_failure(const Error& e) {
  std::string m = e.message();
  return m.find("EACCES") != std::string::npos || m.find("EPERM") != std::string::npos;
}

// Forks a child that waits on a pipe until the sampler is open, then runs
// `body` and exits with its return value. Returns the counts; sets *exit_code.
struct Run {
  Counts counts;
  uint64_t lost = 0, samples = 0;
  int status = -1;
  bool skipped = false;
  std::string skip_reason;
};

Run run_child(const std::function<int()>& body, bool quiet = false) {
  Run out;
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2";
    return out;
  }
  pid_t pid = fork();
  if (pid == 0) {
    if (quiet) {
      int dn = open("/dev/null", O_RDWR);
      dup2(dn, 1);
      dup2(dn, 2);
    }
    char c;
    if (read(go[0], &c, 1) != 1) _exit(120);
    _exit(body());
  }
  close(go[0]);
  auto s = ErrorSampler::open(pid);
  if (!s) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    close(go[1]);
    if (permission_failure(s.error())) {  // e.g. a container without CAP_PERFMON
      out.skipped = true;
      out.skip_reason = s.error().message();
    } else {
      ADD_FAILURE() << "ErrorSampler::open: " << s.error().message();
    }
    return out;
  }
  EXPECT_EQ(write(go[1], "x", 1), 1);
  close(go[1]);
  // Drain while waiting, as the recorder would.
  for (;;) {
    std::vector<pollfd> pf;
    for (int fd : (*s)->fds()) pf.push_back({fd, POLLIN, 0});
    poll(pf.data(), pf.size(), 20);
    (*s)->drain();
    int st;
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) {
      out.status = st;
      break;
    }
  }
  (*s)->drain();
  out.counts = (*s)->counts();
  out.lost = (*s)->lost();
  out.samples = (*s)->samples();
  return out;
}

// perf is part of this machine kind (root, tracefs): its absence fails, never skips.
#define REQUIRE_PERF(r) \
  if ((r).skipped) FAIL() << "perf sampling unavailable (tests run as root with tracefs): " << (r).skip_reason

const int32_t kOpenat = 257, kClose = 3, kAccess = 21, kChdir = 80, kRead = 0;

TEST(ErrorSampler, FormatParserAcceptsTheKernelsText) {
  const char* text =
      "name: sys_exit\nID: 442\nformat:\n"
      "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
      "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
      "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
      "\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n\n"
      "print fmt: \"NR %ld = %ld\", REC->id, REC->ret\n";
  auto f = detail::parse_sys_exit_format(text);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->id, 442u);
  EXPECT_EQ(f->id_off, 8u);
  EXPECT_EQ(f->ret_off, 16u);
}

TEST(ErrorSampler, SysEnterFormatGivesTheArguments) {
  const char* text =
      "name: sys_enter\nID: 443\nformat:\n"
      "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
      "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n"
      "\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
      "\tfield:unsigned long args[6];\toffset:16;\tsize:48;\tsigned:0;\n\n"
      "print fmt: \"NR %ld (%lx, %lx, %lx, %lx, %lx, %lx)\", REC->id, ...\n";
  auto f = detail::parse_sys_enter_format(text);
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->id, 443u);
  EXPECT_EQ(f->id_off, 8u);
  EXPECT_EQ(f->args_off, 16u);
  // Without the args field: no arguments, still a counter format.
  auto g = detail::parse_sys_enter_format("ID: 443\n\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n");
  ASSERT_TRUE(g.ok()) << g.error().message();
  EXPECT_EQ(g->args_off, detail::SysExitFormat::kNoArgs);
  // args of another size is refused, not misread.
  EXPECT_FALSE(
      detail::parse_sys_enter_format("ID: 443\n\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n"
                                     "\tfield:unsigned long args[6];\toffset:16;\tsize:24;\tsigned:0;\n")
          .ok());
}

TEST(ErrorSampler, FormatParserRejectsSurprises) {
  EXPECT_FALSE(detail::parse_sys_exit_format("").ok());
  EXPECT_FALSE(detail::parse_sys_exit_format("ID: 1\n").ok());  // no fields
  EXPECT_FALSE(
      detail::parse_sys_exit_format(
          "ID: x\n\tfield:long id;\toffset:8;\tsize:8;\tsigned:1;\n\tfield:long ret;\toffset:16;\tsize:8;"
          "\tsigned:1;\n")
          .ok());
  // A 4-byte ret (a 32-bit kernel) is not what the sampler reads.
  auto r = detail::parse_sys_exit_format(
      "ID: 5\n\tfield:long id;\toffset:8;\tsize:4;\tsigned:1;\n\tfield:long "
      "ret;\toffset:12;\tsize:4;\tsigned:1;\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("not a signed 8-byte long"), std::string::npos) << r.error().message();
}

// A sample record as the kernel lays it out for the sampler's sample_type.
std::vector<uint8_t> sample(int64_t id, int64_t ret, uint64_t abi, uint64_t cx, uint64_t ip) {
  // header (8) + tid (8) + raw size (4) + raw (28) + regs abi, cx, ip (24), laid out
  // at fixed offsets (sized once: GCC 12 -O2 misreads vector::insert here as out of bounds).
  constexpr size_t kRaw = 20, kRawLen = 28, kRegs = kRaw + kRawLen;
  std::vector<uint8_t> r(kRegs + 24, 0);
  uint32_t rs = kRawLen;
  std::memcpy(r.data() + 16, &rs, 4);
  std::memcpy(r.data() + kRaw + 8, &id, 8);
  std::memcpy(r.data() + kRaw + 16, &ret, 8);
  std::memcpy(r.data() + kRegs, &abi, 8);
  std::memcpy(r.data() + kRegs + 8, &cx, 8);
  std::memcpy(r.data() + kRegs + 16, &ip, 8);
  uint32_t type = 9;  // PERF_RECORD_SAMPLE
  uint16_t misc = 2, size = static_cast<uint16_t>(r.size());
  std::memcpy(r.data(), &type, 4);
  std::memcpy(r.data() + 4, &misc, 2);
  std::memcpy(r.data() + 6, &size, 2);
  return r;
}

std::optional<ErrorSampler::Key> classify_bytes(const std::vector<uint8_t>& r) {
  return detail::classify(detail::decode_record(r.data(), r.size(), 8, 16));
}

TEST(ErrorSampler, ClassifiesSamples) {
  EXPECT_EQ(classify_bytes(sample(257, -2, 2, 0x10, 0x10)), K(Arch::X86_64, 257, ENOENT));
  EXPECT_EQ(classify_bytes(sample(5, -2, 1, 0, 0x8049014)), K(Arch::X86, 5, ENOENT));  // 32-bit task
  EXPECT_EQ(classify_bytes(sample(5, -2, 2, 0, 0x5555)),
            K(Arch::X86, 5, ENOENT));  // int $0x80 in a 64-bit one
  EXPECT_EQ(classify_bytes(sample(0x40000003, -9, 2, 7, 7)), K(Arch::X32, 0x40000003, EBADF));
  EXPECT_EQ(classify_bytes(sample(0, -512, 2, 7, 7)), K(Arch::X86_64, 0, 512));
  EXPECT_EQ(classify_bytes(sample(-1, -4, 2, 7, 7)), std::nullopt);  // rt_sigreturn
  EXPECT_EQ(classify_bytes(sample(3, 0, 2, 7, 7)), std::nullopt);
  EXPECT_EQ(classify_bytes(sample(3, -4096, 2, 7, 7)), std::nullopt);
  EXPECT_EQ(classify_bytes(sample(3, -4095, 2, 7, 7)), K(Arch::X86_64, 3, 4095));
  // Truncated records never read past their end and count nothing.
  auto full = sample(257, -2, 2, 7, 7);
  for (size_t n = 0; n < 8 + 8 + 4 + 24; ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    EXPECT_EQ(detail::classify(detail::decode_record(cut.data(), cut.size(), 8, 16)), std::nullopt) << n;
  }
  // Without regs (abi NONE) the x86_64 reading stands.
  std::vector<uint8_t> noregs(full.begin(), full.begin() + 8 + 8 + 4 + 28);
  EXPECT_EQ(detail::classify(detail::decode_record(noregs.data(), noregs.size(), 8, 16)),
            K(Arch::X86_64, 257, ENOENT));
  // PERF_RECORD_LOST
  std::vector<uint8_t> lost(24, 0);
  uint32_t type = 2;
  uint16_t size = 24;
  uint64_t n = 17;
  std::memcpy(lost.data(), &type, 4);
  std::memcpy(lost.data() + 6, &size, 2);
  std::memcpy(lost.data() + 16, &n, 8);
  auto d = detail::decode_record(lost.data(), lost.size(), 8, 16);
  EXPECT_EQ(d.kind, detail::Decoded::kLost);
  EXPECT_EQ(d.lost, 17u);
}

TEST(ErrorSampler, TracefsViaDetachedMountMatchesCachedPath) {
  auto a = detail::sys_exit_format();
  if (!a.ok() && geteuid() != 0) GTEST_SKIP() << a.error().message();
  ASSERT_TRUE(a.ok()) << a.error().message();
  auto b = detail::sys_exit_format_detached();
  ASSERT_TRUE(b.ok()) << b.error().message();
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->ret_off, b->ret_off);
  // And the host's mounts are as they were.
  std::ifstream mi("/proc/self/mountinfo");
  std::stringstream ss;
  ss << mi.rdbuf();
  if (ss.str().find(" - tracefs ") == std::string::npos) {
    auto c = detail::sys_exit_format_detached();
    ASSERT_TRUE(c.ok());
    std::ifstream mi2("/proc/self/mountinfo");
    std::stringstream ss2;
    ss2 << mi2.rdbuf();
    EXPECT_EQ(ss2.str().find(" - tracefs "), std::string::npos);
  }
}

TEST(ErrorSampler, ExactCountsAcrossThreadAndGrandchild) {
  auto r = run_child([] {
    for (int i = 0; i < 200; ++i) syscall(SYS_getpid);  // successes cost nothing
    for (int i = 0; i < 3; ++i) syscall(SYS_openat, AT_FDCWD, "/nonexistent", O_RDONLY);
    for (int i = 0; i < 2; ++i) syscall(SYS_close, -1);
    std::thread t([] {
      for (int i = 0; i < 4; ++i) syscall(SYS_access, "/nonexistent", F_OK);
    });
    t.join();
    pid_t g = fork();
    if (g == 0) {
      for (int i = 0; i < 5; ++i) syscall(SYS_chdir, "/nonexistent/dir");
      _exit(0);
    }
    int st;
    waitpid(g, &st, 0);
    return 7;
  });
  REQUIRE_PERF(r);
  ASSERT_TRUE(WIFEXITED(r.status));
  EXPECT_EQ(WEXITSTATUS(r.status), 7);
  Counts want{{K(Arch::X86_64, kOpenat, ENOENT), 3},
              {K(Arch::X86_64, kClose, EBADF), 2},
              {K(Arch::X86_64, kAccess, ENOENT), 4},
              {K(Arch::X86_64, kChdir, ENOENT), 5}};
  EXPECT_EQ(r.counts, want) << show(r.counts);
  EXPECT_EQ(r.lost, 0u);
  EXPECT_EQ(r.samples, 14u);  // only failures made samples
}

TEST(ErrorSampler, InterruptedReadCountsRestartNotSigreturn) {
  auto r = run_child([] {
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    sigaction(SIGALRM, &sa, nullptr);  // no SA_RESTART: read ends with EINTR
    int p[2];
    if (pipe(p) != 0) return 1;
    itimerval it{};
    it.it_value.tv_usec = 50000;
    setitimer(ITIMER_REAL, &it, nullptr);
    char c;
    ssize_t n = syscall(SYS_read, p[0], &c, 1);
    return n == -1 && errno == EINTR ? 0 : 2;
  });
  REQUIRE_PERF(r);
  ASSERT_TRUE(WIFEXITED(r.status));
  EXPECT_EQ(WEXITSTATUS(r.status), 0);
  // The tracepoint sees -ERESTARTSYS (signal delivery turns it into EINTR
  // later); rt_sigreturn "returning" -EINTR is not counted.
  Counts want{{K(Arch::X86_64, kRead, 512), 1}};
  EXPECT_EQ(r.counts, want) << show(r.counts);
  EXPECT_EQ(error_name(512), "ERESTARTSYS");
}

// A syscall a seccomp filter answers with an errno never runs, yet its exit
// is traced: it counts as a failure with the filter's errno (what a replay
// under a generated profile needs to see).
TEST(ErrorSampler, SeccompErrnoCounts) {
  auto r = run_child([] {
    sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 1;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return 2;
    for (int i = 0; i < 2; ++i) syscall(SYS_getppid);
    return 0;
  });
  REQUIRE_PERF(r);
  ASSERT_TRUE(WIFEXITED(r.status));
  ASSERT_EQ(WEXITSTATUS(r.status), 0);
  Counts want{{K(Arch::X86_64, SYS_getppid, EACCES), 2}};
  EXPECT_EQ(r.counts, want) << show(r.counts);
}

// i386 syscall through the int $0x80 gate from this 64-bit process: i386
// numbers, pointers below 4 GiB.
long int80(long nr, long a, long b) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b) : "memory");
  return ret;
}

TEST(ErrorSampler, Int80FromA64BitTaskIsI386) {
  CONFINE_REQUIRE_PLATFORM("int80");
  auto r = run_child([] {
    void* low = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED) return 1;
    std::strcpy(static_cast<char*>(low), "/nonexistent");
    for (int i = 0; i < 3; ++i)
      if (int80(5, reinterpret_cast<long>(low), 0) != -ENOENT) return 2;  // i386 open
    for (int i = 0; i < 2; ++i)
      if (int80(6, -1, 0) != -EBADF) return 3;  // i386 close
    syscall(SYS_close, -1);                     // and one native, for contrast
    return 0;
  });
  REQUIRE_PERF(r);
  ASSERT_TRUE(WIFEXITED(r.status));
  ASSERT_EQ(WEXITSTATUS(r.status), 0);
  Counts want{{K(Arch::X86, 5, ENOENT), 3}, {K(Arch::X86, 6, EBADF), 2}, {K(Arch::X86_64, kClose, EBADF), 1}};
  EXPECT_EQ(r.counts, want) << show(r.counts);
}

TEST(ErrorSampler, X32NumbersKeepTheirBit) {
  auto r = run_child([] {
    syscall(kX32SyscallBit | 3, -1);  // x32 close(-1): EBADF, or ENOSYS without CONFIG_X86_X32_ABI
    return 0;
  });
  REQUIRE_PERF(r);
  ASSERT_EQ(r.counts.size(), 1u) << show(r.counts);
  const auto& [k, n] = *r.counts.begin();
  EXPECT_EQ(k.arch, Arch::X32);
  EXPECT_EQ(k.nr, static_cast<int32_t>(kX32SyscallBit | 3));
  EXPECT_TRUE(k.err == EBADF || k.err == ENOSYS) << k.err;
  EXPECT_EQ(n, 1u);
}

// A real 32-bit binary (built here with gcc -m32, no libc) that makes i386
// syscalls through int $0x80 in 32-bit mode: perf reports ABI_32.
TEST(ErrorSampler, I386Binary) {
  CONFINE_REQUIRE_PLATFORM("i386-exec");
  char dir[] = "/tmp/confine-errors-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string src = std::string(dir) + "/t.c", bin = std::string(dir) + "/t";
  {
    std::ofstream f(src);
    f << "static int sc(int nr, int a, int b) { int r; __asm__ volatile(\"int $0x80\" : \"=a\"(r) : "
         "\"a\"(nr), \"b\"(a), \"c\"(b) : \"memory\"); return r; }\n"
         "void _start(void) { int i; for (i = 0; i < 3; i++) sc(5, (int)\"/nonexistent\", 0);\n"
         "  for (i = 0; i < 2; i++) sc(6, -1, 0); sc(1, 0, 0); for (;;); }\n";
  }
  std::string cmd = "gcc -m32 -O1 -static -nostdlib -fno-pie -no-pie -o " + bin + " " + src + " 2>/dev/null";
  if (system(cmd.c_str()) != 0) {
    std::system(("rm -rf " + std::string(dir)).c_str());
    FAIL() << "gcc -m32 -nostdlib failed (gcc-multilib is installed by make deps-test)";
  }
  auto r = run_child([&] {
    execl(bin.c_str(), bin.c_str(), nullptr);
    return 99;
  });
  std::system(("rm -rf " + std::string(dir)).c_str());
  REQUIRE_PERF(r);
  ASSERT_TRUE(WIFEXITED(r.status));
  ASSERT_EQ(WEXITSTATUS(r.status), 0);
  Counts want{{K(Arch::X86, 5, ENOENT), 3}, {K(Arch::X86, 6, EBADF), 2}};
  EXPECT_EQ(r.counts, want) << show(r.counts);
}

// strace as the peer: the failed syscalls of the same deterministic shell
// line, per (syscall, errno), must agree. strace -Z (failed only) lists them
// one per line; `-c` only has per-syscall totals. The restart codes
// (ERESTARTSYS & co., "= ? ERESTART...") depend on when SIGCHLD lands, which
// ptrace changes, so both sides leave them out.
std::map<std::string, uint64_t> strace_failures(const std::string& log) {
  std::map<std::string, uint64_t> out;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    // "PID name(args) = -1 ENOENT (...)" or "PID <... name resumed>...) = -1 EBADF (...)"
    size_t eq = line.rfind(" = -1 E");
    if (eq == std::string::npos) continue;
    std::string err = line.substr(eq + 6);
    err = err.substr(0, err.find(' '));
    std::string name;
    size_t res = line.find("<... ");
    if (res != std::string::npos) {
      name = line.substr(res + 5);
      name = name.substr(0, name.find(' '));
    } else {
      // strace pads the pid column ("3773  openat(" vs "12345 openat(").
      size_t sp = line.find(' ');
      size_t start = sp == std::string::npos ? sp : line.find_first_not_of(' ', sp);
      size_t paren = start == std::string::npos ? start : line.find('(', start);
      if (paren == std::string::npos) continue;
      name = line.substr(start, paren - start);
    }
    ++out[name + " " + err];
  }
  return out;
}

TEST(ErrorSampler, AgreesWithStrace) {
  const char* script = "ls /nonexistent; cat /etc/hostname; ls /root/x; mkdir /; true";
  char tmpl[] = "/tmp/confine-strace-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  std::string cmd = std::string("strace -f -qq -Z -o ") + tmpl + " sh -c '" + script + "' >/dev/null 2>&1";
  int rc = system(cmd.c_str());
  std::ifstream f(tmpl);
  std::stringstream ss;
  ss << f.rdbuf();
  unlink(tmpl);
  ASSERT_FALSE(rc == -1 || ss.str().empty()) << "strace did not run (installed by make deps-test)";
  auto want = strace_failures(ss.str());
  ASSERT_GT(want["openat ENOENT"], 10u) << ss.str();
  ASSERT_EQ(want["mkdir EEXIST"], 1u) << ss.str();

  auto r = run_child(
      [&] {
        execl("/bin/sh", "sh", "-c", script, nullptr);
        return 99;
      },
      /*quiet=*/true);
  REQUIRE_PERF(r);
  std::map<std::string, uint64_t> got;
  for (const auto& [k, n] : r.counts) {
    ASSERT_EQ(k.arch, Arch::X86_64) << show(r.counts);
    if (k.err >= 512 && k.err <= 516) continue;
    auto name = syscall_name(k.arch, k.nr);
    got[(name ? std::string(*name) : std::to_string(k.nr)) + " " + error_name(k.err)] += n;
  }
  EXPECT_EQ(got, want) << "sampler: " << show(r.counts) << "\nstrace:\n" << ss.str();
  EXPECT_EQ(r.lost, 0u);
}

TEST(ErrorSampler, ManyErrorsAcrossWrapAround) {
  // More failures than one ring holds between wakeups, drained while running:
  // records cross the buffer end many times; every failure is counted or
  // reported lost.
  const int kN = 60000;
  auto r = run_child([] {
    for (int i = 0; i < kN; ++i) syscall(SYS_close, -1);
    return 0;
  });
  REQUIRE_PERF(r);
  uint64_t total = r.counts[K(Arch::X86_64, kClose, EBADF)];
  EXPECT_EQ(total + r.lost, static_cast<uint64_t>(kN)) << show(r.counts) << " lost " << r.lost;
  EXPECT_EQ(r.counts.size(), 1u) << show(r.counts);
}

// Without CAP_PERFMON/CAP_SYS_ADMIN (and paranoid > -1) open() fails with a
// message fit to print after "errors: not observable".
TEST(ErrorSampler, PermissionErrorIsPrintable) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop capabilities";
  ASSERT_TRUE(detail::sys_exit_format().ok()) << "no tracefs";
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    // Drop CAP_SYS_ADMIN (21) and CAP_PERFMON (38) from the effective set.
    __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0) _exit(1);
    d[0].effective &= ~(1u << 21);
    d[1].effective &= ~(1u << (38 - 32));
    if (syscall(SYS_capset, &h, d) != 0) _exit(2);
    auto s = ErrorSampler::open(getpid());  // format is cached from before the drop
    std::string m = s.ok() ? "opened" : s.error().message();
    if (write(p[1], m.data(), m.size()) < 0) _exit(3);
    _exit(0);
  }
  close(p[1]);
  std::string m;
  char buf[512];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) m.append(buf, static_cast<size_t>(n));
  close(p[0]);
  int st;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  std::ifstream pf("/proc/sys/kernel/perf_event_paranoid");
  int paranoid = 2;
  pf >> paranoid;
  if (paranoid <= -1) {
    EXPECT_EQ(m, "opened");
  } else {
    EXPECT_EQ(m,
              "perf_event_open(raw_syscalls:sys_exit): EACCES (needs CAP_PERFMON or "
              "kernel.perf_event_paranoid <= -1; now " +
                  std::to_string(paranoid) + ")");
  }
}

TEST(ErrorSampler, NoSuchProcess) {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  auto s = ErrorSampler::open(pid);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("ESRCH"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace confine::record
