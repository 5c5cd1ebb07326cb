#include "core/error.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace confine {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Error::at({"f.json", 3, 7}, "must be positive");
  return v;
}

Result<int> doubled(int v) {
  CONFINE_TRY(int x, parse_positive(v));
  return 2 * x;
}

Status outer(int v) {
  auto r = doubled(v);
  if (!r) return std::move(r).error().context("loading profile");
  return ok();
}

TEST(Error, PositionAndContext) {
  auto s = outer(-1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "loading profile: f.json:3:7: must be positive");
  EXPECT_EQ(s.error().detail(), "must be positive");
}

TEST(Error, TryPropagatesValue) {
  auto r = doubled(21);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
}

TEST(Error, Sys) {
  Error e = Error::sys("open(\"/nope\")", ENOENT);
  EXPECT_EQ(e.sys_errno(), ENOENT);
  EXPECT_EQ(e.message(), "open(\"/nope\"): ENOENT (No such file or directory)");
}

TEST(Error, ErrnoNames) {
  EXPECT_EQ(errno_name(EPERM), "EPERM");
  EXPECT_EQ(errno_name(ENOSYS), "ENOSYS");
  EXPECT_EQ(errno_from_name("EACCES"), EACCES);
  EXPECT_EQ(errno_from_name("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(errno_from_name("ENOPE"), -1);
  EXPECT_EQ(errno_name(9999), "E9999");
}

}  // namespace
}  // namespace confine
