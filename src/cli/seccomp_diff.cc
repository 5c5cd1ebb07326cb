// TODO(owner of this file): replace this placeholder with the real subcommand.
#include "cli/args.h"
namespace confine::cli {
int seccomp_diff(std::span<char* const>) {
  print_error("seccomp diff: not implemented yet");
  return kExitUsage;
}
}  // namespace confine::cli
