// Tolerant key=value splitting of audit record bodies.
#include <cctype>
#include <string>

#include "logs/logs.h"

namespace confine::logs {

namespace {

bool is_key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// Fields whose values the kernel writes with audit_log_untrustedstring(): quoted
// when printable, hex when they contain spaces, quotes or control bytes.
bool untrusted_key(std::string_view k) {
  static constexpr std::string_view kKeys[] = {
      "comm",   "exe",         "name",      "profile",   "peer",      "path",      "cwd",
      "target", "ocomm",       "srcname",   "proctitle", "peer_comm", "peer_addr", "addr",
      "label",  "new_profile", "namespace", "fstype",    "srcdev",    "dev",       "exe_path"};
  for (auto key : kKeys)
    if (key == k) return true;
  return false;
}

}  // namespace

std::optional<std::string> hex_decode(std::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return std::nullopt;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    int h = nib(s[i]), l = nib(s[i + 1]);
    if (h < 0 || l < 0) return std::nullopt;
    out.push_back(static_cast<char>(h * 16 + l));
  }
  return out;
}

bool split_fields(std::string_view body, std::vector<Field>* out, std::string* why) {
  size_t i = 0;
  const size_t n = body.size();
  while (i < n) {
    char c = body[i];
    if (c == ' ' || c == '\t' || c == '\x1d' || c == ':' || c == ',') {
      ++i;
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      if (why) *why = "control byte in record";
      return false;
    }
    // A key?
    size_t k = i;
    while (k < n && is_key_char(body[k])) ++k;
    if (k == i || k >= n || body[k] != '=') {
      // A stray word ("avc:", "denied", "{", "read", "}", "for"): skip it.
      if (body[i] == '"' || body[i] == '\'') {
        size_t close = body.find(body[i], i + 1);
        if (close == std::string_view::npos) {
          if (why) *why = "unterminated quote";
          return false;
        }
        i = close + 1;
        continue;
      }
      while (i < n && body[i] != ' ' && body[i] != '\t' && body[i] != '\x1d') ++i;
      continue;
    }
    std::string key(body.substr(i, k - i));
    size_t v = k + 1;
    std::string value;
    if (v < n && (body[v] == '"' || body[v] == '\'')) {
      char q = body[v];
      size_t close = body.find(q, v + 1);
      if (close == std::string_view::npos) {
        if (why) *why = "unterminated quote in " + key + "=";
        return false;
      }
      value = std::string(body.substr(v + 1, close - v - 1));
      i = close + 1;
    } else {
      size_t e = v;
      while (e < n && body[e] != ' ' && body[e] != '\t' && body[e] != '\x1d') ++e;
      std::string_view raw = body.substr(v, e - v);
      // audit(...) style values with a trailing ':' ("msg=audit(1.2:3):") keep their text.
      if (untrusted_key(key)) {
        if (auto dec = hex_decode(raw)) {
          value = std::move(*dec);
        } else {
          value = std::string(raw);
        }
      } else {
        value = std::string(raw);
      }
      i = e;
    }
    for (char& ch : value)
      if (ch == '\0') ch = '?';  // never let NUL bytes through into names
    out->push_back({std::move(key), std::move(value)});
  }
  return true;
}

}  // namespace confine::logs
