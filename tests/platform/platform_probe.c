// build/platform_probe FEATURE: the test probes (probe.h) for shell tests.
// Prints "present" (exit 0), "absent: REASON" (exit 1) or "error: REASON" (exit 2).
#include <stdio.h>

#include "probe.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s int80|i386-exec   (CONFINE_TEST_ABSENT=F1,F2 forces absent)\n", argv[0]);
    return 2;
  }
  char why[512];
  switch (confine_probe(argv[1], why, sizeof why)) {
    case CONFINE_PROBE_PRESENT: puts("present"); return 0;
    case CONFINE_PROBE_ABSENT: printf("absent: %s\n", why); return 1;
    default: printf("error: %s\n", why); return 2;
  }
}
