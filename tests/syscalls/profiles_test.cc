// Real-world data nobody here wrote: every syscall name in Docker's and
// podman's default seccomp profiles must be known to our tables, and a name
// a rule restricts to certain arches (includes.arches) must exist on at
// least one of them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "json/json.h"
#include "syscalls/arch.h"
#include "syscalls/syscalls.h"

namespace confine {
namespace {

void check_profile(const std::string& path) {
  auto doc = json::parse_file(path);
  if (!doc.ok())
    FAIL() << path << ": " << doc.error().message() << " (required: see README Set-up; never a skip)";
  const json::Value* rules = doc->find("syscalls");
  ASSERT_NE(rules, nullptr);
  size_t names = 0, arch_checked = 0;
  for (const json::Value& rule : rules->items) {
    std::vector<std::string> rule_names;
    if (const json::Value* ns = rule.find("names"))
      for (const json::Value& n : ns->items) rule_names.push_back(n.text);
    if (const json::Value* n = rule.find("name")) rule_names.push_back(n->text);
    std::vector<Arch> arches;
    if (const json::Value* inc = rule.find("includes"))
      if (const json::Value* as = inc->find("arches"))
        for (const json::Value& a : as->items)
          if (auto arch = arch_from_name(a.text))
            arches.push_back(*arch);  // Docker has a typo: "mips3l64n32"
    for (const std::string& n : rule_names) {
      ++names;
      EXPECT_TRUE(syscall_known_anywhere(n)) << path << ": unknown syscall " << n;
      // Docker and podman allow sync_file_range2 for arm/arm64: on arm it is only
      // a uapi header alias (__NR_sync_file_range2 = __NR_arm_sync_file_range,
      // 341), not a syscall.tbl name, and arm64 has plain sync_file_range. Our
      // tables hold the .tbl names, so this one stays unresolved (as in
      // libseccomp 2.5.4).
      if (arches.empty() || n == "sync_file_range2") continue;
      bool somewhere = false;
      for (Arch a : arches) somewhere |= syscall_number(a, n).has_value();
      EXPECT_TRUE(somewhere) << path << ": " << n << " exists on none of the rule's arches";
      ++arch_checked;
    }
  }
  EXPECT_GT(names, 300u);
  std::printf("[ profiles ] %s: %zu names known, %zu arch-restricted names found on their arches\n",
              path.c_str(), names, arch_checked);
}

TEST(RealProfiles, DockerDefault) {
  check_profile("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json");
}
TEST(RealProfiles, PodmanDefault) { check_profile("/usr/share/containers/seccomp.json"); }

}  // namespace
}  // namespace confine
