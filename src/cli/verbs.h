// The verbs of `confine`. Each lives in its own file src/cli/<verb>.cc and
// does argument wiring and output formatting only; logic lives in modules.
// A verb receives its arguments without the verb name and returns the exit code.
#pragma once

#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

namespace confine::cli {

using VerbFn = int (*)(std::span<char* const> args);

struct Verb {
  std::string_view name;
  std::string_view summary;
  VerbFn fn;
};

// `confine VERB SUB [ARGS]`: runs the sub-verb named by args[0] from SUBS; no
// argument prints USAGE on stderr (usage error), -h/--help/help on stdout.
int dispatch_subverb(std::string_view verb, std::span<const Verb> subs, std::span<char* const> args,
                     void (*usage)(std::ostream&));

int verb_syscalls(std::span<char* const> args);
int verb_run(std::span<char* const> args);
int verb_inspect(std::span<char* const> args);
int verb_logs(std::span<char* const> args);
int verb_seccomp(std::span<char* const> args);
int verb_record(std::span<char* const> args);
int verb_harden(std::span<char* const> args);
int verb_apparmor(std::span<char* const> args);
int verb_k8s(std::span<char* const> args);
int verb_watch(std::span<char* const> args);

}  // namespace confine::cli
