// confine record [-o DIR] [--merge] [--args MODE] -- COMMAND [ARGS...]
// Argument wiring and output only: the recorder is src/record, the
// generators src/generate.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "apparmor/apparmor.h"
#include "apparmor/from_behavior.h"
#include "behavior/behavior.h"
#include "cli/args.h"
#include "cli/record_common.h"
#include "cli/verbs.h"
#include "generate/generate.h"
#include "harden/service_control.h"
#include "record/recorder.h"
#include "sandbox/limits.h"

namespace confine::cli {

namespace {
constexpr OptSpec kOwnOpts[] = {
    {"output", 'o', true, "DIR",
     "write seccomp.json, behavior.json, securityContext.yaml, apparmor.profile to DIR (default: "
     "confine-profile)"},
    {"merge", 0, false, "", "merge with DIR/behavior.json of earlier runs (union)"},
    {"format", 0, true, "FMT", "syscall table on stderr: text (default), json, none"},
    {"duration", 0, true, "D",
     "a service: send the stop signal after D (30, 1.5s, 2m), counted from --ready's success"},
    {"stop-signal", 0, true, "SIG",
     "the signal --duration sends (default TERM); exiting by it, or by a TERM/INT/HUP/QUIT sent to confine "
     "record (forwarded), is a complete recording"},
    {"ready", 0, true, "CMD",
     "a shell command run unconfined (not recorded), repeated until it exits 0; then --duration starts. "
     "Not ready within --ready-timeout: the service is stopped and the recording is partial"},
    {"ready-timeout", 0, true, "D", "how long --ready may take (default 30s)"},
    {"cgroup", 0, true, "PATH",
     "ebpf: record a running workload by its cgroup v2 (a directory under the cgroup2 mount or a path as "
     "/proc/PID/cgroup shows it; created when missing, for a container started in it) instead of a command; "
     "until --duration, a TERM/INT, or the cgroup is empty"},
    {"pid", 0, true, "PID", "ebpf: record a running process's cgroup v2 (see --cgroup)"},
    {"start-at-exec", 0, true, "COMM",
     "ebpf with --cgroup: record from the first execve by a task named COMM (runc's container init is "
     "runc:[2:INIT]), so a runtime's set-up is not in the recording"},
    {"ebpf-ring-bytes", 0, true, "N", "ebpf: the ring buffer's size (default 16 MiB; tests use 4096)"},
    {"help", 'h', false, "", "show this help"},
};
constexpr auto kOpts = with_record_opts(kOwnOpts);

void usage(std::ostream& os) {
  os << "usage: confine record [options] [--] COMMAND [ARGS...]\n"
        "       confine record [options] (--cgroup PATH | --pid PID) [--duration D]   (ebpf backend)\n\n"
        "Runs COMMAND (and every process it starts) under a seccomp user-notification\n"
        "supervisor that sees every syscall (x86_64, i386, x32) and lets it run, then writes\n"
        "  DIR/behavior.json        what the program did (syscalls, arguments, files, network)\n"
        "  DIR/seccomp.json         a Docker/OCI whitelist profile for exactly that\n"
        "  DIR/securityContext.yaml a Kubernetes securityContext using it\n"
        "  DIR/apparmor.profile     an AppArmor profile for the files, programs and sockets it used\n"
        "and prints a syscall table (like strace -c) on stderr. The command's stdin, stdout,\n"
        "stderr and exit status pass through unchanged.\n"
        "A service is recorded until it exits: stop it with --duration, or send confine record\n"
        "SIGTERM/SIGINT/SIGHUP (Ctrl-C): the signal is forwarded to the command, and a command\n"
        "that exits by it made a complete recording. A command still running 10 s after the\n"
        "stop signal is killed (the recording is then partial).\n\noptions:\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine record -o prof -- ls -la /usr\n"
        "  confine record -o prof --merge -- ./app --other-mode\n"
        "  confine record -o prof --target oci -- ./app     # for runc/podman/Kubernetes (docs/record.md)\n"
        "  confine record -o prof --tightness strict -- ./app   # the exact trace, no generalisation\n"
        "  confine record -o prof --ready 'curl -sf http://127.0.0.1:8080/' --duration 20s -- ./server\n"
        "  confine run --profile prof -- ls -la /usr\n"
        "  confine record -o prof --backend ebpf -- make -j2          # root: nothing waits for the "
        "recorder\n"
        "  confine record -o prof --pid 4242 --duration 30s           # a running process (its cgroup v2)\n"
        "  confine record -o prof --target oci --cgroup /confine-ctr --start-at-exec 'runc:[2:INIT]' &\n"
        "    runc run ctr     # config.json: \"cgroupsPath\": \"/confine-ctr\" (docs/record.md)\n"
        "\nThe files are written into a fresh directory next to DIR and switched in as one\n"
        "set (rename): a failed run never leaves a mixed or empty set. An existing DIR that\n"
        "holds files confine did not write is not replaced.\n"
        "\nexit codes: the command's; 128+N if killed by signal N; 125 confine error;\n"
        "126 not executable; 127 not found. A command that did not start writes nothing.\n"
        "A recording of a command that was killed (by a signal confine did not forward, or\n"
        "SIGKILL after the stop grace) is written, marked \"partial\", only to a new DIR:\n"
        "it never replaces an existing one.\n";
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
  std::string tight = a.get("tightness").value_or(a.has("no-companions") ? "strict" : "default");
  if (tight != "default" && tight != "strict")
    return Error("--tightness " + tight + ": expected default or strict");
  if (a.has("no-companions") && tight != "strict")
    return Error("--no-companions and --tightness " + tight + " disagree");
  s.gen.companions = tight == "default";
  s.apparmor_generalise = tight == "default";
  if (auto t = a.get("target")) {
    CONFINE_TRY(s.gen.target, generate::target_from_name(*t));
  }
  s.apparmor_mode = a.get("apparmor-mode").value_or("enforce");
  if (s.apparmor_mode != "enforce" && s.apparmor_mode != "complain" && s.apparmor_mode != "off")
    return Error("--apparmor-mode " + s.apparmor_mode + ": expected enforce, complain or off");
  if (a.has("pin") && a.has("no-pin")) return Error("--pin and --no-pin both given");
  s.rec.pin = a.has("pin");  // default off: see docs/record.md "Overhead"
  s.rec.main_only = a.has("main-only");
  {
    const char* env = getenv("CONFINE_RECORD_BACKEND");
    std::string b = a.get("backend").value_or(env && *env ? env : "auto");
    auto be = record::backend_from_name(b);
    if (!be) return Error("--backend " + b + ": expected auto, unotify, perf or ebpf");
    s.rec.backend = *be;
  }
  if (a.has("cgroup") && a.has("pid")) return Error("--cgroup and --pid both given");
  if (a.has("cgroup") || a.has("pid")) {
    if (a.get("backend") && s.rec.backend != record::Backend::Ebpf)
      return Error("--cgroup/--pid attach with --backend ebpf only");
    if (!a.rest().empty()) return Error("--cgroup/--pid record a running workload: no COMMAND");
    s.rec.backend = record::Backend::Ebpf;
    s.rec.attach_cgroup = a.get("cgroup").value_or("");
    if (auto p = a.get("pid")) {
      char* end = nullptr;
      long v = std::strtol(p->c_str(), &end, 10);
      if (p->empty() || *end || v <= 0 || v > 0x3fffffff)
        return Error("--pid " + *p + ": expected a process id");
      s.rec.attach_pid = static_cast<pid_t>(v);
    }
  }
  if (auto c = a.get("start-at-exec")) {
    if (!a.has("cgroup")) return Error("--start-at-exec needs --cgroup");
    if (c->empty() || c->size() > 15) return Error("--start-at-exec " + *c + ": a comm is 1..15 bytes");
    s.rec.ebpf_gate_comm = *c;
  }
  if (auto r = a.get("ebpf-ring-bytes")) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(r->c_str(), &end, 10);
    if (r->empty() || *end || v == 0 || v > (1ull << 30))
      return Error("--ebpf-ring-bytes " + *r + ": expected 1..1073741824");
    s.rec.ebpf_ring_bytes = static_cast<size_t>(v);
  }
  s.rec.argv = a.rest();
  // The output set is prepared before anything runs: an unwritable DIR is exit 125.
  std::string parent = std::filesystem::path(s.dir).parent_path().string();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return Error("-o " + s.dir + ": cannot create directory " + parent + ": " + ec.message());
  auto out = file::OutputDir::prepare(s.dir, is_output_name);
  if (!out.ok()) return std::move(out).error().context("-o " + s.dir + ": cannot create directory");
  s.out = std::move(*out);
  s.work = s.out.work();
  return s;
}

namespace {
// AppArmor profile name for an output directory: "confine-" + its base name,
// reduced to characters profile names may hold unquoted.
std::string apparmor_name(const std::string& dir) {
  std::string base = std::filesystem::path(dir).filename().string();
  if (base.empty() || base == "." || base == "..")
    base = std::filesystem::absolute(dir).lexically_normal().filename().string();
  std::string name = "confine-";
  for (char c : base)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return name;
}
}  // namespace

bool is_output_name(std::string_view n) {
  for (std::string_view k :
       {"behavior.json", "seccomp.json", "securityContext.yaml", "apparmor.profile", "record.stdout",
        "replay.stdout", "replay.stderr", "complain.jsonl", "complain.stdout", "complain.stderr"})
    if (n == k) return true;
  // harden --runs N: record-2.stdout ...; harden --train/--check: train-1.stdout,
  // check-2.replay.service.stderr, check-1.complain.jsonl ...
  for (std::string_view prefix : {"record-", "train-", "check-"}) {
    if (!n.starts_with(prefix)) continue;
    std::string_view rest = n.substr(prefix.size());
    size_t digits = rest.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string_view::npos) return false;
    rest = rest.substr(digits);
    if (prefix == "record-") return rest == ".stdout";
    for (std::string_view how : {"", ".replay", ".complain"})
      for (std::string_view what : {"", ".service"})
        for (std::string_view ext : {".stdout", ".stderr", ".jsonl"})
          if (rest == std::string(how) + std::string(what) + std::string(ext)) return true;
    return false;
  }
  return false;
}

Status write_outputs(const RecordSetup& s, const behavior::Behavior& b, std::vector<std::string>* notes) {
  const std::string& dir = s.dir;
  const std::string& w = s.work;
  auto prof = generate::seccomp_profile(b, s.gen);
  CONFINE_CHECK(file::write_file_atomic(w + "/behavior.json", behavior::format_behavior(b)));
  CONFINE_CHECK(file::write_file_atomic(w + "/seccomp.json", seccomp::format_profile(prof)));
  generate::SecurityContextOptions k;
  std::string base = std::filesystem::path(dir).filename().string();
  if (base.empty() || base == "." || base == "..") base = "confine";
  k.localhost_profile = "confine/" + base + ".json";
  CONFINE_CHECK(file::write_file_atomic(w + "/securityContext.yaml", generate::security_context_yaml(b, k)));
  std::string aa_path = w + "/apparmor.profile";
  if (s.apparmor_mode == "off") {
    // A stale profile from an earlier run would be enforced by `run --profile DIR`.
    if (unlink(aa_path.c_str()) != 0 && errno != ENOENT)
      return Error::sys("unlink(\"" + aa_path + "\")", errno);
    return ok();
  }
  std::vector<std::string> aa_notes;
  apparmor::GenerateOptions ao;
  ao.name = apparmor_name(dir);
  ao.generalise = s.apparmor_generalise;
  CONFINE_TRY(apparmor::File f, apparmor::from_behavior(b, ao, &aa_notes));
  if (s.apparmor_mode == "complain")
    for (auto& item : f.items)
      if (auto* p = std::get_if<std::shared_ptr<apparmor::Profile>>(&item))
        if (std::find((*p)->flags.begin(), (*p)->flags.end(), "complain") == (*p)->flags.end())
          (*p)->flags.push_back("complain");
  CONFINE_CHECK(file::write_file_atomic(aa_path, apparmor::format(f)));
  if (notes)
    for (auto& n : aa_notes) notes->push_back("apparmor.profile: " + n);
  return ok();
}

void print_notes(const std::vector<std::string>& notes) {
  for (const auto& n : notes) {
    if (n.find(": no rule for ") != std::string::npos) continue;
    if (n.find(": generalised: ") != std::string::npos ||
        n.find(": generalisation ") != std::string::npos)  // a row applied, its reason: information
      std::cerr << "confine: " << file::escape_terminal(n) << "\n";
    else
      print_warning(n);
  }
}

std::string output_names(const RecordSetup& s) {
  return s.dir + "/{seccomp.json,behavior.json,securityContext.yaml" +
         (s.apparmor_mode == "off" ? "" : ",apparmor.profile") + "}";
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
  if (parsed->rest().empty() && !parsed->has("cgroup") && !parsed->has("pid")) {
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
  // A service: a controller probes --ready, waits --duration and sends the stop signal.
  harden::ControlPlan plan;
  plan.announce = true;
  plan.stop_after = false;
  if (auto d = parsed->get("duration")) {
    auto v = sandbox::parse_duration(*d);
    if (!v.ok()) {
      print_error(std::move(v).error().context("--duration"));
      return kExitUsage;
    }
    plan.duration = *v;
    plan.stop_after = true;
  }
  if (auto sgn = parsed->get("stop-signal")) {
    auto v = sandbox::parse_signal(*sgn);
    if (!v.ok()) {
      print_error(std::move(v).error().context("--stop-signal"));
      return kExitUsage;
    }
    setup->rec.stop_signal = plan.stop_signal = *v;
  }
  plan.ready = parsed->get("ready").value_or("");
  if (auto t = parsed->get("ready-timeout")) {
    auto v = sandbox::parse_duration(*t);
    if (!v.ok()) {
      print_error(std::move(v).error().context("--ready-timeout"));
      return kExitUsage;
    }
    plan.ready_timeout = *v;
  }
  // A stop signal is the workload's to answer: forwarded while it runs, and
  // one arriving after it exited (timeout(1) and service managers signal the
  // whole process group, after the main process) does not stop confine
  // writing the recording.
  harden::StraySignalGuard g_term(SIGTERM), g_int(SIGINT), g_hup(SIGHUP), g_quit(SIGQUIT),
      g_stop(plan.stop_signal);
  std::optional<harden::Controller> ctl;
  if (!plan.ready.empty() || plan.stop_after) {
    auto c = harden::Controller::start(plan);
    if (!c.ok()) {
      print_error(std::move(c).error().context("starting the --ready/--duration controller"));
      return 125;
    }
    ctl = std::move(*c);
    setup->rec.on_start = [&ctl](pid_t p) { ctl->go(p, getpid()); };
  }
  auto r = record::record(setup->rec);
  std::optional<harden::ControlResult> control;
  if (ctl) control = ctl->finish();
  if (!r.ok()) {
    print_error(std::move(r).error().context("record"));
    return 125;
  }
  for (const auto& w : r->warnings) print_warning(w);
  behavior::Behavior b = std::move(r->behavior);
  if (control && control->started && !control->ready && !b.partial) {
    b.partial = true;
    b.partial_reason = "--ready: " + control->message;
  }
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
  // A command that did not start leaves nothing; a partial recording (killed,
  // interrupted) never replaces an existing set.
  if (b.partial && r->events == 0) {
    print_warning("nothing written to " + setup->dir + " (the command did not run)");
    return r->exit_code;
  }
  if (b.partial && setup->out.existed()) {
    print_warning(
        setup->dir +
        " kept as it was: a partial recording does not replace it (record again, or to a new directory)");
    return r->exit_code == 0 ? 125 : r->exit_code;
  }
  std::vector<std::string> notes;
  auto w = write_outputs(*setup, b, &notes);
  if (w.ok()) w = setup->out.commit();
  if (!w.ok()) {
    print_error(std::move(w).error().context("writing " + setup->dir));
    return 125;
  }
  print_notes(notes);
  std::cerr << "confine: recorded " << r->events << " syscalls (" << b.syscall_names().size()
            << " distinct) -> " << output_names(*setup) << (b.partial ? " [partial]" : "") << "\n";
  if (setup->gen.companions) {
    std::string added;
    for (const auto& [n, why] : generate::companion_syscalls(b)) added += " " + n;
    if (!added.empty())
      std::cerr << "confine: seccomp.json also allows, by the generalisation table (docs/generalisation.md; "
                   "--tightness strict for the exact trace):"
                << added << "\n";
  }
  return r->exit_code;
}

}  // namespace confine::cli
