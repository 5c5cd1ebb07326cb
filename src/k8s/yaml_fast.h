// A fast reader for the common subset of YAML manifests (block style as kubectl, PyYAML, Helm and
// people write them) straight to json::Value, for `confine k8s scan` (docs/kubernetes.md "YAML").
//
// It either reads the whole text exactly as libyaml would (same values, same line:col of every value
// and key) or declines, and the caller reads the text with libyaml (src/k8s/scan.cc): it never
// reports an error of its own and never accepts what libyaml refuses. Declined: any byte that is not
// printable ASCII, a newline or nothing else (tabs, CR, UTF-8, NUL); directives, "...", anything after
// "---" on its line; anchors, aliases, tags, merge keys, complex keys, flow collections other than []
// and {}, block scalars (| >), double-quoted scalars with escapes other than \\ \" \n \t or over
// several lines, plain scalars over several lines with an empty line or an indicator in them, a root
// scalar, duplicate keys, and anything near the depth, node or document limits. The differential unit
// test and fuzz/k8s_scan_yaml_fuzz.cc check "the same as libyaml, or declined" on every input.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"
#include "k8s/yaml.h"

namespace confine::k8s::yaml {

// Scalar resolution (tag "" here, the text moved in, plain or quoted, its position): the scanner's.
using ResolveScalar = json::Value (*)(std::string_view tag, std::string&& text, bool plain,
                                      const SourcePos& at);

// The non-empty documents of the stream, or nullopt when the text is outside the subset.
std::optional<std::vector<json::Value>> read_block_subset(std::string_view text, const Limits& lim,
                                                          ResolveScalar resolve);

}  // namespace confine::k8s::yaml
