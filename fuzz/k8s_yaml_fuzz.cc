// libFuzzer target: the YAML layer (src/k8s/yaml.h) under small limits, and `k8s patch`
// over whatever parses. Invariants: every node's marks lie inside the text; a patch whose
// profile matches no container changes nothing; patching never crashes or hangs, and what
// it returns parses (patch_manifest re-parses its output and fails otherwise).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "k8s/patch.h"
#include "k8s/yaml.h"

namespace {
using confine::k8s::yaml::Node;

void check(const Node& n, size_t size, unsigned depth) {
  if (n.start.offset > size || n.content_end > size || n.end.offset > size) __builtin_trap();
  if (n.start.offset > n.content_end && n.kind != confine::k8s::yaml::Kind::Mapping &&
      n.kind != confine::k8s::yaml::Kind::Sequence)
    __builtin_trap();
  if (n.is_map() && n.items.size() % 2) __builtin_trap();
  if (depth > 40) __builtin_trap();  // the limit below is 32
  for (const auto& c : n.items) check(c, size, depth + 1);
}

confine::k8s::PatchProfile profile(const std::string& container) {
  confine::k8s::PatchProfile p;
  p.container = container;
  p.files.name = "web";
  p.files.mode = "enforce";
  p.files.hash = "0123456789ab";
  p.files.apparmor = "profile confine-web-0123456789ab {}";
  confine::behavior::Behavior b;
  b.binds.insert("0.0.0.0:80");
  b.files["/tmp/x"] = confine::behavior::kWrite | confine::behavior::kCreate;
  b.files["/var/lib/app/db"] = confine::behavior::kRead | confine::behavior::kWrite;
  p.behavior = b;
  return p;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  confine::k8s::yaml::Limits lim;
  lim.max_bytes = 1 << 16;
  lim.max_depth = 32;
  lim.max_nodes = 5000;
  lim.max_documents = 50;
  auto docs = confine::k8s::yaml::parse(text, "fuzz.yaml", lim);
  if (!docs.ok()) return 0;
  for (const auto& d : *docs) check(d.root, size, 0);
  {
    confine::k8s::PatchOptions o;
    o.profiles.push_back(profile("no-such-container-name"));
    auto r = confine::k8s::patch_manifest(text, "fuzz.yaml", o);
    if (r.ok() && r->text != text) __builtin_trap();
  }
  for (unsigned minor : {29u, 30u}) {
    confine::k8s::PatchOptions o;
    o.k8s_minor = minor;
    o.runtime_class = "confine-rc";
    o.profiles.push_back(profile("web"));
    auto r = confine::k8s::patch_manifest(text, "fuzz.yaml", o);
    // Overlapping edits or an output that does not parse are bugs, not input errors.
    if (!r.ok() && r.error().message().find("internal:") != std::string::npos) __builtin_trap();
  }
  return 0;
}
