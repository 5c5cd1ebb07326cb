// Generator: Behavior (src/behavior) -> AppArmor profile text model, the way
// aa-genprof would write it from the same observations:
//
//   GenerateOptions o;
//   o.name = "myapp";
//   o.mode = GenerateOptions::Mode::Complain;
//   CONFINE_TRY(auto f, from_behavior(b, o, &notes));
//   std::string text = format(f);   // passes apparmor_parser -Q -K
//
// The profile is self-contained: no include (no tunables, no abstractions), its
// own @{pid}/@{tid} definitions when it uses them, so it is byte-identical on a
// host with or without /etc/apparmor.d. Every rule is a recorded access, or a
// row of the reviewed generalisation table (path_generalisation_table(), each
// row with its reason, named in the header when used; every widening is a note
// "generalised: RULE (row ID: ...)" that record/harden print).
// Nothing is generalised under /, /root, /home, /dev, /proc, /sys, /etc (except
// /proc/<pid>, row proc-pid): rules there name exactly the recorded paths.
//
// What it does with the recorded paths (in this order):
//   1. Paths are canonicalised against the live file system (AppArmor mediates
//      the resolved path: /lib/x/libc.so.6 -> /usr/lib/x/libc.so.6), directories
//      get a trailing '/', /proc/<pid>|self/... becomes `owner /proc/@{pid}/...`
//      (and .../task/<tid>/... `@{tid}`; row proc-pid), /dev/std* and /dev/fd/*
//      are dropped (inherited descriptors), paths that do not exist and were not
//      created are left out (failed lookups are not mediated).
//   2. Directories the program created and wrote inside become `D/ rw,` +
//      `D/** rw,` (row created-dir); random-looking names of created files/dirs
//      (mktemp tmp.XXXXXXXXXX, pymp-xxxx, tmpabc123, digit runs) become globs
//      (row temp-name).
//   3. (--tightness default) files read in a system read-only hierarchy grant the
//      hierarchy by glob (`/usr/include/** r`, rows system-*); files read or written
//      in one of the program's data directories grant DIR/* with the letters used
//      there (row data-dir), a tree it walked DIR/** r (row data-tree).
//   4. Executed programs get `mrix` (ix: the child stays in this profile; px would
//      need a profile per program, which confine does not write), plus their ELF
//      loader (PT_INTERP) and `#!` interpreter (row loader).
//   4b. A unix socket bound or a fifo made (behavior s/p) keeps its own rule, marked with
//      kTagSocket/kTagFifo; a unix socket connected to (network.connect) gets `PATH w`.
//   5. capability rules from generate::inferred_caps(); network rules per
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
  std::string name;           // profile name (required)
  std::string attachment;     // "" = the main executable (when found), "-" = none
  Mode mode = Mode::Enforce;  // Complain -> flags=(complain)
  // true (--tightness default): the hierarchy and data rows of path_generalisation_table();
  // false (--tightness strict): the exact recorded paths (only the rows kept in strict).
  bool generalise = true;
  bool canonicalize = true;  // resolve symlinks/dirs against the live file system
};

// One row of the path-side generalisation table (docs/generalisation.md, "Path
// side"; a unit test keeps the page equal to it). kind: "hierarchy" (system
// read-only trees), "data" (the program's own directories), "name" (pids and
// random names), "exec" (what an exec needs), "never" (what no row widens).
struct PathRow {
  const char* id;
  const char* kind;
  const char* grants;  // the rule it writes ("-" for never rows)
  const char* when;    // the condition on the recording (never rows: the paths)
  const char* reason;
  bool strict;  // also applied under --tightness strict (the trace cannot replay without it)
};
const std::vector<PathRow>& path_generalisation_table();

// Row cgroup-root: the same cgroup interface file at its hierarchy's root
// (/sys/fs/cgroup/memory/a/b/memory.max -> /sys/fs/cgroup/memory/memory.max,
// /sys/fs/cgroup/a/memory.max -> /sys/fs/cgroup/memory.max), or "" when PATH is not a
// file in a cgroup directory beneath a root.
std::string cgroup_root_file(std::string_view path);

// The directory rules of the data rows may never cover (see the "never" rows):
// system trees, shared directories, installed software, dot-directories.
bool data_dir_allowed(std::string_view dir);

// The generator's memoized canonicalisation (one lstat per path, from its parent's answer), in
// order over PATHS with one memo: each result must equal std::filesystem::weakly_canonical's
// (the path itself when that fails). For its unit test.
std::vector<std::string> canonical_paths(const std::vector<std::string>& paths);

Result<GenerateOptions::Mode> mode_from_name(std::string_view s);  // "enforce" | "complain"

Result<File> from_behavior(const behavior::Behavior& b, const GenerateOptions& opt,
                           std::vector<std::string>* notes);

// Same with default options and profile `name` (enforce mode).
Result<File> from_behavior(const behavior::Behavior& b, const std::string& name,
                           std::vector<std::string>* notes);

// The kind of inode the program created at a rule's path (recorded: behavior s/p), written
// by the generator into the rule's comment and read by the Landlock translation (row
// created-node): AppArmor's 'w' allows creating any kind there, Landlock grants each kind
// (make_sock, make_fifo) separately, and only the recorded kind is granted.
inline constexpr std::string_view kTagSocket = "[created: unix socket]";
inline constexpr std::string_view kTagFifo = "[created: fifo]";
// The comment of the created-dir row's rules (`D/ rw`, `D/** rw`): the translation's row
// recreate-tree applies to these only, never to a hand-written `D/** w`.
inline constexpr std::string_view kTagCreatedDir = "generalisation created-dir:";

// "tmp.*" for "tmp.Ab3dE6fGh1", "pymp-*" for "pymp-k2j3h4g5", "out-[0-9]*.txt" for
// "out-17.txt"; the escaped name itself when nothing looks random.
// `hosts`: host names a name may embed (this host's, the sandbox's "confine"): a token equal to
// one is a glob too (gpg's lock ".#lk0xADDR.HOST.PID" differs between hosts and the sandbox).
std::string temp_glob(std::string_view name, const std::vector<std::string>& hosts = {});

}  // namespace confine::apparmor
