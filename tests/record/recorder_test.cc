// The recorder on the real kernel (forked children under a real
// user-notification filter).
#include "record/recorder.h"

#include <gtest/gtest.h>

namespace confine::record {
namespace {

RecordResult run(std::vector<std::string> argv, bool pin = true, bool main_only = false) {
  RecordOptions o;
  o.argv = std::move(argv);
  o.pin = pin;
  o.main_only = main_only;
  auto r = record(o);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? std::move(*r) : RecordResult{};
}

TEST(Recorder, TrueIsExecveToExitGroup) {
  for (bool pin : {true, false}) {
    auto r = run({"/bin/true"}, pin);
    EXPECT_EQ(r.exit_code, 0);
    const auto& calls = r.behavior.arches[Arch::X86_64];
    EXPECT_EQ(calls.at("execve").count, 1u);
    EXPECT_EQ(calls.at("exit_group").count, 1u);
    EXPECT_FALSE(r.behavior.partial);
    EXPECT_TRUE(r.behavior.execs.count("/usr/bin/true") || r.behavior.execs.count("/bin/true"));
  }
}

TEST(Recorder, ExitStatusAndSignals) {
  EXPECT_EQ(run({"sh", "-c", "exit 3"}).exit_code, 3);
  auto k = run({"sh", "-c", "kill -TERM $$"});
  EXPECT_EQ(k.exit_code, 128 + 15);
  EXPECT_TRUE(k.behavior.partial);
  EXPECT_NE(k.behavior.partial_reason.find("signal 15"), std::string::npos);
}

TEST(Recorder, FollowsForksAndFiles) {
  auto r = run({"sh", "-c", "cat /etc/hostname >/dev/null; (ls / >/dev/null) & wait"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(r.behavior.files.count("/etc/hostname"));
  EXPECT_TRUE(r.behavior.arches[Arch::X86_64].count("getdents64"));  // from the background ls
  bool saw_cat = false;
  for (const auto& p : r.behavior.processes) saw_cat |= p.comm == "cat";
  EXPECT_TRUE(saw_cat);
}

TEST(Recorder, MainOnlyDoesNotWaitForDaemons) {
  auto r = run({"sh", "-c", "(sleep 2 &) ; true"}, true, /*main_only=*/true);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.warnings.empty());
}

TEST(Recorder, NotFound) {
  RecordOptions o;
  o.argv = {"/nonexistent/x"};
  auto r = record(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 127);
  EXPECT_TRUE(r->behavior.partial);
  int code = 0;
  EXPECT_TRUE(find_executable("sh", &code).ok());
  EXPECT_FALSE(find_executable("/etc/passwd", &code).ok());
  EXPECT_EQ(code, 126);
}

}  // namespace
}  // namespace confine::record
