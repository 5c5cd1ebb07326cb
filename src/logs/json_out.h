// A tiny streaming JSON writer for report output (-o json) of logs/inspect.
// Output only; strings that are not valid UTF-8 have their bad bytes written
// as \u00XX so the document stays valid JSON.
//   JsonOut j;  j.begin_object(); j.key("a"); j.value(1); j.end_object();  j.str()
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace confine::logs {

class JsonOut {
 public:
  explicit JsonOut(int indent = 2) : indent_(indent) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  void key(std::string_view k) {
    comma();
    newline();
    quote(k);
    out_ += indent_ ? ": " : ":";
    after_key_ = true;
  }
  void value(std::string_view s) {
    pre_value();
    quote(s);
  }
  void value(const char* s) { value(std::string_view(s)); }
  void value(const std::string& s) { value(std::string_view(s)); }
  void value(bool b) {
    pre_value();
    out_ += b ? "true" : "false";
  }
  void value(int64_t v) {
    pre_value();
    out_ += std::to_string(v);
  }
  void value(uint64_t v) {
    pre_value();
    out_ += std::to_string(v);
  }
  void value(int v) { value(static_cast<int64_t>(v)); }
  void value(unsigned v) { value(static_cast<uint64_t>(v)); }
  void null() {
    pre_value();
    out_ += "null";
  }
  template <class T>
  void kv(std::string_view k, const T& v) {
    key(k);
    value(v);
  }
  const std::string& str() const { return out_; }

  static std::string escape(std::string_view s) {
    std::string o;
    JsonOut j;
    j.quote(s);
    return j.out_;
  }

 private:
  void open(char c) {
    pre_value();
    out_.push_back(c);
    stack_.push_back(true);  // first element pending
  }
  void close(char c) {
    bool empty = stack_.back();
    stack_.pop_back();
    if (!empty) newline();
    out_.push_back(c);
    if (stack_.empty() && indent_) out_.push_back('\n');
  }
  void comma() {
    if (stack_.empty()) return;
    if (!stack_.back()) out_.push_back(',');
    stack_.back() = false;
  }
  void pre_value() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!stack_.empty()) {
      comma();
      newline();
    }
  }
  void newline() {
    if (!indent_) return;
    out_.push_back('\n');
    out_.append(stack_.size() * static_cast<size_t>(indent_), ' ');
  }
  void quote(std::string_view s) {
    static const char* hex = "0123456789abcdef";
    out_.push_back('"');
    for (size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '"')
        out_ += "\\\"";
      else if (c == '\\')
        out_ += "\\\\";
      else if (c == '\n')
        out_ += "\\n";
      else if (c == '\t')
        out_ += "\\t";
      else if (c == '\r')
        out_ += "\\r";
      else if (c < 0x20 || c == 0x7f) {
        out_ += "\\u00";
        out_.push_back(hex[c >> 4]);
        out_.push_back(hex[c & 15]);
      } else if (c < 0x80) {
        out_.push_back(static_cast<char>(c));
      } else {
        size_t len = utf8_len(s, i);
        if (len == 0) {
          out_ += "\\u00";
          out_.push_back(hex[c >> 4]);
          out_.push_back(hex[c & 15]);
        } else {
          out_.append(s.substr(i, len));
          i += len - 1;
        }
      }
    }
    out_.push_back('"');
  }
  // Length of a valid UTF-8 sequence at s[i], 0 if invalid.
  static size_t utf8_len(std::string_view s, size_t i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (c >= 0xF5) len = 0;
    if (len == 0 || i + len > s.size()) return 0;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    return len;
  }

  int indent_;
  std::string out_;
  std::vector<bool> stack_;
  bool after_key_ = false;
};

}  // namespace confine::logs
