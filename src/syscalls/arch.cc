#include "syscalls/arch.h"

#include <array>
#include <cctype>
#include <string>

namespace confine {

namespace {
// EM_* machine numbers and AUDIT_ARCH flags (linux/elf-em.h, linux/audit.h).
constexpr uint32_t k64 = 0x80000000u, kLE = 0x40000000u, kN32 = 0x20000000u;
constexpr uint32_t EM_386 = 3, EM_MIPS = 8, EM_PPC = 20, EM_PPC64 = 21, EM_S390 = 22, EM_ARM = 40,
                   EM_X86_64 = 62, EM_AARCH64 = 183, EM_RISCV = 243, EM_LOONGARCH = 258;

constexpr std::array<ArchInfo, kArchCount> kArches = {{
    {Arch::X86_64, "x86_64", "SCMP_ARCH_X86_64", EM_X86_64 | k64 | kLE, 64, true, "x86_64", 0},
    {Arch::X86, "x86", "SCMP_ARCH_X86", EM_386 | kLE, 32, true, "i386", 0},
    {Arch::X32, "x32", "SCMP_ARCH_X32", EM_X86_64 | k64 | kLE, 32, true, "x32", kX32SyscallBit},
    {Arch::AARCH64, "aarch64", "SCMP_ARCH_AARCH64", EM_AARCH64 | k64 | kLE, 64, true, "aarch64", 0},
    {Arch::ARM, "arm", "SCMP_ARCH_ARM", EM_ARM | kLE, 32, true, "arm", 0},
    {Arch::RISCV64, "riscv64", "SCMP_ARCH_RISCV64", EM_RISCV | k64 | kLE, 64, true, "riscv64", 0},
    {Arch::S390X, "s390x", "SCMP_ARCH_S390X", EM_S390 | k64, 64, false, "s390x", 0},
    {Arch::S390, "s390", "SCMP_ARCH_S390", EM_S390, 32, false, "s390", 0},
    {Arch::PPC64LE, "ppc64le", "SCMP_ARCH_PPC64LE", EM_PPC64 | k64 | kLE, 64, true, "ppc64", 0},
    {Arch::PPC64, "ppc64", "SCMP_ARCH_PPC64", EM_PPC64 | k64, 64, false, "ppc64", 0},
    {Arch::PPC, "ppc", "SCMP_ARCH_PPC", EM_PPC, 32, false, "ppc", 0},
    {Arch::LOONGARCH64, "loongarch64", "SCMP_ARCH_LOONGARCH64", EM_LOONGARCH | k64 | kLE, 64, true,
     "loongarch64", 0},
    {Arch::MIPS, "mips", "SCMP_ARCH_MIPS", EM_MIPS, 32, false, "mips_o32", 4000},
    {Arch::MIPSEL, "mipsel", "SCMP_ARCH_MIPSEL", EM_MIPS | kLE, 32, true, "mips_o32", 4000},
    {Arch::MIPS64, "mips64", "SCMP_ARCH_MIPS64", EM_MIPS | k64, 64, false, "mips_n64", 5000},
    {Arch::MIPSEL64, "mipsel64", "SCMP_ARCH_MIPSEL64", EM_MIPS | k64 | kLE, 64, true, "mips_n64", 5000},
    {Arch::MIPS64N32, "mips64n32", "SCMP_ARCH_MIPS64N32", EM_MIPS | k64 | kN32, 32, false, "mips_n32", 6000},
    {Arch::MIPSEL64N32, "mipsel64n32", "SCMP_ARCH_MIPSEL64N32", EM_MIPS | k64 | kLE | kN32, 32, true,
     "mips_n32", 6000},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

std::span<const ArchInfo> all_arches() { return kArches; }

const ArchInfo& arch_info(Arch a) { return kArches[static_cast<size_t>(a)]; }

std::optional<Arch> arch_from_name(std::string_view name) {
  std::string n = lower(name);
  if (n.starts_with("scmp_arch_")) n = n.substr(10);
  struct Alias {
    std::string_view alias;
    Arch arch;
  };
  static constexpr Alias kAliases[] = {
      {"amd64", Arch::X86_64},
      {"x86-64", Arch::X86_64},
      {"i386", Arch::X86},
      {"i686", Arch::X86},
      {"386", Arch::X86},
      {"arm64", Arch::AARCH64},
      {"loong64", Arch::LOONGARCH64},
      {"mips64le", Arch::MIPSEL64},
      {"mipsle", Arch::MIPSEL},
      {"mips64n32le", Arch::MIPSEL64N32},
  };
  for (const auto& a : kAliases)
    if (n == a.alias) return a.arch;
  for (const auto& a : kArches)
    if (n == a.name) return a.arch;
  return std::nullopt;
}

Arch native_arch() {
#if defined(__x86_64__) && defined(__ILP32__)
  return Arch::X32;
#elif defined(__x86_64__)
  return Arch::X86_64;
#elif defined(__i386__)
  return Arch::X86;
#elif defined(__aarch64__)
  return Arch::AARCH64;
#elif defined(__arm__)
  return Arch::ARM;
#elif defined(__riscv) && __riscv_xlen == 64
  return Arch::RISCV64;
#elif defined(__s390x__)
  return Arch::S390X;
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return Arch::PPC64LE;
#elif defined(__loongarch64)
  return Arch::LOONGARCH64;
#else
#error "unsupported native architecture"
#endif
}

bool shares_audit_arch(Arch a, Arch b) { return arch_info(a).audit_arch == arch_info(b).audit_arch; }

}  // namespace confine
