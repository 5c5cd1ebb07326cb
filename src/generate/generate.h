// Generators: pure functions of a Behavior (plus options) -> the artefacts
// users deploy: a seccomp profile (Docker JSON, written with
// seccomp::format_profile), a Kubernetes securityContext snippet, and reports.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "behavior/behavior.h"
#include "core/error.h"
#include "seccomp/profile.h"

namespace confine::generate {

// How much of the recorded argument values becomes argument rules.
//   None:      names only.
//   Sensitive: (default) socket domains, clone without namespace flags (clone3 -> ENOSYS so libc
//              falls back to clone), unshare/setns flags and personality values, all as observed.
//   Strict:    Sensitive + ioctl requests (low 32 bits) and prctl options as observed.
enum class ArgMode { None, Sensitive, Strict };
Result<ArgMode> arg_mode_from_name(std::string_view s);  // "none" | "sensitive" | "strict"

// Where the profile will be loaded.
//   Host: `confine run` (loads it itself, last, just before exec).
//   Oci:  a container runtime (runc; Kubernetes, podman, containerd, CRI-O) that loads it
//         inside its own init and then still runs a few syscalls of its own before the
//         workload's exec: runtime_post_filter_syscalls() are added, with their source.
enum class Target { Host, Oci };
Result<Target> target_from_name(std::string_view s);  // "host" | "oci"

// The syscalls an OCI runtime's init makes after loading the workload's filter and
// before exec. Facts measured here: strace -f of runc 1.1.5 (Debian 12) from
// prctl(PR_SET_SECCOMP) to execve, no_new_privs on and off, and the Go runtime's
// work on that thread (preemption signals, scheduler, memory). `nnp_off_only` rows
// happen only when no_new_privs is off (Kubernetes' default: runc then loads the
// filter before it drops capabilities and changes identity).
struct RuntimeSyscall {
  std::string name;
  bool nnp_off_only;
  std::string why;
};
const std::vector<RuntimeSyscall>& runtime_post_filter_syscalls();

struct SeccompOptions {
  Target target = Target::Host;
  ArgMode args = ArgMode::Sensitive;
  // Errno for everything not recorded. EPERM (default, like Docker): a clear
  // "Operation not permitted" for the action the program never did. ENOSYS:
  // libc and runtimes treat it as "kernel too old" and fall back (clone3 ->
  // clone, statx -> fstatat, ...), friendlier to code paths the recording
  // missed but it hides the denial behind a fallback.
  uint32_t default_errno = 1;
  // flags: ["SECCOMP_FILTER_FLAG_LOG"]: every denial (the default ERRNO) reaches the
  // kernel audit log, which `confine logs` reads back. `confine run` keeps the profile's
  // deliberate ERRNO rules (clone3 -> ENOSYS) out of it (SeccompConfig::quiet_prog).
  bool log_denials = true;
  // Values above this many distinct observed values make the rule unconditional.
  size_t max_values = 16;
  // Also allow the timing- and size-dependent companions of recorded syscalls
  // (companion_syscalls()), in their own rule with the reasons as comment.
  bool companions = true;
};

// The generalisation table, seccomp side: syscalls one run can miss although the
// program needs them on another input. Families: the same operation through other
// entry points (read/readv/pread64, stat/statx, ...). Companions: slow paths that
// depend on timing or input size (a signal arriving, a lock contended, a child
// still running, a buffer growing, a file that existed). docs/generalisation.md.
struct Generalisation {
  enum Kind { Family, Companion } kind;
  std::vector<std::string> triggers;  // any of these recorded ...
  std::vector<std::string> needs;     // ... and all of these ...
  bool file_write;                    // ... and (if set) a file outside /dev, /proc, /sys written or created
  std::vector<std::string> adds;      // ... allows these
  std::string why;
};
const std::vector<Generalisation>& generalisation_table();
// Interpreters (python3, perl, ruby, node...; a version suffix allowed): a recording that
// executed one meets the table's "exec:interpreter" condition (the script chooses library code).
const std::vector<std::string>& interpreter_names();
bool runs_interpreter(const behavior::Behavior& b);

// For each syscall not recorded but implied by a row of the table: (name, reason).
// Sorted by name, deterministic. --tightness strict turns the table off.
std::vector<std::pair<std::string, std::string>> companion_syscalls(const behavior::Behavior& b);

seccomp::Profile seccomp_profile(const behavior::Behavior& b, const SeccompOptions& o = {});

struct SecurityContextOptions {
  std::string localhost_profile = "confine/seccomp.json";  // relative to <kubelet-root>/seccomp
  std::string container_name = "app";
};
// YAML snippet: container securityContext + volumeMounts, and the pod volumes.
std::string security_context_yaml(const behavior::Behavior& b, const SecurityContextOptions& o = {});

// Directories the program wrote to (to become emptyDir mounts with readOnlyRootFilesystem).
std::vector<std::string> writable_dirs(const behavior::Behavior& b);
// Capabilities the behavior suggests it needs ("NET_BIND_SERVICE", ...), with the reason.
std::vector<std::pair<std::string, std::string>> inferred_caps(const behavior::Behavior& b);

// "strace -c"-like table: calls, syscall (arch when not x86_64), sorted by calls.
std::string syscall_table(const behavior::Behavior& b);
// The same as JSON lines-free document: [{"syscall":..,"arch":..,"calls":..}]
std::string syscall_table_json(const behavior::Behavior& b);

// Names a profile allows (unconditionally or with argument checks) on `arch`
// for a container holding the default capabilities (core/capabilities.h).
Result<std::set<std::string>> allowed_syscalls(const seccomp::Profile& p, Arch arch);

// Syscalls dangerous enough to name when a profile removes them.
const std::set<std::string>& notable_syscalls();

struct Comparison {
  std::string name;                  // "runtime-default", "docker-default"
  size_t allowed = 0;                // names allowed by that profile (x86_64)
  std::vector<std::string> removed;  // allowed there, not in ours
  std::vector<std::string> extra;    // allowed in ours, not there
};
Comparison compare(const std::string& name, const std::set<std::string>& ours,
                   const std::set<std::string>& theirs);

}  // namespace confine::generate
