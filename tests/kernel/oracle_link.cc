// The libseccomp oracle lives in tests/oracle (its own test binary); the build
// globs one directory per test binary, so the kernel tests compile it in here.
#include "oracle/cases.cc"              // NOLINT(bugprone-suspicious-include)
#include "oracle/libseccomp_oracle.cc"  // NOLINT(bugprone-suspicious-include)
