// For the readers that drive libyaml directly (k8s/yaml.cc's tree, k8s/scan.cc's
// events-to-JSON): owners of libyaml's parser and event (deleted on scope exit), and the
// table that turns libyaml's marks into confine's positions. Internal: includes <yaml.h>.
#pragma once

#include <yaml.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include "k8s/yaml.h"

namespace confine::k8s::yaml {

struct ParserGuard {
  yaml_parser_t p;
  bool init = false;
  ~ParserGuard() {
    if (init) yaml_parser_delete(&p);
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

struct EventGuard {
  yaml_event_t e;
  bool set = false;
  ~EventGuard() {
    if (set) yaml_event_delete(&e);
  }
};

}  // namespace confine::k8s::yaml
