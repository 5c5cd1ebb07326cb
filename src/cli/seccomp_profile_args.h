// Shared by the `confine seccomp` subcommands: PROFILE argument (path, "-" or a
// bundled name) and the resolution options --arch/--caps/--kernel.
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"
#include "seccomp/compiler.h"
#include "seccomp/profile.h"
#include "seccomp/resolve.h"

namespace confine::cli {

// PROFILE: a file path, "-" (stdin) or a bundled name such as "runtime-default"
// (compiled into the binary; seccomp::is_bundled_profile). Returns what to load.
Result<std::string> profile_path(const std::string& arg);
// Writes a formatted profile to PATH ("-" = stdout) through the safe writer. A
// PATH that is an OCI config.json (or any JSON document with linux.seccomp) is
// updated in place: only .linux.seccomp is replaced; key order, values and
// number literals of the rest are kept as read (indentation becomes json::write's
// 2 spaces, string escapes are normalised).
Status write_profile_output(const std::string& path, const std::string& formatted);
// The text write_profile_output would write to PATH (for `fmt --check`).
Result<std::string> profile_output_text(const std::string& path, const std::string& formatted);
Result<seccomp::Profile> load_profile_arg(const std::string& arg, std::vector<seccomp::Warning>* warnings);

// --arch A (primary arch; selects the archMap entry) or --arch A,B,... (exactly these arches),
// --caps LIST (comma-separated, "CAP_" optional, "all", "default" or "none"), --kernel X.Y.
inline constexpr OptSpec kArchOpt{"arch", 0, true, "ARCH[,ARCH...]",
                                  "target architecture (default: native); a list filters exactly those"};
inline constexpr OptSpec kCapsOpt{"caps", 0, true, "LIST",
                                  "capabilities the workload keeps, e.g. CAP_SYS_ADMIN,NET_RAW, all, default "
                                  "(confine run's set), none (default)"};
inline constexpr OptSpec kKernelOpt{"kernel", 0, true, "X.Y",
                                    "kernel version for minKernel (default: running kernel)"};
// --compat libseccomp: x86 socketcall/ipc exactly as libseccomp builds them (an argument-filtered
// socket/IPC rule becomes a call-number-only rule); default fail-closed (docs/compiler.md).
inline constexpr OptSpec kCompatOpt{
    "compat", 0, true, "libseccomp",
    "x86 socketcall/ipc as libseccomp does (argument-filtered socket/IPC rules widen); default: fail-closed"};
// Errors are usage errors (exit 2).
Result<seccomp::ResolveContext> resolve_context(const Args& a);
// The compile options --compat selects (on top of `base`).
Result<seccomp::CompileOptions> compat_options(const Args& a, seccomp::CompileOptions base = {});
std::string describe_context(const seccomp::ResolveContext& c);

}  // namespace confine::cli
