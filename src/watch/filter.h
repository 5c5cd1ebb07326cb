// Falco's condition language, compiled once to an evaluation tree (docs/watch.md).
//
//   condition := or
//   or        := and ("or" and)*
//   and       := unary ("and" unary)*
//   unary     := "not" unary | "(" or ")" | MACRO | FIELD "exists" | FIELD OP VALUE | FIELD LISTOP LIST
//   OP        := = == != < <= > >= contains icontains startswith endswith glob
//   LISTOP    := in intersects pmatch;  LIST := "(" item ("," item)* ")", an item naming a list expands to it
//
// A word with a '.' is a field (unknown fields are errors), any other word in a condition
// position is a macro (undefined macros are errors). Every error names the position in
// the rules file (line:col) through the caller's position map.
//
// Evaluation allocates nothing: fields are resolved from the Event when a comparison needs
// them. An absent field makes every comparison false (`exists` tests for it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "watch/event.h"

namespace confine::watch {

enum class FieldId : uint8_t {
  EvtType,
  EvtDir,
  EvtRes,
  EvtTime,
  EvtArg,
  EvtArgN,
  EvtRawArg,
  EvtIsOpenRead,
  EvtIsOpenWrite,
  EvtIsOpenExec,
  EvtArch,
  ProcName,
  ProcExe,
  ProcExepath,
  ProcCmdline,
  ProcArgs,
  ProcPid,
  ProcPpid,
  ProcPname,
  ProcPcmdline,
  ProcPexepath,
  ProcPisServer,
  ProcAname,
  ThreadTid,
  FdName,
  FdDirectory,
  FdFilename,
  FdTypechar,
  UserName,
  UserUid,
  ContainerId,
};
enum class VType : uint8_t { Str, Num, Bool };

struct Field {
  FieldId id = FieldId::EvtType;
  VType type = VType::Str;
  int index = -1;    // proc.aname[N], evt.arg[N]; -1: none (proc.aname: every ancestor)
  std::string arg;   // evt.arg.NAME / evt.rawarg.NAME
  std::string name;  // as written, for outputs
};

// The fields the engine knows, with a one-line description (docs, --help).
struct FieldDoc {
  std::string_view name, type, desc;
};
const std::vector<FieldDoc>& field_docs();

// "proc.aname[2]" -> Field; error text when unknown.
Result<Field> parse_field(std::string_view name);

// A field's value on an event, printed as outputs show it: "<NA>" when absent.
std::string format_field(const Field& f, const Event& e);

// Most ancestors proc.aname walks (and proc.aname[N] accepts).
inline constexpr int kMaxAncestors = 16;

enum class Op : uint8_t {
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Contains,
  IContains,
  StartsWith,
  EndsWith,
  Glob,
  In,
  Intersects,
  PMatch,
  Exists,
};

struct Node {
  enum class Kind : uint8_t { And, Or, Not, Cmp, True } kind = Kind::True;
  std::vector<Node> kids;
  // Cmp
  Field field;
  Op op = Op::Eq;
  std::string str;                // Str operand (lower-cased for icontains)
  int64_t num = 0;                // Num operand; Bool: 0/1
  std::vector<std::string> strs;  // list operand (sorted for in/intersects)
  std::vector<int64_t> nums;      // numeric list operand (sorted)
};

bool eval(const Node& n, const Event& e);

// Syscall names a condition can match (the evt.type constraints of its top-level
// conjunction); `any` when it may match every syscall.
struct TypeSet {
  bool any = true;
  std::set<std::string> names;
};
TypeSet event_types(const Node& n);

// Maps an offset in the condition text to a position in the rules file.
using PosMap = std::function<SourcePos(size_t offset)>;

// What a condition may reference: macros (their text and position map, compiled on use)
// and lists (already expanded).
struct MacroDef {
  std::string condition;
  PosMap pos;
};
struct Symbols {
  const std::map<std::string, MacroDef>* macros = nullptr;
  const std::map<std::string, std::vector<std::string>>* lists = nullptr;
};

// Compiles a condition. Errors name the file position of the offending token.
Result<Node> compile(std::string_view text, const PosMap& pos, const Symbols& syms);

// An output format: text with %field references ("%proc.name"), compiled once.
struct OutputFormat {
  struct Part {
    std::string text;  // literal, when !is_field
    bool is_field = false;
    Field field;
  };
  std::vector<Part> parts;
  std::string render(const Event& e) const;
};
Result<OutputFormat> compile_output(std::string_view text, const PosMap& pos);

}  // namespace confine::watch
