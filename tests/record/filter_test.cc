// The recorder's notify filter is built by our compiler (supervise::notify_filter)
// instead of hand-assembled BPF: it decides every syscall number of every arch as
// the hand-assembled program of commit 2ad0fbd did (kept here verbatim as the
// reference), checked with the BPF interpreter (seccomp/bpf, the oracle of the
// compiler's tests).
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstddef>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "record/decode.h"
#include "record/recorder.h"
#include "seccomp/bpf/bpf.h"
#include "syscalls/arch.h"
#include "syscalls/syscalls.h"

namespace confine::record {
namespace {

// The perf backend's names, as recorder.cc chose them at 2ad0fbd.
std::vector<std::string> reference_names() {
  std::vector<std::string> v;
  for (auto n : all_syscall_names())
    if (decode_needs_task(n) || n == "execve" || n == "execveat") v.emplace_back(n);
  return v;
}

// recorder.cc build_filter() at 2ad0fbd.
std::vector<sock_filter> hand_filter(bool perf, const std::vector<std::string>& notify) {
  std::vector<sock_filter> f;
  if (!perf) {
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
    return f;
  }
  auto nrs = [&](Arch a) {
    std::vector<uint32_t> v;
    for (auto n : notify)
      if (auto nr = syscall_number(a, n)) v.push_back(static_cast<uint32_t>(*nr));
    return v;
  };
  // jeq chain; each match jumps to the block's final RET USER_NOTIF.
  auto block = [](const std::vector<uint32_t>& v) {
    std::vector<sock_filter> b;
    size_t n = v.size();
    for (size_t i = 0; i < n; ++i)
      b.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v[i], static_cast<uint8_t>(n - i), 0));
    b.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    b.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
    return b;
  };
  auto b64 = block(nrs(Arch::X86_64)), bx32 = block(nrs(Arch::X32)), b32 = block(nrs(Arch::X86));
  // Jump offsets are 8 bits: beyond that (cannot happen with ~40 names),
  // notify everything -- slower, never wrong.
  if (2 + b64.size() + bx32.size() > 255 || 1 + b32.size() > 255) {
    f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
    return f;
  }
  const uint32_t arch_off = offsetof(seccomp_data, arch), nr_off = offsetof(seccomp_data, nr);
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arch_off));
  // x86_64 audit arch: ld nr; jset x32 bit -> x32 block; else x86_64 block.
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0,
                       static_cast<uint8_t>(2 + b64.size() + bx32.size())));
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, nr_off));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, kX32SyscallBit, static_cast<uint8_t>(b64.size()), 0));
  f.insert(f.end(), b64.begin(), b64.end());
  f.insert(f.end(), bx32.begin(), bx32.end());
  // i386 audit arch (32-bit tasks and int $0x80 from 64-bit ones).
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, static_cast<uint8_t>(1 + b32.size())));
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, nr_off));
  f.insert(f.end(), b32.begin(), b32.end());
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
  return f;
}

uint32_t verdict(const std::vector<sock_filter>& prog, uint32_t arch, int32_t nr) {
  bpf::SeccompData d;
  d.arch = arch;
  d.nr = nr;
  auto r = bpf::run(prog, d);
  EXPECT_TRUE(r.ok());
  return r.ok() ? r->ret : 0xdeadu;
}

void expect_same(const std::vector<sock_filter>& want, const std::vector<sock_filter>& got) {
  ASSERT_TRUE(bpf::check(got).ok());
  std::vector<int32_t> nrs;
  for (int32_t nr = -2; nr < 1100; ++nr) nrs.push_back(nr);
  for (int32_t nr = 0; nr < 1100; ++nr) nrs.push_back(static_cast<int32_t>(kX32SyscallBit) + nr);
  for (int32_t nr : {0x7fffffff, static_cast<int32_t>(0x80000000u), 0x3fffffff}) nrs.push_back(nr);
  size_t differ = 0;
  for (uint32_t arch :
       {uint32_t{AUDIT_ARCH_X86_64}, uint32_t{AUDIT_ARCH_I386}, uint32_t{AUDIT_ARCH_AARCH64}, 0u})
    for (int32_t nr : nrs)
      if (verdict(want, arch, nr) != verdict(got, arch, nr) && differ++ < 10)
        ADD_FAILURE() << "arch 0x" << std::hex << arch << " nr 0x" << nr << ": hand-assembled 0x"
                      << verdict(want, arch, nr) << ", compiled 0x" << verdict(got, arch, nr);
  EXPECT_EQ(differ, 0u);
}

TEST(RecorderFilter, PerfBackendCompiledEqualsHandAssembled) {
  auto names = reference_names();
  ASSERT_GT(names.size(), 10u);
  auto got = recorder_filter(true);
  ASSERT_TRUE(got.ok()) << got.error().message();
  expect_same(hand_filter(true, names), *got);
  // Spot checks: openat is notified (decoded from the task), getpid is not.
  EXPECT_EQ(verdict(*got, AUDIT_ARCH_X86_64, *syscall_number(Arch::X86_64, "openat")),
            SECCOMP_RET_USER_NOTIF);
  EXPECT_EQ(verdict(*got, AUDIT_ARCH_X86_64, *syscall_number(Arch::X86_64, "getpid")), SECCOMP_RET_ALLOW);
  EXPECT_EQ(verdict(*got, AUDIT_ARCH_I386, *syscall_number(Arch::X86, "execve")), SECCOMP_RET_USER_NOTIF);
}

TEST(RecorderFilter, UnotifyBackendNotifiesEverything) {
  auto got = recorder_filter(false);
  ASSERT_TRUE(got.ok());
  expect_same(hand_filter(false, {}), *got);
}

}  // namespace
}  // namespace confine::record
