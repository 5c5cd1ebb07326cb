// The seccomp profile as users write it: Docker profile JSON (also the
// deprecated "name" form and archMap) and OCI runtime-spec linux.seccomp
// (also a whole OCI config.json). Every element keeps its source position.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "json/json.h"
#include "seccomp/action.h"
#include "syscalls/arch.h"

namespace confine::seccomp {

struct KernelVersion {
  unsigned major = 0, minor = 0;
  auto operator<=>(const KernelVersion&) const = default;
  std::string str() const;
  static std::optional<KernelVersion> parse(std::string_view s);  // "5.8", "6.18.3" (patch ignored)
};

struct ArgCond {
  uint8_t index = 0;  // 0..5
  CmpOp op = CmpOp::EQ;
  uint64_t value = 0;
  uint64_t value_two = 0;  // mask for MaskedEq
  SourcePos pos;
  bool operator==(const ArgCond& o) const {
    return index == o.index && op == o.op && value == o.value && value_two == o.value_two;
  }
};

struct Filter {                     // includes / excludes
  std::vector<std::string> caps;    // "CAP_SYS_ADMIN"
  std::vector<std::string> arches;  // as written ("amd64", "s390x", ...)
  std::optional<KernelVersion> min_kernel;
  SourcePos pos;
};

struct SyscallRule {
  std::vector<std::string> names;
  std::vector<SourcePos> name_pos;  // parallel to names
  ActionKind action = ActionKind::Allow;
  std::optional<uint32_t> errno_ret;
  std::vector<ArgCond> args;  // ANDed
  std::string comment;
  std::optional<Filter> includes, excludes;
  SourcePos pos;
};

struct ArchMapEntry {
  Arch arch;
  std::vector<Arch> sub_arches;
  SourcePos pos;
};

struct Profile {
  std::string source;  // file name the profile came from (for messages)
  ActionKind default_action = ActionKind::Errno;
  std::optional<uint32_t> default_errno_ret;
  std::vector<Arch> architectures;  // "architectures" (Docker/OCI)
  std::vector<ArchMapEntry> arch_map;
  std::vector<std::string> flags;  // SECCOMP_FILTER_FLAG_*
  std::string listener_path, listener_metadata;
  std::vector<SyscallRule> syscalls;
  SourcePos pos;
};

struct Warning {
  SourcePos pos;
  std::string message;
  std::string str() const;  // "file:line:col: warning: message"
};

// Parses and validates (structure + semantics). Errors carry file:line:col.
// Accepts a Docker profile, an OCI linux.seccomp object, or an OCI config.json
// (linux.seccomp is extracted). Warnings (non-fatal) are appended to *warnings.
Result<Profile> parse_profile(const json::Value& doc, std::vector<Warning>* warnings = nullptr);
Result<Profile> parse_profile_text(std::string_view text, std::string_view file,
                                   std::vector<Warning>* warnings = nullptr);
// PATH: a file, "-" (stdin), or a bundled profile's name ("runtime-default",
// compiled into the binary) when no file of that name exists.
Result<Profile> load_profile(const std::string& path, std::vector<Warning>* warnings = nullptr);
// The bundled profile named `name` (nullopt if there is none by that name).
std::optional<std::string_view> bundled_profile(std::string_view name);
// True when `path` names a bundled profile (no file of that name exists).
bool is_bundled_profile(const std::string& path);
// The linux.seccomp value of an OCI config.json (or any document with it),
// for editing a profile in place; nullptr for a bare profile.
json::Value* oci_seccomp_slot(json::Value& doc);
// The text load_profile parses: the bundled profile, or the file (bounded, regular files or stdin only).
Result<std::string> read_profile_text(const std::string& path);

// Canonical Docker-format JSON (stable key order, one syscall group per rule).
json::Value profile_to_json(const Profile& p);
std::string format_profile(const Profile& p);

}  // namespace confine::seccomp
