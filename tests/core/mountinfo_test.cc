#include "core/mountinfo.h"

#include <gtest/gtest.h>

using namespace confine;

TEST(MountInfo, FieldsOptionalTagsAndEscapes) {
  const char* text =
      "22 1 0:21 / /sys rw,nosuid,nodev shared:7 - sysfs sysfs rw\n"
      "63 22 0:13 / /sys/kernel/tracing rw,relatime - tracefs none rw\n"
      "55 51 0:32 /../.. /sys/fs/cgroup/memory ro,nodev master:3 propagate_from:1 - cgroup cgroup rw,memory\n"
      "90 1 8:1 /a\\040b /mnt/with\\040space\\134x rw - ext4 /dev/sda1 rw\n"
      "not a mountinfo line\n"
      "91 1 8:1 / /short -\n";
  auto ms = mountinfo::parse(text);
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_EQ(ms[0].mount_point, "/sys");
  EXPECT_EQ(ms[0].options, "rw,nosuid,nodev");
  EXPECT_EQ(ms[0].fstype, "sysfs");
  EXPECT_EQ(ms[1].fstype, "tracefs");
  EXPECT_EQ(ms[2].root, "/../..");
  EXPECT_EQ(ms[2].fstype, "cgroup");
  EXPECT_EQ(ms[3].root, "/a b");
  EXPECT_EQ(ms[3].mount_point, "/mnt/with space\\x");
  EXPECT_EQ(mountinfo::unescape("a\\011b\\012c\\9xy\\04"), "a\tb\nc\\9xy\\04");
}
