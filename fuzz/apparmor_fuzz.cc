// libFuzzer target: apparmor::parse never crashes or hangs; whatever it
// accepts, format() writes text that re-parses to the same model and formats
// to the same text; expand() stays within its cap.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "apparmor/apparmor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace confine::apparmor;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = parse(text, "fuzz.profile");
  if (!f.ok()) {
    if (f.error().message().empty()) std::abort();
    return 0;
  }
  std::string out = format(*f);
  auto g = parse(out, "formatted.profile");
  if (!g.ok()) std::abort();
  if (!(*f == *g)) std::abort();
  if (format(*g) != out) std::abort();
  Resolved r;
  r.vars["V"] = {"/a", "/b/{c,d}"};
  for (const auto& p : profiles(*f))
    for (const auto& it : p->items)
      if (auto* rule = std::get_if<Rule>(&it)) {
        auto x = expand(rule->path, r, 256);
        if (x.ok() && x->size() > 256) std::abort();
      }
  return 0;
}
