// AppArmor evaluator: glob semantics (apparmor_parser's), deny precedence,
// permission letters, owner, link, bare `file,`, and this machine's real
// abstractions/base (/etc/apparmor.d) as input: what a libc program touches is
// allowed, /etc/shadow is not. The real apparmor_parser accepts every profile
// text used here (it cannot evaluate, so it validates the input).
#include "apparmor/eval.h"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace confine::apparmor {
namespace {

namespace fs = std::filesystem;

bool gm(const char* pat, const char* path) {
  auto g = Glob::compile(pat);
  EXPECT_TRUE(g.ok()) << pat << ": " << (g.ok() ? "" : g.error().message());
  return g.ok() && g->match(path);
}

TEST(AppArmorEvalGlob, Literal) {
  EXPECT_TRUE(gm("/etc/passwd", "/etc/passwd"));
  EXPECT_FALSE(gm("/etc/passwd", "/etc/passwd2"));
  EXPECT_FALSE(gm("/etc/passwd", "/etc/passw"));
  EXPECT_FALSE(gm("/etc/", "/etc"));
  EXPECT_TRUE(gm("/etc/", "/etc/"));
  EXPECT_TRUE(gm("/a//b", "/a/b"));  // duplicate slashes collapsed
}

TEST(AppArmorEvalGlob, StarWithinComponent) {
  EXPECT_TRUE(gm("/etc/*", "/etc/passwd"));
  EXPECT_FALSE(gm("/etc/*", "/etc/ssl/certs"));
  EXPECT_FALSE(gm("/etc/*", "/etc/"));  // at least one character after '/'
  EXPECT_TRUE(gm("/etc/*", "/etc/ssl"));
  EXPECT_FALSE(gm("/etc/*", "/etc/ssl/"));  // * does not match '/'
  EXPECT_TRUE(gm("/etc/*/", "/etc/ssl/"));
  EXPECT_FALSE(gm("/etc/*/", "/etc//"));
  EXPECT_TRUE(gm("/var/log/*.log", "/var/log/syslog.log"));
  EXPECT_TRUE(gm("/var/log/*.log", "/var/log/.log"));  // `*` not after '/'+end: may be empty
  EXPECT_FALSE(gm("/var/log/*.log", "/var/log/a/b.log"));
  EXPECT_TRUE(gm("/foo/*bar", "/foo/bar"));
  EXPECT_TRUE(gm("/lib/lib*.so*", "/lib/libc.so.6"));
  EXPECT_TRUE(gm("/lib/lib*.so*", "/lib/lib.so"));
  EXPECT_FALSE(gm("/*/foo", "//foo"));
  EXPECT_TRUE(gm("/*/foo", "/x/foo"));
}

TEST(AppArmorEvalGlob, DoubleStarAcrossComponents) {
  EXPECT_TRUE(gm("/etc/**", "/etc/passwd"));
  EXPECT_TRUE(gm("/etc/**", "/etc/ssl/certs/ca.pem"));
  EXPECT_TRUE(gm("/etc/**", "/etc/ssl/"));
  EXPECT_FALSE(gm("/etc/**", "/etc/"));  // /dir/** does not match /dir/ itself
  EXPECT_FALSE(gm("/etc/**", "/etc"));
  EXPECT_FALSE(gm("/etc/**", "/etcx/a"));
  EXPECT_TRUE(gm("/**", "/anything/at/all"));
  EXPECT_FALSE(gm("/**", "/"));
  EXPECT_TRUE(gm("/usr/share/**/locale/**", "/usr/share/a/b/locale/de/x.mo"));
  EXPECT_FALSE(gm("/usr/share/**/locale/**", "/usr/share/locale/de/x.mo"));
  EXPECT_TRUE(gm("/usr/lib/**.so*", "/usr/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_FALSE(gm("/usr/lib/**.so*", "/usr/lib/x86_64-linux-gnu/libc.a"));
  EXPECT_TRUE(gm("/a/**/", "/a/b/c/"));
  EXPECT_FALSE(gm("/a/**/", "/a/b/c"));
  EXPECT_TRUE(gm("/a/**b", "/a/b"));  // `**` followed by a character: may be empty
  EXPECT_TRUE(gm("/a/***", "/a/x/y"));
}

TEST(AppArmorEvalGlob, QuestionClassEscape) {
  EXPECT_TRUE(gm("/dev/tty?", "/dev/tty1"));
  EXPECT_FALSE(gm("/dev/tty?", "/dev/tty"));
  EXPECT_FALSE(gm("/dev/tty?", "/dev/tty12"));
  EXPECT_FALSE(gm("/a?b", "/a/b"));
  EXPECT_TRUE(gm("/dev/sd[a-c]", "/dev/sdb"));
  EXPECT_FALSE(gm("/dev/sd[a-c]", "/dev/sdd"));
  EXPECT_TRUE(gm("/dev/sd[^a-c]", "/dev/sdd"));
  EXPECT_FALSE(gm("/dev/sd[^a-c]", "/dev/sda"));
  EXPECT_TRUE(gm("/x/[]]", "/x/]"));
  EXPECT_TRUE(gm("/proc/[1-9][0-9]/maps", "/proc/42/maps"));
  EXPECT_FALSE(gm("/proc/[1-9][0-9]/maps", "/proc/4/maps"));
  EXPECT_TRUE(gm("/a\\*b", "/a*b"));
  EXPECT_FALSE(gm("/a\\*b", "/axb"));
  EXPECT_TRUE(gm("/a\\{b\\}", "/a{b}"));
}

TEST(AppArmorEvalGlob, LongPatternsUseTheGeneralMatcher) {
  // >= 64 atoms after the literal prefix: the stack/heap NFA instead of the bit-parallel one.
  std::string pat = "/x/*", path = "/x/q";
  for (int i = 0; i < 40; ++i) pat += "?*", path += "ab";
  pat += "/**/e";
  path += "/c/d/e";
  EXPECT_TRUE(gm(pat.c_str(), path.c_str()));
  EXPECT_FALSE(gm(pat.c_str(), (path + "x").c_str()));
  std::string many = "/y/";
  for (int i = 0; i < 200; ++i) many += "[ab]";
  std::string p2 = "/y/" + std::string(200, 'a');
  EXPECT_TRUE(gm(many.c_str(), p2.c_str()));
  EXPECT_FALSE(gm(many.c_str(), (p2 + "a").c_str()));
}

TEST(AppArmorEvalGlob, BadPatterns) {
  EXPECT_FALSE(Glob::compile("/a[bc").ok());
  EXPECT_FALSE(Glob::compile("/a\\").ok());
  EXPECT_FALSE(Glob::compile("/a{b,c}").ok());  // expand() first
  EXPECT_FALSE(Glob::compile("/a]").ok());
  EXPECT_FALSE(Glob::compile("/[z-a]").ok());
}

TEST(AppArmorEvalGlob, NoExponentialBlowUp) {
  auto g = Glob::compile("/a/**a**a**a**a**a**a**a**a**b");
  ASSERT_TRUE(g.ok());
  std::string path = "/a/" + std::string(4000, 'a');
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(g->match(path));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(AppArmorPerms, Letters) {
  EXPECT_EQ(perm_letters(perms_from_rule("r")), "r");
  EXPECT_EQ(perm_letters(perms_from_rule("w")), "wa");  // w implies append
  EXPECT_EQ(perm_letters(perms_from_rule("a")), "a");
  EXPECT_EQ(perm_letters(perms_from_rule("mr")), "rm");
  EXPECT_EQ(perm_letters(perms_from_rule("ix")), "mx");  // ix implies m
  EXPECT_EQ(perm_letters(perms_from_rule("Px")), "x");
  EXPECT_EQ(perm_letters(perms_from_rule("rwlk")), "rwalk");
  EXPECT_EQ(perm_letters(perms_from_rule("mrixwlk")), "rwalkmx");
}

// Profile text -> evaluator (resolved against a temp dir; no includes unless given a root).
struct Prof {
  Resolved res;
  std::optional<Evaluator> ev;
};
Prof load(const std::string& text, const std::string& root = "/etc/apparmor.d") {
  Prof p;
  auto f = parse(text, "test.profile");
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message());
  if (!f.ok()) return p;
  ResolveOptions o;
  o.root = root;
  auto r = resolve(std::move(*f), ".", o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  if (!r.ok()) return p;
  p.res = std::move(*r);
  auto ps = profiles(p.res.main);
  EXPECT_FALSE(ps.empty());
  if (ps.empty()) return p;
  auto e = Evaluator::build(p.res, *ps[0]);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message());
  if (e.ok()) p.ev = std::move(*e);
  return p;
}

Decision chk(const Prof& p, const std::string& path, uint16_t req, bool dir = false,
             Query::Owner owner = Query::Owner::Unknown, const std::string& target = "") {
  Query q;
  q.path = path;
  q.requested = req;
  q.directory = dir;
  q.owner = owner;
  q.link_target = target;
  return p.ev ? p.ev->check(q) : Decision{};
}

TEST(AppArmorEval, DenyWinsOverAllow) {
  auto p = load("profile t { file, deny /** w, }");
  ASSERT_TRUE(p.ev);
  EXPECT_TRUE(chk(p, "/etc/hostname", kPermRead).allowed);
  auto d = chk(p, "/tmp/f", kPermWrite);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(perm_letters(d.denied), "w");
  ASSERT_EQ(d.deny_rules.size(), 1u);
  EXPECT_EQ(d.deny_rules[0], "test.profile:1:19");
  EXPECT_FALSE(chk(p, "/tmp/f", kPermAppend).allowed);  // deny w covers append
  EXPECT_TRUE(chk(p, "/usr/bin/true", kPermExec).allowed);
  EXPECT_TRUE(chk(p, "/tmp/f", kPermLock).allowed);
  // deny order does not matter
  auto q = load("profile t { deny /tmp/** w, /tmp/** rw, }");
  EXPECT_FALSE(chk(q, "/tmp/x", kPermWrite).allowed);
  EXPECT_TRUE(chk(q, "/tmp/x", kPermRead).allowed);
}

TEST(AppArmorEval, DefaultDenyAndMissingLetters) {
  auto p = load("profile t { /etc/** r, /tmp/** rw, /usr/bin/* ix, /var/log/app.log a, /run/lock/* k, }");
  ASSERT_TRUE(p.ev);
  EXPECT_TRUE(chk(p, "/etc/hostname", kPermRead).allowed);
  auto d = chk(p, "/etc/hostname", kPermRead | kPermWrite);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(perm_letters(d.denied), "w");
  EXPECT_EQ(d.allow_rules, std::vector<std::string>{"test.profile:1:13"});
  EXPECT_FALSE(chk(p, "/root/x", kPermRead).allowed);
  EXPECT_TRUE(chk(p, "/tmp/a/b", kPermWrite).allowed);
  EXPECT_TRUE(chk(p, "/tmp/a/b", kPermAppend).allowed);  // w satisfies a
  EXPECT_TRUE(chk(p, "/var/log/app.log", kPermAppend).allowed);
  EXPECT_FALSE(chk(p, "/var/log/app.log", kPermWrite).allowed);  // a does not satisfy w
  EXPECT_TRUE(chk(p, "/usr/bin/ls", kPermExec).allowed);
  EXPECT_TRUE(chk(p, "/usr/bin/ls", kPermMmap).allowed);  // ix implies m
  EXPECT_FALSE(chk(p, "/usr/bin/ls", kPermRead).allowed);
  EXPECT_FALSE(chk(p, "/usr/sbin/x", kPermExec).allowed);
  EXPECT_TRUE(chk(p, "/run/lock/x", kPermLock).allowed);
  EXPECT_FALSE(chk(p, "/run/lock/x", kPermWrite).allowed);
}

TEST(AppArmorEval, Directories) {
  auto p = load("profile t { /etc/ r, /etc/** r, /srv/*/ rw, }");
  ASSERT_TRUE(p.ev);
  EXPECT_TRUE(chk(p, "/etc", kPermRead, true).allowed);  // matched as /etc/
  EXPECT_FALSE(chk(p, "/etc", kPermRead, false).allowed);
  EXPECT_TRUE(chk(p, "/etc/ssl", kPermRead, true).allowed);
  EXPECT_TRUE(chk(p, "/srv/www", kPermWrite, true).allowed);
  EXPECT_FALSE(chk(p, "/srv/www", kPermWrite, false).allowed);  // a file, not the directory
  auto q = load("profile t { /** r, }");
  EXPECT_FALSE(chk(q, "/", kPermRead, true).allowed);  // /** does not match "/"
  EXPECT_TRUE(chk(q, "/etc", kPermRead, true).allowed);
}

TEST(AppArmorEval, VariablesAndAlternations) {
  auto p = load(
      "@{LIBS}=/usr/lib /lib\n@{multiarch}=*-linux-gnu*\n"
      "profile t { @{LIBS}/@{multiarch}/lib{c,m}.so* mr, /{usr/,}bin/{ba,}sh ix, }");
  ASSERT_TRUE(p.ev);
  EXPECT_TRUE(chk(p, "/usr/lib/x86_64-linux-gnu/libc.so.6", kPermRead | kPermMmap).allowed);
  EXPECT_TRUE(chk(p, "/lib/x86_64-linux-gnu/libm.so.6", kPermMmap).allowed);
  EXPECT_FALSE(chk(p, "/lib/x86_64-linux-gnu/libz.so.1", kPermRead).allowed);
  EXPECT_TRUE(chk(p, "/bin/sh", kPermExec).allowed);
  EXPECT_TRUE(chk(p, "/usr/bin/bash", kPermExec).allowed);
  EXPECT_FALSE(chk(p, "/usr/bin/dash", kPermExec).allowed);
  EXPECT_GE(p.ev->glob_count(), 8u);
}

TEST(AppArmorEval, Owner) {
  auto p = load("profile t { owner /home/*/** rw, deny owner /home/*/.ssh/** w, /home/*/pub/** r, }");
  ASSERT_TRUE(p.ev);
  auto d = chk(p, "/home/u/doc", kPermWrite);
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.owner_assumed);
  EXPECT_TRUE(chk(p, "/home/u/doc", kPermWrite, false, Query::Owner::Yes).allowed);
  EXPECT_FALSE(chk(p, "/home/u/doc", kPermWrite, false, Query::Owner::No).allowed);
  auto s = chk(p, "/home/u/.ssh/id", kPermWrite);  // owner deny not applied without the owner
  EXPECT_TRUE(s.allowed);
  EXPECT_TRUE(s.owner_assumed);
  EXPECT_FALSE(chk(p, "/home/u/.ssh/id", kPermWrite, false, Query::Owner::Yes).allowed);
  auto r = chk(p, "/home/u/pub/x", kPermRead, false, Query::Owner::No);
  EXPECT_TRUE(r.allowed);
  EXPECT_FALSE(r.owner_assumed);
}

TEST(AppArmorEval, LinkRules) {
  auto p = load("profile t { /tmp/** rw, /tmp/l* l, link /data/new -> /data/old, /data/** r, /etc/** r, }");
  ASSERT_TRUE(p.ev);
  EXPECT_TRUE(chk(p, "/tmp/link", kPermLink, false, Query::Owner::Unknown, "/tmp/file").allowed);
  EXPECT_FALSE(chk(p, "/tmp/x", kPermLink, false, Query::Owner::Unknown, "/tmp/file").allowed);
  // subset: /tmp/link would be rw but /etc/passwd is only r
  auto s = chk(p, "/tmp/link", kPermLink, false, Query::Owner::Unknown, "/etc/passwd");
  EXPECT_FALSE(s.allowed);
  EXPECT_NE(s.note.find("subset"), std::string::npos);
  EXPECT_TRUE(chk(p, "/data/new", kPermLink, false, Query::Owner::Unknown, "/data/old").allowed);
  EXPECT_FALSE(chk(p, "/data/new", kPermLink, false, Query::Owner::Unknown, "/data/other").allowed);
}

TEST(AppArmorEval, BareFileAllAndDenyExec) {
  auto p = load("profile t { file, deny /usr/bin/su x, deny /etc/shadow r, }");
  ASSERT_TRUE(p.ev);
  EXPECT_TRUE(chk(p, "/anything", kPermAll).allowed);
  EXPECT_TRUE(chk(p, "/", kPermRead, true).allowed);  // `file,` covers "/" too
  EXPECT_FALSE(chk(p, "/usr/bin/su", kPermExec).allowed);
  EXPECT_TRUE(chk(p, "/usr/bin/su", kPermRead).allowed);
  EXPECT_FALSE(chk(p, "/etc/shadow", kPermRead).allowed);
  auto a = load("profile t { all, }");
  EXPECT_TRUE(chk(a, "/x", kPermWrite | kPermExec).allowed);
  auto n = load("profile t { capability chown, network inet, }");
  EXPECT_FALSE(chk(n, "/x", kPermRead).allowed);  // no file rule: everything denied
}

TEST(AppArmorEval, ComplainFlag) {
  auto p = parse("profile a flags=(attach_disconnected, complain) { } profile b { }", "x");
  ASSERT_TRUE(p.ok());
  auto ps = profiles(*p);
  ASSERT_EQ(ps.size(), 2u);
  EXPECT_TRUE(profile_complain(*ps[0]));
  EXPECT_FALSE(profile_complain(*ps[1]));
}

// ---- real input: this machine's /etc/apparmor.d abstractions --------------------------
bool have_apparmor_d() { return fs::exists("/etc/apparmor.d/abstractions/base"); }

TEST(AppArmorEvalReal, AbstractionsBaseAllowsWhatLibcTouches) {
  if (!have_apparmor_d()) FAIL() << "no /etc/apparmor.d (required: see README Set-up; never a skip)";
  std::string text = "#include <tunables/global>\nprofile t {\n  #include <abstractions/base>\n}\n";
  auto p = load(text);
  ASSERT_TRUE(p.ev);
  EXPECT_GT(p.ev->glob_count(), 100u);
  EXPECT_TRUE(chk(p, "/etc/ld.so.cache", kPermRead | kPermMmap).allowed);
  EXPECT_TRUE(chk(p, "/usr/lib/x86_64-linux-gnu/libc.so.6", kPermRead | kPermMmap).allowed);
  EXPECT_TRUE(chk(p, "/lib/x86_64-linux-gnu/libc.so.6", kPermRead | kPermMmap).allowed);
  EXPECT_TRUE(chk(p, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", kPermRead | kPermMmap).allowed);
  EXPECT_TRUE(chk(p, "/dev/null", kPermRead | kPermWrite).allowed);
  EXPECT_TRUE(chk(p, "/dev/urandom", kPermRead).allowed);
  EXPECT_TRUE(chk(p, "/usr/share/zoneinfo/Europe/Paris", kPermRead).allowed);
  EXPECT_TRUE(chk(p, "/proc/1234/maps", kPermRead).allowed);  // @{PROC}/@{pid}/{maps,...}
  EXPECT_TRUE(chk(p, "/sys/devices/system/cpu/online", kPermRead).allowed);
  // and what it does not allow
  auto sh = chk(p, "/etc/shadow", kPermRead);
  EXPECT_FALSE(sh.allowed);
  EXPECT_EQ(perm_letters(sh.denied), "r");
  EXPECT_FALSE(chk(p, "/etc/hostname", kPermRead).allowed);
  EXPECT_FALSE(chk(p, "/usr/lib/x86_64-linux-gnu/libc.so.6", kPermWrite).allowed);
  EXPECT_FALSE(chk(p, "/dev/null", kPermExec).allowed);
  EXPECT_FALSE(chk(p, "/usr/bin/ls", kPermExec).allowed);
  EXPECT_FALSE(chk(p, "/proc/1234/mem", kPermRead).allowed);
  EXPECT_FALSE(chk(p, "/proc/x/maps", kPermRead).allowed);  // @{pid} is numeric
  // performance: the precompiled rules answer quickly
  auto t0 = std::chrono::steady_clock::now();
  const int n = 2000;
  for (int i = 0; i < n; ++i) (void)chk(p, "/usr/lib/x86_64-linux-gnu/libc.so.6", kPermRead);
  double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / n;
  std::printf("abstractions/base: %zu globs, %.1f us per check\n", p.ev->glob_count(), us);
  EXPECT_LT(us, 2000.0);
}

TEST(AppArmorEvalReal, ProfilesAcceptedByApparmorParser) {
  // The evaluator's inputs are real AppArmor: apparmor_parser compiles them.
  if (access("/sbin/apparmor_parser", X_OK) != 0 && access("/usr/sbin/apparmor_parser", X_OK) != 0)
    FAIL() << "no apparmor_parser (required: see README Set-up; never a skip)";
  if (!have_apparmor_d()) FAIL() << "no /etc/apparmor.d (required: see README Set-up; never a skip)";
  std::string dir = fs::temp_directory_path() / ("eval-aa-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const char* texts[] = {
      "#include <tunables/global>\nprofile t {\n  #include <abstractions/base>\n}\n",
      "profile t { file, deny /** w, }\n",
      "profile t { owner /home/*/** rw, deny owner /home/*/.ssh/** w, /home/*/pub/** r, }\n",
      "profile t { /tmp/** rw, /tmp/l* l, link /data/new -> /data/old, /data/** r, /etc/** r, }\n",
      "profile t { /dev/sd[^a-c] r, /a\\*b r, /proc/[1-9][0-9]/maps r, /etc/ r, /srv/*/ rw, }\n",
  };
  int i = 0;
  for (const char* t : texts) {
    std::string f = dir + "/p" + std::to_string(i++);
    std::ofstream(f) << t;
    std::string cmd = "apparmor_parser -Q -K --base /etc/apparmor.d " + f + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << t;
    // and our evaluator builds from the same text
    auto p = load(t);
    EXPECT_TRUE(p.ev.has_value()) << t;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace confine::apparmor
