// libFuzzer target for the user-input side of `confine syscalls`: any byte
// string -> parse_syscall_number / arch_from_name / syscall_number /
// similar_syscall_names never crashes or hangs, and the answers keep their
// contracts (a parsed number prints back to the same value, lookups
// round-trip, suggestions are known names).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "syscalls/arch.h"
#include "syscalls/syscalls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace confine;
  if (size > 64) return 0;  // names are short; keeps edit distance cheap
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (auto nr = parse_syscall_number(in)) {
    if (*nr < 0) std::abort();
    std::string dec = std::to_string(*nr);
    if (parse_syscall_number(dec) != nr) std::abort();
    for (const ArchInfo& a : all_arches())
      if (auto name = syscall_name(a.arch, *nr); name && syscall_number(a.arch, *name) != nr) std::abort();
  }
  if (auto arch = arch_from_name(in)) {
    if (arch_from_name(arch_info(*arch).name) != arch) std::abort();
  }
  for (const ArchInfo& a : all_arches())
    if (auto nr = syscall_number(a.arch, in); nr && syscall_name(a.arch, *nr) != in) std::abort();
  for (auto s : similar_syscall_names(in))
    if (!syscall_known_anywhere(s)) std::abort();
  (void)arches_with_syscall(in);
  return 0;
}
