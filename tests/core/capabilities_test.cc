#include "core/capabilities.h"

#include <linux/capability.h>

#include <gtest/gtest.h>

namespace confine {
namespace {

TEST(Capabilities, BitsMatchKernelHeader) {
  // The uapi header is the oracle: every CAP_* constant maps to our name.
#define CHECK_CAP(NAME, base) EXPECT_EQ(capability_from_name(#NAME), CAP_##NAME) << #NAME; \
  EXPECT_EQ(capability_base_name(CAP_##NAME), base)
  CHECK_CAP(CHOWN, "chown");
  CHECK_CAP(DAC_READ_SEARCH, "dac_read_search");
  CHECK_CAP(NET_RAW, "net_raw");
  CHECK_CAP(SYS_ADMIN, "sys_admin");
  CHECK_CAP(SYS_PTRACE, "sys_ptrace");
  CHECK_CAP(MAC_ADMIN, "mac_admin");
  CHECK_CAP(AUDIT_READ, "audit_read");
  CHECK_CAP(PERFMON, "perfmon");
  CHECK_CAP(BPF, "bpf");
  CHECK_CAP(CHECKPOINT_RESTORE, "checkpoint_restore");
#undef CHECK_CAP
  EXPECT_EQ(CAP_LAST_CAP, kLastKnownCap);
  EXPECT_EQ(capability_table().size(), static_cast<size_t>(kLastKnownCap + 1));
}

TEST(Capabilities, NameForms) {
  EXPECT_EQ(capability_from_name("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(capability_from_name("cap_sys_admin"), 21);
  EXPECT_EQ(capability_from_name("sys_admin"), 21);
  EXPECT_EQ(capability_from_name("Sys_Admin"), 21);
  EXPECT_FALSE(capability_from_name("CAP_FLY").has_value());
  EXPECT_FALSE(capability_from_name("").has_value());
  EXPECT_TRUE(capability_base_name(41).empty());
  EXPECT_TRUE(capability_base_name(-1).empty());
}

}  // namespace
}  // namespace confine
