// The harden library (src/harden/harden.h) without the CLI: typed results, and one
// process running several hardens in a row keeps its own state (descriptors,
// signal mask and dispositions, children, child-subreaper flag).
#include "harden/harden.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "apparmor/run_profile.h"
#include "core/file.h"
#include "harden/replay.h"
#include "sandbox/launcher.h"
#include "seccomp/profile.h"

namespace confine::harden {
namespace {

int fd_count() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  while (readdir(d)) ++n;
  closedir(d);
  return n;
}

// Everything a run could leave changed in this process.
struct ProcessState {
  int fds = 0;
  sigset_t mask;
  std::array<void*, 32> handlers{};
  int subreaper = 0;
  int tasks = 0;
  std::string cwd;
  mode_t umask_v = 0;
  int nice_v = 0;
  cpu_set_t cpus;
  static ProcessState now() {
    ProcessState s;
    s.fds = fd_count();
    sigprocmask(SIG_SETMASK, nullptr, &s.mask);
    for (int sig = 1; sig < 32; ++sig) {
      struct sigaction sa {};
      sigaction(sig, nullptr, &sa);
      s.handlers[sig] = reinterpret_cast<void*>(sa.sa_handler);
    }
    prctl(PR_GET_CHILD_SUBREAPER, &s.subreaper);
    s.tasks = static_cast<int>(std::distance(std::filesystem::directory_iterator("/proc/self/task"),
                                             std::filesystem::directory_iterator{}));
    s.cwd = std::filesystem::current_path().string();
    s.umask_v = umask(022);
    umask(s.umask_v);
    s.nice_v = getpriority(PRIO_PROCESS, 0);
    sched_getaffinity(0, sizeof s.cpus, &s.cpus);
    return s;
  }
};

void expect_same(const ProcessState& a, const ProcessState& b) {
  EXPECT_EQ(a.fds, b.fds) << "descriptors left open";
  for (int sig = 1; sig < 32; ++sig) {
    EXPECT_EQ(sigismember(&a.mask, sig), sigismember(&b.mask, sig)) << "signal mask changed: " << sig;
    EXPECT_EQ(a.handlers[sig], b.handlers[sig]) << "disposition changed: " << sig;
  }
  EXPECT_EQ(a.subreaper, b.subreaper);
  EXPECT_EQ(a.tasks, b.tasks) << "threads left running";
  EXPECT_EQ(a.cwd, b.cwd);
  EXPECT_EQ(a.umask_v, b.umask_v);
  EXPECT_EQ(a.nice_v, b.nice_v) << "priority changed";
  EXPECT_TRUE(CPU_EQUAL(&a.cpus, &b.cpus)) << "CPU affinity changed";
  errno = 0;
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1) << "a child was left behind";
  EXPECT_EQ(errno, ECHILD);
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/confine-harden-test-XXXXXX";
    path = mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// The generator without the CLI's output set: seccomp.json only (no AppArmor profile).
Options seccomp_only(const std::string& work) {
  Options o;
  o.dir = work;
  o.work = work;
  o.apparmor = false;
  o.write_profile = [work, gen = o.gen](const behavior::Behavior& b, std::vector<std::string>*) {
    return file::write_file_atomic(work + "/seccomp.json",
                                   seccomp::format_profile(generate::seccomp_profile(b, gen)));
  };
  return o;
}

bool can_confine() { return geteuid() == 0; }

TEST(HardenLibrary, BatchReplaysStdinAndLeavesNoState) {
  if (!can_confine()) GTEST_SKIP() << "needs root (the recorder and the sandbox as harden runs them in CI)";
  auto before = ProcessState::now();
  for (int i = 0; i < 2; ++i) {  // twice in one process: the second run sees what the first left
    TempDir w;
    StdinCopy in;
    ASSERT_TRUE(stdin_from_bytes(in, "line one\nline two\n").ok());
    Options o = seccomp_only(w.path);
    o.in = &in;
    o.rec.argv = {"/bin/sh", "-c", "echo start; cat; exit 3"};
    int recorded = 0, replayed = 0;
    Progress p;
    p.recorded_run = [&](const RecordRun&) { ++recorded; };
    p.replayed = [&](const ReplayRound&) { ++replayed; };
    auto r = harden_batch(o, p);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(recorded, 1);
    EXPECT_GE(replayed, 1);
    EXPECT_EQ(r->verdict, BatchResult::Verdict::Passed);
    EXPECT_EQ(r->record_exit, 3);
    ASSERT_FALSE(r->rounds.empty());
    EXPECT_EQ(r->rounds.back().exit, 3);
    EXPECT_TRUE(r->rounds.back().same_stdout);
    EXPECT_TRUE(r->rounds.back().denials.empty());
    // The same stdin bytes reached the recording and the replay.
    EXPECT_EQ(*file::read_file(w.path + "/record.stdout"), "start\nline one\nline two\n");
    EXPECT_EQ(*file::read_file(w.path + "/replay.stdout"), "start\nline one\nline two\n");
    EXPECT_GT(r->profile.syscall_names().size(), 5u);
  }
  expect_same(before, ProcessState::now());
}

TEST(HardenLibrary, TrainCheckReportsFalseDenialWithItsFix) {
  if (!can_confine()) GTEST_SKIP() << "needs root (the recorder and the sandbox as harden runs them in CI)";
  auto before = ProcessState::now();
  TempDir w;
  Options o = seccomp_only(w.path);
  std::string d = w.path + "/made";
  o.train = {"echo trained"};
  // mkdir is a syscall the training never made (nor a row of the generalisation table adds).
  o.check = {"echo checked; mkdir " + d + " && echo made"};
  auto r = harden_train_check(o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->verdict, TrainCheckResult::Verdict::Failed);
  ASSERT_EQ(r->trains.size(), 1u);
  EXPECT_EQ(r->trains[0].exit, 0);
  ASSERT_EQ(r->checks.size(), 1u);
  const CheckOutcome& c = r->checks[0];
  EXPECT_EQ(c.tag, "check-1");
  EXPECT_EQ(c.unconfined.exit, 0);
  EXPECT_NE(c.enforced.exit, 0);  // mkdir: EPERM
  EXPECT_FALSE(c.same_exit);
  bool mkdir_found = false;
  for (const auto& den : r->denials)
    if (den.kind == FalseDenial::Kind::Syscall && den.syscall == "mkdir") {
      mkdir_found = true;
      EXPECT_EQ(den.fix, fixing_rule("mkdir", "x86_64"));
      EXPECT_EQ(den.check, "check-1");
    }
  EXPECT_TRUE(mkdir_found);
  EXPECT_FALSE(r->mismatches.empty());
  ASSERT_TRUE(r->coverage.has_value());
  EXPECT_TRUE(r->coverage->syscalls);
  EXPECT_GT(r->coverage->syscalls_allowed, 0u);
  EXPECT_LE(r->coverage->syscalls_exercised, r->coverage->syscalls_allowed);
  EXPECT_FALSE(r->coverage->apparmor);
  expect_same(before, ProcessState::now());
}

TEST(HardenLibrary, ServiceStoppedBySignalEveryRun) {
  if (!can_confine()) GTEST_SKIP() << "needs root (the recorder and the sandbox as harden runs them in CI)";
  auto before = ProcessState::now();
  TempDir w;
  Options o = seccomp_only(w.path);
  // A service that runs until the stop signal (SIGTERM ends sleep: a success). It says it is up
  // in a file the load script reads and removes, so each run's ready probe waits for its own
  // service (a stop signal sent while the sandbox is still being set up is lost: the probe must
  // not pass on a file an earlier run left).
  std::string state = w.path + "/state";
  o.service_argv = {"/bin/sh", "-c",
                    "echo up > " + state + ".t; mv " + state + ".t " + state + "; exec sleep 1000"};
  o.plan.ready = "test -s " + state;
  o.plan.ready_timeout = 30;
  o.train = {"cat " + state + "; rm " + state};
  o.check = {"cat " + state + "; echo checked; rm " + state};
  std::vector<std::string> seen;
  Progress p;
  p.trained = [&](const RunOutcome& r) { seen.push_back(r.tag); };
  p.checked = [&](const CheckOutcome& c) { seen.push_back(c.tag); };
  auto r = harden_train_check(o, p);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(seen, (std::vector<std::string>{"train-1", "check-1"}));
  ASSERT_EQ(r->trains.size(), 1u);
  EXPECT_TRUE(r->trains[0].control.ready);
  EXPECT_EQ(r->trains[0].exit, 0);  // the load script's
  ASSERT_EQ(r->checks.size(), 1u);
  const CheckOutcome& c = r->checks[0];
  EXPECT_EQ(c.unconfined.exit, 0);
  EXPECT_EQ(c.enforced.exit, 0);
  EXPECT_TRUE(c.enforced.control.stopped) << c.enforced.control.message;
  EXPECT_FALSE(c.enforced.control.service_died);
  EXPECT_EQ(c.enforced.service_exit, 128 + SIGTERM);
  EXPECT_TRUE(c.same_stdout);
  EXPECT_EQ(r->verdict, TrainCheckResult::Verdict::Passed) << (r->mismatches.empty() ? "" : r->mismatches[0]);
  EXPECT_EQ(*file::read_file(w.path + "/check-1.replay.stdout"), "up\nchecked\n");
  expect_same(before, ProcessState::now());
}

TEST(HardenLibrary, FixingRules) {
  EXPECT_EQ(fixing_rule("mkdir", "x86_64"),
            "seccomp.json: {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ALLOW\"}");
  EXPECT_EQ(fixing_rule("socketcall", "x86"),
            "seccomp.json: {\"names\": [\"socketcall\"], \"action\": \"SCMP_ACT_ALLOW\"} (arch x86)");
  EXPECT_EQ(fixing_rule("/tmp/a b", behavior::kRead | behavior::kWrite, "rw"),
            "apparmor.profile: \"/tmp/a b\" rw,");
  EXPECT_EQ(fixing_rule("/tmp/l", behavior::kWrite, "l"), "apparmor.profile: /tmp/l l,");
}

// The replay builds the RunConfig `confine run` builds for the same options: same plan.
std::string run_output(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}

TEST(HardenLibrary, ReplayConfigIsConfineRunsConfig) {
  TempDir w;
  std::filesystem::copy_file(std::string(CONFINE_SOURCE_DIR) + "/profiles/runtime-default.json",
                             w.path + "/seccomp.json");
  ASSERT_TRUE(file::write_file_atomic(w.path + "/apparmor.profile",
                                      "profile t {\n  /usr/** r,\n  /tmp/ r,\n  /tmp/** rw,\n}\n")
                  .ok());
  apparmor::RunProfileReport quiet{[](const std::string&) {}, [](const std::string&) {}};
  for (bool complain : {false, true}) {
    ReplaySpec s;
    s.profile_dir = w.path;
    s.complain = complain;
    s.apparmor_complain = complain;
    s.timeout_s = 12;
    s.argv = {"/bin/true"};
    auto c = replay_config(s, quiet, /*dry_run=*/true);
    ASSERT_TRUE(c.ok()) << c.error().message();
    std::string cmd = std::string(CONFINE_BINARY) + " run --dry-run --profile " + w.path + " --timeout 12s" +
                      (complain ? " --mode complain --apparmor-mode complain" : "") +
                      " -- /bin/true 2>/dev/null";
    EXPECT_EQ(sandbox::plan(*c), run_output(cmd)) << (complain ? "complain" : "enforce");
  }
}

}  // namespace
}  // namespace confine::harden
