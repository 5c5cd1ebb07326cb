// Generator: Behavior (src/behavior) -> AppArmor profile text model, the way
// aa-genprof would write it from the same observations:
//
//   GenerateOptions o;
//   o.name = "myapp";
//   o.mode = GenerateOptions::Mode::Complain;
//   CONFINE_TRY(auto f, from_behavior(b, o, &notes));
//   std::string text = format(f);   // passes apparmor_parser -Q -K
//
// What it does with the recorded paths (in this order):
//   1. Paths are canonicalised against the live file system (AppArmor mediates
//      the resolved path: /lib/x/libc.so.6 -> /usr/lib/x/libc.so.6), directories
//      get a trailing '/', /proc/<pid>|self/... becomes `owner @{PROC}/@{pid}/...`
//      (and .../task/<tid>/... `@{tid}`), /dev/std* and /dev/fd/* are dropped
//      (inherited descriptors).
//   2. Coverage is computed, not assumed: the real abstraction files under
//      `root` are parsed (resolve + flatten + expand) and matched with a small
//      AppArmor glob matcher; a path allowed by an included abstraction with
//      sufficient permissions gets no rule. abstractions/base is always included;
//      the others of kCandidateAbstractions only when they cover an observed
//      path (user-tmp only for a path the program wrote).
//   3. Directories the program created and wrote inside become `D/ rw,` +
//      `D/** rwk,`; random-looking names of created files/dirs (mktemp
//      tmp.XXXXXXXXXX, pymp-xxxx, tmpabc123, digit runs) become globs.
//   4. >= dir_collapse read-only files of one directory under /usr/lib*, /usr/share,
//      /usr/libexec become one `DIR/* r,` (mr for libraries) rule.
//   5. Executed programs get `mrix` (ix: the child stays in this profile; px would
//      need a profile per program, which confine does not write), plus their ELF
//      loader (PT_INTERP) and `#!` interpreter.
//   6. capability rules from generate::inferred_caps(); network rules per
//      (family, type) from the recorded socket()/socketpair() arguments.
// Output is deterministic (sorted, no dates). Every approximation is a note and
// a comment in the profile header.
#pragma once

#include <string>
#include <vector>

#include "apparmor/apparmor.h"
#include "behavior/behavior.h"

namespace confine::apparmor {

struct GenerateOptions {
  enum class Mode { Enforce, Complain };
  std::string name;                      // profile name (required)
  std::string attachment;                // "" = the main executable (when found), "-" = none
  Mode mode = Mode::Enforce;             // Complain -> flags=(complain)
  std::string root = "/etc/apparmor.d";  // abstractions and tunables
  size_t dir_collapse = 4;               // read-only files of one system directory -> DIR/*
  bool canonicalize = true;              // resolve symlinks/dirs against the live file system
};

Result<GenerateOptions::Mode> mode_from_name(std::string_view s);  // "enforce" | "complain"

Result<File> from_behavior(const behavior::Behavior& b, const GenerateOptions& opt,
                           std::vector<std::string>* notes);

// Same with default options and profile `name` (enforce mode).
Result<File> from_behavior(const behavior::Behavior& b, const std::string& name,
                           std::vector<std::string>* notes);

// The AppArmor glob matcher used for coverage (exposed for tests). `pattern`
// must be expanded already (no @{var}, no {a,b}); supports * ** ? [..] [^..] and
// \-escapes. A * or ** right after '/' at the end of the pattern matches at
// least one character (so `/dir/*` does not match `/dir/`), as apparmor_parser does.
bool glob_match(std::string_view pattern, std::string_view path);

// "tmp.*" for "tmp.Ab3dE6fGh1", "pymp-*" for "pymp-k2j3h4g5", "out-[0-9]*.txt" for
// "out-17.txt"; the escaped name itself when nothing looks random.
std::string temp_glob(std::string_view name);

}  // namespace confine::apparmor
