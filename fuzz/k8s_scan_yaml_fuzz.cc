// libFuzzer target: differential, `confine k8s scan`'s YAML input (src/k8s/scan.h). The documents built
// straight from libyaml's events (yaml_documents_limited, what the scan reads) must equal the reference
// (yaml_documents_reference: the tree of src/k8s/yaml.h converted afterwards) on every input: the same
// error message when one fails, else the same values with the same line:col for every value and key.
// Small limits, so that the node, depth and document bounds are reached too.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "json/json.h"
#include "k8s/scan.h"

namespace {
using confine::json::Value;

bool same(const Value& a, const Value& b) {
  if (a.type != b.type || a.pos != b.pos || a.boolean != b.boolean || a.text != b.text ||
      a.is_integer != b.is_integer || a.negative != b.negative || a.magnitude != b.magnitude ||
      !(a.number == b.number || (a.number != a.number && b.number != b.number)) ||
      a.items.size() != b.items.size() || a.members.size() != b.members.size())
    return false;
  for (size_t i = 0; i < a.items.size(); ++i)
    if (!same(a.items[i], b.items[i])) return false;
  for (size_t i = 0; i < a.members.size(); ++i)
    if (a.members[i].key != b.members[i].key || a.members[i].key_pos != b.members[i].key_pos ||
        !same(a.members[i].value, b.members[i].value))
      return false;
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  namespace scan = confine::k8s::scan;
  confine::k8s::yaml::Limits lim;
  lim.max_bytes = 1 << 16;
  lim.max_depth = 32;
  lim.max_nodes = 5000;
  lim.max_documents = 50;
  auto got = scan::yaml_documents_limited(text, "fuzz.yaml", lim);
  auto want = scan::yaml_documents_reference(text, "fuzz.yaml", lim);
  if (got.ok() != want.ok()) __builtin_trap();
  if (!got.ok()) {
    if (got.error().message() != want.error().message()) __builtin_trap();
    return 0;
  }
  if (got->size() != want->size()) __builtin_trap();
  for (size_t i = 0; i < got->size(); ++i)
    if ((*got)[i].file != (*want)[i].file || !same((*got)[i].root, (*want)[i].root)) __builtin_trap();
  return 0;
}
