#include "k8s/yaml.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <unordered_set>

#include "k8s/yaml_guard.h"

namespace confine::k8s::yaml {

const Node* Node::get(std::string_view k) const {
  for (size_t i = 0; i < pairs(); ++i)
    if (key(i).is_scalar() && key(i).value == k) return &val(i);
  return nullptr;
}

const std::string& Node::str() const {
  static const std::string kEmpty;
  return is_scalar() ? value : kEmpty;
}

namespace {

struct Frame {
  Node node;
  std::unordered_set<std::string> keys;
};

std::string cstr(const yaml_char_t* s) { return std::string(cview(s)); }

}  // namespace

Result<std::vector<Document>> parse(std::string_view text, std::string_view file, const Limits& lim) {
  const std::string file_name(file);
  auto err = [&](uint32_t line, uint32_t col, std::string msg) {
    return Error::at({file_name, line, col}, std::move(msg));
  };
  CONFINE_CHECK(check_input(text, lim, file_name));
  Positions at(text);
  auto mark = [&](const yaml_mark_t& m) { return at.mark(m); };
  auto err_at = [&](const yaml_mark_t& m, std::string msg) {
    Mark k = mark(m);
    return err(k.line, k.col, std::move(msg));
  };
  ParserGuard pg;
  CONFINE_CHECK(pg.start(text, file_name));

  std::vector<Document> docs;
  std::vector<Frame> stack;
  std::optional<Node> root;
  size_t nodes = 0;

  // Attaches a finished node to its parent (or makes it the document's root).
  auto attach = [&](Node n) -> Status {
    if (++nodes > lim.max_nodes)
      return err(n.start.line, n.start.col, "more than " + std::to_string(lim.max_nodes) + " YAML nodes");
    if (!n.anchor.empty() && !docs.empty()) docs.back().has_anchors = true;
    if (stack.empty()) {
      root = std::move(n);
      return ok();
    }
    Frame& f = stack.back();
    if (f.node.is_map() && f.node.items.size() % 2 == 0) {
      if (!n.is_scalar())
        return err(n.start.line, n.start.col,
                   "a mapping key must be a scalar (Kubernetes objects have string keys)");
      if (n.plain && n.value == "<<") docs.back().has_anchors = true;
      if (!f.keys.insert(n.value).second)
        return err(n.start.line, n.start.col, "duplicate mapping key \"" + n.value + "\"");
    }
    f.node.content_end = std::max(f.node.content_end, n.content_end);
    f.node.items.push_back(std::move(n));
    return ok();
  };

  for (;;) {
    EventGuard ev;
    if (!yaml_parser_parse(&pg.p, &ev.e)) return parse_error(pg.p, at, file_name);
    ev.set = true;
    const yaml_event_t& e = ev.e;
    switch (e.type) {
      case YAML_STREAM_START_EVENT:
      case YAML_NO_EVENT: break;
      case YAML_STREAM_END_EVENT: return docs;
      case YAML_DOCUMENT_START_EVENT:
        if (docs.size() >= lim.max_documents)
          return err_at(e.start_mark, "more than " + std::to_string(lim.max_documents) + " YAML documents");
        docs.emplace_back();
        docs.back().start = mark(e.start_mark);
        root.reset();
        break;
      case YAML_DOCUMENT_END_EVENT: {
        Document& d = docs.back();
        d.end = mark(e.end_mark);
        if (root) d.root = std::move(*root);
        d.empty = d.root.is_scalar() && d.root.plain &&
                  (d.root.value.empty() || d.root.value == "~" || d.root.value == "null");
        break;
      }
      case YAML_ALIAS_EVENT: {
        Node n;
        n.kind = Kind::Alias;
        n.anchor = cstr(e.data.alias.anchor);
        n.start = mark(e.start_mark);
        n.end = mark(e.end_mark);
        n.content_end = n.end.offset;
        docs.back().has_anchors = true;
        CONFINE_CHECK(attach(std::move(n)));
        break;
      }
      case YAML_SCALAR_EVENT: {
        Node n;
        n.kind = Kind::Scalar;
        n.anchor = cstr(e.data.scalar.anchor);
        n.tag = cstr(e.data.scalar.tag);
        n.value.assign(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
        n.plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n.start = mark(e.start_mark);
        n.end = mark(e.end_mark);
        n.content_end = n.end.offset;
        CONFINE_CHECK(attach(std::move(n)));
        break;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (stack.size() >= lim.max_depth)
          return err_at(e.start_mark, "YAML nested deeper than " + std::to_string(lim.max_depth) + " levels");
        Frame f;
        bool seq = e.type == YAML_SEQUENCE_START_EVENT;
        f.node.kind = seq ? Kind::Sequence : Kind::Mapping;
        f.node.anchor = cstr(seq ? e.data.sequence_start.anchor : e.data.mapping_start.anchor);
        f.node.tag = cstr(seq ? e.data.sequence_start.tag : e.data.mapping_start.tag);
        f.node.flow = seq ? e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                          : e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
        f.node.start = mark(e.start_mark);
        f.node.content_end = f.node.start.offset;
        stack.push_back(std::move(f));
        break;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        Node n = std::move(stack.back().node);
        stack.pop_back();
        n.end = mark(e.end_mark);
        if (n.flow) n.content_end = n.end.offset;
        CONFINE_CHECK(attach(std::move(n)));
        break;
      }
    }
  }
}

}  // namespace confine::k8s::yaml
