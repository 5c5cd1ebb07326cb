// libFuzzer target: the bundle writer's input side (src/k8s/writer.h): the PROFILE_DIR argument
// parser, the seccomp/AppArmor conversions of arbitrary profile text, and the YAML emitter.
// Invariants: a prepared profile's hash is what the agent recomputes; an emitted string
// scalar holds no raw line break or non-printable byte.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "json/json.h"
#include "k8s/bundle.h"
#include "k8s/writer.h"

using namespace confine::k8s;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  // Layout: ARG \0 SECCOMP \0 APPARMOR (missing parts are empty).
  size_t a = in.find('\0');
  std::string arg = in.substr(0, a);
  std::string sc = a == std::string::npos ? "" : in.substr(a + 1);
  std::string aa;
  if (size_t b = sc.find('\0'); b != std::string::npos) {
    aa = sc.substr(b + 1);
    sc.resize(b);
  }
  if (auto p = parse_profile_arg(arg, "enforce"); p.ok()) {
    if (!valid_profile_name(p->name)) __builtin_trap();
  }
  for (const char* mode : {"enforce", "complain"}) {
    auto p = prepare_profile("fuzz", mode, sc, aa.empty() ? nullptr : &aa, nullptr, "d");
    if (!p.ok()) continue;
    const ProfileEntry& e = p->entry;
    std::string norm;
    if (e.apparmor) norm = normalise_apparmor(p->files[1].second, e.hash);
    if (profile_hash(mode, p->files[0].second, e.apparmor ? &norm : nullptr, nullptr) != e.hash)
      __builtin_trap();
    if (!oci_form_problem(p->files[0].second).empty()) __builtin_trap();
  }
  confine::json::Value v = confine::json::Value::make_object();
  v.add(arg, confine::json::Value::make_string(sc));
  if (auto y = to_yaml(v); y.ok()) {
    for (size_t i = 0; i < y->size(); ++i) {
      unsigned char c = static_cast<unsigned char>((*y)[i]);
      if (c < 0x20 && c != '\n') __builtin_trap();
      if (c == 0x7f) __builtin_trap();
    }
  }
  return 0;
}
