#include "harden/harden.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "apparmor/apparmor.h"
#include "apparmor/eval.h"
#include "core/file.h"
#include "harden/replay.h"
#include "supervise/event.h"

namespace confine::harden {

// --- standard input ------------------------------------------------------------

StdinCopy::~StdinCopy() {
  if (memfd >= 0) close(memfd);
}

int StdinCopy::open_fresh() const {
  if (memfd < 0) return open("/dev/null", O_RDONLY | O_CLOEXEC);
  return open(("/proc/self/fd/" + std::to_string(memfd)).c_str(), O_RDONLY | O_CLOEXEC);
}

Status stdin_from_bytes(StdinCopy& c, std::string_view bytes) {
  int fd = memfd_create("confine-harden-stdin", MFD_CLOEXEC);
  if (fd < 0) return Error::sys("memfd_create(\"confine-harden-stdin\")", errno);
  if (c.memfd >= 0) close(c.memfd);
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

Status capture_stdin(StdinCopy& c, const std::function<void()>& waiting) {
  if (isatty(0)) {
    c.from_terminal = true;
    return ok();
  }
  if (fcntl(0, F_GETFD) < 0) return ok();  // closed: /dev/null
  // A pipe nobody closes (ssh without -n, a CI runner) would block here
  // silently: say what harden waits for.
  pollfd p{0, POLLIN, 0};
  if (poll(&p, 1, 2000) == 0 && waiting) waiting();
  CONFINE_TRY(std::string bytes, file::read_file("-", kMaxStdinBytes));
  return stdin_from_bytes(c, bytes);
}

namespace {

// Fresh files in harden's own work directory: a name planted there is removed, never followed.
int create_out(const std::string& p) {
  unlink(p.c_str());
  return open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

// A file harden wrote itself ("" if unreadable: compared, never trusted).
std::string slurp(const std::string& p) {
  auto r = file::read_file(p, file::kMaxLogBytes);
  return r.ok() ? std::move(*r) : std::string();
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

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

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

ComplainFindings read_complain_events(const std::string& path) {
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

void drop_errno_rules(ComplainFindings& found, const behavior::Behavior& b,
                      const generate::SeccompOptions& gen) {
  for (const auto& rule : generate::seccomp_profile(b, gen).syscalls)
    if (rule.action != seccomp::ActionKind::Allow)
      for (const auto& n : rule.names)
        for (auto it = found.syscalls.begin(); it != found.syscalls.end();)
          it = it->first == n ? found.syscalls.erase(it) : std::next(it);
}

std::string fixing_rule(const std::string& syscall, const std::string& arch) {
  return "seccomp.json: {\"names\": [\"" + syscall + "\"], \"action\": \"SCMP_ACT_ALLOW\"}" +
         (arch == "x86_64" ? "" : " (arch " + arch + ")");
}

// `requested`: the AppArmor letters the complain run reported; l and k are kept (a link or a
// lock is no write: `PATH w,` would not allow it).
std::string fixing_rule(const std::string& path, uint8_t acc, const std::string& requested) {
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

// A false denial with the rule that fixes it (the caller says how it reads: `what`, `check`).
FalseDenial syscall_denial(const std::string& syscall, const std::string& arch) {
  FalseDenial d;
  d.kind = FalseDenial::Kind::Syscall;
  d.syscall = syscall;
  d.arch = arch;
  d.fix = fixing_rule(syscall, arch);
  return d;
}
FalseDenial file_denial(const std::string& path, uint8_t acc,
                        const std::map<std::string, std::string>& letters) {
  FalseDenial d;
  d.kind = FalseDenial::Kind::File;
  d.path = path;
  d.access = acc;
  auto l = letters.find(path);
  d.letters = l == letters.end() ? "" : l->second;
  d.fix = fixing_rule(path, acc, d.letters);
  return d;
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

// --- batch ---------------------------------------------------------------------

Result<BatchResult> harden_batch(const Options& o, const Progress& progress) {
  BatchResult res;
  const std::string& work = o.work;
  const auto& cmd = o.rec.argv;
  if (cmd.empty()) return Error("harden: no command given");
  // 1. record, `runs` times (stdout of the first run kept for the comparison;
  // stderr passes through); the profile is generated from the union.
  std::string rec_out = work + "/record.stdout";
  behavior::Behavior& b = res.profile;
  record::RecordOptions rec = o.rec;
  rec.stop_at_daemons = true;  // as in the train/check path
  for (int run = 0; run < o.runs; ++run) {
    RecordRun rr;
    rr.run = run + 1;
    std::string out_path = run == 0 ? rec_out : work + "/record-" + std::to_string(run + 1) + ".stdout";
    int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (out_fd < 0) return Error::sys("open(\"" + out_path + "\")", errno);
    rec.stdout_fd = out_fd;
    int in_fd = o.in ? o.in->open_fresh() : -1;
    rec.stdin_fd = in_fd;
    auto t0 = std::chrono::steady_clock::now();
    auto r = record::record(rec);
    rr.seconds = seconds_since(t0);
    res.record_seconds = std::max(res.record_seconds, rr.seconds);
    close(out_fd);
    if (in_fd >= 0) close(in_fd);
    rec.stdin_fd = -1;
    rec.stdout_fd = -1;
    if (!r.ok()) return std::move(r).error().context("record");
    if (!r->stop_signals.empty()) {
      res.verdict = BatchResult::Verdict::Interrupted;
      res.stop_signal = r->stop_signals.front();
      return res;
    }
    rr.warnings = r->warnings;
    if (r->behavior.partial) rr.warnings.push_back("partial recording: " + r->behavior.partial_reason);
    rr.exit = r->exit_code;
    rr.events = r->events;
    res.events += r->events;
    if (run == 0) {
      res.record_exit = r->exit_code;
      b = std::move(r->behavior);
    } else {
      if (r->exit_code != res.record_exit)
        rr.warnings.push_back("run " + std::to_string(run + 1) + " exited " + std::to_string(r->exit_code) +
                              ", the first " + std::to_string(res.record_exit) +
                              ": the replay is compared with the first");
      if (slurp(out_path) != slurp(rec_out)) {
        rr.stdout_differs = true;
        rr.warnings.push_back("run " + std::to_string(run + 1) +
                              "'s stdout differs from the first's (non-deterministic output?)");
      }
      size_t before = b.syscall_names().size();
      auto exit_status = b.exit_status;
      behavior::merge(b, r->behavior);
      b.exit_status = exit_status;
      rr.added_syscalls = b.syscall_names().size() - before;
    }
    if (progress.recorded_run) progress.recorded_run(rr);
    res.runs.push_back(std::move(rr));
  }
  // A replay that blocks on a denied syscall (a wait the recording never
  // needed, say) must not hang harden: bound it, then ask complain mode.
  int limit = static_cast<int>(std::max(10.0, 10 * res.record_seconds));
  res.replay_timeout = std::to_string(limit) + "s";
  if (o.gen.companions)
    for (auto& [n, why] : generate::companion_syscalls(b)) res.companions.emplace_back(n, why);
  if (progress.recorded) progress.recorded(res);

  // 2..3. generate, replay enforced; on a mismatch find false denials in complain mode, add, retry.
  for (int round = 0;; ++round) {
    ReplayRound rd;
    rd.round = round;
    auto w = o.write_profile(b, round == 0 ? &rd.notes : nullptr);
    if (!w.ok()) {
      if (progress.replayed && !rd.notes.empty()) {  // shown before the error, as they were written
        ReplayRound notes_only;
        notes_only.round = -1;
        notes_only.notes = rd.notes;
        progress.replayed(notes_only);
      }
      return std::move(w).error().context("writing " + o.dir);
    }
    ReplaySpec spec;
    spec.profile_dir = work;
    spec.timeout_s = limit;
    spec.argv = cmd;
    int in_fd = o.in ? o.in->open_fresh() : -1;
    auto pid = start_replay(spec, in_fd, work + "/replay.stdout", work + "/replay.stderr");
    if (in_fd >= 0) close(in_fd);
    if (!pid.ok()) return std::move(pid).error().context("replay");
    auto rc = wait_exit_code(*pid);
    if (!rc.ok()) return std::move(rc).error().context("replay");
    rd.exit = *rc;
    rd.same_stdout = slurp(rec_out) == slurp(work + "/replay.stdout");
    // Which syscalls would the profile deny? Asked every round: a denial the
    // program tolerates (ignored EPERM) changes neither exit status nor stdout.
    std::remove((work + "/complain.jsonl").c_str());  // the log is appended to
    ReplaySpec cspec = spec;
    cspec.complain = true;
    cspec.log_path = work + "/complain.jsonl";
    // The AppArmor layer is observed too (not enforced), so an access it would
    // deny shows up here instead of failing the program early.
    cspec.apparmor_complain = o.apparmor;
    in_fd = o.in ? o.in->open_fresh() : -1;
    auto cpid = start_replay(cspec, in_fd, work + "/complain.stdout", work + "/complain.stderr");
    if (in_fd >= 0) close(in_fd);
    if (cpid.ok()) (void)wait_exit_code(*cpid);  // its exit status is not compared
    auto found = read_complain_events(cspec.log_path);
    drop_errno_rules(found, b, o.gen);
    for (const auto& [n, a] : found.syscalls) {
      FalseDenial d = syscall_denial(n, a);
      d.what = n + (a == "x86_64" ? "" : "[" + a + "]");
      rd.denials.push_back(std::move(d));
    }
    for (const auto& [p, acc] : found.files) {
      FalseDenial d = file_denial(p, acc, found.letters);
      d.what = p + " (" + behavior::access_str(acc) + ")";
      rd.denials.push_back(std::move(d));
    }
    if (progress.replayed) progress.replayed(rd);
    res.rounds.push_back(rd);
    if (found.empty()) {
      if (rd.exit == res.record_exit) {
        res.stdout_differs_only = !rd.same_stdout;
        res.verdict = BatchResult::Verdict::Passed;
      } else {
        res.verdict = BatchResult::Verdict::Mismatch;
      }
      return res;
    }
    if (round >= o.retries) {
      res.verdict = BatchResult::Verdict::DenialsRemain;
      return res;
    }
    std::vector<std::string> names;
    for (const auto& d : rd.denials) names.push_back(d.what);
    for (const auto& [n, a] : found.syscalls) {
      auto arch = arch_from_name(a).value_or(Arch::X86_64);
      auto& info = b.arches[arch][n];
      info.count += 1;
      info.args.clear();  // the observed arguments were not enough: allow the syscall unconditionally
      res.added.push_back(n);
    }
    for (const auto& [p, acc] : found.files) {
      b.files[p] |= acc;
      res.added.push_back(p);
    }
    b.notes.push_back("added after a false denial in replay: " + join(names, ", "));
  }
}

// --- train/check ---------------------------------------------------------------

namespace {

enum class How { Record, Enforce, Complain };

struct Observed {
  RunOutcome run;
  std::string out;              // what is compared: batch the command's stdout, service the load script's
  behavior::Behavior behavior;  // Record only
  ComplainFindings findings;    // Complain only
};

struct TrainCheck {
  const Options* o;
  bool service = false;
  ControlPlan plan;        // ready, timeouts, stop signal (load set per run)
  double run_timeout = 0;  // the replay's --timeout
};

// One workload run: recorded (unconfined, observed), enforced or in complain
// mode. tag names the files: WORK/TAG.stdout ... (kept in the attempt/DIR).
Result<Observed> run_workload(TrainCheck& tc, How how, const std::string& cmd, const std::string& tag,
                              const behavior::Behavior* profile_b) {
  Observed ob;
  RunOutcome& o = ob.run;
  o.tag = tag;
  o.workload = cmd;
  const Options& opt = *tc.o;
  const std::string& work = opt.work;
  std::string suffix = how == How::Record ? "" : how == How::Enforce ? ".replay" : ".complain";
  std::string base = work + "/" + tag + suffix;
  std::vector<std::string> argv = tc.service ? opt.service_argv : shell_argv(cmd);
  std::optional<Controller> ctl;
  int load_out = -1, load_in = -1;
  auto cleanup = [&] {
    if (load_out >= 0) close(load_out), load_out = -1;
    if (load_in >= 0) close(load_in), load_in = -1;
  };
  auto open_in = [&] { return opt.in ? opt.in->open_fresh() : open("/dev/null", O_RDONLY | O_CLOEXEC); };
  auto t0 = std::chrono::steady_clock::now();
  if (tc.service) {
    ControlPlan plan = tc.plan;
    plan.load = cmd;
    load_out = create_out(base + ".stdout");
    if (load_out < 0) return Error::sys("open(\"" + base + ".stdout\")", errno);
    load_in = open_in();
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
    record::RecordOptions rec = opt.rec;
    rec.argv = argv;
    rec.stop_at_daemons = true;  // a daemon the command started (gpg-agent) is not waited for
    int out = create_out(base + svc + ".stdout");
    int err = tc.service ? create_out(base + svc + ".stderr") : -1;
    int in = tc.service ? open("/dev/null", O_RDONLY | O_CLOEXEC) : open_in();
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
    ob.behavior = std::move(r->behavior);
    if (tc.service)
      o.service_exit = r->exit_code, o.exit = o.control.load_exit;
    else
      o.exit = r->exit_code;
  } else {
    ReplaySpec spec;
    spec.profile_dir = work;
    spec.timeout_s = tc.run_timeout;
    spec.argv = argv;
    if (how == How::Complain) {
      std::remove((base + ".jsonl").c_str());  // the log is appended to
      spec.complain = true;
      spec.log_path = base + ".jsonl";
      spec.apparmor_complain = opt.apparmor;
    }
    int in = tc.service ? -1 : open_in();
    auto pid = start_replay(spec, in, base + svc + ".stdout", base + svc + ".stderr");
    if (in >= 0) close(in);
    if (!pid.ok()) {
      cleanup();
      return std::move(pid).error();
    }
    // The replay's process forwards the stop signal into the sandbox, as `confine run` does.
    if (ctl) ctl->go(*pid, *pid);
    auto code = wait_exit_code(*pid);
    if (ctl) o.control = ctl->finish(10);
    cleanup();
    if (!code.ok()) return std::move(code).error();
    if (tc.service)
      o.service_exit = *code, o.exit = o.control.load_exit;
    else
      o.exit = *code;
    if (how == How::Complain) {
      ob.findings = read_complain_events(base + ".jsonl");
      drop_errno_rules(ob.findings, *profile_b, opt.gen);
    }
  }
  o.seconds = seconds_since(t0);
  ob.out = slurp(base + ".stdout");
  return ob;
}

// What the checks exercised of the profile written in `work`.
Coverage coverage(const Options& o, const behavior::Behavior& b, const behavior::Behavior& checked) {
  Coverage cov;
  auto prof = generate::seccomp_profile(b, o.gen);
  auto allowed = generate::allowed_syscalls(prof, Arch::X86_64);
  if (allowed.ok()) {
    cov.syscalls = true;
    cov.syscalls_allowed = allowed->size();
    auto it = checked.arches.find(Arch::X86_64);
    for (const auto& n : *allowed)
      if (it != checked.arches.end() && it->second.count(n))
        ++cov.syscalls_exercised;
      else
        cov.syscalls_unexercised.push_back(n);
  }
  if (!o.apparmor) return cov;
  auto f = apparmor::parse_file(o.work + "/apparmor.profile");
  if (!f.ok()) return cov;
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
  cov.apparmor = true;
  for (const auto& p : apparmor::profiles(*f))
    for (const auto& item : p->items) {
      const auto* r = std::get_if<apparmor::Rule>(&item);
      if (!r || r->kind != "file" || r->path.empty() || r->path[0] != '/') continue;
      ++cov.path_rules;
      bool used = false;
      auto g = apparmor::Glob::compile(r->path);  // the evaluator's matcher, compiled once per rule
      for (const auto& path : touched)
        if (g.ok() && (g->match(path) || g->match(path + "/"))) {
          used = true;
          break;
        }
      if (used)
        ++cov.paths_exercised;
      else
        cov.paths_unexercised.push_back(r->path);
    }
  return cov;
}

}  // namespace

Result<TrainCheckResult> harden_train_check(const Options& opt, const Progress& progress) {
  TrainCheckResult res;
  if (opt.train.empty() || opt.check.empty())
    return Error("harden: the training and the check workloads go together");
  TrainCheck tc;
  tc.o = &opt;
  tc.service = !opt.service_argv.empty();
  tc.plan = opt.plan;
  // The replay's own bound: the ready wait and the load, with room to stop.
  auto set_bounds = [&](double load_s) {
    tc.plan.load_timeout = load_s;
    tc.run_timeout = std::ceil(load_s + (tc.service ? tc.plan.ready_timeout + 30 : 0));
  };
  set_bounds(opt.load_timeout);

  // 1. training: record each, union.
  behavior::Behavior& b = res.profile;
  uint64_t syscalls_before = 0;
  for (size_t i = 0; i < opt.train.size(); ++i) {
    std::string tag = "train-" + std::to_string(i + 1);
    auto ob = run_workload(tc, How::Record, opt.train[i], tag, nullptr);
    if (!ob.ok()) return std::move(ob).error().context(tag);
    RunOutcome& o = ob->run;
    if (o.interrupted) {
      res.verdict = TrainCheckResult::Verdict::Interrupted;
      res.stop_tag = tag;
      res.stop_signal = o.interrupted;
      return res;
    }
    bool not_ready = tc.service && !o.control.ready;
    if (!not_ready) {
      if (i == 0)
        b = std::move(ob->behavior);
      else
        behavior::merge(b, ob->behavior);
      b.exit_status.reset();
      size_t now = b.syscall_names().size();
      if (i > 0 && now > syscalls_before) o.added_syscalls = now - syscalls_before;
      syscalls_before = now;
    }
    if (progress.trained) progress.trained(o);
    res.trains.push_back(o);
    if (not_ready) {
      res.verdict = TrainCheckResult::Verdict::NotReady;
      res.stop_tag = tag;
      res.stop_message = o.control.message;
      return res;
    }
  }
  b.partial = false;
  b.partial_reason.clear();
  b.command =
      tc.service ? opt.service_argv : std::vector<std::string>{"/bin/sh", "-c", join(opt.train, " ; ")};
  if (opt.gen.companions)
    for (auto& [n, why] : generate::companion_syscalls(b)) res.companions.emplace_back(n, why);
  if (auto w = opt.write_profile(b, &res.notes); !w.ok())
    return std::move(w).error().context("writing " + opt.dir);
  if (progress.profiled) progress.profiled(res);

  // 2. checks: unconfined (recorded, for the reference and the coverage), enforced, complain.
  behavior::Behavior checked;  // union of what the checks did
  for (size_t j = 0; j < opt.check.size(); ++j) {
    std::string tag = "check-" + std::to_string(j + 1);
    CheckOutcome co;
    co.tag = tag;
    co.workload = opt.check[j];
    set_bounds(opt.load_timeout);
    auto ref = run_workload(tc, How::Record, opt.check[j], tag, nullptr);
    if (!ref.ok()) return std::move(ref).error().context(tag);
    // A run blocked by a denial (a wait the unconfined run never needed) must
    // not hang harden: 10 times the unconfined time, at least 10 s, at most the load timeout.
    set_bounds(std::min(opt.load_timeout, std::max(10.0, 10 * ref->run.seconds)));
    if (ref->run.interrupted) {
      res.verdict = TrainCheckResult::Verdict::Interrupted;
      res.stop_tag = tag;
      res.stop_signal = ref->run.interrupted;
      return res;
    }
    co.unconfined = ref->run;
    if (progress.unconfined) progress.unconfined(co.unconfined);
    if (tc.service && !ref->run.control.ready) {
      res.checks.push_back(co);
      res.verdict = TrainCheckResult::Verdict::NotReady;
      res.stop_tag = tag;
      res.stop_message = ref->run.control.message;
      return res;
    }
    if (j == 0)
      checked = ref->behavior;
    else
      behavior::merge(checked, ref->behavior);
    auto enf = run_workload(tc, How::Enforce, opt.check[j], tag, &b);
    if (!enf.ok()) return std::move(enf).error().context(tag + " enforced");
    auto cpl = run_workload(tc, How::Complain, opt.check[j], tag, &b);
    if (!cpl.ok()) return std::move(cpl).error().context(tag + " complain");
    co.enforced = enf->run;
    co.same_exit = enf->run.exit == ref->run.exit;
    co.same_stdout = enf->out == ref->out;
    const std::string& dir = opt.dir;
    size_t out_mismatch = res.mismatches.size();
    if (!co.same_exit || !co.same_stdout)
      res.mismatches.push_back(
          tag +
          (co.same_exit ? ""
                        : ": exit " + exit_str(enf->run.exit) + " instead of " + exit_str(ref->run.exit)) +
          (co.same_stdout ? ""
                          : std::string(co.same_exit ? ":" : ",") + " stdout differs (" + dir + "/" + tag +
                                ".stdout vs " + tag + ".replay.stdout)"));
    const ControlResult& ec = enf->run.control;
    if (tc.service && (!ec.ready || ec.service_died || !ec.stopped))
      res.mismatches.push_back(tag + ": enforced, " +
                               (ec.message.empty() ? "the service failed" : ec.message) + " (service exit " +
                               exit_str(enf->run.service_exit) + "; " + dir + "/" + tag +
                               ".replay.service.stderr)");
    const ComplainFindings& f = cpl->findings;
    for (const auto& [n, ar] : f.syscalls) {
      FalseDenial d = syscall_denial(n, ar);
      d.what = "syscall " + n;
      d.check = tag;
      co.denials.push_back(std::move(d));
    }
    for (const auto& [p, acc] : f.files) {
      FalseDenial d = file_denial(p, acc, f.letters);
      d.what = p + " (" + (d.letters.empty() ? behavior::access_str(acc) : d.letters) + ")";
      d.check = tag;
      co.denials.push_back(std::move(d));
    }
    // A difference with no denial at all is the workload's own: the check ran unconfined, then
    // enforced, then in complain mode, each against the state the earlier runs left (an output that
    // now exists: ssh-keygen -f refuses to overwrite it), or its output is random. Say so, rather
    // than let it read as a confinement failure.
    if (out_mismatch < res.mismatches.size() && co.denials.empty() && cpl->findings.syscalls.empty() &&
        cpl->findings.files.empty())
      res.mismatches[out_mismatch] +=
          "; no denial was recorded in the enforced or the complain run: the check may not repeat itself "
          "(it runs unconfined, then enforced, each against the files the earlier run left; or its output "
          "is random): make it idempotent (remove its outputs first) or print only what repeats";
    res.denials.insert(res.denials.end(), co.denials.begin(), co.denials.end());
    if (progress.checked) progress.checked(co);
    res.checks.push_back(std::move(co));
  }
  // 3. coverage: what of the profile the checks exercised.
  res.coverage = coverage(opt, b, checked);
  res.verdict = res.denials.empty() && res.mismatches.empty() ? TrainCheckResult::Verdict::Passed
                                                              : TrainCheckResult::Verdict::Failed;
  return res;
}

}  // namespace confine::harden
