// `confine seccomp test PROFILE SYSCALL [ARGS...]`: compile the profile and run
// the program in our BPF interpreter on one seccomp_data; print the action.
#include <iostream>

#include "cli/args.h"
#include "cli/seccomp_profile_args.h"
#include "seccomp/bpf/bpf.h"
#include "seccomp/compiler.h"
#include "syscalls/syscalls.h"

namespace confine::cli {

struct CompiledProfile {
  seccomp::ResolvedProfile resolved;
  seccomp::Program program;
};
Result<seccomp::ResolveContext> compile_context(const Args& a);
Result<CompiledProfile> compile_profile_arg(const Args& a, const std::string& profile,
                                            const seccomp::CompileOptions& opts, bool show_warnings);

namespace {

constexpr OptSpec kOpts[] = {
    kArchOpt,
    kCapsOpt,
    kKernelOpt,
    kCompatOpt,
    {"verbose", 'v', false, "",
     "also print profile warnings, the seccomp_data and instructions executed (stderr)"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine seccomp test PROFILE SYSCALL [ARG0 [ARG1 ...]] [--arch A] [--caps LIST] [--kernel "
        "X.Y]\n\n"
        "Compiles PROFILE (as `confine seccomp compile` does), runs the program in confine's BPF\n"
        "interpreter for one system call and prints the action the kernel would take, e.g. ALLOW,\n"
        "ERRNO(1 EPERM), KILL_PROCESS. SYSCALL is a name or a number (seccomp_data.nr as is);\n"
        "ARGs are decimal or 0x-hex 64-bit values (missing ones are 0). The call is made as the\n"
        "first --arch (default: native); the filter covers the profile's arch set.\n\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine seccomp test /usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json "
        "personality 0x8\n"
        "  confine seccomp test default.json clone 0x10000000          # CLONE_NEWUSER -> ERRNO(1 EPERM)\n"
        "  confine seccomp test default.json clone3 --caps CAP_SYS_ADMIN\n"
        "  confine seccomp test runtime-default socket 40 --arch x86\n"
        "  confine seccomp test runtime-default socketcall 1 --arch x86       # fail-closed: ERRNO(1 EPERM)\n"
        "  confine seccomp test runtime-default socketcall 1 --arch x86 --compat libseccomp   # ALLOW\n\n"
        "exit status: 0 printed an action, 1 invalid profile, 2 usage error (unknown syscall, bad number)\n";
}

std::optional<uint64_t> parse_u64(const std::string& s) {
  if (s.empty()) return std::nullopt;
  bool neg = s[0] == '-';
  std::string t = neg ? s.substr(1) : s;
  if (t.empty() || !isdigit(static_cast<unsigned char>(t[0]))) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(t.c_str(), &end, t.starts_with("0x") || t.starts_with("0X") ? 16 : 10);
  if (errno || *end) return std::nullopt;
  return neg ? static_cast<uint64_t>(-static_cast<int64_t>(v)) : static_cast<uint64_t>(v);
}

}  // namespace

int seccomp_test(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kOpts, usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  const auto& pos = a.positional();
  if (pos.size() < 2 || pos.size() > 8) {
    print_error("seccomp test: expected PROFILE SYSCALL [up to 6 ARGS]");
    return kExitUsage;
  }
  auto ctx = compile_context(a);
  if (!ctx.ok()) {
    print_error(ctx.error());
    return kExitUsage;
  }
  Arch arch = ctx->arch.value_or(native_arch());
  bpf::SeccompData d;
  d.arch = arch_info(arch).audit_arch;
  const std::string& sc = pos[1];
  if (auto n = parse_u64(sc)) {
    if (*n > 0xffffffffull && *n < 0xffffffff80000000ull) {
      print_error("seccomp test: syscall number " + sc + " does not fit 32 bits");
      return kExitUsage;
    }
    d.nr = static_cast<int32_t>(static_cast<uint32_t>(*n));
  } else if (auto nr = syscall_number(arch, sc)) {
    d.nr = *nr;
  } else {
    std::string msg = "seccomp test: no syscall \"" + sc + "\" on " + std::string(arch_info(arch).name);
    auto sim = similar_syscall_names(sc);
    if (!syscall_known_anywhere(sc) && !sim.empty()) {
      msg += " (did you mean";
      for (auto s : sim) msg += " " + std::string(s);
      msg += "?)";
    }
    print_error(msg);
    return kExitUsage;
  }
  for (size_t i = 2; i < pos.size(); i++) {
    auto v = parse_u64(pos[i]);
    if (!v) {
      print_error("seccomp test: argument \"" + pos[i] + "\" is not a decimal or 0x-hex number");
      return kExitUsage;
    }
    d.args[i - 2] = *v;
  }
  auto compat = compat_options(a);
  if (!compat.ok()) {
    print_error(compat.error());
    return kExitUsage;
  }
  auto cp = compile_profile_arg(a, pos[0], *compat, a.has("verbose"));
  if (!cp.ok()) {
    print_error(cp.error());
    return kExitInvalid;
  }
  auto r =
      bpf::run(cp->program.insns, d, arch_info(arch).little_endian ? bpf::Endian::Little : bpf::Endian::Big);
  if (!r.ok()) {  // our compiler produced a program the interpreter rejects: a bug
    print_error(std::move(r).error().context("internal error: running the compiled program"));
    return kExitInvalid;
  }
  if (a.has("verbose")) {
    std::cerr << arch_info(arch).name << " nr=" << d.nr << " (" << syscall_name(arch, d.nr).value_or("?")
              << ")";
    for (int i = 0; i < 6; i++) std::cerr << " a" << i << "=0x" << std::hex << d.args[i] << std::dec;
    std::cerr << ": " << r->executed << " of " << cp->program.insns.size() << " instructions executed\n";
  }
  std::cout << seccomp::Action::from_ret(r->ret).str() << "\n";
  return kExitOk;
}

}  // namespace confine::cli
