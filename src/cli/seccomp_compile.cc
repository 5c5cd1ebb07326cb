// `confine seccomp compile PROFILE`: resolve + compile, print BPF as
// disassembly (default), C or raw bytes; stats to stderr.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "cli/args.h"
#include "cli/seccomp_profile_args.h"
#include "seccomp/bpf/bpf.h"
#include "seccomp/compiler.h"

namespace confine::cli {

// Shared with seccomp_test.cc: PROFILE + --arch (repeatable or a list) --caps --kernel
// -> resolved profile (warnings printed) -> compiled program.
struct CompiledProfile {
  seccomp::ResolvedProfile resolved;
  seccomp::Program program;
};
Result<seccomp::ResolveContext> compile_context(const Args& a);
Result<CompiledProfile> compile_profile_arg(const Args& a, const std::string& profile,
                                            const seccomp::CompileOptions& opts, bool show_warnings = true);

Result<seccomp::ResolveContext> compile_context(const Args& a) {
  CONFINE_TRY(seccomp::ResolveContext c, resolve_context(a));
  std::vector<std::string> all = a.all("arch");
  if (all.size() > 1) {  // --arch A --arch B ...: exactly these arches
    std::vector<Arch> list;
    for (const auto& v : all) {
      size_t start = 0;
      while (start <= v.size()) {
        size_t end = v.find(',', start);
        if (end == std::string::npos) end = v.size();
        std::string n = v.substr(start, end - start);
        auto arch = arch_from_name(n);
        if (!arch) return Error("unknown architecture \"" + n + "\"");
        if (std::find(list.begin(), list.end(), *arch) == list.end()) list.push_back(*arch);
        start = end + 1;
      }
    }
    c.arch = list.front();
    c.arches = list;
  }
  return c;
}

Result<CompiledProfile> compile_profile_arg(const Args& a, const std::string& profile,
                                            const seccomp::CompileOptions& opts, bool show_warnings) {
  CONFINE_TRY(seccomp::ResolveContext ctx, compile_context(a));
  std::vector<seccomp::Warning> warnings;
  CONFINE_TRY(seccomp::Profile p, load_profile_arg(profile, &warnings));
  CONFINE_TRY(seccomp::ResolvedProfile rp, seccomp::resolve(p, ctx));
  if (show_warnings) {
    for (const auto& w : warnings) print_warning(w.str());
    for (const auto& w : rp.warnings) print_warning(w.str());
    for (const auto& w : seccomp::x86_multiplexer_remarks(rp, opts)) print_warning(w.str());
  }
  auto prog = seccomp::compile(rp, opts);
  if (!prog.ok()) return std::move(prog).error().context("compiling " + profile);
  return CompiledProfile{std::move(rp), std::move(*prog)};
}

namespace {

constexpr OptSpec kOpts[] = {
    {"output", 'o', true, "FILE", "write the program to FILE (\"-\" = stdout; required for --format bpf)"},
    {"format", 'f', true, "FMT", "disasm (default), c, or bpf (raw struct sock_filter bytes)"},
    kArchOpt,
    kCapsOpt,
    kKernelOpt,
    kCompatOpt,
    {"no-optimize", 0, false, "", "skip the bytecode passes (for comparison)"},
    {"bad-arch", 0, true, "ACTION",
     "action for unlisted arches: kill-process (default), kill-thread, trap, errno:N, log"},
    {"dump", 0, true, "STAGE",
     "print an intermediate stage instead: table (rule table) or tree (decision DAG)"},
    {"quiet", 'q', false, "", "no statistics on stderr"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine seccomp compile PROFILE [-o FILE] [--format disasm|c|bpf] [--arch A]...\n"
        "                              [--caps LIST] [--kernel X.Y] [--no-optimize] [--dump table|tree]\n\n"
        "Compiles a seccomp profile (Docker/OCI JSON or a bundled name) into a classic BPF program\n"
        "with confine's own compiler: arch dispatch (unlisted arches and x32 numbers closed), a binary\n"
        "search over syscall numbers (constant ALLOWs stay cacheable by the kernel), 64-bit argument\n"
        "checks in 32-bit halves, long jumps, and lossless bytecode passes. Statistics go to stderr.\n\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine seccomp compile runtime-default | less\n"
        "  confine seccomp compile /usr/share/containers/seccomp.json --arch x86_64 -f bpf -o podman.bpf\n"
        "  confine seccomp compile default.json --arch x86_64 --arch x86 --arch x32 --caps CAP_SYS_ADMIN\n"
        "  confine seccomp compile default.json --arch aarch64 --dump table\n"
        "  confine seccomp compile runtime-default --compat libseccomp -f bpf -o rd.bpf  # x86 socketcall as "
        "libseccomp\n\n"
        "exit status: 0 compiled, 1 invalid profile or not compilable (e.g. > 4096 instructions), 2 usage "
        "error\n";
}

Result<seccomp::Action> parse_bad_arch(const std::string& s) {
  using seccomp::Action, seccomp::ActionKind;
  if (s == "kill-process" || s == "kill") return Action{ActionKind::KillProcess, 0};
  if (s == "kill-thread") return Action{ActionKind::KillThread, 0};
  if (s == "trap") return Action{ActionKind::Trap, 0};
  if (s == "log") return Action{ActionKind::Log, 0};
  if (s.starts_with("errno:")) {
    std::string n = s.substr(6);
    int e = errno_from_name(n);
    if (e < 0) {
      char* end = nullptr;
      unsigned long v = strtoul(n.c_str(), &end, 0);
      if (n.empty() || *end || v > 0xffff) return Error("invalid errno in --bad-arch \"" + s + "\"");
      e = static_cast<int>(v);
    }
    return Action::errno_(static_cast<uint32_t>(e));
  }
  return Error("invalid --bad-arch \"" + s + "\" (kill-process, kill-thread, trap, errno:N, log)");
}

}  // namespace

void print_compile_stats(const seccomp::Program& p) {
  const auto& s = p.stats;
  std::ostringstream os;
  os << "compiled: " << s.instructions << " instructions (" << s.instructions_unoptimized
     << " before passes, " << s.pass_rounds << " pass rounds, " << s.trampolines << " long-jump trampolines, "
     << s.tree_nodes << " DAG nodes)\n";
  for (const auto& a : s.per_arch)
    os << "  " << a.name << ": " << a.syscalls_allowed << " allowed, " << a.syscalls_conditional
       << " with argument checks, " << a.syscalls_other << " other actions\n";
  if (s.rules_dropped_default)
    os << "  " << s.rules_dropped_default << " rule(s) with the default action dropped (as runc does)\n";
  std::cerr << os.str();
  for (const auto& n : p.notes) print_warning(n);
}

int seccomp_compile(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kOpts, usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  if (a.positional().size() != 1) {
    print_error("seccomp compile: expected exactly one PROFILE");
    return kExitUsage;
  }
  std::string fmt = a.get("format").value_or("disasm");
  if (fmt != "disasm" && fmt != "c" && fmt != "bpf") {
    print_error("seccomp compile: --format must be disasm, c or bpf, not \"" + fmt + "\"");
    return kExitUsage;
  }
  std::string out = a.get("output").value_or("-");
  if (fmt == "bpf" && !a.has("output")) {
    print_error("seccomp compile: --format bpf writes binary; give -o FILE (or -o - to force stdout)");
    return kExitUsage;
  }
  std::string dump = a.get("dump").value_or("");
  if (!dump.empty() && dump != "table" && dump != "tree") {
    print_error("seccomp compile: --dump must be table or tree, not \"" + dump + "\"");
    return kExitUsage;
  }
  auto compat = compat_options(a);
  if (!compat.ok()) {
    print_error(compat.error());
    return kExitUsage;
  }
  seccomp::CompileOptions opts = *compat;
  opts.optimize = !a.has("no-optimize");
  if (auto b = a.get("bad-arch")) {
    auto act = parse_bad_arch(*b);
    if (!act.ok()) {
      print_error(act.error());
      return kExitUsage;
    }
    opts.bad_arch_action = *act;
  }
  if (auto ctx = compile_context(a); !ctx.ok()) {
    print_error(ctx.error());
    return kExitUsage;
  }
  auto cp = compile_profile_arg(a, a.positional()[0], opts, !a.has("quiet"));
  if (!cp.ok()) {
    print_error(cp.error());
    return kExitInvalid;
  }
  std::string text;
  if (!dump.empty()) {
    auto rt = seccomp::build_rule_tables(cp->resolved, opts);
    if (!rt.ok()) {
      print_error(rt.error());
      return kExitInvalid;
    }
    if (dump == "table") {
      text = seccomp::dump_rule_tables(*rt);
    } else {
      auto tree = seccomp::build_tree(*rt);
      if (!tree.ok()) {
        print_error(tree.error());
        return kExitInvalid;
      }
      text = seccomp::dump_tree(*tree);
    }
  } else if (fmt == "disasm") {
    text = bpf::disassemble(cp->program.insns);
  } else if (fmt == "c") {
    text = bpf::to_c(cp->program.insns);
  } else {
    text = bpf::to_bytes(cp->program.insns);
  }
  if (auto st = file::write_output(out, text); !st.ok()) {
    print_error(st.error());
    return kExitInvalid;
  }
  if (!a.has("quiet")) print_compile_stats(cp->program);
  return kExitOk;
}

}  // namespace confine::cli
