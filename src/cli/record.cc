// confine record [-o DIR] [--merge] [--args MODE] -- COMMAND [ARGS...]
// Argument wiring and output only: the recorder is src/record, the
// generators src/generate.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iostream>

#include "behavior/behavior.h"
#include "cli/args.h"
#include "cli/record_common.h"
#include "cli/verbs.h"
#include "generate/generate.h"
#include "record/recorder.h"

namespace confine::cli {

namespace {
constexpr OptSpec kOpts[] = {
    {"output", 'o', true, "DIR",
     "write seccomp.json, behavior.json, securityContext.yaml to DIR (default: confine-profile)"},
    {"merge", 0, false, "", "merge with DIR/behavior.json of earlier runs (union)"},
    {"args", 0, true, "MODE", "argument rules: none, sensitive (default), strict"},
    {"errno", 0, true, "NAME", "errno for unrecorded syscalls: EPERM (default) or ENOSYS"},
    {"format", 0, true, "FMT", "syscall table on stderr: text (default), json, none"},
    {"main-only", 0, false, "", "stop recording when the main process exits (default: the last descendant)"},
    {"pin", 0, false, "", "pin the supervisor and the command to one CPU (the command then sees one CPU)"},
    {"no-pin", 0, false, "", "let the scheduler place them (default; measured faster with sync wake-ups)"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine record [options] [--] COMMAND [ARGS...]\n\n"
        "Runs COMMAND (and every process it starts) under a seccomp user-notification\n"
        "supervisor that sees every syscall (x86_64, i386, x32) and lets it run, then writes\n"
        "  DIR/behavior.json        what the program did (syscalls, arguments, files, network)\n"
        "  DIR/seccomp.json         a Docker/OCI whitelist profile for exactly that\n"
        "  DIR/securityContext.yaml a Kubernetes securityContext using it\n"
        "and prints a syscall table (like strace -c) on stderr. The command's stdin, stdout,\n"
        "stderr and exit status pass through unchanged.\n\noptions:\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine record -o prof -- ls -la /usr\n"
        "  confine record -o prof --merge -- ./app --other-mode\n"
        "  confine run --profile prof -- ls -la /usr\n"
        "\nexit codes: the command's; 128+N if killed by signal N; 125 confine error;\n"
        "126 not executable; 127 not found. A recording of a command that was killed,\n"
        "interrupted or did not start is still written, marked \"partial\".\n";
}
}  // namespace

Result<RecordSetup> record_setup(const Args& a) {
  RecordSetup s;
  s.dir = a.get("output").value_or("confine-profile");
  if (auto m = a.get("args")) {
    CONFINE_TRY(s.gen.args, generate::arg_mode_from_name(*m));
  }
  if (auto e = a.get("errno")) {
    if (*e == "EPERM")
      s.gen.default_errno = EPERM;
    else if (*e == "ENOSYS")
      s.gen.default_errno = ENOSYS;
    else
      return Error("--errno " + *e + ": expected EPERM or ENOSYS");
  }
  if (a.has("pin") && a.has("no-pin")) return Error("--pin and --no-pin both given");
  s.rec.pin = a.has("pin");  // default off: see docs/record.md "Overhead"
  s.rec.main_only = a.has("main-only");
  s.rec.argv = a.rest();
  // The output directory must be writable before anything runs.
  std::error_code ec;
  std::filesystem::create_directories(s.dir, ec);
  if (ec) return Error("-o " + s.dir + ": cannot create directory: " + ec.message());
  struct stat st;
  if (stat(s.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Error("-o " + s.dir + ": not a directory");
  if (access(s.dir.c_str(), W_OK) != 0) return Error::sys("-o " + s.dir + ": not writable", errno);
  return s;
}

Status write_outputs(const std::string& dir, const behavior::Behavior& b, const generate::SeccompOptions& g) {
  auto prof = generate::seccomp_profile(b, g);
  CONFINE_CHECK(write_file(dir + "/behavior.json", behavior::format_behavior(b)));
  CONFINE_CHECK(write_file(dir + "/seccomp.json", seccomp::format_profile(prof)));
  generate::SecurityContextOptions k;
  std::string base = std::filesystem::path(dir).filename().string();
  if (base.empty() || base == "." || base == "..") base = "confine";
  k.localhost_profile = "confine/" + base + ".json";
  CONFINE_CHECK(write_file(dir + "/securityContext.yaml", generate::security_context_yaml(b, k)));
  return ok();
}

int verb_record(std::span<char* const> args) {
  if (!args.empty() && (std::string_view(args[0]) == "--help" || std::string_view(args[0]) == "-h")) {
    usage(std::cout);
    return kExitOk;
  }
  auto parsed = Args::parse(args, kOpts, /*stop_at_positional=*/true);
  if (!parsed.ok()) {
    print_error(parsed.error());
    usage(std::cerr);
    return kExitUsage;
  }
  if (parsed->has("help")) {
    usage(std::cout);
    return kExitOk;
  }
  std::string fmt = parsed->get("format").value_or("text");
  if (fmt != "text" && fmt != "json" && fmt != "none") {
    print_error("--format " + fmt + ": expected text, json or none");
    return kExitUsage;
  }
  if (parsed->rest().empty()) {
    print_error("no command given (usage: confine record [options] -- COMMAND [ARGS...])");
    return kExitUsage;
  }
  auto setup = record_setup(*parsed);
  if (!setup.ok()) {
    print_error(setup.error());
    return 125;
  }
  behavior::Behavior earlier;
  bool have_earlier = false;
  if (parsed->has("merge")) {
    std::string bp = setup->dir + "/behavior.json";
    if (access(bp.c_str(), F_OK) == 0) {
      auto e = behavior::load_behavior(bp);
      if (!e.ok()) {
        print_error(std::move(e).error().context("--merge"));
        return 125;
      }
      earlier = std::move(*e);
      have_earlier = true;
    }
  }
  auto r = record::record(setup->rec);
  if (!r.ok()) {
    print_error(std::move(r).error().context("record"));
    return 125;
  }
  for (const auto& w : r->warnings) print_warning(w);
  behavior::Behavior b = std::move(r->behavior);
  if (r->events == 0) fmt = "none";  // the command did not start: no table
  if (fmt == "text")
    std::cerr << generate::syscall_table(b);
  else if (fmt == "json")
    std::cerr << generate::syscall_table_json(b);
  if (b.partial) print_warning("partial recording: " + b.partial_reason);
  if (have_earlier) {
    behavior::Behavior merged = std::move(earlier);
    merged.exit_status.reset();
    behavior::merge(merged, b);
    merged.exit_status = b.exit_status;
    b = std::move(merged);
  }
  auto w = write_outputs(setup->dir, b, setup->gen);
  if (!w.ok()) {
    print_error(std::move(w).error().context("writing " + setup->dir));
    return 125;
  }
  std::cerr << "confine: recorded " << r->events << " syscalls (" << b.syscall_names().size()
            << " distinct) -> " << setup->dir << "/{seccomp.json,behavior.json,securityContext.yaml}"
            << (b.partial ? " [partial]" : "") << "\n";
  return r->exit_code;
}

}  // namespace confine::cli
