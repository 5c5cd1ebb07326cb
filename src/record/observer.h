// A hook into the recorder for other consumers of its syscall stream (`confine watch`,
// docs/watch.md): RecordOptions::observer. The recorder is an observer of the one
// supervisor loop (supervise::Supervisor, supervise/loop.h) and hands a CallObserver each
// call it wants, decoded (record::decode) and with the live task's memory: from its
// on_call, before the loop answers CONTINUE (the task waits meanwhile, so the observer
// reads what it needs from the task, e.g. execve's argv, and defers the rest to
// settle()); then the loop checks that the notification is still valid (the task may
// have died and its pid been reused while it was read) and the recorder calls settle()
// with the answer already sent. This is the loop's Observer interface (supervise::Observer)
// plus the recorder's decoding, which a consumer would otherwise repeat. Nothing is ever
// denied: the observer only watches.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

#include "record/decode.h"
#include "syscalls/arch.h"

namespace confine::record {

struct ObservedCall {
  Arch arch = Arch::X86_64;
  int32_t nr = -1;
  std::string_view name;  // "" when the number has no name
  pid_t tid = 0;
  const uint64_t* args = nullptr;  // the six raw arguments
  const Decoded* decoded = nullptr;
  MemReader* mem = nullptr;  // the live task (valid during on_call only)
};

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  // Asked once per (arch, syscall number): whether its calls go to on_call. Calls no
  // observer wants stay on the loop's hot path (a counter increment).
  virtual bool wants(Arch arch, std::string_view name) = 0;
  // Before the answer (the task is blocked in the syscall): gather, quickly.
  virtual void on_call(const ObservedCall& c) = 0;
  // After the answer: valid = the notification was still live after on_call's reads.
  virtual void settle(bool valid) = 0;
  // A process of the tree was reaped: its pid may be reused (called by the loop's thread).
  virtual void forget(pid_t pid) = 0;
};

}  // namespace confine::record
