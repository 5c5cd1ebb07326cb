// seccomp actions and argument comparison operators, as users name them
// (SCMP_ACT_*, SCMP_CMP_*) and as the kernel encodes them (SECCOMP_RET_*).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace confine::seccomp {

enum class ActionKind : uint8_t { KillProcess, KillThread, Trap, Errno, Notify, Trace, Log, Allow };

struct Action {
  ActionKind kind = ActionKind::KillProcess;
  uint32_t data = 0;  // errno for Errno, message for Trace (16 bits)
  bool operator==(const Action&) const = default;

  uint32_t ret() const;          // SECCOMP_RET_* | data
  std::string str() const;       // "ALLOW", "ERRNO(1)", "KILL_PROCESS", "TRACE(3)"
  static Action allow() { return {ActionKind::Allow, 0}; }
  static Action errno_(uint32_t e) { return {ActionKind::Errno, e}; }
  static Action from_ret(uint32_t ret);  // inverse of ret()
};

// "SCMP_ACT_KILL" (== KILL_THREAD), "SCMP_ACT_KILL_PROCESS", ...; nullopt if unknown.
std::optional<ActionKind> action_kind_from_name(std::string_view scmp_name);
std::string_view action_kind_scmp_name(ActionKind k);  // canonical SCMP_ACT_* name
// Kernel precedence (lower = wins when several filters answer): KILL_PROCESS < KILL_THREAD < TRAP < ERRNO < USER_NOTIF < TRACE < LOG < ALLOW.
int action_precedence(ActionKind k);

enum class CmpOp : uint8_t { NE, LT, LE, EQ, GE, GT, MaskedEq };
std::optional<CmpOp> cmp_op_from_name(std::string_view scmp_name);  // "SCMP_CMP_EQ"
std::string_view cmp_op_scmp_name(CmpOp op);
// Semantics of one comparison on a 64-bit argument value (the reference every compiler stage must match).
bool cmp_matches(CmpOp op, uint64_t arg, uint64_t value, uint64_t value_two);

}  // namespace confine::seccomp
