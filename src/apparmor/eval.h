// AppArmor file-rule evaluation with AppArmor's own semantics (not Landlock's):
// what the AppArmor LSM would decide for one access to one path. Used by
// `confine run` to observe a profile in complain mode on a kernel without the
// LSM (src/apparmor/complain.cc), and by `confine logs --to-apparmor` (logprof.cc).
//
//   CONFINE_TRY(auto ev, Evaluator::build(resolved, *profile));
//   Decision d = ev.check({.path = "/etc/shadow", .requested = kPermRead});
//   if (!d.allowed) ... d.denied, d.deny_rules ...
//
// Semantics (apparmor.d(5), apparmor_parser's convert_aaregex_to_pcre, the
// kernel's file permission mapping):
//  - globs: `?` one character but '/', `*` any run without '/', `**` any run,
//    `[...]` / `[^...]` classes, `\x` a literal x; a `*`/`**` right after '/'
//    that ends the pattern or a path component must match at least one
//    character (`/a/*` and `/a/**` do not match "/a/"); `{a,b}` and `@{VAR}` are
//    expanded first (apparmor::expand), duplicate slashes collapsed.
//  - a directory is matched as "path/" (Query::directory).
//  - the permissions of a path = union of the matching allow rules minus the
//    union of the matching deny rules (deny wins; rule order is irrelevant).
//  - letters: r, w (implies a: append, and covers create, delete, rename,
//    truncate, chmod/chown), a, l, k, m, x (any exec mode: ix px cx ux Px ...;
//    `ix` also implies m). Bare `file,` and `all,` grant everything.
//  - link: `l` on the new name; with a `-> TARGET` (file rule or `link` rule)
//    the target must match too; a link granted without `link` (non-subset) must
//    not give the new name permissions the target lacks (subset rule).
//  - `owner`/`other` rules need the file's owner: with Owner::Unknown, owner
//    allow rules count and owner deny rules do not (the benefit of the doubt),
//    and Decision::owner_assumed says so. `audit` is ignored.
#pragma once

#include <bitset>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apparmor/apparmor.h"

namespace confine::apparmor {

// Permission bits (one per letter, in "rwalkmx" order).
enum : uint16_t {
  kPermRead = 1,
  kPermWrite = 2,
  kPermAppend = 4,
  kPermLink = 8,
  kPermLock = 16,
  kPermMmap = 32,
  kPermExec = 64,
  kPermAll = 127,
};
// "rw", "x", "" ...
std::string perm_letters(uint16_t mask);
// A rule's permission text ("rwix", "Px", "mr") -> bits (w adds a, ix adds m).
uint16_t perms_from_rule(std::string_view perms);

// One compiled glob (after variable and alternation expansion).
class Glob {
 public:
  static Result<Glob> compile(std::string_view pattern);
  bool match(std::string_view path) const;
  const std::string& pattern() const { return pattern_; }
  const std::string& literal_prefix() const { return prefix_; }

 private:
  enum class Kind : uint8_t { Lit, AnyButSlash, Class, Star, StarStar };
  struct Atom {
    Kind kind;
    char c = 0;        // Lit
    uint16_t cls = 0;  // Class: index into classes_
  };
  bool atom_eats(const Atom& a, unsigned char ch) const;
  std::string pattern_;
  std::string prefix_;       // literal characters before the first atom
  std::vector<Atom> atoms_;  // the rest
  std::vector<std::bitset<256>> classes_;
  // Bit-parallel form (atoms < 64): bit i = "before atom i"; eat_[ch] = atoms
  // that consume ch, star_ = atoms that loop (*, **).
  std::vector<uint64_t> eat_;
  uint64_t star_ = 0;
};

// One pattern against one path with Glob (compiled for this call: callers that
// match a pattern more than once keep a Glob). `pattern` must be expanded already
// (no @{var}, no {a,b}: apparmor::expand); a pattern Glob::compile rejects matches nothing.
bool glob_match(std::string_view pattern, std::string_view path);

struct Query {
  std::string path;        // absolute, normalised, without trailing '/'
  bool directory = false;  // matched as "path/"
  uint16_t requested = 0;
  std::string link_target;  // kPermLink: the existing file the new name links to
  enum class Owner { Unknown, Yes, No } owner = Owner::Unknown;
};

struct Decision {
  bool allowed = false;
  uint16_t requested = 0;
  uint16_t granted = 0;                  // the path's effective permissions (allow minus deny)
  uint16_t denied = 0;                   // requested bits missing
  std::vector<std::string> allow_rules;  // origins of allow rules granting requested bits
  std::vector<std::string> deny_rules;   // origins of deny rules removing requested bits
  bool owner_assumed = false;            // an owner/other rule was decided without the owner
  std::string note;                      // e.g. the link subset rule
  uint16_t allow_bits = 0;               // union of the matching allow rules (all bits, not only requested)
  uint16_t deny_bits = 0;                // union of the matching deny rules
};

class Evaluator {
 public:
  // Compiles the file, link, `file,` and `all,` rules of profile p (includes
  // inlined). Rules whose path does not expand to an absolute path are skipped
  // with a note.
  static Result<Evaluator> build(const Resolved& r, const Profile& p);
  // Adds one more rule (`origin` names it in Decision::allow_rules/deny_rules); its
  // paths are expanded with r's variables. Non-file rules are ignored.
  Status add_rule(const Rule& rule, const std::string& origin, const Resolved& r);
  Decision check(const Query& q) const;

  const std::string& profile_name() const { return name_; }
  const std::vector<std::string>& notes() const { return notes_; }
  size_t glob_count() const { return rules_.size(); }

 private:
  struct CRule {
    Glob glob;
    uint16_t perms = 0;
    bool deny = false;
    bool all_paths = false;  // bare `file,` / `all,`
    enum class Cond : uint8_t { Any, Owner, Other } cond = Cond::Any;
    std::optional<Glob> link_target;  // `-> TARGET` of a link
    bool link_subset = true;          // subset rule applies to the link permission
    std::string origin;
  };
  struct Perms {
    uint16_t allow = 0, deny = 0;
    bool owner_assumed = false;
    std::vector<const CRule*> allow_rules, deny_rules;
  };
  Perms collect(std::string_view matched, const Query& q, bool for_link) const;
  void index_one(uint32_t i);
  size_t skipped_ = 0;
  std::string skipped_example_;
  std::string name_;
  std::vector<CRule> rules_;
  // Rules by the first path component of their literal prefix ("usr" for
  // /usr/lib/**); `generic_` holds the rest (/**, /{usr,}..., bare file).
  std::map<std::string, std::vector<uint32_t>, std::less<>> by_component_;
  std::vector<uint32_t> generic_;
  std::vector<std::string> notes_;
};

// Whether the profile asks for complain mode: flags=(complain) (or mode=complain).
bool profile_complain(const Profile& p);

}  // namespace confine::apparmor
