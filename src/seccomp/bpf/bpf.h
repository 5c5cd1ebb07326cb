// Classic BPF for seccomp, independent of the compiler (this module shares no
// code with src/seccomp/compiler*): an interpreter that follows the kernel's
// seccomp semantics, a checker with the kernel's load-time rules, and a
// disassembler. Used as the oracle for the compiler and to inspect any program
// (ours, libseccomp's, a runtime's).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <linux/filter.h>

#include "core/error.h"

namespace confine::bpf {

struct SeccompData {  // mirrors struct seccomp_data
  int32_t nr = 0;
  uint32_t arch = 0;
  uint64_t instruction_pointer = 0;
  uint64_t args[6] = {};
};

struct RunResult {
  uint32_t ret = 0;            // SECCOMP_RET_* | data
  size_t executed = 0;         // instructions executed
};

// Kernel load-time checks (seccomp_check_filter + bpf_check_classic): length
// 1..4096, known opcodes, aligned 32-bit loads inside seccomp_data, jumps in
// range, last instruction a return, no division by constant 0.
Status check(std::span<const sock_filter> prog);
// Runs a checked program. Errors only for programs check() rejects.
Result<RunResult> run(std::span<const sock_filter> prog, const SeccompData& d);

struct DisasmOptions {
  bool annotate = true;  // name seccomp_data fields, audit arches, syscall numbers, SECCOMP_RET actions
};
std::string disassemble(std::span<const sock_filter> prog, const DisasmOptions& opts = {});
// A C initializer: "struct sock_filter filter[] = { BPF_STMT(...), ... };"
std::string to_c(std::span<const sock_filter> prog, std::string_view name = "filter");
// Raw bytes (struct sock_filter array, host endian) and back.
std::string to_bytes(std::span<const sock_filter> prog);
Result<std::vector<sock_filter>> from_bytes(std::string_view bytes);

}  // namespace confine::bpf
