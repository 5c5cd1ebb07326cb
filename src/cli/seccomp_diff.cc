// `confine seccomp diff A B`: per-arch differences of what two profiles allow.
#include <iostream>

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
    {"output", 'o', true, "FORMAT", "text (default) or json"},
    {"quiet", 'q', false, "", "print nothing; only the exit status tells"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine seccomp diff A B [--arch A] [--caps LIST] [--kernel X.Y] [-o json] [-q]\n\n"
        "Resolves both profiles for the same context and compares, per architecture and syscall,\n"
        "what they do:\n"
        "  only in A   every call allowed by A, no call allowed by B\n"
        "  only in B   the reverse\n"
        "  changed     any other difference (argument conditions, actions, errno values)\n\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine seccomp diff /usr/share/containers/seccomp.json runtime-default\n"
        "  confine seccomp diff old.json new.json --caps CAP_SYS_ADMIN -o json\n\n"
        "exit status (like diff(1)): 0 same behaviour, 1 different, 2 trouble (usage error or invalid "
        "profile)\n";
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}
}  // namespace

int seccomp_diff(std::span<char* const> args) {
  constexpr int kTrouble = 2;
  auto pa = parse_verb_args(args, kOpts, usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (a.positional().size() != 2) {
    print_error("seccomp diff: expected two profiles, A and B");
    return kExitUsage;
  }
  std::string fmt = a.get("output").value_or("text");
  if (fmt != "text" && fmt != "json") {
    print_error("seccomp diff: -o must be text or json, not \"" + fmt + "\"");
    return kExitUsage;
  }
  auto ctx = resolve_context(a);
  if (!ctx.ok()) {
    print_error(ctx.error());
    return kExitUsage;
  }
  seccomp::ResolvedProfile res[2];
  for (int i = 0; i < 2; ++i) {
    std::vector<seccomp::Warning> w;
    auto p = load_profile_arg(a.positional()[i], &w);
    if (!p.ok()) {
      print_error(p.error());
      return kTrouble;
    }
    auto r = seccomp::resolve(*p, *ctx);
    if (!r.ok()) {
      print_error(r.error());
      return kTrouble;
    }
    res[i] = std::move(*r);
  }
  auto d = seccomp::diff_profiles(res[0], res[1]);
  int rc = d.empty() ? kExitOk : 1;
  if (a.has("quiet")) return rc;
  const std::string &na = a.positional()[0], &nb = a.positional()[1];
  if (fmt == "json") {
    json::Value o = json::Value::make_object();
    o.add("a", json::Value::make_string(na));
    o.add("b", json::Value::make_string(nb));
    o.add("same", json::Value::make_bool(d.empty()));
    if (d.default_action) {
      json::Value& da = o.add("defaultAction", json::Value::make_object());
      da.add("a", json::Value::make_string(d.default_action->first));
      da.add("b", json::Value::make_string(d.default_action->second));
    }
    json::Value& arr = o.add("arches", json::Value::make_array());
    for (const auto& ad : d.arches) {
      json::Value& e = arr.push(json::Value::make_object());
      e.add("arch", json::Value::make_string(std::string(arch_info(ad.arch).name)));
      if (ad.only_in_a || ad.only_in_b)
        e.add("filteredOnlyBy", json::Value::make_string(ad.only_in_a ? "a" : "b"));
      json::Value& oa = e.add("onlyA", json::Value::make_array());
      for (const auto& n : ad.only_a) oa.push(json::Value::make_string(n));
      json::Value& ob = e.add("onlyB", json::Value::make_array());
      for (const auto& n : ad.only_b) ob.push(json::Value::make_string(n));
      json::Value& ch = e.add("changed", json::Value::make_array());
      for (const auto& c : ad.changed) {
        json::Value& x = ch.push(json::Value::make_object());
        x.add("syscall", json::Value::make_string(c.name));
        x.add("a", json::Value::make_string(c.a));
        x.add("b", json::Value::make_string(c.b));
      }
    }
    std::cout << json::write(o);
    return rc;
  }
  std::cout << "A: " << na << "\nB: " << nb << "\n";
  if (d.empty()) {
    std::cout << "same behaviour (" << describe_context(*ctx) << ")\n";
    return rc;
  }
  if (d.default_action)
    std::cout << "default action: A " << d.default_action->first << ", B " << d.default_action->second
              << "\n";
  for (const auto& ad : d.arches) {
    std::string an(arch_info(ad.arch).name);
    if (ad.only_in_a || ad.only_in_b) {
      std::cout << an << ": filtered only by " << (ad.only_in_a ? "A" : "B") << "\n";
      continue;
    }
    std::cout << an << ": " << ad.only_a.size() << " only in A, " << ad.only_b.size() << " only in B, "
              << ad.changed.size() << " changed\n";
    if (!ad.only_a.empty()) std::cout << "  only in A: " << join(ad.only_a) << "\n";
    if (!ad.only_b.empty()) std::cout << "  only in B: " << join(ad.only_b) << "\n";
    for (const auto& c : ad.changed)
      std::cout << "  ~ " << c.name << "\n      A: " << c.a << "\n      B: " << c.b << "\n";
  }
  return rc;
}

}  // namespace confine::cli
