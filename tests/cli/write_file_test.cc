#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "cli/args.h"

namespace confine::cli {
namespace {

TEST(WriteFile, DeviceNodeIsWrittenInPlaceNotReplaced) {
  // Regression: a temp-file + rename over /dev/null turned the device into a regular file.
  ASSERT_TRUE(write_file("/dev/null", "data").ok());
  struct stat st {};
  ASSERT_EQ(stat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(WriteFile, FifoIsWrittenInPlace) {
  char dir[] = "/tmp/confine-wf-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string fifo = std::string(dir) + "/f";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  pid_t pid = fork();
  if (pid == 0) {
    char buf[16];
    FILE* f = fopen(fifo.c_str(), "r");
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    _exit(n == 5 ? 0 : 1);
  }
  ASSERT_TRUE(write_file(fifo, "hello").ok());
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  struct stat st {};
  ASSERT_EQ(stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  unlink(fifo.c_str());
  rmdir(dir);
}

TEST(WriteFile, RegularFileReplacedAtomically) {
  char dir[] = "/tmp/confine-wf-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string p = std::string(dir) + "/out.json";
  ASSERT_TRUE(write_file(p, "one").ok());
  ASSERT_TRUE(write_file(p, "two").ok());
  auto r = read_file(p);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "two");
  EXPECT_FALSE(write_file(dir, "x").ok());  // a directory is refused
  unlink(p.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace confine::cli
