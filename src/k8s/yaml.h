// A YAML layer for Kubernetes manifests (docs/kubernetes.md "YAML"): libyaml's parser
// (Debian libyaml-dev) builds a tree in which every node keeps where it is in the text
// (byte offsets, 1-based line:col), so a patch is a set of textual edits at those places
// and everything it does not touch is kept byte for byte (comments, order, quoting), and a
// scanner can name the line of every finding.
//
// Hostile input: aliases are never expanded (an alias is a node naming its anchor: no
// "billion laughs"), nesting, node count, document count and input size are bounded, and
// duplicate mapping keys are errors (Kubernetes rejects them; two readers must not see
// two different objects). Every error is "file:line:col: what".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace confine::k8s::yaml {

struct Mark {
  size_t offset = 0;  // bytes from the start of the text
  uint32_t line = 0;  // 1-based
  uint32_t col = 0;   // 1-based, in characters
};

enum class Kind { Scalar, Sequence, Mapping, Alias };

struct Node {
  Kind kind = Kind::Scalar;
  std::string tag;         // as resolved by libyaml ("" when none was written)
  std::string anchor;      // the anchor this node defines, or (Alias) the one it names
  std::string value;       // Scalar: the value
  bool plain = false;      // Scalar: plain (unquoted, not a block scalar)
  bool flow = false;       // Sequence/Mapping: flow style ([..] / {..})
  Mark start, end;         // libyaml's marks (a block collection ends where the next token starts)
  size_t content_end = 0;  // offset just after the node's last character of its own
  // Sequence: the items. Mapping: key, value, key, value, ...
  std::vector<Node> items;

  bool is_map() const { return kind == Kind::Mapping; }
  bool is_seq() const { return kind == Kind::Sequence; }
  bool is_scalar() const { return kind == Kind::Scalar; }
  size_t pairs() const { return is_map() ? items.size() / 2 : 0; }
  const Node& key(size_t i) const { return items[2 * i]; }
  const Node& val(size_t i) const { return items[2 * i + 1]; }
  // The value of the scalar key `k` in a mapping, or null.
  const Node* get(std::string_view k) const;
  // The value as text when this is a scalar, "" otherwise.
  const std::string& str() const;
};

struct Document {
  Node root;  // a null scalar for an empty document
  Mark start, end;
  bool empty = false;        // nothing but comments / directives
  bool has_anchors = false;  // some node defines an anchor or is an alias or a merge key "<<"
};

struct Limits {
  size_t max_bytes = 64u << 20;
  unsigned max_depth = 100;
  size_t max_nodes = 1'000'000;  // ~150 bytes each
  size_t max_documents = 100'000;
};

// Parses a stream of documents ("---"-separated). UTF-8 only.
Result<std::vector<Document>> parse(std::string_view text, std::string_view file, const Limits& lim = {});

inline SourcePos pos(std::string_view file, const Mark& m) { return {std::string(file), m.line, m.col}; }

}  // namespace confine::k8s::yaml
