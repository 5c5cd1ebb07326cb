// TODO(owner of this file): replace this placeholder with the real subcommand.
#include "cli/args.h"
namespace confine::cli {
int seccomp_compile(std::span<char* const>) {
  print_error("seccomp compile: not implemented yet");
  return kExitUsage;
}
}  // namespace confine::cli
