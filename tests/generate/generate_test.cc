#include "generate/generate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "seccomp/profile.h"
#include "syscalls/syscalls.h"

namespace confine::generate {
namespace {

behavior::Behavior sample() {
  behavior::Behavior b;
  b.command = {"app"};
  for (const char* n : {"read", "write", "openat", "exit_group"}) b.arches[Arch::X86_64][n].count = 1;
  auto& s = b.arches[Arch::X86_64]["socket"];
  s.count = 1;
  s.args["domain"] = {2, 10};
  auto& c = b.arches[Arch::X86_64]["clone3"];
  c.count = 1;
  c.args["ns_flags"] = {0};
  auto& io = b.arches[Arch::X86_64]["ioctl"];
  io.count = 2;
  io.args["request"] = {0x5401};
  b.arches[Arch::X86]["write"].count = 1;
  b.files["/tmp/app/log"] = behavior::kWrite | behavior::kCreate;
  b.files["/etc/passwd"] = behavior::kRead;
  b.files["/dev/null"] = behavior::kWrite;
  b.files["/var/lib/app/db"] = behavior::kWrite;
  b.binds = {"0.0.0.0:80"};
  return b;
}

const seccomp::SyscallRule* find(const seccomp::Profile& p, const std::string& n, bool with_args) {
  for (const auto& r : p.syscalls)
    if (std::find(r.names.begin(), r.names.end(), n) != r.names.end() && r.args.empty() != with_args)
      return &r;
  return nullptr;
}

TEST(Generate, SeccompSensitive) {
  auto p = seccomp_profile(sample());
  EXPECT_EQ(p.default_action, seccomp::ActionKind::Errno);
  EXPECT_EQ(p.default_errno_ret, 1u);
  EXPECT_EQ(p.architectures, (std::vector<Arch>{Arch::X86_64, Arch::X86}));
  ASSERT_TRUE(find(p, "read", false));
  ASSERT_TRUE(find(p, "ioctl", false));  // sensitive leaves ioctl alone
  EXPECT_FALSE(find(p, "socket", false));
  int socket_rules = 0;
  for (const auto& r : p.syscalls)
    if (r.names == std::vector<std::string>{"socket"}) ++socket_rules;
  EXPECT_EQ(socket_rules, 2);
  const auto* clone = find(p, "clone", true);
  ASSERT_TRUE(clone);
  EXPECT_EQ(clone->args[0].op, seccomp::CmpOp::MaskedEq);
  EXPECT_EQ(clone->args[0].value, 0x7E020080u);
  const auto* c3 = find(p, "clone3", false);
  ASSERT_TRUE(c3);
  EXPECT_EQ(c3->action, seccomp::ActionKind::Errno);
  EXPECT_EQ(c3->errno_ret, 38u);
  // The written profile is valid for our own parser (and names sorted).
  std::string text = seccomp::format_profile(p);
  auto back = seccomp::parse_profile_text(text, "gen.json");
  ASSERT_TRUE(back.ok()) << back.error().message();
  auto allowed = allowed_syscalls(*back, Arch::X86_64);
  ASSERT_TRUE(allowed.ok()) << allowed.error().message();
  // clone3 recorded -> futex and exit as companions (slow paths of threads); read, write
  // and openat bring their families; a written file brings fsync/fdatasync/ftruncate,
  // a writer poll/ppoll and raise's gettid/tgkill, an opener getcwd, an opener that writes
  // unlink/unlinkat, a reader lseek (generalisation table).
  EXPECT_EQ(*allowed,
            (std::set<std::string>{"clone",    "exit",    "exit_group", "fdatasync", "fsync",  "ftruncate",
                                   "futex",    "getcwd",  "gettid",     "ioctl",     "lseek",  "open",
                                   "openat",   "poll",    "ppoll",      "pread64",   "preadv", "preadv2",
                                   "pwrite64", "pwritev", "pwritev2",   "read",      "readv",  "socket",
                                   "tgkill",   "unlink",  "unlinkat",   "write",     "writev"}));
}

TEST(Generate, Clone3FallbackEvenWhenOnlyCloneWasSeen) {
  // A VCS recorded on a small tree made no thread; on a bigger one glibc tries
  // clone3 first: it must get ENOSYS (fall back to the filtered clone), not EPERM.
  behavior::Behavior b;
  auto& c = b.arches[Arch::X86_64]["clone"];
  c.count = 1;
  c.args["ns_flags"] = {0};
  auto p = seccomp_profile(b);
  const auto* c3 = find(p, "clone3", false);
  ASSERT_TRUE(c3);
  EXPECT_EQ(c3->action, seccomp::ActionKind::Errno);
  EXPECT_EQ(c3->errno_ret, 38u);
}

// An interpreter that made no thread in the recording (python3 running a script whose check
// input imports concurrent.futures and sqlite3): clone without namespace flags (filtered like a
// recorded clone, clone3 -> ENOSYS), the thread's own calls, epoll, and unlink/fchown of the
// files it writes. A compiled program with the same trace gets none of it.
TEST(Generate, InterpreterRowsAndFilteredClone) {
  behavior::Behavior b;
  for (const char* n : {"execve", "read", "write", "openat", "exit_group"})
    b.arches[Arch::X86_64][n].count = 1;
  b.files["/srv/job/out.json"] = behavior::kWrite | behavior::kCreate;
  b.execs = {"/usr/bin/sort"};
  EXPECT_FALSE(runs_interpreter(b));
  auto none = companion_syscalls(b);
  for (const auto& [n, why] : none)
    for (const char* x : {"clone", "epoll_create1", "fchown"}) EXPECT_NE(n, x) << why;
  EXPECT_FALSE(find(seccomp_profile(b), "clone", true));
  b.execs = {"/bin/sh", "/usr/bin/python3.11"};
  EXPECT_TRUE(runs_interpreter(b));
  std::map<std::string, std::string> comp;
  for (const auto& [n, why] : companion_syscalls(b)) comp[n] = why;
  for (const char* x :
       {"clone", "futex", "exit", "rt_sigprocmask", "epoll_create1", "epoll_wait", "unlink", "fchown"})
    EXPECT_TRUE(comp.count(x)) << x;
  auto p = seccomp_profile(b);
  const auto* c = find(p, "clone", true);
  ASSERT_TRUE(c) << "clone, argument-filtered";
  ASSERT_EQ(c->args.size(), 1u);
  EXPECT_EQ(c->args[0].op, seccomp::CmpOp::MaskedEq);
  EXPECT_EQ(c->args[0].value_two, 0u);
  EXPECT_FALSE(find(p, "clone", false)) << "never clone without its namespace filter";
  const auto* c3 = find(p, "clone3", false);
  ASSERT_TRUE(c3);
  EXPECT_EQ(c3->errno_ret, 38u);
  // strict: nothing of it
  SeccompOptions strict;
  strict.companions = false;
  EXPECT_FALSE(find(seccomp_profile(b, strict), "clone", true));
}

TEST(Generate, CompanionsOnlyForRecordedTriggers) {
  behavior::Behavior b;
  for (const char* n : {"getpid", "exit_group"}) b.arches[Arch::X86_64][n].count = 1;
  EXPECT_TRUE(companion_syscalls(b).empty());
  // dash: wait4 + rt_sigaction -> rt_sigsuspend (the child may still be running),
  // rt_sigreturn (the handler runs only if SIGCHLD arrives in time), and the wait family.
  b.arches[Arch::X86_64]["wait4"].count = 1;
  b.arches[Arch::X86_64]["rt_sigaction"].count = 3;
  auto c = companion_syscalls(b);
  std::set<std::string> names;
  for (const auto& [n, why] : c) {
    names.insert(n);
    EXPECT_FALSE(why.empty());
  }
  // wait4 is restarted in place (-ERESTARTSYS), never through restart_syscall.
  EXPECT_EQ(names, (std::set<std::string>{"rt_sigreturn", "rt_sigsuspend", "waitid", "waitpid"}));
  // Recorded names are never companions, and the option turns them off.
  b.arches[Arch::X86_64]["rt_sigsuspend"].count = 1;
  for (const auto& [n, why] : companion_syscalls(b)) EXPECT_NE(n, "rt_sigsuspend");
  SeccompOptions o;
  o.companions = false;
  auto off = allowed_syscalls(seccomp_profile(b, o), Arch::X86_64);
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->count("rt_sigreturn"));
  auto on = allowed_syscalls(seccomp_profile(b), Arch::X86_64);
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->count("rt_sigreturn"));
  // A file write (not /dev, /proc, /sys) brings the size and sync family.
  behavior::Behavior w;
  w.arches[Arch::X86_64]["write"].count = 1;
  w.files["/dev/null"] = behavior::kWrite;
  names.clear();
  for (const auto& [n, why] : companion_syscalls(w)) names.insert(n);
  EXPECT_FALSE(names.count("fsync"));
  w.files["/var/lib/app/db"] = behavior::kWrite;
  names.clear();
  for (const auto& [n, why] : companion_syscalls(w)) names.insert(n);
  EXPECT_TRUE(names.count("fsync") && names.count("ftruncate") && names.count("fdatasync"));
}

TEST(Generate, GeneralisationTableIsWithinDockersDefault) {
  // Every name the table can add is allowed unconditionally by Docker's default
  // profile on each arch that has it (never a new risk), and every name is a syscall.
  auto docker =
      seccomp::load_profile("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json");
  ASSERT_TRUE(docker.ok()) << "Docker's profile (golang-github-docker-docker-dev, installed by make test): "
                           << docker.error().message();
  for (Arch a : {Arch::X86_64, Arch::X86}) {
    auto d = allowed_syscalls(*docker, a);
    ASSERT_TRUE(d.ok());
    for (const auto& g : generalisation_table()) {
      EXPECT_FALSE(g.why.empty());
      for (const auto& n : g.adds) {
        EXPECT_TRUE(syscall_known_anywhere(n)) << n;
        if (syscall_number(a, n)) {
          EXPECT_TRUE(d->count(n)) << n << " on " << arch_info(a).name << ": " << g.why;
        }
      }
    }
  }
}

TEST(Generate, GeneralisationTableIsDocumented) {
  // docs/generalisation.md lists every row: one line per row whose adds are
  // written as `a, b, c` in the second column, in table order.
  std::ifstream f(std::string(CONFINE_SOURCE_DIR) + "/docs/generalisation.md");
  ASSERT_TRUE(f) << "docs/generalisation.md";
  std::vector<std::string> doc;
  for (std::string line; std::getline(f, line);) {
    if (!line.starts_with("| family") && !line.starts_with("| companion")) continue;
    size_t a = line.find('|', 1), b = line.find('|', a + 1), c = line.find('|', b + 1);
    ASSERT_NE(c, std::string::npos) << line;
    std::string adds = line.substr(a + 1, b - a - 1);
    adds.erase(std::remove(adds.begin(), adds.end(), '`'), adds.end());
    while (!adds.empty() && adds.front() == ' ') adds.erase(0, 1);
    while (!adds.empty() && adds.back() == ' ') adds.pop_back();
    doc.push_back(adds);
  }
  std::vector<std::string> code;
  for (const auto& g : generalisation_table()) {
    std::string s;
    for (const auto& n : g.adds) s += (s.empty() ? "" : ", ") + n;
    code.push_back(s);
  }
  EXPECT_EQ(doc, code);
}

TEST(Generate, SeccompStrictAndNone) {
  SeccompOptions o;
  o.args = ArgMode::Strict;
  auto p = seccomp_profile(sample(), o);
  const auto* io = find(p, "ioctl", true);
  ASSERT_TRUE(io);
  EXPECT_EQ(io->args[0].index, 1);
  EXPECT_EQ(io->args[0].value, 0xffffffffu);
  EXPECT_EQ(io->args[0].value_two, 0x5401u);
  o.args = ArgMode::None;
  o.default_errno = 38;
  o.companions = false;
  auto n = seccomp_profile(sample(), o);
  EXPECT_EQ(n.syscalls.size(), 1u);
  EXPECT_EQ(n.default_errno_ret, 38u);
  EXPECT_FALSE(arg_mode_from_name("loose").ok());
}

TEST(Generate, SecurityContext) {
  auto y = security_context_yaml(sample());
  EXPECT_NE(y.find("allowPrivilegeEscalation: false"), std::string::npos);
  EXPECT_NE(y.find("readOnlyRootFilesystem: true"), std::string::npos);
  EXPECT_NE(y.find("drop: [\"ALL\"]"), std::string::npos);
  EXPECT_NE(y.find("NET_BIND_SERVICE"), std::string::npos);
  EXPECT_NE(y.find("type: Localhost"), std::string::npos);
  EXPECT_EQ(writable_dirs(sample()), (std::vector<std::string>{"/tmp", "/var/lib/app"}));
  EXPECT_NE(y.find("emptyDir: {}"), std::string::npos);
}

TEST(Generate, SyscallTable) {
  auto t = syscall_table(sample());
  EXPECT_NE(t.find("ioctl"), std::string::npos);
  EXPECT_NE(t.find("x86\n"), std::string::npos);
  EXPECT_NE(t.find("errors: not observed"), std::string::npos);
  auto j = syscall_table_json(sample());
  EXPECT_NE(j.find("\"calls\": 2"), std::string::npos);
  EXPECT_EQ(j.find("errnos"), std::string::npos);
  // With errors observed: a per-syscall count, the errno breakdown, the total.
  auto b = sample();
  b.errors_observed = true;
  b.arches[Arch::X86_64]["openat"].count = 10;
  b.arches[Arch::X86_64]["openat"].errors = {{2, 3}, {13, 1}};
  auto te = syscall_table(b);
  EXPECT_NE(te.find("        10        4 openat                   x86_64 ENOENT:3 EACCES:1\n"),
            std::string::npos)
      << te;
  EXPECT_NE(te.find("        4 total"), std::string::npos) << te;
  EXPECT_EQ(te.find("not observed"), std::string::npos);
  auto je = syscall_table_json(b);
  EXPECT_NE(je.find("\"ENOENT\": 3"), std::string::npos) << je;
}

TEST(Generate, ComparesWithDockerDefault) {
  auto d =
      seccomp::load_profile("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json");
  if (!d.ok()) FAIL() << "Docker's default profile not installed (required: see README Set-up; never a skip)";
  auto theirs = allowed_syscalls(*d, Arch::X86_64);
  ASSERT_TRUE(theirs.ok()) << theirs.error().message();
  EXPECT_GT(theirs->size(), 250u);
  EXPECT_TRUE(theirs->count("read"));
  EXPECT_FALSE(theirs->count("kexec_load"));
  auto c = compare("docker", {"read", "write", "nonexistent_call"}, *theirs);
  EXPECT_EQ(c.removed.size(), theirs->size() - 2);
  EXPECT_EQ(c.extra, (std::vector<std::string>{"nonexistent_call"}));
}

}  // namespace
}  // namespace confine::generate

namespace confine::generate {
namespace {
TEST(Generate, OciTargetAddsTheRuntimesOwnSyscallsWithTheirSource) {
  behavior::Behavior b;
  for (const char* n : {"read", "write", "exit_group"}) b.arches[Arch::X86_64][n].count = 1;
  SeccompOptions o;
  o.companions = false;
  auto host = allowed_syscalls(seccomp_profile(b, o), Arch::X86_64);
  o.target = Target::Oci;
  auto oci_p = seccomp_profile(b, o);
  auto oci = allowed_syscalls(oci_p, Arch::X86_64);
  ASSERT_TRUE(host.ok() && oci.ok());
  EXPECT_FALSE(host->count("execve"));
  for (const auto& rs : runtime_post_filter_syscalls()) {
    EXPECT_TRUE(oci->count(rs.name)) << rs.name;
    EXPECT_FALSE(rs.why.empty());
  }
  bool sourced = false;
  for (const auto& r : oci_p.syscalls) sourced = sourced || r.comment.find("runc 1.1") != std::string::npos;
  EXPECT_TRUE(sourced);
  EXPECT_EQ(*target_from_name("oci"), Target::Oci);
  EXPECT_FALSE(target_from_name("docker").ok());
}
}  // namespace
}  // namespace confine::generate
