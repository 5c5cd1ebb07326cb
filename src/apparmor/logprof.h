// aa-logprof without the LSM: an AppArmor profile plus logged accesses (AppArmor
// DENIED/ALLOWED audit records, confine's own complain-mode JSON lines, Landlock
// denials) -> the same profile with rules added for them.
//
//   std::vector<LogEntry> e = ...;          // src/cli/logs.cc maps logs::Event -> LogEntry
//   CONFINE_TRY(auto r, add_logged_rules(text, "my.profile", e, {}));
//   std::cout << r.diff;                     // what changed, unified-diff style
//   write_file(path, r.text);                // re-emitted through format()
//
// Per profile of the file (matched by name, attachment or parent//child):
//   - file accesses are merged per path: the requested letters (kernel masks: r w a
//     c d x m l k; c/d -> w, x -> ix) minus what the profile already allows (its
//     rules with includes resolved, globs and @{vars} evaluated) are united into an
//     existing plain rule for that exact path, else added as a new rule; letters are
//     never duplicated; a path already allowed adds nothing; an explicit `deny`
//     is respected (noted, not overridden);
//   - `capability NAME,` and `network FAMILY [TYPE],` when not already allowed.
// Entries for profiles not in the file are counted and ignored.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apparmor/apparmor.h"

namespace confine::apparmor {

struct LogEntry {
  enum class Kind { File, Capability, Network };
  Kind kind = Kind::File;
  std::string profile;  // as logged; "" = the file's only profile (Landlock records)
  std::string path;     // File: the logged name (literal), or an AppArmor pattern when `pattern`
  bool pattern = false;
  std::optional<bool> owned;  // fsuid == ouid when logged; `owner` rules count unless false
  std::string mask;           // File: requested letters as logged ("r", "wc", "x", ...)
  std::string capname;        // Capability: "net_raw"
  std::string family;         // Network: "inet", "unix", ...
  std::string sock_type;      // Network: "stream", "dgram", ... (may be empty)
  std::string origin;         // "file:line" for notes
};

struct LogprofOptions {
  ResolveOptions resolve;  // root for <...> includes
};

struct LogprofResult {
  std::string text;                // the new profile text (format() of the updated model)
  std::string diff;                // "--- a\n+++ b\n@@ profile P @@\n-old\n+new\n" ("" when nothing changed)
  std::vector<std::string> added;  // the added/changed rules, "P: rule"
  std::vector<std::string> notes;  // already allowed, other profiles, deny rules, unusable entries
  bool changed() const { return !added.empty(); }
};

Result<LogprofResult> add_logged_rules(std::string_view profile_text, const std::string& file,
                                       const std::vector<LogEntry>& entries, const LogprofOptions& opt = {});

// confine's complain-mode JSON line ({"kind":"apparmor","profile":..,"path":..,"requested":"w"}
// or with "capability"/"capname", or "family"/"sock_type"). nullopt for other JSON lines.
Result<std::optional<LogEntry>> entry_from_json_line(std::string_view line, const std::string& origin);

// Landlock blockers ("fs.write_file,fs.truncate") on `path` -> a File entry ("" profile);
// nullopt when nothing file-related is blocked.
std::optional<LogEntry> entry_from_landlock(std::string_view blockers, std::string_view path,
                                            const std::string& origin);

}  // namespace confine::apparmor
