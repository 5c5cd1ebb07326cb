// Failed-syscall counts of a process tree, by (arch, syscall, errno), from the
// kernel's raw_syscalls:sys_exit tracepoint through perf_event_open -- no
// eBPF, no ptrace. The unotify recorder answers CONTINUE and never sees a
// return value; this sampler supplies the "errors" column beside it.
//
// How: one tracepoint event per online CPU (pid = task, cpu = N, inherit = 1,
// so every thread and child the task creates afterwards is covered and their
// samples land in the parent event's ring buffer of that CPU), sample_period 1,
// PERF_SAMPLE_TID | PERF_SAMPLE_RAW | PERF_SAMPLE_REGS_USER (cx, ip). A kernel
// ftrace filter "ret < 0 && ret >= -4095" (PERF_EVENT_IOC_SET_FILTER) drops
// successful syscalls before a sample is written, so only failures cost.
//
// Arch attribution: the sample's regs ABI is PERF_SAMPLE_REGS_ABI_32 for a task
// in 32-bit mode (i386 binary) -> X86. A 64-bit task that enters through
// `int $0x80` makes an i386 syscall (i386 numbers; seccomp reports
// AUDIT_ARCH_I386) but perf reports ABI_64 (it looks at the code segment);
// such a task is told apart by its registers: the `syscall` instruction puts
// the return address in rcx, so pt_regs cx == ip for every 64-bit syscall,
// and cx (the i386 2nd argument) != ip after `int $0x80`. ABI_64 with the
// x32 bit 0x40000000 in the number -> X32 (number kept with the bit, as the
// recorder sees it).
//
// Not counted: sys_exit with id == -1. restore_sigcontext() sets orig_ax = -1,
// so rt_sigreturn/sigreturn show up as "syscall -1" whose "return value" is
// the restored rax of the interrupted code (often a small negative number) --
// not a failure. A literal syscall(-1) is skipped with them.
// Counted as is: the kernel-internal restart codes 512..516 (ERESTARTSYS,
// ERESTARTNOINTR, ERESTARTNOHAND, ENOIOCTLCMD, ERESTART_RESTARTBLOCK) that an
// interrupted syscall returns before signal delivery turns them into EINTR or
// a transparent restart; strace shows and counts them the same way (the
// tracepoint runs before that decision). error_name() names them.
//
// Needs CAP_PERFMON (or CAP_SYS_ADMIN) or kernel.perf_event_paranoid <= -1
// (PERF_SAMPLE_RAW of a tracepoint), and the tracepoint id from tracefs: read
// from /sys/kernel/tracing or /sys/kernel/debug/tracing when mounted, else
// (CAP_SYS_ADMIN) from a detached tracefs mount (fsopen/fsmount: attached
// nowhere, gone when the fd closes, so the host's mounts never change).
#pragma once

#include <sys/types.h>

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "record/perf_ring.h"
#include "syscalls/arch.h"

namespace confine::record {

// Counts failed syscalls (return value in [-4095, -1]) of one task and every
// task it creates afterwards. See the file comment.
class ErrorSampler {
 public:
  // `pid` must not have created threads/children yet (inherit only covers
  // tasks created after the event), e.g. a forked child blocked on a pipe.
  // Errors name the syscall and errno and are fit to print as-is, e.g.
  // "perf_event_open(raw_syscalls:sys_exit): EACCES (needs CAP_PERFMON or
  // kernel.perf_event_paranoid <= -1; now 2)".
  static Result<std::unique_ptr<ErrorSampler>> open(pid_t pid);
  ~ErrorSampler();
  ErrorSampler(const ErrorSampler&) = delete;
  ErrorSampler& operator=(const ErrorSampler&) = delete;

  // fds to poll for POLLIN (a ring buffer past its wakeup watermark, half
  // full; below it nothing wakes you: drain on a timer and at the end too).
  // They report POLLHUP for good once every task of the tree has exited
  // (measured: not when the first task exits while a child lives on), so a
  // poll loop must stop polling them then, or it spins.
  std::vector<int> fds() const;
  // Reads every available sample; cheap when there are none. One thread drains.
  void drain();

  struct Key {
    Arch arch;
    int32_t nr;  // as the recorder sees it (x32 with bit 0x40000000)
    int err;     // positive errno (512..516 are the kernel's restart codes)
    auto operator<=>(const Key&) const = default;
  };
  const std::map<Key, uint64_t>& counts() const { return counts_; }
  uint64_t lost() const { return lost_; }  // samples the kernel dropped: counts are a lower bound
  uint64_t samples() const { return samples_; }

 private:
  ErrorSampler() = default;
  void handle_record(const uint8_t* rec, size_t size);

  std::unique_ptr<perf::TracepointRings> rings_;
  uint32_t id_off_ = 0, ret_off_ = 0;
  std::map<Key, uint64_t> counts_;
  uint64_t lost_ = 0;
  uint64_t samples_ = 0;
};

// "ENOENT"; the restart codes as "ERESTARTSYS" etc. (errno_name gives "E512").
std::string error_name(int err);

namespace detail {
// What the sampler needs from events/raw_syscalls/sys_exit/format.
struct SysExitFormat {
  uint64_t id = 0;       // "ID: 442"
  uint32_t id_off = 0;   // offset of `long id` in the raw record
  uint32_t ret_off = 0;  // offset of `long ret`
  // sys_enter only: offset of `unsigned long args[6]` (kNoArgs: none)
  static constexpr uint32_t kNoArgs = 0xffffffffu;
  uint32_t args_off = kNoArgs;
};
// One ring-buffer record, as laid out for the sampler's sample_type.
struct Decoded {
  enum Kind { kOther, kSample, kLost } kind = kOther;
  int64_t id = 0, ret = 0;  // sys_exit fields (kSample)
  uint64_t abi = 0;         // PERF_SAMPLE_REGS_ABI_*
  bool have_regs = false;
  uint64_t cx = 0, ip = 0;  // user registers at the syscall
  uint64_t lost = 0;        // kLost
  bool have_args = false;   // args_off given and inside the record
  uint64_t args[6] = {};    // sys_enter's arguments (i386: zero-extended)
};
// Never reads outside [rec, rec + size); malformed records decode as kOther.
// args_off: the sys_enter `args` offset, or SysExitFormat::kNoArgs.
Decoded decode_record(const uint8_t* rec, size_t size, uint32_t id_off, uint32_t ret_off,
                      uint32_t args_off = SysExitFormat::kNoArgs);
// The counted key of a sample, or nullopt (not a failure, or sigreturn).
std::optional<ErrorSampler::Key> classify(const Decoded& d);
// Parses the tracefs format text; both fields must be 8-byte signed.
Result<SysExitFormat> parse_sys_exit_format(std::string_view text);
// The same for events/raw_syscalls/sys_enter/format: `long id` (ret_off = 0)
// and, when present, `unsigned long args[6]` (48 bytes; else args_off = kNoArgs).
Result<SysExitFormat> parse_sys_enter_format(std::string_view text);
// (arch, nr) of a sys_enter or sys_exit sample (see the file comment):
// ABI_32 or a 64-bit task whose cx != ip (int $0x80) -> X86; else X32 when
// the number has the x32 bit, else X86_64. The number is kept as is.
std::pair<Arch, int32_t> attribute(const Decoded& d);
// Reads and parses it (mounted tracefs, else a detached mount); cached per process.
Result<SysExitFormat> sys_exit_format();
// Same, without the cache and without looking at mounted tracefs: the
// detached-mount path (tests).
Result<SysExitFormat> sys_exit_format_detached();
}  // namespace detail

}  // namespace confine::record
