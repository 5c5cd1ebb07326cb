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
#include <map>
#include <sstream>
#include <thread>

#include "apparmor/from_behavior.h"
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
  // A missing include of the profile root: every place looked in, and the Debian package.
  for (auto [inc, pkg] : {std::pair{"include <tunables/global>", "apparmor"},
                          std::pair{"include <abstractions/totem>", "apparmor-profiles-extra"},
                          std::pair{"include \"abstractions/base\"", "apparmor"}}) {
    auto u = parse(std::string(inc) + "\nprofile x {}\n", "u");
    ASSERT_TRUE(u.ok());
    ResolveOptions ro;
    ro.root = "/nonexistent-root";
    auto ru = resolve(std::move(*u), "/nonexistent-dir", ro);
    ASSERT_FALSE(ru.ok());
    std::string msg = ru.error().message();
    EXPECT_NE(msg.find("/nonexistent-root/"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::string("the Debian package ") + pkg + " provides it"), std::string::npos) << msg;
    if (std::string(inc).find('"') != std::string::npos) {
      EXPECT_NE(msg.find("/nonexistent-dir/abstractions/base, /nonexistent-root/abstractions/base"),
                std::string::npos)
          << msg;
    }
  }
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
    FAIL() << "apparmor_parser not installed (required: see README Set-up; never a skip)";
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

TEST(AppArmorLandlock, MissingWritablePathGoesToItsDirectory) {
  std::string dir = std::filesystem::path(testing::TempDir() + "/ll-missing").lexically_normal().string();
  std::filesystem::create_directories(dir);
  std::filesystem::remove(dir + "/new.log");
  Translation t =
      translate("profile p { " + dir + "/new.log w, " + dir + "/gone.txt r, /nowhere-at-all/x w, }", 7);
  const PathRule* parent = nullptr;
  for (const auto& r : t.rules)
    if (r.path == dir) parent = &r;
  ASSERT_TRUE(parent) << "the created file's directory carries its rights";
  EXPECT_TRUE(parent->access & kMakeReg);
  EXPECT_TRUE(parent->access & kWriteFile);
  EXPECT_FALSE(parent->access & kMakeDir);  // a file rule creates files only
  EXPECT_FALSE(parent->access & kExecute);
  EXPECT_FALSE(parent->access & kReadDir);   // nor listing
  EXPECT_FALSE(parent->access & kReadFile);  // `w` only: not every file of the directory readable
  EXPECT_TRUE(has_warning(t, "widening row missing-file"));
  EXPECT_TRUE(has_warning(t, dir + "/new.log -> " + dir + " (")) << "the use is printed with the directory";
  // Read-only rules on missing paths, and missing paths under / only, stay skipped.
  for (const auto& r : t.rules) EXPECT_NE(r.path, "/") << "never widened to /";
  EXPECT_TRUE(has_warning(t, "their rules are skipped"));
}

// A unix socket or fifo the program created (the generator's mark in the rule comment):
// make_sock / make_fifo on its directory (row created-node), also when a stale socket exists
// at translation time; an unmarked rule gets no make_sock; never make_char/make_block.
TEST(AppArmorLandlock, CreatedSocketAndFifoGetTheirKindOnTheDirectory) {
  fs::path d = fs::path(testing::TempDir()) / ("ll-sock-" + std::to_string(getpid()));
  fs::create_directories(d / "stale");
  std::ofstream((d / "stale" / "s.sock").string()) << "";
  Translation t =
      translate("profile p {\n " + (d / "run").string() + "/x.sock w, # [created: unix socket]\n " +
                    (d / "stale").string() + "/s.sock w, # [created: unix socket]\n " + (d / "q").string() +
                    "/fifo rw, # [created: fifo]\n " + (d / "plain").string() + "/out w,\n}\n",
                7);
  fs::create_directories(d / "run");  // after: the translation sees "run" missing -> dropped
  std::map<std::string, uint64_t> m;
  for (const auto& r : t.rules) m[r.path] = r.access;
  EXPECT_FALSE(m.count((d / "run").string())) << "its directory does not exist: narrowed, not widened";
  ASSERT_TRUE(m.count((d / "stale").string())) << "a stale socket: the grant is on the directory";
  uint64_t st = m[(d / "stale").string()];
  EXPECT_TRUE(st & kMakeSock);
  EXPECT_TRUE(st & kRemoveFile);
  EXPECT_FALSE(st & (kMakeReg | kMakeFifo | kMakeChar | kMakeBlock | kReadDir | kReadFile | kWriteFile));
  EXPECT_FALSE(m.count((d / "stale" / "s.sock").string()));
  EXPECT_TRUE(has_warning(t, "widening row created-node"));
  fs::create_directories(d / "q");
  fs::create_directories(d / "plain");
  Translation t2 = translate("profile p {\n " + (d / "q").string() + "/fifo rw, # [created: fifo]\n " +
                                 (d / "plain").string() + "/out w,\n}\n",
                             7);
  std::map<std::string, uint64_t> m2;
  for (const auto& r : t2.rules) m2[r.path] = r.access;
  uint64_t q = m2[(d / "q").string()];
  EXPECT_TRUE(q & kMakeFifo);
  EXPECT_TRUE(q & kReadFile);
  EXPECT_TRUE(q & kWriteFile);
  EXPECT_FALSE(q & (kMakeSock | kMakeReg | kMakeChar | kMakeBlock));
  uint64_t pl = m2[(d / "plain").string()];
  EXPECT_TRUE(pl & kMakeReg) << "row missing-file";
  EXPECT_FALSE(pl & (kMakeSock | kMakeFifo | kMakeChar | kMakeBlock)) << "no kind beyond the recorded one";
  fs::remove_all(d);
}

// A program the workload writes and then runs, missing at translation (make && build/app after
// make clean): execute on the nearest existing directory (row created-exec); an exec-only rule
// on a missing file (the recording never wrote it) and one under /etc get nothing.
TEST(AppArmorLandlock, CreatedExecOnTheNearestExistingDirectory) {
  fs::path d = fs::path(testing::TempDir()) / ("ll-cexec-" + std::to_string(getpid()));
  fs::create_directories(d / "ws");
  Translation t =
      translate("profile p {\n " + (d / "ws" / "build").string() + "/app mrwix,\n " +
                    (d / "ws" / "ro").string() + "/tool mrix,\n /etc/confine-none/app mrwix,\n}\n",
                7);
  std::map<std::string, uint64_t> m;
  for (const auto& r : t.rules) m[r.path] = r.access;
  ASSERT_TRUE(m.count((d / "ws").string()));
  uint64_t ws = m[(d / "ws").string()];
  EXPECT_TRUE(ws & kExecute);
  EXPECT_TRUE(ws & kWriteFile);
  EXPECT_FALSE(ws & (kMakeDir | kMakeSock | kMakeChar | kMakeBlock)) << "a directory rule gives those";
  EXPECT_TRUE(has_warning(t, "widening row created-exec"));
  for (const auto& r : t.rules) EXPECT_FALSE(r.path.starts_with("/etc")) << r.path;
  // There now, in a directory the program creates (make clean removes it): execute above it.
  fs::create_directories(d / "ws2" / "build");
  std::ofstream((d / "ws2" / "build" / "app").string()) << "x";
  std::string b = (d / "ws2" / "build").string();
  Translation t2 = translate("profile p {\n " + b + "/ rw, # generalisation created-dir: directory\n " + b +
                                 "/** rw, # generalisation created-dir: files\n " + b + "/app mrwix,\n}\n",
                             7);
  std::map<std::string, uint64_t> m2;
  for (const auto& r : t2.rules) m2[r.path] = r.access;
  EXPECT_TRUE(m2[(d / "ws2").string()] & kExecute) << "the parent of the re-created directory";
  EXPECT_FALSE(m2[b] & kExecute) << "not only the directory that make clean removes";
  fs::remove_all(d);
}

// `\[` is a literal '[' (the evaluator's Glob and expand() read escapes the same way):
// a literal path with brackets names that path; a glob below it starts after it.
TEST(AppArmorLandlock, EscapedBracketIsLiteral) {
  fs::path d = fs::path(testing::TempDir()) / ("ll-br-" + std::to_string(getpid()));
  fs::create_directories(d / "a[1]" / "sub");
  std::ofstream((d / "a[1]" / "f").string()) << "x";
  std::ofstream((d / "a[1]" / ".hidden").string()) << "x";
  std::string e = d.string() + "/a\\[1\\]";
  Translation t = translate("profile p {\n " + e + "/f r,\n " + e + "/* r,\n deny " + e + "/.h* r,\n}\n", 7);
  std::map<std::string, uint64_t> m;
  for (const auto& r : t.rules) m[r.path] = r.access;
  EXPECT_TRUE(m.count((d / "a[1]" / "f").string())) << "the literal file";
  EXPECT_FALSE(m.count(d.string())) << "not split at the escaped '['";
  EXPECT_FALSE(m.count((d / "a[1]" / ".hidden").string())) << "deny /x/.h* matches the dot file";
  EXPECT_TRUE(has_warning(t, "2 file(s) in " + (d / "a[1]").string()));
  fs::remove_all(d);
}

// A rule on a directory itself (AppArmor: DIR/ only) never becomes rights over the tree:
// `/ w` and `DIR/ w` give nothing, `DIR/ r` only read_dir (row list-dir), and never on /,
// /etc, /root, /home, /dev, /proc, /sys.
TEST(AppArmorLandlock, DirectoryRuleStaysOnTheDirectory) {
  fs::path d = fs::path(testing::TempDir()) / ("ll-dir-" + std::to_string(getpid()));
  fs::create_directories(d / "sub");
  Translation t =
      translate("profile p {\n / w,\n / r,\n /etc/ r,\n /root/ rw,\n " + d.string() + "/ rw,\n}\n", 7);
  std::map<std::string, uint64_t> m;
  for (const auto& r : t.rules) m[r.path] = r.access;
  EXPECT_FALSE(m.count("/")) << "/ w must not become write on every file";
  EXPECT_FALSE(m.count("/etc"));
  EXPECT_FALSE(m.count("/root"));
  ASSERT_TRUE(m.count(d.string()));
  EXPECT_EQ(m[d.string()], kReadDir);  // list it; no write, no file read
  // Creating or removing the directory itself: make_dir/remove_dir on its parent only (row
  // recreate-dir), never file rights there; never on / (for `/root/ rw`).
  ASSERT_TRUE(m.count(d.parent_path().string()));
  EXPECT_EQ(m[d.parent_path().string()], kMakeDir | kRemoveDir);
  EXPECT_TRUE(has_warning(t, "widening row recreate-dir"));
  EXPECT_TRUE(has_warning(t, "widening row list-dir"));
  EXPECT_TRUE(has_warning(t, "narrowed"));
  EXPECT_TRUE(has_warning(t, "on the directory itself"));
  fs::remove_all(d);
}

// A directory the program creates with its content (the created-dir rules D/ rw, D/** rw)
// that exists at translation time: a D removed and created again is a new inode, so D/**'s
// file rights go to D's parent too (row recreate-tree), as the created row gives them when D
// is missing; only for the generator's rules (their comment), never a hand-written D/**;
// never on / or the system trees (/root/ rw, /root/** rw).
TEST(AppArmorLandlock, RecreatedTreeKeepsItsFileRights) {
  fs::path d = fs::path(testing::TempDir()) / ("ll-recreate-" + std::to_string(getpid()));
  fs::create_directories(d / "out" / "uz" / "a");
  fs::create_directories(d / "in");
  fs::create_directories(d / "srv" / "app");
  std::string uz = (d / "out" / "uz").string(), app = (d / "srv" / "app").string();
  const std::string tag = " # " + std::string(kTagCreatedDir) + " files the program created in it";
  Translation t =
      translate("profile p {\n " + uz + "/ rw,\n " + uz + "/** rw," + tag + "\n /root/ rw,\n /root/** rw," +
                    tag + "\n " + (d / "in").string() + "/ rw,\n " + app + "/ rw,\n " + app + "/** rw,\n}\n",
                7);
  std::map<std::string, uint64_t> m;
  for (const auto& r : t.rules) m[r.path] = r.access;
  std::string out = (d / "out").string();
  ASSERT_TRUE(m.count(out));
  for (uint64_t need : {kMakeDir, kRemoveDir, kMakeReg, kWriteFile, kReadFile, kRemoveFile, kReadDir})
    EXPECT_TRUE(m[out] & need) << access_names(need);
  EXPECT_FALSE(m[out] & kExecute);
  EXPECT_TRUE(has_warning(t, "widening row recreate-tree"));
  // D/ rw without a writable D/**: make_dir/remove_dir only (row recreate-dir).
  EXPECT_EQ(m[d.string()], kMakeDir | kRemoveDir);
  // A hand-written D/** rw (no created-dir comment): the same, never the parent's files.
  EXPECT_EQ(m[(d / "srv").string()], kMakeDir | kRemoveDir);
  EXPECT_FALSE(m.count("/"));
  fs::remove_all(d);
}

// A symbolic link named by a rule (a link the program makes: ln -sf) is a name in its directory:
// a Landlock rule on it would follow it to its target, which AppArmor checks at the target's
// own path. A writable rule gives its rights to the parent (row missing-file), a dangling one
// too; a one-component glob's files (row glob-files) skip links.
TEST(AppArmorLandlock, SymlinkRuleNeverReachesItsTarget) {
  fs::path d = fs::path(testing::TempDir()) / ("ll-link-" + std::to_string(getpid()));
  fs::create_directories(d / "in");
  fs::create_directories(d / "out" / "sub");
  std::ofstream((d / "in" / "x.txt").string()) << "x";
  std::ofstream((d / "out" / "f.txt").string()) << "x";
  fs::create_symlink("../in/x.txt", d / "out" / "l");
  fs::create_symlink("../in/gone.txt", d / "out" / "dangling");
  std::string out = (d / "out").string();
  Translation t =
      translate("profile p {\n " + out + "/l w,\n " + out + "/dangling w,\n " + out + "/* r,\n}\n", 7);
  std::map<std::string, uint64_t> m;
  for (const auto& r : t.rules) m[r.path] = r.access;
  // A rule is opened by its path when it is applied (O_PATH follows a link): none on a link.
  EXPECT_FALSE(m.count((d / "out" / "l").string())) << "would be the link's target, in/x.txt";
  EXPECT_FALSE(m.count((d / "out" / "dangling").string())) << "cannot be opened: confine run fails";
  EXPECT_FALSE(m.count((d / "in" / "x.txt").string()));
  EXPECT_FALSE(m.count((d / "in").string()));
  ASSERT_TRUE(m.count(out));
  EXPECT_TRUE(m[out] & kMakeSym) << access_names(m[out]);
  EXPECT_TRUE(m.count((d / "out" / "f.txt").string())) << "glob-files: the file";
  EXPECT_TRUE(has_warning(t, "widening row missing-file"));
  fs::remove_all(d);
}

// The created row (creating rights on the nearest existing directory) and globs never
// reach /, /root, /home, /dev, /proc, /sys, /etc.
TEST(AppArmorLandlock, NoWideningOntoSystemDirectories) {
  Translation t = translate(
      "profile p {\n /root/confine-new-file-xyz w,\n /etc/confine-new-file-xyz w,\n /dev/confine-new-xyz w,\n"
      " /dev/shm/confine-new-xyz w,\n"
      " /home/*.txt rw,\n /root/* r,\n /etc/*.conf w,\n /proc/*/status r,\n}\n",
      7);
  std::map<std::string, uint64_t> m;
  for (const auto& r : t.rules) m[r.path] = r.access;
  for (const char* p : {"/", "/root", "/home", "/dev", "/etc", "/dev/shm"}) EXPECT_FALSE(m.count(p)) << p;
  EXPECT_EQ(m["/proc"] & ~(kReadFile | kReadDir | kExecute), 0u);  // glob-read: read only
  EXPECT_TRUE(has_warning(t, "widening row glob-read"));
  EXPECT_TRUE(has_warning(t, "narrowed"));
}

// `D/** w` for a directory that does not exist yet: the program makes D, so the creating
// rights on the nearest existing directory include make_dir (row created).
TEST(AppArmorLandlock, MissingTreeRuleCanMakeItsDirectory) {
  std::string dir =
      std::filesystem::path(testing::TempDir() + "/ll-missing-tree").lexically_normal().string();
  std::filesystem::create_directories(dir);
  std::filesystem::remove_all(dir + "/newdir");
  Translation t = translate("profile p { " + dir + "/newdir/** w, }", 7);
  ASSERT_EQ(t.rules.size(), 1u);
  EXPECT_EQ(t.rules[0].path, dir);
  EXPECT_TRUE(t.rules[0].access & kMakeDir);
  EXPECT_TRUE(t.rules[0].access & kMakeReg);
  EXPECT_TRUE(has_warning(t, "widening row created"));
}

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
  EXPECT_TRUE(has_warning(t, "widening row append"));
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
  if (sandbox::LandlockRuleset::abi_version() <= 0)
    FAIL() << "Landlock unavailable (required: see README Set-up; never a skip)";
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
  if (sandbox::LandlockRuleset::abi_version() <= 0)
    FAIL() << "Landlock unavailable (required: see README Set-up; never a skip)";
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

// --- if/else conditionals and qualifier blocks ------------------------------------------------
namespace blocks {

const char* kBlocks = R"($FOO = true
${BAR} = false
@{X} = /tmp
profile t {
  if $FOO { # then
    /etc/a r,
  }  else {
    /etc/b r,
  } # end
  if not $BAR {
    /etc/c r,
  }
  # between
  else if defined @{X} {
    /etc/d r,
  } else if not not defined $BAZ {
    /etc/e w,
  } else {
    capability chown,
  }
  if defined $BAZ {
    /etc/f r,
  }
  audit {
    /etc/g r,
    deny /etc/g2 w,
  }
  audit allow owner {
    /etc/h w,
    other /etc/hh w,
    if $FOO {
      /etc/k r,
      link /etc/l -> /etc/m,
    }
  }
  owner {
   /etc/j r,
  }
}
)";

std::shared_ptr<Profile> only_profile(const File& f) {
  auto ps = profiles(f);
  return ps.size() == 1 ? ps[0] : nullptr;
}

TEST(AppArmorBlocks, ModelAndPositions) {
  auto f = parse(kBlocks, "b");
  ASSERT_TRUE(f.ok()) << f.error().message();
  auto p = only_profile(*f);
  ASSERT_TRUE(p);
  std::vector<std::shared_ptr<Conditional>> conds;
  std::vector<std::shared_ptr<QualifierBlock>> qbs;
  for (const auto& it : p->items) {
    if (auto* c = std::get_if<std::shared_ptr<Conditional>>(&it)) conds.push_back(*c);
    if (auto* q = std::get_if<std::shared_ptr<QualifierBlock>>(&it)) qbs.push_back(*q);
  }
  ASSERT_EQ(conds.size(), 3u);
  ASSERT_EQ(qbs.size(), 3u);
  const Conditional& c0 = *conds[0];
  EXPECT_EQ(c0.pos.line, 5u);
  EXPECT_EQ(c0.pos.col, 3u);
  EXPECT_EQ(c0.cond.kind, Condition::Kind::Bool);
  EXPECT_EQ(c0.cond.name, "FOO");
  EXPECT_EQ(c0.cond.pos.col, 6u);
  EXPECT_TRUE(c0.has_else);
  EXPECT_FALSE(c0.else_if);
  EXPECT_EQ(c0.trailing_comment, " end");
  ASSERT_EQ(c0.then_items.size(), 2u);  // "# then" comment and the rule
  EXPECT_EQ(std::get<Comment>(c0.then_items[0]).text, " then");
  // if not $BAR {} # between else if defined @{X} ...: the comment moves into an else block
  const Conditional& c1 = *conds[1];
  EXPECT_EQ(c1.cond.negations, 1u);
  EXPECT_FALSE(c1.else_if);
  ASSERT_EQ(c1.else_items.size(), 2u);
  auto c1e = std::get<std::shared_ptr<Conditional>>(c1.else_items[1]);
  EXPECT_EQ(c1e->pos.line, 14u);
  EXPECT_EQ(c1e->pos.col, 8u);
  EXPECT_EQ(c1e->cond.kind, Condition::Kind::DefinedVar);
  EXPECT_EQ(c1e->cond.name, "X");
  EXPECT_TRUE(c1e->else_if);
  auto c1ee = std::get<std::shared_ptr<Conditional>>(c1e->else_items[0]);
  EXPECT_EQ(c1ee->cond.kind, Condition::Kind::DefinedBool);
  EXPECT_EQ(c1ee->cond.negations, 2u);
  EXPECT_TRUE(c1ee->has_else);
  EXPECT_FALSE(c1ee->else_if);
  EXPECT_EQ(std::get<Rule>(c1ee->else_items[0]).kind, "capability");
  EXPECT_FALSE(conds[2]->has_else);
  EXPECT_TRUE(qbs[0]->audit);
  EXPECT_EQ(qbs[0]->mode, RuleMode::Unspecified);
  EXPECT_EQ(qbs[0]->pos.line, 24u);
  EXPECT_TRUE(qbs[1]->audit);
  EXPECT_EQ(qbs[1]->mode, RuleMode::Allow);
  EXPECT_EQ(qbs[1]->owner, "owner");
  EXPECT_EQ(std::get<Rule>(qbs[1]->items[1]).pos.line, 30u);
  EXPECT_FALSE(qbs[2]->audit);
  EXPECT_EQ(qbs[2]->owner, "owner");
}

TEST(AppArmorBlocks, RoundTripAndCanonicalText) {
  expect_round_trip(kBlocks, "blocks");
  // a comment after a closing '}' stays there (found by the fuzzer: it moved to the '{' line)
  expect_round_trip("profile a {\n  /else {\n  } # c\n} # d\n", "trailing");
  expect_round_trip("profile a { # open\n  if defined $X { # x\n  } # y\n}\n", "trailing2");
  auto f = parse(
      "profile t {\nif   not   ${A}{\n/a r,\n}else    if defined $B {\n}   else{\n}\n"
      "audit   owner{\n/b r,\n}\n}\n",
      "c");
  ASSERT_FALSE(f.ok());  // `{\n` after ${A} is lexed as part of a glob word -> error, not silence
  auto g = parse(
      "$A = true\nprofile t {\nif   not   ${A} {\n/a r,\n}else    if defined $B {\n}   else {\n}\n"
      "audit   owner {\n/b r,\n}\n}\n",
      "c");
  ASSERT_TRUE(g.ok()) << g.error().message();
  EXPECT_EQ(format(*g),
            "$A = true\nprofile t {\n  if not $A {\n    /a r,\n  } else if defined $B {\n  } else {\n  }\n"
            "  audit owner {\n    /b r,\n  }\n}\n");
}

TEST(AppArmorBlocks, BadInputHasPositions) {
  const BadCase cases[] = {
      {"profile x {\n  if $F /a r,\n}\n", 2, 9, "expected '{' after the if condition"},
      {"profile x {\n  if ($F) {\n  }\n}\n", 2, 6, "no parentheses"},
      {"profile x {\n  if @{F} {\n  }\n}\n", 2, 6, "only be tested with 'defined @{VAR}'"},
      {"profile x {\n  if $A and $B {\n  }\n}\n", 2, 9, "'and' is not supported"},
      {"profile x {\n  if $A or $B {\n  }\n}\n", 2, 9, "'or' is not supported"},
      {"profile x {\n  if {\n  }\n}\n", 2, 6, "expected an if condition"},
      {"profile x {\n  if foo {\n  }\n}\n", 2, 6, "unknown if condition"},
      {"profile x {\n  if defined foo {\n  }\n}\n", 2, 14, "expected $VAR or @{VAR} after 'defined'"},
      {"profile x {\n  if $F {\n  } else /b r,\n}\n", 3, 10, "expected '{' or 'if' after 'else'"},
      {"profile x {\n  else {\n  }\n}\n", 2, 3, "'else' without"},
      {"profile x {\n  if $F {\n  }\n  /a r,\n  else {\n  }\n}\n", 5, 3, "'else' without"},
      {"profile x {\n  deny {\n    /a r,\n  }\n}\n", 2, 3, "'deny' is not allowed on a qualifier block"},
      {"profile x {\n  audit deny owner {\n  }\n}\n", 2, 9, "'deny' is not allowed"},
      {"profile x {\n  audit owner other {\n  }\n}\n", 2, 15, "in block qualifiers"},
      {"profile x {\n  if $F {\n    $G = true\n  }\n}\n", 3, 5, "variable definitions are not allowed"},
      {"profile x {\n  owner {\n    @{G} = /a\n  }\n}\n", 3, 5, "variable definitions are not allowed"},
      {"profile x {\n  if $F {\n    /a r,\n", 2, 9, "unterminated if block"},
      {"profile x {\n  audit {\n    /a r,\n", 2, 9, "unterminated qualifier block"},
      {"profile x {\n  if $F {\n  } else {\n", 3, 10, "unterminated else block"},
      {"profile x {\n  if $F {\n    /a rq,\n  }\n}\n", 3, 8, "unknown permission 'q'"},
  };
  for (const auto& c : cases) {
    auto f = parse(c.text, "bad.profile");
    ASSERT_FALSE(f.ok()) << c.text;
    EXPECT_EQ(f.error().pos().line, c.line) << c.text << " -> " << f.error().message();
    EXPECT_EQ(f.error().pos().col, c.col) << c.text << " -> " << f.error().message();
    EXPECT_NE(f.error().message().find(c.msg), std::string::npos) << f.error().message();
    EXPECT_EQ(f.error().message().rfind("bad.profile:", 0), 0u) << f.error().message();
  }
  std::string deep = "profile x {\n";
  for (int i = 0; i < 100; ++i) deep += (i % 2 ? "audit {\n" : "if $F {\n");
  for (int i = 0; i < 101; ++i) deep += "}\n";
  auto d = parse(deep, "deep");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("nested too deeply"), std::string::npos) << d.error().message();
}

Result<Resolved> resolve_text(const std::string& text) {
  CONFINE_TRY(File f, parse(text, "r"));
  return resolve(std::move(f), ".");
}

TEST(AppArmorBlocks, ResolveErrorsLikeApparmorParser) {
  auto u = resolve_text("profile t {\n  if $F {\n  }\n}\n");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().message(), "r:2:6: unset boolean variable $F used in if-expression");
  // also inside a branch that is not taken, and in an else-if
  auto u2 = resolve_text("$T = true\nprofile t {\n  if not $T {\n    if $G {\n    }\n  }\n}\n");
  ASSERT_FALSE(u2.ok());
  EXPECT_EQ(u2.error().message(), "r:4:8: unset boolean variable $G used in if-expression");
  auto u3 = resolve_text("$T = true\nprofile t {\n  if $T {\n  } else if not $H {\n  }\n}\n");
  ASSERT_FALSE(u3.ok());
  EXPECT_EQ(u3.error().message(), "r:4:13: unset boolean variable $H used in if-expression");
  auto d = resolve_text("$T = true\n$T = false\nprofile t {\n}\n");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().message(), "r:2:1: variable $T was previously declared");
  // `defined` never fails; undefined @{} only matters in the branch that is taken
  EXPECT_TRUE(resolve_text("profile t {\n  if defined $N {\n    @{NOPE}/x r,\n  }\n}\n").ok());
  auto v = resolve_text("profile t {\n  if not defined $N {\n    @{NOPE}/x r,\n  }\n}\n");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message(), "r:3:5: undefined variable @{NOPE}");
}

std::vector<std::string> flat_text(const Resolved& r) {
  std::vector<std::string> out;
  for (const auto& fr : flatten(r, *profiles(r.main)[0])) out.push_back(format_rule(fr.rule));
  return out;
}

TEST(AppArmorBlocks, FlattenEvaluatesAndApplies) {
  auto r = resolve_text(kBlocks);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(flat_text(*r),
            (std::vector<std::string>{"/etc/a r,", "/etc/c r,", "audit /etc/g r,", "deny /etc/g2 w,",
                                      "audit owner /etc/h w,", "audit owner /etc/k r,",
                                      "audit owner link /etc/l -> /etc/m,", "owner /etc/j r,"}));
  bool warned = false;
  for (const auto& w : r->warnings)
    warned |= w.find("inside a qualifier block is ignored") != std::string::npos;
  EXPECT_FALSE(warned);
  auto c = resolve_text(
      "$B = false\nprofile t {\n  if $B {\n  } else if not defined @{X} {\n"
      "    capability chown,\n  }\n  owner {\n    capability kill,\n  }\n}\n");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(flat_text(*c), std::vector<std::string>{"capability chown,"});
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_EQ(c->warnings[0].rfind("r:8:5: capability rule inside a qualifier block is ignored", 0), 0u)
      << c->warnings[0];
}

// --- the real apparmor_parser as the oracle ---
bool have_apparmor_parser() { return system("command -v apparmor_parser >/dev/null 2>&1") == 0; }

// sha1 of `apparmor_parser -S -K` (full compile, binary policy), "" when it rejects the text.
std::string aa_compile(const std::string& text, const std::string& tag) {
  std::string path = testing::TempDir() + "/hd-blocks-" + tag + ".aa";
  std::ofstream(path) << text;
  std::string cmd =
      "set -o pipefail; apparmor_parser -S -K --base /etc/apparmor.d " + path + " 2>/dev/null | sha1sum";
  std::string full = "bash -c '" + cmd + "'";
  FILE* p = popen(full.c_str(), "r");
  if (!p) return "";
  char buf[128] = {0};
  std::string out = fgets(buf, sizeof buf, p) ? buf : "";
  int rc = pclose(p);
  return rc == 0 ? out.substr(0, 40) : "";
}

const char* kOracleCases[] = {
    kBlocks,
    "$A = false\n@{D} = /srv\nprofile t {\n  if $A {\n    /a r,\n  } else if defined @{D} {\n    @{D}/** "
    "rw,\n"
    "  } else {\n    /c r,\n  }\n  if not defined @{E} {\n    /e r,\n  }\n}\n",
    "$A = true\nprofile t {\n  owner {\n    other /x r,\n    /y rw,\n    /z px -> t,\n  }\n  audit {\n"
    "    deny /q w,\n    owner /r r,\n    audit /s r,\n  }\n  other {\n    /u r,\n  }\n}\n",
    "$A = true\n$B = false\nprofile t {\n  if $A {\n    if not $B {\n      audit owner {\n        if $A {\n"
    "          /n r,\n        } else {\n          /o r,\n        }\n      }\n    }\n  }\n  allow {\n    "
    "file,\n  }\n}\n",
};

TEST(AppArmorBlocks, RealApparmorParserAgrees) {
  if (!have_apparmor_parser())
    FAIL() << "apparmor_parser not installed (required: see README Set-up; never a skip)";
  int i = 0;
  for (const char* text : kOracleCases) {
    SCOPED_TRACE(text);
    std::string tag = std::to_string(i++);
    auto f = parse(text, "o");
    ASSERT_TRUE(f.ok()) << f.error().message();
    std::string orig = aa_compile(text, tag + "orig");
    ASSERT_FALSE(orig.empty()) << "apparmor_parser rejects the test profile";
    // our canonical text compiles to the very same binary policy
    EXPECT_EQ(aa_compile(format(*f), tag + "fmt"), orig);
    // and so do the rules flatten() says the profile has (conditions evaluated, qualifiers applied)
    auto r = resolve(std::move(*f), ".");
    ASSERT_TRUE(r.ok()) << r.error().message();
    std::string t(text);
    std::string flat = t.substr(0, t.find("profile t {")) + "profile t {\n";  // + the variables
    for (const auto& s : flat_text(*r)) flat += "  " + s + "\n";
    flat += "}\n";
    EXPECT_EQ(aa_compile(flat, tag + "flat"), orig) << flat;
  }
  // what we reject, apparmor_parser rejects too
  const char* bad[] = {
      "profile t {\n  deny {\n    /a r,\n  }\n}\n",
      "$A = true\nprofile t {\n  if $A and $A {\n  }\n}\n",
      "$A = true\nprofile t {\n  if ($A) {\n  }\n}\n",
      "@{A} = /a\nprofile t {\n  if @{A} {\n  }\n}\n",
      "$A = true\nprofile t {\n  if $A /a r,\n}\n",
      "$A = true\nprofile t {\n  if $A {\n    $B = true\n  }\n}\n",
      "profile t {\n  if $UNSET {\n  }\n}\n",
      "$A = true\n$A = false\nprofile t {\n}\n",
  };
  for (const char* text : bad) {
    SCOPED_TRACE(text);
    EXPECT_EQ(aa_compile(text, "bad" + std::to_string(i++)), "");
    auto f = parse(text, "bad");
    if (f.ok()) {
      EXPECT_FALSE(resolve(std::move(*f), ".").ok());
    }
  }
}

}  // namespace blocks

}  // namespace
}  // namespace confine::apparmor

namespace confine::apparmor {
namespace {

// DIR/* r (row data-dir of the generator): Landlock cannot match names, so the read right
// goes to DIR's subtree (row glob-read) when DIR has no sub-directories, and to each file
// the glob matches when it has (row glob-files: the sub-directories are other data).
TEST(AppArmorLandlock, OneComponentGlobBesideSubdirectoriesGoesToItsFiles) {
  namespace fs = std::filesystem;
  fs::path d = fs::path(testing::TempDir()) / ("ll-glob-files-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d / "flat");
  fs::create_directories(d / "mixed" / "sub");
  for (const char* f : {"flat/a.txt", "mixed/a.txt", "mixed/b.log", "mixed/sub/secret.txt"})
    std::ofstream(d / f) << "x";
  std::string flat = (d / "flat").string(), mixed = (d / "mixed").string();
  auto f = parse("profile p {\n " + flat + "/* r,\n " + mixed + "/*.txt r,\n}\n", "t");
  ASSERT_TRUE(f.ok());
  auto r = resolve(std::move(*f), ".", {});
  ASSERT_TRUE(r.ok());
  auto ps = profiles(r->main);
  ASSERT_FALSE(ps.empty());
  TranslateOptions o;
  o.abi = 7;
  auto t = to_landlock(*r, *ps[0], o);
  ASSERT_TRUE(t.ok()) << t.error().message();
  std::map<std::string, uint64_t> m;
  for (const auto& pr : t->rules) m[pr.path] = pr.access;
  EXPECT_TRUE(m.count(flat) && (m[flat] & kReadFile)) << "no sub-directory: the directory";
  EXPECT_FALSE(m.count(mixed)) << "sub-directories: not the subtree";
  EXPECT_TRUE(m.count(mixed + "/a.txt") && (m[mixed + "/a.txt"] & kReadFile));
  EXPECT_FALSE(m.count(mixed + "/b.log")) << "not matched by *.txt";
  EXPECT_FALSE(m.count(mixed + "/sub/secret.txt"));
  bool files = false, read = false;
  for (const auto& w : t->warnings) {
    files |= w.find("widening row glob-files") != std::string::npos &&
             w.find("1 file(s) in " + mixed) != std::string::npos;
    read |= w.find("widening row glob-read") != std::string::npos &&
            w.find(flat + "/* -> " + flat) != std::string::npos;
  }
  EXPECT_TRUE(files && read);
  // bounded: more entries than max_glob_files -> the subtree (glob-read), printed
  o.max_glob_files = 1;
  auto t2 = to_landlock(*r, *ps[0], o);
  ASSERT_TRUE(t2.ok());
  bool whole = false;
  for (const auto& pr : t2->rules) whole |= pr.path == mixed;
  EXPECT_TRUE(whole);
  fs::remove_all(d);
}

}  // namespace
}  // namespace confine::apparmor

namespace confine::apparmor {
namespace {

using namespace sandbox::landlock_access;

// The generator's own @{pid}/@{tid} (from_behavior.cc), shortened.
const char* kProcVars =
    "@{pid}={[1-9],[1-9][0-9],[1-9][0-9][0-9]}\n@{tid}={[1-9],[1-9][0-9],[1-9][0-9][0-9]}\n";

TEST(AppArmorLandlock, SelfProcTargets) {
  EXPECT_EQ(self_proc_target("/proc/@{pid}/task/@{tid}/comm"), "task");
  EXPECT_EQ(self_proc_target("@{PROC}/@{pid}/task/@{tid}/comm"), "task");
  EXPECT_EQ(self_proc_target("/proc/thread-self/comm"), "task");
  EXPECT_EQ(self_proc_target("/proc/self/task/@{tid}/attr/current"), "task");
  EXPECT_EQ(self_proc_target("/proc/@{pid}/comm"), "comm");
  EXPECT_EQ(self_proc_target("/proc/self/oom_score_adj"), "oom_score_adj");
  EXPECT_EQ(self_proc_target("/proc/@{pid}/attr/current"), "attr/current");
  // Not the program's own files, not literal, or a link to another file: no row.
  for (const char* p :
       {"/proc/1/comm", "/proc/@{pid}/task/", "/proc/@{pid}/task/@{tid}/", "/proc/@{pid}/fd/3",
        "/proc/@{pid}/task/1/comm", "/proc/@{pid}/*", "/proc/@{pid}/../1/comm", "/proc/sys/x",
        "/proc/@{pid}/map_files/1-2", "/proc/@{pid}/cwd", "/proc/@{pid}/task", "/tmp/@{pid}/comm",
        "/proc/@{pid}/task/@{tid}/c*"})
    EXPECT_EQ(self_proc_target(p), "") << p;
}

// Row self-proc: a thread name (memcached's `/proc/@{pid}/task/@{tid}/comm rw`) becomes the
// rule's file rights on /proc/self/task, opened by the sandboxed process; it used to be dropped
// ("creating in /proc"). Reads keep their way (glob-read on /proc); deny rules still win.
TEST(AppArmorLandlock, OwnThreadFilesGoToProcSelfTask) {
  Translation t =
      translate(std::string(kProcVars) +
                    "profile p {\n /proc/@{pid}/task/@{tid}/comm rw,\n owner /proc/@{pid}/oom_score_adj w,\n"
                    " owner /proc/@{pid}/stat r,\n /proc/@{pid}/task/@{tid}/timerslack_ns a,\n}\n",
                7);
  std::map<std::string, uint64_t> self;
  for (const auto& s : t.self_rules) self[s.rel] = s.access;
  ASSERT_EQ(self.size(), 2u);
  EXPECT_EQ(self["task"], kReadFile | kWriteFile | kTruncate) << access_names(self["task"]);
  EXPECT_EQ(self["oom_score_adj"], kWriteFile | kTruncate);
  EXPECT_TRUE(has_warning(t, "widening row self-proc"));
  EXPECT_TRUE(has_warning(t, "/proc/@{pid}/task/@{tid}/comm -> /proc/self/task ("));
  EXPECT_FALSE(has_warning(t, "creating in /proc")) << "no longer narrowed";
  for (const auto& r : t.rules) EXPECT_EQ(r.access & (kWriteFile | kMakeReg), 0u) << r.path;
  // Deny precedence: a deny that reaches /proc removes the rights (fails closed).
  Translation d = translate(
      std::string(kProcVars) + "profile p {\n /proc/@{pid}/task/@{tid}/comm rw,\n deny /proc/** w,\n}\n", 7);
  for (const auto& s : d.self_rules) EXPECT_EQ(s.access & kWriteFile, 0u) << s.rel;
  // An older ABI: truncate is not handled, so not granted.
  Translation o = translate(std::string(kProcVars) + "profile p { /proc/@{pid}/task/@{tid}/comm w, }\n", 2);
  ASSERT_EQ(o.self_rules.size(), 1u);
  EXPECT_EQ(o.self_rules[0].access, kWriteFile);
}

// Real kernel: the process applying the ruleset names its own task directory; threads created
// afterwards write their names; another process's comm stays denied; the pins are returned.
TEST(AppArmorLandlock, OwnThreadFilesOnRealKernel) {
  if (sandbox::LandlockRuleset::abi_version() <= 0)
    FAIL() << "Landlock unavailable (required: see README Set-up; never a skip)";
  Translation t = translate(std::string(kProcVars) +
                            "profile p { /proc/@{pid}/task/@{tid}/comm rw, /proc/@{pid}/comm w, }\n");
  pid_t parent = getpid();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
    std::vector<std::string> notes;
    if (apply_ruleset(t, &notes).ok()) _exit(12);  // without a holder: refused
    std::vector<int> pins;
    if (!apply_ruleset(t, &notes, &pins).ok()) _exit(11);
    int code = pins.size() == 2 ? 0 : 1;
    int cfd = open("/proc/self/comm", O_WRONLY | O_TRUNC);  // the one file of /proc/@{pid}/comm w
    if (cfd < 0 || write(cfd, "main", 4) != 4) code |= 16;
    int werr = 0;
    std::thread th([&] {
      std::string p = "/proc/self/task/" + std::to_string(gettid()) + "/comm";
      int fd = open(p.c_str(), O_WRONLY | O_TRUNC);
      if (fd < 0 || write(fd, "worker", 6) != 6) werr = fd < 0 ? errno : -1;
      if (fd >= 0) close(fd);
    });
    th.join();
    if (werr) code |= 2;
    int fd = open(("/proc/" + std::to_string(parent) + "/comm").c_str(), O_WRONLY);
    if (fd >= 0 || errno != EACCES) code |= 4;
    fd = open("/proc/self/oom_score_adj", O_WRONLY);  // beside task/: not granted
    if (fd >= 0 || errno != EACCES) code |= 8;
    _exit(code);
  }
  int st = 0;
  ASSERT_EQ(waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 0)
      << "1=no pin fd, 2=a new thread could not write its comm, 4=the parent's "
         "comm writable, 8=/proc/self/oom_score_adj writable, 11=apply failed, 12=applied "
         "without a holder";
}

}  // namespace
}  // namespace confine::apparmor
