// Shared by `confine record` and `confine harden` (src/cli/record.cc, harden.cc).
#pragma once

#include <array>
#include <iterator>
#include <string>
#include <vector>

#include "behavior/behavior.h"
#include "cli/args.h"
#include "generate/generate.h"
#include "record/recorder.h"

namespace confine::cli {

struct RecordSetup {
  std::string dir;   // what -o named (for names and messages)
  std::string work;  // where the files are written now: out.work()
  // The output set: written into a fresh sibling directory, switched in as one
  // by out.commit(); without a commit DIR is left as it was.
  file::OutputDir out;
  generate::SeccompOptions gen;
  record::RecordOptions rec;
  // DIR/apparmor.profile: written unless --apparmor-mode off; "complain" adds flags=(complain).
  std::string apparmor_mode = "enforce";
  // --tightness default: the path rows of apparmor::path_generalisation_table(); strict: exact paths.
  bool apparmor_generalise = true;
};

// The options record and harden share (record_setup reads them).
inline constexpr OptSpec kRecordCommonOpts[] = {
    {"args", 0, true, "MODE", "argument rules: none, sensitive (default), strict"},
    {"errno", 0, true, "NAME", "errno for unrecorded syscalls: EPERM (default) or ENOSYS"},
    {"tightness", 0, true, "LEVEL",
     "default (the generalisation table, docs/generalisation.md: syscall families and slow paths other "
     "inputs "
     "need; AppArmor rules for the program's data directories and system read-only hierarchies) or strict "
     "(the exact trace)"},
    {"no-companions", 0, false, "", "same as --tightness strict"},
    {"target", 0, true, "WHERE",
     "seccomp.json for: host (confine run; default) or oci (runc, podman, Kubernetes: adds the syscalls the "
     "runtime's init makes after loading the filter)"},
    {"apparmor-mode", 0, true, "MODE",
     "DIR/apparmor.profile: enforce (default), complain (flags=(complain)) or off (not written)"},
    {"main-only", 0, false, "", "stop recording when the main process exits (default: the last descendant)"},
    {"pin", 0, false, "", "pin the supervisor and the command to one CPU (the command then sees one CPU)"},
    {"no-pin", 0, false, "", "let the scheduler place them (default)"},
    {"backend", 0, true, "NAME",
     "auto (default: perf when permitted, else unotify), unotify (a notification per syscall) or perf (root: "
     "perf counts every syscall, only decoded ones are notified) or ebpf (root: an eBPF program counts and "
     "decodes, nothing waits; the command runs in its own cgroup v2); env CONFINE_RECORD_BACKEND"},
};

// A verb's own options followed by kRecordCommonOpts.
template <size_t N>
constexpr std::array<OptSpec, N + std::size(kRecordCommonOpts)> with_record_opts(const OptSpec (&own)[N]) {
  std::array<OptSpec, N + std::size(kRecordCommonOpts)> out{};
  size_t k = 0;
  for (const auto& o : own) out[k++] = o;
  for (const auto& o : kRecordCommonOpts) out[k++] = o;
  return out;
}
// Reads -o/--args/--errno/--pin/--no-pin/--main-only and the command; prepares
// the output set (DIR's parents created, a fresh sibling work directory) so an
// unwritable DIR is an error before anything runs.
Result<RecordSetup> record_setup(const Args& a);
// The names record and harden write into DIR (an existing DIR holding anything
// else is not replaced).
bool is_output_name(std::string_view name);
// DIR/behavior.json, DIR/seccomp.json, DIR/securityContext.yaml and (unless
// s.apparmor_mode is "off") DIR/apparmor.profile; notes from the AppArmor
// generator go to *notes. Written into s.work.
Status write_outputs(const RecordSetup& s, const behavior::Behavior& b,
                     std::vector<std::string>* notes = nullptr);
// Prints write_outputs' notes as warnings: summaries in full, per-path
// details ("... no rule for PATH ...") only as a count (they are in the files).
void print_notes(const std::vector<std::string>& notes);
// The file names write_outputs writes, for messages: "{seccomp.json,...}".
std::string output_names(const RecordSetup& s);

}  // namespace confine::cli
