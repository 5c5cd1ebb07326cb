// AppArmor profile parser: a context-light lexer (globs keep their braces,
// commas inside {..} and [..] belong to the word) and a recursive-descent
// parser over the token list. Every node keeps its starting position.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "apparmor/apparmor.h"
#include "core/capabilities.h"
#include "core/file.h"

namespace confine::apparmor {

namespace {

enum class Tok {
  Word,
  String,
  LBrace,
  RBrace,
  LParen,
  RParen,
  Comma,
  Eq,
  PlusEq,
  Arrow,
  Le,
  Angle,
  Comment,
  End
};

struct Token {
  Tok type = Tok::End;
  std::string text;
  SourcePos pos;
  bool newline_before = false;  // a newline separates it from the previous token
  bool blank_before = false;    // an empty line separates it from the previous token
};

const char* tok_name(Tok t) {
  switch (t) {
    case Tok::Word: return "word";
    case Tok::String: return "string";
    case Tok::LBrace: return "'{'";
    case Tok::RBrace: return "'}'";
    case Tok::LParen: return "'('";
    case Tok::RParen: return "')'";
    case Tok::Comma: return "','";
    case Tok::Eq: return "'='";
    case Tok::PlusEq: return "'+='";
    case Tok::Arrow: return "'->'";
    case Tok::Le: return "'<='";
    case Tok::Angle: return "'<...>'";
    case Tok::Comment: return "comment";
    case Tok::End: return "end of file";
  }
  return "?";
}

std::string describe(const Token& t) {
  if (t.type == Tok::Word || t.type == Tok::String) return "'" + t.text + "'";
  return tok_name(t.type);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class Lexer {
 public:
  Lexer(std::string_view s, const std::string& file) : s_(s), file_(file) {}

  Result<std::vector<Token>> run() {
    std::vector<Token> out;
    bool nl = true;
    while (true) {
      int nls = 0;
      while (i_ < s_.size() && is_space(s_[i_])) {
        if (s_[i_] == '\n') nl = true, ++nls;
        adv();
      }
      Token t;
      t.pos = pos();
      t.newline_before = nl;
      t.blank_before = nls >= 2 && !out.empty();
      nl = false;
      if (i_ >= s_.size()) {
        t.type = Tok::End;
        out.push_back(t);
        return out;
      }
      char c = s_[i_];
      char n = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
      if (c == '#') {
        if (s_.substr(i_).starts_with("#include") &&
            (i_ + 8 >= s_.size() || is_space(s_[i_ + 8]) || s_[i_ + 8] == '<' || s_[i_ + 8] == '"')) {
          t.type = Tok::Word;
          t.text = "#include";
          for (int k = 0; k < 8; ++k) adv();
        } else {
          t.type = Tok::Comment;
          adv();
          size_t b = i_;
          while (i_ < s_.size() && s_[i_] != '\n') adv();
          t.text = std::string(s_.substr(b, i_ - b));
          while (!t.text.empty() && t.text.back() == '\r') t.text.pop_back();  // CRLF (and stray CRs)
        }
      } else if (c == '"') {
        t.type = Tok::String;
        size_t b = i_;
        adv();
        while (true) {
          if (i_ >= s_.size()) return Error::at(t.pos, "unterminated quoted string");
          if (s_[i_] == '\\' && i_ + 1 < s_.size()) {
            adv();
            adv();
            continue;
          }
          if (s_[i_] == '"') {
            adv();
            break;
          }
          adv();
        }
        t.text = std::string(s_.substr(b, i_ - b));
      } else if (c == '{' && (n == '\0' || n == '}' || is_space(n))) {
        t.type = Tok::LBrace, t.text = "{", adv();
      } else if (c == '}') {
        t.type = Tok::RBrace, t.text = "}", adv();
      } else if (c == '(') {
        t.type = Tok::LParen, t.text = "(", adv();
      } else if (c == ')') {
        t.type = Tok::RParen, t.text = ")", adv();
      } else if (c == ',') {
        t.type = Tok::Comma, t.text = ",", adv();
      } else if (c == '=') {
        t.type = Tok::Eq, t.text = "=", adv();
      } else if (c == '+' && n == '=') {
        t.type = Tok::PlusEq, t.text = "+=", adv(), adv();
      } else if (c == '-' && n == '>') {
        t.type = Tok::Arrow, t.text = "->", adv(), adv();
      } else if (c == '<' && n == '=') {
        t.type = Tok::Le, t.text = "<=", adv(), adv();
      } else if (c == '<') {
        t.type = Tok::Angle;
        adv();
        size_t b = i_;
        while (i_ < s_.size() && s_[i_] != '>' && s_[i_] != '\n') adv();
        if (i_ >= s_.size() || s_[i_] != '>') return Error::at(t.pos, "unterminated '<' (missing '>')");
        t.text = std::string(s_.substr(b, i_ - b));
        adv();
      } else {
        t.type = Tok::Word;
        size_t b = i_;
        int depth = 0;
        while (i_ < s_.size()) {
          char d = s_[i_];
          char e = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
          if (is_space(d)) break;
          if (depth == 0) {
            if (d == ',' || d == '(' || d == ')' || d == '=' || d == '"' || d == '}' || d == ']') break;
            if (d == '-' && e == '>') break;
            if (d == '+' && e == '=') break;
            if (d == '<' && e == '=') break;
          }
          if (d == '{' || d == '[') {
            if (++depth > 64) return Error::at(pos(), "glob nested too deeply");
          } else if ((d == '}' || d == ']') && depth > 0) {
            --depth;
          }
          adv();
        }
        if (depth != 0)
          return Error::at(t.pos, "unbalanced '{' or '[' in \"" + std::string(s_.substr(b, i_ - b)) + "\"");
        if (i_ == b) return Error::at(t.pos, std::string("unexpected character '") + c + "'");
        t.text = std::string(s_.substr(b, i_ - b));
      }
      out.push_back(std::move(t));
    }
  }

 private:
  void adv() {
    if (s_[i_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++i_;
  }
  SourcePos pos() const { return SourcePos{file_, line_, col_}; }
  std::string_view s_;
  std::string file_;
  size_t i_ = 0;
  uint32_t line_ = 1, col_ = 1;
};

// --- language facts ---------------------------------------------------------------------------
const std::set<std::string, std::less<>> kNetWords = {
    // families
    "unix", "inet", "ax25", "ipx", "appletalk", "netrom", "bridge", "atmpvc", "x25", "inet6", "rose",
    "netbeui", "security", "key", "netlink", "packet", "ash", "econet", "atmsvc", "rds", "sna", "irda",
    "pppox", "wanpipe", "llc", "ib", "mpls", "can", "tipc", "bluetooth", "iucv", "rxrpc", "isdn", "phonet",
    "ieee802154", "caif", "alg", "nfc", "vsock", "kcm", "qipcrtr", "smc", "xdp", "mctp", "local", "route",
    // types
    "stream", "dgram", "seq", "rdm", "raw", "packet",
    // protocols
    "tcp", "udp", "icmp", "icmpv6"};
const std::set<std::string, std::less<>> kRlimits = {
    "cpu",   "fsize",   "data",  "stack",      "core",     "rss",  "nofile", "ofile", "as",
    "nproc", "memlock", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime"};

struct KindSpec {
  std::set<std::string, std::less<>> access;  // words allowed bare or in (...)
  std::set<std::string, std::less<>> keys;    // key=... conditionals
  bool free_words = false;                    // paths/names allowed as words
  bool arrow = false;
};
const std::map<std::string, KindSpec, std::less<>>& kinds() {
  static const std::map<std::string, KindSpec, std::less<>> m = {
      {"signal", {{"send", "receive", "r", "w", "rw", "read", "write"}, {"set", "peer"}, false, false}},
      {"ptrace", {{"r", "w", "rw", "read", "write", "readby", "trace", "tracedby"}, {"peer"}, false, false}},
      {"mount", {{}, {"fstype", "vfstype", "options", "option"}, true, true}},
      {"remount", {{}, {"fstype", "vfstype", "options", "option"}, true, false}},
      {"umount", {{}, {"fstype", "vfstype", "options", "option"}, true, false}},
      {"unmount", {{}, {"fstype", "vfstype", "options", "option"}, true, false}},
      {"pivot_root", {{}, {"oldroot"}, true, true}},
      {"unix",
       {{"create", "bind", "listen", "accept", "connect", "shutdown", "getattr", "setattr", "getopt",
         "setopt", "send", "receive", "r", "w", "rw", "read", "write"},
        {"type", "protocol", "addr", "label", "attr", "opt", "peer"},
        false,
        false}},
      {"dbus",
       {{"send", "receive", "bind", "eavesdrop", "r", "w", "rw", "read", "write"},
        {"bus", "path", "interface", "member", "peer", "name", "label"},
        false,
        false}},
      {"change_profile", {{"safe", "unsafe"}, {}, true, true}},
      {"userns", {{"create"}, {}, false, false}},
      {"io_uring", {{"sqpoll", "override_creds"}, {"label"}, false, false}},
      {"mqueue",
       {{"r", "w", "rw", "read", "write", "create", "open", "delete", "getattr", "setattr"},
        {"type", "label"},
        true,
        false}},
      {"all", {{}, {}, false, false}},
  };
  return m;
}

std::string unquote(const std::string& s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

bool path_like(const std::string& w) {
  std::string u = unquote(w);
  return !u.empty() && (u[0] == '/' || u[0] == '@' || u[0] == '{' || u.starts_with("**"));
}

class Parser {
 public:
  Parser(std::vector<Token> toks, const ParseOptions& opt) : t_(std::move(toks)), opt_(opt) {}

  Result<std::vector<Item>> parse_items(size_t depth, bool in_block) {
    if (depth > opt_.max_depth) return Error::at(cur().pos, "profiles nested too deeply");
    std::vector<Item> items;
    int last_line = -1;                    // line of the last rule's ',' (or a block's closing '}')
    std::string* last_trailing = nullptr;  // where a comment on that line goes
    while (true) {
      const Token& t = cur();
      if (t.type == Tok::End) {
        if (in_block) return Error::at(t.pos, "unexpected end of file: missing '}'");
        return items;
      }
      if (t.type == Tok::RBrace) {
        if (!in_block) return Error::at(t.pos, "unexpected '}' (no profile is open)");
        return items;
      }
      if (t.type == Tok::Comment) {
        if (!t.newline_before && static_cast<int>(t.pos.line) == last_line && last_trailing &&
            last_trailing->empty()) {
          *last_trailing = t.text;
        } else {
          if (t.blank_before && !items.empty()) items.push_back(Comment{t.pos, "", true});
          items.push_back(Comment{t.pos, t.text, false});
        }
        ++k_;
        continue;
      }
      last_trailing = nullptr;
      if (t.blank_before && !items.empty()) items.push_back(Comment{t.pos, "", true});
      CONFINE_TRY(Item it, parse_item(depth));
      last_line = static_cast<int>(t_[k_ - 1].pos.line);
      items.push_back(std::move(it));
      if (auto* r = std::get_if<Rule>(&items.back())) last_trailing = &r->trailing_comment;
      if (auto* p = std::get_if<std::shared_ptr<Profile>>(&items.back())) {
        last_trailing = &(*p)->trailing_comment;
        last_line = static_cast<int>(prof_open_line_);
      }
      if (auto* c = std::get_if<std::shared_ptr<Conditional>>(&items.back()))
        last_trailing = &(*c)->trailing_comment;
      if (auto* b = std::get_if<std::shared_ptr<QualifierBlock>>(&items.back()))
        last_trailing = &(*b)->trailing_comment;
    }
  }

 private:
  const Token& cur() const { return t_[std::min(k_, t_.size() - 1)]; }
  const Token& peek(size_t n = 1) const { return t_[std::min(k_ + n, t_.size() - 1)]; }
  bool is_word(const Token& t, std::string_view w) const { return t.type == Tok::Word && t.text == w; }

  Status expect(Tok type, std::string_view what) {
    if (cur().type != type)
      return Error::at(cur().pos, "expected " + std::string(what) + ", found " + describe(cur()));
    ++k_;
    return ok();
  }
  Status expect_comma(std::string_view rule) {
    if (cur().type != Tok::Comma)
      return Error::at(cur().pos, "expected ',' at the end of the " + std::string(rule) + " rule, found " +
                                      describe(cur()));
    ++k_;
    return ok();
  }

  Result<Item> parse_item(size_t depth) {
    const Token& t = cur();
    if (t.type == Tok::Word) {
      const std::string& w = t.text;
      if (w == "#include" || w == "include") return parse_include();
      if (w == "abi") {
        Abi a{t.pos, "", true};
        ++k_;
        if (cur().type == Tok::Angle) {
          a.path = cur().text;
        } else if (cur().type == Tok::String) {
          a.path = unquote(cur().text), a.angle = false;
        } else {
          return Error::at(cur().pos, "expected <path> or \"path\" after abi, found " + describe(cur()));
        }
        ++k_;
        CONFINE_CHECK(expect_comma("abi"));
        return Item{a};
      }
      if (w == "alias") {
        Alias a{t.pos, "", ""};
        ++k_;
        if (cur().type != Tok::Word && cur().type != Tok::String)
          return Error::at(cur().pos, "expected a path after alias");
        a.from = cur().text;
        ++k_;
        CONFINE_CHECK(expect(Tok::Arrow, "'->'"));
        if (cur().type != Tok::Word && cur().type != Tok::String)
          return Error::at(cur().pos, "expected a path after '->'");
        a.to = cur().text;
        ++k_;
        CONFINE_CHECK(expect_comma("alias"));
        return Item{a};
      }
      if (w.starts_with("@{") && (peek().type == Tok::Eq || peek().type == Tok::PlusEq))
        return parse_variable();
      if (w.starts_with("$") && peek().type == Tok::Eq) return parse_variable();
      if (w == "profile" || w == "hat" || w.starts_with("^")) return parse_profile(depth);
      if ((path_like(w) || w.starts_with(":")) &&
          (peek().type == Tok::LBrace || is_word(peek(), "flags") || peek().type == Tok::LParen))
        return parse_profile(depth);
      if (w == "if") return parse_conditional(depth);
      if (w == "else") return Error::at(t.pos, "'else' without a preceding 'if ... { ... }'");
      if (w == "audit" || w == "allow" || w == "deny" || w == "owner" || w == "other") {
        size_t n = 1;
        while (n < 4 && (is_word(peek(n), "allow") || is_word(peek(n), "deny") || is_word(peek(n), "owner") ||
                         is_word(peek(n), "other")))
          ++n;
        if (peek(n).type == Tok::LBrace) return parse_qualifier_block(depth);
      }
    } else if (t.type == Tok::String && peek().type == Tok::LBrace) {
      return parse_profile(depth);
    } else if (t.type == Tok::LBrace) {
      return Error::at(t.pos, "unexpected '{' (a profile needs a name: profile NAME {)");
    }
    CONFINE_TRY(Rule r, parse_rule());
    return Item{std::move(r)};
  }

  // The body of an if/else or qualifier block: '{' item* '}'. `what` names it in messages.
  Result<std::vector<Item>> parse_block_body(size_t depth, const std::string& what) {
    if (cur().type != Tok::LBrace)
      return Error::at(cur().pos, "expected '{' to open the " + what + ", found " + describe(cur()));
    SourcePos open = cur().pos;
    ++k_;
    auto body = parse_items(depth + 1, true);
    if (!body.ok()) {
      if (cur().type == Tok::End && body.error().detail().find("unexpected end of file") == 0)
        return Error::at(open, "unterminated " + what + ": '{' is never closed");
      return std::move(body).error();
    }
    ++k_;  // '}'
    for (const auto& it : *body)
      if (auto* v = std::get_if<Variable>(&it))
        return Error::at(v->pos, "variable definitions are not allowed inside a " + what);
    return std::move(*body);
  }

  // expr := 'not' expr | '$'NAME | '${'NAME'}' | 'defined' ('$'NAME | '@{'NAME'}')
  Result<Condition> parse_condition() {
    Condition c;
    c.pos = cur().pos;
    while (is_word(cur(), "not")) {
      if (++c.negations > 64) return Error::at(cur().pos, "too many 'not' in the if condition");
      ++k_;
    }
    bool defined = false;
    if (is_word(cur(), "defined")) defined = true, ++k_;
    const Token& t = cur();
    auto bad = [&](const std::string& why) -> Result<Condition> {
      return Error::at(t.pos, why + ", found " + describe(t));
    };
    if (t.type != Tok::Word) {
      if (t.type == Tok::LParen) return bad("if conditions take no parentheses: expected $VAR");
      return bad(defined ? "expected $VAR or @{VAR} after 'defined'"
                         : "expected an if condition ($VAR, defined $VAR, defined @{VAR} or not ...)");
    }
    const std::string& w = t.text;
    std::string name;
    if (w.size() >= 2 && w[0] == '$') {
      c.kind = defined ? Condition::Kind::DefinedBool : Condition::Kind::Bool;
      name = w.substr(1);
      if (name.size() >= 2 && name.front() == '{' && name.back() == '}')
        name = name.substr(1, name.size() - 2);
    } else if (w.size() >= 4 && w.starts_with("@{") && w.back() == '}') {
      if (!defined) return bad("a set variable can only be tested with 'defined @{VAR}'");
      c.kind = Condition::Kind::DefinedVar;
      name = w.substr(2, w.size() - 3);
    } else {
      return bad(defined ? "expected $VAR or @{VAR} after 'defined'"
                         : "unknown if condition (expected $VAR, defined $VAR, defined @{VAR} or not ...)");
    }
    for (char ch : name)
      if (!(isalnum(static_cast<unsigned char>(ch)) || ch == '_'))
        return bad("bad variable name in the if condition");
    if (name.empty()) return bad("empty variable name in the if condition");
    c.name = std::move(name);
    ++k_;
    if (is_word(cur(), "and") || is_word(cur(), "or"))
      return Error::at(cur().pos,
                       "'" + cur().text + "' is not supported in if conditions (only not and defined)");
    return c;
  }

  Result<Item> parse_conditional(size_t depth) {
    if (depth > opt_.max_depth) return Error::at(cur().pos, "blocks nested too deeply");
    auto c = std::make_shared<Conditional>();
    c->pos = cur().pos;
    ++k_;  // if
    CONFINE_TRY(c->cond, parse_condition());
    if (cur().type != Tok::LBrace)
      return Error::at(cur().pos, "expected '{' after the if condition, found " + describe(cur()));
    CONFINE_TRY(c->then_items, parse_block_body(depth, "if block"));
    // comments between '}' and 'else' move to the start of the else block
    size_t n = 0;
    while (peek(n).type == Tok::Comment) ++n;
    if (!is_word(peek(n), "else")) return Item{c};
    std::vector<Item> moved;
    for (; cur().type == Tok::Comment; ++k_) moved.push_back(Comment{cur().pos, cur().text, false});
    ++k_;  // else
    c->has_else = true;
    if (is_word(cur(), "if")) {
      c->else_if = moved.empty();  // with comments in between: written as else { # ... if ... }
      c->else_items = std::move(moved);
      CONFINE_TRY(Item inner, parse_conditional(depth + 1));
      c->else_items.push_back(std::move(inner));
      return Item{c};
    }
    if (cur().type != Tok::LBrace)
      return Error::at(cur().pos, "expected '{' or 'if' after 'else', found " + describe(cur()));
    CONFINE_TRY(c->else_items, parse_block_body(depth, "else block"));
    c->else_items.insert(c->else_items.begin(), std::make_move_iterator(moved.begin()),
                         std::make_move_iterator(moved.end()));
    return Item{c};
  }

  // qblock := ['audit'] ['allow'] ['owner'|'other'] '{' item* '}'
  Result<Item> parse_qualifier_block(size_t depth) {
    if (depth > opt_.max_depth) return Error::at(cur().pos, "blocks nested too deeply");
    auto b = std::make_shared<QualifierBlock>();
    b->pos = cur().pos;
    if (is_word(cur(), "audit")) b->audit = true, ++k_;
    if (is_word(cur(), "deny"))
      return Error::at(cur().pos,
                       "'deny' is not allowed on a qualifier block (apparmor_parser: \"deny prefix not "
                       "allowed\"); write deny on each rule");
    if (is_word(cur(), "allow")) b->mode = RuleMode::Allow, ++k_;
    if (is_word(cur(), "owner") || is_word(cur(), "other")) b->owner = cur().text, ++k_;
    if (cur().type != Tok::LBrace)
      return Error::at(cur().pos,
                       "unexpected " + describe(cur()) +
                           " in block qualifiers (expected ['audit'] ['allow'] ['owner'|'other'] '{')");
    CONFINE_TRY(b->items, parse_block_body(depth, "qualifier block"));
    return Item{b};
  }

  Result<Item> parse_include() {
    Include inc;
    inc.pos = cur().pos;
    inc.hash = cur().text == "#include";
    ++k_;
    if (!inc.hash && is_word(cur(), "if")) {
      ++k_;
      if (!is_word(cur(), "exists")) return Error::at(cur().pos, "expected 'exists' after 'include if'");
      ++k_;
      inc.if_exists = true;
    }
    if (cur().type == Tok::Angle) {
      inc.path = cur().text;
    } else if (cur().type == Tok::String) {
      inc.path = unquote(cur().text);
      inc.angle = false;
    } else if (cur().type == Tok::Word && !cur().newline_before) {
      inc.path = cur().text;  // include /abs/path (unquoted)
      inc.angle = false;
    } else {
      return Error::at(cur().pos, "expected <path> or \"path\" after include, found " + describe(cur()));
    }
    if (inc.path.empty()) return Error::at(cur().pos, "empty include path");
    ++k_;
    return Item{inc};
  }

  Result<Item> parse_variable() {
    Variable v;
    v.pos = cur().pos;
    const std::string& w = cur().text;
    if (w[0] == '$') {
      v.boolean = true;
      v.name = w.substr(1);
      if (v.name.starts_with("{") && v.name.ends_with("}")) v.name = v.name.substr(1, v.name.size() - 2);
    } else {
      if (w.size() < 4 || w.back() != '}' || w.find_first_of("{}", 2) != w.size() - 1)
        return Error::at(v.pos, "bad variable name \"" + w + "\"");
      v.name = w.substr(2, w.size() - 3);
    }
    for (char c : v.name)
      if (!(isalnum(static_cast<unsigned char>(c)) || c == '_'))
        return Error::at(v.pos, "bad variable name \"" + w + "\"");
    if (v.name.empty()) return Error::at(v.pos, "empty variable name");
    ++k_;
    v.append = cur().type == Tok::PlusEq;
    if (v.boolean && v.append) return Error::at(cur().pos, "boolean variables cannot be appended to");
    ++k_;
    while ((cur().type == Tok::Word || cur().type == Tok::String) && !cur().newline_before) {
      v.values.push_back(cur().text);
      ++k_;
    }
    if (!cur().newline_before && cur().type != Tok::End && cur().type != Tok::Comment)
      return Error::at(cur().pos, "unexpected " + describe(cur()) + " in the value of variable " + w);
    if (v.values.empty()) return Error::at(v.pos, "variable " + w + " has no value");
    if (v.boolean && (v.values.size() != 1 || (v.values[0] != "true" && v.values[0] != "false")))
      return Error::at(v.pos, "boolean variable " + w + " must be true or false");
    return Item{v};
  }

  Result<Item> parse_profile(size_t depth) {
    auto p = std::make_shared<Profile>();
    p->pos = cur().pos;
    const std::string w = cur().text;
    if (w == "profile" || w == "hat") {
      p->keyword = w == "profile" ? Profile::Keyword::Profile : Profile::Keyword::Hat;
      ++k_;
      if (cur().type != Tok::Word && cur().type != Tok::String)
        return Error::at(cur().pos, "expected a profile name after '" + w + "', found " + describe(cur()));
      if (is_word(cur(), "flags")) return Error::at(cur().pos, "expected a profile name before flags");
      p->name = cur().text;
      ++k_;
      if (p->keyword == Profile::Keyword::Profile && (cur().type == Tok::Word || cur().type == Tok::String) &&
          !is_word(cur(), "flags")) {
        p->attachment = cur().text;
        ++k_;
      }
    } else if (w.starts_with("^")) {
      p->keyword = Profile::Keyword::Caret;
      p->name = w.substr(1);
      if (p->name.empty()) return Error::at(p->pos, "empty hat name after '^'");
      ++k_;
    } else {
      p->keyword = Profile::Keyword::None;
      p->attachment = w;
      ++k_;
    }
    if (is_word(cur(), "flags")) {
      ++k_;
      CONFINE_CHECK(expect(Tok::Eq, "'=' after flags"));
      if (cur().type != Tok::LParen) return Error::at(cur().pos, "expected '(' after flags=");
    } else if (cur().type == Tok::LParen) {
      p->flags_keyword = false;
    }
    if (cur().type == Tok::LParen) {
      SourcePos lp = cur().pos;
      ++k_;
      while (cur().type != Tok::RParen) {
        if (cur().type == Tok::Comma) {
          ++k_;
          continue;
        }
        if (cur().type != Tok::Word) return Error::at(cur().pos, "expected a flag, found " + describe(cur()));
        std::string f = cur().text;
        static const std::set<std::string, std::less<>> kFlags = {"complain",
                                                                  "enforce",
                                                                  "kill",
                                                                  "unconfined",
                                                                  "prompt",
                                                                  "audit",
                                                                  "mediate_deleted",
                                                                  "delegate_deleted",
                                                                  "attach_disconnected",
                                                                  "no_attach_disconnected",
                                                                  "chroot_relative",
                                                                  "namespace_relative",
                                                                  "chroot_attach",
                                                                  "chroot_no_attach",
                                                                  "debug",
                                                                  "interruptible",
                                                                  "kill.signal",
                                                                  "error",
                                                                  "default_allow"};
        ++k_;
        if (cur().type == Tok::Eq) {  // e.g. attach_disconnected.path=/x, error=EPERM
          ++k_;
          if (cur().type != Tok::Word) return Error::at(cur().pos, "expected a value after '" + f + "='");
          f += "=" + cur().text;
          ++k_;
        }
        std::string base = f.substr(0, f.find_first_of(".="));
        if (!kFlags.count(base) && !kFlags.count(f.substr(0, f.find('='))))
          return Error::at(t_[k_ - 1].pos, "unknown profile flag \"" + f + "\"");
        p->flags.push_back(f);
        if (cur().type == Tok::End) return Error::at(lp, "unterminated flags list: missing ')'");
      }
      ++k_;
    }
    if (cur().type != Tok::LBrace)
      return Error::at(
          cur().pos, "expected '{' to open profile \"" + p->display_name() + "\", found " + describe(cur()));
    prof_open_line_ = cur().pos.line;
    SourcePos open = cur().pos;
    ++k_;
    auto body = parse_items(depth + 1, true);
    if (!body.ok()) {
      if (cur().type == Tok::End && !body.error().detail().find("unexpected end of file"))
        return Error::at(open, "unterminated profile \"" + p->display_name() + "\": '{' is never closed");
      return std::move(body).error();
    }
    p->items = std::move(*body);
    ++k_;  // '}'
    prof_open_line_ = t_[k_ - 1].pos.line;
    return Item{p};
  }

  Result<Rule> parse_rule() {
    Rule r;
    r.pos = cur().pos;
    if (is_word(cur(), "audit")) r.audit = true, ++k_;
    if (is_word(cur(), "allow")) {
      r.mode = RuleMode::Allow, ++k_;
    } else if (is_word(cur(), "deny")) {
      r.mode = RuleMode::Deny, ++k_;
    }
    if (is_word(cur(), "owner") || is_word(cur(), "other")) r.owner = cur().text, ++k_;
    if (cur().type == Tok::LBrace)
      return Error::at(cur().pos,
                       "unexpected '{' after rule qualifiers (a qualifier block is "
                       "['audit'] ['allow'] ['owner'|'other'] '{')");
    const Token& t = cur();
    if (t.type != Tok::Word && t.type != Tok::String)
      return Error::at(t.pos, "expected a rule, found " + describe(t));
    const std::string w = t.text;
    if (w == "file" && t.type == Tok::Word) {
      r.kind = "file";
      r.file_keyword = true;
      ++k_;
      if (cur().type == Tok::Comma) {
        ++k_;
        return r;
      }
      CONFINE_CHECK(parse_file_body(r));
      return r;
    }
    if (w == "link" && t.type == Tok::Word) {
      r.kind = "link";
      ++k_;
      if (is_word(cur(), "subset")) r.link_subset = true, ++k_;
      if (cur().type != Tok::Word && cur().type != Tok::String)
        return Error::at(cur().pos, "expected a path after link");
      r.path = cur().text;
      ++k_;
      CONFINE_CHECK(expect(Tok::Arrow, "'->' in link rule"));
      if (cur().type != Tok::Word && cur().type != Tok::String)
        return Error::at(cur().pos, "expected a link target after '->'");
      r.target = cur().text;
      ++k_;
      CONFINE_CHECK(expect_comma("link"));
      return r;
    }
    if (w == "set" && t.type == Tok::Word) {
      r.kind = "rlimit";
      ++k_;
      if (!is_word(cur(), "rlimit")) return Error::at(cur().pos, "expected 'rlimit' after 'set'");
      ++k_;
      if (cur().type != Tok::Word || !kRlimits.count(cur().text))
        return Error::at(cur().pos, "unknown rlimit " + describe(cur()));
      r.terms.push_back(Term{Term::Kind::Word, cur().text, "", {}, cur().pos});
      ++k_;
      CONFINE_CHECK(expect(Tok::Le, "'<=' in rlimit rule"));
      if (cur().type != Tok::Word) return Error::at(cur().pos, "expected an rlimit value");
      r.terms.push_back(Term{Term::Kind::Word, cur().text, "", {}, cur().pos});
      ++k_;
      CONFINE_CHECK(expect_comma("rlimit"));
      return r;
    }
    if (w == "capability" || w == "network" || kinds().count(w)) {
      if (t.type != Tok::Word) return Error::at(t.pos, "unexpected " + describe(t));
      r.kind = w;
      ++k_;
      CONFINE_CHECK(parse_terms(r));
      CONFINE_CHECK(validate_terms(r));
      return r;
    }
    if (path_like(w)) {
      r.kind = "file";
      CONFINE_CHECK(parse_file_body(r));
      return r;
    }
    std::string why;
    if (t.type == Tok::Word && valid_file_perms(w, &why, r.mode == RuleMode::Deny) &&
        (peek().type == Tok::Word || peek().type == Tok::String) && path_like(peek().text)) {
      r.kind = "file";
      CONFINE_CHECK(parse_file_body(r));
      return r;
    }
    if (r.owner.empty() && !r.audit && r.mode == RuleMode::Unspecified && peek().type == Tok::LBrace)
      return Error::at(t.pos,
                       "unknown keyword \"" + w + "\" (profile names must follow 'profile' or be paths)");
    return Error::at(t.pos, "unknown rule \"" + w + "\"");
  }

  Status parse_file_body(Rule& r) {
    // PATH PERMS or PERMS PATH
    const Token& a = cur();
    if (a.type != Tok::Word && a.type != Tok::String)
      return Error::at(a.pos, "expected a path in file rule, found " + describe(a));
    std::string why;
    if (!path_like(a.text) && a.type == Tok::Word &&
        valid_file_perms(a.text, &why, r.mode == RuleMode::Deny)) {
      r.perms = a.text;
      ++k_;
      if ((cur().type != Tok::Word && cur().type != Tok::String) || !path_like(cur().text))
        return Error::at(cur().pos,
                         "expected a path after permissions \"" + r.perms + "\", found " + describe(cur()));
      r.path = cur().text;
      ++k_;
    } else {
      if (!path_like(a.text))
        return Error::at(a.pos, "file rule path must start with '/' or a variable, found \"" + a.text + "\"");
      r.path = a.text;
      ++k_;
      if (cur().type != Tok::Word) {
        if (cur().type == Tok::Comma)
          return Error::at(cur().pos, "missing permissions in file rule for \"" + r.path + "\"");
        return Error::at(cur().pos,
                         "expected permissions after \"" + r.path + "\", found " + describe(cur()));
      }
      if (!valid_file_perms(cur().text, &why, r.mode == RuleMode::Deny))
        return Error::at(cur().pos, "bad permissions \"" + cur().text + "\": " + why);
      r.perms = cur().text;
      ++k_;
    }
    if (cur().type == Tok::Arrow) {
      ++k_;
      if (cur().type != Tok::Word && cur().type != Tok::String)
        return Error::at(cur().pos, "expected a profile name after '->'");
      r.target = cur().text;
      ++k_;
      if (r.perms.find_first_of("xl") == std::string::npos)
        return Error::at(r.pos, "'->' needs an exec (x) or link (l) permission");
    }
    return expect_comma("file");
  }

  Result<std::vector<std::string>> parse_list() {
    SourcePos open = cur().pos;
    ++k_;  // (
    std::vector<std::string> out;
    while (cur().type != Tok::RParen) {
      const Token& t = cur();
      if (t.type == Tok::Comma) {
        ++k_;
        continue;
      }
      if (t.type == Tok::End || t.type == Tok::LBrace || t.type == Tok::RBrace)
        return Error::at(open, "unterminated '(' list");
      if (t.type != Tok::Word && t.type != Tok::String)
        return Error::at(t.pos, "unexpected " + describe(t) + " in '(' list");
      std::string item = t.text;
      ++k_;
      if (cur().type == Tok::Eq) {
        ++k_;
        if (cur().type != Tok::Word && cur().type != Tok::String)
          return Error::at(cur().pos, "expected a value after '" + item + "='");
        item += "=" + cur().text;
        ++k_;
      }
      out.push_back(item);
    }
    ++k_;
    return out;
  }

  Status parse_terms(Rule& r) {
    while (cur().type != Tok::Comma) {
      const Token& t = cur();
      Term term;
      term.pos = t.pos;
      switch (t.type) {
        case Tok::LParen: {
          term.kind = Term::Kind::List;
          CONFINE_TRY(term.list, parse_list());
          break;
        }
        case Tok::Arrow: {
          ++k_;
          if (cur().type != Tok::Word && cur().type != Tok::String)
            return Error::at(cur().pos, "expected a name after '->'");
          term.kind = Term::Kind::Arrow;
          term.key = cur().text;
          ++k_;
          break;
        }
        case Tok::Word:
        case Tok::String: {
          std::string w = t.text;
          ++k_;
          if (t.type == Tok::Word && w == "in" && !r.terms.empty() &&
              r.terms.back().kind == Term::Kind::Word && cur().type == Tok::LParen) {
            term = r.terms.back();
            r.terms.pop_back();
            term.kind = Term::Kind::In;
            CONFINE_TRY(term.list, parse_list());
          } else if (cur().type == Tok::Eq && t.type == Tok::Word) {
            ++k_;
            term.key = w;
            if (cur().type == Tok::LParen) {
              term.kind = Term::Kind::KeyList;
              CONFINE_TRY(term.list, parse_list());
            } else if (cur().type == Tok::Word || cur().type == Tok::String) {
              term.kind = Term::Kind::KeyValue;
              term.value = cur().text;
              ++k_;
            } else {
              return Error::at(cur().pos, "expected a value after '" + w + "='");
            }
          } else {
            term.kind = Term::Kind::Word;
            term.key = w;
          }
          break;
        }
        case Tok::End:
        case Tok::RBrace:
        case Tok::LBrace:
          return Error::at(t.pos, "expected ',' at the end of the " + r.kind + " rule, found " + describe(t));
        default: return Error::at(t.pos, "unexpected " + describe(t) + " in " + r.kind + " rule");
      }
      r.terms.push_back(std::move(term));
      if (r.terms.size() > 256) return Error::at(t.pos, "rule has too many terms");
    }
    ++k_;
    return ok();
  }

  Status validate_terms(const Rule& r) {
    if (r.kind == "capability") {
      for (const auto& t : r.terms) {
        if (t.kind != Term::Kind::Word)
          return Error::at(t.pos, "capability rules take capability names only");
        if (!is_capability(t.key)) return Error::at(t.pos, "unknown capability \"" + t.key + "\"");
      }
      return ok();
    }
    if (r.kind == "network") {
      for (const auto& t : r.terms) {
        if (t.kind == Term::Kind::Word) {
          if (!kNetWords.count(t.key))
            return Error::at(t.pos, "unknown network family, type or protocol \"" + t.key + "\"");
        } else if (t.kind != Term::Kind::List) {
          return Error::at(t.pos, "unexpected conditional in network rule");
        }
      }
      return ok();
    }
    const KindSpec& spec = kinds().at(r.kind);
    for (const auto& t : r.terms) {
      switch (t.kind) {
        case Term::Kind::Word:
          if (spec.access.count(t.key)) break;
          if (spec.free_words) break;  // source/mount point paths, profile names, queue names
          return Error::at(t.pos, "unknown " + r.kind + " keyword \"" + t.key + "\"");
        case Term::Kind::List:
          for (const auto& a : t.list)
            if (!spec.access.count(a)) return Error::at(t.pos, "unknown " + r.kind + " access \"" + a + "\"");
          break;
        case Term::Kind::KeyValue:
        case Term::Kind::KeyList:
        case Term::Kind::In:
          if (!spec.keys.count(t.key))
            return Error::at(t.pos, "unknown " + r.kind + " conditional \"" + t.key + "\"");
          break;
        case Term::Kind::Arrow:
          if (!spec.arrow) return Error::at(t.pos, "'->' is not allowed in " + r.kind + " rules");
          break;
      }
    }
    return ok();
  }

  std::vector<Token> t_;
  const ParseOptions& opt_;
  size_t k_ = 0;
  uint32_t prof_open_line_ = 0;
};

}  // namespace

// AppArmor spells capabilities exactly as the kernel's names, lower case, without "cap_".
bool is_capability(std::string_view name) {
  auto bit = capability_from_name(name);
  return bit && capability_base_name(*bit) == name;
}

bool valid_file_perms(std::string_view p, std::string* why, bool deny) {
  // r w a l k m, x modes: ix ux Ux px Px cx Cx pix Pix cix Cix pux PUx cux CUx, and deprecated x alone is
  // invalid.
  if (p.empty()) {
    if (why) *why = "empty";
    return false;
  }
  int exec_modes = 0;
  bool w = false, a = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    switch (c) {
      case 'r':
      case 'l':
      case 'k':
      case 'm': break;
      case 'w': w = true; break;
      case 'a': a = true; break;
      case 'i':
      case 'u':
      case 'U':
      case 'p':
      case 'P':
      case 'c':
      case 'C': {
        // an exec modifier group ending in 'x'
        size_t j = i;
        while (j < p.size() && std::strchr("iuUpPcC", p[j])) ++j;
        if (j >= p.size() || p[j] != 'x') {
          if (why)
            *why = std::string("'") + c + "' must be part of an exec mode like ix, px, Px, cx, ux, pix";
          return false;
        }
        std::string_view m = p.substr(i, j - i);
        static const char* kModes[] = {"i",  "u",  "U",  "p",  "P",  "c",  "C", "pi",
                                       "Pi", "ci", "Ci", "pu", "PU", "cu", "CU"};
        bool okm = false;
        for (const char* k : kModes) okm |= m == k;
        if (!okm) {
          if (why) *why = "unknown exec mode \"" + std::string(m) + "x\"";
          return false;
        }
        ++exec_modes;
        i = j;
        break;
      }
      case 'x':
        if (deny) {
          ++exec_modes;
          break;
        }
        if (why) *why = "'x' needs an exec mode (ix, px, Px, cx, Cx, ux, Ux, pix, ...)";
        return false;
      default:
        if (why) *why = std::string("unknown permission '") + c + "'";
        return false;
    }
  }
  if (exec_modes > 1) {
    if (why) *why = "conflicting exec modes";
    return false;
  }
  if (w && a) {
    if (why) *why = "'w' and 'a' are mutually exclusive";
    return false;
  }
  return true;
}

Result<File> parse(std::string_view text, const std::string& filename, const ParseOptions& opt) {
  if (text.size() > opt.max_bytes)
    return Error::at(SourcePos{filename, 0, 0}, "file too large (" + std::to_string(text.size()) + " bytes)");
  if (text.find('\0') != std::string_view::npos)
    return Error::at(SourcePos{filename, 0, 0}, "file contains NUL bytes");
  Lexer lx(text, filename);
  CONFINE_TRY(auto toks, lx.run());
  Parser p(std::move(toks), opt);
  CONFINE_TRY(auto items, p.parse_items(0, false));
  File f;
  f.path = filename;
  f.items = std::move(items);
  return f;
}

Result<File> parse_file(const std::string& path, const ParseOptions& opt) {
  CONFINE_TRY(std::string text, file::read_file(path, file::kMaxProfileBytes));
  return parse(text, path, opt);
}

bool items_equal(const std::vector<Item>& a, const std::vector<Item>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].index() != b[i].index()) return false;
    if (auto* p = std::get_if<std::shared_ptr<Profile>>(&a[i])) {
      if (!(**p == *std::get<std::shared_ptr<Profile>>(b[i]))) return false;
    } else if (auto* c = std::get_if<std::shared_ptr<Conditional>>(&a[i])) {
      if (!(**c == *std::get<std::shared_ptr<Conditional>>(b[i]))) return false;
    } else if (auto* q = std::get_if<std::shared_ptr<QualifierBlock>>(&a[i])) {
      if (!(**q == *std::get<std::shared_ptr<QualifierBlock>>(b[i]))) return false;
    } else if (!(a[i] == b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace confine::apparmor
