// Real-kernel harness: run one syscall in a forked child under a seccomp
// filter and report what happened (return value / errno, or the signal that
// killed it), and predict the same from bpf::run on the same seccomp_data.
//
// The child reports through a MAP_SHARED page written before any further
// syscall, not through a pipe: a filter under test may deny write(), and the
// report must not depend on the verdict being tested. The parent reaps the
// child (SIGKILL if a filter also denies exit) and reads the page.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "seccomp/bpf/bpf.h"

namespace confine::ktest {

enum class Abi : uint8_t { Native, I386, X32 };  // syscall(), int $0x80, syscall(nr | 0x40000000)

struct Probe {
  std::string label;  // "x86_64 getpid()", ...
  Abi abi = Abi::Native;
  long nr = 0;  // without the x32 bit
  uint64_t args[6] = {};
  bpf::SeccompData data() const;  // what the kernel hands the filter
};

struct Outcome {
  enum class Kind : uint8_t { Returned, Signaled, InstallFailed, Lost } kind = Kind::Lost;
  long ret = 0;  // Returned: syscall return value (-1 on error)
  int err = 0;   // Returned with ret == -1: errno; InstallFailed: errno of seccomp()
  int sig = 0;   // Signaled
  std::string str() const;
};

// Runs `p` in a child with `prog` installed (PR_SET_NO_NEW_PRIVS + seccomp(SET_MODE_FILTER));
// an empty `prog` runs the probe unfiltered (the baseline).
Outcome run_probe(std::span<const sock_filter> prog, const Probe& p);
// Only installs `prog` (for load-time acceptance tests): InstallFailed or Returned{0}.
Outcome install_only(std::span<const sock_filter> prog);

// What the kernel should do for filter verdict `ret`, given the unfiltered outcome.
Outcome predict(uint32_t ret, const Outcome& baseline);
// Same class of result: same signal, or same errno, or both succeeded (ERRNO(0) -> exactly 0).
bool same(const Outcome& predicted, const Outcome& actual);

// True if this process may install a seccomp filter at all (not in a sandbox that forbids it).
bool seccomp_available();

// True if int $0x80 works in this kernel (the "int80" platform probe, tests/platform/probe.h).
bool ia32_available();

// The safe probe set (see harness.cc for why each call is safe and what it shows).
// `scratch_dir` is an empty directory the mkdir probes may create entries in.
std::vector<Probe> safe_probes(const std::string& scratch_dir);

}  // namespace confine::ktest
