// Strict RFC 8259 parser (recursive descent with a depth cap, so hostile input
// gives an error instead of a stack overflow) and a canonical writer.
#include "json/json.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/file.h"

namespace confine::json {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::Null: return "null";
    case Type::Bool: return "boolean";
    case Type::Number: return "number";
    case Type::String: return "string";
    case Type::Array: return "array";
    case Type::Object: return "object";
  }
  return "?";
}

const Member* Value::find_member(std::string_view key) const {
  if (type != Type::Object) return nullptr;
  for (auto it = members.rbegin(); it != members.rend(); ++it)
    if (it->key == key) return &*it;
  return nullptr;
}

const Value* Value::find(std::string_view key) const {
  const Member* m = find_member(key);
  return m ? &m->value : nullptr;
}

std::optional<uint64_t> Value::as_u64() const {
  if (type != Type::Number || !is_integer) return std::nullopt;
  if (negative) {
    if (magnitude == 0) return 0;
    return std::nullopt;
  }
  return magnitude;
}

std::optional<int64_t> Value::as_i64() const {
  if (type != Type::Number || !is_integer) return std::nullopt;
  if (negative) {
    if (magnitude > (uint64_t{1} << 63)) return std::nullopt;
    if (magnitude == (uint64_t{1} << 63)) return INT64_MIN;
    return -static_cast<int64_t>(magnitude);
  }
  if (magnitude > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(magnitude);
}

Value Value::make_null() { return Value{}; }
Value Value::make_bool(bool b) {
  Value v;
  v.type = Type::Bool;
  v.boolean = b;
  return v;
}
Value Value::make_string(std::string s) {
  Value v;
  v.type = Type::String;
  v.text = std::move(s);
  return v;
}
Value Value::make_u64(uint64_t x) {
  Value v;
  v.type = Type::Number;
  v.is_integer = true;
  v.magnitude = x;
  v.number = static_cast<double>(x);
  v.text = std::to_string(x);
  return v;
}
Value Value::make_i64(int64_t x) {
  Value v;
  v.type = Type::Number;
  v.is_integer = true;
  v.negative = x < 0;
  v.magnitude = x < 0 ? uint64_t{0} - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
  v.number = static_cast<double>(x);
  v.text = std::to_string(x);
  return v;
}
Value Value::make_double(double d) {
  Value v;
  v.type = Type::Number;
  if (!std::isfinite(d)) d = 0;  // JSON has no NaN/Inf
  v.number = d;
  v.negative = std::signbit(d);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  v.text.assign(buf, r.ptr);
  return v;
}
Value Value::make_array() {
  Value v;
  v.type = Type::Array;
  return v;
}
Value Value::make_object() {
  Value v;
  v.type = Type::Object;
  return v;
}
Value& Value::add(std::string key, Value v) {
  assert(type == Type::Object);
  members.push_back(Member{std::move(key), {}, std::move(v)});
  return members.back().value;
}
Value& Value::push(Value v) {
  assert(type == Type::Array);
  items.push_back(std::move(v));
  return items.back();
}

// ---------------------------------------------------------------- parser

namespace {

class Parser {
 public:
  Parser(std::string_view text, std::string_view file, const ParseLimits& limits)
      : s_(text), file_(file), limits_(limits) {}

  Result<Value> run() {
    if (s_.size() > limits_.max_bytes)
      return Error::at({file_, 1, 1}, "document too large (" + std::to_string(s_.size()) + " bytes, limit " +
                                          std::to_string(limits_.max_bytes) + ")");
    // A UTF-8 byte order mark is not JSON (RFC 8259 §8.1: must not add one); say so clearly.
    if (s_.starts_with("\xEF\xBB\xBF"))
      return err_here("unexpected byte order mark (JSON must not start with a BOM)");
    skip_ws();
    if (i_ >= s_.size()) return err_here("empty document: expected a JSON value");
    Value v;
    CONFINE_CHECK(parse_value(v, 0));
    skip_ws();
    if (i_ < s_.size())
      return err_here("unexpected " + describe_here() + " after the JSON value (trailing garbage)");
    return v;
  }

 private:
  std::string_view s_;
  std::string file_;
  ParseLimits limits_;
  size_t i_ = 0;
  size_t values_ = 0;
  // Per depth, the members or items of the object or array being read there: reused, so that every
  // value's vector is allocated once at its exact size (no doubling and moving as it grows).
  std::vector<std::vector<Member>> members_;
  std::vector<std::vector<Value>> items_;
  template <typename T>
  static void take(std::vector<T>& scratch, std::vector<T>& to) {
    to.reserve(scratch.size());
    for (auto& x : scratch) to.push_back(std::move(x));
    scratch.clear();
  }
  // Position cache: line number, byte offset and column of a point on the current line.
  uint32_t line_ = 1;
  size_t line_start_ = 0;
  size_t col_off_ = 0;
  uint32_t col_ = 1;

  SourcePos pos_at(size_t off) {
    // Offsets only move forward within a line (newlines are consumed by skip_ws).
    if (off < col_off_) {
      col_off_ = line_start_;
      col_ = 1;
    }
    for (size_t k = col_off_; k < off && k < s_.size(); ++k)
      if ((static_cast<unsigned char>(s_[k]) & 0xC0) != 0x80) ++col_;
    col_off_ = off;
    return SourcePos{file_, line_, col_};
  }
  SourcePos here() { return pos_at(i_); }
  Error err_here(std::string msg) { return Error::at(here(), std::move(msg)); }
  Error err_at(size_t off, std::string msg) { return Error::at(pos_at(off), std::move(msg)); }

  std::string describe_here() {
    if (i_ >= s_.size()) return "end of input";
    unsigned char c = static_cast<unsigned char>(s_[i_]);
    if (c >= 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    char buf[16];
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
    return buf;
  }

  void skip_ws() {
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (c == ' ' || c == '\t' || c == '\r') {
        ++i_;
      } else if (c == '\n') {
        ++i_;
        ++line_;
        line_start_ = col_off_ = i_;
        col_ = 1;
      } else {
        break;
      }
    }
  }

  Status count_value() {
    if (++values_ > limits_.max_values)
      return err_here("too many values (limit " + std::to_string(limits_.max_values) + ")");
    return ok();
  }

  Status parse_value(Value& out, uint32_t depth) {
    CONFINE_CHECK(count_value());
    out.pos = here();
    if (i_ >= s_.size()) return err_here("unexpected end of input: expected a JSON value");
    char c = s_[i_];
    switch (c) {
      case '{': return parse_object(out, depth + 1);
      case '[': return parse_array(out, depth + 1);
      case '"': out.type = Type::String; return parse_string(out.text);
      case 't': return parse_literal(out, "true", Type::Bool, true);
      case 'f': return parse_literal(out, "false", Type::Bool, false);
      case 'n': return parse_literal(out, "null", Type::Null, false);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number(out);
        if (c == '\'') return err_here("strings must use double quotes, not single quotes");
        return err_here("unexpected " + describe_here() + ": expected a JSON value");
    }
  }

  Status parse_literal(Value& out, std::string_view word, Type t, bool b) {
    if (s_.substr(i_, word.size()) != word)
      return err_here("invalid literal: expected '" + std::string(word) + "'");
    size_t end = i_ + word.size();
    if (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_'))
      return err_here("invalid literal: expected '" + std::string(word) + "'");
    i_ = end;
    out.type = t;
    out.boolean = b;
    return ok();
  }

  Status parse_object(Value& out, uint32_t depth) {
    if (depth > limits_.max_depth)
      return err_here("nesting too deep (limit " + std::to_string(limits_.max_depth) + ")");
    out.type = Type::Object;
    if (members_.size() <= depth) members_.resize(depth + 1);
    members_[depth].clear();
    ++i_;  // '{'
    skip_ws();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return ok();
    }
    for (;;) {
      skip_ws();
      if (i_ >= s_.size()) return err_here("unexpected end of input: expected '\"' to begin an object key");
      if (s_[i_] != '"') {
        if (s_[i_] == '}') return err_here("trailing comma before '}' is not allowed");
        return err_here("unexpected " + describe_here() + ": expected '\"' to begin an object key");
      }
      CONFINE_CHECK(count_value());
      // Read in place in this depth's scratch vector (deeper values use deeper ones: m stays valid).
      Member& m = members_[depth].emplace_back();
      m.key_pos = here();
      CONFINE_CHECK(parse_string(m.key));
      skip_ws();
      if (i_ >= s_.size() || s_[i_] != ':')
        return err_here("expected ':' after object key, got " + describe_here());
      ++i_;
      skip_ws();
      CONFINE_CHECK(parse_value(m.value, depth));
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        take(members_[depth], out.members);
        return ok();
      }
      return err_here("expected ',' or '}' after object member, got " + describe_here());
    }
  }

  Status parse_array(Value& out, uint32_t depth) {
    if (depth > limits_.max_depth)
      return err_here("nesting too deep (limit " + std::to_string(limits_.max_depth) + ")");
    out.type = Type::Array;
    if (items_.size() <= depth) items_.resize(depth + 1);
    items_[depth].clear();
    ++i_;  // '['
    skip_ws();
    if (i_ < s_.size() && s_[i_] == ']') {
      ++i_;
      return ok();
    }
    for (;;) {
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ']') return err_here("trailing comma before ']' is not allowed");
      CONFINE_CHECK(parse_value(items_[depth].emplace_back(), depth));
      skip_ws();
      if (i_ < s_.size() && s_[i_] == ',') {
        ++i_;
        continue;
      }
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        take(items_[depth], out.items);
        return ok();
      }
      return err_here("expected ',' or ']' after array element, got " + describe_here());
    }
  }

  static void put_utf8(std::string& o, uint32_t cp) {
    if (cp < 0x80) {
      o += static_cast<char>(cp);
    } else if (cp < 0x800) {
      o += static_cast<char>(0xC0 | (cp >> 6));
      o += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      o += static_cast<char>(0xE0 | (cp >> 12));
      o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      o += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      o += static_cast<char>(0xF0 | (cp >> 18));
      o += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      o += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      o += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::optional<uint32_t> hex4(size_t at) const {
    if (at + 4 > s_.size()) return std::nullopt;
    uint32_t v = 0;
    for (size_t k = at; k < at + 4; ++k) {
      char c = s_[k];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return std::nullopt;
    }
    return v;
  }

  // Length of a valid UTF-8 sequence at `at` (RFC 3629: no overlongs, no surrogates, <= U+10FFFF), 0 if
  // invalid.
  size_t utf8_len(size_t at) const {
    auto b = [&](size_t k) -> unsigned { return k < s_.size() ? static_cast<unsigned char>(s_[k]) : 0u; };
    unsigned c = b(at);
    auto cont = [&](size_t k) { return (b(k) & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) return cont(at + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
      unsigned c1 = b(at + 1);
      if (c == 0xE0 && c1 < 0xA0) return 0;
      if (c == 0xED && c1 >= 0xA0) return 0;  // surrogates
      return cont(at + 1) && cont(at + 2) ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
      unsigned c1 = b(at + 1);
      if (c == 0xF0 && c1 < 0x90) return 0;
      if (c == 0xF4 && c1 >= 0x90) return 0;
      return cont(at + 1) && cont(at + 2) && cont(at + 3) ? 4 : 0;
    }
    return 0;
  }

  Status parse_string(std::string& out) {
    ++i_;  // opening quote
    for (;;) {
      // Fast path: copy a run of plain characters.
      size_t start = i_;
      while (i_ < s_.size()) {
        unsigned char c = static_cast<unsigned char>(s_[i_]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++i_;
      }
      out.append(s_.data() + start, i_ - start);
      if (i_ >= s_.size()) return err_here("unexpected end of input inside a string (missing closing '\"')");
      unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return ok();
      }
      if (c < 0x20) {
        if (c == '\n') return err_here("unterminated string (raw newline; write \\n inside strings)");
        char buf[64];
        std::snprintf(buf, sizeof buf, "raw control character 0x%02X in string (escape it as \\u%04X)", c, c);
        return err_here(buf);
      }
      if (c >= 0x80) {
        size_t n = utf8_len(i_);
        if (n == 0) return err_here("invalid UTF-8 in string");
        out.append(s_.data() + i_, n);
        i_ += n;
        continue;
      }
      // Escape.
      size_t esc = i_;
      if (i_ + 1 >= s_.size()) return err_here("unexpected end of input in string escape");
      char e = s_[i_ + 1];
      i_ += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          auto cp = hex4(i_);
          if (!cp) return err_at(esc, "invalid \\u escape: expected 4 hex digits");
          i_ += 4;
          uint32_t code = *cp;
          if (code >= 0xDC00 && code <= 0xDFFF)
            return err_at(esc, "invalid \\u escape: unpaired low surrogate");
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u') {
              auto lo = hex4(i_ + 2);
              if (!lo) return err_at(i_, "invalid \\u escape: expected 4 hex digits");
              if (*lo < 0xDC00 || *lo > 0xDFFF)
                return err_at(esc, "invalid \\u escape: high surrogate not followed by a low surrogate");
              code = 0x10000 + ((code - 0xD800) << 10) + (*lo - 0xDC00);
              i_ += 6;
            } else {
              return err_at(esc, "invalid \\u escape: unpaired high surrogate");
            }
          }
          put_utf8(out, code);
          break;
        }
        default: {
          std::string what = (static_cast<unsigned char>(e) >= 0x20 && static_cast<unsigned char>(e) < 0x7F)
                                 ? std::string("\\") + e
                                 : std::string("backslash");
          return err_at(esc, "invalid escape '" + what + "' in string");
        }
      }
    }
  }

  Status parse_number(Value& out) {
    size_t start = i_;
    out.type = Type::Number;
    bool neg = false;
    if (s_[i_] == '-') {
      neg = true;
      ++i_;
    }
    auto digit = [&](size_t k) { return k < s_.size() && s_[k] >= '0' && s_[k] <= '9'; };
    if (!digit(i_)) return err_here("invalid number: expected a digit");
    if (s_[i_] == '0') {
      ++i_;
      if (digit(i_)) return err_at(start, "invalid number: leading zeros are not allowed");
    } else {
      while (digit(i_)) ++i_;
    }
    size_t int_end = i_;
    bool frac = false, exp = false;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!digit(i_)) return err_here("invalid number: expected a digit after '.'");
      while (digit(i_)) ++i_;
      frac = true;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digit(i_)) return err_here("invalid number: expected a digit in the exponent");
      while (digit(i_)) ++i_;
      exp = true;
    }
    if (i_ < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.'))
      return err_here("invalid number: unexpected " + describe_here());
    out.text.assign(s_.substr(start, i_ - start));
    out.negative = neg;
    if (!frac && !exp) {
      std::string_view digits = s_.substr(neg ? start + 1 : start, int_end - (neg ? start + 1 : start));
      uint64_t m = 0;
      auto r = std::from_chars(digits.data(), digits.data() + digits.size(), m);
      if (r.ec == std::errc() && r.ptr == digits.data() + digits.size() &&
          (!neg || m <= (uint64_t{1} << 63))) {
        out.is_integer = true;
        out.magnitude = m;
      }
    }
    double d = 0;
    auto r = std::from_chars(out.text.data(), out.text.data() + out.text.size(), d);
    if (r.ec == std::errc::result_out_of_range) {
      // Overflow (1e400) or underflow (1e-400): keep the literal; the value saturates.
      size_t e = out.text.find_first_of("eE");
      d = e != std::string::npos && e + 1 < out.text.size() && out.text[e + 1] == '-' ? 0.0 : HUGE_VAL;
      if (neg) d = -d;
    }
    out.number = d;
    return ok();
  }
};

}  // namespace

Result<Value> parse(std::string_view text, std::string_view file, ParseLimits limits) {
  Parser p(text, file, limits);
  return p.run();
}

Result<Value> parse_file(const std::string& path, ParseLimits limits) {
  CONFINE_TRY(std::string data, file::read_file(path, limits.max_bytes));
  return parse(data, path == "-" ? "<stdin>" : path, limits);
}

// ---------------------------------------------------------------- writer

namespace {
// quote(s) appended to o: runs of characters that need no escaping are copied at once.
void append_quoted(std::string& o, std::string_view s) {
  o += '"';
  for (size_t i = 0; i < s.size();) {
    size_t run = i;
    while (run < s.size()) {
      unsigned char r = static_cast<unsigned char>(s[run]);
      if (r < 0x20 || r >= 0x80 || r == '"' || r == '\\') break;
      ++run;
    }
    if (run > i) {
      o.append(s.data() + i, run - i);
      i = run;
      if (i >= s.size()) break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"') {
      o += "\\\"";
    } else if (c == '\\') {
      o += "\\\\";
    } else if (c < 0x20) {
      switch (c) {
        case '\b': o += "\\b"; break;
        case '\f': o += "\\f"; break;
        case '\n': o += "\\n"; break;
        case '\r': o += "\\r"; break;
        case '\t': o += "\\t"; break;
        default: {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          o += buf;
        }
      }
    } else if (c < 0x80) {
      o += static_cast<char>(c);
    } else {
      // Validate UTF-8; replace invalid bytes with U+FFFD so the output is always valid JSON.
      size_t n = 0;
      auto b = [&](size_t k) -> unsigned { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
      auto cont = [&](size_t k) { return (b(k) & 0xC0) == 0x80; };
      if (c >= 0xC2 && c <= 0xDF && cont(i + 1))
        n = 2;
      else if (c >= 0xE0 && c <= 0xEF && cont(i + 1) && cont(i + 2) && !(c == 0xE0 && b(i + 1) < 0xA0) &&
               !(c == 0xED && b(i + 1) >= 0xA0))
        n = 3;
      else if (c >= 0xF0 && c <= 0xF4 && cont(i + 1) && cont(i + 2) && cont(i + 3) &&
               !(c == 0xF0 && b(i + 1) < 0x90) && !(c == 0xF4 && b(i + 1) >= 0x90))
        n = 4;
      if (n == 0) {
        o += "\xEF\xBF\xBD";
        ++i;
        continue;
      }
      o.append(s.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  o += '"';
}
}  // namespace

std::string quote(std::string_view s) {
  std::string o;
  o.reserve(s.size() + 2);
  append_quoted(o, s);
  return o;
}

namespace {

std::string number_text(const Value& v) {
  if (v.is_integer) return (v.negative ? "-" : "") + std::to_string(v.magnitude);
  // Parsed literals are kept verbatim (exact); built values were formatted by make_double.
  if (!v.text.empty()) return v.text;
  char buf[64];
  double d = std::isfinite(v.number) ? v.number : 0;
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

bool is_scalar(const Value& v) { return v.type != Type::Array && v.type != Type::Object; }

void write_scalar(std::string& o, const Value& v) {
  switch (v.type) {
    case Type::Null: o += "null"; break;
    case Type::Bool: o += v.boolean ? "true" : "false"; break;
    case Type::Number: o += number_text(v); break;
    case Type::String: append_quoted(o, v.text); break;
    default: break;
  }
}

// Iterative would be nicer, but values come from the depth-capped parser or from our own code.
void write_rec(std::string& o, const Value& v, const WriteOptions& opt, int level) {
  auto nl = [&](int lvl) {
    if (opt.indent <= 0) return;
    o += '\n';
    o.append(static_cast<size_t>(lvl * opt.indent), ' ');
  };
  if (v.type == Type::Array) {
    if (v.items.empty()) {
      o += "[]";
      return;
    }
    bool all_scalar = true;
    for (const auto& it : v.items) all_scalar = all_scalar && is_scalar(it);
    if (all_scalar && opt.indent > 0) {
      std::string line = "[";
      for (size_t k = 0; k < v.items.size(); ++k) {
        if (k) line += ", ";
        write_scalar(line, v.items[k]);
      }
      line += ']';
      if (static_cast<size_t>(level * opt.indent) + line.size() <= opt.inline_width) {
        o += line;
        return;
      }
    }
    o += '[';
    for (size_t k = 0; k < v.items.size(); ++k) {
      if (k) o += ',';
      nl(level + 1);
      write_rec(o, v.items[k], opt, level + 1);
    }
    nl(level);
    o += ']';
    return;
  }
  if (v.type == Type::Object) {
    if (v.members.empty()) {
      o += "{}";
      return;
    }
    auto member = [&](const Member& m, bool first) {
      if (!first) o += ',';
      nl(level + 1);
      append_quoted(o, m.key);
      o += opt.indent > 0 ? ": " : ":";
      write_rec(o, m.value, opt, level + 1);
    };
    o += '{';
    if (opt.sort_keys) {
      std::vector<const Member*> ms;
      ms.reserve(v.members.size());
      for (const auto& m : v.members) ms.push_back(&m);
      std::stable_sort(ms.begin(), ms.end(),
                       [](const Member* a, const Member* b) { return a->key < b->key; });
      for (size_t k = 0; k < ms.size(); ++k) member(*ms[k], k == 0);
    } else {
      for (size_t k = 0; k < v.members.size(); ++k) member(v.members[k], k == 0);
    }
    nl(level);
    o += '}';
    return;
  }
  write_scalar(o, v);
}

}  // namespace

std::string write(const Value& v, const WriteOptions& opts) {
  std::string o;
  write_rec(o, v, opts, 0);
  if (opts.indent > 0) o += '\n';
  return o;
}

bool equal(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Type::Null: return true;
    case Type::Bool: return a.boolean == b.boolean;
    case Type::String: return a.text == b.text;
    case Type::Number:
      if (a.is_integer != b.is_integer) return false;
      if (a.is_integer) return a.magnitude == b.magnitude && (a.negative == b.negative || a.magnitude == 0);
      return a.text == b.text || a.number == b.number;
    case Type::Array:
      if (a.items.size() != b.items.size()) return false;
      for (size_t k = 0; k < a.items.size(); ++k)
        if (!equal(a.items[k], b.items[k])) return false;
      return true;
    case Type::Object:
      if (a.members.size() != b.members.size()) return false;
      for (size_t k = 0; k < a.members.size(); ++k)
        if (a.members[k].key != b.members[k].key || !equal(a.members[k].value, b.members[k].value))
          return false;
      return true;
  }
  return false;
}

}  // namespace confine::json
