// x86_64, i386 and x32 tables against the installed kernel uapi headers
// (Debian 12: Linux 6.1). Every header entry must match exactly; every entry
// we have beyond the header must be one documented in
// tools/syscalls/since-6.1.txt (added by a later kernel) and must not reuse
// a number the header assigns.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "syscalls/arch.h"
#include "syscalls/syscalls.h"

namespace confine {
namespace {

std::map<std::string, int64_t> parse_header(const std::string& path, bool* ok) {
  std::ifstream f(path);
  *ok = static_cast<bool>(f);
  std::map<std::string, int64_t> out;
  std::regex re(R"(^#define __NR_(\w+)\s+(?:\(__X32_SYSCALL_BIT \+ )?(\d+)\)?\s*$)");
  std::string line;
  while (std::getline(f, line)) {
    std::smatch m;
    if (std::regex_match(line, m, re)) {
      int64_t nr = std::stoll(m[2]);
      if (line.find("__X32_SYSCALL_BIT") != std::string::npos) nr += kX32SyscallBit;
      out[m[1]] = nr;
    }
  }
  return out;
}

// column -> name -> raw number, from tools/syscalls/since-6.1.txt
std::map<std::string, std::map<std::string, int64_t>> documented_additions() {
  std::ifstream f(std::string(CONFINE_SOURCE_DIR) + "/tools/syscalls/since-6.1.txt");
  std::map<std::string, std::map<std::string, int64_t>> out;
  std::string line;
  while (std::getline(f, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream is(line);
    std::string col, name;
    int64_t nr;
    if (is >> col >> nr >> name) out[col][name] = nr;
  }
  return out;
}

void check_against_header(Arch arch, const std::string& header) {
  bool ok = false;
  auto hdr = parse_header("/usr/include/x86_64-linux-gnu/asm/" + header, &ok);
  if (!ok)
    FAIL() << "kernel uapi header " << header << " not installed (required: see README Set-up; never a skip)";
  ASSERT_GT(hdr.size(), 300u) << "header parse failed";
  const ArchInfo& info = arch_info(arch);
  std::set<int64_t> header_numbers;
  for (const auto& [name, nr] : hdr) {
    header_numbers.insert(nr);
    auto ours = syscall_number(arch, name);
    EXPECT_TRUE(ours.has_value()) << info.name << ": header has " << name << " " << nr;
    if (ours) {
      EXPECT_EQ(*ours, nr) << info.name << ": " << name;
    }
  }
  auto extra_doc = documented_additions()[std::string(info.table)];
  ASSERT_FALSE(extra_doc.empty());
  // Highest header number outside x32's legacy 512..547 block.
  int64_t header_max = 0;
  for (int64_t n : header_numbers)
    if (n - static_cast<int64_t>(info.nr_offset) < 512) header_max = std::max(header_max, n);
  size_t extras = 0;
  for (const SyscallEntry& e : syscall_table(arch)) {
    if (hdr.count(std::string(e.name))) continue;
    ++extras;
    EXPECT_FALSE(header_numbers.count(e.nr))
        << info.name << ": " << e.name << " reuses header number " << e.nr;
    auto it = extra_doc.find(std::string(e.name));
    ASSERT_NE(it, extra_doc.end()) << info.name << ": " << e.name << " is neither in " << header
                                   << " nor documented in since-6.1.txt";
    EXPECT_EQ(it->second + info.nr_offset, e.nr) << e.name;
    // New calls go after the header's last one, except the two x86_64
    // uprobe calls that fill 335/336 right after rseq (334).
    if (e.name != "uretprobe" && e.name != "uprobe") {
      EXPECT_GT(e.nr, header_max) << info.name << ": " << e.name;
    }
  }
  EXPECT_EQ(extras, extra_doc.size()) << info.name << ": documented additions missing from the table";
  std::printf("[ headers ] %s: %zu header entries match, %zu later additions\n", header.c_str(), hdr.size(),
              extras);
}

TEST(KernelHeaders, X86_64) { check_against_header(Arch::X86_64, "unistd_64.h"); }
TEST(KernelHeaders, I386) { check_against_header(Arch::X86, "unistd_32.h"); }
TEST(KernelHeaders, X32) { check_against_header(Arch::X32, "unistd_x32.h"); }

}  // namespace
}  // namespace confine
