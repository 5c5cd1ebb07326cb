// AppArmor parser/writer/resolver/Landlock translation tests: round trips on
// fixtures and Debian's real profiles, errors with positions, the real
// validator (apparmor_parser -Q -K) on our output, and a real-kernel test of
// the seeds' deny-write profile applied through Landlock.
#include "apparmor/apparmor.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "apparmor/landlock.h"
#include "gtest/gtest.h"
#include "sandbox/landlock.h"

namespace confine::apparmor {
namespace {

namespace fs = std::filesystem;
const std::string kFix = std::string(CONFINE_SOURCE_DIR) + "/tests/fixtures/apparmor/";

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// parse -> write -> parse is identity (model), and write is idempotent.
void expect_round_trip(const std::string& text, const std::string& name) {
  auto a = parse(text, name);
  ASSERT_TRUE(a.ok()) << a.error().message();
  std::string out = format(*a);
  auto b = parse(out, name + "(formatted)");
  ASSERT_TRUE(b.ok()) << b.error().message() << "\n" << out;
  EXPECT_TRUE(*a == *b) << name;
  EXPECT_EQ(format(*b), out) << name;
}

TEST(AppArmorParse, SeedProfile) {
  auto f = parse("profile apparmor-deny-write flags=(attach_disconnected) { file, deny /** w, }", "seed");
  ASSERT_TRUE(f.ok()) << f.error().message();
  auto ps = profiles(*f);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0]->name, "apparmor-deny-write");
  EXPECT_EQ(ps[0]->flags, std::vector<std::string>{"attach_disconnected"});
  ASSERT_EQ(ps[0]->items.size(), 2u);
  const Rule& file = std::get<Rule>(ps[0]->items[0]);
  EXPECT_TRUE(file.file_keyword);
  EXPECT_TRUE(file.path.empty());
  const Rule& deny = std::get<Rule>(ps[0]->items[1]);
  EXPECT_EQ(deny.mode, RuleMode::Deny);
  EXPECT_EQ(deny.path, "/**");
  EXPECT_EQ(deny.perms, "w");
  EXPECT_EQ(deny.pos.line, 1u);
  EXPECT_EQ(deny.pos.col, 65u);
  EXPECT_EQ(format(*f),
            "profile apparmor-deny-write flags=(attach_disconnected) {\n  file,\n  deny /** w,\n}\n");
}

TEST(AppArmorParse, RuleKindsAndPositions) {
  auto f = parse_file(kFix + "features.profile");
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(profile_names(*f), (std::vector<std::string>{"confine-features", "confine-features//helper",
                                                         "confine-features//hat", "/usr/bin/unnamed"}));
  auto p = profiles(*f)[0];
  EXPECT_EQ(p->attachment, "/usr/bin/myapp");
  EXPECT_EQ(p->pos.line, 9u);
  std::set<std::string> kinds;
  for (const auto& it : p->items)
    if (auto* r = std::get_if<Rule>(&it)) {
      kinds.insert(r->kind);
      EXPECT_GT(r->pos.line, 9u);
      EXPECT_EQ(r->pos.file, kFix + "features.profile");
    }
  for (const char* k : {"capability", "network", "signal", "ptrace", "unix", "dbus", "mount", "remount",
                        "umount", "pivot_root", "change_profile", "rlimit", "file", "link"})
    EXPECT_TRUE(kinds.count(k)) << k;
  expect_round_trip(slurp(kFix + "features.profile"), "features.profile");
  expect_round_trip(slurp(kFix + "deny-write.profile"), "deny-write.profile");
}

TEST(AppArmorParse, PermissionLetters) {
  for (const char* ok : {"r",  "rw",  "a",   "rwlk", "mr",  "ix",  "Px",  "px",  "Ux",  "ux",   "Cx",
                         "cx", "pix", "Pix", "cix",  "Cix", "pux", "PUx", "cux", "CUx", "rmix", "rwlkm"})
    EXPECT_TRUE(valid_file_perms(ok, nullptr)) << ok;
  for (const char* bad : {"", "q", "x", "rwx", "wa", "ixpx", "Zx", "i", "rP"})
    EXPECT_FALSE(valid_file_perms(bad, nullptr)) << bad;
  EXPECT_TRUE(valid_file_perms("x", nullptr, true));  // deny /usr/bin/foo x,
}

struct BadCase {
  const char* text;
  uint32_t line, col;
  const char* msg;
};

TEST(AppArmorParse, BadInputHasPositions) {
  const BadCase cases[] = {
      {"profile x {\n  /etc/hostname r,\n", 1, 11, "never closed"},
      {"profile x {\n  /etc/hostname rq,\n}\n", 2, 17, "unknown permission 'q'"},
      {"profile x {\n  /etc/hostname rx,\n}\n", 2, 17, "'x' needs an exec mode"},
      {"profile x {\n  /etc/hostname r\n}\n", 3, 1, "expected ','"},
      {"profile x {\n  capability sys_foo,\n}\n", 2, 14, "unknown capability"},
      {"profile x {\n  network inet bogus,\n}\n", 2, 16, "unknown network"},
      {"profile x {\n  signal (send) color=red,\n}\n", 2, 17, "unknown signal conditional"},
      {"profile x {\n  frobnicate /x,\n}\n", 2, 3, "unknown rule"},
      {"profile x flags=(complain,bogus) {\n}\n", 1, 27, "unknown profile flag"},
      {"}\n", 1, 1, "unexpected '}'"},
      {"profile x {\n  /tmp/\"unterminated r,\n}\n", 2, 8, "unterminated quoted string"},
      {"profile x {\n  /usr/{bin,sbin/foo r,\n}\n", 2, 3, "unbalanced"},
      {"@{V} =\nprofile x {}\n", 1, 1, "has no value"},
      {"include <abstractions/base\n", 1, 9, "missing '>'"},
  };
  for (const auto& c : cases) {
    auto f = parse(c.text, "bad.profile");
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_EQ(f.error().pos().line, c.line) << c.text << " -> " << f.error().message();
    EXPECT_EQ(f.error().pos().col, c.col) << c.text << " -> " << f.error().message();
    EXPECT_NE(f.error().message().find(c.msg), std::string::npos) << f.error().message();
    EXPECT_EQ(f.error().message().rfind("bad.profile:", 0), 0u) << f.error().message();
  }
}

TEST(AppArmorParse, RecursionCap) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "profile p" + std::to_string(i) + " {\n";
  for (int i = 0; i < 100; ++i) deep += "}\n";
  auto f = parse(deep, "deep");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message().find("nested too deeply"), std::string::npos);
}

TEST(AppArmorResolve, UndefinedVariableAndCycle) {
  auto f = parse_file(kFix + "bad/undefined.profile");
  ASSERT_TRUE(f.ok());
  auto r = resolve(std::move(*f), kFix + "bad");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), kFix + "bad/undefined.profile:2:3: undefined variable @{NOPE}");

  auto c = parse_file(kFix + "bad/cycle-a");
  ASSERT_TRUE(c.ok());
  auto rc = resolve(std::move(*c), kFix + "bad");
  ASSERT_FALSE(rc.ok());
  EXPECT_NE(rc.error().message().find("include cycle"), std::string::npos) << rc.error().message();
  EXPECT_EQ(rc.error().pos().line, 1u);

  auto m = parse("include <no/such/file>\nprofile x {}\n", "m");
  ASSERT_TRUE(m.ok());
  auto rm = resolve(std::move(*m), ".");
  ASSERT_FALSE(rm.ok());
  EXPECT_NE(rm.error().message().find("m:1:1: could not open include <no/such/file>"), std::string::npos)
      << rm.error().message();
  auto e = parse("include if exists <no/such/file>\nprofile x {}\n", "e");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(resolve(std::move(*e), ".").ok());
}

TEST(AppArmorResolve, VariablesFromTunablesExpand) {
  auto f = parse_file(kFix + "features.profile");
  ASSERT_TRUE(f.ok());
  auto r = resolve(std::move(*f), kFix);
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto x = expand("@{MYDATA}/**", *r);
  ASSERT_TRUE(x.ok());
  EXPECT_EQ(*x, (std::vector<std::string>{"/opt/mydata/**", "/srv/data/**", "/var/lib/mydata/**"}));
  auto y = expand("/usr/{bin,sbin}/{a,b{c,d}}", *r);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->size(), 6u);
  auto z = expand("@{PROC}/x", *r);  // from tunables/proc via tunables/global
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(*z, std::vector<std::string>{"/proc/x"});
}

// Every file of Debian's AppArmor packages parses and round-trips (the
// integration test runs apparmor_parser on the formatted files).
TEST(AppArmorCorpus, DebianProfilesRoundTrip) {
  size_t n = 0;
  for (const char* dir : {"/etc/apparmor.d", "/usr/share/apparmor/extra-profiles"}) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator();
         ++it) {
      std::string p = it->path().string();
      if (!it->is_regular_file() || it->is_symlink() || p.find("/abi/") != std::string::npos ||
          it->path().filename() == "README")
        continue;
      SCOPED_TRACE(p);
      expect_round_trip(slurp(p), p);
      ++n;
    }
  }
  std::printf("apparmor corpus (unit): %zu files round-tripped\n", n);
  EXPECT_GT(n, 250u);
}

// Our writer's output passes the real validator.
TEST(AppArmorValidator, FormattedFixturesPassApparmorParser) {
  if (system("command -v apparmor_parser >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "apparmor_parser not installed";
  for (const char* name : {"features.profile", "deny-write.profile"}) {
    auto f = parse_file(kFix + name);
    ASSERT_TRUE(f.ok());
    std::string out = testing::TempDir() + "/h8-" + name;
    std::ofstream(out) << format(*f);
    std::string cmd = "apparmor_parser -Q -K --base /etc/apparmor.d " + out + " >/dev/null 2>&1";
    EXPECT_EQ(system(cmd.c_str()), 0) << name;
  }
  // and it rejects what we reject
  EXPECT_NE(system(("apparmor_parser -Q -K " + kFix + "bad/perms.profile >/dev/null 2>&1").c_str()), 0);
}

Translation translate(const std::string& text, int abi = -1) {
  auto f = parse(text, "t");
  EXPECT_TRUE(f.ok()) << f.error().message();
  auto r = resolve(std::move(*f), ".");
  EXPECT_TRUE(r.ok()) << r.error().message();
  TranslateOptions o;
  o.abi = abi;
  auto t = to_landlock(*r, *profiles(r->main)[0], o);
  EXPECT_TRUE(t.ok()) << t.error().message();
  return *t;
}

bool has_warning(const Translation& t, const std::string& s) {
  for (const auto& w : t.warnings)
    if (w.find(s) != std::string::npos) return true;
  return false;
}

using namespace sandbox::landlock_access;

TEST(AppArmorLandlock, SeedDenyWriteTranslation) {
  Translation t =
      translate("profile apparmor-deny-write flags=(attach_disconnected) { file, deny /** w, }", 7);
  ASSERT_EQ(t.rules.size(), 1u);
  EXPECT_EQ(t.rules[0].path, "/");
  EXPECT_EQ(t.rules[0].access & (kWriteFile | kMakeReg | kRemoveFile | kTruncate | kMakeDir), 0u);
  EXPECT_EQ(t.rules[0].access & (kReadFile | kReadDir | kExecute), kReadFile | kReadDir | kExecute);
  EXPECT_EQ(t.handled, sandbox::LandlockRuleset::fs_all(7));
}

TEST(AppArmorLandlock, ApproximationsAreWarned) {
  Translation t = translate(
      "profile p {\n /var/log/*.log a,\n /etc/hostname rk,\n owner /tmp/** rw,\n /usr/bin/env Px,\n"
      " /usr/lib/** mr,\n network inet raw,\n network inet dgram,\n}\n",
      4);
  EXPECT_TRUE(has_warning(t, "append-only"));
  EXPECT_TRUE(has_warning(t, "'k' (file locking)"));
  EXPECT_TRUE(has_warning(t, "'m' (mmap"));
  EXPECT_TRUE(has_warning(t, "owner"));
  EXPECT_TRUE(has_warning(t, "Px kept in the same Landlock domain"));
  EXPECT_TRUE(has_warning(t, "/var/log/*.log -> /var/log"));
  EXPECT_TRUE(has_warning(t, "2 network rule(s) not expressible"));
  EXPECT_TRUE(has_warning(t, "device ioctls are not mediated (needs ABI 5)"));
  EXPECT_TRUE(has_warning(t, "chmod/chown"));
  bool found = false;
  for (const auto& r : t.rules)
    if (r.path == "/etc/hostname") {
      found = true;
      EXPECT_EQ(r.access & kReadDir, 0u);  // file: file rights only
    }
  EXPECT_TRUE(found);
}

TEST(AppArmorLandlock, DenyInsideAllowedTreeByComplement) {
  fs::path d = fs::path(testing::TempDir()) / ("h8-tree-" + std::to_string(getpid()));
  fs::create_directories(d / "a" / "secret");
  fs::create_directories(d / "b");
  std::ofstream(d / "a" / "f") << "x";
  Translation t =
      translate("profile p {\n " + d.string() + "/** rw,\n deny " + d.string() + "/a/secret/** w,\n}\n", 7);
  std::map<std::string, uint64_t> m;
  for (const auto& r : t.rules) m[r.path] = r.access;
  EXPECT_EQ(m[d.string()] & kWriteFile, 0u);
  EXPECT_EQ(m[(d / "a").string()] & kWriteFile, 0u);
  EXPECT_NE(m[(d / "b").string()] & kWriteFile, 0u);        // sibling of a
  EXPECT_NE(m[(d / "a" / "f").string()] & kWriteFile, 0u);  // sibling of secret
  EXPECT_FALSE(m.count((d / "a" / "secret").string()) && (m[(d / "a" / "secret").string()] & kWriteFile));
  EXPECT_NE(m[d.string()] & kReadFile, 0u);
  EXPECT_TRUE(has_warning(t, "complement expansion"));
  fs::remove_all(d);
}

// Real kernel: the seeds' profile applied through Landlock in a child.
TEST(AppArmorLandlock, SeedDenyWriteOnRealKernel) {
  if (sandbox::LandlockRuleset::abi_version() <= 0) GTEST_SKIP() << "Landlock unavailable";
  std::string tmpf = "/tmp/confine-h8-denywrite-" + std::to_string(getpid());
  unlink(tmpf.c_str());
  auto f = parse("profile apparmor-deny-write flags=(attach_disconnected) { file, deny /** w, }", "seed");
  ASSERT_TRUE(f.ok());
  auto r = resolve(std::move(*f), ".");
  ASSERT_TRUE(r.ok());
  auto t = to_landlock(*r, *profiles(r->main)[0]);
  ASSERT_TRUE(t.ok()) << t.error().message();
  int pfd[2];
  ASSERT_EQ(pipe(pfd), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pfd[0]);
    int code = 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    std::vector<std::string> notes;
    if (!apply_ruleset(*t, &notes).ok()) _exit(11);
    int w = open(tmpf.c_str(), O_WRONLY | O_CREAT, 0600);
    int werr = w < 0 ? errno : 0;
    int rd = open("/etc/hostname", O_RDONLY);
    char buf[64];
    bool read_ok = rd >= 0 && read(rd, buf, sizeof buf) >= 0;
    int app = open("/etc/hostname", O_WRONLY | O_APPEND);
    int aerr = app < 0 ? errno : 0;
    if (w >= 0 || werr != EACCES) code |= 1;
    if (!read_ok) code |= 2;
    if (app >= 0 || aerr != EACCES) code |= 4;
    (void)!write(pfd[1], &werr, sizeof werr);
    _exit(code);
  }
  close(pfd[1]);
  int werr = 0;
  (void)!read(pfd[0], &werr, sizeof werr);
  close(pfd[0]);
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0) << "bits: 1=write to /tmp not EACCES (errno " << werr
                                << "), 2=read /etc/hostname failed, 4=append not EACCES";
  EXPECT_NE(access(tmpf.c_str(), F_OK), 0) << "the confined child created " << tmpf;
  unlink(tmpf.c_str());
  // The parent is not confined: the same write works here (the test can fail).
  int w = open(tmpf.c_str(), O_WRONLY | O_CREAT, 0600);
  EXPECT_GE(w, 0);
  if (w >= 0) close(w);
  unlink(tmpf.c_str());
}

}  // namespace
}  // namespace confine::apparmor

namespace confine::apparmor {
namespace {

// Older ABIs: rights the ABI lacks are not handled, and the loss is named.
TEST(AppArmorLandlock, DegradesOnOlderAbi) {
  Translation t = translate("profile p { /tmp/** rw, }", 1);
  EXPECT_EQ(t.handled & (kRefer | kTruncate | kIoctlDev), 0u);
  for (const auto& r : t.rules) EXPECT_EQ(r.access & ~t.handled, 0u);
  EXPECT_TRUE(has_warning(t, "refer needs ABI 2"));
  EXPECT_TRUE(has_warning(t, "truncate() is not mediated (needs ABI 3)"));
}

// Real kernel: deny inside an allowed tree (complement expansion) holds.
TEST(AppArmorLandlock, ComplementOnRealKernel) {
  if (sandbox::LandlockRuleset::abi_version() <= 0) GTEST_SKIP() << "Landlock unavailable";
  fs::path d = fs::path("/tmp") / ("confine-h8-cmp-" + std::to_string(getpid()));
  fs::create_directories(d / "a" / "secret");
  fs::create_directories(d / "b");
  std::ofstream(d / "a" / "f") << "x";
  std::ofstream(d / "a" / "secret" / "s") << "x";
  Translation t = translate("profile p {\n /** r,\n " + d.string() + "/** rw,\n deny " + d.string() +
                            "/a/secret/** w,\n}\n");
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    std::vector<std::string> notes;
    if (!apply_ruleset(t, &notes).ok()) _exit(11);
    int code = 0;
    int fd = open((d / "a" / "f").c_str(), O_WRONLY);  // sibling of secret: allowed
    if (fd < 0) code |= 1;
    fd = open((d / "b" / "new").c_str(), O_WRONLY | O_CREAT, 0600);  // sibling tree of a: allowed
    if (fd < 0) code |= 2;
    fd = open((d / "a" / "secret" / "s").c_str(), O_WRONLY);  // denied
    if (fd >= 0 || errno != EACCES) code |= 4;
    fd = open((d / "a" / "secret" / "n").c_str(), O_WRONLY | O_CREAT, 0600);  // denied
    if (fd >= 0 || errno != EACCES) code |= 8;
    fd = open((d / "a" / "secret" / "s").c_str(), O_RDONLY);  // reading stays allowed
    if (fd < 0) code |= 16;
    _exit(code);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0) << "1=a/f not writable, 2=b/new not creatable, 4=secret/s writable, "
                                   "8=secret/n creatable, 16=secret/s not readable";
  fs::remove_all(d);
}

}  // namespace
}  // namespace confine::apparmor
