// `confine seccomp fmt PROFILE [-w | --check]`: canonical Docker JSON.
#include <iostream>

#include "cli/args.h"
#include "cli/seccomp_profile_args.h"
#include "json/json.h"

namespace confine::cli {

namespace {
constexpr OptSpec kOpts[] = {
    {"write", 'w', false, "", "rewrite PROFILE in place (atomically) instead of printing"},
    {"check", 0, false, "", "print nothing; exit 1 if PROFILE is not in canonical form"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine seccomp fmt PROFILE [-w | --check]\n\n"
        "Prints PROFILE (Docker profile, OCI linux.seccomp or OCI config.json) as a canonical Docker\n"
        "seccomp profile: fixed key order, \"names\" instead of the deprecated \"name\", SCMP_ACT_KILL\n"
        "spelled SCMP_ACT_KILL_THREAD, empty fields omitted, short name lists on one line.\n"
        "Unknown keys are dropped (with a warning). The output parses to the same profile.\n"
        "-w on an OCI config.json rewrites only .linux.seccomp and keeps the rest of the document\n"
        "(key order and values as read; indentation becomes 2 spaces, string escapes normalised).\n"
        "-w goes through confine's safe writer: mode and owner kept, a symlink followed only when\n"
        "nobody else can write on its way, a file with other hard links refused.\n\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine seccomp fmt /usr/share/containers/seccomp.json > podman.json\n"
        "  confine seccomp fmt -w my-profile.json\n"
        "  confine seccomp fmt -w bundle/config.json    # only linux.seccomp changes\n"
        "  confine seccomp fmt --check my-profile.json || echo 'run confine seccomp fmt -w'\n\n"
        "exit status: 0 ok, 1 invalid profile (or not canonical with --check), 2 usage error\n";
}
}  // namespace

int seccomp_fmt(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kOpts, usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (a.positional().size() != 1) {
    print_error("seccomp fmt: expected exactly one PROFILE");
    return kExitUsage;
  }
  if (a.has("write") && a.has("check")) {
    print_error("seccomp fmt: -w and --check exclude each other");
    return kExitUsage;
  }
  auto path = profile_path(a.positional()[0]);
  if (!path.ok()) {
    print_error(path.error());
    return kExitInvalid;
  }
  if (a.has("write") && seccomp::is_bundled_profile(*path)) {
    print_error("seccomp fmt: -w does not rewrite the bundled profile \"" + *path +
                "\" (it is compiled into confine; give a file)");
    return kExitUsage;
  }
  if (a.has("write") && *path == "-") {
    print_error("seccomp fmt: -w needs a file, not stdin");
    return kExitUsage;
  }
  std::vector<seccomp::Warning> warnings;
  auto p = seccomp::load_profile(*path, &warnings);
  for (const auto& w : warnings) std::cerr << w.str() << "\n";
  if (!p.ok()) {
    print_error(p.error());
    return kExitInvalid;
  }
  std::string out = seccomp::format_profile(*p);
  if (a.has("check")) {
    // An OCI config is canonical when its linux.seccomp is (the rest is json::write's form).
    auto cur = seccomp::read_profile_text(*path);
    auto want = seccomp::is_bundled_profile(*path) || *path == "-" ? Result<std::string>(out)
                                                                   : profile_output_text(*path, out);
    if (!cur.ok() || !want.ok()) {
      print_error(!cur.ok() ? cur.error() : want.error());
      return kExitInvalid;
    }
    if (*cur != *want) {
      std::cerr << *path << ": not in canonical form\n";
      return kExitInvalid;
    }
    return kExitOk;
  }
  // -w on an OCI config.json replaces only .linux.seccomp (write_profile_output).
  if (auto s = write_profile_output(a.has("write") ? *path : "-", out); !s.ok()) {
    print_error(s.error());
    return kExitInvalid;
  }
  return kExitOk;
}

}  // namespace confine::cli
