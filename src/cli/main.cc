#include <unistd.h>

#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/verbs.h"

namespace confine::cli {

namespace {
// The verb table: one line per verb, in the order `confine --help` lists them.
constexpr Verb kVerbs[] = {
    {"record", "record what a command does; write behavior.json, seccomp.json, securityContext.yaml",
     verb_record},
    {"harden", "record, generate, replay enforced and report the attack surface removed", verb_harden},
    {"run", "run a command confined: namespaces, capabilities, no_new_privs, seccomp, Landlock", verb_run},
    {"inspect", "show what confines a process (namespaces, caps, seccomp, LSM, ...)", verb_inspect},
    {"logs", "turn kernel audit lines (seccomp, AppArmor, Landlock) into events and profile fixes",
     verb_logs},
    {"seccomp", "check, format, compile, test, diff and merge seccomp profiles", verb_seccomp},
    {"apparmor", "check, format AppArmor profiles; translate them to Landlock rulesets", verb_apparmor},
    {"watch", "run a command under Falco-format detection rules (alerts, never blocks)", verb_watch},
    {"k8s", "Kubernetes node agent: install a bundle's profiles on a node; show what is installed", verb_k8s},
    {"syscalls", "look up syscall names and numbers on every architecture", verb_syscalls},
};

void usage(std::ostream& os) {
  os << "confine — least-privilege confinement for Linux workloads\n\n"
        "usage: confine <command> [options] [args]\n\ncommands:\n";
  for (const auto& v : kVerbs) {
    std::string n(v.name);
    n.resize(12, ' ');
    os << "  " << n << v.summary << "\n";
  }
  os << "\nRun `confine <command> --help` for the options and examples of a command.\n";
}
}  // namespace

int dispatch_subverb(std::string_view verb, std::span<const Verb> subs, std::span<char* const> args,
                     void (*usage)(std::ostream&)) {
  if (args.empty()) {
    usage(std::cerr);
    return kExitUsage;
  }
  std::string_view sub = args[0];
  if (sub == "-h" || sub == "--help" || sub == "help") {
    usage(std::cout);
    return kExitOk;
  }
  for (const auto& v : subs)
    if (v.name == sub) return v.fn(args.subspan(1));
  print_error("unknown " + std::string(verb) + " subcommand \"" + std::string(sub) + "\" (see `confine " +
              std::string(verb) + " --help`)");
  return kExitUsage;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return kExitUsage;
  }
  std::string_view verb = argv[1];
  if (verb == "-h" || verb == "--help" || verb == "help") {
    usage(std::cout);
    return kExitOk;
  }
  if (verb == "--version" || verb == "version") {
    std::cout << "confine " << CONFINE_VERSION << "\n";
    return kExitOk;
  }
  for (const auto& v : kVerbs)
    if (v.name == verb) return v.fn(std::span<char* const>(argv + 2, static_cast<size_t>(argc - 2)));
  print_error("unknown command \"" + std::string(verb) + "\" (see `confine --help`)");
  return kExitUsage;
}

}  // namespace confine::cli
