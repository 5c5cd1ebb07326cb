// `confine apparmor check|fmt|to-landlock PROFILE`: argument wiring and output
// formatting only; the language lives in src/apparmor.
#include "apparmor/apparmor.h"

#include <cctype>
#include <filesystem>
#include <iostream>

#include "apparmor/from_behavior.h"
#include "apparmor/landlock.h"
#include "behavior/behavior.h"
#include "cli/args.h"
#include "cli/verbs.h"

namespace confine::cli {

namespace {

constexpr OptSpec kOpts[] = {
    {"root", 0, true, "DIR",
     "check, fmt, to-landlock: profile root for <...> includes (default /etc/apparmor.d)"},
    {"write", 'w', false, "", "fmt: rewrite PROFILE in place (atomically)"},
    {"output", 'o', true, "FORMAT", "to-landlock: text (default) or json"},
    {"profile", 'p', true, "NAME", "to-landlock: which profile of the file (default: the first)"},
    {"name", 'n', true, "NAME", "generate: profile name (default: confine-<program>)"},
    {"mode", 0, true, "MODE", "generate: enforce (default) or complain (flags=(complain))"},
    {"attach", 0, true, "PATH", "generate: attachment path (default: the main executable; - for none)"},
    {"out", 0, true, "FILE", "generate: write the profile to FILE instead of stdout"},
    {"tightness", 0, true, "LEVEL",
     "generate: default (path rows of docs/generalisation.md: data directories, system hierarchies) or "
     "strict (the exact recorded paths)"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine apparmor check PROFILE [--root DIR]\n"
        "       confine apparmor fmt PROFILE [-w] [--root DIR]\n"
        "       confine apparmor to-landlock PROFILE [-o text|json] [-p NAME] [--root DIR]\n"
        "       confine apparmor generate BEHAVIOR.json [-n NAME] [--mode enforce|complain] [--attach PATH]\n"
        "                                [--tightness default|strict] [--out FILE]\n\n"
        "check        parse PROFILE (AppArmor 3.x language), load its includes from the profile root,\n"
        "             check variables; print the profiles it defines and a rule summary\n"
        "fmt          print PROFILE in canonical form (comments kept); -w rewrites it in place\n"
        "to-landlock  translate the file rules to a Landlock ruleset (per path: rights) for the\n"
        "             running kernel's Landlock ABI; every approximation is printed as a warning\n"
        "generate     write an AppArmor profile for a recorded behavior (confine record -o DIR writes\n"
        "             DIR/behavior.json): self-contained (no include), one rule per recorded access\n"
        "             plus the rows of the reviewed path generalisation table it used (system\n"
        "             read-only hierarchies, the program's data directories, /proc/@{pid}, temp-name\n"
        "             globs, created directories, the ELF loader; see docs/generalisation.md),\n"
        "             ix for executed programs, capability and network rules; notes name them\n\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine apparmor check /etc/apparmor.d/usr.sbin.nscd\n"
        "  confine apparmor fmt -w my-profile\n"
        "  confine apparmor to-landlock deny-write.profile -o json\n"
        "  confine apparmor generate rec/behavior.json -n myapp --mode complain --out myapp.profile\n\n"
        "exit status: 0 ok, 1 invalid profile, 2 usage error\n";
}

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += static_cast<char>(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += static_cast<char>(c);
    }
  }
  return o + "\"";
}

Result<apparmor::Resolved> load(const std::string& path, const std::string& root) {
  CONFINE_TRY(std::string text, file::read_file(path));
  CONFINE_TRY(apparmor::File f, apparmor::parse(text, path));
  apparmor::ResolveOptions ro;
  ro.root = root;
  std::string dir = std::filesystem::path(path).parent_path().string();
  return apparmor::resolve(std::move(f), dir.empty() ? "." : dir, ro);
}

int do_check(const Args& a, const std::string& path, const std::string& root) {
  (void)a;
  auto r = load(path, root);
  if (!r.ok()) {
    print_error(r.error());
    return kExitInvalid;
  }
  for (const auto& w : r->warnings) print_warning(w);
  auto names = apparmor::profile_names(r->main);
  std::cout << path << ": ok, " << names.size() << " profile(s), " << r->files.size() << " included file(s), "
            << r->vars.size() << " variable(s)\n";
  for (const auto& p : apparmor::profiles(r->main)) {
    auto rules = apparmor::flatten(*r, *p);
    std::map<std::string, size_t> kinds;
    for (const auto& fr : rules) ++kinds[fr.rule.kind];
    std::cout << "  profile " << p->display_name() << ": " << rules.size() << " rules (with includes)";
    for (const auto& [k, n] : kinds) std::cout << ", " << k << " " << n;
    std::cout << "\n";
  }
  for (const auto& n : names)
    if (n.find("//") != std::string::npos) std::cout << "  child " << n << "\n";
  return kExitOk;
}

int do_fmt(const Args& a, const std::string& path) {
  auto text = file::read_file(path);
  if (!text.ok()) {
    print_error(text.error());
    return kExitInvalid;
  }
  auto f = apparmor::parse(*text, path);
  if (!f.ok()) {
    print_error(f.error());
    return kExitInvalid;
  }
  std::string out = apparmor::format(*f);
  if (a.has("write")) {
    if (path == "-") {
      print_error("apparmor fmt: -w needs a file, not stdin");
      return kExitUsage;
    }
    if (*text == out) return kExitOk;
    auto st = file::write_output(path, out);
    if (!st.ok()) {
      print_error(st.error());
      return kExitInvalid;
    }
    return kExitOk;
  }
  std::cout << out;
  return kExitOk;
}

int do_to_landlock(const Args& a, const std::string& path, const std::string& root) {
  std::string fmt = a.get("output").value_or("text");
  if (fmt != "text" && fmt != "json") {
    print_error("apparmor to-landlock: -o must be text or json");
    return kExitUsage;
  }
  auto r = load(path, root);
  if (!r.ok()) {
    print_error(r.error());
    return kExitInvalid;
  }
  auto profs = apparmor::profiles(r->main);
  if (profs.empty()) {
    print_error(path + ": no profile in file");
    return kExitInvalid;
  }
  std::shared_ptr<apparmor::Profile> p = profs[0];
  if (auto want = a.get("profile")) {
    p = nullptr;
    for (const auto& q : profs)
      if (q->display_name() == *want) p = q;
    if (!p) {
      print_error(path + ": no profile named \"" + *want + "\"");
      return kExitInvalid;
    }
  }
  apparmor::TranslateOptions topt;
  auto t = apparmor::to_landlock(*r, *p, topt);
  if (!t.ok()) {
    print_error(t.error());
    return kExitInvalid;
  }
  if (fmt == "json") {
    std::cout << "{\n  \"profile\": " << json_str(p->display_name()) << ",\n  \"abi\": " << t->abi
              << ",\n  \"handled_access_fs\": " << json_str(apparmor::access_names(t->handled))
              << ",\n  \"rules\": [";
    for (size_t i = 0; i < t->rules.size(); ++i) {
      const auto& pr = t->rules[i];
      std::cout << (i ? "," : "") << "\n    {\"path\": " << json_str(pr.path)
                << ", \"access\": " << json_str(apparmor::access_names(pr.access))
                << ", \"mask\": " << pr.access << ", \"from\": " << json_str(pr.origin) << "}";
    }
    std::cout << "\n  ],\n  \"self_rules\": [";
    for (size_t i = 0; i < t->self_rules.size(); ++i) {
      const auto& sr = t->self_rules[i];
      std::cout << (i ? "," : "") << "\n    {\"path\": " << json_str("/proc/self/" + sr.rel)
                << ", \"access\": " << json_str(apparmor::access_names(sr.access))
                << ", \"mask\": " << sr.access << ", \"from\": " << json_str(sr.origin) << "}";
    }
    std::cout << "\n  ],\n  \"warnings\": [";
    for (size_t i = 0; i < t->warnings.size(); ++i)
      std::cout << (i ? "," : "") << "\n    " << json_str(t->warnings[i]);
    std::cout << "\n  ]\n}\n";
  } else {
    std::cout << "# Landlock ruleset for profile " << p->display_name() << " (ABI " << t->abi << ")\n";
    std::cout << "# handled: " << apparmor::access_names(t->handled) << "\n";
    for (const auto& pr : t->rules) std::cout << pr.path << "  " << apparmor::access_names(pr.access) << "\n";
    for (const auto& sr : t->self_rules)
      std::cout << "/proc/self/" << sr.rel << "  " << apparmor::access_names(sr.access)
                << "  # opened by the sandboxed process, held by confine (row self-proc)\n";
    for (const auto& w : t->warnings) print_warning(w);
  }
  return kExitOk;
}

int do_generate(const Args& a, const std::string& path) {
  auto b = behavior::load_behavior(path);
  if (!b.ok()) {
    print_error(b.error());
    return kExitInvalid;
  }
  apparmor::GenerateOptions o;
  if (auto n = a.get("name")) {
    o.name = *n;
  } else {
    std::string prog =
        b->command.empty() ? "program" : std::filesystem::path(b->command[0]).filename().string();
    std::string clean;
    for (char c : prog)
      clean += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
    o.name = "confine-" + (clean.empty() ? std::string("program") : clean);
  }
  if (auto m = a.get("mode")) {
    auto mode = apparmor::mode_from_name(*m);
    if (!mode.ok()) {
      print_error(mode.error());
      return kExitUsage;
    }
    o.mode = *mode;
  }
  if (auto at = a.get("attach")) o.attachment = *at;
  if (auto t = a.get("tightness")) {
    if (*t != "default" && *t != "strict") {
      print_error("--tightness " + *t + ": expected default or strict");
      return kExitUsage;
    }
    o.generalise = *t == "default";
  }
  std::vector<std::string> notes;
  auto f = apparmor::from_behavior(*b, o, &notes);
  if (!f.ok()) {
    print_error(std::move(f).error().context(path));
    return kExitInvalid;
  }
  for (const auto& n : notes) std::cerr << "confine: note: " << n << "\n";
  std::string text = apparmor::format(*f);
  if (auto out = a.get("out")) {
    auto st = file::write_output(*out, text);
    if (!st.ok()) {
      print_error(st.error());
      return kExitInvalid;
    }
    return kExitOk;
  }
  std::cout << text;
  return kExitOk;
}

}  // namespace

int verb_apparmor(std::span<char* const> args) {
  if (args.empty() || wants_help(args)) {
    usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::string sub = args[0];
  auto pa = Args::parse(args.subspan(1), kOpts);
  if (!pa.ok()) {
    print_error(pa.error());
    usage(std::cerr);
    return kExitUsage;
  }
  const Args& a = *pa;
  if (a.positional().size() != 1) {
    print_error("apparmor " + sub + ": expected exactly one " +
                (sub == "generate" ? "BEHAVIOR.json" : "PROFILE"));
    return kExitUsage;
  }
  if (sub == "generate" && a.has("root")) {
    print_error("apparmor generate: --root does not apply: a generated profile includes nothing");
    return kExitUsage;
  }
  std::string root = a.get("root").value_or("/etc/apparmor.d");
  const std::string& path = a.positional()[0];
  if (sub == "check") return do_check(a, path, root);
  if (sub == "fmt") return do_fmt(a, path);
  if (sub == "to-landlock") return do_to_landlock(a, path, root);
  if (sub == "generate") return do_generate(a, path);
  print_error("apparmor: unknown subcommand \"" + sub + "\" (check, fmt, to-landlock, generate)");
  return kExitUsage;
}

}  // namespace confine::cli
