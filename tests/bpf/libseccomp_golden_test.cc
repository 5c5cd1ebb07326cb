// Disassembly of a program nobody here wrote: libseccomp 2.5.4's output for a
// small x86_64 + x86 + x32 filter (linear and binary tree), against golden files.
#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "seccomp/bpf/bpf.h"

namespace confine::bpf {
namespace {

std::vector<sock_filter> libseccomp_small(bool tree) {
  scmp_filter_ctx c = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  EXPECT_EQ(seccomp_arch_add(c, SCMP_ARCH_X86), 0);
  EXPECT_EQ(seccomp_arch_add(c, SCMP_ARCH_X32), 0);
  EXPECT_EQ(seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), 0);
  if (tree) {
    EXPECT_EQ(seccomp_attr_set(c, SCMP_FLTATR_CTL_OPTIMIZE, 2), 0);
  }
  EXPECT_EQ(seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(read), 0), 0);
  EXPECT_EQ(seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(write), 0), 0);
  EXPECT_EQ(seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, SCMP_A0(SCMP_CMP_EQ, 0xffffffff)),
            0);
  EXPECT_EQ(
      seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0x7E020000, 0)), 0);
  EXPECT_EQ(seccomp_rule_add(c, SCMP_ACT_KILL_PROCESS, SCMP_SYS(ptrace), 0), 0);
  int fd = memfd_create("golden", 0);
  EXPECT_EQ(seccomp_export_bpf(c, fd), 0);
  seccomp_release(c);
  std::string bytes;
  char buf[4096];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) bytes.append(buf, static_cast<size_t>(n));
  close(fd);
  auto p = from_bytes(bytes);
  EXPECT_TRUE(p.ok());
  return p.ok() ? *p : std::vector<sock_filter>{};
}

void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = std::string(CONFINE_SOURCE_DIR) + "/tests/golden/bpf/" + name;
  if (std::getenv("CONFINE_UPDATE_GOLDEN")) {
    std::ofstream(path) << actual;
    return;
  }
  std::ifstream f(path);
  ASSERT_TRUE(f.good()) << "missing golden file " << path;
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), actual) << "golden mismatch: " << path;
}

TEST(LibseccompGolden, SmallMultiArchFilter) {
  const scmp_version* v = seccomp_version();
  if (v->major != 2 || v->minor != 5 || v->micro != 4) GTEST_SKIP() << "goldens are for libseccomp 2.5.4";
  for (bool tree : {false, true}) {
    auto p = libseccomp_small(tree);
    ASSERT_TRUE(check(p).ok()) << check(p).error().message();
    std::string d = disassemble(p);
    expect_golden(tree ? "libseccomp_small_tree.disasm" : "libseccomp_small.disasm", d);
    // Names follow the arch of each section: 0x0 is read on x86_64, 0x3 is read on i386,
    // 0x40000000 | 0 is x32 read.
    EXPECT_NE(d.find("; AUDIT_ARCH_I386"), std::string::npos);
    EXPECT_NE(d.find("jeq #0x3, "), std::string::npos);
    EXPECT_NE(d.find("; args[0].lo & 0x7e020000"), std::string::npos) << d;
  }
}

}  // namespace
}  // namespace confine::bpf
