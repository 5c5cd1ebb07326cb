// libFuzzer target: the JSON parser never crashes, and whatever it accepts
// the writer reproduces exactly (parse -> write -> parse is identity).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "json/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace confine::json;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseLimits lim;
  lim.max_depth = 64;
  auto r = parse(text, "fuzz", lim);
  if (!r.ok()) return 0;
  for (int indent : {0, 2}) {
    WriteOptions o;
    o.indent = indent;
    std::string w = write(*r, o);
    auto r2 = parse(w, "rewritten", lim);
    if (!r2.ok() || !equal(*r, *r2) || write(*r2, o) != w) std::abort();
  }
  return 0;
}
