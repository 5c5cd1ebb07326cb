// confine harden [-o DIR] [--runs N] [-- COMMAND [ARGS...]]
// confine harden [-o DIR] --train CMD... --check CMD... [--service ... -- SERVICE]
// record -> generate -> replay enforced (this binary's `run --profile DIR`) ->
// report. Argument wiring, subprocesses and output only.
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "apparmor/apparmor.h"
#include "apparmor/eval.h"
#include "apparmor/from_behavior.h"
#include "cli/args.h"
#include "cli/record_common.h"
#include "cli/service_control.h"
#include "cli/verbs.h"
#include "core/embedded.h"
#include "sandbox/limits.h"
#include "supervise/event.h"

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

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/proc/self/exe";
}

// Harden's standard input, read once (bounded) into a memfd: every record and
// replay gets the same bytes on a fresh descriptor. A terminal is not read:
// every run gets /dev/null then.
constexpr size_t kMaxStdinBytes = 256u << 20;
struct StdinCopy {
  int memfd = -1;
  size_t size = 0;
  bool from_terminal = false;
  ~StdinCopy() {
    if (memfd >= 0) close(memfd);
  }
  // A new descriptor at offset 0 (the caller closes it).
  int open_fresh() const {
    if (memfd < 0) return open("/dev/null", O_RDONLY | O_CLOEXEC);
    return open(("/proc/self/fd/" + std::to_string(memfd)).c_str(), O_RDONLY | O_CLOEXEC);
  }
};

Status capture_stdin(StdinCopy& c) {
  if (isatty(0)) {
    c.from_terminal = true;
    return ok();
  }
  if (fcntl(0, F_GETFD) < 0) return ok();  // closed: /dev/null
  // A pipe nobody closes (ssh without -n, a CI runner) would block here
  // silently: say what harden waits for.
  pollfd p{0, POLLIN, 0};
  if (poll(&p, 1, 2000) == 0)
    std::cerr << "confine harden: reading standard input until end of file (every run gets the same bytes; "
                 "</dev/null for a command that takes no input)\n";
  CONFINE_TRY(std::string bytes, file::read_file("-", kMaxStdinBytes));
  int fd = memfd_create("confine-harden-stdin", MFD_CLOEXEC);
  if (fd < 0) return Error::sys("memfd_create(\"confine-harden-stdin\")", errno);
  c.memfd = fd;
  c.size = bytes.size();
  for (size_t off = 0; off < bytes.size();) {
    ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error::sys("write(memfd)", errno);
    off += static_cast<size_t>(n);
  }
  return ok();
}

// Fresh files in harden's own work directory: a name planted there is removed, never followed.
int create_out(const std::string& p) {
  unlink(p.c_str());
  return open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

// Starts argv with stdin from in_fd (-1: /dev/null) and stdout/stderr to files
// (err_path "": inherited); returns its pid.
Result<pid_t> spawn_to_files(const std::vector<std::string>& argv, int in_fd, const std::string& out_path,
                             const std::string& err_path) {
  int out = create_out(out_path);
  if (out < 0) return Error::sys("open(\"" + out_path + "\")", errno);
  int err = -1;
  if (!err_path.empty()) {
    err = create_out(err_path);
    if (err < 0) {
      close(out);
      return Error::sys("open(\"" + err_path + "\")", errno);
    }
  }
  std::vector<char*> av;
  for (const auto& a : argv) av.push_back(const_cast<char*>(a.c_str()));
  av.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) return Error::sys("fork", errno);
  if (pid == 0) {
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2(in_fd >= 0 ? in_fd : null, 0);
    dup2(out, 1);
    if (err >= 0) dup2(err, 2);
    execv(av[0], av.data());
    _exit(127);
  }
  close(out);
  if (err >= 0) close(err);
  return pid;
}

Result<int> wait_code(pid_t pid) {
  int st = 0;
  while (waitpid(pid, &st, 0) != pid)
    if (errno != EINTR) return Error::sys("waitpid", errno);
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
}

// Runs argv with stdout (and stderr when err_path is set) to files; returns the exit code.
Result<int> run_to_files(const std::vector<std::string>& argv, const std::string& out_path,
                         const std::string& err_path, int in_fd = -1) {
  CONFINE_TRY(pid_t pid, spawn_to_files(argv, in_fd, out_path, err_path));
  return wait_code(pid);
}

// A file harden wrote itself ("" if unreadable: compared, never trusted).
std::string slurp(const std::string& p) {
  auto r = file::read_file(p, file::kMaxLogBytes);
  return r.ok() ? std::move(*r) : std::string();
}

std::string join(const std::vector<std::string>& v, const std::string& sep, size_t max = SIZE_MAX) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; ++i) s += (i ? sep : "") + v[i];
  if (v.size() > max) s += sep + "... (" + std::to_string(v.size() - max) + " more)";
  return s;
}

// What a complain-mode replay would have denied: syscalls (seccomp events) and
// file accesses (AppArmor events of `run --apparmor-mode complain`), read from
// its --log (supervise::parse_event).
struct ComplainFindings {
  std::set<std::pair<std::string, std::string>> syscalls;  // (name, arch)
  std::map<std::string, uint8_t> files;                    // path -> behavior::Access bits
  std::map<std::string, std::string> letters;              // path -> AppArmor letters requested
  bool empty() const { return syscalls.empty() && files.empty(); }
};

uint8_t access_from_apparmor(std::string_view letters) {
  uint8_t a = 0;
  for (char c : letters) {
    if (c == 'r' || c == 'k') a |= behavior::kRead;
    if (c == 'w' || c == 'a' || c == 'l') a |= behavior::kWrite;
    if (c == 'c') a |= behavior::kCreate;
    if (c == 'd') a |= behavior::kUnlink;
    if (c == 'x' || c == 'm') a |= behavior::kExec | behavior::kRead;
  }
  return a;
}

ComplainFindings complain_findings(const std::string& path) {
  ComplainFindings out;
  std::istringstream f(slurp(path));
  std::string line;
  while (std::getline(f, line)) {
    auto ev = supervise::parse_event(line);
    if (!ev.ok()) continue;
    if (ev->kind == supervise::EventKind::AppArmor) {
      const std::string& p = ev->path;
      if (!p.empty() && p[0] == '/') {
        std::string l = ev->requested.empty() ? "r" : ev->requested;
        out.files[p] |= access_from_apparmor(l);
        std::string& have = out.letters[p];
        std::string all = have + l, ordered;
        for (char c : std::string("rwacdlkmx") + all)  // one order, each letter once
          if (all.find(c) != std::string::npos && ordered.find(c) == std::string::npos) ordered += c;
        have = ordered;
      }
      continue;
    }
    out.syscalls.emplace(ev->syscall, ev->arch);
  }
  return out;
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

// Complain-mode findings minus the profile's explicit errno answers (clone3 ->
// ENOSYS so libc falls back to clone): those are intended, not false denials.
ComplainFindings false_denials(const std::string& jsonl, const behavior::Behavior& b,
                               const generate::SeccompOptions& gen) {
  auto found = complain_findings(jsonl);
  for (const auto& rule : generate::seccomp_profile(b, gen).syscalls)
    if (rule.action != seccomp::ActionKind::Allow)
      for (const auto& n : rule.names)
        for (auto it = found.syscalls.begin(); it != found.syscalls.end();)
          it = it->first == n ? found.syscalls.erase(it) : std::next(it);
  return found;
}

// The rule that would allow a false denial, as it would be written.
std::string fixing_rule(const std::string& syscall, const std::string& arch) {
  return "seccomp.json: {\"names\": [\"" + syscall + "\"], \"action\": \"SCMP_ACT_ALLOW\"}" +
         (arch == "x86_64" ? "" : " (arch " + arch + ")");
}
// `requested`: the AppArmor letters the complain run reported; l and k are kept (a link or a
// lock is no write: `PATH w,` would not allow it).
std::string fixing_rule(const std::string& path, uint8_t acc, const std::string& requested = "") {
  std::string perms;
  if (acc & (behavior::kRead | behavior::kExec)) perms += "r";
  bool link = requested.find('l') != std::string::npos, lock = requested.find('k') != std::string::npos;
  bool write = requested.empty() ? (acc & (behavior::kWrite | behavior::kCreate | behavior::kUnlink)) != 0
                                 : requested.find_first_of("wacd") != std::string::npos;
  if (write) perms += "w";
  if (acc & behavior::kExec) perms += "ix";
  if (lock) perms += "k";
  if (link) perms += "l";
  if (perms.empty()) perms = "r";
  bool quote = path.find_first_of(" \t\"") != std::string::npos;
  return "apparmor.profile: " + (quote ? "\"" + path + "\"" : path) + " " + perms + ",";
}

struct Observed {
  int exit = -1;                // batch: the command's; service: the load script's
  int service_exit = -1;        // service: the service's own
  std::string out;              // what is compared: batch the command's stdout, service the load script's
  ControlResult control;        // service only
  behavior::Behavior behavior;  // Record only
  ComplainFindings findings;    // Complain only
  std::vector<std::string> warnings;
  int interrupted = 0;  // a stop signal harden did not send: the user's, harden stops
};

enum class How { Record, Enforce, Complain };

struct TrainCheck {
  RecordSetup* setup;
  const StdinCopy* in;
  std::string exe;
  bool service = false;
  std::vector<std::string> service_argv;
  ControlPlan plan;         // ready, timeouts, stop signal (load set per run)
  std::string run_timeout;  // --timeout for confine run
};

// One workload run: recorded (unconfined, observed), enforced or in complain
// mode. tag names the files: WORK/TAG.stdout ... (kept in the attempt/DIR).
Result<Observed> run_workload(TrainCheck& tc, How how, const std::string& cmd, const std::string& tag,
                              const behavior::Behavior* profile_b) {
  Observed o;
  const std::string& work = tc.setup->work;
  std::string suffix = how == How::Record ? "" : how == How::Enforce ? ".replay" : ".complain";
  std::string base = work + "/" + tag + suffix;
  std::vector<std::string> argv = tc.service ? tc.service_argv : shell_argv(cmd);
  std::optional<Controller> ctl;
  int load_out = -1, load_in = -1;
  auto cleanup = [&] {
    if (load_out >= 0) close(load_out), load_out = -1;
    if (load_in >= 0) close(load_in), load_in = -1;
  };
  if (tc.service) {
    ControlPlan plan = tc.plan;
    plan.load = cmd;
    load_out = create_out(base + ".stdout");
    if (load_out < 0) return Error::sys("open(\"" + base + ".stdout\")", errno);
    load_in = tc.in->open_fresh();
    plan.load_stdout_fd = load_out;
    plan.load_stdin_fd = load_in;
    plan.stop_after = true;
    auto c = Controller::start(plan);
    if (!c.ok()) {
      cleanup();
      return std::move(c).error().context("starting the load controller");
    }
    ctl = std::move(*c);
  }
  std::string svc = tc.service ? ".service" : "";
  if (how == How::Record) {
    record::RecordOptions rec = tc.setup->rec;
    rec.argv = argv;
    rec.stop_at_daemons = true;  // a daemon the command started (gpg-agent) is not waited for
    int out = create_out(base + svc + ".stdout");
    int err = tc.service ? create_out(base + svc + ".stderr") : -1;
    int in = tc.service ? open("/dev/null", O_RDONLY | O_CLOEXEC) : tc.in->open_fresh();
    rec.stdout_fd = out;
    rec.stderr_fd = err;
    rec.stdin_fd = in;
    std::optional<StraySignalGuard> stray;
    if (ctl) {
      stray.emplace(tc.plan.stop_signal);
      rec.stop_signal = tc.plan.stop_signal;
      rec.on_start = [&ctl](pid_t p) { ctl->go(p, getpid()); };
    }
    auto r = out < 0 ? Result<record::RecordResult>(Error::sys("open(\"" + base + svc + ".stdout\")", errno))
                     : record::record(rec);
    for (int fd : {out, err, in})
      if (fd >= 0) close(fd);
    if (ctl) o.control = ctl->finish(10);
    cleanup();
    if (!r.ok()) return std::move(r).error().context("record");
    for (int sig : r->stop_signals)
      if (!tc.service || sig != tc.plan.stop_signal) o.interrupted = sig;
    o.warnings = r->warnings;
    if (r->behavior.partial) o.warnings.push_back("partial recording: " + r->behavior.partial_reason);
    o.behavior = std::move(r->behavior);
    if (tc.service)
      o.service_exit = r->exit_code, o.exit = o.control.load_exit;
    else
      o.exit = r->exit_code;
  } else {
    std::vector<std::string> run = {tc.exe, "run", "--profile", work, "--timeout", tc.run_timeout};
    if (how == How::Complain) {
      std::remove((base + ".jsonl").c_str());  // --log appends
      run.insert(run.end(), {"--mode", "complain", "--log", base + ".jsonl"});
      if (tc.setup->apparmor_mode != "off") run.insert(run.end(), {"--apparmor-mode", "complain"});
    }
    run.push_back("--");
    run.insert(run.end(), argv.begin(), argv.end());
    int in = tc.service ? -1 : tc.in->open_fresh();
    auto pid = spawn_to_files(run, in, base + svc + ".stdout", base + svc + ".stderr");
    if (in >= 0) close(in);
    if (!pid.ok()) {
      cleanup();
      return std::move(pid).error();
    }
    if (ctl) ctl->go(*pid, *pid);
    auto code = wait_code(*pid);
    if (ctl) o.control = ctl->finish(10);
    cleanup();
    if (!code.ok()) return std::move(code).error();
    if (tc.service)
      o.service_exit = *code, o.exit = o.control.load_exit;
    else
      o.exit = *code;
    if (how == How::Complain) o.findings = false_denials(base + ".jsonl", *profile_b, tc.setup->gen);
  }
  o.out = slurp(base + ".stdout");
  return o;
}

std::string exit_str(int code) {
  if (code == -2) return "none (killed at --load-timeout)";
  if (code < 0) return "none (not run)";
  if (code > 128 && code < 128 + NSIG) {
    const char* a = sigabbrev_np(code - 128);
    if (a) return std::to_string(code) + " (SIG" + a + ")";
  }
  return std::to_string(code);
}

int harden_train_check(const Args& a, RecordSetup& setup, const StdinCopy& in) {
  TrainCheck tc;
  tc.setup = &setup;
  tc.in = &in;
  tc.exe = self_exe();
  tc.service = !a.rest().empty();
  tc.service_argv = a.rest();
  double load_timeout = 300;
  if (auto t = a.get("load-timeout")) {
    auto v = sandbox::parse_duration(*t);
    if (!v.ok()) {
      print_error(std::move(v).error().context("--load-timeout"));
      return kExitUsage;
    }
    load_timeout = *v;
  }
  tc.plan.load_timeout = load_timeout;
  tc.plan.ready = a.get("ready").value_or("");
  if (auto t = a.get("ready-timeout")) {
    auto v = sandbox::parse_duration(*t);
    if (!v.ok()) {
      print_error(std::move(v).error().context("--ready-timeout"));
      return kExitUsage;
    }
    tc.plan.ready_timeout = *v;
  }
  if (auto sg = a.get("stop-signal")) {
    auto v = sandbox::parse_signal(*sg);
    if (!v.ok()) {
      print_error(std::move(v).error().context("--stop-signal"));
      return kExitUsage;
    }
    tc.plan.stop_signal = *v;
  }
  // confine run's own bound: the ready wait and the load, with room to stop.
  // confine run's own bound (set per check below): the ready wait and the load, with room to stop.
  auto set_bounds = [&](double load_s) {
    tc.plan.load_timeout = load_s;
    tc.run_timeout =
        std::to_string(static_cast<long>(std::ceil(load_s + (tc.service ? tc.plan.ready_timeout + 30 : 0)))) +
        "s";
  };
  set_bounds(load_timeout);
  const std::string& dir = setup.dir;
  auto trains = a.all("train"), checks = a.all("check");
  std::cout << "confine harden: " << trains.size() << " training and " << checks.size() << " check workload"
            << (checks.size() == 1 ? "" : "s");
  if (tc.service) std::cout << " against the service " << file::escape_terminal(join(tc.service_argv, " "));
  std::cout << "\n";
  if (in.memfd >= 0)
    std::cout << "     standard input: " << in.size << " bytes, captured once, fed to every "
              << (tc.service ? "load script" : "run") << "\n";
  std::cout.flush();

  // 1. training: record each, union.
  behavior::Behavior b;
  uint64_t syscalls_before = 0;
  for (size_t i = 0; i < trains.size(); ++i) {
    std::string tag = "train-" + std::to_string(i + 1);
    auto o = run_workload(tc, How::Record, trains[i], tag, nullptr);
    if (!o.ok()) {
      print_error(std::move(o).error().context(tag));
      return 125;
    }
    if (o->interrupted) {
      print_error(tag + ": interrupted by SIG" + std::string(sigabbrev_np(o->interrupted)) + " (" + dir +
                  " not replaced)");
      return 128 + o->interrupted;
    }
    for (const auto& w : o->warnings) print_warning(tag + ": " + w);
    std::cout << "  1. recorded   " << tag << ": " << file::escape_terminal(trains[i])
              << (tc.service ? ": load exit " : ": exit ") << exit_str(o->exit);
    if (tc.service) std::cout << ", service exit " << exit_str(o->service_exit);
    std::cout << "\n";
    if (tc.service && !o->control.ready) {
      std::string kept = setup.out.keep();
      print_error(tag + ": " + o->control.message + " (" + dir + " not replaced; the attempt is in " + kept +
                  ": " + tag + ".service.stderr)");
      return 1;
    }
    if (tc.service && (o->control.service_died || o->control.load_timed_out))
      print_warning(tag + ": " + o->control.message);
    if (i == 0) {
      b = std::move(o->behavior);
      b.exit_status.reset();
    } else {
      behavior::merge(b, o->behavior);
      b.exit_status.reset();
    }
    size_t now = b.syscall_names().size();
    if (i > 0 && now > syscalls_before)
      std::cout << "     " << tag << " added " << now - syscalls_before << " syscall"
                << (now - syscalls_before == 1 ? "" : "s") << " the earlier training did not make\n";
    syscalls_before = now;
  }
  b.partial = false;
  b.partial_reason.clear();
  b.command = tc.service ? tc.service_argv : std::vector<std::string>{"/bin/sh", "-c", join(trains, " ; ")};
  auto comp =
      setup.gen.companions ? generate::companion_syscalls(b) : decltype(generate::companion_syscalls(b)){};
  if (!comp.empty()) {
    std::vector<std::string> cn;
    for (const auto& [n, why] : comp) cn.push_back(n);
    std::cout << "     + " << comp.size()
              << " by the generalisation table (docs/generalisation.md): " << join(cn, " ") << "\n";
  }
  std::vector<std::string> notes;
  if (auto w = write_outputs(setup, b, &notes); !w.ok()) {
    print_error(std::move(w).error().context("writing " + dir));
    return 125;
  }
  print_notes(notes);

  // 2. checks: unconfined (recorded, for the reference and the coverage), enforced, complain.
  behavior::Behavior checked;  // union of what the checks did
  struct Denial {
    std::string what, rule, check;
  };
  std::vector<Denial> denials;
  std::vector<std::string> mismatches;
  for (size_t j = 0; j < checks.size(); ++j) {
    std::string tag = "check-" + std::to_string(j + 1);
    std::string shown = file::escape_terminal(checks[j]);
    set_bounds(load_timeout);
    auto t0 = std::chrono::steady_clock::now();
    auto ref = run_workload(tc, How::Record, checks[j], tag, nullptr);
    double ref_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // A run blocked by a denial (a wait the unconfined run never needed) must
    // not hang harden: 10 times the unconfined time, at least 10 s, at most --load-timeout.
    set_bounds(std::min(load_timeout, std::max(10.0, 10 * ref_s)));
    if (!ref.ok()) {
      print_error(std::move(ref).error().context(tag));
      return 125;
    }
    if (ref->interrupted) {
      print_error(tag + ": interrupted by SIG" + std::string(sigabbrev_np(ref->interrupted)) + " (" + dir +
                  " not replaced)");
      return 128 + ref->interrupted;
    }
    for (const auto& w : ref->warnings) print_warning(tag + " (unconfined): " + w);
    if (tc.service && !ref->control.ready) {
      std::string kept = setup.out.keep();
      print_error(tag + " (unconfined): " + ref->control.message + " (" + dir + " not replaced; see " + kept +
                  "/" + tag + ".service.stderr)");
      return 1;
    }
    if (j == 0)
      checked = ref->behavior;
    else
      behavior::merge(checked, ref->behavior);
    auto enf = run_workload(tc, How::Enforce, checks[j], tag, &b);
    if (!enf.ok()) {
      print_error(std::move(enf).error().context(tag + " enforced"));
      return 125;
    }
    auto cpl = run_workload(tc, How::Complain, checks[j], tag, &b);
    if (!cpl.ok()) {
      print_error(std::move(cpl).error().context(tag + " complain"));
      return 125;
    }
    bool same_exit = enf->exit == ref->exit, same_out = enf->out == ref->out;
    std::string what = tc.service ? "load exit " : "exit ";
    std::cout << "  2. checked    " << tag << ": " << shown << ": unconfined " << what << exit_str(ref->exit)
              << ", enforced " << what << exit_str(enf->exit)
              << (same_out ? ", same stdout" : ", stdout differs");
    if (tc.service)
      std::cout << "; service "
                << (enf->control.stopped ? "stopped by SIG" + std::string(sigabbrev_np(tc.plan.stop_signal)) +
                                               ", exit " + exit_str(enf->service_exit)
                                         : "NOT stopped: " + enf->control.message);
    std::cout << "\n";
    if (!same_exit || !same_out)
      mismatches.push_back(
          tag + (same_exit ? "" : ": exit " + exit_str(enf->exit) + " instead of " + exit_str(ref->exit)) +
          (same_out ? ""
                    : std::string(same_exit ? ":" : ",") + " stdout differs (" + dir + "/" + tag +
                          ".stdout vs " + tag + ".replay.stdout)"));
    if (tc.service && (!enf->control.ready || enf->control.service_died || !enf->control.stopped))
      mismatches.push_back(tag + ": enforced, " +
                           (enf->control.message.empty() ? "the service failed" : enf->control.message) +
                           " (service exit " + exit_str(enf->service_exit) + "; " + dir + "/" + tag +
                           ".replay.service.stderr)");
    for (const auto& [n, ar] : cpl->findings.syscalls)
      denials.push_back({"syscall " + n, fixing_rule(n, ar), tag});
    for (const auto& [p, acc] : cpl->findings.files) {
      auto l = cpl->findings.letters.find(p);
      std::string req = l == cpl->findings.letters.end() ? "" : l->second;
      denials.push_back(
          {p + " (" + (req.empty() ? behavior::access_str(acc) : req) + ")", fixing_rule(p, acc, req), tag});
    }
  }
  if (denials.empty()) std::cout << "     complain-mode replays: nothing denied\n";
  for (const auto& d : denials)
    std::cout << "     false denial (" << d.check << "): " << file::escape_terminal(d.what) << "\n"
              << "       fix: " << file::escape_terminal(d.rule) << "\n";
  if (!denials.empty())
    std::cout
        << "     (a fix is a rule to review: add it to the profile, or add a --train workload that does "
           "this, or keep the denial if the check should not do it)\n";

  // 3. coverage: what of the profile the checks exercised.
  auto prof = generate::seccomp_profile(b, setup.gen);
  auto allowed = generate::allowed_syscalls(prof, Arch::X86_64);
  if (allowed.ok()) {
    std::vector<std::string> unexercised;
    size_t hit = 0;
    auto it = checked.arches.find(Arch::X86_64);
    for (const auto& n : *allowed)
      if (it != checked.arches.end() && it->second.count(n))
        ++hit;
      else
        unexercised.push_back(n);
    std::cout << "  3. coverage   the checks exercised " << hit << " of " << allowed->size()
              << " syscalls seccomp.json allows (x86_64)";
    if (!unexercised.empty())
      std::cout << "; " << unexercised.size() << " allowed syscall"
                << (unexercised.size() == 1 ? " was" : "s were")
                << " never exercised by a check: " << join(unexercised, " ", 25);
    std::cout << "\n";
  }
  if (setup.apparmor_mode != "off") {
    auto f = apparmor::parse_file(setup.work + "/apparmor.profile");
    // What the checks touched: files opened and programs executed, as recorded
    // and resolved (the profile names /usr/lib/..., a program may open /lib/...).
    std::set<std::string> touched;
    auto add = [&](const std::string& p) {
      touched.insert(p);
      char buf[PATH_MAX];
      if (realpath(p.c_str(), buf)) touched.insert(buf);
    };
    for (const auto& [path, acc] : checked.files) add(path);
    for (const auto& e : checked.execs) add(e);
    for (const auto& pr : checked.processes)
      if (!pr.exe.empty()) add(pr.exe);
    if (f.ok()) {
      size_t rules = 0, hit = 0;
      std::vector<std::string> unexercised;
      for (const auto& p : apparmor::profiles(*f))
        for (const auto& item : p->items) {
          const auto* r = std::get_if<apparmor::Rule>(&item);
          if (!r || r->kind != "file" || r->path.empty() || r->path[0] != '/') continue;
          ++rules;
          bool used = false;
          auto g = apparmor::Glob::compile(r->path);  // the evaluator's matcher, compiled once per rule
          for (const auto& path : touched)
            if (g.ok() && (g->match(path) || g->match(path + "/"))) {
              used = true;
              break;
            }
          if (used)
            ++hit;
          else
            unexercised.push_back(r->path);
        }
      std::cout << "               and " << hit << " of " << rules << " path rules of apparmor.profile";
      if (!unexercised.empty())
        std::cout << "; never exercised: " << file::escape_terminal(join(unexercised, " ", 12));
      std::cout << "\n";
    }
  }
  std::cout << "     a rule the checks never exercised is not proven by them: a denial it hides would "
               "go unnoticed\n";

  bool ok_all = denials.empty() && mismatches.empty();
  if (!ok_all) {
    std::string kept = setup.out.keep();
    for (const auto& m : mismatches) std::cout << "     mismatch: " << file::escape_terminal(m) << "\n";
    std::cout << "  4. result     FAILED: " << denials.size() << " false denial"
              << (denials.size() == 1 ? "" : "s") << ", " << mismatches.size() << " mismatch"
              << (mismatches.size() == 1 ? "" : "es") << " in " << checks.size() << " check"
              << (checks.size() == 1 ? "" : "s") << "\n";
    print_error("the checks failed under the profile (" + dir + " not replaced; this attempt is in " + kept +
                ")");
    return 1;
  }
  if (auto c = setup.out.commit(); !c.ok()) {
    print_error(std::move(c).error().context("writing " + dir));
    return 125;
  }
  report_surface(setup, b, "4");
  std::cout << "  5. result     OK: " << checks.size() << " check" << (checks.size() == 1 ? "" : "s")
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
  StdinCopy in;
  if (auto st = capture_stdin(in); !st.ok()) {
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
  const std::string& dir = setup->dir;    // for messages; valid once committed
  const std::string& work = setup->work;  // where this run writes
  const auto& cmd = setup->rec.argv;
  const std::string shown = sample_shown.empty() ? join(cmd, " ") : sample_shown;
  std::cout << "confine harden: " << file::escape_terminal(shown) << "\n";
  if (in.memfd >= 0)
    std::cout << "     standard input: " << in.size
              << " bytes, captured once, fed to every recording and replay\n";
  std::cout.flush();

  // 1. record, --runs times (stdout of the first run kept for the comparison;
  // stderr passes through); the profile is generated from the union.
  std::string rec_out = work + "/record.stdout";
  behavior::Behavior b;
  int rec_code = 0;
  uint64_t events = 0;
  double rec_s = 0;
  setup->rec.stop_at_daemons = true;  // as in the train/check path
  for (int run = 0; run < runs; ++run) {
    std::string out_path = run == 0 ? rec_out : work + "/record-" + std::to_string(run + 1) + ".stdout";
    int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      print_error(Error::sys("open(\"" + out_path + "\")", errno));
      return 125;
    }
    setup->rec.stdout_fd = out_fd;
    int in_fd = in.open_fresh();
    setup->rec.stdin_fd = in_fd;
    auto t0 = std::chrono::steady_clock::now();
    auto r = record::record(setup->rec);
    rec_s = std::max(rec_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    close(out_fd);
    if (in_fd >= 0) close(in_fd);
    setup->rec.stdin_fd = -1;
    if (!r.ok()) {
      print_error(std::move(r).error().context("record"));
      return 125;
    }
    if (!r->stop_signals.empty()) {
      print_error("interrupted by SIG" + std::string(sigabbrev_np(r->stop_signals.front())) + " (" + dir +
                  " not replaced)");
      return 128 + r->stop_signals.front();
    }
    for (const auto& w : r->warnings) print_warning(w);
    if (r->behavior.partial) print_warning("partial recording: " + r->behavior.partial_reason);
    events += r->events;
    if (run == 0) {
      rec_code = r->exit_code;
      b = std::move(r->behavior);
    } else {
      if (r->exit_code != rec_code)
        print_warning("run " + std::to_string(run + 1) + " exited " + std::to_string(r->exit_code) +
                      ", the first " + std::to_string(rec_code) + ": the replay is compared with the first");
      if (slurp(out_path) != slurp(rec_out))
        print_warning("run " + std::to_string(run + 1) +
                      "'s stdout differs from the first's (non-deterministic output?)");
      size_t before = b.syscall_names().size();
      auto exit_status = b.exit_status;
      behavior::merge(b, r->behavior);
      b.exit_status = exit_status;
      size_t added_now = b.syscall_names().size() - before;
      if (added_now)
        std::cout << "     run " << run + 1 << " saw " << added_now << " syscall"
                  << (added_now == 1 ? "" : "s") << " the earlier runs did not\n";
    }
  }
  // A replay that blocks on a denied syscall (a wait the recording never
  // needed, say) must not hang harden: bound it, then ask complain mode.
  std::string limit = std::to_string(static_cast<int>(std::max(10.0, 10 * rec_s))) + "s";
  std::cout.flush();
  std::cout << "  1. recorded   " << events << " syscalls"
            << (runs > 1 ? " in " + std::to_string(runs) + " runs" : "") << ", " << b.syscall_names().size()
            << " distinct, exit " << rec_code << "\n";
  auto comp =
      setup->gen.companions ? generate::companion_syscalls(b) : decltype(generate::companion_syscalls(b)){};
  if (!comp.empty()) {
    std::vector<std::string> cn;
    for (const auto& [n, why] : comp) cn.push_back(n);
    std::cout << "     + " << comp.size() << " by the generalisation table (families and slow paths other "
              << "inputs need; docs/generalisation.md): " << join(cn, " ") << "\n";
  }

  // 2..3. generate, replay enforced; on a mismatch find false denials in complain mode, add, retry.
  std::string exe = self_exe();
  std::vector<std::string> added;
  int replay_code = -1;
  bool same_out = false;
  for (int round = 0;; ++round) {
    std::vector<std::string> notes;
    auto w = write_outputs(*setup, b, round == 0 ? &notes : nullptr);
    print_notes(notes);
    if (!w.ok()) {
      print_error(std::move(w).error().context("writing " + dir));
      return 125;
    }
    std::vector<std::string> run = {exe, "run", "--profile", work, "--timeout", limit, "--"};
    run.insert(run.end(), cmd.begin(), cmd.end());
    int in_fd = in.open_fresh();
    auto rc = run_to_files(run, work + "/replay.stdout", work + "/replay.stderr", in_fd);
    if (in_fd >= 0) close(in_fd);
    if (!rc.ok()) {
      print_error(std::move(rc).error().context("replay"));
      return 125;
    }
    replay_code = *rc;
    same_out = slurp(rec_out) == slurp(work + "/replay.stdout");
    std::cout << "  " << (round == 0 ? "2" : "+") << ". replayed   confine run --profile " << dir << " -- "
              << file::escape_terminal(shown) << ": exit " << replay_code
              << (same_out ? ", same stdout" : ", stdout differs") << "\n";
    // Which syscalls would the profile deny? Asked every round: a denial the
    // program tolerates (ignored EPERM) changes neither exit status nor stdout.
    std::remove((work + "/complain.jsonl").c_str());  // --log appends
    std::vector<std::string> crun = {exe,        "run",       "--profile", work,    "--mode",
                                     "complain", "--timeout", limit,       "--log", work + "/complain.jsonl",
                                     "--"};
    // The AppArmor layer is observed too (not enforced), so an access it would
    // deny shows up here instead of failing the program early.
    if (setup->apparmor_mode != "off") crun.insert(crun.end() - 1, {"--apparmor-mode", "complain"});
    crun.insert(crun.end(), cmd.begin(), cmd.end());
    in_fd = in.open_fresh();
    auto cc = run_to_files(crun, work + "/complain.stdout", work + "/complain.stderr", in_fd);
    if (in_fd >= 0) close(in_fd);
    (void)cc;
    auto found = complain_findings(work + "/complain.jsonl");
    auto& denied = found.syscalls;
    // Explicit errno rules of the profile (clone3 -> ENOSYS so libc falls back
    // to clone) are intended answers, not false denials.
    for (const auto& rule : generate::seccomp_profile(b, setup->gen).syscalls)
      if (rule.action != seccomp::ActionKind::Allow)
        for (const auto& n : rule.names)
          for (auto it = denied.begin(); it != denied.end();)
            it = it->first == n ? denied.erase(it) : std::next(it);
    std::vector<std::string> names;
    for (const auto& [n, a] : denied) names.push_back(n + (a == "x86_64" ? "" : "[" + a + "]"));
    for (const auto& [p, acc] : found.files) names.push_back(p + " (" + behavior::access_str(acc) + ")");
    if (found.empty()) {
      std::cout << "     complain-mode replay: nothing denied\n";
      if (replay_code == rec_code && same_out) break;
      if (replay_code == rec_code) {
        print_warning(
            "the replay's stdout differs but the profiles denied nothing (non-deterministic output?): "
            "compare " +
            dir + "/record.stdout and " + dir + "/replay.stdout");
        break;
      }
      std::string kept = setup->out.keep();
      print_error("replay exited " + std::to_string(replay_code) + " instead of " + std::to_string(rec_code) +
                  " and complain mode reports nothing denied: see " + kept + "/replay.stderr (" + dir +
                  " not replaced)");
      return 1;
    }
    std::cout << "     false denial: " << join(names, ", ", 20) << "\n";
    if (round >= retries) {
      std::string kept = setup->out.keep();
      print_error("false denials remain after " + std::to_string(retries) + " fix rounds: " +
                  join(names, ", ", 20) + " (" + dir + " not replaced; this attempt is in " + kept + ")");
      return 1;
    }
    for (const auto& [n, a] : denied) {
      auto arch = arch_from_name(a).value_or(Arch::X86_64);
      auto& info = b.arches[arch][n];
      info.count += 1;
      info.args.clear();  // the observed arguments were not enough: allow the syscall unconditionally
      added.push_back(n);
    }
    for (const auto& [p, acc] : found.files) {
      b.files[p] |= acc;
      added.push_back(p);
    }
    b.notes.push_back("added after a false denial in replay: " + join(names, ", "));
  }

  // The replay passed: switch the whole set in.
  if (auto c = setup->out.commit(); !c.ok()) {
    print_error(std::move(c).error().context("writing " + dir));
    return 125;
  }
  rec_out = dir + "/record.stdout";

  report_surface(*setup, b);
  std::cout << "  4. result     " << (replay_code == rec_code ? "OK" : "MISMATCH") << ": replay exit "
            << replay_code << " = recorded " << rec_code << ", " << added.size() << " false denial"
            << (added.size() == 1 ? "" : "s") << (added.empty() ? "" : " fixed (" + join(added, ", ") + ")")
            << "\n"
            << "     wrote " << output_names(*setup) << "; the command's output is in " << rec_out << "\n";
  return replay_code == rec_code ? 0 : 1;
}

}  // namespace confine::cli
