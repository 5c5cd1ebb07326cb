// Rollout (docs/kubernetes.md "Rollout: complain, then enforce"): the agent collects the
// would-be denials of a bundle's complain-mode profiles on its node.
//
// Source: /dev/kmsg. Without auditd the kernel prints every audit record there; a seccomp
// SCMP_ACT_LOG hit is "audit: type=1326 ... pid=P comm=... exe=... syscall=N ...". The record
// names no container and no profile, and comm and exe are the task's own (a neighbour can
// name itself alike), so a record is attributed only through the kernel's view of the
// process: P's cgroup (/proc/P/cgroup, read when the record is collected) at or below the
// cgroup of a container (runc state: cgroup_paths) created with the complain profile
// (runtime.h: annotation or config.json's linux.seccomp). A record whose process has
// already exited cannot be attributed and is counted, not written ("process_exited"): in
// watch mode the agent reads /dev/kmsg as records arrive, so only processes that exit within
// that delay are lost; with --once, every process gone since the record. The agent must
// see the node's pids (DaemonSet hostPID) and read /dev/kmsg (CAP_SYSLOG).
//
// Output: STATE/complain/NAME-H.log, the attributed records as /dev/kmsg prints them (one
// a line, what `confine logs FILE --to-seccomp NAME-H.json` reads), appended through the
// safe writer's AppendFile; at --collect-max bytes it is rotated to NAME-H.log.1 (one old
// generation kept: at most twice the bound per profile). STATE/complain/kmsg.cursor holds
// the boot id and the last sequence number read: a restarted agent goes on from there
// (a record can be written twice if the agent is killed between the append and the cursor).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "json/json.h"

namespace confine::k8s {

struct ComplainProfile {
  std::string file;       // NAME-H.json (installed under the install dir)
  std::string path;       // its installed path
  std::string canonical;  // canonical_seccomp() of its text
};

struct CollectOptions {
  std::string state_dir;
  std::string kmsg = "/dev/kmsg";
  std::vector<std::string> runtime_roots;
  uint64_t max_bytes = 1u << 20;  // per file, before rotation
};

struct CollectStats {
  uint64_t records = 0;                        // new kmsg records read
  uint64_t seccomp = 0;                        // of them seccomp (type=1326)
  uint64_t process_exited = 0;                 // seccomp records whose pid was gone: not attributable
  uint64_t elsewhere = 0;                      // seccomp records of processes in no complain container
  uint64_t overwritten = 0;                    // records the kernel's ring buffer dropped before we read them
  std::map<std::string, uint64_t> attributed;  // NAME-H.json -> records appended
  std::vector<std::string> containers;         // "root/id (cgroup)" watched
  std::string error;                           // why nothing could be collected
  json::Value to_json() const;
};

std::string complain_dir(const std::string& state_dir);
// NAME-H.json -> STATE/complain/NAME-H.log
std::string collection_file(const std::string& state_dir, const std::string& profile_file);

// The sequence number of a /dev/kmsg record ("PRIO,SEQ,USEC,FLAGS;MESSAGE"), or nullopt.
std::optional<uint64_t> kmsg_seq(std::string_view record);
// The cgroup v2 path ("0::PATH" line) of a /proc/PID/cgroup text; "" when there is none.
std::string cgroup_v2_path(std::string_view proc_cgroup);
// The kernel's AppArmor profile list ("NAME (MODE)" a line): name -> mode; other lines ignored.
std::map<std::string, std::string> parse_profiles_list(std::string_view text);

// Reads the records /dev/kmsg holds past the cursor and appends each attributable seccomp
// record to its profile's file. Never fails the agent: problems are in `error`.
CollectStats collect(const std::vector<ComplainProfile>& profiles, const CollectOptions& o);

}  // namespace confine::k8s
