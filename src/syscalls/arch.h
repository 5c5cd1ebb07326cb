// Architectures (seccomp ABIs) and their facts: names as users write them
// (Docker/OCI "SCMP_ARCH_X86_64", libseccomp/CLI "x86_64"), AUDIT_ARCH values
// that seccomp_data.arch carries, word size, and per-ABI syscall-number quirks.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace confine {

enum class Arch : uint8_t {
  X86_64,
  X86,  // i386
  X32,  // x86_64 audit arch, syscall numbers with bit 30 (0x40000000) set
  AARCH64,
  ARM,
  RISCV64,
  S390X,
  S390,
  PPC64LE,
  PPC64,
  PPC,
  LOONGARCH64,
  MIPS,         // o32 big endian
  MIPSEL,       // o32 little endian
  MIPS64,       // n64 big endian
  MIPSEL64,     // n64 little endian
  MIPS64N32,    // n32 big endian
  MIPSEL64N32,  // n32 little endian
};

inline constexpr int kArchCount = 18;

struct ArchInfo {
  Arch arch;
  std::string_view name;         // "x86_64" (libseccomp / CLI name)
  std::string_view scmp_name;    // "SCMP_ARCH_X86_64" (Docker/OCI name)
  uint32_t audit_arch;           // AUDIT_ARCH_* value in seccomp_data.arch
  uint8_t bits;                  // 32 or 64 (argument register width)
  bool little_endian;
  std::string_view table;        // column/table name in data/syscalls.csv
  uint32_t nr_offset;            // base added to syscall numbers (mips 4000/5000/6000, x32 0x40000000)
};

inline constexpr uint32_t kX32SyscallBit = 0x40000000u;

std::span<const ArchInfo> all_arches();
const ArchInfo& arch_info(Arch a);
// Accepts "x86_64", "amd64", "SCMP_ARCH_X86_64", "i386"/"x86"/"i686", "arm64", ... (case-insensitive).
std::optional<Arch> arch_from_name(std::string_view name);
// The arch this binary runs as (x86_64 here).
Arch native_arch();
// Arches that share audit_arch (X86_64 and X32).
bool shares_audit_arch(Arch a, Arch b);

}  // namespace confine
