// Generator: Behavior -> AppArmor profile. Coverage is checked against the real
// abstractions in /etc/apparmor.d (Debian's apparmor package, not ours); the
// text must pass the real validator (apparmor_parser -Q -K) and read back as
// the same model.
#include "apparmor/from_behavior.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace confine::apparmor {
namespace {

bool have_abstractions() { return std::filesystem::exists("/etc/apparmor.d/abstractions/base"); }

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
}

TEST(AppArmorFromBehavior, CoverageIsComputedFromTheAbstractions) {
  if (!have_abstractions()) GTEST_SKIP() << "no /etc/apparmor.d";
  behavior::Behavior b;
  b.command = {"/usr/bin/true"};
  b.files["/etc/ld.so.cache"] = behavior::kRead;                       // base
  b.files["/usr/share/zoneinfo/UTC"] = behavior::kRead;                // base
  b.files["/etc/passwd"] = behavior::kRead;                            // nameservice
  b.files["/etc/hostname"] = behavior::kRead;                          // nothing
  b.files["/etc/ld.so.preload"] = behavior::kRead | behavior::kWrite;  // base allows r only
  GenerateOptions o;
  o.name = "cov";
  o.canonicalize = false;
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(has_line(t, "  include <abstractions/base>")) << t;
  EXPECT_TRUE(has_line(t, "  include <abstractions/nameservice>")) << t;
  EXPECT_EQ(t.find("abstractions/python"), std::string::npos) << t;  // covers nothing seen
  EXPECT_EQ(t.find("ld.so.cache"), std::string::npos) << t;
  EXPECT_EQ(t.find("zoneinfo"), std::string::npos) << t;
  EXPECT_EQ(t.find("/etc/passwd"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "  /etc/hostname r,")) << t;
  EXPECT_TRUE(has_line(t, "  /etc/ld.so.preload rw,")) << t;  // insufficient permissions: kept
  EXPECT_TRUE(has_line(t, "profile cov /usr/bin/true {")) << t;
  expect_valid(t, "cov");
}

TEST(AppArmorFromBehavior, ProcPidAndTempGlobs) {
  if (!have_abstractions()) GTEST_SKIP();
  behavior::Behavior b;
  b.files["/proc/1234/status"] = behavior::kRead;  // base covers @{PROC}/@{pid}/status
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
  std::vector<std::string> notes;
  auto f = from_behavior(b, o, &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string t = format(*f);
  EXPECT_TRUE(has_line(t, "  owner @{PROC}/@{pid}/environ r,")) << t;
  EXPECT_TRUE(has_line(t, "  owner @{PROC}/@{pid}/mountinfo r,")) << t;
  EXPECT_TRUE(has_line(t, "  owner @{PROC}/@{pid}/task/@{tid}/comm rw,")) << t;
  EXPECT_TRUE(has_line(t, "  owner @{PROC}/@{pid}/task/@{tid}/attr/current r,")) << t;
  EXPECT_EQ(t.find("/status"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "  /proc/sys/kernel/hostname r,")) << t;
  // AppArmor checks a directory as "path/": without the slash the rule would never match.
  EXPECT_TRUE(has_line(t, "  owner @{PROC}/@{pid}/fd/ r,")) << t;
  EXPECT_EQ(t.find("  /dev/stdout"), std::string::npos) << t;
  EXPECT_TRUE(has_line(t, "  /var/cache/app/tmp.* w,")) << t;
  EXPECT_NE(t.find("include <tunables/global>"), std::string::npos);  // defines @{pid}
  expect_valid(t, "procs");
}

TEST(AppArmorFromBehavior, CreatedDirectoriesAndLibraryDirs) {
  if (!have_abstractions()) GTEST_SKIP();
  namespace fs = std::filesystem;
  // Not under /tmp or /var/tmp: abstractions/user-tmp would (rightly) cover it. The
  // build tree may be anywhere (a clean clone in /tmp), so fall back to /var/lib.
  std::string base = fs::current_path().string();
  if (base.starts_with("/tmp") || base.starts_with("/var/tmp")) base = "/var/lib";
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
  b.files["/usr/lib/x86_64-linux-gnu/libc.so.6"] = behavior::kRead;  // base: no rule
  b.files[root + "/gone-never-existed.so"] = behavior::kRead;        // failed lookup: no rule
  b.files[root] = behavior::kCreate;    // mkdir -p's EEXIST on a directory with pre-existing files: no rule
  b.files["/usr"] = behavior::kCreate;  // same, well-known directory
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
  EXPECT_TRUE(has_line(t, "  " + canon + "/share/* r,")) << t;  // 5 modules in one dir
  EXPECT_EQ(t.find("f0.py"), std::string::npos) << t;
  EXPECT_EQ(t.find("libc.so"), std::string::npos) << t;
  EXPECT_EQ(t.find("gone-never-existed"), std::string::npos) << t;
  EXPECT_EQ(t.find("  " + canon + "/ "), std::string::npos) << t;
  EXPECT_EQ(t.find("  /usr/ "), std::string::npos) << t;
  EXPECT_NE(t.find("mkdir of existing directories"), std::string::npos) << t;
  expect_valid(t, "dirs");
  // 4 of them: still collapsed; dir_collapse=10: one rule each
  o.dir_collapse = 10;
  auto g = from_behavior(b, o, nullptr);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(has_line(format(*g), "  " + canon + "/share/f0.py r,")) << format(*g);
  fs::remove_all(root);
}

TEST(AppArmorFromBehavior, ExecNetworkCapsModeDeterminism) {
  if (!have_abstractions()) GTEST_SKIP();
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
  EXPECT_TRUE(has_line(t, "profile gen-test " + sh + " flags=(complain) {")) << t;
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
  // no AppArmor tree: still a profile, every path its own rule, and a note saying so
  o.root = "/nonexistent-apparmor-root";
  std::vector<std::string> n2;
  auto noroot = from_behavior(b, o, &n2);
  ASSERT_TRUE(noroot.ok()) << noroot.error().message();
  EXPECT_NE(format(*noroot).find("coverage not evaluated"), std::string::npos);
  EXPECT_NE(format(*noroot).find("include <abstractions/base>"), std::string::npos);
  EXPECT_FALSE(mode_from_name("strict").ok());
}

}  // namespace
}  // namespace confine::apparmor
