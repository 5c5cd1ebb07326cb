// "Interesting" seccomp_data inputs for differential tests of two programs
// built from one ResolvedProfile (ours vs libseccomp's, optimised vs not).
//
// For each arch table: every syscall number from the arch's first number (0,
// or the MIPS 4000/5000/6000 base, or 0x40000000 for x32) to
// max_syscall_number(arch) + 10 (for tables with a gap of more than 1024
// numbers, like ARM's private calls at 0xf0001, the dense part up to the gap
// + 10, then each later number -3..+10), plus -1, INT32_MIN/MAX and a few below the
// base; on x86_64 also every such number with the x32 bit set; all with zero
// arguments. For every rule condition (value v, mask m for MASKED_EQ) the
// rule's nr with that argument at: v, v±1, m, ~m, v|~m, v^lowbit(m), 0, ~0,
// and each with the high 32-bit half cleared / set to 0xffffffff / to 1; the
// other conditions of the rule held at a satisfying value, so ANDs are
// exercised. Finally seccomp_data.arch values not in the profile (0 and every
// other known AUDIT_ARCH_*).
//
// On arches whose kernel zero-extends arguments (i386, arm, ppc, s390, mips
// o32) the high halves stay 0: other inputs cannot occur there. x32 and mips
// n32 pass 64-bit registers, so high halves vary there too.
#pragma once

#include <vector>

#include "seccomp/bpf/bpf.h"
#include "seccomp/resolve.h"

namespace confine::oracle {

std::vector<bpf::SeccompData> interesting_cases(const seccomp::ResolvedProfile& rp);

// True if the kernel zero-extends syscall arguments for this ABI (args[i].hi == 0 always).
bool zero_extends_args(Arch a);

}  // namespace confine::oracle
