// Oracle test: every (name, number) libseccomp 2.5.4 knows must be in our
// tables with the same number, on every arch libseccomp supports (it has no
// loongarch64). libseccomp is enumerated through its public API: numbers
// 0..N (plus the ABI base and the ARM private range) resolved to names.
#include <gtest/gtest.h>
#include <seccomp.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "syscalls/arch.h"
#include "syscalls/syscalls.h"

namespace confine {
namespace {

struct Pair {
  std::string name;
  int32_t nr;
};

// Everything libseccomp resolves on `token` in [lo, hi).
std::vector<Pair> libseccomp_pairs(uint32_t token, int32_t lo, int32_t hi) {
  std::vector<Pair> out;
  for (int32_t nr = lo; nr < hi; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(token, nr);
    if (name == nullptr) continue;
    out.push_back({name, nr});
    std::free(name);
  }
  return out;
}

// Cases where libseccomp 2.5.4 differs from the kernel's tables. Each one is
// checked against the kernel table in a comment; keep this list exact.
const std::set<std::pair<std::string, std::string>> kLibseccompKnownWrong = {
    // asm-generic/unistd.h (<= 6.10) still defined __NR_nfsservctl 42 as
    // sys_ni_syscall; since 6.11 the generic table is scripts/syscall.tbl, which
    // has no entry 42 (it goes 41 pivot_root, 43 statfs). libseccomp 2.5.4 was
    // generated from the old header. Number 42 stays unassigned in our tables
    // (checked in GenericTableHasNoNfsservctl below).
    {"aarch64", "nfsservctl"},
    {"riscv64", "nfsservctl"},
};

TEST(LibseccompOracle, EveryLibseccompNameMatchesOnEveryArch) {
  size_t compared = 0;
  std::vector<std::string> mismatches;
  std::set<std::string> arches_seen;
  for (const ArchInfo& a : all_arches()) {
    if (a.arch == Arch::LOONGARCH64) continue;  // not in libseccomp 2.5.4
    uint32_t token = seccomp_arch_resolve_name(std::string(a.name).c_str());
    ASSERT_NE(token, 0u) << "libseccomp does not know arch " << a.name;
    int32_t base = static_cast<int32_t>(a.nr_offset);
    std::vector<Pair> pairs = libseccomp_pairs(token, base, base + 1200);
    if (a.arch == Arch::ARM) {
      auto priv = libseccomp_pairs(token, 0x0f0000, 0x0f0010);
      pairs.insert(pairs.end(), priv.begin(), priv.end());
    }
    ASSERT_GT(pairs.size(), 250u) << a.name << ": libseccomp enumeration looks broken";
    arches_seen.insert(std::string(a.name));
    for (const Pair& p : pairs) {
      ++compared;
      if (kLibseccompKnownWrong.count({std::string(a.name), p.name})) continue;
      auto ours = syscall_number(a.arch, p.name);
      if (!ours || *ours != p.nr)
        mismatches.push_back(std::string(a.name) + ": " + p.name + " libseccomp=" + std::to_string(p.nr) +
                             " ours=" + (ours ? std::to_string(*ours) : std::string("absent")));
    }
  }
  std::printf("[ oracle ] compared %zu (name, arch) pairs from libseccomp %u.%u.%u on %zu arches\n", compared,
              seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro,
              arches_seen.size());
  std::string all;
  for (const auto& m : mismatches) all += "  " + m + "\n";
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " mismatches:\n" << all;
}

// The reverse direction by name: for every name we know anywhere, if
// libseccomp resolves it on an arch, we must have the same number there.
TEST(LibseccompOracle, OurNamesResolveLikeLibseccomp) {
  size_t compared = 0;
  std::vector<std::string> mismatches;
  for (const ArchInfo& a : all_arches()) {
    if (a.arch == Arch::LOONGARCH64) continue;
    uint32_t token = seccomp_arch_resolve_name(std::string(a.name).c_str());
    for (std::string_view name : all_syscall_names()) {
      int nr = seccomp_syscall_resolve_name_arch(token, std::string(name).c_str());
      if (nr < 0) continue;  // unknown to libseccomp, or one of its negative pseudo-numbers
      ++compared;
      if (kLibseccompKnownWrong.count({std::string(a.name), std::string(name)})) continue;
      auto ours = syscall_number(a.arch, name);
      if (!ours || *ours != nr)
        mismatches.push_back(std::string(a.name) + ": " + std::string(name) +
                             " libseccomp=" + std::to_string(nr) +
                             " ours=" + (ours ? std::to_string(*ours) : std::string("absent")));
    }
  }
  std::printf("[ oracle ] compared %zu names by name\n", compared);
  std::string all;
  for (const auto& m : mismatches) all += "  " + m + "\n";
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " mismatches:\n" << all;
}

TEST(LibseccompOracle, GenericTableHasNoNfsservctl) {
  for (Arch a : {Arch::AARCH64, Arch::RISCV64, Arch::LOONGARCH64}) {
    EXPECT_FALSE(syscall_number(a, "nfsservctl").has_value());
    EXPECT_FALSE(syscall_name(a, 42).has_value());
    EXPECT_EQ(syscall_name(a, 41), "pivot_root");
    EXPECT_EQ(syscall_name(a, 43), "statfs");
  }
}

// libseccomp's arch tokens are the audit arch values (except x32, which
// libseccomp tags without the 64-bit flag while the kernel reports x86_64's).
TEST(LibseccompOracle, ArchTokensMatchAuditArch) {
  for (const ArchInfo& a : all_arches()) {
    if (a.arch == Arch::LOONGARCH64) continue;
    uint32_t token = seccomp_arch_resolve_name(std::string(a.name).c_str());
    if (a.arch == Arch::X32)
      EXPECT_EQ(token, SCMP_ARCH_X32);
    else
      EXPECT_EQ(token, a.audit_arch) << a.name;
  }
}

}  // namespace
}  // namespace confine
