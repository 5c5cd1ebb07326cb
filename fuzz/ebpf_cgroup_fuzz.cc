// libFuzzer target: the eBPF source's two /proc parsers (src/ebpf/cgroup.h): the cgroup2 mount in a
// /proc/self/mountinfo text and the "0::PATH" entry of a /proc/PID/cgroup text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ebpf/cgroup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto m = confine::ebpf::cgroup2_mount_in(text))
    if (m->empty() || (*m)[0] != '/') __builtin_trap();  // only an absolute mount point
  if (auto e = confine::ebpf::cgroup_v2_entry(text))
    if (e->find('\n') != std::string::npos) __builtin_trap();
  return 0;
}
