// Classic BPF for seccomp, independent of the compiler (this module shares no
// code with src/seccomp/compiler*): an interpreter that follows the kernel's
// seccomp semantics, a checker with the kernel's load-time rules, and a
// disassembler. Used as the oracle for the compiler and to inspect any program
// (ours, libseccomp's, a runtime's).
//
// Kernel semantics reproduced (net/core/filter.c, kernel/seccomp.c):
//  - check() = bpf_check_classic() then seccomp_check_filter(): 1..4096
//    instructions; only the opcodes seccomp allows (no packet loads other than
//    32-bit aligned LD|W|ABS inside struct seccomp_data, no MOD, no LDX|MSH);
//    DIV by constant 0 and shifts by constants >= 32 rejected; M[] index < 16
//    and no read of a scratch cell that is not written on every path before it;
//    jump targets inside the program; last instruction RET.
//  - run(): A, X and M[] are 32 bit; LD|W|LEN and LDX|W|LEN load 64
//    (sizeof(struct seccomp_data)); division by X == 0 ends the program with
//    return value 0 (SECCOMP_RET_KILL_THREAD); shifts by X use X & 31 (the
//    kernel's interpreter and JITs mask the count).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace confine::bpf {

struct SeccompData {  // mirrors struct seccomp_data
  int32_t nr = 0;
  uint32_t arch = 0;
  uint64_t instruction_pointer = 0;
  uint64_t args[6] = {};
  bool operator==(const SeccompData&) const = default;
  auto operator<=>(const SeccompData&) const = default;
};
static_assert(sizeof(SeccompData) == 64);

inline constexpr size_t kMaxInsns = 4096;  // BPF_MAXINSNS
inline constexpr uint32_t kMemWords = 16;  // BPF_MEMWORDS

struct RunResult {
  uint32_t ret = 0;     // SECCOMP_RET_* | data
  size_t executed = 0;  // instructions executed
};

// Kernel load-time checks (seccomp_check_filter + bpf_check_classic): length
// 1..4096, known opcodes, aligned 32-bit loads inside seccomp_data, jumps in
// range, last instruction a return, no division by constant 0.
// The error message names the first offending instruction: "insn 3: ...".
Status check(std::span<const sock_filter> prog);
// Runs a program. Never crashes or loops on any input (jumps only go forward);
// returns an error when execution reaches something check() rejects (unknown
// opcode, jump or fall-through past the end, bad load offset, read of an
// unwritten M[] cell). Every program check() accepts runs without error.
Result<RunResult> run(std::span<const sock_filter> prog, const SeccompData& d);
// Same, with struct seccomp_data laid out in the byte order of the target
// kernel: on big-endian arches (s390x, ppc64, mips) offset 16 is args[0]'s
// HIGH half. The program itself is given in host order.
enum class Endian : uint8_t { Little, Big };
Endian host_endian();
Result<RunResult> run(std::span<const sock_filter> prog, const SeccompData& d, Endian layout);

// "ALLOW", "ERRNO(1)", "KILL_PROCESS", "KILL_THREAD", "TRAP(0)", "TRACE(3)",
// "LOG", "USER_NOTIF"; unknown actions as "0x12340000(=KILL_PROCESS)" since the
// kernel treats them as SECCOMP_RET_KILL_PROCESS.
std::string ret_str(uint32_t ret);
// AUDIT_ARCH_* name of a seccomp_data.arch value ("AUDIT_ARCH_X86_64"), or "".
std::string_view audit_arch_name(uint32_t audit_arch);

struct DisasmOptions {
  bool annotate = true;  // name seccomp_data fields, audit arches, syscall numbers, SECCOMP_RET actions
};
// One line per instruction:
//   "0003: 0x15 0x00 0x05 0xc000003e  jeq #0xc000003e, 0004, 0009  ; AUDIT_ARCH_X86_64"
std::string disassemble(std::span<const sock_filter> prog, const DisasmOptions& opts = {});
// A C initializer: "struct sock_filter filter[] = { BPF_STMT(...), ... };"
std::string to_c(std::span<const sock_filter> prog, std::string_view name = "filter");
// Raw bytes (struct sock_filter array, host endian) and back.
std::string to_bytes(std::span<const sock_filter> prog);
// Errors on an empty input or a size that is not a multiple of 8.
Result<std::vector<sock_filter>> from_bytes(std::string_view bytes);

}  // namespace confine::bpf
