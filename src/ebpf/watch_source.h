// The eBPF source of `confine watch --cgroup PATH | --all` (watch.bpf.c, docs/watch.md
// "The eBPF source"): loads and attaches the program, sets what it sends per syscall
// (set_spec, also while attached: a SIGHUP reload takes effect at once) and hands every
// event of the ring buffer to a callback on the caller's thread (poll()). The events are
// the structs of watch_abi.h; what the ring had no room for is counted (stats()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/error.h"
#include "ebpf/watch_abi.h"
#include "syscalls/arch.h"

namespace confine::ebpf {

struct WatchSourceOptions {
  enum Mode { kCgroup = 1, kAll = 3 } mode = kCgroup;
  uint64_t cgroup_id = 0;  // kCgroup: the subtree's root (its kernfs id)
  uint32_t level = 0;      // its depth below the cgroup v2 root (>= 1)
  size_t ring_bytes = size_t{32} << 20;
};

struct WatchSourceStats {
  uint64_t events = 0;     // events read from the ring
  uint64_t lost = 0;       // events the ring had no room for (all kinds)
  uint64_t lost_exit = 0;  // ... of them exit events (evt.res unknown)
  uint64_t lost_proc = 0;  // ... of them exec/fork/exit of a process
};

class WatchSource {
 public:
  // data: one event (starts with confine_whdr), size: its size.
  using OnEvent = std::function<void(const void* data, size_t size)>;
  // Loads and attaches (nothing is sent until set_spec turns syscalls on).
  static Result<std::unique_ptr<WatchSource>> open(const WatchSourceOptions& o, OnEvent on_event);
  ~WatchSource();
  WatchSource(const WatchSource&) = delete;
  WatchSource& operator=(const WatchSource&) = delete;

  // What to send for (arch, nr) (nr as seccomp sees it, x32 with its bit).
  Status set_spec(Arch arch, int32_t nr, const confine_wspec& spec);
  // The ring buffer's epoll fd (readable when the program woke us).
  int fd() const;
  // Reads the events in the ring now (at most 65536), calling on_event for each.
  void drain();
  // Detaches the program (no more events), then drains.
  void detach();
  WatchSourceStats stats() const;
  size_t ring_bytes() const { return ring_bytes_; }

  struct Ctx {  // the ring callback's
    OnEvent* fn = nullptr;
    uint64_t* events = nullptr;
    uint64_t budget = 0;
  };

 private:
  WatchSource() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  OnEvent on_event_;
  uint64_t events_ = 0;
  size_t ring_bytes_ = 0;
};

}  // namespace confine::ebpf
