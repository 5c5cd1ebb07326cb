// logs::Filter: --since forms, matching by exe/comm/pid/time, and the
// attribution guard of --to-seccomp/--to-apparmor.
#include "logs/filter.h"

#include <gtest/gtest.h>

namespace confine::logs {
namespace {

Event ev(std::string exe, std::string comm, int64_t pid, std::string time) {
  Event e;
  e.exe = std::move(exe);
  e.comm = std::move(comm);
  e.pid = pid;
  e.time = std::move(time);
  return e;
}

TEST(LogsFilter, SinceForms) {
  const std::time_t now = 1765000000;
  EXPECT_EQ(*parse_since("30s", now), now - 30);
  EXPECT_EQ(*parse_since("10m", now), now - 600);
  EXPECT_EQ(*parse_since("2h", now), now - 7200);
  EXPECT_EQ(*parse_since("1d", now), now - 86400);
  EXPECT_EQ(*parse_since("@1700000000.5", now), 1700000000.5);
  EXPECT_EQ(*parse_since("2026-12-06T19:00:00Z", now), 1796583600);
  EXPECT_EQ(*parse_since("2026-12-06T19:00Z", now), 1796583600);
  EXPECT_TRUE(parse_since("2026-12-06", now).ok());
  EXPECT_TRUE(parse_since("2026-12-06 19:00", now).ok());
  for (const char* bad : {"", "yesterday", "10", "10x", "@", "@-1", "@1x", "2026-13-40", "2026-12-06T25:00Z",
                          "2026-12-06Z", "9999999999d", "2026-12-06T19:00:00Zjunk"})
    EXPECT_FALSE(parse_since(bad, now).ok()) << bad;
}

TEST(LogsFilter, Matches) {
  Filter f;
  EXPECT_TRUE(f.matches(ev("/usr/bin/a", "a", 1, "")));
  f.exe.insert("/usr/bin/a");
  EXPECT_TRUE(f.matches(ev("/usr/bin/a", "zz", 1, "")));
  EXPECT_FALSE(f.matches(ev("/tmp/a", "a", 1, "")));  // same comm, other exe
  f = Filter{};
  f.pids = {42};
  EXPECT_TRUE(f.matches(ev("", "", 42, "")));
  EXPECT_FALSE(f.matches(ev("", "", 43, "")));
  Event nopid;
  EXPECT_FALSE(f.matches(nopid));
  f = Filter{};
  f.since = 100;
  EXPECT_TRUE(f.matches(ev("", "", 1, "100.5")));
  EXPECT_FALSE(f.matches(ev("", "", 1, "99.9")));
  EXPECT_FALSE(f.matches(ev("", "", 1, "")));  // no time: cannot be shown to be recent
}

TEST(LogsFilter, Guard) {
  std::vector<Event> two = {ev("/usr/bin/a", "a", 1, ""), ev("/tmp/a", "a", 2, "")};
  std::vector<Event> one = {ev("/usr/bin/a", "a", 1, ""), ev("/usr/bin/a", "a", 3, "")};
  Filter none, comm, exe;
  comm.comm.insert("a");
  exe.exe.insert("/usr/bin/a");
  EXPECT_FALSE(profile_delta_guard(none, sources_of(one), /*live=*/true, false).ok());
  EXPECT_FALSE(profile_delta_guard(comm, sources_of(one), true, false).ok());
  EXPECT_TRUE(profile_delta_guard(exe, sources_of(one), true, false).ok());
  EXPECT_TRUE(profile_delta_guard(none, sources_of(one), true, /*all_processes=*/true).ok());
  // A file: one program is fine, several need a filter.
  EXPECT_TRUE(profile_delta_guard(none, sources_of(one), false, false).ok());
  EXPECT_FALSE(profile_delta_guard(comm, sources_of(two), false, false).ok());
  // AppArmor records name their profile (set by the kernel): not counted.
  Event aa;
  aa.kind = Kind::AppArmor;
  aa.profile = "p";
  EXPECT_TRUE(profile_delta_guard(none, sources_of({aa}), true, false).ok());
}

}  // namespace
}  // namespace confine::logs
