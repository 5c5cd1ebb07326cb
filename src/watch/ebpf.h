// The eBPF source of `confine watch --cgroup PATH | --all` (docs/watch.md "The eBPF source"):
// src/ebpf/watch.bpf.c sends an event per call of the syscalls the rules (and the deviation
// profile) need, with the strings the fields read, and the return value at sys_exit; this
// turns them into watch::Events (the same type the unotify source fills), keeps the process
// table from exec/fork/exit events (and /proc for processes that started before), and runs
// the rules. Nothing waits for us: what the ring buffer cannot hold is dropped by the kernel,
// counted and reported (a note as it happens, and in the summary).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "core/error.h"
#include "watch/event.h"
#include "watch/live.h"
#include "watch/rules.h"

namespace confine::watch {

struct EbpfWatchOptions {
  std::string cgroup;  // --cgroup PATH (a directory under the cgroup2 mount, or a path below it); "": --all
  // The rules: called once at the start and again at each SIGHUP (an error then keeps the old ones).
  std::function<Result<std::unique_ptr<RuleSet>>()> loader;
  const Baseline* baseline = nullptr;  // deviation mode
  bool json = false;
  std::function<void(const std::string&)> emit;  // each alert line
  std::function<void(const std::string&)> note;  // progress, reloads, drops (stderr)
  std::function<void(const Event&)> capture;     // --save-events
  size_t ring_bytes = size_t{32} << 20;
  uint64_t duration_ms = 0;  // 0: until SIGINT/SIGTERM
};

struct EbpfWatchResult {
  WatchStats stats;
  std::string scope;       // "cgroup /a/b" or "all"
  uint64_t events = 0;     // kernel events read
  uint64_t lost = 0;       // dropped by the kernel (ring buffer full)
  uint64_t lost_exit = 0;  // ... of them exit events: those calls were evaluated without evt.res
  uint64_t lost_proc = 0;  // ... of them exec/fork/exit: proc.* fields read from /proc instead
  uint64_t no_exit = 0;    // calls evaluated without evt.res (no exit seen: the task died in it)
  int stop_signal = 0;
};

// Runs until SIGINT/SIGTERM (or duration_ms); SIGHUP reloads the rules.
Result<EbpfWatchResult> watch_ebpf(const EbpfWatchOptions& o);

// The conversion of the program's events into watch::Events and their evaluation, apart from
// the kernel (fuzz/watch_ebpf_fuzz.cc feeds it arbitrary bytes).
class EbpfEvents {
 public:
  EbpfEvents(const RuleSet* rules, const Baseline* baseline, bool json,
             std::function<void(const std::string&)> emit);
  // One event of the ring buffer (a struct of ebpf/watch_abi.h).
  void on_event(const void* data, size_t size);
  // Evaluates every call still waiting for its exit (at the end).
  void flush();
  void set_rules(const RuleSet* r) { rules_ = r; }
  void set_capture(std::function<void(const Event&)> f) { capture_ = std::move(f); }
  // The cgroup2 mount: container.id of a task gone from /proc before its first event was read
  // comes from its cgroup's path, found by the cgroup id (the directory's inode) below it.
  void set_cgroup_root(std::string dir) { cgroup_root_ = std::move(dir); }
  const WatchStats& stats() const { return stats_; }
  uint64_t no_exit() const { return no_exit_; }
  // Whether the source should send a syscall of this name (rules, deviation profile, capture).
  bool wants(Arch arch, std::string_view name) const;

 private:
  struct Pending {
    Event ev;
    pid_t pid = 0;
    bool partial = false;
  };
  void enter(const void* data);
  void evaluate(Pending& p);
  void finish_tid(pid_t tid);
  ProcInfo* proc_for(const void* hdr);
  std::string container_of(uint64_t cgroup_id, pid_t pid);

  const RuleSet* rules_;
  const Baseline* base_;
  bool json_;
  std::function<void(const std::string&)> emit_;
  std::function<void(const Event&)> capture_;
  ProcTable procs_;
  std::unordered_map<pid_t, Pending> pending_;
  std::deque<pid_t> dead_;
  std::unordered_map<uint64_t, std::string> containers_;
  std::string cgroup_root_;
  // Whether a process shares this one's mount namespace (links are followed only then: /proc's
  // view of a container's root is not its files). Per pid, forgotten at exec and exit.
  bool same_mounts(pid_t pid);
  std::unordered_map<pid_t, bool> same_mnt_;
  std::string self_mnt_;
  uint64_t last_scan_ns_ = 0;
  std::set<std::string> deviations_seen_;
  std::string hostname_;
  int64_t boot_to_real_ns_ = 0;
  WatchStats stats_;
  uint64_t no_exit_ = 0;
  Rule deviation_rule_;
};

}  // namespace confine::watch
