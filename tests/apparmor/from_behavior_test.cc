// Generator: Behavior -> AppArmor profile; the text passes the real validator
// and translates back to Landlock rules covering what the workload did.
#include "apparmor/from_behavior.h"

#include <cstdlib>
#include <fstream>

#include "apparmor/landlock.h"
#include "gtest/gtest.h"

namespace confine::apparmor {
namespace {

TEST(AppArmorFromBehavior, GeneratesValidProfile) {
  behavior::Behavior b;
  b.files["/etc/hostname"] = behavior::kRead;
  b.files["/tmp/out [1]*.log"] = behavior::kWrite | behavior::kCreate;
  b.files["relative"] = behavior::kRead;
  b.execs.insert("/usr/bin/cat");
  b.net_families = {"AF_INET", "AF_UNIX", "AF_999"};
  std::vector<std::string> notes;
  auto f = from_behavior(b, "gen-test", &notes);
  ASSERT_TRUE(f.ok()) << f.error().message();
  std::string text = format(*f);
  EXPECT_NE(text.find("profile gen-test flags=(attach_disconnected) {"), std::string::npos) << text;
  EXPECT_NE(text.find("  /etc/hostname r,\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  /usr/bin/cat mrix,\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  \"/tmp/out \\[1\\]\\*.log\" w,\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  network inet,\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  network unix,\n"), std::string::npos) << text;
  EXPECT_EQ(notes.size(), 2u);  // AF_999 and the relative path
  auto again = parse(text, "gen");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_TRUE(*again == *f);
  if (system("command -v apparmor_parser >/dev/null 2>&1") == 0) {
    std::string out = testing::TempDir() + "/h8-gen.profile";
    std::ofstream(out) << text;
    EXPECT_EQ(system(("apparmor_parser -Q -K --base /etc/apparmor.d " + out + " >/dev/null 2>&1").c_str()), 0)
        << text;
  }
  EXPECT_FALSE(from_behavior(b, "bad name", nullptr).ok());
}

}  // namespace
}  // namespace confine::apparmor
