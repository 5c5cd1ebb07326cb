// The rollout collection's parsers (src/k8s/collect.h).
#include "k8s/collect.h"

#include <gtest/gtest.h>

namespace confine::k8s {
namespace {

TEST(KmsgSeq, ReadsTheSecondField) {
  EXPECT_EQ(kmsg_seq("5,1234,5678901,-;audit: type=1326 audit(1.2:3): pid=1"), 1234u);
  EXPECT_EQ(kmsg_seq("5,0,1,c;x\n SUBSYSTEM=a"), 0u);
  EXPECT_FALSE(kmsg_seq("5,12a,1,-;x"));
  EXPECT_FALSE(kmsg_seq("5,12;x"));           // no comma after the sequence number
  EXPECT_FALSE(kmsg_seq("5;1,2,3"));          // ';' before the fields
  EXPECT_FALSE(kmsg_seq("[ 1.0] audit: x"));  // dmesg, not kmsg
  EXPECT_FALSE(kmsg_seq("5,99999999999999999999999,1,-;x"));
}

TEST(CgroupV2Path, TheUnifiedLine) {
  EXPECT_EQ(cgroup_v2_path("0::/machine.slice/libpod-1.scope\n"), "/machine.slice/libpod-1.scope");
  EXPECT_EQ(cgroup_v2_path("9:name=systemd:/a\n1:cpu:/b\n0::/libpod_parent/libpod-x\n"),
            "/libpod_parent/libpod-x");
  EXPECT_EQ(cgroup_v2_path("1:cpu:/b\n"), "");
  EXPECT_EQ(cgroup_v2_path(""), "");
}

TEST(ProfilesList, NameAndMode) {
  auto m = parse_profiles_list(
      "confine-web-0123456789ab (enforce)\nconfine-web-0123456789ab//hat (complain)\n"
      "/usr/bin/man (enforce)\nno mode here\n (enforce)\n");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m["confine-web-0123456789ab"], "enforce");
  EXPECT_EQ(m["confine-web-0123456789ab//hat"], "complain");
  EXPECT_EQ(m["/usr/bin/man"], "enforce");
}

}  // namespace
}  // namespace confine::k8s
