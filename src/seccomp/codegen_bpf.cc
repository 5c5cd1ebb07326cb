// Stage (c) of the compiler: decision DAG -> classic BPF.
//
// The program is emitted backwards (last instruction first) in DFS post-order,
// so every jump target is already placed and its distance is known. A
// conditional jump can only skip 255 instructions; when a target is farther, a
// `ja` trampoline (32-bit offset) is emitted right behind the jump. The false
// branch of a jump (and the successor of a load) is visited last, so it usually
// falls through with offset 0.
#include <cassert>

#include "seccomp/compiler.h"

namespace confine::seccomp {
namespace {

uint16_t jump_code(JumpOp op) {
  switch (op) {
    case JumpOp::Jeq: return BPF_JMP | BPF_JEQ | BPF_K;
    case JumpOp::Jgt: return BPF_JMP | BPF_JGT | BPF_K;
    case JumpOp::Jge: return BPF_JMP | BPF_JGE | BPF_K;
    case JumpOp::Jset: return BPF_JMP | BPF_JSET | BPF_K;
  }
  return BPF_JMP | BPF_JEQ | BPF_K;
}

}  // namespace

std::vector<sock_filter> codegen(const Tree& t, CodegenStats* stats) {
  constexpr uint32_t kUnplaced = ~0u;
  std::vector<uint32_t> at(t.nodes.size(), kUnplaced);  // index counted from the end
  std::vector<sock_filter> rev;                         // program, last instruction first
  size_t trampolines = 0;

  // Distance from the instruction about to be pushed to node n's instruction.
  auto dist = [&](uint32_t n) { return static_cast<uint32_t>(rev.size() - at[n] - 1); };
  // Pushes a JA to node n; returns its own position.
  auto push_ja = [&](uint32_t n, bool trampoline = true) {
    rev.push_back(BPF_STMT(BPF_JMP | BPF_JA, dist(n)));
    trampolines += trampoline;
    return static_cast<uint32_t>(rev.size() - 1);
  };

  auto emit = [&](uint32_t id) {
    const Node& n = t.nodes[id];
    switch (n.kind) {
      case NodeKind::Ret: rev.push_back(BPF_STMT(BPF_RET | BPF_K, n.k)); break;
      case NodeKind::Load:
      case NodeKind::And:
        if (at[n.next] != rev.size() - 1) push_ja(n.next, false);  // plain goto
        if (n.kind == NodeKind::Load)
          rev.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, n.k));
        else
          rev.push_back(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, n.k));
        break;
      case NodeKind::Jump: {
        uint32_t tpos = at[n.next], fpos = at[n.jf];
        if (dist(n.next) > 255) tpos = push_ja(n.next);
        if (static_cast<uint32_t>(rev.size() - fpos - 1) > 255) fpos = push_ja(n.jf);
        // A trampoline for jf may have pushed tpos out of range again.
        if (static_cast<uint32_t>(rev.size() - tpos - 1) > 255) tpos = push_ja(n.next);
        uint32_t jt = static_cast<uint32_t>(rev.size() - tpos - 1);
        uint32_t jf = static_cast<uint32_t>(rev.size() - fpos - 1);
        assert(jt <= 255 && jf <= 255);
        rev.push_back(BPF_JUMP(jump_code(n.op), n.k, static_cast<uint8_t>(jt), static_cast<uint8_t>(jf)));
        break;
      }
    }
    at[id] = static_cast<uint32_t>(rev.size() - 1);
  };

  // Iterative DFS post-order: children (true branch first, then false branch) before parents.
  struct Frame {
    uint32_t id;
    uint8_t state;
  };
  std::vector<Frame> stack{{t.root, 0}};
  while (!stack.empty()) {
    Frame& f = stack.back();
    const Node& n = t.nodes[f.id];
    if (at[f.id] != kUnplaced) {
      stack.pop_back();
      continue;
    }
    uint32_t child = kUnplaced;
    if (n.kind == NodeKind::Jump) {
      if (f.state == 0)
        child = n.next;
      else if (f.state == 1)
        child = n.jf;
    } else if (n.kind != NodeKind::Ret && f.state == 0) {
      child = n.next;
    }
    if (child != kUnplaced) {
      f.state++;
      if (at[child] == kUnplaced) stack.push_back({child, 0});
      continue;
    }
    uint32_t id = f.id;
    stack.pop_back();
    emit(id);
  }
  if (stats) stats->trampolines = trampolines;
  return {rev.rbegin(), rev.rend()};
}

}  // namespace confine::seccomp
