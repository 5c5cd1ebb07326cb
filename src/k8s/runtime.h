// What the container runtime on this node knows about the seccomp profiles its
// containers were created with. runc (and crun) keep one directory per container
// under their --root (runc: /run/runc for podman and CRI-O, /run/containerd/runc/<ns>
// for containerd) with a state.json: its config.labels carry the OCI annotations
// ("KEY=VALUE") and "bundle=DIR", whose config.json holds linux.seccomp as the
// runtime received it. A Localhost profile's path is named by an annotation only
// where the engine writes one (podman: io.podman.annotations.seccomp; CRI-O:
// io.kubernetes.cri-o.SeccompProfilePath); containerd inlines the content, so the
// content of config.json's linux.seccomp is compared too (canonical form).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace confine::k8s {

// The names in directory D (no "." and ".."), sorted; empty when D cannot be read.
std::vector<std::string> list_dir(const std::string& d);

// The first executable NAME in $PATH, then in `fallback` (":"-separated directories); "" if none.
std::string find_program(const std::string& name, const std::string& fallback);

inline constexpr const char* kDefaultRuntimeRoots[] = {"/run/runc", "/run/containerd/runc/k8s.io",
                                                       "/run/crun"};

struct Container {
  std::string id, root;
  std::vector<std::string> annotation_values;  // every annotation value (paths are matched against them)
  bool has_seccomp = false;
  std::string seccomp_canonical;  // format_profile() of config.json's linux.seccomp ("" = unknown)
  std::string doubt;              // why what it uses cannot be told
  std::string apparmor_profile;   // state.json config.apparmor_profile ("" = none)
  int64_t init_pid = 0;           // state.json init_process_pid (0 = unknown)
  std::string cgroup;  // the container's cgroup v2 path below /sys/fs/cgroup ("/machine.slice/...")
};

struct RuntimeScan {
  std::vector<std::string> roots_found, roots_missing;
  std::vector<Container> containers;
  std::vector<std::string> doubts;  // scan-level (unreadable roots, ...)
};

RuntimeScan scan_runtime(const std::vector<std::string>& roots);

// Canonical text of a seccomp profile ("" if it does not parse).
std::string canonical_seccomp(const std::string& text);

struct Use {
  std::vector<std::string> containers;  // "root/id" of the containers that use it
  std::string doubt;                    // non-empty: cannot tell; keep it
};

// Does any container use the profile installed at `path` (text `text`)?
// `rel` is the name a pod references (confine/NAME-H.json).
Use profile_use(const RuntimeScan& s, const std::string& path, const std::string& rel,
                const std::string& canonical);

}  // namespace confine::k8s
