// libFuzzer target: the behavior.json parser never crashes; whatever it
// accepts is written canonically and reads back equal (merge with itself too),
// and the generators accept every valid Behavior.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "behavior/behavior.h"
#include "generate/generate.h"
#include "seccomp/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace confine;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto b = behavior::parse_behavior(text, "fuzz");
  if (!b.ok()) return 0;
  std::string w = behavior::format_behavior(*b);
  auto b2 = behavior::parse_behavior(w, "rewritten");
  if (!b2.ok() || !(*b2 == *b) || behavior::format_behavior(*b2) != w) std::abort();
  behavior::Behavior m = *b;
  behavior::merge(m, *b);
  if (m.syscall_names() != b->syscall_names()) std::abort();
  auto p = generate::seccomp_profile(*b);
  auto back = seccomp::parse_profile_text(seccomp::format_profile(p), "generated");
  if (!back.ok()) std::abort();  // generated profiles are always valid
  (void)generate::security_context_yaml(*b);
  (void)generate::syscall_table(*b);
  return 0;
}
