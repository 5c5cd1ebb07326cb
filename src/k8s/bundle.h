// The bundle format (docs/kubernetes.md "Bundle format"): what `confine k8s bundle`
// writes into ConfigMaps and `confine k8s agent` reads from their volumes.
//
// Each ConfigMap (a "part") holds a manifest `bundle.json` and, per profile NAME with
// content hash H (12 lower-case hex):
//   NAME-H.json            seccomp, OCI LinuxSeccomp form (required)
//   NAME-H.apparmor        AppArmor text defining exactly the profile confine-NAME-H (optional)
//   NAME-H.behavior.json   the recorded behaviour (optional)
//
//   {"format": "confine-k8s-bundle/1", "bundle": "<12 hex>", "part": 1, "parts": 2,
//    "profiles": [{"name": "web", "hash": "<12 hex>", "mode": "enforce",
//                  "seccomp":  {"file": "web-H.json", "sha256": "<64 hex>"},
//                  "apparmor": {"file": "web-H.apparmor", "sha256": "...", "profile": "confine-web-H"},
//                  "behavior": {"file": "web-H.behavior.json", "sha256": "..."}}]}
//
// H = first 12 hex of sha256 of the profile's digest text (profile_digest_text):
//   "confine-k8s-profile/1\nmode M\nseccomp S\n[apparmor A\n][behavior B\n]"
// where S, B are the sha256 of the files and A the sha256 of the AppArmor text with
// every occurrence of H written as "000000000000" (its own name holds H).
// The bundle hash = first 12 hex of sha256 of the lines `"name" "hash" "mode"\n`
// (JSON-quoted) of every profile of every part, sorted.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace confine::k8s {

inline constexpr std::string_view kBundleFormat = "confine-k8s-bundle/1";
inline constexpr std::string_view kManifestName = "bundle.json";

struct BundleFile {
  std::string file;    // NAME-H.json, ...
  std::string sha256;  // of the file's bytes
};

struct ProfileEntry {
  size_t index = 0;              // position in "profiles"
  std::string name, hash, mode;  // as written (may be invalid when error is set)
  std::optional<BundleFile> seccomp, apparmor, behavior;
  std::string apparmor_profile;  // confine-NAME-H
  std::string error;             // the entry is unusable (reported; the others still install)
  std::string id() const { return name + "-" + hash; }
};

struct Manifest {
  std::string bundle;  // 12 hex
  unsigned part = 1, parts = 1;
  std::vector<ProfileEntry> profiles;
};

// A DNS-label-like profile name: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 50 characters.
bool valid_profile_name(std::string_view n);
bool is_hex(std::string_view s, size_t len);

// Parses bundle.json. An error in one profile entry is recorded in that entry;
// the manifest as a whole fails only when it is not a manifest.
Result<Manifest> parse_manifest(std::string_view text, std::string_view file);

// Why `text` is not the OCI LinuxSeccomp form (Docker-only keys: archMap, includes, excludes,
// name), or "" when it is.
std::string oci_form_problem(const std::string& text);

// The AppArmor text as hashed: every occurrence of `hash` written as "000000000000".
std::string normalise_apparmor(std::string text, const std::string& hash);
// First 12 hex of sha256 of the digest text; `apparmor` is the normalised text (or null).
std::string profile_hash(const std::string& mode, const std::string& seccomp, const std::string* apparmor,
                         const std::string* behavior);
std::string bundle_hash(const std::vector<const ProfileEntry*>& all);

}  // namespace confine::k8s
