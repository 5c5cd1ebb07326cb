// `confine k8s agent`: the node side of a bundle (docs/kubernetes.md).
//
// One pass (apply):
//   1. find the parts: --profiles DIR is one ConfigMap volume (it holds ..data) or a
//      directory whose sub-directories are the volumes (one per ConfigMap of the bundle);
//   2. read each through one resolved ..data snapshot (snapshot.h) and parse its bundle.json;
//      the bundle is complete when every part 1..N of one bundle hash is there;
//   3. validate every profile: its files' sha256, the content hash in its name, the seccomp
//      parser (JSON, unknown syscalls, OCI form), the AppArmor parser (exactly the profile
//      name the manifest states), the mode; a bad profile is reported, the others go on;
//   4. install seccomp profiles to KUBELET_ROOT/seccomp/confine/NAME-H.json through the safe
//      writer (temp, fsync, rename, fsync of the directory); load AppArmor profiles with
//      apparmor_parser -r where the host has AppArmor and --apparmor is given;
//   5. remove installed files the complete bundle no longer lists when no container uses
//      them (runtime.h); when in doubt, keep them and say why;
//   5b. collect the would-be denials of the complain-mode profiles (collect.h);
//   6. write STATE/status.json: ready (every profile of the complete bundle installed),
//      the node labels the DaemonSet sets, every profile's state, rejected entries.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/error.h"
#include "json/json.h"
#include "k8s/collect.h"
#include "k8s/label.h"

namespace confine::k8s {

struct AgentOptions {
  std::string profiles;      // --profiles
  std::string kubelet_root;  // --kubelet-root
  std::string state;         // --state (default KUBELET_ROOT/confine-agent)
  bool apparmor = false;     // --apparmor: load AppArmor profiles where the host has AppArmor
  std::vector<std::string> runtime_roots;
  // A dropped file no container uses is removed only after it has been seen unused for this
  // long (a container that exited and was deleted while its pod waits to restart it is not in
  // the runtime's state; the kubelet recreates it from the same profile name).
  unsigned grace_s = 300;
  std::string apparmor_parser;  // "" = search PATH, /usr/sbin, /sbin
  std::string apparmor_fs = "/sys/kernel/security/apparmor";
  std::string apparmor_enabled = "/sys/module/apparmor/parameters/enabled";
  // Rollout: the would-be denials of the bundle's complain-mode profiles (collect.h).
  std::string kmsg = "/dev/kmsg";
  uint64_t collect_max = 1u << 20;  // --collect-max: bytes per collection file before rotation
  // --node: publish the labels on this node (the one API write; label.h). Empty: status only.
  LabelTarget label{"", "", kDefaultCredentials, ""};
};

struct ApplyResult {
  bool ready = false;
  json::Value status;
  std::vector<ComplainProfile> complain;  // installed complain-mode profiles (collected)
};

// The installed directory and the status file's default place.
std::string install_dir(const std::string& kubelet_root);
std::string default_state_dir(const std::string& kubelet_root);
inline constexpr const char* kStatusFile = "status.json";

// One pass. Errors only for what stops the agent from working at all (the install
// directory or the state directory cannot be written); everything else is in the status.
Result<ApplyResult> apply(const AgentOptions& o);

// Watches --profiles (inotify on it and its sub-directories) and rescans every
// `interval_s` seconds; applies on every change. Returns on SIGTERM/SIGINT.
Status watch(const AgentOptions& o, unsigned interval_s);

// Host AppArmor: "enabled" with the evidence, or "" when absent.
std::string host_apparmor(const AgentOptions& o);

// The kernel's loaded AppArmor profiles (APPARMOR_FS/profiles, "NAME (MODE)" a line): name -> mode.
std::map<std::string, std::string> kernel_profiles(const std::string& apparmor_fs);

// Test hook: CONFINE_K8S_AGENT_STOP_AT=N makes the agent SIGKILL itself before its N-th
// change to the file system (write or unlink), so tests can stop it at every step.
void mutation_step(const char* what);

}  // namespace confine::k8s
