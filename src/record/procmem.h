// record::MemReader on a live task: process_vm_readv for its memory,
// /proc/PID/fd/N and /proc/PID/cwd for relative paths. The caller must check
// that the seccomp notification is still valid after reading (the task may
// have died and its pid been reused). A public copy of the recorder's reader
// for other supervisors (`confine run` AppArmor complain mode).
#pragma once

#include <sys/types.h>

#include "record/decode.h"

namespace confine::record {

class ProcMemReader : public MemReader {
 public:
  explicit ProcMemReader(pid_t pid) : pid_(pid) {}
  std::optional<std::string> read_string(uint64_t addr, size_t max) override;
  std::optional<std::string> read_bytes(uint64_t addr, size_t len) override;
  std::string fd_path(int fd) override;
  std::string cwd() override;

 private:
  pid_t pid_;
};

}  // namespace confine::record
