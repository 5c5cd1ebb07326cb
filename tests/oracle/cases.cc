#include "oracle/cases.h"

#include <algorithm>
#include <climits>

#include "syscalls/syscalls.h"

namespace confine::oracle {

bool zero_extends_args(Arch a) {
  return arch_info(a).bits == 32 && a != Arch::X32 && a != Arch::MIPS64N32 && a != Arch::MIPSEL64N32;
}

namespace {

uint64_t satisfying(const seccomp::ArgCond& c) {
  switch (c.op) {
    case seccomp::CmpOp::EQ:
    case seccomp::CmpOp::LE:
    case seccomp::CmpOp::GE: return c.value;
    case seccomp::CmpOp::NE:
    case seccomp::CmpOp::GT: return c.value + 1;
    case seccomp::CmpOp::LT: return c.value ? c.value - 1 : 0;
    case seccomp::CmpOp::MaskedEq: return c.value_two;
  }
  return c.value;
}

std::vector<uint64_t> values_for(const seccomp::ArgCond& c) {
  std::vector<uint64_t> base = {c.value, c.value + 1, c.value - 1, 0, ~uint64_t{0}};
  if (c.op == seccomp::CmpOp::MaskedEq) {
    const uint64_t m = c.value, v = c.value_two;
    const uint64_t low = m & (~m + 1);
    base.insert(base.end(), {v, v + 1, v - 1, m, ~m, v | ~m, v ^ low, v | m});
  }
  std::vector<uint64_t> out;
  for (uint64_t v : base) {
    const uint64_t lo = v & 0xffffffffu;
    out.insert(out.end(), {v, lo, lo | 0xffffffff00000000ull, lo | 0x100000000ull});
  }
  return out;
}

}  // namespace

std::vector<bpf::SeccompData> interesting_cases(const seccomp::ResolvedProfile& rp) {
  std::vector<bpf::SeccompData> out;
  for (const auto& t : rp.arches) {
    const ArchInfo& ai = arch_info(t.arch);
    const bool zext = zero_extends_args(t.arch);
    auto push = [&](int32_t nr, const uint64_t(&args)[6]) {
      bpf::SeccompData d;
      d.nr = nr;
      d.arch = ai.audit_arch;
      for (int i = 0; i < 6; ++i) d.args[i] = zext ? (args[i] & 0xffffffffu) : args[i];
      out.push_back(d);
    };
    const uint64_t zero[6] = {};
    const int64_t first = ai.nr_offset;
    // The dense range ends where the table has a gap of more than 1024 numbers
    // (ARM's private calls at 0xf0001.. would otherwise add a million cases);
    // past it, each listed number and its neighbourhood.
    auto table = syscall_table(t.arch);
    int64_t dense_end = first;
    for (const auto& e : table) {
      if (e.nr > dense_end + 1024) break;
      dense_end = std::max<int64_t>(dense_end, e.nr);
    }
    std::vector<int64_t> nrs;
    for (int64_t nr = first; nr <= dense_end + 10; ++nr) nrs.push_back(nr);
    for (const auto& e : table)
      if (e.nr > dense_end)
        for (int64_t nr = e.nr - 3; nr <= e.nr + 10; ++nr) nrs.push_back(nr);
    for (int64_t nr : nrs) {
      push(static_cast<int32_t>(nr), zero);
      if (t.arch == Arch::X86_64) push(static_cast<int32_t>(nr | kX32SyscallBit), zero);
    }
    for (int64_t nr = std::max<int64_t>(0, first - 5); nr < first; ++nr) push(static_cast<int32_t>(nr), zero);
    for (int32_t nr : {-1, INT32_MIN, INT32_MAX, 0x3fffffff, static_cast<int32_t>(kX32SyscallBit - 1)})
      push(nr, zero);
    for (const auto& r : t.rules) {
      push(r.nr, zero);
      uint64_t base[6] = {};
      for (const auto& c : r.conds)
        if (c.index < 6) base[c.index] = satisfying(c);
      push(r.nr, base);
      for (const auto& c : r.conds) {
        if (c.index >= 6) continue;
        for (uint64_t v : values_for(c)) {
          uint64_t args[6];
          std::copy(std::begin(base), std::end(base), args);
          args[c.index] = v;
          push(r.nr, args);
          uint64_t only[6] = {};
          only[c.index] = v;
          push(r.nr, only);
        }
      }
    }
  }
  // seccomp_data.arch values the profile does not list.
  std::vector<uint32_t> listed;
  for (const auto& t : rp.arches) listed.push_back(arch_info(t.arch).audit_arch);
  std::vector<uint32_t> wrong = {0, 0xffffffffu};
  for (const auto& ai : all_arches())
    if (std::find(listed.begin(), listed.end(), ai.audit_arch) == listed.end())
      wrong.push_back(ai.audit_arch);
  for (uint32_t a : wrong)
    for (int32_t nr : {0, 1, 59, 0x40000000}) {
      bpf::SeccompData d;
      d.nr = nr;
      d.arch = a;
      out.push_back(d);
    }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace confine::oracle
