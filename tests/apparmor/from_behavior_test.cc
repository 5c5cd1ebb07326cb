// Generator: Behavior -> AppArmor profile. The profile is self-contained (no
// include): the same text with and without /etc/apparmor.d; it must pass the
// real validator (apparmor_parser -Q -K) and read back as the same model.
#include "apparmor/from_behavior.h"

#include <linux/landlock.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "apparmor/eval.h"
#include "apparmor/landlock.h"
#include "gtest/gtest.h"

namespace confine::apparmor {
namespace {

void expect_valid(const std::string& text, const std::string& tag) {
  auto again = parse(text, "gen");
  ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << text;
  EXPECT_EQ(format(*again), text) << "format is not a fixed point";
  if (system("command -v apparmor_parser >/dev/null 2>&1") != 0) return;
  std::string out = testing::TempDir() + "/fb-" + tag + "-" + std::to_string(getpid()) + ".profile";
  std::ofstream(out) << text;
  EXPECT_EQ(system(("apparmor_parser -Q -K --base /etc/apparmor.d " + out + " >/dev/null 2>&1").c_str()), 0)
      << text;
  std::filesystem::remove(out);
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos ||
         text.find("\n" + line + " #") != std::string::npos;
}

// The generator resolves each path from its parent's memoized answer and one lstat: the
// answers must be weakly_canonical's, in any order, through symlinks (to directories, to files,
// chained, dangling, relative), trailing slashes on directories, files and missing paths, ".",
// "..", "//" and /proc's magic links.
TEST(AppArmorFromBehavior, CanonicalMemoIsWeaklyCanonical) {
  namespace fs = std::filesystem;
  std::string t = testing::TempDir() + "/canon-" + std::to_string(getpid());
  fs::remove_all(t);
  fs::create_directories(t + "/a/b");
  std::ofstream(t + "/a/f") << "x";
  fs::create_directory_symlink("a", t + "/la");
  fs::create_symlink("la", t + "/lla");
  fs::create_symlink("nowhere", t + "/dangle");
  fs::create_symlink("../a/b", t + "/a/up");
  fs::create_symlink("f", t + "/a/lf");
  std::vector<std::string> tails = {
      "",         "/",         "/a",        "/a/",          "/a/b/",      "/a/f",     "/a/f/",   "/a/f/g",
      "/la",      "/la/",      "/la/b",     "/la/b/",       "/la/b/x/y",  "/lla/b/x", "/lla/f/", "/dangle",
      "/dangle/", "/dangle/x", "/a/up",     "/a/up/z/",     "/a/lf",      "/a/lf/",   "/a/./f",  "/a/../a/f",
      "//a",      "/a/b/..",   "/missing/", "/missing/m/n", "/a/missing/"};
  std::vector<std::string> paths;
  for (const auto& x : tails) paths.push_back(t + x);
  for (const char* p :
       {"/", "/usr/lib/", "/lib/", "/proc/self/exe", "/proc/self/fd/0", "/dev/stdin", "/etc/"})
    paths.push_back(p);
  auto expect = [](const std::string& p) {
    std::error_code ec;
    auto c = fs::weakly_canonical(p, ec);
    return ec ? p : c.string();
  };
  for (int order = 0; order < 2; ++order) {
    auto got = canonical_paths(paths);
    ASSERT_EQ(got.size(), paths.size());
    for (size_t i = 0; i < paths.size(); ++i) EXPECT_EQ(got[i], expect(paths[i])) << paths[i];
    std::reverse(paths.begin(), paths.end());  // children before their parents
  }
  fs::remove_all(t);
}

TEST(AppArmorGlob, Match) {
  EXPECT_TRUE(glob_match("/etc/passwd", "/etc/passwd"));
  EXPECT_FALSE(glob_match("/etc/passwd", "/etc/passwd2"));
  EXPECT_TRUE(glob_match("/usr/lib/*.so", "/usr/lib/libc.so"));
  EXPECT_FALSE(glob_match("/usr/lib/*.so", "/usr/lib/x/libc.so"));  // * stops at '/'
  EXPECT_TRUE(glob_match("/usr/lib/**.so*", "/usr/lib/x/y/libc.so.6"));
  EXPECT_TRUE(glob_match("/usr/share/**/locale/**", "/usr/share/a/b/locale/x.mo"));
  EXPECT_TRUE(glob_match("/tmp/**", "/tmp/a/b"));
  EXPECT_FALSE(glob_match("/tmp/**", "/tmp/"));  // trailing ** after '/' needs one char
  EXPECT_FALSE(glob_match("/tmp/*", "/tmp/"));
  EXPECT_TRUE(glob_match("/tmp/", "/tmp/"));
  EXPECT_FALSE(glob_match("/tmp/", "/tmp"));
  EXPECT_TRUE(glob_match("/dev/tty?", "/dev/tty1"));
  EXPECT_FALSE(glob_match("/dev/tty?", "/dev/tty/"));
  EXPECT_TRUE(glob_match("/proc/[1-9][0-9]/maps", "/proc/42/maps"));
  EXPECT_FALSE(glob_match("/proc/[1-9][0-9]/maps", "/proc/04/maps"));
  EXPECT_TRUE(glob_match("/x/[^a]b", "/x/cb"));
  EXPECT_FALSE(glob_match("/x/[^a]b", "/x/ab"));
  EXPECT_TRUE(glob_match("/a\\*b", "/a*b"));
  EXPECT_FALSE(glob_match("/a\\*b", "/axb"));
  EXPECT_FALSE(glob_match("/x/[ab", "/x/a"));  // malformed class: no match, no crash
  // pathological pattern: bounded work
  EXPECT_FALSE(glob_match("/**a**a**a**a**a**a**a**a**b", "/" + std::string(200, 'a')));
}

TEST(AppArmorGlob, TempNames) {
  EXPECT_EQ(temp_glob("tmp.Ab3dE6fGh1"), "tmp.*");
  EXPECT_EQ(temp_glob("pymp-k2j3h4g5"), "pymp-*");
  EXPECT_EQ(temp_glob("tmpk2j3_h4g"), "tmp*");
  EXPECT_EQ(temp_glob("out-17.txt"), "out-[0-9]*.txt");
  EXPECT_EQ(temp_glob("data.tgz"), "data.tgz");
  EXPECT_EQ(temp_glob("report"), "report");
  EXPECT_EQ(temp_glob("a[1]"), "a\\[1\\]");
  // gpg's lock files: an address and the pid (one digit in a sandbox's pid namespace)
  EXPECT_EQ(temp_glob(".#lk0x000055d7cf3df4f0.confine.3"), ".#*.confine.[0-9]*");
  EXPECT_EQ(temp_glob("log.1"), "log.[0-9]*");
  EXPECT_EQ(temp_glob("7"), "7");  // a whole name that is a number stays exact
}

// A unix socket bound (s) or a fifo made (p) keeps its own rule, marked with the kind the
// Landlock translation grants (row created-node); the data-dir row covers the regular files
// beside it only.
TEST(AppArmorFromBehavior, SocketsAndFifosKeepTheirRuleAndKind) {
  behavior::Behavior b;
  b.command = {"/usr/bin/redis-server"};
  b.files["/srv/app/data/in.txt"] = behavior::kRead;
  b.files["/srv/app/data/out.txt"] = behavior::kWrite | behavior::kCreate;
  b.files["/srv/app/data/redis.sock"] = behavior::kCreate | behavior::kSocket | behavior::kUnlink;
  b.files["/srv/app/data/q.fifo"] = behavior::kCreate | behavior::kFifo | behavior::kRead;
  b.connects.insert("unix:/srv/app/data/peer.sock");  // connect: w on the socket, no mark
  GenerateOptions o;
  o.name = "sock";
  o.canonicalize = false;
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_NE(t.find("  /srv/app/data/redis.sock w, # [created: unix socket]\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  /srv/app/data/q.fifo rw, # [created: fifo]\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  /srv/app/data/* w,"), std::string::npos) << t;   // row data-dir, written
  EXPECT_NE(t.find("  /srv/app/data/** r,"), std::string::npos) << t;  // row data-dir, read (its tree)
  EXPECT_NE(t.find("  /srv/app/data/peer.sock w, # connected unix socket\n"), std::string::npos) << t;
  expect_valid(t, "sock");
}

TEST(AppArmorFromBehavior, SelfContainedEveryAccessItsOwnRule) {
  behavior::Behavior b;
  b.command = {"/usr/bin/true"};
  b.files["/etc/ld.so.cache"] = behavior::kRead;
  b.files["/usr/share/zoneinfo/UTC"] = behavior::kRead;
  b.files["/etc/passwd"] = behavior::kRead;
  b.files["/etc/hostname"] = behavior::kRead;
  b.files["/etc/ld.so.preload"] = behavior::kRead | behavior::kWrite;
  b.files["/dev/null"] = behavior::kRead | behavior::kWrite;
  GenerateOptions o;
  o.name = "cov";
  o.canonicalize = false;
  o.generalise = false;  // --tightness strict: the exact trace
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_EQ(t.find("include <"), std::string::npos) << t;  // no tunables, no abstractions
  EXPECT_EQ(t.find("@{"), std::string::npos) << t;         // no variable used: none defined
  EXPECT_TRUE(has_line(t, "  /etc/ld.so.cache r,")) << t;
  EXPECT_TRUE(has_line(t, "  /usr/share/zoneinfo/UTC r,")) << t;
  EXPECT_TRUE(has_line(t, "  /etc/passwd r,")) << t;
  EXPECT_TRUE(has_line(t, "  /etc/hostname r,")) << t;
  EXPECT_TRUE(has_line(t, "  /etc/ld.so.preload rw,")) << t;
  EXPECT_TRUE(has_line(t, "  /dev/null rw,")) << t;
  // nothing else: 6 file rules, no generalisation used
  size_t rules = 0;
  for (size_t p = t.find("\n  /"); p != std::string::npos; p = t.find("\n  /", p + 1)) ++rules;
  EXPECT_EQ(rules, 6u) << t;
  EXPECT_EQ(t.find("# - generalisation"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "profile cov /usr/bin/true {")) << t;
  expect_valid(t, "cov");
}

// The text in a child whose /etc/apparmor.d is an empty tmpfs (a host without AppArmor).
std::string generate_without_apparmor_d(const behavior::Behavior& b, const GenerateOptions& o) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int flags = CLONE_NEWNS | (geteuid() == 0 ? 0 : CLONE_NEWUSER);
    if (unshare(flags) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount("none", "/etc/apparmor.d", "tmpfs", 0, nullptr) != 0) {
      (void)!write(fds[1], "setup failed", 12);
      _exit(1);
    }
    if (std::filesystem::exists("/etc/apparmor.d/tunables")) _exit(2);
    auto f = from_behavior(b, o, nullptr);
    std::string t = f.ok() ? format(*f) : "error: " + f.error().message();
    (void)!write(fds[1], t.data(), t.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return out;
}

TEST(AppArmorFromBehavior, SameProfileWithAndWithoutEtcApparmorD) {
  ASSERT_TRUE(std::filesystem::is_directory("/etc/apparmor.d"))
      << "this test hides the host's /etc/apparmor.d; the build machine installs apparmor";
  behavior::Behavior b;
  b.command = {"sh", "-c", "x"};
  b.execs = {"/bin/sh", "/usr/bin/cat"};
  b.files["/usr/bin/cat"] = behavior::kExec;
  b.files["/etc/ld.so.cache"] = behavior::kRead;
  b.files["/proc/self/status"] = behavior::kRead;
  b.files["/etc/passwd"] = behavior::kRead;
  b.files["/tmp/tmp.Ab3dE6fGh1"] = behavior::kCreate | behavior::kWrite;
  GenerateOptions o;
  o.name = "same";
  auto f = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string with = format(*f);
  std::string without = generate_without_apparmor_d(b, o);
  EXPECT_EQ(with, without);
  EXPECT_EQ(with.find("include <"), std::string::npos) << with;
  EXPECT_NE(with.find("@{pid} = {"), std::string::npos) << with;  // its own definition
  expect_valid(with, "same");
}

// No generalisation under /, /root, /home, /dev, /etc: the exact recorded paths only.
TEST(AppArmorFromBehavior, NeverGeneralisedUnderHomeRootDevEtc) {
  behavior::Behavior b;
  b.files["/root/tmp.Ab3dE6fGh1"] = behavior::kCreate | behavior::kWrite;
  b.files["/home/u/pymp-k2j3h4g5"] = behavior::kCreate;
  b.files["/home/u/pymp-k2j3h4g5/a.txt"] = behavior::kCreate | behavior::kWrite;
  b.files["/dev/shm/sem.Ab3dE6fGh1"] = behavior::kCreate | behavior::kWrite;
  b.files["/etc/app/tmpk2j3_h4g"] = behavior::kCreate | behavior::kWrite;
  b.files["/out-17.txt"] = behavior::kCreate | behavior::kWrite;
  for (int i = 0; i < 6; ++i) b.files["/home/u/lib/m" + std::to_string(i) + ".py"] = behavior::kRead;
  GenerateOptions o;
  o.name = "exact";
  o.canonicalize = false;
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(has_line(t, "  /root/tmp.Ab3dE6fGh1 w,")) << t;
  EXPECT_TRUE(has_line(t, "  /home/u/pymp-k2j3h4g5/a.txt w,")) << t;
  EXPECT_TRUE(has_line(t, "  /dev/shm/sem.Ab3dE6fGh1 w,")) << t;
  EXPECT_TRUE(has_line(t, "  /etc/app/tmpk2j3_h4g w,")) << t;
  EXPECT_TRUE(has_line(t, "  /out-17.txt w,")) << t;
  EXPECT_TRUE(has_line(t, "  /home/u/lib/m0.py r,")) << t;
  for (const char* glob : {"*", "**", "[0-9]"})
    EXPECT_EQ(t.find(glob), std::string::npos) << glob << "\n" << t;
  EXPECT_EQ(t.find("# - generalisation"), std::string::npos) << t;
  expect_valid(t, "exact");
}

// A program's own dot-directory of a home: its lock files' names (an address, the host, the pid)
// get a glob; the home itself stays exact.
TEST(AppArmorFromBehavior, TempGlobsInAHomeDotDirectory) {
  behavior::Behavior b;
  b.files["/root/.gnupg/.#lk0x0000563287b274f0.confine.3"] = behavior::kCreate | behavior::kWrite;
  b.files["/home/u/.cache/app/tmpk2j3_h4g"] = behavior::kCreate | behavior::kWrite;
  b.files["/root/tmp.Ab3dE6fGh1"] = behavior::kCreate | behavior::kWrite;
  b.files["/home/u/..x/tmp.Ab3dE6fGh1"] = behavior::kCreate | behavior::kWrite;
  GenerateOptions o;
  o.name = "home";
  o.canonicalize = false;
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(has_line(t, "  \"/root/.gnupg/.#*.*.[0-9]*\" w,")) << t;
  EXPECT_TRUE(has_line(t, "  /home/u/.cache/app/tmp* w,")) << t;
  EXPECT_TRUE(has_line(t, "  /root/tmp.Ab3dE6fGh1 w,")) << t;
  EXPECT_TRUE(has_line(t, "  /home/u/..x/tmp.Ab3dE6fGh1 w,")) << t;
  expect_valid(t, "home");
}

TEST(AppArmorFromBehavior, ProcPidAndTempGlobs) {
  behavior::Behavior b;
  b.files["/proc/1234/status"] = behavior::kRead;
  b.files["/proc/1234/environ"] = behavior::kRead;
  b.files["/proc/self/mountinfo"] = behavior::kRead;
  b.files["/proc/77/task/78/comm"] = behavior::kRead | behavior::kWrite;
  b.files["/proc/thread-self/attr/current"] = behavior::kRead;
  b.files["/proc/sys/kernel/hostname"] = behavior::kRead;  // not a pid: literal
  b.files["/proc/4321/fd"] = behavior::kRead;              // a directory (opendir): "fd/"
  b.files["/dev/stdout"] = behavior::kWrite;               // inherited: dropped
  b.files["/var/cache/app/tmp.Ab3dE6fGh1"] = behavior::kCreate | behavior::kWrite | behavior::kUnlink;
  GenerateOptions o;
  o.name = "procs";
  o.canonicalize = false;
  o.generalise = false;  // strict keeps proc-pid and temp-name (a pid, a random name never repeats)
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(has_line(t, "  owner /proc/@{pid}/environ r,")) << t;
  EXPECT_TRUE(has_line(t, "  owner /proc/@{pid}/mountinfo r,")) << t;
  // comm: no owner (a service that dropped privileges is not dumpable: root owns its /proc files)
  EXPECT_TRUE(has_line(t, "  /proc/@{pid}/task/@{tid}/comm rw,")) << t;
  EXPECT_TRUE(has_line(t, "  owner /proc/@{pid}/task/@{tid}/attr/current r,")) << t;
  EXPECT_TRUE(has_line(t, "  owner /proc/@{pid}/status r,")) << t;
  EXPECT_TRUE(has_line(t, "  /proc/sys/kernel/hostname r,")) << t;
  // AppArmor checks a directory as "path/": without the slash the rule would never match.
  EXPECT_TRUE(has_line(t, "  owner /proc/@{pid}/fd/ r,")) << t;
  EXPECT_EQ(t.find("  /dev/stdout"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "  /var/cache/app/tmp.* w,")) << t;
  EXPECT_EQ(t.find("include <"), std::string::npos) << t;
  // its own definitions of the variables it uses, and the rows it used, named
  EXPECT_TRUE(
      has_line(t,
               "@{pid} = {[1-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9],"
               "[1-9][0-9][0-9][0-9][0-9][0-9],[1-9][0-9][0-9][0-9][0-9][0-9][0-9]}"))
      << t;
  EXPECT_NE(t.find("# - generalisation proc-pid:"), std::string::npos) << t;
  EXPECT_NE(t.find("# - generalisation temp-name:"), std::string::npos) << t;
  expect_valid(t, "procs");
}

// Row cgroup-root: node reads memory.limit_in_bytes where /proc/self/cgroup names its cgroup;
// recorded on the host that is a deep path, under confine run (a cgroup namespace) and in a
// container the hierarchy's root. The same file name at the root, read only; nothing else.
TEST(AppArmorFromBehavior, CgroupFilesAlsoAtTheHierarchyRoot) {
  EXPECT_EQ(cgroup_root_file("/sys/fs/cgroup/memory/process_api/d01e/memory.limit_in_bytes"),
            "/sys/fs/cgroup/memory/memory.limit_in_bytes");
  EXPECT_EQ(cgroup_root_file("/sys/fs/cgroup/cpu,cpuacct/a/cpu.cfs_quota_us"),
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us");
  EXPECT_EQ(cgroup_root_file("/sys/fs/cgroup/user.slice/user-0.slice/memory.max"),
            "/sys/fs/cgroup/memory.max");
  EXPECT_EQ(cgroup_root_file("/sys/fs/cgroup/unified/a/memory.max"), "/sys/fs/cgroup/unified/memory.max");
  EXPECT_EQ(cgroup_root_file("/sys/fs/cgroup/memory/memory.limit_in_bytes"), "");  // already at the root
  EXPECT_EQ(cgroup_root_file("/sys/fs/cgroup/memory.max"), "");
  EXPECT_EQ(cgroup_root_file("/sys/fs/cgroup/a/b/../memory.max"), "");
  EXPECT_EQ(cgroup_root_file("/sys/fs/cgroup/a/tasks"), "");  // not an interface file with a dot
  EXPECT_EQ(cgroup_root_file("/sys/kernel/mm/a/b.c"), "");
  EXPECT_EQ(cgroup_root_file("/proc/self/cgroup"), "");
  behavior::Behavior b;
  b.files["/sys/fs/cgroup/memory/process_api/d01e/memory.limit_in_bytes"] = behavior::kRead;
  b.files["/sys/fs/cgroup/system.slice/x.service/cpu.max"] = behavior::kRead;
  GenerateOptions o;
  o.name = "cg";
  o.canonicalize = false;
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(has_line(t, "  /sys/fs/cgroup/memory/process_api/d01e/memory.limit_in_bytes r,")) << t;
  EXPECT_NE(t.find("  /sys/fs/cgroup/memory/memory.limit_in_bytes r,"), std::string::npos) << t;
  EXPECT_NE(t.find("  /sys/fs/cgroup/cpu.max r,"), std::string::npos) << t;
  EXPECT_EQ(t.find("/sys/fs/cgroup/** "), std::string::npos) << t;
  EXPECT_NE(t.find("# - generalisation cgroup-root:"), std::string::npos) << t;
  expect_valid(t, "cg");
  o.generalise = false;  // strict: the exact trace
  auto s = from_behavior(b, o, &notes);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(format(*s).find("/sys/fs/cgroup/memory/memory.limit_in_bytes"), std::string::npos);
}

TEST(AppArmorFromBehavior, CreatedDirectoriesAndLibraryDirs) {
  namespace fs = std::filesystem;
  std::string base = fs::current_path().string();
  if (base.starts_with("/root") || base.starts_with("/home")) base = "/var/lib";  // no generalisation there
  std::string root = base + "/confine-fbdir-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(root + "/pymp-k2j3h4g5/sub", ec);
  if (ec) GTEST_SKIP() << "cannot create " << root << ": " << ec.message();
  std::ofstream(root + "/pymp-k2j3h4g5/a.txt") << "x";
  fs::create_directories(root + "/share");
  std::vector<std::string> data;
  for (int i = 0; i < 5; ++i) {
    data.push_back(root + "/share/f" + std::to_string(i) + ".py");
    std::ofstream(data.back()) << "x";
  }
  behavior::Behavior b;
  b.files[root + "/pymp-k2j3h4g5"] = behavior::kCreate;
  b.files[root + "/pymp-k2j3h4g5/a.txt"] = behavior::kCreate | behavior::kWrite;
  b.files[root + "/pymp-k2j3h4g5/sub"] = behavior::kCreate;
  for (const auto& d : data) b.files[d] = behavior::kRead;
  b.files["/usr/lib/x86_64-linux-gnu/libc.so.6"] = behavior::kRead;  // its own rule
  b.files[root + "/gone-never-existed.so"] = behavior::kRead;        // failed lookup: no rule
  b.files[root] = behavior::kCreate;    // mkdir -p's EEXIST on a directory with pre-existing files: no rule
  b.files["/usr"] = behavior::kCreate;  // same, well-known directory
  b.files[root + "/Cu1kaubW"] = behavior::kWrite;  // written and gone (ln -sf's temporary): created
  GenerateOptions o;
  o.name = "dirs";
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  std::string canon = fs::canonical(root).string();
  EXPECT_TRUE(has_line(t, "  " + canon + "/pymp-*/ rw,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/pymp-*/** rw,")) << t;
  EXPECT_EQ(t.find("a.txt"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/share/** r,")) << t;  // 5 modules in one dir
  EXPECT_EQ(t.find("f0.py"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "  /usr/lib/x86_64-linux-gnu/** mr,")) << t;  // row system-libraries
  EXPECT_EQ(t.find("gone-never-existed"), std::string::npos) << t;
  EXPECT_EQ(t.find("  " + canon + "/ "), std::string::npos) << t;
  EXPECT_EQ(t.find("  /usr/ "), std::string::npos) << t;
  EXPECT_NE(t.find("mkdir of existing directories"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/* w,")) << t;  // row data-dir
  expect_valid(t, "dirs");
  // --tightness strict: one rule each
  o.generalise = false;
  auto g = from_behavior(b, o, nullptr);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(has_line(format(*g), "  " + canon + "/share/f0.py r,")) << format(*g);
  fs::remove_all(root);
}

TEST(AppArmorFromBehavior, ExecNetworkCapsModeDeterminism) {
  behavior::Behavior b;
  b.command = {"sh", "-c", "x"};
  b.execs = {"/bin/sh", "/usr/bin/cat"};
  b.files["/usr/bin/cat"] = behavior::kExec;
  b.files["relative"] = behavior::kRead;
  b.files["/srv/new\nline"] = behavior::kRead;    // cannot be a rule: left out, noted
  b.files["/srv/@{HOME}x"] = behavior::kRead;     // would be a variable: left out, noted
  b.files["/srv/quote\"d,#x"] = behavior::kRead;  // escaped and quoted
  b.files["/srv/out [1]*.log"] = behavior::kWrite | behavior::kCreate;
  auto& sock = b.arches[Arch::X86_64]["socket"];
  sock.count = 2;
  sock.args["domain"] = {2};         // AF_INET
  sock.args["type"] = {1, 0x80002};  // SOCK_STREAM, SOCK_DGRAM|SOCK_CLOEXEC
  auto& sp = b.arches[Arch::X86_64]["socketpair"];
  sp.args["domain"] = {1};
  sp.args["type"] = {1};
  b.net_families = {"AF_INET", "AF_UNIX", "AF_NETLINK", "AF_999"};
  b.binds = {"0.0.0.0:80"};
  GenerateOptions o;
  o.name = "gen-test";
  o.mode = GenerateOptions::Mode::Complain;
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  std::string sh = std::filesystem::canonical("/bin/sh").string();
  // A shell is not an attachment: it would confine every script on the host (note says how to attach).
  EXPECT_TRUE(has_line(t, "profile gen-test flags=(complain) {")) << t;
  EXPECT_TRUE(std::any_of(notes.begin(), notes.end(), [](const std::string& n) {
    return n.starts_with("no attachment: ") && n.find("a shell") != std::string::npos;
  }));
  EXPECT_TRUE(has_line(t, "  /usr/bin/cat mrix,")) << t;
  EXPECT_NE(t.find("  " + sh + " mrix,"), std::string::npos) << t;
  // the ELF loader of the executed programs
  EXPECT_NE(t.find("ld-linux"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "  network inet dgram,")) << t;
  EXPECT_TRUE(has_line(t, "  network inet stream,")) << t;
  EXPECT_TRUE(has_line(t, "  network unix stream,")) << t;
  EXPECT_TRUE(has_line(t, "  network netlink,")) << t;  // family seen without socket args
  EXPECT_EQ(t.find("network inet,"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "  capability net_bind_service,")) << t;
  EXPECT_NE(t.find("\"/srv/out \\[1\\]\\*.log\" w,"), std::string::npos) << t;
  EXPECT_EQ(t.find("relative"), std::string::npos) << t;
  bool noted_999 = false, noted_rel = false;
  for (const auto& n : notes) {
    noted_999 |= n.find("999") != std::string::npos;
    noted_rel |= n.find("relative") != std::string::npos;
  }
  EXPECT_TRUE(noted_999 && noted_rel);
  expect_valid(t, "exec");
  // deterministic
  auto f2 = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f2.ok());
  EXPECT_EQ(format(*f2), t);
  // old signature: enforce mode, default options
  auto old = from_behavior(b, "gen-old", nullptr);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(format(*old).find("complain"), std::string::npos);
  EXPECT_FALSE(from_behavior(b, "bad name", nullptr).ok());
  EXPECT_FALSE(mode_from_name("strict").ok());
}

}  // namespace
}  // namespace confine::apparmor

namespace confine::apparmor {
namespace {

// docs/generalisation.md, "Path side": one line per row of path_generalisation_table()
// (| kind | id | grants | when | reason | strict |) and per row of the Landlock
// translation's table (| landlock | id | reason |), in table order.
TEST(AppArmorFromBehavior, PathTablesAreDocumented) {
  std::ifstream f(std::string(CONFINE_SOURCE_DIR) + "/docs/generalisation.md");
  ASSERT_TRUE(f) << "docs/generalisation.md";
  std::vector<std::string> doc, code;
  for (std::string line; std::getline(f, line);)
    for (const char* k : {"| hierarchy |", "| data |", "| name |", "| config |", "| exec |", "| lock |",
                          "| link |", "| signal |", "| never |", "| landlock |"})
      if (line.starts_with(k)) doc.push_back(line);
  for (const auto& r : path_generalisation_table())
    code.push_back(std::string("| ") + r.kind + " | `" + r.id + "` | " + r.grants + " | " + r.when + " | " +
                   r.reason + " | " + (r.strict ? "yes" : "no") + " |");
  for (const auto& r : landlock_widening_table())
    code.push_back(std::string("| landlock | `") + r.id + "` | " + r.reason + " |");
  std::string want;
  for (const auto& l : code) want += l + "\n";
  EXPECT_EQ(doc, code) << "the rows, as docs/generalisation.md must list them:\n" << want;
}

}  // namespace
}  // namespace confine::apparmor

namespace confine::apparmor {
namespace {

// What AppArmor (its own semantics, src/apparmor/eval.h) decides for `path` under `text`.
bool aa_allows(const std::string& text, const std::string& path, uint16_t req, bool dir = false) {
  auto f = parse(text, "gen");
  if (!f.ok()) return false;
  auto r = resolve(std::move(*f), ".", {});
  if (!r.ok()) return false;
  auto ps = profiles(r->main);
  if (ps.empty()) return false;
  auto e = Evaluator::build(*r, *ps[0]);
  if (!e.ok()) return false;
  Query q;
  q.path = path;
  q.directory = dir;
  q.requested = req;
  return e->check(q).allowed;
}

// git init + commit: the run creates .git and its object directories, links objects to their
// names and tries to unlink names that were never there (MERGE_HEAD: ENOENT). Those unlinks are
// no evidence that .git existed before (mkdir -p's EEXIST): .git is a created directory, the
// other hashes' directories are covered, and a directory that held a file the run did not
// create stays an EEXIST mkdir.
TEST(AppArmorFromBehavior, CreatedDirWithFailedUnlinksIsNotEexist) {
  namespace fs = std::filesystem;
  std::string base = fs::current_path().string();
  if (base.starts_with("/root") || base.starts_with("/home") || base.starts_with("/tmp")) base = "/var/lib";
  std::string root = base + "/confine-gitdirs-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(root + "/repo/.git/objects/1e", ec);
  if (ec) GTEST_SKIP() << "cannot create " << root << ": " << ec.message();
  fs::create_directories(root + "/pre");
  std::ofstream(root + "/repo/.git/objects/1e/2a52") << "x";
  std::ofstream(root + "/repo/.git/HEAD") << "x";
  std::ofstream(root + "/repo/f.txt") << "x";
  std::ofstream(root + "/pre/old.txt") << "x";
  std::ofstream(root + "/pre/new.txt") << "x";
  behavior::Behavior b;
  b.arches[Arch::X86_64]["linkat"];
  b.files[root + "/repo/f.txt"] = behavior::kRead;
  b.files[root + "/repo/.git"] = behavior::kCreate;
  b.files[root + "/repo/.git/HEAD"] = behavior::kCreate | behavior::kWrite;
  b.files[root + "/repo/.git/MERGE_HEAD"] = behavior::kUnlink;  // ENOENT: never there
  b.files[root + "/repo/.git/objects/info/commit-graph-chain"] = behavior::kRead | behavior::kUnlink;  // same
  b.files[root + "/repo/.git/objects"] = behavior::kCreate;
  b.files[root + "/repo/.git/objects/1e"] = behavior::kCreate;
  b.files[root + "/repo/.git/objects/1e/tmp_obj_NzaefE"] =
      behavior::kCreate | behavior::kWrite | behavior::kUnlink;
  b.files[root + "/repo/.git/objects/1e/2a52"] = behavior::kCreate | behavior::kRead;
  b.files[root + "/pre"] = behavior::kCreate;  // mkdir -p of a directory with a file the run did not create
  b.files[root + "/pre/old.txt"] = behavior::kRead;
  b.files[root + "/pre/new.txt"] = behavior::kCreate | behavior::kWrite;
  GenerateOptions o;
  o.name = "git";
  auto f = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  std::string canon = fs::canonical(root).string();
  EXPECT_TRUE(has_line(t, "  " + canon + "/repo/.git/ rw,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/repo/.git/** rwl,")) << t;
  size_t eexist = t.find("mkdir of existing directories");
  ASSERT_NE(eexist, std::string::npos) << t;
  std::string line = t.substr(eexist, t.find('\n', eexist) - eexist);
  EXPECT_NE(line.find(canon + "/pre/"), std::string::npos) << line;
  EXPECT_EQ(line.find(".git"), std::string::npos) << line;
  EXPECT_FALSE(has_line(t, "  " + canon + "/pre/** rw,")) << t;
  const uint16_t W = kPermWrite;
  EXPECT_TRUE(aa_allows(t, canon + "/repo/.git/objects/9f/0be2d5", W)) << "other hashes";
  EXPECT_FALSE(aa_allows(t, canon + "/repo/g.txt", W)) << "beside the created directory";
  EXPECT_FALSE(aa_allows(t, canon + "/pre/", W)) << "an EEXIST directory is not owned (not removable)";
  EXPECT_FALSE(has_line(t, "  " + canon + "/pre/ rw,")) << t;
  expect_valid(t, "git");
  fs::remove_all(root);
}

// The path rows: a data directory read -> DIR/** r, one written -> DIR/* w, a walked tree ->
// DIR/** r, system hierarchies by rule; near misses (a sibling directory, a write into a
// directory only read, a file of a data directory's parent, a sub-directory of a directory only
// written, /etc) stay denied;
// --tightness strict keeps the exact paths.
TEST(AppArmorFromBehavior, PathRowsDataDirsAndHierarchies) {
  namespace fs = std::filesystem;
  std::string base = fs::current_path().string();
  if (base.starts_with("/root") || base.starts_with("/home") || base.starts_with("/tmp"))
    base = "/var/lib";  // a directory the data rows may cover
  std::string root = base + "/confine-pathrows-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(root + "/data/in/sub", ec);
  if (ec) GTEST_SKIP() << "cannot create " << root << ": " << ec.message();
  fs::create_directories(root + "/data/out");
  fs::create_directories(root + "/data/tree/x");
  fs::create_directories(root + "/sib");
  fs::create_directories(root + "/job/in/deep");
  fs::create_directories(root + "/job/other");
  fs::create_directories(root + "/.cfg");
  for (const char* f : {"/data/in/a.txt", "/data/in/b.txt", "/data/out/r.txt", "/data/tree/x/y.txt",
                        "/data/tree/z.txt", "/sib/secret", "/.cfg/key", "/job/run.sh", "/job/in/a.txt",
                        "/job/in/deep/b.txt", "/job/other/secret"})
    std::ofstream(root + f) << "x";
  std::string canon = fs::canonical(root).string();
  behavior::Behavior b;
  b.files[root + "/data/in/a.txt"] = behavior::kRead;
  b.files[root + "/data/out/r.txt"] = behavior::kWrite | behavior::kCreate;
  b.files[root + "/data/tree"] = behavior::kRead;  // listed
  b.files[root + "/data/tree/x"] = behavior::kRead;
  b.files[root + "/data/tree/x/y.txt"] = behavior::kRead;
  b.files[root + "/.cfg/key"] = behavior::kRead;    // a dot-directory: exact
  b.files[root + "/job/run.sh"] = behavior::kRead;  // a script beside its data directory: a container
  b.files[root + "/job/in/a.txt"] = behavior::kRead;
  b.files["/usr/include/stdio.h"] = behavior::kRead;
  b.files["/usr/share/zoneinfo/UTC"] = behavior::kRead;
  b.files["/etc/passwd"] = behavior::kRead;
  b.files["/etc/hostname"] = behavior::kRead;
  b.files["/var/tmp"] = behavior::kRead;  // a shared directory listed: exact
  GenerateOptions o;
  o.name = "rows";
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(has_line(t, "  " + canon + "/data/in/** r,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/data/out/* w,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/data/out/[^.]*/** w,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/data/tree/** r,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/.cfg/key r,")) << t;
  EXPECT_TRUE(has_line(t, "  /usr/include/** r,")) << t;
  EXPECT_TRUE(has_line(t, "  /usr/share/zoneinfo/** r,")) << t;
  EXPECT_TRUE(has_line(t, "  /etc/passwd r,")) << t;
  EXPECT_TRUE(has_line(t, "  /var/tmp/ r,")) << t;
  EXPECT_NE(t.find("# - generalisation data-dir:"), std::string::npos) << t;
  EXPECT_NE(t.find("# - generalisation system-headers:"), std::string::npos) << t;
  bool printed = false;
  for (const auto& n : notes) printed |= n.starts_with("generalised: /usr/include/** r (row system-headers:");
  EXPECT_TRUE(printed) << "every widening is a note";
  expect_valid(t, "rows");
  const uint16_t R = kPermRead, W = kPermWrite;
  // other inputs: other files of the same directories, other headers
  EXPECT_TRUE(aa_allows(t, canon + "/data/in/c.txt", R));
  EXPECT_TRUE(aa_allows(t, canon + "/data/in/sub/f.txt", R)) << "reads: a sub-directory of a data directory";
  EXPECT_TRUE(aa_allows(t, canon + "/data/out/other.txt", W));
  EXPECT_TRUE(aa_allows(t, canon + "/data/tree/q/r/s.txt", R));
  EXPECT_TRUE(aa_allows(t, "/usr/include/zlib.h", R));
  EXPECT_TRUE(aa_allows(t, "/usr/include/x86_64-linux-gnu/sys/types.h", R));
  // near misses
  EXPECT_FALSE(aa_allows(t, canon + "/sib/secret", R)) << "a sibling directory of the data directory";
  EXPECT_FALSE(aa_allows(t, canon + "/data/in/new.txt", W)) << "a write into a directory only read";
  EXPECT_FALSE(aa_allows(t, canon + "/data/tree/z.txt", W)) << "a write into a tree only read";
  EXPECT_FALSE(aa_allows(t, canon + "/data/new.txt", W)) << "a write outside the directories written";
  EXPECT_FALSE(aa_allows(t, canon + "/data/other.txt", R)) << "the parent of a data directory";
  EXPECT_TRUE(has_line(t, "  " + canon + "/job/* r,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/job/in/** r,")) << t;
  EXPECT_TRUE(aa_allows(t, canon + "/job/in/deep/b.txt", R));
  EXPECT_FALSE(aa_allows(t, canon + "/job/other/secret", R)) << "a container's other sub-directories";
  EXPECT_FALSE(aa_allows(t, canon + "/data/in/sub/f.txt", W)) << "reads only";
  EXPECT_TRUE(aa_allows(t, canon + "/data/out/sub/f.txt", W)) << "writes: sub-directories of DIR too";
  EXPECT_FALSE(aa_allows(t, canon + "/data/out/.ssh/authorized_keys", W))
      << "writes: never a dot-directory directly beneath";
  EXPECT_FALSE(aa_allows(t, canon + "/data/out/r.txt", R)) << "letters as used: written, not read";
  EXPECT_FALSE(aa_allows(t, canon + "/.cfg/other", R)) << "dot-directories are exact";
  EXPECT_FALSE(aa_allows(t, "/usr/include/stdio.h", W)) << "hierarchies are read only";
  EXPECT_FALSE(aa_allows(t, "/var/tmp/x", R)) << "shared directories are exact";
  for (const char* secret : {"/etc/shadow", "/etc/gshadow", "/etc/ssh/ssh_host_ed25519_key", "/etc/group",
                             "/etc/ssl/private/x.key", "/root/.ssh/id_rsa", "/proc/sys/kernel/core_pattern"})
    for (uint16_t req : {R, W}) EXPECT_FALSE(aa_allows(t, secret, req)) << secret;

  // --tightness strict: the exact recorded paths
  o.generalise = false;
  std::vector<std::string> snotes;
  auto s = from_behavior(b, o, &snotes);
  ASSERT_TRUE(s.ok());
  std::string st = format(*s);
  EXPECT_TRUE(has_line(st, "  " + canon + "/data/in/a.txt r,")) << st;
  EXPECT_TRUE(has_line(st, "  " + canon + "/data/out/r.txt w,")) << st;
  EXPECT_TRUE(has_line(st, "  /usr/include/stdio.h r,")) << st;
  EXPECT_EQ(st.find('*'), std::string::npos) << st;
  EXPECT_FALSE(aa_allows(st, canon + "/data/in/c.txt", R));
  for (const auto& n : snotes) EXPECT_FALSE(n.starts_with("generalised:")) << n;
  fs::remove_all(root);
}

// The hierarchy rows: one installed tree each, read (and map) only; never /etc.
TEST(AppArmorFromBehavior, HierarchyRows) {
  behavior::Behavior b;
  for (const char* p :
       {"/usr/lib/python3.11/json/__init__.py", "/usr/lib/python3/dist-packages/x/y.py", "/opt/app/lib/m.py",
        "/usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h", "/usr/share/perl/5.36/strict.pm",
        "/usr/share/misc/magic.mgc", "/usr/lib/os-release", "/usr/share/locale/de/LC_MESSAGES/coreutils.mo",
        "/usr/lib/x86_64-linux-gnu/gconv/UTF-16.so", "/etc/ssl/certs/ca-certificates.crt",
        "/usr/local/lib/python3.11/dist-packages/z.py"})
    b.files[p] = behavior::kRead;
  b.files["/usr/share/app/state.db"] = behavior::kRead | behavior::kWrite;  // written: exact
  GenerateOptions o;
  o.name = "trees";
  o.canonicalize = false;
  auto f = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  for (const char* line : {"  /usr/lib/python3.11/** mr,", "  /usr/lib/python3/** mr,", "  /opt/app/** mr,",
                           "  /usr/lib/gcc/x86_64-linux-gnu/12/** r,", "  /usr/share/perl/5.36/** mr,",
                           "  /usr/share/misc/** r,", "  /usr/lib/os-release r,", "  /usr/share/locale/** r,",
                           "  /usr/lib/x86_64-linux-gnu/** mr,", "  /etc/ssl/certs/ca-certificates.crt r,",
                           "  /usr/local/lib/python3.11/** mr,", "  /usr/share/app/state.db rw,"})
    EXPECT_TRUE(has_line(t, line)) << line << "\n" << t;
  EXPECT_EQ(t.find("/usr/share/app/**"), std::string::npos) << "a written file's tree is not granted" << t;
  expect_valid(t, "trees");
}

// The never rows as a predicate: data rows only for the program's own directories.
TEST(AppArmorFromBehavior, DataDirAllowed) {
  for (const char* d :
       {"/srv/app/data", "/var/lib/redis", "/tmp/job-1/in", "/work/x", "/run/nginx", "/home/u/x"})
    EXPECT_EQ(data_dir_allowed(d), std::string_view(d) != "/home/u/x") << d;
  for (const char* d :
       {"/",        "/tmp",          "/var/tmp",       "/dev/shm",       "/run",     "/var/lib",
        "/var/log", "/etc",          "/etc/ssl",       "/proc/1",        "/sys/fs",  "/dev",
        "/root",    "/root/data",    "/home/u",        "/usr/share/doc", "/opt/app", "/boot",
        "/lib/x",   "/srv/app/.git", "/run/user/1000", "/var/run"})
    EXPECT_FALSE(data_dir_allowed(d)) << d;
}

}  // namespace
}  // namespace confine::apparmor

namespace confine::apparmor {
namespace {

TEST(AppArmorFromBehavior, AttachesToAProgramNotToAnInterpreter) {
  auto gen = [](std::vector<std::string> cmd, std::vector<std::string> execs) {
    behavior::Behavior b;
    b.command = std::move(cmd);
    b.execs = {execs.begin(), execs.end()};
    for (const auto& e : b.execs) b.files[e] = behavior::kExec;
    GenerateOptions o;
    o.name = "attach-test";
    std::vector<std::string> notes;
    auto f = from_behavior(b, o, &notes);
    EXPECT_TRUE(f.ok());
    return std::make_pair(f.ok() ? format(*f) : std::string(), notes);
  };
  std::string cat = std::filesystem::canonical("/usr/bin/cat").string();
  auto [t1, n1] = gen({"cat", "x"}, {"/usr/bin/cat"});
  EXPECT_TRUE(has_line(t1, "profile attach-test " + cat + " {")) << t1;
  std::string py = std::filesystem::canonical("/usr/bin/python3").string();
  auto [t2, n2] = gen({"/usr/bin/python3", "x.py"}, {"/usr/bin/python3"});
  EXPECT_TRUE(has_line(t2, "profile attach-test {")) << t2;
  EXPECT_TRUE(std::any_of(n2.begin(), n2.end(), [&](const std::string& n) {
    return n.starts_with("no attachment: " + py + " is an interpreter");
  }));
}

}  // namespace
}  // namespace confine::apparmor

namespace confine::apparmor {
namespace {
// find and rsync open their working directory to come back to it: that directory, listed, with a walk
// two levels below it (DATA/t/) is not a tree the program walked; the data's sibling stays denied.
TEST(AppArmorFromBehavior, WorkingDirectoryOpenedIsNotAWalk) {
  namespace fs = std::filesystem;
  std::string base = fs::current_path().string();
  if (base.starts_with("/root") || base.starts_with("/home") || base.starts_with("/tmp")) base = "/var/lib";
  std::string root = base + "/confine-cwdwalk-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(root + "/data/t", ec);
  if (ec) GTEST_SKIP() << "cannot create " << root << ": " << ec.message();
  fs::create_directories(root + "/sibling");
  std::ofstream(root + "/data/t/f1.txt") << "x";
  std::ofstream(root + "/sibling/secret") << "x";
  std::string canon = fs::canonical(root).string();
  behavior::Behavior b;
  b.files[root] = behavior::kRead;  // "." opened (the working directory)
  b.files[root + "/data/t"] = behavior::kRead;
  b.files[root + "/data/t/f1.txt"] = behavior::kRead;
  GenerateOptions o;
  o.name = "cwd";
  auto f = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_FALSE(has_line(t, "  " + canon + "/** r,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/data/t/** r,")) << t;
  EXPECT_TRUE(aa_allows(t, canon + "/data/t/new/f2.txt", kPermRead)) << t;
  EXPECT_FALSE(aa_allows(t, canon + "/sibling/secret", kPermRead)) << t;
  fs::remove_all(root);
}

// Row tmpfile: an O_TMPFILE open of /tmp (ed's tmpfile(3)) was `/tmp/ rw`, which Landlock cannot
// grant on the directory itself (dropped): ed failed under confine run on its training input.
// Now `/tmp/?[0-9]* rw` (the kernel names the file #INODE), whose translation gives /tmp's files the
// rights the unnamed file's open is checked against.
TEST(AppArmorFromBehavior, TmpfileIsAnUnnamedFileInTheDirectory) {
  behavior::Behavior b;
  b.files["/tmp/#tmpfile"] = behavior::kRead | behavior::kWrite | behavior::kCreate;
  b.files["/etc/hostname"] = behavior::kRead;
  GenerateOptions o;
  o.name = "tmpf";
  o.canonicalize = false;
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_NE(t.find("  /tmp/?[0-9]* rw,"), std::string::npos) << t;
  EXPECT_EQ(t.find("  /tmp/ rw"), std::string::npos) << t;
  EXPECT_NE(t.find("# - generalisation tmpfile:"), std::string::npos) << t;
  EXPECT_TRUE(aa_allows(t, "/tmp/#1234567", kPermRead | kPermWrite)) << t;
  EXPECT_FALSE(aa_allows(t, "/tmp/other", kPermWrite)) << t;
  expect_valid(t, "tmpf");
  auto pf = parse(t, "tmpf");
  ASSERT_TRUE(pf.ok());
  auto rs = resolve(std::move(*pf), ".");
  ASSERT_TRUE(rs.ok());
  auto tr = to_landlock(*rs, *profiles(rs->main)[0]);
  ASSERT_TRUE(tr.ok()) << tr.error().message();
  bool tmp_files = false;
  for (const auto& r : tr->rules)
    if (r.path == "/tmp" && (r.access & LANDLOCK_ACCESS_FS_WRITE_FILE) &&
        (r.access & LANDLOCK_ACCESS_FS_READ_FILE))
      tmp_files = true;
  EXPECT_TRUE(tmp_files) << "read_file and write_file on /tmp for the unnamed file's open";
}

// python3 train.py data/x.txt writing out/r.json: python lists its script's directory (sys.path[0],
// the working directory) and reads data/x.txt by name. That is no walk: the working directory is a
// container of data directories (its own files, data/** r, out/ w), never a tree the script may
// write anywhere in (its inputs, itself) or read a sibling of the data in.
TEST(AppArmorFromBehavior, ScriptDirectoryListedIsNotAWalk) {
  namespace fs = std::filesystem;
  std::string base = fs::current_path().string();
  if (base.starts_with("/root") || base.starts_with("/home") || base.starts_with("/tmp")) base = "/var/lib";
  std::string root = base + "/confine-scriptdir-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(root + "/data", ec);
  if (ec) GTEST_SKIP() << "cannot create " << root << ": " << ec.message();
  fs::create_directories(root + "/out");
  fs::create_directories(root + "/secret");
  for (const char* f : {"/train.py", "/data/x.txt", "/out/r.json", "/secret/key"})
    std::ofstream(root + f) << "x";
  std::string canon = fs::canonical(root).string();
  behavior::Behavior b;
  b.files[root] = behavior::kRead;  // listed: sys.path[0]
  b.files[root + "/train.py"] = behavior::kRead;
  b.files[root + "/data/x.txt"] = behavior::kRead;
  b.files[root + "/out/r.json"] = behavior::kWrite | behavior::kCreate;
  GenerateOptions o;
  o.name = "script";
  auto f = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  const uint16_t R = kPermRead, W = kPermWrite;
  EXPECT_TRUE(aa_allows(t, canon + "/data/y.txt", R)) << t;
  EXPECT_TRUE(aa_allows(t, canon + "/out/other.json", W)) << t;
  EXPECT_FALSE(aa_allows(t, canon + "/data/x.txt", W)) << "the input: " << t;
  EXPECT_FALSE(aa_allows(t, canon + "/train.py", W)) << "the script itself: " << t;
  EXPECT_FALSE(aa_allows(t, canon + "/new.txt", W)) << "the working directory: " << t;
  EXPECT_FALSE(aa_allows(t, canon + "/secret/key", R)) << "a sibling of the data: " << t;
  fs::remove_all(root);
}

// data-tree with the listings recorded (behavior::kList, getdents): a directory opened but not
// listed is no walk root. rsync -a tree/ out/rs/ opens each component of the destination with
// O_PATH, the working directory among them, and lists only tree/ and tree/a/: before, the
// opens made the working directory the walk's root (WORKSPACE/** r, docs/heldout.md: rsync -a
// secret/ out/x/ copied the secret).
// A workspace for a path row's test, outside the never rows' /root, /home and /tmp: the files
// (their directories made first), or "" when it cannot be made.
std::string row_workspace(const std::string& name, std::initializer_list<const char*> files) {
  namespace fs = std::filesystem;
  std::string base = fs::current_path().string();
  if (base.starts_with("/root") || base.starts_with("/home") || base.starts_with("/tmp")) base = "/var/lib";
  std::string root = base + "/confine-" + name + "-" + std::to_string(getpid());
  std::error_code ec;
  for (const char* f : files) {
    fs::create_directories(fs::path(root + f).parent_path(), ec);
    if (ec) return "";
    std::ofstream(root + f) << "x";
  }
  return root;
}

TEST(AppArmorFromBehavior, OpenedDirectoryIsNoWalkRoot) {
  namespace fs = std::filesystem;
  std::string root =
      row_workspace("openeddir", {"/tree/a/f1.txt", "/out/rs/a/f1.txt", "/secret/key.txt", "/top.txt"});
  if (root.empty()) GTEST_SKIP() << "cannot create a workspace beside " << fs::current_path();
  std::string canon = fs::canonical(root).string();
  const uint16_t R = kPermRead;
  auto generate = [&](bool listings) {
    const uint8_t L = listings ? behavior::kList : 0;
    behavior::Behavior b;
    b.files[root] = behavior::kRead;  // O_PATH: the destination's components
    b.files[root + "/out"] = behavior::kRead;
    b.files[root + "/out/rs"] = behavior::kRead | behavior::kCreate | L;
    b.files[root + "/out/rs/a"] = behavior::kRead | behavior::kCreate | L;
    b.files[root + "/out/rs/a/f1.txt"] = behavior::kWrite | behavior::kCreate;
    b.files[root + "/tree"] = behavior::kRead | L;
    b.files[root + "/tree/a"] = behavior::kRead | L;
    b.files[root + "/tree/a/f1.txt"] = behavior::kRead;
    GenerateOptions o;
    o.name = "rs";
    std::vector<std::string> notes;
    auto f = from_behavior(b, o, &notes);
    EXPECT_TRUE(f.ok()) << f.error().message();
    std::string n;
    for (const auto& s : notes) n += s + "\n";
    return std::pair{f.ok() ? format(*f) : std::string(), n};
  };
  auto [t, notes] = generate(true);
  EXPECT_TRUE(aa_allows(t, canon + "/tree/a/other.txt", R)) << t;
  EXPECT_TRUE(aa_allows(t, canon + "/tree/b/c/deep.txt", R)) << "the walked tree, deeper: " << t;
  EXPECT_FALSE(aa_allows(t, canon + "/secret/key.txt", R)) << "a sibling of the tree: " << t;
  EXPECT_FALSE(aa_allows(t, canon + "/top.txt", R)) << "the working directory's files: " << t;
  EXPECT_NE(notes.find("row data-tree: listed " + canon + "/tree/"), std::string::npos) << notes;
  // Without any listing recorded (a behavior.json from before): the older reading, noted.
  auto [old, old_notes] = generate(false);
  EXPECT_TRUE(aa_allows(old, canon + "/secret/key.txt", R)) << old;
  EXPECT_NE(old_notes.find("no directory listing (getdents) recorded"), std::string::npos) << old_notes;
  fs::remove_all(root);
}

// A symbolic link the program created is a rule for the link, never for its target: `ln -sf
// ../in/x out/l` made in/x written (data-dir: in/* w, the input directory writable) and left out/l
// unallowed. The program links, so it renames a temporary over a link that exists (ln -sf when
// out/l is there: the seccomp table's link row): its write rules carry r, which AppArmor checks
// on a rename's source.
TEST(AppArmorFromBehavior, CreatedSymlinkIsTheLinkNotItsTarget) {
  namespace fs = std::filesystem;
  std::string root = row_workspace("symlink", {"/in/x.txt", "/out/keep.txt"});
  if (root.empty()) GTEST_SKIP() << "cannot create a workspace beside " << fs::current_path();
  fs::create_symlink("../in/x.txt", root + "/out/l");
  std::string canon = fs::canonical(root).string();
  behavior::Behavior b;
  b.arches[Arch::X86_64]["symlinkat"];
  b.files[root + "/out/l"] = behavior::kCreate;
  GenerateOptions o;
  o.name = "ln";
  auto f = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  const uint16_t R = kPermRead, W = kPermWrite;
  EXPECT_FALSE(aa_allows(t, canon + "/in/x.txt", W)) << "the link's target: " << t;
  EXPECT_FALSE(aa_allows(t, canon + "/in/y.txt", W)) << "beside the target: " << t;
  EXPECT_TRUE(aa_allows(t, canon + "/out/l", W)) << t;
  EXPECT_TRUE(aa_allows(t, canon + "/out/CuAbC123", R | W)) << "ln -sf's temporary, renamed: " << t;
  // Read through the link as well: the target gets the read, the link its creation.
  b.files[root + "/out/l"] = behavior::kCreate | behavior::kRead;
  auto g = from_behavior(b, o, nullptr);
  ASSERT_TRUE(g.ok()) << g.error().message();
  t = format(*g);
  EXPECT_TRUE(aa_allows(t, canon + "/in/x.txt", R)) << t;
  EXPECT_FALSE(aa_allows(t, canon + "/in/x.txt", W)) << t;
  fs::remove_all(root);
}
}  // namespace
// Row work-tree: a file written beneath a tree the program walked (git commit -a over a work
// tree) -> writes in the whole tree on other input (other sub-directories, removals of its
// directories); a dot-directory directly beneath the tree, the tree's siblings and parent, and
// a tree only read stay denied.
TEST(AppArmorFromBehavior, PathRowWorkTree) {
  namespace fs = std::filesystem;
  std::string base = fs::current_path().string();
  if (base.starts_with("/root") || base.starts_with("/home") || base.starts_with("/tmp")) base = "/var/lib";
  std::string root = base + "/confine-worktree-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(root + "/src/a", ec);
  if (ec) GTEST_SKIP() << "cannot create " << root << ": " << ec.message();
  fs::create_directories(root + "/src/b");
  fs::create_directories(root + "/src/.hooks");
  fs::create_directories(root + "/sib");
  fs::create_directories(root + "/ro/x");
  for (const char* f : {"/src/a/f.txt", "/src/b/g.txt", "/src/.hooks/pre", "/sib/s", "/ro/x/y", "/top.txt"})
    std::ofstream(root + f) << "x";
  std::string canon = fs::canonical(root).string();
  behavior::Behavior b;
  b.files[root + "/src"] = behavior::kRead;  // listed
  b.files[root + "/src/a"] = behavior::kRead;
  b.files[root + "/src/a/f.txt"] = behavior::kRead | behavior::kWrite;
  b.files[root + "/ro"] = behavior::kRead;
  b.files[root + "/ro/x"] = behavior::kRead;
  b.files[root + "/ro/x/y"] = behavior::kRead;
  GenerateOptions o;
  o.name = "wt";
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(has_line(t, "  " + canon + "/src/* rw,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/src/[^.]*/ rw,")) << t;
  EXPECT_TRUE(has_line(t, "  " + canon + "/src/[^.]*/** rw,")) << t;
  bool printed = false;
  for (const auto& n : notes) printed |= n.find("(row work-tree:") != std::string::npos;
  EXPECT_TRUE(printed) << "the widening is a note";
  expect_valid(t, "wt");
  const uint16_t R = kPermRead, W = kPermWrite;
  EXPECT_TRUE(aa_allows(t, canon + "/src/b/g.txt", W)) << "another directory of the tree";
  EXPECT_TRUE(aa_allows(t, canon + "/src/c/d/new.txt", W)) << "a deeper, new directory";
  EXPECT_TRUE(aa_allows(t, canon + "/src/b/", W)) << "removing a directory of the tree";
  EXPECT_FALSE(aa_allows(t, canon + "/src/.hooks/pre", W)) << "a dot-directory directly beneath";
  EXPECT_FALSE(aa_allows(t, canon + "/sib/s", W)) << "a sibling of the tree";
  EXPECT_FALSE(aa_allows(t, canon + "/top.txt", W)) << "the tree's parent";
  EXPECT_FALSE(aa_allows(t, canon + "/ro/x/y", W)) << "a tree only read";
  EXPECT_TRUE(aa_allows(t, canon + "/ro/x/z", R));
  o.generalise = false;
  auto s = from_behavior(b, o, nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(aa_allows(format(*s), canon + "/src/b/g.txt", W)) << "--tightness strict";
  fs::remove_all(root);
}

// A program that makes hard links (gpg's dotlock: a temporary linked to pubring.kbx.lock, both
// named by pid and host) links other names of the directory it writes on other input: the
// data-dir write rules carry l, as created-dir's do; without linkat they do not.
TEST(AppArmorFromBehavior, DataDirWritesLinkWhenTheProgramLinks) {
  namespace fs = std::filesystem;
  std::string base = fs::current_path().string();
  if (base.starts_with("/root") || base.starts_with("/home") || base.starts_with("/tmp")) base = "/var/lib";
  std::string root = base + "/confine-dotlock-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(root + "/g", ec);
  if (ec) GTEST_SKIP() << "cannot create " << root << ": " << ec.message();
  std::ofstream(root + "/g/pubring.kbx") << "x";
  std::string canon = fs::canonical(root).string();
  behavior::Behavior b;
  b.files[root + "/g/pubring.kbx"] = behavior::kRead | behavior::kWrite;
  b.files[root + "/g/.#lk0x5588.vm.274"] =
      behavior::kRead | behavior::kWrite | behavior::kCreate | behavior::kUnlink;
  b.files[root + "/g/pubring.kbx.lock"] = behavior::kRead | behavior::kCreate | behavior::kUnlink;
  GenerateOptions o;
  o.name = "gpg";
  auto plain = from_behavior(b, o, nullptr);
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  EXPECT_FALSE(aa_allows(format(*plain), canon + "/g/.#lk0x55d7.confine.3x", kPermLink)) << format(*plain);
  b.arches[Arch::X86_64]["link"];
  auto f = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(aa_allows(t, canon + "/g/.#lk0x55d7.confine.3x", kPermLink)) << t;
  EXPECT_TRUE(aa_allows(t, canon + "/g/pubring.kbx.lock", kPermLink | kPermWrite)) << t;
  EXPECT_FALSE(aa_allows(t, canon + "/other.lock", kPermLink)) << "beside the written directory";
  expect_valid(t, "gpg");
  fs::remove_all(root);
}

// Row self-signal: a writer may raise (the seccomp table's gettid/tgkill companion), so the
// profile lets it signal its own profile's processes (sort re-raises SIGPIPE after removing
// its temporary files); with --tightness strict only a recorded kill/tgkill does.
TEST(AppArmorFromBehavior, SelfSignalRow) {
  behavior::Behavior b;
  b.command = {"/usr/bin/sort"};
  for (const char* n : {"openat", "write", "exit_group"}) b.arches[Arch::X86_64][n].count = 1;
  b.files["/srv/job/out.txt"] = behavior::kWrite | behavior::kCreate;
  GenerateOptions o;
  o.name = "sig";
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_NE(t.find("  signal (send, receive) peer=sig, # generalisation self-signal: tgkill allowed"),
            std::string::npos)
      << t;
  expect_valid(t, "sig");
  o.generalise = false;
  auto s = from_behavior(b, o, nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(format(*s).find("signal ("), std::string::npos) << "strict: no kill recorded";
  b.arches[Arch::X86_64]["kill"].count = 1;
  auto k = from_behavior(b, o, nullptr);
  ASSERT_TRUE(k.ok());
  EXPECT_NE(format(*k).find("signal (send, receive) peer=sig,"), std::string::npos)
      << "strict: kill recorded";
}

// Row interpreter-stdlib for a python installed under its own prefix (pyenv, conda, a venv):
// executed as PREFIX/bin/python3.N, its modules in PREFIX/lib/python3.N are read by rule, even
// beneath a home directory; the prefix's other directories stay exact.
TEST(AppArmorFromBehavior, PrefixInterpreterStdlib) {
  namespace fs = std::filesystem;
  std::string root = "/var/lib/confine-pyprefix-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(root + "/py/bin", ec);
  if (ec) GTEST_SKIP() << "cannot create " << root << ": " << ec.message();
  fs::create_directories(root + "/py/lib/python3.11/json");
  fs::create_directories(root + "/py/etc");
  std::ofstream(root + "/py/bin/python3.11") << "x";
  std::ofstream(root + "/py/lib/python3.11/json/__init__.py") << "x";
  std::ofstream(root + "/py/etc/secret.conf") << "x";
  std::string canon = fs::canonical(root).string();
  behavior::Behavior b;
  b.execs = {root + "/py/bin/python3.11"};
  b.files[root + "/py/bin/python3.11"] = behavior::kRead | behavior::kExec;
  b.files[root + "/py/lib/python3.11/json/__init__.py"] = behavior::kRead;
  b.files[root + "/py/etc/secret.conf"] = behavior::kRead;
  GenerateOptions o;
  o.name = "py";
  auto f = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(aa_allows(t, canon + "/py/lib/python3.11/gzip.py", kPermRead)) << t;
  EXPECT_FALSE(aa_allows(t, canon + "/py/lib/python3.11/gzip.py", kPermWrite)) << "read and map only";
  EXPECT_FALSE(aa_allows(t, canon + "/py/lib/libother.so", kPermRead)) << "the prefix's other files";
  EXPECT_FALSE(aa_allows(t, canon + "/py/lib/python3.12/x.py", kPermRead)) << "another version's tree";
  b.execs = {root + "/py/bin/tool"};
  auto g = from_behavior(b, o, nullptr);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(aa_allows(format(*g), canon + "/py/lib/python3.11/gzip.py", kPermRead)) << "not a python";
  fs::remove_all(root);
}

// A program the workload built in a directory it created and then ran keeps its exec rule:
// the created-dir row's rw does not cover an exec (seen: make && build/app was denied).
TEST(AppArmorFromBehavior, ExecInCreatedDirKeepsItsRule) {
  namespace fs = std::filesystem;
  std::string root = "/var/lib/confine-cexec-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(root + "/build", ec);
  if (ec) GTEST_SKIP() << "cannot create " << root << ": " << ec.message();
  std::ofstream(root + "/build/app") << "x";
  std::ofstream(root + "/build/app.o") << "x";
  std::string canon = fs::canonical(root).string();
  behavior::Behavior b;
  b.execs = {root + "/build/app"};
  b.files[root + "/build"] = behavior::kCreate;
  b.files[root + "/build/app.o"] = behavior::kCreate | behavior::kWrite;
  b.files[root + "/build/app"] = behavior::kCreate | behavior::kWrite | behavior::kRead | behavior::kExec;
  GenerateOptions o;
  o.name = "mk";
  auto f = from_behavior(b, o, nullptr);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(aa_allows(t, canon + "/build/app", kPermExec)) << t;
  EXPECT_FALSE(aa_allows(t, canon + "/build/other", kPermExec)) << "only what it ran";
  EXPECT_TRUE(aa_allows(t, canon + "/build/other.o", kPermWrite)) << "row created-dir";
  fs::remove_all(root);
}

}  // namespace confine::apparmor
