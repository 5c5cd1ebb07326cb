// The eBPF source's capture specs (src/ebpf/source.cc spec_for) against decode():
// a syscall whose decoding reads memory is captured with its memory (kind 2), one
// decoded from its argument values alone is a scalar (kind 1), the rest only counted.
#if __has_include("ebpf/record.skel.h")
#include <gtest/gtest.h>

#include "ebpf/source.h"
#include "record/decode.h"
#include "syscalls/syscalls.h"

namespace confine {
namespace {

TEST(EbpfSpec, MatchesDecodeForEveryName) {
  for (std::string_view n : all_syscall_names()) {
    confine_spec s = ebpf::spec_for(n);
    if (record::decode_needs_task(n))
      EXPECT_EQ(s.kind, 2) << n;
    else if (record::decode_relevant(n))
      EXPECT_EQ(s.kind, 1) << n;
    else
      EXPECT_EQ(s.kind, 0) << n;
  }
}

TEST(EbpfSpec, PathsAndTheirDirfds) {
  auto s = ebpf::spec_for("openat");
  EXPECT_EQ(s.str[0], 1);
  EXPECT_EQ(s.dirfd[0], 0);
  s = ebpf::spec_for("renameat2");
  EXPECT_EQ(s.str[1], 3);
  EXPECT_EQ(s.dirfd[1], 2);
  s = ebpf::spec_for("execve");
  EXPECT_EQ(s.str[0], 0);
  EXPECT_EQ(s.dirfd[0], CONFINE_NONE);  // the cwd
  EXPECT_TRUE(ebpf::spec_for("bind").flags & CONFINE_SPEC_CWD);
  EXPECT_EQ(ebpf::spec_for("clone").mask[0], record::kCloneNsMask);
  s = ebpf::spec_for("getdents64");  // the listed directory: descriptor 0's path, no string
  EXPECT_EQ(s.str[0], CONFINE_NONE);
  EXPECT_EQ(s.dirfd[0], 0);
  EXPECT_TRUE(s.flags & CONFINE_SPEC_FD);
}

}  // namespace
}  // namespace confine
#endif
