#include "behavior/behavior.h"

#include <gtest/gtest.h>

namespace confine::behavior {
namespace {

Behavior sample() {
  Behavior b;
  b.command = {"ls", "-la"};
  b.exit_status = 0;
  b.notes = {"n1"};
  b.arches[Arch::X86_64]["openat"].count = 12;
  auto& s = b.arches[Arch::X86_64]["socket"];
  s.count = 2;
  s.args["domain"] = {1, 2};
  b.arches[Arch::X86]["write"].count = 1;
  b.files["/etc/passwd"] = kRead;
  b.files["/tmp/x"] = kWrite | kCreate;
  b.execs = {"/usr/bin/ls"};
  b.net_families = {"AF_INET"};
  b.connects = {"127.0.0.1:80"};
  b.processes = {{"ls", "/usr/bin/ls"}};
  return b;
}

TEST(Behavior, JsonRoundTrip) {
  Behavior b = sample();
  std::string text = format_behavior(b);
  auto r = parse_behavior(text, "b.json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, b);
  EXPECT_EQ(format_behavior(*r), text);
  EXPECT_NE(text.find("\"x86\""), std::string::npos);
}

TEST(Behavior, ErrorCountsRoundTripAndMerge) {
  Behavior b = sample();
  b.errors_observed = true;
  b.arches[Arch::X86_64]["openat"].errors = {{2, 7}, {13, 1}, {512, 2}};
  std::string text = format_behavior(b);
  EXPECT_NE(text.find("\"ENOENT\": 7"), std::string::npos) << text;
  EXPECT_NE(text.find("\"ERESTARTSYS\": 2"), std::string::npos);
  auto r = parse_behavior(text, "b.json");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, b);
  Behavior c;
  c.arches[Arch::X86_64]["openat"].count = 1;
  c.arches[Arch::X86_64]["openat"].errors = {{2, 1}};
  merge(*r, c);
  EXPECT_EQ(r->arches[Arch::X86_64]["openat"].errors[2], 8u);
  EXPECT_EQ(r->arches[Arch::X86_64]["openat"].error_count(), 11u);
  // Bad errno keys and counts are errors with positions.
  auto bad = parse_behavior(
      "{\"version\": 1, \"arches\": {\"x86_64\": {\"openat\": {\"count\": 1, \"errors\": {\"ENOPE\": 1}}}}}",
      "e.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("e.json:1:"), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("ENOPE"), std::string::npos);
  EXPECT_FALSE(parse_behavior("{\"version\": 1, \"arches\": {\"x86_64\": {\"openat\": {\"count\": 1, "
                              "\"errors\": {\"ENOENT\": -1}}}}}",
                              "e.json")
                   .ok());
  EXPECT_EQ(errno_key(4095), "E4095");
  EXPECT_EQ(*errno_from_key("E4095"), 4095);
  EXPECT_FALSE(errno_from_key("E0").ok());
  EXPECT_FALSE(errno_from_key("E99999").ok());
}

TEST(Behavior, MergeIsUnion) {
  Behavior a = sample(), b;
  b.arches[Arch::X86_64]["openat"].count = 3;
  b.arches[Arch::X86_64]["socket"].count = 1;
  b.arches[Arch::X86_64]["socket"].args["domain"] = {10};
  b.arches[Arch::X86_64]["read"].count = 5;
  b.files["/etc/passwd"] = kWrite;
  b.partial = true;
  b.partial_reason = "killed";
  merge(a, b);
  EXPECT_EQ(a.arches[Arch::X86_64]["openat"].count, 15u);
  EXPECT_EQ(a.arches[Arch::X86_64]["socket"].args["domain"], (std::set<uint64_t>{1, 2, 10}));
  EXPECT_EQ(a.arches[Arch::X86_64]["read"].count, 5u);
  EXPECT_EQ(a.files["/etc/passwd"], kRead | kWrite);
  EXPECT_TRUE(a.partial);
  EXPECT_EQ(a.partial_reason, "killed");
  EXPECT_EQ(a.syscall_names(), (std::set<std::string>{"openat", "read", "socket", "write"}));
}

TEST(Behavior, AccessLetters) {
  EXPECT_EQ(access_str(kRead | kWrite | kCreate | kExec | kUnlink), "rwcxd");
  EXPECT_EQ(*access_from_str("xr"), kRead | kExec);
  EXPECT_FALSE(access_from_str("rq").ok());
  EXPECT_FALSE(access_from_str("").ok());
}

TEST(Behavior, BadInputHasPositions) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"[]", "expected object"},
      {"{}", "missing \"version\""},
      {"{\"version\": 2}", "unsupported version"},
      {"{\"version\": 1, \"bogus\": 1}", "1:16: unknown key \"bogus\""},
      {"{\"version\": 1, \"arches\": {\"vax\": {}}}", "unknown architecture \"vax\""},
      {"{\"version\": 1, \"arches\": {\"x86_64\": {\"read\": {\"count\": -1}}}}", "non-negative integer"},
      {"{\"version\": 1, \"arches\": {\"x86_64\": {\"read\": {\"count\": 1, \"args\": {\"a\": [\"x\"]}}}}}",
       "non-negative integer"},
      {"{\"version\": 1, \"files\": [{\"path\": \"/x\", \"access\": \"z\"}]}", "bad access letter"},
      {"{\"version\": 1, \"exit_status\": 300}", "0..255"},
      {"{\"version\": 1, \"network\": {\"families\": [1]}}", "expected string"},
      {"{\"version\": 1, \"version\": 1}", "duplicate key"},
  };
  for (const auto& c : cases) {
    auto r = parse_behavior(c.text, "t.json");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.error().message().find(c.want), std::string::npos) << c.text << " -> " << r.error().message();
    EXPECT_NE(r.error().message().find("t.json:1:"), std::string::npos) << r.error().message();
  }
}

TEST(Behavior, FamilyNames) {
  EXPECT_EQ(family_name(2), "AF_INET");
  EXPECT_EQ(family_name(10), "AF_INET6");
  EXPECT_EQ(family_name(99), "AF_99");
}

}  // namespace
}  // namespace confine::behavior
