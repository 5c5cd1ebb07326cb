// AppArmor profile language (what apparmor_parser 3.x accepts): model, parser
// with source positions, canonical writer, include/variable resolution.
//
// Grammar (informal; `,` ends a rule, `#` starts a comment):
//   file     := item*
//   item     := '#include' '<'P'>' | 'include' ['if' 'exists'] ('<'P'>' | '"'P'"')
//             | 'abi' ('<'P'>'|'"'P'"') ','  | 'alias' PATH '->' PATH ','
//             | '@{'NAME'}' ('='|'+=') VALUE* NEWLINE  | '$'NAME '=' ('true'|'false')
//             | profile | rule | cond | qblock
//   profile  := ['profile'] NAME [ATTACH] [['flags' '='] '(' FLAG* ')'] '{' item* '}'
//             | ('^'NAME | 'hat' NAME) [flags] '{' item* '}'
//   rule     := ['audit'] ['allow'|'deny'] ['owner'|'other'] body ','
//   body     := ['file'] [PATH PERMS | PERMS PATH] ['->' TARGET]  (file rule; bare `file`)
//             | 'link' ['subset'] PATH '->' PATH
//             | ('capability'|'network'|'signal'|'ptrace'|'mount'|'remount'|'umount'|'unmount'
//               |'pivot_root'|'unix'|'dbus'|'change_profile'|'userns'|'io_uring'|'mqueue'|'all')
//               TERM*     (TERM := WORD | KEY '=' VALUE | KEY '=' '(' LIST ')' | '(' LIST ')' | '->' WORD)
//             | 'set' 'rlimit' NAME '<=' VALUE
//   cond     := 'if' expr '{' item* '}' ['else' ('{' item* '}' | cond)]
//   expr     := 'not' expr | '$'NAME | '${'NAME'}' | 'defined' ('$'NAME | '@{'NAME'}')
//               (apparmor_parser 3.x has no and/or/parentheses; an unset $NAME is an
//               error at resolve time, `defined` never is)
//   qblock   := ['audit'] ['allow'] ['owner'|'other'] '{' item* '}'   (at least one qualifier;
//               apparmor_parser rejects 'deny' on a block: "deny prefix not allowed")
// Variable definitions are not allowed inside cond/qblock bodies.
// Every node keeps the position where it starts. Unknown keywords, permission
// letters, capability names, network families, rule conditionals are errors.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/error.h"

namespace confine::apparmor {

// One term of a non-file rule, e.g. `send`, `peer=foo`, `set=(hup, term)`,
// `(read, trace)`, `-> target`. Lists keep their items as written (quoted
// items keep their quotes).
struct Term {
  enum class Kind { Word, KeyValue, KeyList, List, Arrow, In };
  Kind kind = Kind::Word;
  std::string key;                // KeyValue/KeyList: the key; Word/Arrow: the word; In: key before `in`
  std::string value;              // KeyValue: the value
  std::vector<std::string> list;  // KeyList/List/In
  SourcePos pos;
  bool operator==(const Term& o) const {
    return kind == o.kind && key == o.key && value == o.value && list == o.list;
  }
};

enum class RuleMode { Unspecified, Allow, Deny };

struct Rule {
  SourcePos pos;
  bool audit = false;
  RuleMode mode = RuleMode::Unspecified;
  std::string owner;  // "", "owner" or "other"
  std::string kind;   // "file", "link", "capability", "network", ..., "rlimit"
  // file rules
  bool file_keyword = false;  // written with `file`
  std::string path;           // may be empty for bare `file,`
  std::string perms;          // as written, letters only (e.g. "rwix", "Px")
  std::string target;         // `-> target` (exec transition or link target)
  bool link_subset = false;   // link rules
  // other rules
  std::vector<Term> terms;
  // rlimit: terms = [name, value]
  std::string trailing_comment;  // `# ...` on the same line (without '#')

  bool operator==(const Rule& o) const {
    return audit == o.audit && mode == o.mode && owner == o.owner && kind == o.kind &&
           file_keyword == o.file_keyword && path == o.path && perms == o.perms && target == o.target &&
           link_subset == o.link_subset && terms == o.terms && trailing_comment == o.trailing_comment;
  }
};

struct Include {
  SourcePos pos;
  std::string path;
  bool angle = true;       // <path> (relative to the profile root) vs "path"
  bool if_exists = false;  // `include if exists`
  bool hash = false;       // written as `#include`
  bool operator==(const Include& o) const {
    return path == o.path && angle == o.angle && if_exists == o.if_exists && hash == o.hash;
  }
};

struct Abi {
  SourcePos pos;
  std::string path;
  bool angle = true;
  bool operator==(const Abi& o) const { return path == o.path && angle == o.angle; }
};

struct Alias {
  SourcePos pos;
  std::string from, to;
  bool operator==(const Alias& o) const { return from == o.from && to == o.to; }
};

struct Variable {
  SourcePos pos;
  std::string name;  // without @{ } (or $ for booleans)
  bool boolean = false;
  bool append = false;              // +=
  std::vector<std::string> values;  // as written (quoted values keep quotes)
  bool operator==(const Variable& o) const {
    return name == o.name && boolean == o.boolean && append == o.append && values == o.values;
  }
};

struct Comment {
  SourcePos pos;
  std::string text;    // without the leading '#'
  bool blank = false;  // an empty line (kept so `fmt` keeps the author's paragraphs)
  bool operator==(const Comment& o) const { return text == o.text && blank == o.blank; }
};

// The condition of an `if`: `not`* followed by one atom.
struct Condition {
  enum class Kind { Bool, DefinedBool, DefinedVar };  // $X | defined $X | defined @{X}
  SourcePos pos;
  unsigned negations = 0;  // number of leading `not`
  Kind kind = Kind::Bool;
  std::string name;  // without $, ${ } or @{ }
  bool operator==(const Condition& o) const {
    return negations == o.negations && kind == o.kind && name == o.name;
  }
};

struct Profile;
struct Conditional;
struct QualifierBlock;
using Item = std::variant<Comment, Include, Abi, Alias, Variable, Rule, std::shared_ptr<Profile>,
                          std::shared_ptr<Conditional>, std::shared_ptr<QualifierBlock>>;
bool items_equal(const std::vector<Item>& a, const std::vector<Item>& b);

struct Profile {
  SourcePos pos;
  enum class Keyword { None, Profile, Hat, Caret };
  Keyword keyword = Keyword::Profile;
  std::string name;           // may be empty when the attachment names the profile
  std::string attachment;     // e.g. /usr/bin/foo
  bool flags_keyword = true;  // `flags=(...)` vs bare `(...)`
  std::vector<std::string> flags;
  std::vector<Item> items;
  std::string trailing_comment;  // after the closing '}' (a comment after '{' is the first item)
  // Name apparmor_parser reports (-N): name, else attachment.
  std::string display_name() const { return name.empty() ? attachment : name; }
  bool operator==(const Profile& o) const {
    return keyword == o.keyword && name == o.name && attachment == o.attachment &&
           flags_keyword == o.flags_keyword && flags == o.flags && items_equal(items, o.items) &&
           trailing_comment == o.trailing_comment;
  }
};

// if COND { then } [else { else } | else if ...]. `else if` is kept as an else branch
// holding exactly one Conditional with else_if = true on the parent.
struct Conditional {
  SourcePos pos;  // of `if`
  Condition cond;
  std::vector<Item> then_items;
  bool has_else = false;
  bool else_if = false;  // else branch written as `else if ...` (else_items is one Conditional)
  std::vector<Item> else_items;
  std::string trailing_comment;  // after the closing '}' of the whole chain
  bool operator==(const Conditional& o) const {
    return cond == o.cond && items_equal(then_items, o.then_items) && has_else == o.has_else &&
           else_if == o.else_if && items_equal(else_items, o.else_items) &&
           trailing_comment == o.trailing_comment;
  }
};

// `audit owner { rules }`: the qualifiers apply to each rule inside. apparmor_parser 3.0
// applies them to file-type rules (file, link, exec) only and drops every other rule
// (capability, network, child profiles, ...) of the block silently; flatten() does the same.
struct QualifierBlock {
  SourcePos pos;  // of the first qualifier
  bool audit = false;
  RuleMode mode = RuleMode::Unspecified;  // Allow or Unspecified (Deny is rejected)
  std::string owner;                      // "", "owner" or "other"
  std::vector<Item> items;
  std::string trailing_comment;
  bool operator==(const QualifierBlock& o) const {
    return audit == o.audit && mode == o.mode && owner == o.owner && items_equal(items, o.items) &&
           trailing_comment == o.trailing_comment;
  }
};

struct File {
  std::string path;  // for messages
  std::vector<Item> items;
  bool operator==(const File& o) const { return items_equal(items, o.items); }
};

struct ParseOptions {
  size_t max_depth = 32;         // nesting of profiles/parentheses
  size_t max_bytes = 16u << 20;  // input size
};

// Parses one file's text (includes are not followed).
Result<File> parse(std::string_view text, const std::string& filename, const ParseOptions& opt = {});
Result<File> parse_file(const std::string& path, const ParseOptions& opt = {});

// Canonical text: two-space indentation, one rule per line, single spaces,
// `path perms` order, comments kept.
std::string format(const File& f);
std::string format_rule(const Rule& r);

// Every profile (depth-first, children as "parent//child") in a file.
std::vector<std::string> profile_names(const File& f);

// --- resolution: includes and variables ---------------------------------------------------
struct ResolveOptions {
  std::string root = "/etc/apparmor.d";  // <...> includes and abi
  size_t max_include_depth = 24;
  size_t max_files = 2000;
  size_t max_expansions = 4096;  // alternation/variable expansion of one path
};

// A file with its includes loaded (cycles and missing files are errors with the
// position of the include), and all variables (@{...}) collected.
struct Resolved {
  File main;
  std::map<std::string, std::shared_ptr<File>> files;    // by resolved path
  std::map<std::string, std::vector<std::string>> vars;  // @{NAME} -> values (raw)
  std::map<std::string, bool> bools;                     // $NAME -> value
  std::vector<std::string> warnings;
};
Result<Resolved> resolve(File main, const std::string& dir, const ResolveOptions& opt = {});

// Rules of one profile with its includes inlined (in order); child profiles excluded.
// Conditionals contribute their taken branch; qualifier blocks their file-type rules with
// the block's qualifiers applied (see QualifierBlock).
struct FlatRule {
  Rule rule;
  std::string origin;  // "file:line:col" of the rule
};
std::vector<FlatRule> flatten(const Resolved& r, const Profile& p);
// Top-level profiles of the main file (for translation).
std::vector<std::shared_ptr<Profile>> profiles(const File& f);

// Value of an if-condition ($X unset counts as false; resolve() reports it as an error).
bool evaluate(const Condition& c, const Resolved& r);

// Expands @{VAR} and {a,b} alternations into concrete glob strings (a quoted path: its inside).
Result<std::vector<std::string>> expand(const std::string& path, const Resolved& r, size_t max = 4096);

// Tables (facts of the AppArmor language).
bool is_capability(std::string_view name);

// /, /root, /home, /dev, /proc, /sys, /etc: the directories (exactly these) that no
// generalisation of the generator, no widening row of the Landlock translation and no
// write learnt from logs may reach.
bool is_system_tree(std::string_view dir);
// In or under /root, /home, /dev, /proc, /sys, /etc (not "/" itself).
bool under_system_tree(std::string_view path);

// A row of a reviewed table (the generator's generalisations, the Landlock
// translation's widenings): what it grants beyond the exact access, and why.
struct ReviewedRow {
  const char* id;
  const char* reason;
};
// deny rules may use a plain 'x'.
bool valid_file_perms(std::string_view perms, std::string* why, bool deny = false);

}  // namespace confine::apparmor
