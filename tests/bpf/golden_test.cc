// Golden dumps: the disassembly and C output of small handwritten programs are
// compared with tests/golden/bpf/*. Regenerate after an intended format change
// with CONFINE_UPDATE_GOLDEN=1 ./test_bpf and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bpf/programs.h"
#include "seccomp/bpf/bpf.h"

namespace confine::bpf {
namespace {

using testprogs::jump;
using testprogs::Prog;
using testprogs::stmt;

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

// x86_64 + i386 filter in the shape compilers emit: arch dispatch, x32 bit check,
// syscall numbers, a 64-bit argument compare in halves, a masked compare, ja, M[].
Prog multi_arch() {
  return {
      stmt(BPF_LD | BPF_W | BPF_ABS, 4),                          // 0
      jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 12),  // 1 -> 2 / 14
      stmt(BPF_LD | BPF_W | BPF_ABS, 0),                          // 2
      jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 20, 0),         // 3 -> 24 kill
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 18, 0),                  // 4 read -> 23 allow
      jump(BPF_JMP | BPF_JEQ | BPF_K, 135, 0, 4),                 // 5 personality -> 6 / 10
      stmt(BPF_LD | BPF_W | BPF_ABS, 20),                         // 6 args[0].hi
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 14),                  // 7 -> 8 / 22
      stmt(BPF_LD | BPF_W | BPF_ABS, 16),                         // 8 args[0].lo
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 13, 12),        // 9 -> 23 / 22
      jump(BPF_JMP | BPF_JEQ | BPF_K, 56, 0, 10),                 // 10 clone -> 11 / 21
      stmt(BPF_LD | BPF_W | BPF_ABS, 16),                         // 11
      stmt(BPF_ALU | BPF_AND | BPF_K, 0x7e020000),                // 12
      jump(BPF_JMP | BPF_JEQ | BPF_K, 0, 9, 8),                   // 13 -> 23 / 22
      jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 1, 0),     // 14 -> 16 / 15
      stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),            // 15
      stmt(BPF_LD | BPF_W | BPF_ABS, 0),                          // 16
      stmt(BPF_ST, 0),                                            // 17
      stmt(BPF_LDX | BPF_MEM, 0),                                 // 18
      jump(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 0),                   // 19
      jump(BPF_JMP | BPF_JSET | BPF_K, 1, 2, 0),                  // 20 odd -> 23 / 21
      stmt(BPF_JMP | BPF_JA, 0),                                  // 21 -> 22
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),               // 22
      stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                   // 23
      stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_THREAD),             // 24
  };
}

// Big-endian s390x: offset 16 is the high half of args[0]. Also every other
// opcode class, and one the kernel rejects (shown, not hidden).
Prog s390x_and_misc() {
  return {
      stmt(BPF_LD | BPF_W | BPF_ABS, 4),
      jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_S390X, 1, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_TRAP | 7),
      stmt(BPF_LD | BPF_W | BPF_ABS, 16),
      stmt(BPF_LD | BPF_W | BPF_ABS, 0),
      jump(BPF_JMP | BPF_JGT | BPF_K, 5, 0, 0),
      stmt(BPF_LD | BPF_IMM, 3),
      stmt(BPF_LDX | BPF_IMM, 4),
      stmt(BPF_ALU | BPF_ADD | BPF_X, 0),
      stmt(BPF_ALU | BPF_LSH | BPF_K, 2),
      stmt(BPF_ALU | BPF_NEG, 0),
      stmt(BPF_MISC | BPF_TAX, 0),
      stmt(BPF_MISC | BPF_TXA, 0),
      stmt(BPF_STX, 1),
      stmt(BPF_LD | BPF_MEM, 1),
      stmt(BPF_LD | BPF_W | BPF_LEN, 0),
      stmt(BPF_LD | BPF_H | BPF_ABS, 2),
      stmt(BPF_ALU | BPF_MOD | BPF_K, 3),
      stmt(0xffff, 0),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 2),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_LOG),
      stmt(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      stmt(BPF_RET | BPF_K, 0x12340000),
      stmt(BPF_RET | BPF_A, 0),
  };
}

TEST(Golden, MultiArchDisasm) {
  Prog p = multi_arch();
  ASSERT_TRUE(check(p).ok()) << check(p).error().message();
  expect_golden("multi_arch.disasm", disassemble(p));
  expect_golden("multi_arch.plain.disasm", disassemble(p, {.annotate = false}));
  expect_golden("multi_arch.c", to_c(p, "multi_arch"));
}

TEST(Golden, S390xAndMiscDisasm) {
  Prog p = s390x_and_misc();
  EXPECT_FALSE(check(p).ok());
  expect_golden("s390x_misc.disasm", disassemble(p));
  expect_golden("s390x_misc.c", to_c(p));
}

std::string line(const std::string& d, int pc) {
  char tag[8];
  snprintf(tag, sizeof tag, "%04d: ", pc);
  size_t b = d.find(tag);
  if (b == std::string::npos) return "";
  return d.substr(b, d.find('\n', b) - b);
}

TEST(Disasm, AnnotationsFollowTheArchOnEachPath) {
  std::string d = disassemble(multi_arch());
  EXPECT_NE(line(d, 4).find("jeq #0x0, 0023, 0005"), std::string::npos) << d;
  EXPECT_NE(line(d, 4).find("; read"), std::string::npos) << d;  // nr 0 under x86_64
  EXPECT_NE(line(d, 3).find("; X32_SYSCALL_BIT"), std::string::npos);
  EXPECT_NE(line(d, 5).find("; personality"), std::string::npos);
  EXPECT_NE(line(d, 6).find("; args[0].hi"), std::string::npos);
  EXPECT_NE(line(d, 14).find("; AUDIT_ARCH_I386"), std::string::npos);
  EXPECT_NE(line(d, 20).find("; nr"), std::string::npos)
      << line(d, 20);  // jset on nr: field, no syscall name
  EXPECT_NE(line(d, 22).find("ret ERRNO(1)"), std::string::npos);
  EXPECT_NE(line(d, 22).find("; EPERM"), std::string::npos);
  std::string s = disassemble(s390x_and_misc());
  EXPECT_NE(line(s, 3).find("; args[0].hi"), std::string::npos) << s;  // big endian
  EXPECT_NE(line(s, 5).find("; open"), std::string::npos) << s;        // s390x nr 5
  EXPECT_NE(line(s, 18).find("??? code 0xffff"), std::string::npos);
}

TEST(Disasm, MarksUnreachableInstructions) {
  Prog p = {stmt(BPF_JMP | BPF_JA, 1), stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
            stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  std::string d = disassemble(p);
  EXPECT_NE(line(d, 1).find("; unreachable"), std::string::npos) << d;
  EXPECT_EQ(line(d, 2).find("unreachable"), std::string::npos) << d;
}

TEST(Disasm, NeverCrashesOnGarbage) {
  Prog p;
  for (uint32_t i = 0; i < 300; ++i)
    p.push_back(jump(static_cast<uint16_t>(i * 37), i * 0x9e3779b9u, static_cast<uint8_t>(i),
                     static_cast<uint8_t>(i * 7)));
  EXPECT_FALSE(disassemble(p).empty());
  EXPECT_FALSE(to_c(p).empty());
}

}  // namespace
}  // namespace confine::bpf
