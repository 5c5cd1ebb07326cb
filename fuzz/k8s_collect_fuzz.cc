// libFuzzer target: the rollout collection's parsers (src/k8s/collect.h): a /dev/kmsg record's sequence
// number, a /proc/PID/cgroup text, the kernel's AppArmor profile list; and the logs parser on the record.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "k8s/collect.h"
#include "logs/logs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)confine::k8s::kmsg_seq(text);
  std::string cg = confine::k8s::cgroup_v2_path(text);
  if (cg.find('\n') != std::string::npos) __builtin_trap();
  for (const auto& [name, mode] : confine::k8s::parse_profiles_list(text))
    if (name.empty() || name.find('\n') != std::string::npos || mode.find('\n') != std::string::npos)
      __builtin_trap();
  confine::logs::Event ev;
  std::string why;
  (void)confine::logs::parse_line(text.substr(0, text.find('\n')), 1, &ev, &why);
  return 0;
}
