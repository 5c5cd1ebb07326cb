// libFuzzer target: parse_profile_text never crashes; whatever it accepts,
// format_profile writes in a form that re-parses, to the same canonical text,
// and resolves on every arch.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "seccomp/profile.h"
#include "seccomp/resolve.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace confine::seccomp;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Warning> w;
  auto p = parse_profile_text(text, "fuzz.json", &w);
  if (!p.ok()) {
    if (p.error().message().empty()) std::abort();
    return 0;
  }
  std::string out = format_profile(*p);
  auto p2 = parse_profile_text(out, "rewritten.json");
  if (!p2.ok()) std::abort();
  if (format_profile(*p2) != out) std::abort();
  ResolveContext c;
  c.kernel = KernelVersion{5, 4};
  c.caps = {"CAP_SYS_ADMIN"};
  auto r = resolve(*p, c);
  if (!r.ok()) std::abort();
  return 0;
}
