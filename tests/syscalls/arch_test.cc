// Arch facts and table invariants: aliases, native arch, AUDIT_ARCH values
// against <linux/audit.h>, lookups, round trips, uniqueness, the 6.18
// additions and the per-ABI quirks (MIPS bases, x32 bit, ARM private calls).
#include "syscalls/arch.h"

#include <gtest/gtest.h>
#include <linux/audit.h>

#include <algorithm>
#include <set>
#include <string>

#include "syscalls/syscalls.h"

namespace confine {
namespace {

TEST(Arch, NamesAndAliases) {
  struct Case {
    const char* in;
    Arch want;
  };
  const Case cases[] = {
      {"x86_64", Arch::X86_64},
      {"amd64", Arch::X86_64},
      {"SCMP_ARCH_X86_64", Arch::X86_64},
      {"X86-64", Arch::X86_64},
      {"x86", Arch::X86},
      {"i386", Arch::X86},
      {"i686", Arch::X86},
      {"SCMP_ARCH_X86", Arch::X86},
      {"x32", Arch::X32},
      {"SCMP_ARCH_X32", Arch::X32},
      {"aarch64", Arch::AARCH64},
      {"arm64", Arch::AARCH64},
      {"arm", Arch::ARM},
      {"riscv64", Arch::RISCV64},
      {"s390x", Arch::S390X},
      {"s390", Arch::S390},
      {"ppc64le", Arch::PPC64LE},
      {"ppc64", Arch::PPC64},
      {"ppc", Arch::PPC},
      {"loongarch64", Arch::LOONGARCH64},
      {"loong64", Arch::LOONGARCH64},
      {"mips", Arch::MIPS},
      {"mipsel", Arch::MIPSEL},
      {"mips64", Arch::MIPS64},
      {"mipsel64", Arch::MIPSEL64},
      {"mips64n32", Arch::MIPS64N32},
      {"mipsel64n32", Arch::MIPSEL64N32},
      {"SCMP_ARCH_MIPSEL64N32", Arch::MIPSEL64N32},
  };
  for (const auto& c : cases) {
    auto a = arch_from_name(c.in);
    ASSERT_TRUE(a.has_value()) << c.in;
    EXPECT_EQ(*a, c.want) << c.in;
  }
  for (const char* bad : {"", "x86_65", "SCMP_ARCH_", "sparc", "arm64 ", "SCMP_ARCH_X86_64x"})
    EXPECT_FALSE(arch_from_name(bad).has_value()) << bad;
  // Every arch's own names round-trip.
  for (const ArchInfo& a : all_arches()) {
    EXPECT_EQ(arch_from_name(a.name), a.arch);
    EXPECT_EQ(arch_from_name(a.scmp_name), a.arch);
    EXPECT_EQ(&arch_info(a.arch), &a);
  }
  EXPECT_EQ(all_arches().size(), static_cast<size_t>(kArchCount));
}

TEST(Arch, NativeIsX86_64Here) {
#if defined(__x86_64__) && !defined(__ILP32__)
  EXPECT_EQ(native_arch(), Arch::X86_64);
#else
  GTEST_SKIP() << "test machine is not x86_64";
#endif
}

TEST(Arch, AuditArchValuesMatchLinuxAuditH) {
  EXPECT_EQ(arch_info(Arch::X86_64).audit_arch, AUDIT_ARCH_X86_64);
  EXPECT_EQ(arch_info(Arch::X86).audit_arch, AUDIT_ARCH_I386);
  EXPECT_EQ(arch_info(Arch::X32).audit_arch, AUDIT_ARCH_X86_64);  // the kernel reports x86_64 for x32
  EXPECT_EQ(arch_info(Arch::AARCH64).audit_arch, AUDIT_ARCH_AARCH64);
  EXPECT_EQ(arch_info(Arch::ARM).audit_arch, AUDIT_ARCH_ARM);
  EXPECT_EQ(arch_info(Arch::RISCV64).audit_arch, AUDIT_ARCH_RISCV64);
  EXPECT_EQ(arch_info(Arch::S390X).audit_arch, AUDIT_ARCH_S390X);
  EXPECT_EQ(arch_info(Arch::S390).audit_arch, AUDIT_ARCH_S390);
  EXPECT_EQ(arch_info(Arch::PPC64LE).audit_arch, AUDIT_ARCH_PPC64LE);
  EXPECT_EQ(arch_info(Arch::PPC64).audit_arch, AUDIT_ARCH_PPC64);
  EXPECT_EQ(arch_info(Arch::PPC).audit_arch, AUDIT_ARCH_PPC);
#ifdef AUDIT_ARCH_LOONGARCH64
  EXPECT_EQ(arch_info(Arch::LOONGARCH64).audit_arch, AUDIT_ARCH_LOONGARCH64);
#endif
  EXPECT_EQ(arch_info(Arch::MIPS).audit_arch, AUDIT_ARCH_MIPS);
  EXPECT_EQ(arch_info(Arch::MIPSEL).audit_arch, AUDIT_ARCH_MIPSEL);
  EXPECT_EQ(arch_info(Arch::MIPS64).audit_arch, AUDIT_ARCH_MIPS64);
  EXPECT_EQ(arch_info(Arch::MIPSEL64).audit_arch, AUDIT_ARCH_MIPSEL64);
  EXPECT_EQ(arch_info(Arch::MIPS64N32).audit_arch, AUDIT_ARCH_MIPS64N32);
  EXPECT_EQ(arch_info(Arch::MIPSEL64N32).audit_arch, AUDIT_ARCH_MIPSEL64N32);
  EXPECT_TRUE(shares_audit_arch(Arch::X86_64, Arch::X32));
  EXPECT_FALSE(shares_audit_arch(Arch::X86_64, Arch::X86));
  EXPECT_FALSE(shares_audit_arch(Arch::PPC64, Arch::PPC64LE));
}

TEST(Syscalls, KnownNumbers) {
  EXPECT_EQ(syscall_name(Arch::X86_64, 35), "nanosleep");
  EXPECT_EQ(syscall_number(Arch::AARCH64, "nanosleep"), 101);
  EXPECT_EQ(syscall_number(Arch::X86_64, "open"), 2);
  EXPECT_FALSE(syscall_number(Arch::AARCH64, "open").has_value());
  EXPECT_EQ(syscall_number(Arch::X86, "socketcall"), 102);
  // ABI bases are part of the number seccomp_data.nr carries.
  EXPECT_EQ(syscall_number(Arch::X32, "read"), 0x40000000);
  EXPECT_EQ(syscall_number(Arch::X32, "rt_sigaction"), 0x40000000 + 512);
  EXPECT_EQ(syscall_number(Arch::MIPS, "read"), 4003);
  EXPECT_EQ(syscall_number(Arch::MIPSEL, "read"), 4003);
  EXPECT_EQ(syscall_number(Arch::MIPS64, "read"), 5000);
  EXPECT_EQ(syscall_number(Arch::MIPS64N32, "read"), 6000);
  // ARM private calls (arch/arm/include/uapi/asm/unistd.h, __ARM_NR_BASE = 0x0f0000).
  EXPECT_EQ(syscall_number(Arch::ARM, "breakpoint"), 0x0f0001);
  EXPECT_EQ(syscall_number(Arch::ARM, "cacheflush"), 0x0f0002);
  EXPECT_EQ(syscall_number(Arch::ARM, "usr26"), 0x0f0003);
  EXPECT_EQ(syscall_number(Arch::ARM, "usr32"), 0x0f0004);
  EXPECT_EQ(syscall_number(Arch::ARM, "set_tls"), 0x0f0005);
  EXPECT_EQ(syscall_number(Arch::ARM, "get_tls"), 0x0f0006);
  // Generic-table ABI selections.
  EXPECT_EQ(syscall_number(Arch::AARCH64, "renameat"), 38);
  EXPECT_FALSE(syscall_number(Arch::RISCV64, "renameat").has_value());
  EXPECT_EQ(syscall_number(Arch::RISCV64, "riscv_hwprobe"), 258);
  EXPECT_EQ(syscall_number(Arch::LOONGARCH64, "fstat"), 80);
  EXPECT_FALSE(syscall_number(Arch::LOONGARCH64, "getrlimit").has_value());
  EXPECT_FALSE(syscall_number(Arch::LOONGARCH64, "memfd_secret").has_value());
  EXPECT_EQ(syscall_number(Arch::S390X, "memfd_secret"), 447);
  EXPECT_FALSE(syscall_number(Arch::ARM, "memfd_secret").has_value());
  // 32-bit-only ABIs.
  EXPECT_EQ(syscall_number(Arch::S390, "time"), 13);
  EXPECT_FALSE(syscall_number(Arch::S390X, "time").has_value());
  EXPECT_EQ(syscall_number(Arch::PPC, "fcntl64"), 204);
  EXPECT_FALSE(syscall_number(Arch::PPC64, "fcntl64").has_value());
  EXPECT_EQ(syscall_name(Arch::PPC64LE, 1), "exit");
}

TEST(Syscalls, Linux618AdditionsOnEveryArch) {
  const char* added[] = {"cachestat",         "fchmodat2",         "map_shadow_stack", "futex_wake",
                         "futex_wait",        "futex_requeue",     "statmount",        "listmount",
                         "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "mseal",
                         "setxattrat",        "getxattrat",        "listxattrat",      "removexattrat",
                         "open_tree_attr",    "file_getattr",      "file_setattr"};
  for (const ArchInfo& a : all_arches()) {
    int32_t want = 451 + static_cast<int32_t>(a.nr_offset);
    for (const char* n : added) {
      EXPECT_EQ(syscall_number(a.arch, n), want) << a.name << " " << n;
      ++want;
    }
    EXPECT_FALSE(syscall_number(a.arch, "listns").has_value()) << "listns is 6.19";
  }
  EXPECT_EQ(syscall_number(Arch::X86_64, "uretprobe"), 335);
  EXPECT_EQ(syscall_number(Arch::X86_64, "uprobe"), 336);
  EXPECT_EQ(syscall_number(Arch::X32, "uprobe"), 0x40000000 + 336);
  EXPECT_FALSE(syscall_number(Arch::X86, "uprobe").has_value());
  EXPECT_EQ(syscall_tables_version(), "6.18");
}

TEST(Syscalls, RoundTripSortedUniqueOnEveryArch) {
  size_t total = 0;
  for (const ArchInfo& a : all_arches()) {
    auto t = syscall_table(a.arch);
    ASSERT_GT(t.size(), 300u) << a.name;
    std::set<std::string_view> names;
    for (size_t i = 0; i < t.size(); ++i) {
      if (i > 0) {
        EXPECT_LT(t[i - 1].nr, t[i].nr) << a.name << ": duplicate or unsorted number " << t[i].nr;
      }
      EXPECT_TRUE(names.insert(t[i].name).second) << a.name << ": duplicate name " << t[i].name;
      EXPECT_EQ(syscall_number(a.arch, t[i].name), t[i].nr);
      EXPECT_EQ(syscall_name(a.arch, t[i].nr), t[i].name);
      EXPECT_TRUE(syscall_known_anywhere(t[i].name));
      EXPECT_GE(t[i].nr, static_cast<int32_t>(a.nr_offset));
    }
    EXPECT_EQ(max_syscall_number(a.arch), t.back().nr);
    total += t.size();
  }
  EXPECT_GT(total, 6000u);
  auto all = all_syscall_names();
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
  EXPECT_FALSE(syscall_name(Arch::X86_64, -1).has_value());
  EXPECT_FALSE(syscall_name(Arch::X86_64, 100000).has_value());
  EXPECT_FALSE(syscall_number(Arch::X86_64, "").has_value());
  EXPECT_FALSE(syscall_known_anywhere("not_a_syscall"));
}

TEST(Syscalls, SimilarNames) {
  auto s = similar_syscall_names("mkdri");
  EXPECT_NE(std::find(s.begin(), s.end(), "mkdir"), s.end());
  EXPECT_LE(s.size(), 3u);
  auto o = similar_syscall_names("opne", 5);
  EXPECT_NE(std::find(o.begin(), o.end(), "open"), o.end());
  EXPECT_TRUE(similar_syscall_names("zzzzzzzzzzzzzzzzzzzz").empty());
  EXPECT_EQ(similar_syscall_names("read", 1).size(), 1u);
  EXPECT_EQ(similar_syscall_names("read", 1)[0], "read");
}

}  // namespace
}  // namespace confine

namespace confine {
namespace {

TEST(Syscalls, ParseSyscallNumber) {
  EXPECT_EQ(parse_syscall_number("0"), 0);
  EXPECT_EQ(parse_syscall_number("35"), 35);
  EXPECT_EQ(parse_syscall_number("0x23"), 35);
  EXPECT_EQ(parse_syscall_number("0X40000000"), 0x40000000);
  EXPECT_EQ(parse_syscall_number("0xf0005"), 0xf0005);
  EXPECT_EQ(parse_syscall_number("2147483647"), INT32_MAX);
  EXPECT_EQ(parse_syscall_number("0x7fffffff"), INT32_MAX);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "0x", "0x-1", "12abc", "0xg", "2147483648",
                          "0x80000000", "99999999999999999999", "0x0000000000000000001", "1e3", "3.0"})
    EXPECT_FALSE(parse_syscall_number(bad).has_value()) << bad;
}

TEST(Syscalls, ArchesWithSyscall) {
  auto open_arches = arches_with_syscall("open");
  EXPECT_EQ(open_arches.size(), 15u);  // every arch but aarch64, riscv64, loongarch64
  EXPECT_EQ(open_arches.front(), Arch::X86_64);
  EXPECT_EQ(std::count(open_arches.begin(), open_arches.end(), Arch::AARCH64), 0);
  EXPECT_EQ(arches_with_syscall("read").size(), static_cast<size_t>(kArchCount));
  EXPECT_EQ(arches_with_syscall("uprobe"), (std::vector<Arch>{Arch::X86_64, Arch::X32}));
  EXPECT_TRUE(arches_with_syscall("nope").empty());
}

}  // namespace
}  // namespace confine
