// Seccomp facet: turns --seccomp (PROFILE.json | runtime-default | unconfined)
// into a BPF program with our compiler (parent side, before anything runs),
// and installs it as the last step before exec (child side).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "sandbox/config.h"

namespace confine::sandbox {

// Loads, resolves (for the capabilities the command keeps) and compiles the
// profile at `path`. Complain mode replaces every non-ALLOW action by NOTIFY.
// With `also_notify` (file syscalls observed for AppArmor complain mode) in
// Complain mode, those syscalls are notified unconditionally too and the
// unmodified profile is kept compiled in enforce_prog. `libseccomp_compat`: x86 socketcall/ipc
// as libseccomp builds them (seccomp::CompileOptions::libseccomp_compat; default fail-closed).
Result<SeccompConfig> prepare_seccomp(const std::string& path, SeccompMode mode, uint64_t caps_keep,
                                      std::vector<std::string>* warnings,
                                      const std::vector<std::string>& also_notify = {},
                                      bool libseccomp_compat = false);

// seccomp(SECCOMP_SET_MODE_FILTER, NEW_LISTENER, prog) (supervise::new_listener):
// the listener fd. The observation filter of FileObserveConfig is
// supervise::notify_filter (`syscalls` -> USER_NOTIF, the rest ALLOW).
Result<int> install_listener_filter(const std::vector<sock_filter>& prog);

// A filter that makes memfd_create fail with EPERM unless MFD_NOEXEC_SEAL is
// given (compiled by our compiler from a three-line profile).
Result<std::vector<sock_filter>> memfd_noexec_filter();

// seccomp(SECCOMP_SET_MODE_FILTER, TSYNC) in enforce mode; in complain mode
// with NEW_LISTENER, returning the listener fd (else -1).
Result<int> install_seccomp(const SeccompConfig& c);
std::string describe(const SeccompConfig& c);

}  // namespace confine::sandbox
