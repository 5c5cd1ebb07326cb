// confine harden [-o DIR] [-- COMMAND [ARGS...]]
// record -> generate -> replay enforced (this binary's `run --profile DIR`) ->
// report. Argument wiring, subprocesses and output only.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "apparmor/apparmor.h"
#include "cli/args.h"
#include "cli/record_common.h"
#include "cli/verbs.h"
#include "core/embedded.h"
#include "json/json.h"

namespace confine::cli {

namespace {
constexpr OptSpec kOwnOpts[] = {
    {"output", 'o', true, "DIR", "output directory (default: confine-profile)"},
    {"runs", 0, true, "N", "record the command N times and generate from the union (default 1)"},
    {"retries", 0, true, "N", "fix-and-replay rounds after a false denial (default 2)"},
    {"help", 'h', false, "", "show this help"},
};
constexpr auto kOpts = with_record_opts(kOwnOpts);

void usage(std::ostream& os) {
  os << "usage: confine harden [options] [-- COMMAND [ARGS...]]\n\n"
        "Records COMMAND (--runs times), generates its seccomp profile, AppArmor profile,\n"
        "securityContext and behavior (as `confine record`), replays the same command\n"
        "enforced under `confine run --profile DIR` (seccomp + the AppArmor file rules\n"
        "through Landlock), and reports the syscalls allowed against the runtime-default\n"
        "and Docker default profiles and the attack surface removed. Every replay is\n"
        "repeated in complain mode: syscalls and file accesses the profiles would deny\n"
        "are added (false denials) and the replay is retried, else harden fails.\n"
        "Without COMMAND it hardens the sample workload compiled into confine\n"
        "(examples/sample-workload.sh, run as `sh -c SCRIPT`).\n"
        "The outputs are written into a fresh directory next to DIR and switched in as one\n"
        "set only when the replay passed: a failed harden leaves DIR as it was (the attempt\n"
        "is kept and named in the error).\n\noptions:\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine harden -o prof\n"
        "  confine harden -o prof -- tar czf /tmp/etc.tgz /etc/apt\n"
        "  confine harden -o prof --runs 3 -- ./flaky-timing-app\n"
        "\nexit codes: 0 hardened and replayed with identical exit status; 1 the replay failed\n"
        "(false denial that could not be fixed); 2 usage; 125 confine error.\n";
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/proc/self/exe";
}

// Runs argv with stdout (and stderr when err_path is set) to files; returns the exit code.
Result<int> run_to_files(const std::vector<std::string>& argv, const std::string& out_path,
                         const std::string& err_path) {
  // Fresh files in harden's own work directory: a name planted there is removed, never followed.
  auto create = [](const std::string& p) {
    unlink(p.c_str());
    return open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  };
  int out = create(out_path);
  if (out < 0) return Error::sys("open(\"" + out_path + "\")", errno);
  int err = -1;
  if (!err_path.empty()) {
    err = create(err_path);
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
    dup2(out, 1);
    if (err >= 0) dup2(err, 2);
    execv(av[0], av.data());
    _exit(127);
  }
  close(out);
  if (err >= 0) close(err);
  int st = 0;
  if (waitpid(pid, &st, 0) != pid) return Error::sys("waitpid", errno);
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  return 128 + WTERMSIG(st);
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

// What a complain-mode replay would have denied: syscalls (seccomp lines:
// {"syscall":..,"arch":..}) and file accesses (AppArmor lines written by
// `run --apparmor-mode complain`: {"kind":"apparmor","path":..,"requested":"rw"}).
struct ComplainFindings {
  std::set<std::pair<std::string, std::string>> syscalls;  // (name, arch)
  std::map<std::string, uint8_t> files;                    // path -> behavior::Access bits
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
    auto v = json::parse(line, path);
    if (!v.ok()) continue;
    const auto* kind = v->find("kind");
    if (kind && kind->is(json::Type::String) && kind->text == "apparmor") {
      const auto* p = v->find("path");
      const auto* req = v->find("requested");
      if (p && p->is(json::Type::String) && !p->text.empty() && p->text[0] == '/')
        out.files[p->text] |= access_from_apparmor(req && req->is(json::Type::String) ? req->text : "r");
      continue;
    }
    const auto* s = v->find("syscall");
    const auto* a = v->find("arch");
    if (s && s->is(json::Type::String))
      out.syscalls.emplace(s->text, a && a->is(json::Type::String) ? a->text : std::string("x86_64"));
  }
  return out;
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
  auto setup = record_setup(*parsed);
  if (!setup.ok()) {
    print_error(setup.error());
    return 125;
  }
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
  std::cout << "confine harden: " << file::escape_terminal(shown) << std::endl;

  // 1. record, --runs times (stdout of the first run kept for the comparison;
  // stderr passes through); the profile is generated from the union.
  std::string rec_out = work + "/record.stdout";
  behavior::Behavior b;
  int rec_code = 0;
  uint64_t events = 0;
  double rec_s = 0;
  for (int run = 0; run < runs; ++run) {
    std::string out_path = run == 0 ? rec_out : work + "/record-" + std::to_string(run + 1) + ".stdout";
    int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out_fd < 0) {
      print_error(Error::sys("open(\"" + out_path + "\")", errno));
      return 125;
    }
    setup->rec.stdout_fd = out_fd;
    auto t0 = std::chrono::steady_clock::now();
    auto r = record::record(setup->rec);
    rec_s = std::max(rec_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    close(out_fd);
    if (!r.ok()) {
      print_error(std::move(r).error().context("record"));
      return 125;
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
    auto rc = run_to_files(run, work + "/replay.stdout", work + "/replay.stderr");
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
    auto cc = run_to_files(crun, work + "/complain.stdout", work + "/complain.stderr");
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

  // 4. report
  auto ours_prof = generate::seccomp_profile(b, setup->gen);
  auto ours = generate::allowed_syscalls(ours_prof, Arch::X86_64);
  std::cout << "  3. profile    " << dir << "/seccomp.json allows "
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
  std::cout << "  4. result     " << (replay_code == rec_code ? "OK" : "MISMATCH") << ": replay exit "
            << replay_code << " = recorded " << rec_code << ", " << added.size() << " false denial"
            << (added.size() == 1 ? "" : "s") << (added.empty() ? "" : " fixed (" + join(added, ", ") + ")")
            << "\n"
            << "     wrote " << output_names(*setup) << "; the command's output is in " << rec_out << "\n";
  return replay_code == rec_code ? 0 : 1;
}

}  // namespace confine::cli
