// aa-logprof without the LSM: merge rules per path, respect what the profile
// (with the real abstractions) already allows, respect deny, stay idempotent.
#include "apparmor/logprof.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "supervise/event.h"

namespace confine::apparmor {
namespace {

LogEntry file_entry(std::string profile, std::string path, std::string mask) {
  LogEntry e;
  e.profile = std::move(profile);
  e.path = std::move(path);
  e.mask = std::move(mask);
  e.origin = "test";
  return e;
}

constexpr const char* kProfile =
    "include <tunables/global>\n"
    "profile app /usr/bin/app {\n"
    "  include <abstractions/base>\n"
    "  /etc/app.conf r, # keep me\n"
    "  deny /etc/secret rw,\n"
    "  owner /home/*/.app/** rw,\n"
    "  network inet stream,\n"
    "  /usr/bin/helper px,\n"
    "  profile child {\n"
    "    /tmp/x r,\n"
    "  }\n"
    "}\n";

TEST(AppArmorLogprof, MergesPerPathAndSkipsAllowed) {
  if (!std::filesystem::exists("/etc/apparmor.d/abstractions/base"))
    FAIL() << "not installed (make deps-test installs it; never a skip)";
  std::vector<LogEntry> es = {
      file_entry("app", "/etc/app.conf", "w"),                   // existing rule: r -> rw
      file_entry("app", "/etc/app.conf", "r"),                   // already allowed
      file_entry("app", "/var/lib/app/db", "r"),                 // new
      file_entry("app", "/var/lib/app/db", "wc"),                // merged: rw, once
      file_entry("app", "/var/lib/app/db", "rw"),                // nothing more
      file_entry("app", "/etc/ld.so.cache", "mr"),               // base allows it
      file_entry("app", "/etc/secret", "r"),                     // deny rule: not added
      file_entry("app", "/home/u/.app/f", "w"),                  // owner rule, ownership unknown: allowed
      file_entry("app", "/usr/bin/helper", "x"),                 // has px already: nothing
      file_entry("app", "/usr/bin/tool", "x"),                   // ix
      file_entry("app", "/tmp/a b[1]", "r"),                     // escaped, quoted
      file_entry("app//child", "/tmp/y", "r"),                   // child profile
      file_entry("other", "/etc/passwd", "r"),                   // not in the file
      file_entry("app", "relative", "r"),                        // not absolute
      file_entry("app", "/proc/77/task/78/attr/current", "r"),   // @{pid}/@{tid}
      file_entry("app", "/proc/99/task/100/attr/current", "r"),  // the same rule
  };
  LogEntry owned_not = file_entry("app", "/home/u/.app/g", "w");
  owned_not.owned = false;  // fsuid != ouid: the owner rule does not apply
  es.push_back(owned_not);
  LogEntry cap;
  cap.kind = LogEntry::Kind::Capability;
  cap.profile = "app";
  cap.capname = "net_raw";
  es.push_back(cap);
  es.push_back(cap);  // once
  LogEntry badcap = cap;
  badcap.capname = "net_rawx";
  es.push_back(badcap);
  LogEntry net;
  net.kind = LogEntry::Kind::Network;
  net.profile = "app";
  net.family = "inet";
  net.sock_type = "stream";  // allowed already
  es.push_back(net);
  net.sock_type = "dgram";
  es.push_back(net);
  auto r = add_logged_rules(kProfile, "/tmp/app.profile", es);
  ASSERT_TRUE(r.ok()) << r.error().message();
  const std::string& t = r->text;
  EXPECT_NE(t.find("  /etc/app.conf rw, # keep me\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  /var/lib/app/db rw,\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("/var/lib/app/db", t.find("/var/lib/app/db") + 1), std::string::npos) << t;
  EXPECT_EQ(t.find("ld.so.cache"), std::string::npos) << t;
  EXPECT_EQ(t.find("  /etc/secret r,"), std::string::npos) << t;
  EXPECT_EQ(t.find("/home/u/.app/f"), std::string::npos) << t;
  EXPECT_NE(t.find("  /home/u/.app/g w,\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("/usr/bin/helper ix"), std::string::npos) << t;
  EXPECT_NE(t.find("  /usr/bin/tool ix,\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  \"/tmp/a b\\[1\\]\" r,\n"), std::string::npos) << t;
  EXPECT_NE(t.find("    /tmp/y r,\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("/etc/passwd"), std::string::npos) << t;
  EXPECT_NE(t.find("  owner @{PROC}/@{pid}/task/@{tid}/attr/current r,\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("attr/current", t.find("attr/current") + 1), std::string::npos) << t;
  EXPECT_EQ(t.find("capability net_raw,"), t.rfind("capability net_raw,")) << t;
  EXPECT_NE(t.find("  capability net_raw,\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  network inet dgram,\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("network inet stream,", t.find("network inet stream,") + 1), std::string::npos) << t;
  std::string notes;
  for (const auto& n : r->notes) notes += n + "\n";
  EXPECT_NE(notes.find("denied by the deny rule at /tmp/app.profile:5:3"), std::string::npos) << notes;
  EXPECT_NE(notes.find("profile other"), std::string::npos) << notes;
  EXPECT_NE(notes.find("net_rawx"), std::string::npos) << notes;
  EXPECT_NE(notes.find("relative"), std::string::npos) << notes;
  EXPECT_NE(r->diff.find("-  /etc/app.conf r, # keep me\n+  /etc/app.conf rw, # keep me\n"),
            std::string::npos)
      << r->diff;
  // idempotent
  auto again = add_logged_rules(t, "/tmp/app.profile", es);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_FALSE(again->changed()) << again->diff;
  EXPECT_EQ(again->text, t);
  EXPECT_EQ(again->diff, "");
}

TEST(AppArmorLogprof, BadInput) {
  auto r = add_logged_rules("profile p {\n  /x rq,\n}\n", "bad.profile", {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("bad.profile:2:"), std::string::npos) << r.error().message();
  EXPECT_FALSE(add_logged_rules("# nothing\n", "empty.profile", {}).ok());
  EXPECT_FALSE(
      add_logged_rules("profile p {\n  include <abstractions/nope-not-there>\n}\n", "inc.profile", {}).ok());
  EXPECT_FALSE(entry_from_json_line("{\"kind\":\"apparmor\"", "l:1").ok());
  auto none = entry_from_json_line("{\"kind\":\"seccomp\",\"syscall\":\"ptrace\"}", "l:2");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto one = entry_from_json_line(R"({"kind":"apparmor","profile":"p","path":"/x","requested":"w"})", "l:3");
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->path, "/x");
  EXPECT_EQ((*one)->mask, "w");
  // confine run's complain line: "denied" (what no rule allowed) wins over "requested"; directories get '/'
  auto run_line = entry_from_json_line(
      R"({"kind":"apparmor","profile":"p","syscall":"openat","path":"/srv/d","directory":true,"requested":"rw","denied":"w"})",
      "l:4");
  ASSERT_TRUE(run_line.ok() && run_line->has_value());
  EXPECT_EQ((*run_line)->path, "/srv/d/");
  EXPECT_EQ((*run_line)->mask, "w");
  // What the complain observer writes (supervise::to_json) is what --to-apparmor reads.
  supervise::Event ev;
  ev.kind = supervise::EventKind::AppArmor;
  ev.profile = "p";
  ev.path = "/srv/my dir";
  ev.directory = true;
  ev.requested = "rw";
  ev.denied = "r";
  auto written = entry_from_json_line(supervise::to_json(ev), "l:5");
  ASSERT_TRUE(written.ok() && written->has_value());
  EXPECT_EQ((*written)->profile, "p");
  EXPECT_EQ((*written)->path, "/srv/my dir/");
  EXPECT_EQ((*written)->mask, "r");
  EXPECT_FALSE(entry_from_landlock("net.connect_tcp", "", "l").has_value());
  auto ll = entry_from_landlock("fs.make_reg,fs.remove_file", "/var/spool", "l");
  ASSERT_TRUE(ll.has_value());
  EXPECT_EQ(ll->path, "/var/spool/*");
  EXPECT_TRUE(ll->pattern);
}

}  // namespace
}  // namespace confine::apparmor

namespace confine::apparmor {
namespace {

// Without tunables/global there is no @{pid}: the glob is spelled out (found by the fuzzer:
// the variable form made the result unparseable for resolve and apparmor_parser).
TEST(AppArmorLogprof, ProcGlobWithoutTunables) {
  std::vector<LogEntry> es = {file_entry("p", "/proc/12/task/13/comm", "rw"),
                              file_entry("p", "/tmp/new\nline", "r")};  // decoded hex name: skipped
  LogprofOptions o;
  o.resolve.root = "/nonexistent-root";
  auto r = add_logged_rules("profile p {\n}\n", "p.profile", es, o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_NE(r->text.find("  owner /proc/[0-9]*/task/[0-9]*/comm rw,\n"), std::string::npos) << r->text;
  EXPECT_EQ(r->text.find("new"), std::string::npos) << r->text;
  ASSERT_FALSE(r->notes.empty());
  EXPECT_NE(r->notes.back().find("cannot express"), std::string::npos) << r->notes.back();
  auto again = add_logged_rules(r->text, "p.profile", es, o);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_FALSE(again->changed()) << again->diff;
}

// A complain run that touched / (or wrote directly in /etc) plants no write on a
// system directory tree; an ordinary file write is still added.
TEST(AppArmorLogprof, NeverAddsWriteOnASystemDirectoryTree) {
  std::vector<LogEntry> es = {
      file_entry("", "/", "w"),              // the root directory itself
      file_entry("", "/etc/", "wr"),         // /etc itself: only r is added
      file_entry("", "/srv/data.txt", "w"),  // a file: added
  };
  LogEntry pat = file_entry("", "/etc/*", "w");  // a Landlock make_reg record in /etc
  pat.pattern = true;
  es.push_back(pat);
  LogEntry pat_ok = file_entry("", "/srv/out/*", "w");
  pat_ok.pattern = true;
  es.push_back(pat_ok);
  auto r = add_logged_rules("profile p {\n  /usr/bin/true rix,\n}\n", "p.profile", es);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->text.find("  / w"), std::string::npos) << r->text;
  EXPECT_EQ(r->text.find("/etc/* w"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("  /etc/ r,"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("  /srv/data.txt w,"), std::string::npos) << r->text;
  EXPECT_NE(r->text.find("  /srv/out/* w,"), std::string::npos) << r->text;
  bool noted = false;
  for (const auto& n : r->notes) noted = noted || n.find("write on / not added") != std::string::npos;
  EXPECT_TRUE(noted);
}

}  // namespace
}  // namespace confine::apparmor
