// `confine seccomp check PROFILE`: validate, then summarise per architecture.
#include <iostream>
#include <sstream>

#include "cli/args.h"
#include "cli/seccomp_profile_args.h"
#include "json/json.h"
#include "seccomp/merge.h"

namespace confine::cli {

namespace {
constexpr OptSpec kOpts[] = {
    kArchOpt,
    kCapsOpt,
    kKernelOpt,
    kCompatOpt,
    {"output", 'o', true, "FORMAT", "text (default) or json"},
    {"strict", 0, false, "", "treat warnings as errors (exit 1)"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine seccomp check PROFILE [--arch A] [--caps LIST] [--kernel X.Y] [-o json] "
        "[--strict]\n\n"
        "Validates a Docker seccomp profile, an OCI linux.seccomp object or an OCI config.json\n"
        "(errors and warnings as file:line:col), resolves it for the given context like Docker/runc\n"
        "(archMap, includes/excludes by capability, arch and minKernel) and prints, per architecture,\n"
        "how many syscalls are allowed, conditionally allowed (argument checks) or get another action.\n\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine seccomp check /usr/share/containers/seccomp.json\n"
        "  confine seccomp check runtime-default --caps CAP_SYS_ADMIN --kernel 5.4\n"
        "  confine seccomp check config.json --arch aarch64 -o json\n"
        "  confine seccomp check runtime-default --compat libseccomp   # x86 socketcall as libseccomp\n\n"
        "x86 socketcall/ipc: the i386 multiplexers carry their real arguments behind a pointer, so an\n"
        "argument-filtered socket/IPC rule cannot be checked there. By default (fail-closed) a rule less\n"
        "strict than the default action does not reach socketcall/ipc; --compat libseccomp makes it an\n"
        "unconditional multiplexer rule as libseccomp does. A warning names each such rule.\n\n"
        "exit status: 0 valid, 1 invalid (or warnings with --strict), 2 usage error\n";
}
}  // namespace

int seccomp_check(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kOpts, usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (a.positional().size() != 1) {
    print_error("seccomp check: expected exactly one PROFILE");
    return kExitUsage;
  }
  std::string fmt = a.get("output").value_or("text");
  if (fmt != "text" && fmt != "json") {
    print_error("seccomp check: -o must be text or json, not \"" + fmt + "\"");
    return kExitUsage;
  }
  auto ctx = resolve_context(a);
  if (!ctx.ok()) {
    print_error(ctx.error());
    return kExitUsage;
  }
  const std::string& arg = a.positional()[0];
  std::vector<seccomp::Warning> warnings;
  auto p = load_profile_arg(arg, &warnings);
  Result<seccomp::ResolvedProfile> r =
      p.ok() ? seccomp::resolve(*p, *ctx) : Result<seccomp::ResolvedProfile>(p.error());
  auto compat = compat_options(a);
  if (!compat.ok()) {
    print_error(compat.error());
    return kExitUsage;
  }
  if (r.ok()) {
    warnings.insert(warnings.end(), r->warnings.begin(), r->warnings.end());
    // What argument-filtered socket/IPC rules do through x86's socketcall/ipc (fail-closed or --compat).
    for (auto& w : seccomp::x86_multiplexer_remarks(*r, *compat)) warnings.push_back(std::move(w));
  }

  if (fmt == "json") {
    json::Value o = json::Value::make_object();
    o.add("profile", json::Value::make_string(arg));
    o.add("valid", json::Value::make_bool(r.ok()));
    if (!r.ok()) {
      o.add("error", json::Value::make_string(r.error().message()));
    } else {
      o.add("defaultAction", json::Value::make_string(r->default_action.str()));
      o.add("context", json::Value::make_string(describe_context(*ctx)));
      json::Value& arr = o.add("arches", json::Value::make_array());
      for (const auto& s : seccomp::summarize(*r)) {
        json::Value& e = arr.push(json::Value::make_object());
        e.add("arch", json::Value::make_string(std::string(arch_info(s.arch).name)));
        e.add("allowed", json::Value::make_u64(s.allowed));
        e.add("conditional", json::Value::make_u64(s.conditional));
        e.add("other", json::Value::make_u64(s.other));
        json::Value& sk = e.add("skipped", json::Value::make_array());
        for (const auto& t : r->arches)
          if (t.arch == s.arch)
            for (const auto& n : t.skipped) sk.push(json::Value::make_string(n));
        json::Value& cf = e.add("conflicts", json::Value::make_array());
        for (const auto& c : s.conflicts) cf.push(json::Value::make_string(c));
      }
    }
    json::Value& w = o.add("warnings", json::Value::make_array());
    for (const auto& x : warnings) w.push(json::Value::make_string(x.str()));
    std::cout << json::write(o);
    if (!r.ok()) return kExitInvalid;
    return a.has("strict") && !warnings.empty() ? kExitInvalid : kExitOk;
  }

  for (const auto& x : warnings) std::cerr << x.str() << "\n";
  if (!r.ok()) {
    print_error(r.error());
    std::cout << arg << ": invalid\n";
    return kExitInvalid;
  }
  size_t names = 0;
  for (const auto& rule : p->syscalls) names += rule.names.size();
  std::cout << arg << ": valid (" << p->syscalls.size() << " rule group"
            << (p->syscalls.size() == 1 ? "" : "s") << ", " << names << " syscall name"
            << (names == 1 ? "" : "s") << ")\n";
  std::cout << "default action: " << r->default_action.str() << "\n";
  std::cout << "context: " << describe_context(*ctx) << "\n";
  if (!r->flags.empty()) {
    std::cout << "flags:";
    for (const auto& f : r->flags) std::cout << " " << f;
    std::cout << "\n";
  }
  std::cout << "arch           allowed  conditional    other  skipped\n";
  for (const auto& s : seccomp::summarize(*r)) {
    char line[128];
    std::snprintf(line, sizeof line, "%-12s %9zu %12zu %8zu %8zu\n",
                  std::string(arch_info(s.arch).name).c_str(), s.allowed, s.conditional, s.other, s.skipped);
    std::cout << line;
    for (const auto& c : s.conflicts) std::cout << "  conflict: " << c << "\n";
  }
  if (!warnings.empty())
    std::cout << warnings.size() << " warning" << (warnings.size() == 1 ? "" : "s") << "\n";
  return a.has("strict") && !warnings.empty() ? kExitInvalid : kExitOk;
}

}  // namespace confine::cli
