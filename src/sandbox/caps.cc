#include "sandbox/caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "core/capabilities.h"

namespace confine::sandbox {

namespace {
constexpr int kTableLast = kLastKnownCap;

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}
}  // namespace

std::optional<int> cap_from_name(std::string_view name) { return capability_from_name(name); }

std::string cap_name(int cap) { return capability_name(cap); }

int cap_last_cap() {
  std::ifstream f("/proc/sys/kernel/cap_last_cap");
  int n = -1;
  if (f >> n && n >= 0 && n < 64) return n;
  return kTableLast;
}

uint64_t all_caps_mask() {
  int last = cap_last_cap();
  return last >= 63 ? ~0ull : ((1ull << (last + 1)) - 1);
}

uint64_t default_caps_mask() { return default_capabilities_mask(); }

Result<uint64_t> parse_cap_list(std::string_view list) {
  uint64_t m = 0;
  size_t start = 0;
  bool any = false;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    std::string item = trim(list.substr(start, end - start));
    start = end + 1;
    if (item.empty()) continue;
    any = true;
    std::string up;
    for (char c : item) up += upper(c);
    if (up == "ALL" || up == "CAP_ALL") {
      m |= all_caps_mask();
      continue;
    }
    auto c = cap_from_name(item);
    if (!c)
      return Error("unknown capability \"" + item + "\" (expected e.g. NET_ADMIN or CAP_NET_ADMIN, or ALL)");
    if (*c > cap_last_cap())
      return Error("capability " + cap_name(*c) + " is not supported by the running kernel");
    m |= 1ull << *c;
  }
  if (!any) return Error("empty capability list");
  return m;
}

std::string caps_to_string(uint64_t mask) {
  std::string s;
  for (int i = 0; i < 64; ++i)
    if (mask & (1ull << i)) s += (s.empty() ? "" : ",") + cap_name(i);
  return s.empty() ? "none" : s;
}

Status drop_bounding(const CapsConfig& c) {
  int last = cap_last_cap();
  for (int i = 0; i <= last; ++i) {
    if (c.keep & (1ull << i)) continue;
    if (prctl(PR_CAPBSET_READ, i, 0, 0, 0) <= 0) continue;  // not in the set (or unknown): nothing to drop
    if (prctl(PR_CAPBSET_DROP, i, 0, 0, 0) != 0)
      return Error::sys("prctl(PR_CAPBSET_DROP, " + cap_name(i) + ")", errno);
  }
  return ok();
}

Status apply_caps(const CapsConfig& c, bool nonroot) {
  __user_cap_header_struct hdr{};
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  __user_cap_data_struct data[2]{};
  auto lo = static_cast<uint32_t>(c.keep & 0xffffffffu), hi = static_cast<uint32_t>(c.keep >> 32);
  data[0].effective = data[0].permitted = lo;
  data[1].effective = data[1].permitted = hi;
  // Inheritable holds only what must reach the ambient set (a non-root
  // command's --cap-add): a non-empty inheritable set lets a file with
  // inheritable capabilities (setcap cap_x+ei) gain them on exec without
  // no_new_privs (CVE-2022-24769; runc and moby keep it empty too).
  uint64_t inh = nonroot ? c.keep & c.ambient : 0;
  data[0].inheritable = static_cast<uint32_t>(inh & 0xffffffffu);
  data[1].inheritable = static_cast<uint32_t>(inh >> 32);
  if (syscall(SYS_capset, &hdr, data) != 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, "capset(v3, {effective=permitted=0x%llx, inheritable=0x%llx})",
                  static_cast<unsigned long long>(c.keep), static_cast<unsigned long long>(inh));
    return Error::sys(buf, errno);
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0)
    return Error::sys("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)", errno);
  if (nonroot) {
    for (int i = 0; i <= cap_last_cap(); ++i) {
      if (!(c.keep & c.ambient & (1ull << i))) continue;
      if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, i, 0, 0) != 0)
        return Error::sys("prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, " + cap_name(i) + ")", errno);
    }
  }
  return ok();
}

std::string describe(const CapsConfig& c) {
  return "keep " + caps_to_string(c.keep) +
         "; every other capability dropped from bounding, permitted and effective sets; inheritable and "
         "ambient hold only what --cap-add gives a non-root uid";
}

}  // namespace confine::sandbox
