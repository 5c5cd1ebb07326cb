// `confine seccomp merge A B... [-o OUT]`: one profile allowing what any input allows.
#include <iostream>

#include "cli/args.h"
#include "cli/seccomp_profile_args.h"
#include "seccomp/merge.h"

namespace confine::cli {

namespace {
constexpr OptSpec kOpts[] = {
    {"output", 'o', true, "OUT", "write the merged profile to OUT (default: stdout)"},
    {"strict", 0, false, "", "fail (exit 1, nothing written) if any conflict had to be decided"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine seccomp merge A B... [-o OUT] [--strict]\n\n"
        "Writes a profile that allows what any input allows (the union of the rules):\n"
        "  - default action: the inputs' if they agree, else the most restrictive one;\n"
        "  - an input whose default is more permissive gets it written out as an explicit rule\n"
        "    for every syscall it does not name;\n"
        "  - a syscall with unconditional rules in several inputs takes the most permissive action;\n"
        "  - archMap/architectures, flags: union.\n"
        "Every decision that loses information is reported on stderr as a conflict.\n"
        "-o OUT goes through the safe writer (docs/files.md); an OUT that is an OCI config.json\n"
        "gets only its .linux.seccomp replaced, the rest of the document is kept.\n\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine seccomp merge app1.json app2.json -o both.json\n"
        "  confine seccomp merge runtime-default extra.json > combined.json\n"
        "  confine seccomp merge runtime-default extra.json -o bundle/config.json\n\n"
        "exit status: 0 ok (conflicts are reported, not fatal unless --strict), 1 invalid input, 2 usage "
        "error\n";
}
}  // namespace

int seccomp_merge(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kOpts, usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (a.positional().size() < 2) {
    print_error("seccomp merge: expected at least two profiles");
    return kExitUsage;
  }
  std::vector<seccomp::Profile> in;
  for (const auto& arg : a.positional()) {
    std::vector<seccomp::Warning> w;
    auto p = load_profile_arg(arg, &w);
    for (const auto& x : w) std::cerr << x.str() << "\n";
    if (!p.ok()) {
      print_error(p.error());
      return kExitInvalid;
    }
    p->source = arg;
    in.push_back(std::move(*p));
  }
  auto m = seccomp::merge_profiles(in);
  if (!m.ok()) {
    print_error(m.error());
    return kExitInvalid;
  }
  for (const auto& c : m->conflicts) std::cerr << "confine: merge: conflict: " << c << "\n";
  if (a.has("strict") && !m->conflicts.empty()) {
    print_error("seccomp merge: " + std::to_string(m->conflicts.size()) +
                " conflict(s) with --strict; nothing written");
    return kExitInvalid;
  }
  if (auto s = write_profile_output(a.get("output").value_or("-"), seccomp::format_profile(m->profile));
      !s.ok()) {
    print_error(s.error());
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace confine::cli
