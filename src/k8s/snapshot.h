// A ConfigMap volume as the kubelet lays it out (pkg/volume/util/atomic_writer.go):
//
//   MOUNT/..2026_12_06_23_59_01.123456789/   the payload (one regular file per key)
//   MOUNT/..data -> ..2026_12_06_23_59_01.123456789
//   MOUNT/KEY -> ..data/KEY                  (the names users see)
//
// An update writes a new timestamped directory, points a new symlink ..data_tmp
// at it, renames ..data_tmp over ..data (atomic) and removes the old directory.
// read_snapshot() resolves ..data once, opens that directory (O_NOFOLLOW) and
// reads every entry through the one descriptor, so it never mixes two versions;
// if the old directory disappears under it (ENOENT) or ..data moved meanwhile,
// it reads again (bounded). The visible KEY symlinks are never followed.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace confine::k8s {

// A ConfigMap holds at most 1 MiB in total (etcd's object limit), so no value is larger.
inline constexpr size_t kMaxConfigMapValue = 1u << 20;

struct SnapshotFile {
  std::string name;
  std::string content;  // when error is empty
  std::string error;    // not a regular file, too large, unreadable: never used
};

struct Snapshot {
  std::string mount;                // the directory the ConfigMap is mounted at
  std::string target;               // what ..data pointed at ("..2026_12_06_...")
  std::vector<SnapshotFile> files;  // sorted by name
  const SnapshotFile* find(const std::string& name) const;
};

// True when DIR holds a `..data` entry (a ConfigMap/Secret/projected volume).
bool is_configmap_volume(const std::string& dir);

// Reads the payload ..data points at. max_value bounds each file (fstat before reading).
Result<Snapshot> read_snapshot(const std::string& mount, size_t max_value = kMaxConfigMapValue);

}  // namespace confine::k8s
