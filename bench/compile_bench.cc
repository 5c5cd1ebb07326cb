// Compile time of Docker's default profile for its amd64 arch set (x86_64,
// x86, x32): confine (resolve + compile) vs libseccomp 2.5.4 (runc-style
// seccomp_init .. seccomp_export_bpf, default and with the binary-tree
// optimiser), and BPF instructions executed per syscall for a realistic mix,
// both programs run in confine's interpreter.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

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

}  // namespace

BENCHMARK_MAIN();
