// `confine logs --to-apparmor` (apparmor::add_logged_rules: is a logged access already
// allowed?) and complain mode (apparmor::Evaluator, the observer of `confine run
// --apparmor-mode complain`) decide the same path the same way: both evaluate with
// apparmor::Evaluator and its one glob matcher (apparmor::Glob). Before, logprof had
// its own matcher (backtracking, no component rule, no slash collapsing) and its own
// evaluator (no `ix implies m`, no `other`, owner deny rules on files of others), and
// the complain evaluator skipped quoted rule paths. Every case is also checked against
// apparmor_parser's semantics (the `want` column).
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "apparmor/eval.h"
#include "apparmor/landlock.h"
#include "apparmor/logprof.h"
#include "gtest/gtest.h"

namespace confine::apparmor {
namespace {

constexpr const char* kProfile =
    "@{HOME}=/home/*/ /root/\n"
    "profile p /usr/bin/p {\n"
    "  /srv/*/data r,\n"
    "  /srv/**.log rw,\n"
    "  deny /srv/secret/** r,\n"
    "  /opt/{bin,sbin}/tool* ix,\n"
    "  /var/[^.]* r,\n"
    "  /tmp/dir/ r,\n"
    "  /tmp/tree/** w,\n"
    "  @{HOME}.config/app/** rw,\n"
    "  \"/data/my docs/*\" r,\n"
    "  /a//b r,\n"
    "  owner /own/* r,\n"
    "  other /others/* r,\n"
    "  deny owner /own/ssh w,\n"
    "  /usr/lib/*.so* mr,\n"
    "}\n";

struct Case {
  const char* path;  // "/d/" = the directory d
  const char* mask;  // logged letters
  bool owned;
  bool want;  // what AppArmor decides
};

uint16_t bits(std::string_view mask) {
  uint16_t m = 0;
  for (char c : mask) {
    if (c == 'r') m |= kPermRead;
    if (c == 'w' || c == 'c' || c == 'd') m |= kPermWrite;
    if (c == 'a') m |= kPermAppend;
    if (c == 'm') m |= kPermMmap;
    if (c == 'k') m |= kPermLock;
    if (c == 'l') m |= kPermLink;
    if (c == 'x') m |= kPermExec;
  }
  return m;
}

TEST(AppArmorAgree, LogprofAndComplainDecideTheSame) {
  const std::vector<Case> cases = {
      {"/srv/a/data", "r", true, true},
      {"/srv/a/b/data", "r", true, false},      // * stays in one component
      {"/srv/x/y/z.log", "w", true, true},      // ** crosses '/'
      {"/srv/z.log", "r", true, true},          // ** not followed by '/' may be short
      {"/srv/secret/k.log", "r", true, false},  // deny wins
      {"/srv/secret/k.log", "w", true, true},   // the deny rule is r only
      {"/opt/bin/toolx", "x", true, true},      // {a,b}
      {"/opt/sbin/tool", "x", true, true},
      {"/opt/lib/tool", "x", true, false},
      {"/opt/bin/toolx", "m", true, true},  // ix implies m (apparmor_parser)
      {"/var/log", "r", true, true},        // [^.]
      {"/var/.hidden", "r", true, false},
      {"/var/a/b", "r", true, false},
      {"/tmp/dir/", "r", true, true},    // trailing '/': the directory
      {"/tmp/dir", "r", true, false},    // ... not a file of that name
      {"/tmp/tree/", "w", true, false},  // /tmp/tree/** needs one character
      {"/tmp/tree/a/b", "w", true, true},
      {"/home/u/.config/app/f", "w", true, true},  // @{HOME}
      {"/root/.config/app/f", "r", true, true},
      {"/home/u/v/.config/app/f", "r", true, false},
      {"/data/my docs/f", "r", true, true},  // quoted rule path
      {"/a/b", "r", true, true},             // duplicate '/' in the rule collapsed
      {"/own/f", "r", true, true},
      {"/own/f", "r", false, false},  // owner rule, someone else's file
      {"/others/f", "r", false, true},
      {"/others/f", "r", true, false},
      {"/own/ssh", "w", false, false},  // no rule allows it either way
      {"/usr/lib/libc.so.6", "m", true, true},
      {"/usr/lib/x/libc.so", "r", true, false},
  };
  auto f = parse(kProfile, "p");
  ASSERT_TRUE(f.ok()) << f.error().message();
  auto r = resolve(std::move(*f), ".");
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto ps = profiles(r->main);
  ASSERT_EQ(ps.size(), 1u);
  auto ev = Evaluator::build(*r, *ps[0]);
  ASSERT_TRUE(ev.ok()) << ev.error().message();
  EXPECT_TRUE(ev->notes().empty()) << ev->notes()[0];
  for (const Case& c : cases) {
    std::string path = c.path;
    Query q;
    q.directory = path.size() > 1 && path.back() == '/';
    q.path = q.directory ? path.substr(0, path.size() - 1) : path;
    q.requested = bits(c.mask);
    q.owner = c.owned ? Query::Owner::Yes : Query::Owner::No;
    bool complain = ev->check(q).allowed;

    LogEntry e;
    e.profile = "p";
    e.path = path;
    e.mask = c.mask;
    e.owned = c.owned;
    e.origin = "case";
    auto lp = add_logged_rules(kProfile, "p", {e});
    ASSERT_TRUE(lp.ok()) << lp.error().message();
    bool denied_by_rule = false;
    for (const auto& n : lp->notes) denied_by_rule |= n.find("denied by the deny rule") != std::string::npos;
    bool logprof = lp->added.empty() && !denied_by_rule;

    EXPECT_EQ(complain, logprof) << c.path << " " << c.mask << (c.owned ? " owned" : " not owned")
                                 << ": complain " << complain << ", --to-apparmor " << logprof;
    EXPECT_EQ(complain, c.want) << c.path << " " << c.mask;
  }
}

// The Landlock translation (what `confine run` enforces) reads the same quoted rule
// path: it used to skip it ("path \"\"/usr/share/doc/*\"\" is not absolute"), a narrowing
// that complain mode reported as "landlock would deny".
TEST(AppArmorAgree, QuotedRulePathIsTranslatedToLandlock) {
  char tmpl[] = "/tmp/confine agree.XXXXXX";  // a space: the rule must be quoted
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  { std::ofstream(dir + "/f") << "x"; }
  auto f = parse("profile p {\n  \"" + dir + "/*\" r,\n}\n", "p");
  ASSERT_TRUE(f.ok()) << f.error().message();
  auto r = resolve(std::move(*f), ".");
  ASSERT_TRUE(r.ok()) << r.error().message();
  auto ps = profiles(r->main);
  ASSERT_EQ(ps.size(), 1u);
  auto t = to_landlock(*r, *ps[0]);
  ASSERT_TRUE(t.ok()) << t.error().message();
  bool found = false;
  for (const auto& pr : t->rules) found |= pr.path.starts_with(dir);  // the directory or its file
  EXPECT_TRUE(found);
  for (const auto& n : t->warnings) EXPECT_EQ(n.find("not absolute"), std::string::npos) << n;
  std::filesystem::remove_all(dir);
}

TEST(AppArmorAgree, GlobMatchIsTheEvaluatorsGlob) {
  // Cases where the former coverage matcher (from_behavior.cc) differed.
  EXPECT_TRUE(glob_match("/a//b", "/a/b"));          // slashes collapsed
  EXPECT_FALSE(glob_match("/a/*/b", "/a//b"));       // * ending a component needs one character
  EXPECT_FALSE(glob_match("/a/{b,c}", "/a/{b,c}"));  // unexpanded: matches nothing
  for (const char* p : {"/x/**", "/x/*", "/x/[^a]*", "/x/?/**.so*"})
    for (const char* s : {"/x/", "/x/a", "/x/b/c", "/x/b/c.so.1", "/x/ab"}) {
      auto g = Glob::compile(p);
      ASSERT_TRUE(g.ok());
      EXPECT_EQ(glob_match(p, s), g->match(s)) << p << " " << s;
    }
}

}  // namespace
}  // namespace confine::apparmor
