// libFuzzer target for the `confine run` option parsers (sizes, --tmpfs,
// --bind, capability lists, --user, namespace lists, CPU counts, durations):
// any input must give a value or an Error, never a crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sandbox/caps.h"
#include "sandbox/limits.h"
#include "sandbox/mounts.h"
#include "sandbox/namespaces.h"
#include "sandbox/user.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 4096) return 0;
  using namespace confine::sandbox;
  // The first byte picks the parser, the rest is the option value.
  std::string_view s(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 8) {
    case 0: (void)parse_size(s); break;
    case 1: (void)parse_tmpfs(s); break;
    case 2: (void)parse_bind(s); break;
    case 3: {
      auto r = parse_cap_list(s);
      if (r.ok()) (void)caps_to_string(*r);
      break;
    }
    case 4: {
      UserConfig u;
      (void)parse_user(u, s);
      break;
    }
    case 5: {
      NamespaceConfig n;
      if (set_namespaces(n, s, true).ok()) (void)clone_flags_str(clone_flags(n));
      break;
    }
    case 6: (void)parse_cpus(s); break;
    case 7: (void)parse_duration(s); break;
  }
  return 0;
}
