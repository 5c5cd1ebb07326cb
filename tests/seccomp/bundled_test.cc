// The bundled profile is compiled in byte for byte and loads by name from any
// working directory (no path lookup next to the binary or in the source tree).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/embedded.h"
#include "seccomp/profile.h"

namespace confine::seccomp {
namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(Bundled, RuntimeDefaultIsTheSourceFileByteForByte) {
  auto b = bundled_profile("runtime-default");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(std::string(*b), slurp(std::string(CONFINE_SOURCE_DIR) + "/profiles/runtime-default.json"));
  auto s = embedded_file("examples/sample-workload.sh");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(std::string(*s), slurp(std::string(CONFINE_SOURCE_DIR) + "/examples/sample-workload.sh"));
  EXPECT_FALSE(bundled_profile("docker-default").has_value());
}

TEST(Bundled, LoadsByNameFromAnyDirectory) {
  auto cwd = std::filesystem::current_path();
  std::filesystem::current_path("/");
  auto p = load_profile("runtime-default");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->source, "runtime-default");
  EXPECT_FALSE(p->syscalls.empty());
}

}  // namespace
}  // namespace confine::seccomp
