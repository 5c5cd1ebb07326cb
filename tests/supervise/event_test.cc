// The complain event line: one writer (to_json), one reader (parse_event).
#include "supervise/event.h"

#include <gtest/gtest.h>

namespace confine::supervise {
namespace {

Event seccomp_event() {
  Event e;
  e.kind = EventKind::Seccomp;
  e.pid = 3;
  e.comm = "mk\"dir\n";
  e.syscall = "mkdir";
  e.nr = 83;
  e.arch = "x86_64";
  e.args = {0x7ffd1234, 0x1ff, 0, 0, 0, 0xffffffffffffffffULL};
  return e;
}

Event apparmor_event() {
  Event e;
  e.kind = EventKind::AppArmor;
  e.profile = "p";
  e.syscall = "openat";
  e.arch = "x86_64";
  e.pid = 7;
  e.comm = "sh";
  e.operation = "open";
  e.path = "/tmp/d";
  e.directory = true;
  e.requested = "rw";
  e.denied = "w";
  e.mask = "wc";
  e.rule = "";
  e.info = "no rule allows it";
  return e;
}

TEST(Event, SeccompLineIsTheDocumentedOne) {
  EXPECT_EQ(to_json(seccomp_event()),
            "{\"kind\":\"seccomp\",\"pid\":3,\"comm\":\"mk\\\"dir\\n\",\"syscall\":\"mkdir\",\"nr\":83,"
            "\"arch\":\"x86_64\",\"args\":[\"0x7ffd1234\",\"0x1ff\",\"0x0\",\"0x0\",\"0x0\","
            "\"0xffffffffffffffff\"]}");
  EXPECT_EQ(to_text(seccomp_event()),
            "pid 3 (mk\"dir\n) mkdir(0x7ffd1234, 0x1ff, 0x0, 0x0, 0x0, 0xffffffffffffffff) would be denied");
}

TEST(Event, AppArmorLineIsTheDocumentedOne) {
  EXPECT_EQ(
      to_json(apparmor_event()),
      "{\"kind\":\"apparmor\",\"profile\":\"p\",\"syscall\":\"openat\",\"arch\":\"x86_64\",\"pid\":7,"
      "\"comm\":\"sh\",\"operation\":\"open\",\"path\":\"/tmp/d\",\"directory\":true,\"requested\":\"rw\","
      "\"denied\":\"w\",\"mask\":\"wc\",\"rule\":\"\",\"info\":\"no rule allows it\"}");
  EXPECT_EQ(to_text(apparmor_event()),
            "apparmor would deny openat /tmp/d/ (w) [pid 7 sh; no rule allows it]");
  Event l = apparmor_event();
  l.landlock_enforcer = true;
  l.landlock = "make_sock";
  l.directory = false;
  EXPECT_EQ(to_text(l), "landlock would deny openat /tmp/d (make_sock) [pid 7 sh; no rule allows it]");
  Event d = apparmor_event();
  d.rule = "deny /tmp/** w,";
  d.target = "/etc/x";
  d.owner_assumed = true;
  EXPECT_EQ(
      to_text(d),
      "apparmor would deny openat /tmp/d/ (w) -> /etc/x [pid 7 sh; deny rule deny /tmp/** w,] (owner rule "
      "assumed to match)");
}

TEST(Event, RoundTrips) {
  Event l = apparmor_event();
  l.landlock_enforcer = true;
  l.landlock = "remove_dir";
  Event t = apparmor_event();
  t.target = "/x";
  t.owner_assumed = true;
  Event x86 = seccomp_event();
  x86.arch = "x86";
  x86.nr = -1;
  for (const Event& e : {seccomp_event(), apparmor_event(), l, t, x86}) {
    auto back = parse_event(to_json(e));
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(*back, e) << to_json(e);
  }
}

TEST(Event, ReaderRejectsWhatIsNotAnEvent) {
  for (const char* bad : {
           "",
           "not json",
           "[]",
           "{}",
           "{\"kind\":\"selinux\"}",
           "{\"kind\":7}",
           "{\"kind\":\"seccomp\",\"arch\":\"x86_64\"}",                                 // no syscall
           "{\"kind\":\"seccomp\",\"syscall\":\"x\",\"arch\":\"x86_64\",\"nr\":\"1\"}",  // nr not a number
           "{\"kind\":\"seccomp\",\"syscall\":\"x\",\"arch\":\"x86_64\",\"pid\":-1}",
           "{\"kind\":\"seccomp\",\"syscall\":\"x\",\"arch\":\"x86_64\",\"args\":[\"12\"]}",
           "{\"kind\":\"seccomp\",\"syscall\":\"x\",\"arch\":\"x86_64\",\"args\":[\"0x1\",\"0x1\",\"0x1\","
           "\"0x1\","
           "\"0x1\",\"0x1\",\"0x1\"]}",
           "{\"kind\":\"seccomp\",\"syscall\":\"x\",\"arch\":\"x86_64\",\"args\":[\"0x10000000000000000\"]}",
           "{\"kind\":\"apparmor\",\"path\":\"/x\"}",  // no denied
           "{\"kind\":\"apparmor\",\"path\":\"/x\",\"denied\":\"r\",\"directory\":1}",
           "{\"kind\":\"apparmor\",\"path\":\"/x\",\"denied\":\"r\",\"enforcer\":\"selinux\"}",
       })
    EXPECT_FALSE(parse_event(bad).ok()) << bad;
}

TEST(Event, ReaderIgnoresUnknownMembersAndDefaultsOptionalOnes) {
  auto e = parse_event("{\"kind\":\"seccomp\",\"syscall\":\"fsync\",\"arch\":\"x86\",\"future\":[1,2]}");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->syscall, "fsync");
  EXPECT_EQ(e->arch, "x86");
  EXPECT_EQ(e->pid, 0);
  auto a = parse_event("{\"kind\":\"apparmor\",\"path\":\"/x\",\"denied\":\"r\"}\n");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->kind, EventKind::AppArmor);
  EXPECT_EQ(display_path(*a), "/x");
}

}  // namespace
}  // namespace confine::supervise
