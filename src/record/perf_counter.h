// Every syscall of a process tree, counted by (arch, nr) from the kernel's
// raw_syscalls:sys_enter tracepoint through perf_event_open: the counting half
// of the recorder's perf backend (recorder.h). No eBPF, no ptrace, no context
// switch per syscall: the kernel writes a 112-byte sample into a per-CPU ring
// and a drain thread of ours folds it into a counter.
//
// Events, inheritance and arch attribution are those of the ErrorSampler
// (errors.h, perf_ring.h): one inherited event per online CPU opened on a task
// that has no threads or children yet, PERF_SAMPLE_TID | RAW | REGS_USER (cx,
// ip), no ftrace filter. Rings are large (8 MiB per CPU wanted, at most 64 MiB
// over all CPUs, halved down to 256 KiB when the mlock budget refuses) and
// woken at 1/16 full.
//
// Losses are never silent: a sample that finds its ring full is dropped by the
// kernel, but the event's count still includes it. finish() disables the
// events, drains every ring and compares: lost() = max(PERF_FORMAT_LOST,
// PERF_RECORD_LOST records, count - samples). The recorder marks a recording
// with lost() > 0 partial. CONFINE_PERF_DEBUG=1 in the environment prints
// this accounting (count, samples, lost, wake-ups) on stderr at finish().
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"
#include "record/perf_ring.h"
#include "syscalls/arch.h"

namespace confine::record {

class SyscallCounter {
 public:
  struct Options {
    size_t ring_bytes = size_t{8} << 20;        // wanted per CPU (power of two)
    size_t min_ring_bytes = size_t{256} << 10;  // smallest acceptable
    unsigned wakeup_div = 16;                   // wake the drain thread at 1/16 full
    // Decode the arguments of the decode_relevant() syscalls that decode()
    // reads from their six values alone (!decode_needs_task(): socket, clone,
    // ioctl, mmap, ...) from each sample's `args` (see args() below). The
    // recorder then need not notify them. open() fails when the tracepoint
    // has no `args` field.
    bool decode_args = false;
  };
  // What decode_args found, per (arch, nr): argument values by key, socket
  // families, and whether a task installed a seccomp filter of its own.
  struct ArgFacts {
    std::map<std::pair<Arch, int32_t>, std::map<std::string, std::set<uint64_t>>> args;
    std::set<uint64_t> families;
    bool seccomp_filter = false;
  };
  // `pid` must not have created threads or children yet. The events are
  // enabled on return; call start() to drain them from a thread.
  static Result<std::unique_ptr<SyscallCounter>> open(pid_t pid, const Options& opts);
  static Result<std::unique_ptr<SyscallCounter>> open(pid_t pid) { return open(pid, Options{}); }
  ~SyscallCounter();
  SyscallCounter(const SyscallCounter&) = delete;
  SyscallCounter& operator=(const SyscallCounter&) = delete;

  // Starts the drain thread (poll on the rings, drain at each wake-up and
  // every 100 ms). `cpus`: the thread's affinity (nullptr: inherited).
  Status start(const cpu_set_t* cpus = nullptr);
  // Disables the events, stops the drain thread, drains what is left and
  // computes lost(). Idempotent. The results below are valid after it.
  void finish();

  using Key = std::pair<Arch, int32_t>;  // nr as seccomp sees it (x32 with its bit)
  std::map<Key, uint64_t> counts() const;
  uint64_t samples() const { return samples_; }  // samples read
  uint64_t counted() const { return counted_; }  // the events' own count (every syscall)
  uint64_t lost() const { return lost_; }
  size_t ring_bytes() const { return rings_->data_bytes(); }
  uint64_t wakeups() const { return wakeups_; }
  const ArgFacts& facts() const { return facts_; }

 private:
  SyscallCounter() = default;
  void handle(const uint8_t* rec, size_t size);
  void drain_loop();

  std::unique_ptr<perf::TracepointRings> rings_;
  uint32_t id_off_ = 0;
  uint32_t args_off_ = detail_no_args();
  static constexpr uint32_t detail_no_args() { return 0xffffffffu; }
  // decode_args: per flat (arch, nr): 0 not looked up, 1 nothing to decode, 2 decode
  std::vector<uint8_t> decodable_;
  ArgFacts facts_;
  static constexpr int kFlat = 1024;
  std::vector<uint64_t> flat_ = std::vector<uint64_t>(3 * kFlat);  // X86_64, X86, X32 (bit stripped)
  std::map<Key, uint64_t> other_;
  uint64_t samples_ = 0, counted_ = 0, lost_ = 0, lost_records_ = 0, wakeups_ = 0;
  int stop_fd_ = -1;
  std::thread thread_;
  bool finished_ = false;
};

// Whether the perf backend can work here: the sys_enter tracepoint id is
// readable and perf_event_open with PERF_SAMPLE_RAW is allowed (tried on
// this process, disabled, closed at once). The error says why not.
Status perf_counter_available();
// The same, keeping the probe event open (the caller closes the fd). While it
// is open the syscall tracepoints stay registered, so every task forked
// meanwhile carries the kernel's per-task syscall-tracepoint flag from its
// first syscall on. The recorder holds it across fork until the counter is
// open: the child's execve, entered before the counter existed, then still
// reaches sys_enter when the supervisor lets it continue (the flag is read at
// syscall entry; without it that execve would be missing from the counts).
Result<int> perf_counter_hold();

}  // namespace confine::record
