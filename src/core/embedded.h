// Data files compiled into the binary at build time (tools/embed.cmake makes
// gen/embedded_files.inc from them), so no lookup depends on where the
// binary sits:
//   "profiles/runtime-default.json"  the default seccomp profile (`runtime-default`)
//   "examples/sample-workload.sh"    the workload `confine harden` hardens by default
//   "rules/confine_rules.yaml"       the stock rules of `confine watch`
#pragma once

#include <optional>
#include <string_view>

namespace confine {

// The bytes of a bundled file by its source-tree path; nullopt if not bundled.
std::optional<std::string_view> embedded_file(std::string_view name);

}  // namespace confine
