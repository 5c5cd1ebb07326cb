#include "k8s/yaml_fast.h"

#include <memory>
#include <unordered_set>

namespace confine::k8s::yaml {

namespace {

using json::Type;
using json::Value;

// Every "return false" below declines the text (libyaml reads it instead); none is an error.
#define FAST_TRY(x)         \
  do {                      \
    if (!(x)) return false; \
  } while (0)

constexpr size_t kMaxKey = 1000;  // libyaml's simple keys end at 1024 characters

bool indicator(char c) {
  switch (c) {
    case '-':
    case '?':
    case ':':
    case ',':
    case '[':
    case ']':
    case '{':
    case '}':
    case '#':
    case '&':
    case '*':
    case '!':
    case '|':
    case '>':
    case '\'':
    case '"':
    case '%':
    case '@':
    case '`': return true;
    default: return false;
  }
}

class Reader {
 public:
  Reader(std::string_view t, const Limits& lim, ResolveScalar resolve)
      : t_(t), lim_(lim), resolve_(resolve), members_(lim.max_depth + 2), items_(lim.max_depth + 2) {}

  bool run(std::vector<Value>& out) {
    if (t_.size() > lim_.max_bytes) return false;
    unsigned bad = 0;  // printable ASCII and newlines only (a loop the compiler vectorises)
    for (char ch : t_) {
      auto c = static_cast<unsigned char>(ch);
      bad |= static_cast<unsigned>((c < 0x20 && c != '\n') | (c > 0x7e));
    }
    if (bad) return false;
    size_t docs = 0;
    bool open = false;  // a document was started by "---" (or by content before the first one)
    for (;;) {
      Ln l;
      if (!next_content(&l)) break;
      if (at_marker(l)) {
        FAST_TRY(marker_ok(l));
        if (++docs >= lim_.max_documents) return false;
        consume(l);
        open = true;
        continue;
      }
      if (!open && ++docs >= lim_.max_documents) return false;
      open = false;
      Value v;
      FAST_TRY(block(l, l.b + l.ind, 0, v));
      Ln after;
      if (next_content(&after) && !at_marker(after)) return false;  // more after the root's end
      out.push_back(std::move(v));
    }
    return true;
  }

 private:
  struct Ln {
    size_t b = 0, e = 0;  // [b, e): the line without its '\n'
    uint32_t no = 0;      // 1-based
    size_t ind = 0;       // leading spaces
  };
  std::string_view t_;
  const Limits& lim_;
  ResolveScalar resolve_;
  size_t next_ = 0;  // start of the first line not consumed yet
  uint32_t next_no_ = 1;
  size_t nodes_ = 0;
  // Per depth, the members or items of the collection being read there: reused, so that every value's
  // vector is allocated once at its exact size (no doubling, no moves, no slack: a third less memory).
  std::vector<std::vector<json::Member>> members_;
  std::vector<std::vector<Value>> items_;

  Ln line_at(size_t b, uint32_t no) const {
    Ln l;
    l.b = b;
    l.no = no;
    size_t e = t_.find('\n', b);
    l.e = e == std::string_view::npos ? t_.size() : e;
    while (l.b + l.ind < l.e && t_[l.b + l.ind] == ' ') ++l.ind;
    return l;
  }
  bool blank(const Ln& l) const { return l.b + l.ind == l.e; }
  bool comment(const Ln& l) const { return !blank(l) && t_[l.b + l.ind] == '#'; }
  // The next line that is neither blank nor a comment, from the first one not consumed.
  bool next_content(Ln* out) {
    if (cached_ && cache_from_ == next_) {  // asked again before anything was consumed
      *out = cache_;
      return true;
    }
    size_t b = next_;
    uint32_t no = next_no_;
    while (b < t_.size()) {
      Ln l = line_at(b, no);
      if (!blank(l) && !comment(l)) {
        *out = cache_ = l;
        cache_from_ = next_;
        cached_ = true;
        return true;
      }
      b = l.e + 1;
      ++no;
    }
    return false;
  }
  bool cached_ = false;
  size_t cache_from_ = 0;
  Ln cache_;
  void consume(const Ln& l) {
    next_ = l.e + 1;
    next_no_ = l.no + 1;
  }
  bool at_marker(const Ln& l) const {
    return l.ind == 0 && (t_.substr(l.b, 3) == "---" || t_.substr(l.b, 3) == "...");
  }
  bool marker_ok(const Ln& l) const { return t_.substr(l.b, l.e - l.b) == "---"; }
  SourcePos pos(const Ln& l, size_t off) const {
    return SourcePos{std::string(), l.no, static_cast<uint32_t>(off - l.b + 1)};
  }
  bool count() { return ++nodes_ < lim_.max_nodes; }
  // After a value on its line: spaces, then a comment or the end of the line.
  bool rest_empty(const Ln& l, size_t i) const {
    while (i < l.e && t_[i] == ' ') ++i;
    return i == l.e || (t_[i] == '#' && t_[i - 1] == ' ');
  }

  // A key at `i` of line l: its text, position and the offset after ':' (not consumed).
  bool key(const Ln& l, size_t i, std::string* k, bool* plain, size_t* colon) const {
    size_t j;
    if (t_[i] == '\'' || t_[i] == '"') {
      char q = t_[i];
      k->clear();
      for (j = i + 1;; ++j) {
        if (j >= l.e) return false;
        if (t_[j] == '\\' && q == '"') return false;
        if (t_[j] == q) {
          if (q == '\'' && j + 1 < l.e && t_[j + 1] == '\'') {
            *k += '\'';
            ++j;
            continue;
          }
          break;
        }
        *k += t_[j];
      }
      ++j;
      while (j < l.e && t_[j] == ' ') ++j;
      if (j >= l.e || t_[j] != ':' || (j + 1 < l.e && t_[j + 1] != ' ')) return false;
      *plain = false;
    } else {
      char c = t_[i];
      if (indicator(c) && !((c == '-' || c == '?' || c == ':') && i + 1 < l.e && t_[i + 1] != ' '))
        return false;
      for (j = i; j < l.e; ++j) {
        if (t_[j] == '#' && t_[j - 1] == ' ') return false;
        if (t_[j] == ':' && (j + 1 == l.e || t_[j + 1] == ' ')) break;
      }
      if (j >= l.e) return false;
      size_t end = j;
      while (end > i && t_[end - 1] == ' ') --end;
      k->assign(t_.substr(i, end - i));
      *plain = true;
      if (*k == "<<") return false;  // a merge key: libyaml's reader refuses it
    }
    if (j - i > kMaxKey) return false;
    *colon = j;
    return true;
  }

  // The node whose first line is l, starting at `i` (a sequence entry or a key).
  bool block(const Ln& l, size_t i, unsigned depth, Value& out) {
    if (depth + 2 >= lim_.max_depth) return false;
    if (t_[i] == '-' && (i + 1 == l.e || t_[i + 1] == ' ')) return seq(l, i - l.b, depth, out);
    std::string k;
    bool plain;
    size_t colon;
    if (!key(l, i, &k, &plain, &colon)) return false;
    return map(l, i, depth, out);
  }

  // A block mapping whose first key is at offset i of line l; its keys at that column.
  bool map(Ln l, size_t i, unsigned depth, Value& out) {
    if (depth + 2 >= lim_.max_depth) return false;  // (also keeps members_[depth] in bounds)
    const size_t col = i - l.b;
    out = Value::make_object();
    out.pos = pos(l, i);
    std::vector<json::Member>& ms = members_[depth];
    ms.clear();
    auto done = [&]() {
      out.members.reserve(ms.size());
      for (auto& m : ms) out.members.push_back(std::move(m));
      ms.clear();
      return count();
    };
    std::unique_ptr<std::unordered_set<std::string>> seen;
    for (;;) {
      std::string k;
      bool plain;
      size_t colon;
      FAST_TRY(key(l, i, &k, &plain, &colon));
      FAST_TRY(count());
      if (seen) {
        if (!seen->insert(k).second) return false;
      } else {
        for (const auto& m : ms)
          if (m.key == k) return false;  // duplicate: libyaml's reader reports it
        if (ms.size() >= 16) {
          seen = std::make_unique<std::unordered_set<std::string>>();
          for (const auto& m : ms) seen->insert(m.key);
          seen->insert(k);
        }
      }
      // Read in place (the nested values use the scratch vectors of deeper levels: m stays valid).
      json::Member& m = ms.emplace_back();
      m.key = std::move(k);
      m.key_pos = pos(l, i);
      size_t v = colon + 1;
      while (v < l.e && t_[v] == ' ') ++v;
      if (v == l.e || (t_[v] == '#' && t_[v - 1] == ' ')) {
        consume(l);
        Ln n;
        bool more = next_content(&n) && !at_marker(n);
        if (more && n.ind > col) {
          FAST_TRY(block(n, n.b + n.ind, depth + 1, m.value));
        } else if (more && n.ind == col && t_[n.b + n.ind] == '-' &&
                   (n.ind + 1 == n.e - n.b || t_[n.b + n.ind + 1] == ' ')) {
          FAST_TRY(seq(n, col, depth + 1, m.value));  // indentless, as kubectl and PyYAML write
        } else {
          FAST_TRY(count());
          m.value = resolve_("", std::string(), true, pos(l, colon + 1));
        }
      } else {
        FAST_TRY(inline_value(l, v, col, depth + 1, m.value));
      }
      Ln n;
      if (!next_content(&n) || at_marker(n) || n.ind < col) return done();
      if (n.ind > col) return false;
      l = n;
      i = n.b + n.ind;
    }
  }

  // A block sequence whose entries' '-' are at column col, the first on line l.
  bool seq(Ln l, size_t col, unsigned depth, Value& out) {
    if (depth + 2 >= lim_.max_depth) return false;
    out = Value::make_array();
    out.pos = pos(l, l.b + col);
    std::vector<Value>& is = items_[depth];
    is.clear();
    auto done = [&]() {
      out.items.reserve(is.size());
      for (auto& v : is) out.items.push_back(std::move(v));
      is.clear();
      return count();
    };
    for (;;) {
      size_t dash = l.b + col;
      Value& item = is.emplace_back();
      size_t v = dash + 1;
      while (v < l.e && t_[v] == ' ') ++v;
      if (v == l.e || (t_[v] == '#' && t_[v - 1] == ' ')) {
        consume(l);
        Ln n;
        if (next_content(&n) && !at_marker(n) && n.ind > col) {
          FAST_TRY(block(n, n.b + n.ind, depth + 1, item));
        } else {
          FAST_TRY(count());
          item = resolve_("", std::string(), true, pos(l, dash + 1));
        }
      } else if (t_[v] == '-' && (v + 1 == l.e || t_[v + 1] == ' ')) {
        return false;  // "- - x"
      } else {
        std::string k;
        bool plain;
        size_t colon;
        if (key(l, v, &k, &plain, &colon)) {
          if (depth + 2 >= lim_.max_depth) return false;
          FAST_TRY(map(l, v, depth + 1, item));  // "- name: x": a mapping at the key's column
        } else {
          FAST_TRY(inline_value(l, v, col, depth + 1, item));
        }
      }
      Ln n;
      if (!next_content(&n) || at_marker(n) || n.ind < col) return done();
      if (n.ind > col) return false;
      if (!(t_[n.b + col] == '-' && (col + 1 == n.e - n.b || t_[n.b + col + 1] == ' ')))
        return done();  // the end of an indentless sequence: its mapping goes on
      l = n;
    }
  }

  // A scalar (or [] / {}) starting at v on line l, in a block whose indicator is at column col; the
  // lines it takes are consumed.
  bool inline_value(const Ln& l, size_t v, size_t col, unsigned depth, Value& out) {
    char c = t_[v];
    FAST_TRY(count());
    if (c == '[' || c == '{') {
      if (v + 1 >= l.e || t_[v + 1] != (c == '[' ? ']' : '}') || !rest_empty(l, v + 2)) return false;
      if (depth + 1 >= lim_.max_depth) return false;
      out = c == '[' ? Value::make_array() : Value::make_object();
      out.pos = pos(l, v);
      consume(l);
      return true;
    }
    if (c == '"') {
      std::string s;
      size_t j = v + 1;
      for (;; ++j) {
        if (j >= l.e) return false;  // over several lines
        if (t_[j] == '"') break;
        if (t_[j] == '\\') {
          if (j + 1 >= l.e) return false;
          char e = t_[++j];
          if (e == '\\' || e == '"')
            s += e;
          else if (e == 'n')
            s += '\n';
          else if (e == 't')
            s += '\t';
          else
            return false;
          continue;
        }
        s += t_[j];
      }
      if (!rest_empty(l, j + 1)) return false;
      out = resolve_("", std::move(s), false, pos(l, v));
      consume(l);
      return true;
    }
    if (c == '\'') return single_quoted(l, v, col, out);
    if (indicator(c) && !((c == '-' || c == '?' || c == ':') && v + 1 < l.e && t_[v + 1] != ' '))
      return false;
    // Plain: to " #" or the end of the line; ": " (a mapping here) declines.
    size_t j = v;
    for (; j < l.e; ++j) {
      if (t_[j] == '#' && t_[j - 1] == ' ') break;
      if (t_[j] == ':' && (j + 1 == l.e || t_[j + 1] == ' ')) return false;
    }
    bool commented = j < l.e;
    size_t end = j;
    while (end > v && t_[end - 1] == ' ') --end;
    std::string s(t_.substr(v, end - v));
    consume(l);
    // Continuation lines (indented beyond col, right after): folded with one space each.
    while (!commented && next_ < t_.size()) {
      Ln n = line_at(next_, next_no_);
      if (blank(n)) {
        Ln m;
        if (next_content(&m) && !at_marker(m) && m.ind > col && !comment(m)) return false;
        break;
      }
      if (n.ind <= col || comment(n)) break;
      size_t b = n.b + n.ind;
      if (indicator(t_[b])) return false;
      size_t k = b;
      for (; k < n.e; ++k) {
        if (t_[k] == '#' && t_[k - 1] == ' ') return false;
        if (t_[k] == ':' && (k + 1 == n.e || t_[k + 1] == ' ')) return false;
      }
      size_t e = n.e;
      while (e > b && t_[e - 1] == ' ') --e;
      s += ' ';
      s.append(t_.substr(b, e - b));
      consume(n);
    }
    out = resolve_("", std::move(s), true, pos(l, v));
    return true;
  }

  // 'text' with '' for a quote, over several lines when its lines are indented beyond col: a line
  // break is a space, or n newlines when n empty lines follow; spaces around a break dropped.
  bool single_quoted(const Ln& first, size_t v, size_t col, Value& out) {
    std::string s;
    Ln l = first;
    size_t j = v + 1;
    for (;;) {
      if (j >= l.e) {  // a line break inside the scalar
        while (!s.empty() && s.back() == ' ') s.pop_back();
        size_t breaks = 0;
        Ln n = l;
        for (;;) {
          if (n.e >= t_.size()) return false;  // unterminated
          n = line_at(n.e + 1, n.no + 1);
          if (!blank(n)) break;
          ++breaks;
        }
        if (n.ind <= col) return false;
        if (breaks == 0)
          s += ' ';
        else
          s.append(breaks, '\n');
        l = n;
        j = n.b + n.ind;
        continue;
      }
      char c = t_[j];
      if (c == '\'') {
        if (j + 1 < l.e && t_[j + 1] == '\'') {
          s += '\'';
          j += 2;
          continue;
        }
        break;
      }
      s += c;
      ++j;
    }
    if (!rest_empty(l, j + 1)) return false;
    out = resolve_("", std::move(s), false, pos(first, v));
    consume(l);
    return true;
  }
};

#undef FAST_TRY

}  // namespace

std::optional<std::vector<json::Value>> read_block_subset(std::string_view text, const Limits& lim,
                                                          ResolveScalar resolve) {
  std::vector<Value> out;
  Reader r(text, lim, resolve);
  if (!r.run(out)) return std::nullopt;
  return out;
}

}  // namespace confine::k8s::yaml
