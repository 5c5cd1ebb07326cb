// The eBPF source (issue 15): a libbpf CO-RE program (record.bpf.c) on the
// syscall tracepoints that counts every syscall of one workload by (arch, nr)
// in a per-CPU array, counts failed ones by errno, and sends the memory
// arguments the recorder decodes (paths with the directory a relative one
// resolves against, sockaddrs, structs) through a ring buffer. No task ever
// waits for us: what the ring cannot hold is dropped by the kernel and counted
// (lost()), never silently.
//
// The workload is a cgroup v2 subtree (Filter::cgroup: the task's ancestor at
// the cgroup's level is the cgroup) or a set of processes followed across fork
// (Filter::tgids). Needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN) and a kernel
// with BTF (/sys/kernel/btf/vmlinux); available() says why not.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"
#include "ebpf/record_abi.h"
#include "syscalls/arch.h"

namespace confine::ebpf {

struct Filter {
  enum Mode { kCgroup = 1, kTgids = 2 } mode = kCgroup;
  uint64_t cgroup_id = 0;    // kCgroup: the subtree's root (its kernfs id)
  uint32_t level = 0;        // its depth below the cgroup v2 root (>= 1)
  std::vector<pid_t> tgids;  // kTgids: followed into their children (fork), from now on
};

struct SourceOptions {
  Filter filter;
  size_t ring_bytes = size_t{16} << 20;  // the ring buffer (a power of two >= 1 page; tests use 4096)
  bool errors = true;                    // count failed syscalls (sys_exit)
  // Non-empty: nothing is recorded before a task named gate_comm calls
  // execve/execveat (counted): runc's container init is "runc:[2:INIT]".
  std::string gate_comm;
};

// Why the source cannot work here, or ok(): the kernel's BTF, the caller's
// capabilities. Does not load anything.
Status available();

// The capture spec of a syscall name (record_abi.h; kind 0 when decode() has
// nothing to find in it). A unit test checks it against record::decode_needs_task.
confine_spec spec_for(std::string_view name);

class Source {
 public:
  using Key = std::pair<Arch, int32_t>;  // nr as seccomp sees it (x32 with its bit)
  using OnEvent = std::function<void(const confine_event&)>;
  // Loads and attaches: from its return on, the workload's syscalls are counted.
  static Result<std::unique_ptr<Source>> open(const SourceOptions& o, OnEvent on_event);
  ~Source();
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  // Starts the thread that polls the ring buffer and calls on_event.
  Status start();
  // Detaches, stops the thread, drains the ring, reads the maps. Idempotent.
  void finish();

  std::map<Key, uint64_t> counts() const { return counts_; }
  std::map<std::pair<Key, int>, uint64_t> errors() const { return errors_; }
  uint64_t lost() const { return lost_; }               // events the ring buffer had no room for
  uint64_t errors_lost() const { return err_lost_; }    // failed syscalls the errors map had no room for
  uint64_t others_lost() const { return other_lost_; }  // out-of-table syscall numbers not counted
  uint64_t events() const { return events_; }
  size_t ring_bytes() const { return ring_bytes_; }
  bool armed() const;  // the gate opened (always true without gate_comm)

 private:
  Source() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  OnEvent on_event_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  bool finished_ = false;
  std::map<Key, uint64_t> counts_;
  std::map<std::pair<Key, int>, uint64_t> errors_;
  uint64_t lost_ = 0, err_lost_ = 0, other_lost_ = 0, events_ = 0;
  size_t ring_bytes_ = 0;
};

}  // namespace confine::ebpf
