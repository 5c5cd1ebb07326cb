// Our seccomp compiler: ResolvedProfile -> classic BPF, in named stages, each
// a function with a readable intermediate form you can test and dump:
//
//   (a) build_rule_tables  ResolvedProfile -> one RuleTable per audit arch:
//                          rules merged per syscall number (entries ORed,
//                          conditions ANDed), libseccomp's x86 socketcall/ipc
//                          multiplexing, conflicts checked.        dump_rule_table()
//   (b) build_tree         RuleTables -> decision DAG (arch dispatch, binary
//                          search over syscall-number ranges, argument checks
//                          in 32-bit halves), hash-consed.          dump_tree()
//   (c) codegen            DAG -> sock_filter[] (backwards emission, JA
//                          trampolines when an offset exceeds 255).
//   (d) optimize           bytecode passes to a fixpoint: thread jumps,
//                          dedupe RETs, drop unreachable code and nops.
//
// Semantics (see docs/compiler.md): unknown arch -> bad_arch_action; on the
// x86_64 audit arch, numbers >= 0x40000000 (except -1) take bad_arch_action
// unless X32 is listed (and numbers below it unless X86_64 is listed), as
// libseccomp does; an unconditional rule decides its syscall; 32-bit arches
// compare the low 32 bits of arguments (libseccomp). Rules whose action equals
// the default action are dropped (runc does the same).
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "seccomp/resolve.h"

namespace confine::seccomp {

struct CompileOptions {
  // Action for a seccomp_data.arch not in the profile (libseccomp's "bad arch action").
  Action bad_arch_action = {ActionKind::KillProcess, 0};
  // Run the bytecode optimisation passes.
  bool optimize = true;
  // Add socketcall/ipc multiplexer rules on x86 for the socket and SysV IPC syscalls' rules.
  bool multiplexers = true;
  // How an argument-filtered socket/IPC rule reaches socketcall/ipc on x86, whose real arguments
  // sit behind a pointer. false (default, fail-closed): a rule less strict than the default action
  // is not carried over, a stricter one applies to every call of that number. true
  // (`--compat libseccomp`): libseccomp's behaviour, a call-number-only (so unconditional) rule.
  bool libseccomp_compat = false;
};

struct ArchStats {
  Arch arch;
  std::string name;  // "x86_64+x32" when arches share an audit arch
  size_t syscalls_allowed = 0;
  size_t syscalls_conditional = 0;
  size_t syscalls_other = 0;
};

struct CompileStats {
  size_t instructions = 0;
  size_t syscalls_allowed = 0;      // unconditional ALLOW
  size_t syscalls_conditional = 0;  // with argument checks
  size_t syscalls_other = 0;        // unconditional non-ALLOW actions
  size_t instructions_unoptimized = 0;
  size_t tree_nodes = 0;             // nodes of the hash-consed decision DAG
  size_t pass_rounds = 0;            // optimisation rounds until the fixpoint
  size_t trampolines = 0;            // JA instructions inserted for long jumps
  size_t rules_dropped_default = 0;  // rules whose action equals the default action
  size_t rules_shadowed = 0;         // conditional rules overridden by an unconditional one
  std::vector<ArchStats> per_arch;
};

struct Program {
  std::vector<sock_filter> insns;
  CompileStats stats;
  std::vector<std::string> notes;  // non-fatal remarks (shadowed rules, ...)
};

Result<Program> compile(const ResolvedProfile& rp, const CompileOptions& opts = {});

// ---- (a) rule table --------------------------------------------------------

struct RuleEntry {             // one source rule after resolution
  std::vector<ArgCond> conds;  // ANDed, non-empty
  Action action;
  SourcePos pos;
  std::string origin;  // "socket" for a multiplexed socketcall rule, else the syscall name
};

struct SyscallRules {
  std::string name;
  uint8_t bits = 64;                    // argument width compared (x32 rules: 32 inside the x86_64 table)
  std::optional<Action> unconditional;  // decides the syscall when set
  SourcePos unconditional_pos;
  std::vector<RuleEntry> entries;  // conditional entries (ignored when unconditional is set)
};

struct RuleTable {
  uint32_t audit_arch = 0;
  std::vector<Arch> arches;  // X86_64 and/or X32 share one audit arch
  uint8_t bits = 64;         // argument width compared
  bool little_endian = true;
  std::map<uint32_t, SyscallRules> syscalls;  // by seccomp_data.nr (as unsigned)
  // Number ranges [first, last] that take bad_arch_action (x32 bit closed).
  std::vector<std::pair<uint32_t, uint32_t>> bad_arch_ranges;
};

struct RuleTables {
  Action default_action;
  Action bad_arch_action;
  std::vector<RuleTable> tables;
  size_t dropped_default = 0, shadowed = 0;
  std::vector<std::string> notes;
};

Result<RuleTables> build_rule_tables(const ResolvedProfile& rp, const CompileOptions& opts = {});
// One warning per argument-filtered socket/IPC rule of the x86 table: what it does through
// socketcall/ipc under opts (`seccomp check` and `seccomp compile` print them).
std::vector<Warning> x86_multiplexer_remarks(const ResolvedProfile& rp, const CompileOptions& opts = {});
std::string dump_rule_tables(const RuleTables& t);

// Whether some argument vector satisfies both ANDed condition lists
// (compared on `bits` bits). Exposed for tests.
bool conds_overlap(std::span<const ArgCond> a, std::span<const ArgCond> b, uint8_t bits);

// ---- (b) decision tree -----------------------------------------------------

enum class NodeKind : uint8_t { Ret, Load, And, Jump };
enum class JumpOp : uint8_t { Jeq, Jgt, Jge, Jset };

struct Node {
  NodeKind kind = NodeKind::Ret;
  JumpOp op = JumpOp::Jeq;
  uint32_t k = 0;     // Ret: action; Load: seccomp_data offset; And/Jump: constant
  uint32_t next = 0;  // Load/And: successor; Jump: true branch
  uint32_t jf = 0;    // Jump: false branch
  bool operator==(const Node&) const = default;
};

struct Tree {
  std::vector<Node> nodes;  // children always have smaller indices than parents
  uint32_t root = 0;
};

Result<Tree> build_tree(const RuleTables& t);
std::string dump_tree(const Tree& t);

// ---- (c) codegen -----------------------------------------------------------

struct CodegenStats {
  size_t trampolines = 0;
};
std::vector<sock_filter> codegen(const Tree& t, CodegenStats* stats = nullptr);

// ---- (d) bytecode passes ---------------------------------------------------

// Each pass is lossless and returns whether it changed the program.
bool pass_thread_jumps(std::vector<sock_filter>& p);
bool pass_dedupe_returns(std::vector<sock_filter>& p);
bool pass_remove_dead(std::vector<sock_filter>& p);
// Runs the passes until nothing changes; returns the number of rounds.
size_t optimize(std::vector<sock_filter>& p);

inline constexpr size_t kMaxInstructions = 4096;  // BPF_MAXINSNS

}  // namespace confine::seccomp
