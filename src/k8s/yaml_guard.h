// For the readers that drive libyaml directly (k8s/yaml.cc's tree, k8s/scan.cc's
// events-to-JSON): the checks both make before parsing, owners of libyaml's parser and event
// (deleted on scope exit), the table that turns libyaml's marks into confine's positions, and
// libyaml's syntax error in those terms. Internal: includes <yaml.h>.
#pragma once

#include <yaml.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "k8s/yaml.h"

namespace confine::k8s::yaml {

// A string of libyaml's ("" for none).
inline std::string_view cview(const yaml_char_t* s) {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}

// The size limit, and no NUL byte: libyaml would read UTF-16 too; manifests and rules files
// are UTF-8, where a NUL byte is never valid.
inline Status check_input(std::string_view text, const Limits& lim, const std::string& file) {
  if (text.size() > lim.max_bytes)
    return Error::at({file, 0, 0}, "YAML input of " + std::to_string(text.size()) +
                                       " bytes is larger than the limit of " + std::to_string(lim.max_bytes));
  if (size_t at = text.find('\0'); at != std::string_view::npos) {
    uint32_t line = 1 + static_cast<uint32_t>(std::count(text.begin(), text.begin() + at, '\n'));
    return Error::at({file, line, 0}, "NUL byte in the YAML text (UTF-8 only)");
  }
  return ok();
}

struct ParserGuard {
  yaml_parser_t p;
  bool init = false;
  ~ParserGuard() {
    if (init) yaml_parser_delete(&p);
  }
  // A parser reading `text` as UTF-8 (which must outlive it).
  Status start(std::string_view text, const std::string& file) {
    if (!yaml_parser_initialize(&p)) return Error::at({file, 0, 0}, "libyaml: cannot initialise the parser");
    init = true;
    yaml_parser_set_input_string(&p, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    return ok();
  }
};

// Where a libyaml mark is, in the terms every other confine message uses: a byte offset, a
// line counted by '\n' only and a column in characters. libyaml counts its index in
// characters (the text is UTF-8, so non-ASCII input needs a character -> byte table) and
// also breaks lines at a lone '\r', U+0085, U+2028 and U+2029; its line numbers would then
// not be the ones an editor, sed or grep -n shows (and could lie past the last '\n' line).
class Positions {
 public:
  explicit Positions(std::string_view t) : size_(t.size()) {
    starts_.push_back(0);
    for (size_t i = 0; i < t.size(); ++i)
      if (t[i] == '\n') starts_.push_back(i + 1);
    if (std::all_of(t.begin(), t.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) return;
    for (size_t i = 0; i < t.size(); ++i)
      if ((static_cast<unsigned char>(t[i]) & 0xC0) != 0x80) byte_.push_back(i);
    byte_.push_back(t.size());
  }
  // Byte offset of a character index.
  size_t offset(size_t index) const {
    if (byte_.empty()) return std::min(index, size_);
    return index < byte_.size() ? byte_[index] : size_;
  }
  Mark mark(const yaml_mark_t& m) const {
    size_t b = offset(m.index);
    // Marks come mostly in order: try the line of the last one before a binary search.
    size_t l = last_;
    if (!(starts_[l] <= b && (l + 1 == starts_.size() || b < starts_[l + 1])))
      l = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), b) - starts_.begin()) - 1;
    last_ = l;
    size_t col = b - starts_[l];
    if (!byte_.empty())  // characters, not bytes: char index of b minus that of the line start
      col = static_cast<size_t>(std::lower_bound(byte_.begin(), byte_.end(), b) -
                                std::lower_bound(byte_.begin(), byte_.end(), starts_[l]));
    return Mark{b, static_cast<uint32_t>(l + 1), static_cast<uint32_t>(col + 1)};
  }

 private:
  size_t size_;
  std::vector<size_t> starts_;  // byte offset of each line's start
  std::vector<size_t> byte_;
  mutable size_t last_ = 0;
};

// libyaml's syntax error (after yaml_parser_parse failed): its problem, at its mark, and its
// context's line.
inline Error parse_error(const yaml_parser_t& p, const Positions& at, const std::string& file) {
  auto text = [](const char* s) { return std::string(s ? s : ""); };
  std::string msg = "invalid YAML: " + text(p.problem);
  if (p.context)
    msg += " (" + text(p.context) + " at line " + std::to_string(at.mark(p.context_mark).line) + ")";
  Mark m = at.mark(p.problem_mark);
  return Error::at({file, m.line, m.col}, std::move(msg));
}

struct EventGuard {
  yaml_event_t e;
  bool set = false;
  ~EventGuard() {
    if (set) yaml_event_delete(&e);
  }
};

}  // namespace confine::k8s::yaml
