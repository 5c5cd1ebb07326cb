// Compile time of Docker's default profile for its amd64 arch set (x86_64,
// x86, x32): confine (resolve + compile) vs libseccomp 2.5.4 (runc-style
// seccomp_init .. seccomp_export_bpf, default and with the binary-tree
// optimiser), and BPF instructions executed per syscall for a realistic mix,
// both programs run in confine's interpreter.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <seccomp.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>

#include <cstdio>
#include <cstdlib>

#include "seccomp/bpf/bpf.h"
#include "seccomp/compiler.h"
#include "seccomp/profile.h"
#include "seccomp/resolve.h"
#include "syscalls/syscalls.h"

namespace {

using namespace confine;

const char* kDocker = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";

const seccomp::Profile& docker() {
  static seccomp::Profile p = [] {
    auto r = seccomp::load_profile(kDocker);
    if (!r.ok()) {
      fprintf(stderr, "%s\n", r.error().message().c_str());
      exit(1);
    }
    return *r;
  }();
  return p;
}

seccomp::ResolveContext amd64() {
  seccomp::ResolveContext c;
  c.arch = Arch::X86_64;  // archMap: x86_64 + x86 + x32
  c.kernel = seccomp::KernelVersion{6, 18};
  return c;
}

uint32_t scmp_action(const seccomp::Action& a) {
  switch (a.kind) {
    case seccomp::ActionKind::KillProcess: return SCMP_ACT_KILL_PROCESS;
    case seccomp::ActionKind::KillThread: return SCMP_ACT_KILL_THREAD;
    case seccomp::ActionKind::Trap: return SCMP_ACT_TRAP;
    case seccomp::ActionKind::Errno: return SCMP_ACT_ERRNO(a.data);
    case seccomp::ActionKind::Notify: return SCMP_ACT_NOTIFY;
    case seccomp::ActionKind::Trace: return SCMP_ACT_TRACE(a.data);
    case seccomp::ActionKind::Log: return SCMP_ACT_LOG;
    case seccomp::ActionKind::Allow: return SCMP_ACT_ALLOW;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare scmp_op(seccomp::CmpOp op) {
  switch (op) {
    case seccomp::CmpOp::NE: return SCMP_CMP_NE;
    case seccomp::CmpOp::LT: return SCMP_CMP_LT;
    case seccomp::CmpOp::LE: return SCMP_CMP_LE;
    case seccomp::CmpOp::EQ: return SCMP_CMP_EQ;
    case seccomp::CmpOp::GE: return SCMP_CMP_GE;
    case seccomp::CmpOp::GT: return SCMP_CMP_GT;
    case seccomp::CmpOp::MaskedEq: return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

// runc's way: one filter, native arch + the others, rules by name (libseccomp
// translates per arch). The profile is resolved once, like runc gets it from Docker.
std::vector<sock_filter> libseccomp_build(const seccomp::ResolvedProfile& rp, int optimize, int out_fd) {
  scmp_filter_ctx ctx = seccomp_init(scmp_action(rp.default_action));
  if (optimize) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, optimize);
  seccomp_arch_add(ctx, SCMP_ARCH_X86);
  seccomp_arch_add(ctx, SCMP_ARCH_X32);
  for (const auto& r : rp.arches.front().rules) {
    if (r.action == rp.default_action) continue;
    int nr = seccomp_syscall_resolve_name(r.name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;
    scmp_arg_cmp c[6];
    unsigned n = 0;
    for (const auto& a : r.conds)
      if (n < 6) c[n++] = {a.index, scmp_op(a.op), a.value, a.value_two};
    seccomp_rule_add_array(ctx, scmp_action(r.action), nr, n, c);
  }
  seccomp_export_bpf(ctx, out_fd);
  seccomp_release(ctx);
  std::vector<sock_filter> prog;
  if (out_fd >= 0) {
    off_t len = lseek(out_fd, 0, SEEK_CUR);
    if (len > 0) {
      prog.resize(static_cast<size_t>(len) / sizeof(sock_filter));
      if (pread(out_fd, prog.data(), static_cast<size_t>(len), 0) != len) prog.clear();
    }
  }
  return prog;
}

void BM_ConfineResolveCompile(benchmark::State& st) {
  const auto& p = docker();
  size_t insns = 0;
  for (auto _ : st) {
    auto rp = seccomp::resolve(p, amd64());
    auto prog = seccomp::compile(*rp);
    insns = prog->insns.size();
    benchmark::DoNotOptimize(prog->insns.data());
  }
  st.counters["insns"] = static_cast<double>(insns);
}
BENCHMARK(BM_ConfineResolveCompile)->Unit(benchmark::kMicrosecond);

void BM_ConfineCompileOnly(benchmark::State& st) {
  auto rp = seccomp::resolve(docker(), amd64());
  for (auto _ : st) {
    auto prog = seccomp::compile(*rp);
    benchmark::DoNotOptimize(prog->insns.data());
  }
}
BENCHMARK(BM_ConfineCompileOnly)->Unit(benchmark::kMicrosecond);

void BM_Libseccomp(benchmark::State& st) {
  auto rp = seccomp::resolve(docker(), amd64());
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  for (auto _ : st) libseccomp_build(*rp, static_cast<int>(st.range(0)), devnull);
  close(devnull);
  int fd = memfd_create("bpf", MFD_CLOEXEC);
  st.counters["insns"] = static_cast<double>(libseccomp_build(*rp, static_cast<int>(st.range(0)), fd).size());
  close(fd);
}
BENCHMARK(BM_Libseccomp)->Arg(0)->Arg(2)->ArgName("optimize")->Unit(benchmark::kMicrosecond);

// Instructions executed per syscall for a mix typical of a container workload.
struct Call {
  const char* name;
  uint64_t a0;
};
const Call kMix[] = {{"read", 0},       {"write", 1},        {"futex", 0},       {"epoll_wait", 0}, {"mmap", 0},
                     {"openat", 0},     {"close", 0},        {"getpid", 0},      {"fstat", 0},      {"recvfrom", 0},
                     {"sendto", 0},     {"clock_gettime", 0}, {"personality", 8}, {"clone", 0x11},   {"socket", 2},
                     {"ioctl", 0},      {"mount", 0},        {"clone3", 0},      {"rt_sigaction", 0}, {"exit_group", 0}};

void executed(benchmark::State& st, const std::vector<sock_filter>& prog) {
  double total = 0, n = 0;
  for (auto _ : st) {
    total = n = 0;
    for (const auto& c : kMix) {
      bpf::SeccompData d;
      d.arch = arch_info(Arch::X86_64).audit_arch;
      d.nr = *syscall_number(Arch::X86_64, c.name);
      d.args[0] = c.a0;
      auto r = bpf::run(prog, d);
      total += static_cast<double>(r->executed);
      n++;
    }
    benchmark::DoNotOptimize(total);
  }
  st.counters["insns_per_syscall"] = total / n;
  st.counters["program_len"] = static_cast<double>(prog.size());
}

void BM_ExecutedConfine(benchmark::State& st) {
  auto rp = seccomp::resolve(docker(), amd64());
  executed(st, seccomp::compile(*rp)->insns);
}
BENCHMARK(BM_ExecutedConfine);

void BM_ExecutedLibseccomp(benchmark::State& st) {
  auto rp = seccomp::resolve(docker(), amd64());
  int fd = memfd_create("bpf", MFD_CLOEXEC);
  auto prog = libseccomp_build(*rp, static_cast<int>(st.range(0)), fd);
  close(fd);
  executed(st, prog);
}
BENCHMARK(BM_ExecutedLibseccomp)->Arg(0)->Arg(2)->ArgName("optimize");

// Nanoseconds per syscall on the real kernel when the filter cannot be skipped:
// personality(0xffffffff) is allowed by an argument check in Docker's profile, so
// the kernel's action cache cannot answer it and runs the whole program each time.
// Each measurement runs in a forked child (a filter cannot be removed), which
// reports ns per call through a pipe. Arg: 0 no filter, 1 confine, 2 libseccomp
// linear, 3 libseccomp binary tree.
double ns_per_syscall(const std::vector<sock_filter>* prog) {
  int p[2];
  if (pipe(p) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    if (prog) {
      sock_fprog fp{static_cast<unsigned short>(prog->size()), const_cast<sock_filter*>(prog->data())};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
          syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0)
        _exit(1);
    }
    constexpr int kCalls = 200000;
    timespec a{}, b{};
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < kCalls; ++i) syscall(SYS_personality, 0xffffffffUL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (static_cast<double>(b.tv_sec - a.tv_sec) * 1e9 + static_cast<double>(b.tv_nsec - a.tv_nsec)) / kCalls;
    _exit(write(p[1], &ns, sizeof ns) == sizeof ns ? 0 : 1);
  }
  close(p[1]);
  double ns = -1;
  if (read(p[0], &ns, sizeof ns) != sizeof ns) ns = -1;
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return ns;
}

void BM_KernelUncacheableSyscall(benchmark::State& st) {
  auto rp = seccomp::resolve(docker(), amd64());
  std::vector<sock_filter> prog;
  if (st.range(0) == 1) prog = seccomp::compile(*rp)->insns;
  if (st.range(0) >= 2) {
    int fd = memfd_create("bpf", MFD_CLOEXEC);
    prog = libseccomp_build(*rp, st.range(0) == 3 ? 2 : 0, fd);
    close(fd);
  }
  double best = 1e18;
  for (auto _ : st) {
    double ns = ns_per_syscall(st.range(0) == 0 ? nullptr : &prog);
    if (ns < 0) {
      st.SkipWithError("child could not install the filter");
      return;
    }
    best = std::min(best, ns);
    st.SetIterationTime(ns * 1e-9);
  }
  st.counters["ns_per_syscall_best"] = best;
  st.counters["program_len"] = static_cast<double>(prog.size());
}
BENCHMARK(BM_KernelUncacheableSyscall)
    ->Arg(0)->Arg(1)->Arg(2)->Arg(3)->ArgName("filter")
    ->Iterations(5)->UseManualTime()->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
