// Shared perf machinery of the recorder's samplers (errors.h: failed syscalls
// on raw_syscalls:sys_exit; perf_counter.h: every syscall on
// raw_syscalls:sys_enter): the tracepoint format from tracefs, and one
// inherited tracepoint event per online CPU with its mmap'ed ring buffer.
//
// The events: pid = a task that has not created threads or children yet,
// cpu = N, inherit = 1 (every task it creates afterwards is covered and writes
// into the parent event's ring of that CPU), sample_period = 1, an optional
// ftrace filter, PERF_FORMAT_LOST when the kernel has it (6.0+). Rings are
// mapped writable: we own data_tail, so the kernel never overwrites unread
// samples; it drops new ones and counts them (PERF_FORMAT_LOST, and a
// PERF_RECORD_LOST before the next sample that fits).
#pragma once

#include <linux/perf_event.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace confine::record::perf {

// Text of tracefs's events/<rel> ("raw_syscalls/sys_enter/format"): from a
// mounted tracefs (/sys/kernel/tracing, /sys/kernel/debug/tracing), else
// (CAP_SYS_ADMIN) from a detached tracefs mount that is attached nowhere.
Result<std::string> tracepoint_text(const std::string& rel);
// Only the detached-mount path (tests).
Result<std::string> tracepoint_text_detached(const std::string& rel);

// Online CPUs from /sys/devices/system/cpu/online (sysconf as a fallback).
std::vector<int> online_cpus();
// kernel.perf_event_paranoid, for messages.
std::string paranoid_now();

struct RingSpec {
  std::string event;  // "raw_syscalls:sys_enter", for messages
  uint64_t tracepoint_id = 0;
  uint64_t sample_type = 0;
  uint64_t regs_mask = 0;   // sample_regs_user
  std::string filter;       // ftrace filter; empty: none
  size_t data_pages = 128;  // wanted per CPU (power of two), halved on EPERM/ENOMEM ...
  size_t min_pages = 8;     // ... down to this
  unsigned wakeup_div = 2;  // wake pollers when a ring is 1/wakeup_div full
};

class TracepointRings {
 public:
  // Opens, maps and enables one event per online CPU on `pid`. Errors are
  // printable as-is ("perf_event_open(raw_syscalls:sys_exit): EACCES (needs
  // CAP_PERFMON or kernel.perf_event_paranoid <= -1; now 2)").
  static Result<std::unique_ptr<TracepointRings>> open(pid_t pid, const RingSpec& spec);
  ~TracepointRings();
  TracepointRings(const TracepointRings&) = delete;
  TracepointRings& operator=(const TracepointRings&) = delete;

  // One per CPU; POLLIN past the watermark, POLLHUP for good once every task
  // of the tree has exited.
  std::vector<int> fds() const;
  // Calls f(record, size) for every available record of every ring (records
  // that wrap around the ring end are copied out first). True if any ring
  // had data. One thread drains.
  template <class F>
  bool drain(F&& f) {
    bool any = false;
    for (Ring& r : rings_) any |= drain_ring(r, f);
    return any;
  }
  // Sum over CPUs of the events' {count, lost samples}; `lost` is 0 without
  // PERF_FORMAT_LOST. The count includes every event of the tree (children
  // that exited are folded in), whether its sample fitted or not.
  struct Totals {
    uint64_t count = 0, lost = 0;
    bool ok = true;  // every read() succeeded
  };
  Totals read_totals() const;
  bool lost_supported() const { return read_lost_; }
  // Stops counting and sampling (this event and the inherited ones).
  Status disable();
  size_t data_bytes() const { return data_bytes_; }  // per ring, after any fallback

 private:
  struct Ring {
    int fd = -1;
    void* base = nullptr;
    size_t map_len = 0;
  };
  TracepointRings() = default;
  template <class F>
  bool drain_ring(Ring& r, F& f);

  std::vector<Ring> rings_;
  std::vector<uint8_t> scratch_;
  bool read_lost_ = true;
  size_t data_bytes_ = 0;
  size_t page_ = 4096;
};

// Copies `len` bytes at ring offset `off` (mod size) out of the data area.
inline void ring_copy(const uint8_t* data, uint64_t size, uint64_t off, void* dst, size_t len) {
  uint64_t start = off % size;
  size_t first = static_cast<size_t>(std::min<uint64_t>(len, size - start));
  std::memcpy(dst, data + start, first);
  if (first < len) std::memcpy(static_cast<uint8_t*>(dst) + first, data, len - first);
}

template <class F>
bool TracepointRings::drain_ring(Ring& r, F& f) {
  auto* meta = static_cast<perf_event_mmap_page*>(r.base);
  uint64_t off = meta->data_offset ? meta->data_offset : page_;
  uint64_t size = meta->data_size ? meta->data_size : r.map_len - page_;
  const uint8_t* data = static_cast<const uint8_t*>(r.base) + off;
  // The kernel publishes data_head after writing the records (release); our
  // acquire load makes them visible. We alone move data_tail, and store it
  // with release once the records are consumed so the kernel may reuse them.
  uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t tail = meta->data_tail;
  if (head == tail) return false;
  while (head - tail >= sizeof(perf_event_header)) {
    perf_event_header h;
    ring_copy(data, size, tail, &h, sizeof h);
    if (h.size < sizeof h || h.size > head - tail) {  // cannot happen; never loop on garbage
      tail = head;
      break;
    }
    const uint8_t* rec;
    uint64_t start = tail % size;
    if (start + h.size <= size) {
      rec = data + start;
    } else {
      scratch_.resize(h.size);
      ring_copy(data, size, tail, scratch_.data(), h.size);
      rec = scratch_.data();
    }
    f(rec, static_cast<size_t>(h.size));
    tail += h.size;
  }
  __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
  return true;
}

}  // namespace confine::record::perf
