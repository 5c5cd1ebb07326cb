// Disassembler (bpf_asm-like syntax with seccomp annotations), C initializer
// output, raw bytes, and the names of SECCOMP_RET_* actions and audit arches.
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>

#include "seccomp/bpf/bpf.h"
#include "seccomp/bpf/opcodes.h"
#include "syscalls/arch.h"
#include "syscalls/syscalls.h"

namespace confine::bpf {

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[160];
  snprintf(buf, sizeof buf, f, args...);
  return buf;
}

std::string hex(uint32_t v) { return fmt("0x%" PRIx32, v); }

// What the accumulator holds, as far as a simple forward dataflow can tell.
struct AState {
  enum Kind : uint8_t { Unknown, Field, Masked, Const } kind = Unknown;
  uint32_t v = 0;     // seccomp_data offset for Field/Masked, value for Const
  uint32_t mask = 0;  // Masked: A = field & mask
  bool operator==(const AState&) const = default;
};

struct State {
  bool reached = false;
  AState a;
  std::optional<uint32_t> arch;  // seccomp_data.arch known on every path here
};

void merge(State& into, const State& from) {
  if (!from.reached) return;
  if (!into.reached) {
    into = from;
    return;
  }
  if (!(into.a == from.a)) into.a = AState{};
  if (into.arch != from.arch) into.arch.reset();
}

std::optional<Arch> arch_of(uint32_t audit) {
  for (const auto& ai : all_arches())
    if (ai.audit_arch == audit) return ai.arch;  // X86_64 before X32
  return std::nullopt;
}

std::string field_name(uint32_t off, std::optional<uint32_t> audit) {
  bool le = true;  // host order unless the arch says otherwise
  if (audit) {
    if (auto a = arch_of(*audit)) le = arch_info(*a).little_endian;
  }
  if (off == 0) return "nr";
  if (off == 4) return "arch";
  auto half = [&](uint32_t within) { return (within == 0) == le ? ".lo" : ".hi"; };
  if (off == 8 || off == 12) return std::string("instruction_pointer") + half(off - 8);
  if (off >= 16 && off < 64) {
    uint32_t i = (off - 16) / 8;
    return "args[" + std::to_string(i) + "]" + half((off - 16) % 8);
  }
  return "";
}

// Names syscall number k compared with `op` (JEQ/JGT/JGE) under a known arch.
std::string syscall_note(uint32_t k, std::optional<uint32_t> audit, uint16_t op) {
  if (!audit) return "";
  auto a = arch_of(*audit);
  if (!a) return "";
  if (*a == Arch::X86_64 && k == kX32SyscallBit && op != BPF_JEQ) return "X32_SYSCALL_BIT";
  const bool x32 = *a == Arch::X86_64 && (k & kX32SyscallBit);
  if (x32) a = Arch::X32;
  if (auto n = syscall_name(*a, static_cast<int32_t>(k))) return std::string(*n) + (x32 ? " (x32)" : "");
  return "";
}

std::string jump_operand(const sock_filter& f) {
  return BPF_SRC(f.code) == BPF_X ? std::string("x") : "#" + hex(f.k);
}

std::string alu_name(uint16_t code) { return std::string(op::mnemonic(code)); }

}  // namespace

std::string_view audit_arch_name(uint32_t audit) {
  switch (audit) {
    case AUDIT_ARCH_X86_64: return "AUDIT_ARCH_X86_64";
    case AUDIT_ARCH_I386: return "AUDIT_ARCH_I386";
    case AUDIT_ARCH_AARCH64: return "AUDIT_ARCH_AARCH64";
    case AUDIT_ARCH_ARM: return "AUDIT_ARCH_ARM";
    case AUDIT_ARCH_RISCV64: return "AUDIT_ARCH_RISCV64";
    case AUDIT_ARCH_S390X: return "AUDIT_ARCH_S390X";
    case AUDIT_ARCH_S390: return "AUDIT_ARCH_S390";
    case AUDIT_ARCH_PPC64LE: return "AUDIT_ARCH_PPC64LE";
    case AUDIT_ARCH_PPC64: return "AUDIT_ARCH_PPC64";
    case AUDIT_ARCH_PPC: return "AUDIT_ARCH_PPC";
    case 0xc0000102u: return "AUDIT_ARCH_LOONGARCH64";
    case AUDIT_ARCH_MIPS: return "AUDIT_ARCH_MIPS";
    case AUDIT_ARCH_MIPSEL: return "AUDIT_ARCH_MIPSEL";
    case AUDIT_ARCH_MIPS64: return "AUDIT_ARCH_MIPS64";
    case AUDIT_ARCH_MIPSEL64: return "AUDIT_ARCH_MIPSEL64";
    case AUDIT_ARCH_MIPS64N32: return "AUDIT_ARCH_MIPS64N32";
    case AUDIT_ARCH_MIPSEL64N32: return "AUDIT_ARCH_MIPSEL64N32";
  }
  return "";
}

std::string ret_str(uint32_t ret) {
  const uint32_t data = ret & SECCOMP_RET_DATA;
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: return data ? fmt("KILL_PROCESS(%u)", data) : "KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD: return data ? fmt("KILL_THREAD(%u)", data) : "KILL_THREAD";
    case SECCOMP_RET_TRAP: return fmt("TRAP(%u)", data);
    case SECCOMP_RET_ERRNO: return fmt("ERRNO(%u)", data);
    case SECCOMP_RET_USER_NOTIF: return data ? fmt("USER_NOTIF(%u)", data) : "USER_NOTIF";
    case SECCOMP_RET_TRACE: return fmt("TRACE(%u)", data);
    case SECCOMP_RET_LOG: return data ? fmt("LOG(%u)", data) : "LOG";
    case SECCOMP_RET_ALLOW: return data ? fmt("ALLOW(%u)", data) : "ALLOW";
  }
  return hex(ret) + "(=KILL_PROCESS)";
}

std::string disassemble(std::span<const sock_filter> prog, const DisasmOptions& opts) {
  const size_t n = prog.size();
  std::vector<State> st(n + 1);
  if (n) st[0].reached = true;
  std::string out;
  auto label = [](uint64_t t) { return fmt("%04" PRIu64, t); };
  for (size_t pc = 0; pc < n; ++pc) {
    const sock_filter& f = prog[pc];
    State s = st[pc];
    const uint32_t k = f.k;
    std::string text, note;
    State next = s;     // state after a non-jump instruction
    bool falls = true;  // control continues at pc+1
    switch (f.code) {
      case op::kLdAbsW:
        text = fmt("ld [%u]", k);
        note = field_name(k, s.arch);
        next.a = {AState::Field, k};
        break;
      case op::kLdAbsH:
      case op::kLdAbsB:
        text = fmt("%s [%u]", f.code == op::kLdAbsH ? "ldh" : "ldb", k);
        next.a = {};
        break;
      case op::kLdIndW:
      case op::kLdIndH:
      case op::kLdIndB:
        text = fmt("%s [x+%u]", std::string(op::mnemonic(f.code)).c_str(), k);
        next.a = {};
        break;
      case op::kLdLen:
        text = "ld #len";
        note = "64";
        next.a = {AState::Const, 64};
        break;
      case op::kLdxLen:
        text = "ldx #len";
        note = "64";
        break;
      case op::kLdImm:
        text = "ld #" + hex(k);
        next.a = {AState::Const, k};
        break;
      case op::kLdMem:
        text = fmt("ld M[%u]", k);
        next.a = {};
        break;
      case op::kLdxImm: text = "ldx #" + hex(k); break;
      case op::kLdxMem: text = fmt("ldx M[%u]", k); break;
      case op::kLdxMsh: text = fmt("ldxb 4*([%u]&0xf)", k); break;
      case op::kSt: text = fmt("st M[%u]", k); break;
      case op::kStx: text = fmt("stx M[%u]", k); break;
      case op::kTax: text = "tax"; break;
      case op::kTxa:
        text = "txa";
        next.a = {};
        break;
      case op::kNeg:
        text = "neg";
        next.a = {};
        break;
      case op::kRetK:
        text = opts.annotate ? "ret " + ret_str(k) : "ret #" + hex(k);
        if ((k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) {
          std::string e = errno_name(static_cast<int>(k & SECCOMP_RET_DATA));
          if (e.size() > 1 && e[1] >= 'A' && e[1] <= 'Z') note = e;  // "EPERM", not "E4000"
        }
        falls = false;
        break;
      case op::kRetA:
        text = "ret a";
        falls = false;
        break;
      case op::kJa: {
        uint64_t t = pc + 1 + uint64_t{k};
        text = "ja " + label(t);
        if (t < n) merge(st[t], s);
        falls = false;
        break;
      }
      default:
        if (BPF_CLASS(f.code) == BPF_ALU && (f.code & ~0xf8u) == BPF_ALU) {
          text = alu_name(f.code) + (BPF_SRC(f.code) == BPF_X ? std::string(" x") : " #" + hex(k));
          if (f.code == (BPF_ALU | BPF_AND | BPF_K) && s.a.kind == AState::Field)
            next.a = {AState::Masked, s.a.v, k};
          else
            next.a = {};
        } else if (BPF_CLASS(f.code) == BPF_JMP && (f.code & ~0xf8u) == BPF_JMP &&
                   (op::is_cond_jump(f.code))) {
          const size_t t = pc + 1 + f.jt, e = pc + 1 + f.jf;
          text =
              std::string(op::mnemonic(f.code)) + " " + jump_operand(f) + ", " + label(t) + ", " + label(e);
          State ts = s, es = s;
          const bool cmp_k = BPF_SRC(f.code) == BPF_K;
          if (s.a.kind == AState::Masked) {
            note = field_name(s.a.v, s.arch) + " & " + hex(s.a.mask);
          } else if (s.a.kind == AState::Field && cmp_k) {
            if (s.a.v == 4) {
              auto nm = audit_arch_name(k);
              note = nm.empty() ? "unknown arch" : std::string(nm);
              if (BPF_OP(f.code) == BPF_JEQ) ts.arch = k;
            } else if (s.a.v == 0 && BPF_OP(f.code) != BPF_JSET) {
              note = syscall_note(k, s.arch, BPF_OP(f.code));
            } else {
              note = field_name(s.a.v, s.arch);
            }
          }
          if (t < n) merge(st[t], ts);
          if (e < n) merge(st[e], es);
          falls = false;
        } else {
          text = fmt("??? code 0x%04x", f.code);
          falls = false;
        }
    }
    if (falls && pc + 1 <= n) merge(st[pc + 1], next);
    std::string line = fmt("%04zu: 0x%02x 0x%02x 0x%02x 0x%08x  ", pc, f.code, f.jt, f.jf, k) + text;
    if (!s.reached) note = note.empty() ? "unreachable" : note + " (unreachable)";
    if (opts.annotate && !note.empty()) {
      if (text.size() < 30) line.append(30 - text.size(), ' ');
      line += "  ; " + note;
    }
    out += line + "\n";
  }
  return out;
}

namespace {
std::string code_expr(uint16_t c) {
  auto size = [](uint16_t s) {
    return s == BPF_W ? "BPF_W" : s == BPF_H ? "BPF_H" : s == BPF_B ? "BPF_B" : nullptr;
  };
  auto mode = [](uint16_t m) -> const char* {
    switch (m) {
      case BPF_IMM: return "BPF_IMM";
      case BPF_ABS: return "BPF_ABS";
      case BPF_IND: return "BPF_IND";
      case BPF_MEM: return "BPF_MEM";
      case BPF_LEN: return "BPF_LEN";
      case BPF_MSH: return "BPF_MSH";
    }
    return nullptr;
  };
  if (c > 0xff) return hex(c);
  switch (BPF_CLASS(c)) {
    case BPF_LD:
    case BPF_LDX: {
      const char* cls = BPF_CLASS(c) == BPF_LD ? "BPF_LD" : "BPF_LDX";
      const char* sz = size(BPF_SIZE(c));
      const char* md = mode(BPF_MODE(c));
      if (!sz || !md) return hex(c);
      std::string r = cls;
      if (BPF_SIZE(c) != BPF_W || BPF_MODE(c) == BPF_ABS || BPF_MODE(c) == BPF_IND || BPF_MODE(c) == BPF_LEN)
        r += std::string(" | ") + sz;
      return r + " | " + md;
    }
    case BPF_ST: return c == BPF_ST ? "BPF_ST" : hex(c);
    case BPF_STX: return c == BPF_STX ? "BPF_STX" : hex(c);
    case BPF_ALU:
    case BPF_JMP: {
      std::string m(op::mnemonic(c));
      if (m.back() == '?') return hex(c);
      for (auto& ch : m) ch = static_cast<char>(toupper(ch));
      std::string r = std::string(BPF_CLASS(c) == BPF_ALU ? "BPF_ALU" : "BPF_JMP") + " | BPF_" + m;
      if (c == op::kNeg || c == op::kJa) return r;
      return r + (BPF_SRC(c) == BPF_X ? " | BPF_X" : " | BPF_K");
    }
    case BPF_RET:
      if (c == op::kRetK) return "BPF_RET | BPF_K";
      if (c == op::kRetA) return "BPF_RET | BPF_A";
      return hex(c);
    case BPF_MISC:
      if (c == op::kTax) return "BPF_MISC | BPF_TAX";
      if (c == op::kTxa) return "BPF_MISC | BPF_TXA";
      return hex(c);
  }
  return hex(c);
}
}  // namespace

std::string to_c(std::span<const sock_filter> prog, std::string_view name) {
  std::string out = "struct sock_filter " + std::string(name) + "[] = {\n";
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& f = prog[pc];
    const bool jump = BPF_CLASS(f.code) == BPF_JMP && f.code != op::kJa;
    if (jump || f.jt || f.jf)
      out += fmt("    /* %04zu */ BPF_JUMP(%s, %s, %u, %u),\n", pc, code_expr(f.code).c_str(),
                 hex(f.k).c_str(), f.jt, f.jf);
    else
      out += fmt("    /* %04zu */ BPF_STMT(%s, %s),\n", pc, code_expr(f.code).c_str(), hex(f.k).c_str());
  }
  return out + "};\n";
}

std::string to_bytes(std::span<const sock_filter> prog) {
  return std::string(reinterpret_cast<const char*>(prog.data()), prog.size_bytes());
}

Result<std::vector<sock_filter>> from_bytes(std::string_view bytes) {
  if (bytes.empty()) return Error("empty BPF program (0 bytes)");
  if (bytes.size() % sizeof(sock_filter) != 0)
    return Error("BPF program size " + std::to_string(bytes.size()) + " is not a multiple of 8 bytes");
  std::vector<sock_filter> prog(bytes.size() / sizeof(sock_filter));
  std::memcpy(prog.data(), bytes.data(), bytes.size());
  return prog;
}

}  // namespace confine::bpf
