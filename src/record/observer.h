// An observer of the one supervisor loop (supervise::Supervisor, supervise/loop.h) that
// also gets what the recorder decoded of each call (`confine watch`, docs/watch.md):
// RecordOptions::observer. The recorder adds it to its loop after itself; the loop asks
// it once per (arch, number) whether it wants the calls (wants_call) and hands it each
// call it wants before the answer CONTINUE (the task waits meanwhile, so it reads what
// it needs from the task, e.g. execve's argv, and defers the rest to settle()), with the
// recorder's decoding of the same call (record::decode: empty when the recorder decoded
// nothing of it) and the live task's memory; then the loop checks that the notification
// is still valid (the task may have died and its pid been reused while it was read),
// answers and calls settle() and, when a task is reaped, forget() (supervise::Observer).
// Nothing is ever denied: the observer only watches.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

#include "record/decode.h"
#include "supervise/loop.h"
#include "syscalls/arch.h"

namespace confine::record {

struct ObservedCall {
  Arch arch = Arch::X86_64;
  int32_t nr = -1;
  std::string_view name;  // "" when the number has no name
  pid_t tid = 0;
  const uint64_t* args = nullptr;  // the six raw arguments
  const Decoded* decoded = nullptr;
  MemReader* mem = nullptr;  // the live task (valid during observe only)
};

// The recorder's decoding of the call it was last handed (notification id).
struct DecodedCall {
  uint64_t id = 0;
  bool set = false;
  Decoded d;
};

class CallObserver : public supervise::Observer {
 public:
  // Asked once per (arch, syscall number): whether its calls go to observe(). Calls no
  // observer wants stay on the loop's hot path (a counter increment).
  virtual bool wants_call(Arch arch, std::string_view name) = 0;
  // Before the answer (the task is blocked in the syscall): gather, quickly.
  virtual void observe(const ObservedCall& c) = 0;
  // settle(valid) after the answer and forget(pid) for a reaped task: supervise::Observer.

  // supervise::Observer, on the interface above.
  bool wants(Arch arch, int32_t, std::string_view name) final { return wants_call(arch, name); }
  bool on_call(const supervise::Call& c) final;  // recorder.cc
  // The recorder: where its decoding of the current call is.
  void set_decoded(const DecodedCall* d) { decoded_ = d; }

 private:
  const DecodedCall* decoded_ = nullptr;
};

}  // namespace confine::record
