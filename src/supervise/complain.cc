#include "supervise/complain.h"

#include <linux/seccomp.h>

#include <algorithm>
#include <cstdio>

#include "seccomp/bpf/bpf.h"

namespace confine::supervise {

namespace {
bool listed(const std::vector<std::string>& v, std::string_view name) {
  return std::find(v.begin(), v.end(), name) != v.end();
}
}  // namespace

Notification notification_of(const Call& c) {
  Notification n;
  n.id = c.id;
  n.pid = c.pid;
  n.nr = c.nr;
  n.audit_arch = c.audit_arch;
  n.ip = c.ip;
  for (int i = 0; i < 6; ++i) n.args[i] = c.args[i];
  if (c.arch_known) {
    n.arch = std::string(arch_info(c.arch).name);
  } else {
    char b[24];
    std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(c.audit_arch));
    n.arch = b;
  }
  n.name = c.name.empty() ? "nr " + std::to_string(c.nr) : std::string(c.name);
  n.comm = task_comm(c.pid);
  return n;
}

SeccompComplain::SeccompComplain(std::vector<std::string> file_syscalls,
                                 const std::vector<sock_filter>* enforce_prog, Emit emit)
    : file_(std::move(file_syscalls)), enforce_(enforce_prog), emit_(std::move(emit)) {}

bool SeccompComplain::wants(Arch, int32_t, std::string_view name) { return !listed(file_, name) || enforce_; }

bool SeccompComplain::on_call(const Call& c) {
  pending_.reset();
  if (listed(file_, c.name)) {  // also a file syscall: would the profile deny it?
    if (!enforce_) return false;
    bpf::SeccompData d;
    d.nr = c.nr;
    d.arch = c.audit_arch;
    d.instruction_pointer = c.ip;
    for (int i = 0; i < 6; ++i) d.args[i] = c.args[i];
    auto v = bpf::run(*enforce_, d);
    if (v.ok() && (v->ret & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW) return false;
  }
  pending_ = notification_of(c);
  return true;  // read /proc/PID/comm
}

void SeccompComplain::settle(bool valid) {
  if (!pending_) return;
  if (!valid) pending_->comm.clear();  // the comm may be another task's
  emit_(to_event(*pending_));
  pending_.reset();
}

FileComplain::FileComplain(std::vector<std::string> syscalls, Fn observe, pid_t workload, Emit emit)
    : syscalls_(std::move(syscalls)),
      observe_(std::move(observe)),
      workload_(workload),
      emit_(std::move(emit)) {}

bool FileComplain::wants(Arch, int32_t, std::string_view name) { return listed(syscalls_, name); }

bool FileComplain::on_call(const Call& c) {
  Notification n = notification_of(c);
  n.workload = workload_;
  pending_ = observe_(n);
  return true;  // observe read the task's memory and /proc/PID
}

void FileComplain::settle(bool valid) {
  if (valid)
    for (const auto& e : pending_) emit_(e);
  pending_.clear();
}

}  // namespace confine::supervise
