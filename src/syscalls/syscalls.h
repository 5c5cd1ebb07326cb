// Syscall name <-> number tables for every Arch, generated at build time from
// data/syscalls.csv (facts taken from the kernel's syscall tables, Linux 6.18).
// Numbers are the values seccomp_data.nr carries on that ABI, i.e. including
// the MIPS 4000/5000/6000 bases and the x32 bit 0x40000000.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "syscalls/arch.h"

namespace confine {

struct SyscallEntry {
  std::string_view name;
  int32_t nr;
};

// Entries of one arch sorted by number.
std::span<const SyscallEntry> syscall_table(Arch a);
std::optional<int32_t> syscall_number(Arch a, std::string_view name);
// Index of `name` in all_syscall_names() (one binary search), and the number of
// that name on an arch: looking a name up once for several arches.
std::optional<size_t> syscall_name_index(std::string_view name);
std::optional<int32_t> syscall_number_at(Arch a, size_t name_index);
std::optional<std::string_view> syscall_name(Arch a, int32_t nr);
// Highest number in the arch's table.
int32_t max_syscall_number(Arch a);
// Sorted, unique names known on at least one arch.
std::span<const std::string_view> all_syscall_names();
bool syscall_known_anywhere(std::string_view name);
// Up to `max` known names closest to `name` (edit distance), for "did you mean".
std::vector<std::string_view> similar_syscall_names(std::string_view name, size_t max = 3);
// Arches (in all_arches() order) whose table has `name`.
std::vector<Arch> arches_with_syscall(std::string_view name);
// Parses a syscall number as users write it: decimal ("35") or hex ("0x23",
// "0X40000000"), no sign, no spaces, at most INT32_MAX. nullopt otherwise.
std::optional<int32_t> parse_syscall_number(std::string_view text);
// Kernel version ("6.18") the tables were taken from.
std::string_view syscall_tables_version();

}  // namespace confine
