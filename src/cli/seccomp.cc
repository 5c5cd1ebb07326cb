// `confine seccomp <subcommand>`: dispatch only; each subcommand is its own file.
#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/verbs.h"

namespace confine::cli {

int seccomp_check(std::span<char* const> args);
int seccomp_fmt(std::span<char* const> args);
int seccomp_compile(std::span<char* const> args);
int seccomp_test(std::span<char* const> args);
int seccomp_diff(std::span<char* const> args);
int seccomp_merge(std::span<char* const> args);

namespace {
constexpr Verb kSub[] = {
    {"check", "validate a profile; summarise its actions per architecture", seccomp_check},
    {"fmt", "print a profile as canonical JSON", seccomp_fmt},
    {"compile", "compile a profile to BPF (raw, disassembly or C)", seccomp_compile},
    {"test", "print the action a profile takes for one syscall and arguments", seccomp_test},
    {"diff", "compare the allowed syscalls of two profiles per architecture", seccomp_diff},
    {"merge", "merge profiles into one that allows what any of them allows", seccomp_merge},
};

void usage(std::ostream& os) {
  os << "usage: confine seccomp <subcommand> [options]\n\nsubcommands:\n";
  for (const auto& v : kSub) {
    std::string n(v.name);
    n.resize(10, ' ');
    os << "  " << n << v.summary << "\n";
  }
  os << "\nPROFILE is a Docker seccomp profile, an OCI linux.seccomp object, an OCI config.json,\n"
        "or the name of a bundled profile (runtime-default).\n"
        "Exit status: 0 ok, 1 invalid input, 2 usage error.\n";
}
}  // namespace

int verb_seccomp(std::span<char* const> args) { return dispatch_subverb("seccomp", kSub, args, usage); }

}  // namespace confine::cli
