// libFuzzer target: apparmor::Glob (the evaluator's glob compiler/matcher)
// never crashes or hangs, and agrees with an independent oracle: the same
// pattern translated to a std::regex the way apparmor_parser's
// convert_aaregex_to_pcre translates it (`*` -> [^/]*, `**` -> .*, `?` -> [^/],
// one required non-'/' character for a `*`/`**` right after '/' that ends a
// component or the pattern; duplicate slashes collapsed first).
// Input: PATTERN '\n' PATH. Patterns with classes/alternations only run the
// no-crash part (the oracle does not translate them).
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "apparmor/eval.h"

namespace {

// nullopt when the oracle does not handle the pattern.
std::optional<std::string> to_regex(std::string_view pat) {
  std::string p;
  for (char c : pat)
    if (!(c == '/' && !p.empty() && p.back() == '/')) p += c;
  std::string re;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '[' || c == ']' || c == '{' || c == '}') return std::nullopt;
    if (c == '\\') {
      if (i + 1 >= p.size()) return std::nullopt;
      c = p[++i];
      if (c == '[' || c == ']' || c == '{' || c == '}' || c == '\n' || c == '\0') return std::nullopt;
      if (std::string_view(".^$|()+*?\\/").find(c) != std::string_view::npos) re += '\\';
      re += c;
      continue;
    }
    if (c == '*') {
      size_t j = i;
      while (j < p.size() && p[j] == '*') ++j;
      if (!re.empty() && re.back() == '/' && (j == p.size() || p[j] == '/')) re += "[^/]";
      if (i + 1 < p.size() && p[i + 1] == '*') {
        re += "[\\s\\S]*";
        ++i;
      } else {
        re += "[^/]*";
      }
      continue;
    }
    if (c == '?') {
      re += "[^/]";
      continue;
    }
    if (std::string_view(".^$|()+").find(c) != std::string_view::npos) re += '\\';
    if (c == '\n' || c == '\0') return std::nullopt;
    re += c;
  }
  return re;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using confine::apparmor::Glob;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view pat = in.substr(0, nl);
  std::string_view path = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  if (pat.size() > 64 || path.size() > 128) return 0;
  auto g = Glob::compile(pat);
  if (!g.ok()) {
    if (g.error().message().empty()) std::abort();
    return 0;
  }
  bool got = g->match(path);
  size_t stars = 0;
  for (char c : pat) stars += c == '*';
  if (stars > 8 || path.find('\0') != std::string_view::npos || path.find('\n') != std::string_view::npos)
    return 0;  // keep the backtracking oracle fast; NUL/newline never occur in paths
  auto re = to_regex(pat);
  if (!re) return 0;
  bool want = std::regex_match(std::string(path), std::regex(*re, std::regex::ECMAScript));
  if (got != want) std::abort();
  return 0;
}
