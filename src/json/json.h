// A small JSON DOM that keeps the source position of every value and key,
// so semantic errors can say file:line:col. Strict RFC 8259 parsing with
// limits (depth, size); exact 64-bit integers; canonical writer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace confine::json {

enum class Type : uint8_t { Null, Bool, Number, String, Array, Object };
std::string_view type_name(Type t);  // "null", "boolean", "number", "string", "array", "object"

struct Member;

struct Value {
  Type type = Type::Null;
  SourcePos pos;  // position of the value's first character

  bool boolean = false;
  // Numbers: `text` keeps the literal; integer values are exact.
  std::string text;         // string contents (decoded) or number literal
  bool is_integer = false;  // literal had no fraction/exponent and fits in int64/uint64
  bool negative = false;
  uint64_t magnitude = 0;  // |value| when is_integer
  double number = 0;       // always set for numbers

  std::vector<Value> items;     // Array
  std::vector<Member> members;  // Object, in source order (duplicates kept; see find)

  bool is(Type t) const { return type == t; }
  // Object lookup (last duplicate wins, as encoding/json does); nullptr if absent or not an object.
  const Value* find(std::string_view key) const;
  const Member* find_member(std::string_view key) const;
  std::optional<uint64_t> as_u64() const;  // non-negative integer
  std::optional<int64_t> as_i64() const;

  static Value make_null();
  static Value make_bool(bool b);
  static Value make_string(std::string s);
  static Value make_u64(uint64_t v);
  static Value make_i64(int64_t v);
  static Value make_double(double d);
  static Value make_array();
  static Value make_object();
  Value& add(std::string key, Value v);  // Object: append member, returns the value
  Value& push(Value v);                  // Array: append, returns the value
};

struct Member {
  std::string key;
  SourcePos key_pos;
  Value value;
};

struct ParseLimits {
  size_t max_bytes = 64u << 20;  // 64 MiB
  uint32_t max_depth = 128;
  size_t max_values = 1u << 20;  // values + keys; bounds memory (~200 bytes per value)
};

// Parses a whole document. `file` is used in positions and messages.
// Columns count Unicode code points (1-based). Errors read
// "file:3:17: expected ',' or '}' after object member".
Result<Value> parse(std::string_view text, std::string_view file = {}, ParseLimits limits = {});
// Reads and parses a file ("-" = stdin).
Result<Value> parse_file(const std::string& path, ParseLimits limits = {});

struct WriteOptions {
  int indent = 2;  // 0 = compact single line
  bool sort_keys = false;
  // Arrays whose elements are all scalars are written on one line when they fit.
  size_t inline_width = 100;
};
std::string write(const Value& v, const WriteOptions& opts = {});
std::string quote(std::string_view s);  // JSON string literal (invalid UTF-8 -> U+FFFD)

// Structural equality (ignores positions; numbers compare by exact integer or by value).
bool equal(const Value& a, const Value& b);

}  // namespace confine::json
