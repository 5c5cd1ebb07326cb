// Platform probes for the tests: features that really vary between hosts of
// one kind (today int $0x80 from a 64-bit process, and exec of an i386 ELF)
// are probed once per process, unconfined, in a forked child; a test that
// needs one skips with the reason when it is absent. Anything else a test
// needs (perf, cgroup v2, podman, ...) is not probed: its absence fails.
//
// CONFINE_TEST_ABSENT=int80,i386-exec forces the named probes to report
// "absent" (so the skip branch is testable on a host that has the feature).
//
// From C/C++: confine_probe("int80", reason, sizeof reason).
// From shell: build/platform_probe FEATURE -> "present" (exit 0),
//             "absent: REASON" (exit 1), "error: REASON" (exit 2).
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum confine_probe_result {
  CONFINE_PROBE_ERROR = -1,  // the probe itself could not run (e.g. gcc -m32 missing): a test failure
  CONFINE_PROBE_ABSENT = 0,
  CONFINE_PROBE_PRESENT = 1,
};

// Probes FEATURE ("int80" or "i386-exec"); the first call per feature runs the
// probe, later calls return the cached answer. On ABSENT or ERROR, `reason`
// (if non-NULL) receives why. An unknown feature name is an ERROR.
enum confine_probe_result confine_probe(const char* feature, char* reason, size_t reason_len);

#ifdef __cplusplus
}

#include <string>

namespace confine::platform {
// Empty if the feature is present; else the reason it is absent. ERROR (the probe could not run)
// returns the reason prefixed with "probe error: " through `*error` so the caller can fail.
inline std::string absent(const char* feature, std::string* error = nullptr) {
  char why[512] = "";
  enum confine_probe_result r = confine_probe(feature, why, sizeof why);
  if (r == CONFINE_PROBE_PRESENT) return "";
  if (r == CONFINE_PROBE_ERROR && error) *error = std::string("probe error: ") + why;
  return why;
}
}  // namespace confine::platform

// In a gtest body: skip with the reason when FEATURE is absent; fail when the probe cannot run.
#define CONFINE_REQUIRE_PLATFORM(feature)                                                          \
  do {                                                                                             \
    std::string confine_probe_err_;                                                                \
    std::string confine_probe_why_ = ::confine::platform::absent(feature, &confine_probe_err_);    \
    if (!confine_probe_err_.empty()) FAIL() << feature << ": " << confine_probe_err_;              \
    if (!confine_probe_why_.empty()) GTEST_SKIP() << feature << " absent: " << confine_probe_why_; \
  } while (0)
#endif
