// confine harden [-o DIR] [--runs N] [-- COMMAND [ARGS...]]
// confine harden [-o DIR] --train CMD... --check CMD... [--service ... -- SERVICE]
// Option wiring, printing and exit codes; the work (record -> generate -> replay
// enforced and in complain mode -> findings, coverage) is src/harden/harden.h.
#include "harden/harden.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "apparmor/apparmor.h"
#include "cli/args.h"
#include "cli/record_common.h"
#include "cli/verbs.h"
#include "core/embedded.h"
#include "sandbox/limits.h"

namespace confine::cli {

namespace {
constexpr OptSpec kOwnOpts[] = {
    {"output", 'o', true, "DIR", "output directory (default: confine-profile)"},
    {"runs", 0, true, "N",
     "record the command N times with the same input and generate from the union (default 1); it cannot "
     "see what other inputs need: use --train/--check"},
    {"retries", 0, true, "N", "fix-and-replay rounds after a false denial (default 2; not with --check)"},
    {"train", 0, true, "CMD",
     "a training workload (repeatable): a shell command line (sh -c) or a script file (sh FILE); with "
     "--service a load script run against SERVICE. The profile is generated from the union"},
    {"check", 0, true, "CMD",
     "a check workload (repeatable), different from the training: run unconfined, then enforced, compared; "
     "false denials are reported with the rule that would fix them, never added"},
    {"service", 0, false, "",
     "COMMAND is a service: started for every --train/--check, stopped after it (implied by --train/--check "
     "with -- COMMAND)"},
    {"ready", 0, true, "CMD",
     "--service: a shell command run unconfined, repeated until it exits 0, before each load script"},
    {"ready-timeout", 0, true, "D", "--service: how long --ready may take (default 30s)"},
    {"stop-signal", 0, true, "SIG",
     "--service: the signal that stops it (default TERM); a service that exits by it succeeded"},
    {"load-timeout", 0, true, "D",
     "with --check: an enforced check (a load script with --service) still running after 10 times its "
     "unconfined time (at least 10s) or after D (default 300s), whichever is first, is killed"},
    {"help", 'h', false, "", "show this help"},
};
constexpr auto kOpts = with_record_opts(kOwnOpts);

void usage(std::ostream& os) {
  os << "usage: confine harden [options] [-- COMMAND [ARGS...]]\n"
        "       confine harden [options] --train CMD [--train CMD...] --check CMD [--check CMD...]\n"
        "       confine harden [options] [--service] [--ready CMD] --train LOAD... --check LOAD... -- "
        "SERVICE\n"
        "              [ARGS...]\n\n"
        "Records a workload, generates its seccomp profile, AppArmor profile, securityContext\n"
        "and behavior (as `confine record`), runs a workload enforced under `confine run\n"
        "--profile DIR` (seccomp + the AppArmor file rules through Landlock) and in complain\n"
        "mode, and reports false denials and the attack surface removed against the\n"
        "runtime-default and Docker default profiles.\n\n"
        "Training and checking (--train/--check): the profile is generated from the union of\n"
        "the --train recordings; each --check (a different workload) is then run unconfined\n"
        "(observed by the recorder), enforced and in complain mode; its exit status and stdout\n"
        "must match, and every access the complain run reports is a false denial, printed\n"
        "with the rule that would fix it (never added silently). The report says how much of\n"
        "the profile the checks exercised: a rule no check used is not proven by them.\n"
        "A --train/--check argument is a shell command line (sh -c) or a script file (sh FILE).\n"
        "A recording ends when the main process has exited and only daemons are left (tasks\n"
        "in another session: gpg-agent, a forked server), with a note naming them: `confine\n"
        "run` stops them when the main process exits; --main-only ends it with the main process.\n\n"
        "Services (-- SERVICE with --train/--check; --service says so explicitly): SERVICE\n"
        "is started for every --train and --check (under record, unconfined and enforced);\n"
        "--ready is polled until it exits 0, then the load script runs unconfined against\n"
        "the service, then the service gets the stop signal. The load script's exit status\n"
        "and stdout are compared; a service that exits before it is stopped failed; exiting\n"
        "by the stop signal (or 0 after it) succeeded.\n\n"
        "Without --train/--check: COMMAND is recorded (--runs times, the SAME input each time:\n"
        "this cannot see what other inputs need) and replayed; a complain-mode replay's\n"
        "denials are added (false denials) and the replay retried, else harden fails.\n"
        "Without COMMAND it hardens the sample workload compiled into confine\n"
        "(examples/sample-workload.sh, run as `sh -c SCRIPT`).\n\n"
        "Standard input is read once (up to 256 MiB; a terminal is not read: /dev/null) and\n"
        "the same bytes are fed to every recording and replay (load scripts with --service).\n"
        "The outputs are written into a fresh directory next to DIR and switched in as one\n"
        "set only when the replay (every check) passed: a failed harden leaves DIR as it was\n"
        "(the attempt, with every run's stdout/stderr, is kept and named in the error).\n\noptions:\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine harden -o prof\n"
        "  confine harden -o prof -- tar czf /tmp/etc.tgz /etc/apt\n"
        "  sort -u words.txt | confine harden -o prof -- sha256sum      # stdin replayed identically\n"
        "  confine harden -o prof --train 'seq 1000 | gzip -c | gzip -dc | tail -1' --train 'seq 10 | gzip "
        "-9c | wc -c' \\\n"
        "      --check 'seq 5000 | gzip -9c | gzip -dc | tail -1'\n"
        "  confine harden -o prof --ready 'redis-cli -p 6390 ping' \\\n"
        "      --train load-writes.sh --check load-reads.sh -- redis-server --port 6390 --save ''\n"
        "\nexit codes: 0 hardened: the replay (every check) ran enforced with identical exit\n"
        "status and stdout and no false denial; 1 it did not (false denials, mismatches, a\n"
        "service never ready); 2 usage; 125 confine error.\n";
}

std::string join(const std::vector<std::string>& v, const std::string& sep, size_t max = SIZE_MAX) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; ++i) s += (i ? sep : "") + v[i];
  if (v.size() > max) s += sep + "... (" + std::to_string(v.size() - max) + " more)";
  return s;
}

using harden::exit_str;

harden::Options library_options(RecordSetup& setup, const harden::StdinCopy& in) {
  harden::Options o;
  o.dir = setup.dir;
  o.work = setup.work;
  o.write_profile = [&setup](const behavior::Behavior& b, std::vector<std::string>* notes) {
    return write_outputs(setup, b, notes);
  };
  o.gen = setup.gen;
  o.apparmor = setup.apparmor_mode != "off";
  o.rec = setup.rec;
  o.in = &in;
  return o;
}

// Step 3 of the report: what the profile allows, against runtime-default and Docker's default.
void report_surface(const RecordSetup& s, const behavior::Behavior& b, const char* step = "3") {
  const std::string& dir = s.dir;
  const auto* setup = &s;
  auto ours_prof = generate::seccomp_profile(b, setup->gen);
  auto ours = generate::allowed_syscalls(ours_prof, Arch::X86_64);
  std::cout << "  " << step << ". profile    " << dir << "/seccomp.json allows "
            << (ours.ok() ? std::to_string(ours->size()) : "?") << " syscalls on x86_64";
  if (b.arches.count(Arch::X86)) std::cout << " (+ i386)";
  std::cout << "\n";
  if (setup->apparmor_mode != "off") {
    auto f = apparmor::parse_file(dir + "/apparmor.profile");
    if (f.ok()) {
      size_t rules = 0;
      for (const auto& p : apparmor::profiles(*f))
        for (const auto& item : p->items) rules += std::holds_alternative<apparmor::Rule>(item);
      std::cout << "     " << dir << "/apparmor.profile: " << rules << " rules (self-contained, no include), "
                << (setup->apparmor_mode == "complain" ? "complain mode"
                                                       : "enforced in the replay through Landlock")
                << "\n";
    }
  }
  struct Peer {
    std::string name, path;
  };
  std::vector<Peer> peers = {
      {"runtime-default", ""},  // bundled
      {"docker-default", "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"}};
  for (const auto& p : peers) {
    if (!p.path.empty() && access(p.path.c_str(), R_OK) != 0) {
      std::cout << "     " << p.name << ": not installed (" << p.path << ")\n";
      continue;
    }
    auto prof = p.path.empty() ? seccomp::parse_profile_text(*seccomp::bundled_profile(p.name), p.name)
                               : seccomp::load_profile(p.path);
    if (!prof.ok() || !ours.ok()) continue;
    auto theirs = generate::allowed_syscalls(*prof, Arch::X86_64);
    if (!theirs.ok()) continue;
    auto c = generate::compare(p.name, *ours, *theirs);
    std::vector<std::string> notable;
    for (const auto& n : c.removed)
      if (generate::notable_syscalls().count(n)) notable.push_back(n);
    char line[200];
    std::snprintf(
        line, sizeof line, "     vs %-16s allows %3zu -> %3zu removed (%.0f%% of its surface)\n",
        p.name.c_str(), c.allowed, c.removed.size(),
        c.allowed ? 100.0 * static_cast<double>(c.removed.size()) / static_cast<double>(c.allowed) : 0.0);
    std::cout << line;
    if (!notable.empty()) std::cout << "        removed, notably: " << join(notable, " ", 20) << "\n";
    if (!c.extra.empty())
      std::cout << "        allowed here but not there: " << join(c.extra, " ", 20) << "\n";
  }
}

// --- --train/--check -------------------------------------------------------

int harden_train_check(const Args& a, RecordSetup& setup, const harden::StdinCopy& in) {
  harden::Options o = library_options(setup, in);
  o.service_argv = a.rest();
  const bool service = !o.service_argv.empty();
  if (auto t = a.get("load-timeout")) {
    auto v = sandbox::parse_duration(*t);
    if (!v.ok()) {
      print_error(std::move(v).error().context("--load-timeout"));
      return kExitUsage;
    }
    o.load_timeout = *v;
  }
  o.plan.ready = a.get("ready").value_or("");
  if (auto t = a.get("ready-timeout")) {
    auto v = sandbox::parse_duration(*t);
    if (!v.ok()) {
      print_error(std::move(v).error().context("--ready-timeout"));
      return kExitUsage;
    }
    o.plan.ready_timeout = *v;
  }
  if (auto sg = a.get("stop-signal")) {
    auto v = sandbox::parse_signal(*sg);
    if (!v.ok()) {
      print_error(std::move(v).error().context("--stop-signal"));
      return kExitUsage;
    }
    o.plan.stop_signal = *v;
  }
  o.train = a.all("train");
  o.check = a.all("check");
  const std::string& dir = setup.dir;
  std::cout << "confine harden: " << o.train.size() << " training and " << o.check.size() << " check workload"
            << (o.check.size() == 1 ? "" : "s");
  if (service) std::cout << " against the service " << file::escape_terminal(join(o.service_argv, " "));
  std::cout << "\n";
  if (in.memfd >= 0)
    std::cout << "     standard input: " << in.size << " bytes, captured once, fed to every "
              << (service ? "load script" : "run") << "\n";
  std::cout.flush();

  harden::Progress p;
  p.trained = [&](const harden::RunOutcome& r) {
    for (const auto& w : r.warnings) print_warning(r.tag + ": " + w);
    std::cout << "  1. recorded   " << r.tag << ": " << file::escape_terminal(r.workload)
              << (service ? ": load exit " : ": exit ") << exit_str(r.exit);
    if (service) std::cout << ", service exit " << exit_str(r.service_exit);
    std::cout << "\n";
    if (service && !r.control.ready) return;  // the error follows
    if (service && (r.control.service_died || r.control.load_timed_out))
      print_warning(r.tag + ": " + r.control.message);
    if (r.added_syscalls)
      std::cout << "     " << r.tag << " added " << r.added_syscalls << " syscall"
                << (r.added_syscalls == 1 ? "" : "s") << " the earlier training did not make\n";
  };
  p.profiled = [&](const harden::TrainCheckResult& r) {
    if (!r.companions.empty()) {
      std::vector<std::string> cn;
      for (const auto& [n, why] : r.companions) cn.push_back(n);
      std::cout << "     + " << r.companions.size()
                << " by the generalisation table (docs/generalisation.md): " << join(cn, " ") << "\n";
    }
    print_notes(r.notes);
  };
  p.unconfined = [&](const harden::RunOutcome& r) {
    for (const auto& w : r.warnings) print_warning(r.tag + " (unconfined): " + w);
  };
  p.checked = [&](const harden::CheckOutcome& c) {
    std::string what = service ? "load exit " : "exit ";
    std::cout << "  2. checked    " << c.tag << ": " << file::escape_terminal(c.workload) << ": unconfined "
              << what << exit_str(c.unconfined.exit) << ", enforced " << what << exit_str(c.enforced.exit)
              << (c.same_stdout ? ", same stdout" : ", stdout differs");
    if (service)
      std::cout << "; service "
                << (c.enforced.control.stopped
                        ? "stopped by SIG" + std::string(sigabbrev_np(o.plan.stop_signal)) + ", exit " +
                              exit_str(c.enforced.service_exit)
                        : "NOT stopped: " + c.enforced.control.message);
    std::cout << "\n";
  };
  auto r = harden::harden_train_check(o, p);
  if (!r.ok()) {
    print_error(r.error());
    return 125;
  }
  using V = harden::TrainCheckResult::Verdict;
  if (r->verdict == V::Interrupted) {
    print_error(r->stop_tag + ": interrupted by SIG" + std::string(sigabbrev_np(r->stop_signal)) + " (" +
                dir + " not replaced)");
    return 128 + r->stop_signal;
  }
  if (r->verdict == V::NotReady) {
    std::string kept = setup.out.keep();
    if (r->stop_tag.starts_with("train-"))
      print_error(r->stop_tag + ": " + r->stop_message + " (" + dir + " not replaced; the attempt is in " +
                  kept + ": " + r->stop_tag + ".service.stderr)");
    else
      print_error(r->stop_tag + " (unconfined): " + r->stop_message + " (" + dir + " not replaced; see " +
                  kept + "/" + r->stop_tag + ".service.stderr)");
    return 1;
  }
  const auto& denials = r->denials;
  if (denials.empty()) std::cout << "     complain-mode replays: nothing denied\n";
  for (const auto& d : denials)
    std::cout << "     false denial (" << d.check << "): " << file::escape_terminal(d.what) << "\n"
              << "       fix: " << file::escape_terminal(d.fix) << "\n";
  if (!denials.empty())
    std::cout
        << "     (a fix is a rule to review: add it to the profile, or add a --train workload that does "
           "this, or keep the denial if the check should not do it)\n";

  // 3. coverage: what of the profile the checks exercised.
  const auto& cov = *r->coverage;
  if (cov.syscalls) {
    std::cout << "  3. coverage   the checks exercised " << cov.syscalls_exercised << " of "
              << cov.syscalls_allowed << " syscalls seccomp.json allows (x86_64)";
    if (!cov.syscalls_unexercised.empty())
      std::cout << "; " << cov.syscalls_unexercised.size() << " allowed syscall"
                << (cov.syscalls_unexercised.size() == 1 ? " was" : "s were")
                << " never exercised by a check: " << join(cov.syscalls_unexercised, " ", 25);
    std::cout << "\n";
  }
  if (cov.apparmor) {
    std::cout << "               and " << cov.paths_exercised << " of " << cov.path_rules
              << " path rules of apparmor.profile";
    if (!cov.paths_unexercised.empty())
      std::cout << "; never exercised: " << file::escape_terminal(join(cov.paths_unexercised, " ", 12));
    std::cout << "\n";
  }
  std::cout << "     a rule the checks never exercised is not proven by them: a denial it hides would "
               "go unnoticed\n";

  const auto& mismatches = r->mismatches;
  const size_t checks = o.check.size();
  if (!r->passed()) {
    std::string kept = setup.out.keep();
    for (const auto& m : mismatches) std::cout << "     mismatch: " << file::escape_terminal(m) << "\n";
    std::cout << "  4. result     FAILED: " << denials.size() << " false denial"
              << (denials.size() == 1 ? "" : "s") << ", " << mismatches.size() << " mismatch"
              << (mismatches.size() == 1 ? "" : "es") << " in " << checks << " check"
              << (checks == 1 ? "" : "s") << "\n";
    print_error("the checks failed under the profile (" + dir + " not replaced; this attempt is in " + kept +
                ")");
    return 1;
  }
  if (auto c = setup.out.commit(); !c.ok()) {
    print_error(std::move(c).error().context("writing " + dir));
    return 125;
  }
  report_surface(setup, r->profile, "4");
  std::cout << "  5. result     OK: " << checks << " check" << (checks == 1 ? "" : "s")
            << " passed enforced, 0 false denials\n"
            << "     wrote " << output_names(setup) << "\n";
  return 0;
}

}  // namespace

int verb_harden(std::span<char* const> args) {
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
  int retries = 2;
  if (auto r = parsed->get("retries")) {
    char* end = nullptr;
    long n = std::strtol(r->c_str(), &end, 10);
    if (r->empty() || *end || n < 0 || n > 10) {
      print_error("--retries " + *r + ": expected 0..10");
      return kExitUsage;
    }
    retries = static_cast<int>(n);
  }
  int runs = 1;
  if (auto r = parsed->get("runs")) {
    char* end = nullptr;
    long n = std::strtol(r->c_str(), &end, 10);
    if (r->empty() || *end || n < 1 || n > 20) {
      print_error("--runs " + *r + ": expected 1..20");
      return kExitUsage;
    }
    runs = static_cast<int>(n);
  }
  bool train_check = parsed->has("train") || parsed->has("check");
  if (train_check && !(parsed->has("train") && parsed->has("check"))) {
    print_error("--train and --check go together: the check workload must differ from the training");
    return kExitUsage;
  }
  if (train_check && (parsed->has("runs") || parsed->has("retries"))) {
    print_error("--runs/--retries repeat one command: not with --train/--check");
    return kExitUsage;
  }
  // -- SERVICE with --train/--check can only mean a service: --service is implied.
  bool service = parsed->has("service") || (train_check && !parsed->rest().empty());
  if (service && (!train_check || parsed->rest().empty())) {
    print_error("--service needs --train, --check and -- SERVICE [ARGS...]");
    return kExitUsage;
  }
  for (const char* o : {"ready", "ready-timeout", "stop-signal"})
    if (parsed->has(o) && !service) {
      print_error(std::string("--") + o + " needs a service (--train ... --check ... -- SERVICE [ARGS...])");
      return kExitUsage;
    }
  if (parsed->has("load-timeout") && !train_check) {
    print_error("--load-timeout needs --train/--check");
    return kExitUsage;
  }
  auto setup = record_setup(*parsed);
  if (!setup.ok()) {
    print_error(setup.error());
    return 125;
  }
  harden::StdinCopy in;
  auto waiting = [] {
    std::cerr << "confine harden: reading standard input until end of file (every run gets the same bytes; "
                 "</dev/null for a command that takes no input)\n";
  };
  if (auto st = harden::capture_stdin(in, waiting); !st.ok()) {
    print_error(std::move(st).error().context("reading standard input"));
    return 125;
  }
  if (train_check) return harden_train_check(*parsed, *setup, in);
  std::string sample_shown;
  if (setup->rec.argv.empty()) {
    // Compiled into the binary: run as `sh -c SCRIPT sample-workload.sh`.
    auto sample = embedded_file("examples/sample-workload.sh");
    if (!sample) {
      print_error("no command given and this build has no bundled sample workload");
      return 125;
    }
    setup->rec.argv = {"/bin/sh", "-c", std::string(*sample), "sample-workload.sh"};
    sample_shown = "/bin/sh -c <examples/sample-workload.sh> sample-workload.sh";
  }
  const std::string& dir = setup->dir;  // for messages; valid once committed
  const auto& cmd = setup->rec.argv;
  const std::string shown = sample_shown.empty() ? join(cmd, " ") : sample_shown;
  std::cout << "confine harden: " << file::escape_terminal(shown) << "\n";
  if (in.memfd >= 0)
    std::cout << "     standard input: " << in.size
              << " bytes, captured once, fed to every recording and replay\n";
  std::cout.flush();

  harden::Options o = library_options(*setup, in);
  o.runs = runs;
  o.retries = retries;
  harden::Progress p;
  p.recorded_run = [&](const harden::RecordRun& r) {
    for (const auto& w : r.warnings) print_warning(w);
    if (r.added_syscalls)
      std::cout << "     run " << r.run << " saw " << r.added_syscalls << " syscall"
                << (r.added_syscalls == 1 ? "" : "s") << " the earlier runs did not\n";
  };
  p.recorded = [&](const harden::BatchResult& r) {
    std::cout.flush();
    std::cout << "  1. recorded   " << r.events << " syscalls"
              << (runs > 1 ? " in " + std::to_string(runs) + " runs" : "") << ", "
              << r.profile.syscall_names().size() << " distinct, exit " << r.record_exit << "\n";
    if (!r.companions.empty()) {
      std::vector<std::string> cn;
      for (const auto& [n, why] : r.companions) cn.push_back(n);
      std::cout << "     + " << r.companions.size()
                << " by the generalisation table (families and slow paths other "
                << "inputs need; docs/generalisation.md): " << join(cn, " ") << "\n";
    }
  };
  p.replayed = [&](const harden::ReplayRound& r) {
    print_notes(r.notes);
    if (r.round < 0) return;  // the notes of a profile that could not be written
    std::cout << "  " << (r.round == 0 ? "2" : "+") << ". replayed   confine run --profile " << dir << " -- "
              << file::escape_terminal(shown) << ": exit " << r.exit
              << (r.same_stdout ? ", same stdout" : ", stdout differs") << "\n";
    if (r.denials.empty()) {
      std::cout << "     complain-mode replay: nothing denied\n";
      return;
    }
    std::vector<std::string> names;
    for (const auto& d : r.denials) names.push_back(d.what);
    std::cout << "     false denial: " << join(names, ", ", 20) << "\n";
  };
  auto r = harden::harden_batch(o, p);
  if (!r.ok()) {
    print_error(r.error());
    return 125;
  }
  using V = harden::BatchResult::Verdict;
  if (r->verdict == V::Interrupted) {
    print_error("interrupted by SIG" + std::string(sigabbrev_np(r->stop_signal)) + " (" + dir +
                " not replaced)");
    return 128 + r->stop_signal;
  }
  const harden::ReplayRound& last = r->rounds.back();
  if (r->verdict == V::Mismatch) {
    std::string kept = setup->out.keep();
    print_error("replay exited " + std::to_string(last.exit) + " instead of " +
                std::to_string(r->record_exit) + " and complain mode reports nothing denied: see " + kept +
                "/replay.stderr (" + dir + " not replaced)");
    return 1;
  }
  if (r->verdict == V::DenialsRemain) {
    std::vector<std::string> names;
    for (const auto& d : last.denials) names.push_back(d.what);
    std::string kept = setup->out.keep();
    print_error("false denials remain after " + std::to_string(retries) + " fix rounds: " +
                join(names, ", ", 20) + " (" + dir + " not replaced; this attempt is in " + kept + ")");
    return 1;
  }
  if (r->stdout_differs_only)
    print_warning(
        "the replay's stdout differs but the profiles denied nothing (non-deterministic output?): "
        "compare " +
        dir + "/record.stdout and " + dir + "/replay.stdout");

  // The replay passed: switch the whole set in.
  if (auto c = setup->out.commit(); !c.ok()) {
    print_error(std::move(c).error().context("writing " + dir));
    return 125;
  }
  std::string rec_out = dir + "/record.stdout";
  report_surface(*setup, r->profile);
  const auto& added = r->added;
  std::cout << "  4. result     OK: replay exit " << last.exit << " = recorded " << r->record_exit << ", "
            << added.size() << " false denial" << (added.size() == 1 ? "" : "s")
            << (added.empty() ? "" : " fixed (" + join(added, ", ") + ")") << "\n"
            << "     wrote " << output_names(*setup) << "; the command's output is in " << rec_out << "\n";
  return 0;
}

}  // namespace confine::cli
