// libFuzzer target: the bundle manifest parser (src/k8s/bundle.h) and the hashes over what it returns.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "k8s/bundle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto m = confine::k8s::parse_manifest(text, "bundle.json");
  if (m.ok()) {
    std::vector<const confine::k8s::ProfileEntry*> all;
    for (const auto& e : m->profiles) {
      all.push_back(&e);
      if (e.error.empty()) {
        // A valid entry names only its own content-addressed files.
        if (e.seccomp->file != e.id() + ".json") __builtin_trap();
        if (e.id().find('/') != std::string::npos || e.id().find("..") != std::string::npos) __builtin_trap();
      }
    }
    (void)confine::k8s::bundle_hash(all);
  }
  return 0;
}
