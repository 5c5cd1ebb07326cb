// TODO(owner of this file): replace this placeholder with the real verb.
#include "cli/args.h"
#include "cli/verbs.h"
namespace confine::cli {
int verb_logs(std::span<char* const>) {
  print_error("logs: not implemented yet");
  return kExitUsage;
}
}  // namespace confine::cli
