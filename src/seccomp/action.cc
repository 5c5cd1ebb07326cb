#include "seccomp/action.h"

#include <linux/seccomp.h>

#include <cerrno>

#include "core/error.h"

namespace confine::seccomp {

uint32_t Action::ret() const {
  switch (kind) {
    case ActionKind::KillProcess: return SECCOMP_RET_KILL_PROCESS;
    case ActionKind::KillThread: return SECCOMP_RET_KILL_THREAD;
    case ActionKind::Trap: return SECCOMP_RET_TRAP | (data & SECCOMP_RET_DATA);
    case ActionKind::Errno: return SECCOMP_RET_ERRNO | (data & SECCOMP_RET_DATA);
    case ActionKind::Notify: return SECCOMP_RET_USER_NOTIF;
    case ActionKind::Trace: return SECCOMP_RET_TRACE | (data & SECCOMP_RET_DATA);
    case ActionKind::Log: return SECCOMP_RET_LOG;
    case ActionKind::Allow: return SECCOMP_RET_ALLOW;
  }
  return SECCOMP_RET_KILL_PROCESS;
}

Action Action::from_ret(uint32_t ret) {
  uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: return {ActionKind::KillProcess, 0};
    case SECCOMP_RET_KILL_THREAD: return {ActionKind::KillThread, 0};
    case SECCOMP_RET_TRAP: return {ActionKind::Trap, data};
    case SECCOMP_RET_ERRNO: return {ActionKind::Errno, data};
    case SECCOMP_RET_USER_NOTIF: return {ActionKind::Notify, 0};
    case SECCOMP_RET_TRACE: return {ActionKind::Trace, data};
    case SECCOMP_RET_LOG: return {ActionKind::Log, 0};
    case SECCOMP_RET_ALLOW: return {ActionKind::Allow, 0};
    default: return {ActionKind::KillProcess, 0};  // the kernel treats unknown actions as KILL_PROCESS
  }
}

std::string Action::str() const {
  switch (kind) {
    case ActionKind::KillProcess: return "KILL_PROCESS";
    case ActionKind::KillThread: return "KILL_THREAD";
    case ActionKind::Trap: return "TRAP";
    case ActionKind::Errno: {
      std::string n = errno_name(static_cast<int>(data));
      return "ERRNO(" + std::to_string(data) + (n[1] >= 'A' && n[1] <= 'Z' ? " " + n : "") + ")";
    }
    case ActionKind::Notify: return "NOTIFY";
    case ActionKind::Trace: return "TRACE(" + std::to_string(data) + ")";
    case ActionKind::Log: return "LOG";
    case ActionKind::Allow: return "ALLOW";
  }
  return "?";
}

std::optional<ActionKind> action_kind_from_name(std::string_view n) {
  if (n == "SCMP_ACT_KILL" || n == "SCMP_ACT_KILL_THREAD") return ActionKind::KillThread;
  if (n == "SCMP_ACT_KILL_PROCESS") return ActionKind::KillProcess;
  if (n == "SCMP_ACT_TRAP") return ActionKind::Trap;
  if (n == "SCMP_ACT_ERRNO") return ActionKind::Errno;
  if (n == "SCMP_ACT_NOTIFY") return ActionKind::Notify;
  if (n == "SCMP_ACT_TRACE") return ActionKind::Trace;
  if (n == "SCMP_ACT_LOG") return ActionKind::Log;
  if (n == "SCMP_ACT_ALLOW") return ActionKind::Allow;
  return std::nullopt;
}

std::string_view action_kind_scmp_name(ActionKind k) {
  switch (k) {
    case ActionKind::KillProcess: return "SCMP_ACT_KILL_PROCESS";
    case ActionKind::KillThread: return "SCMP_ACT_KILL_THREAD";
    case ActionKind::Trap: return "SCMP_ACT_TRAP";
    case ActionKind::Errno: return "SCMP_ACT_ERRNO";
    case ActionKind::Notify: return "SCMP_ACT_NOTIFY";
    case ActionKind::Trace: return "SCMP_ACT_TRACE";
    case ActionKind::Log: return "SCMP_ACT_LOG";
    case ActionKind::Allow: return "SCMP_ACT_ALLOW";
  }
  return "SCMP_ACT_KILL_PROCESS";
}

int action_precedence(ActionKind k) { return static_cast<int>(k); }

std::optional<CmpOp> cmp_op_from_name(std::string_view n) {
  if (n == "SCMP_CMP_NE") return CmpOp::NE;
  if (n == "SCMP_CMP_LT") return CmpOp::LT;
  if (n == "SCMP_CMP_LE") return CmpOp::LE;
  if (n == "SCMP_CMP_EQ") return CmpOp::EQ;
  if (n == "SCMP_CMP_GE") return CmpOp::GE;
  if (n == "SCMP_CMP_GT") return CmpOp::GT;
  if (n == "SCMP_CMP_MASKED_EQ") return CmpOp::MaskedEq;
  return std::nullopt;
}

std::string_view cmp_op_scmp_name(CmpOp op) {
  switch (op) {
    case CmpOp::NE: return "SCMP_CMP_NE";
    case CmpOp::LT: return "SCMP_CMP_LT";
    case CmpOp::LE: return "SCMP_CMP_LE";
    case CmpOp::EQ: return "SCMP_CMP_EQ";
    case CmpOp::GE: return "SCMP_CMP_GE";
    case CmpOp::GT: return "SCMP_CMP_GT";
    case CmpOp::MaskedEq: return "SCMP_CMP_MASKED_EQ";
  }
  return "SCMP_CMP_EQ";
}

bool cmp_matches(CmpOp op, uint64_t arg, uint64_t value, uint64_t value_two) {
  switch (op) {
    case CmpOp::NE: return arg != value;
    case CmpOp::LT: return arg < value;
    case CmpOp::LE: return arg <= value;
    case CmpOp::EQ: return arg == value;
    case CmpOp::GE: return arg >= value;
    case CmpOp::GT: return arg > value;
    // libseccomp/Docker: "value" is the mask, "valueTwo" the datum: (arg & value) == valueTwo.
    case CmpOp::MaskedEq: return (arg & value) == value_two;
  }
  return false;
}

}  // namespace confine::seccomp
