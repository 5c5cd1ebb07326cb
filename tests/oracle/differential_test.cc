// The oracle rung of the testing ladder: our compiler's program and
// libseccomp's program for the same real profile (Docker's default, podman's)
// give the same verdict, in our interpreter, on every interesting case
// (all syscall numbers x arches x argument boundaries x wrong arches).
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <map>

#include "oracle/cases.h"
#include "oracle/libseccomp_oracle.h"
#include "seccomp/bpf/bpf.h"
#include "seccomp/compiler.h"
#include "seccomp/profile.h"
#include "seccomp/resolve.h"
#include "syscalls/syscalls.h"

namespace confine::oracle {
namespace {

struct Peer {
  const char* name;
  const char* path;
};
const Peer kPeers[] = {
    {"docker", "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"},
    {"podman", "/usr/share/containers/seccomp.json"},
};

std::string describe(const bpf::SeccompData& d) {
  std::string arch = "arch=" + std::to_string(d.arch);
  std::string name;
  for (const auto& ai : all_arches())
    if (ai.audit_arch == d.arch) {
      arch = std::string(ai.name);
      Arch a = ai.arch;
      if (a == Arch::X86_64 && (d.nr & kX32SyscallBit)) a = Arch::X32;
      if (auto n = syscall_name(a, d.nr)) name = std::string(*n);
      break;
    }
  char buf[200];
  snprintf(buf, sizeof buf, "%s nr=%d(%s) args=[%#llx %#llx %#llx]", arch.c_str(), d.nr, name.c_str(),
           static_cast<unsigned long long>(d.args[0]), static_cast<unsigned long long>(d.args[1]),
           static_cast<unsigned long long>(d.args[2]));
  return buf;
}

void compare(const char* peer, const seccomp::ResolvedProfile& rp, bool multi_arch) {
  auto ours = seccomp::compile(rp);
  ASSERT_TRUE(ours.ok()) << ours.error().message();
  ASSERT_TRUE(bpf::check(ours->insns).ok()) << bpf::check(ours->insns).error().message();
  auto theirs = libseccomp_program(rp);
  ASSERT_TRUE(theirs.ok()) << theirs.error().message();
  // Numbers libseccomp could not express are not comparable.
  std::map<std::pair<uint32_t, int32_t>, std::string> excluded;
  for (const auto& s : theirs->skipped) excluded[{arch_info(s.arch).audit_arch, s.nr}] = s.reason;
  const auto order = arch_info(rp.arches.front().arch).little_endian ? bpf::Endian::Little : bpf::Endian::Big;
  if (std::getenv("CONFINE_DIFF_DUMP"))
    std::cerr << "--- confine\n"
              << bpf::disassemble(ours->insns) << "--- libseccomp\n"
              << bpf::disassemble(theirs->insns);
  auto cases = interesting_cases(rp);
  size_t compared = 0, differ = 0;
  for (const auto& c : cases) {
    if (excluded.count({c.arch, c.nr})) continue;
    auto a = bpf::run(ours->insns, c, order), b = bpf::run(theirs->insns, c, order);
    ASSERT_TRUE(a.ok() && b.ok());
    ++compared;
    if (a->ret != b->ret && ++differ <= 15)
      ADD_FAILURE() << peer << (multi_arch ? " (multi-arch)" : "") << ": " << describe(c) << ": confine "
                    << bpf::ret_str(a->ret) << ", libseccomp " << bpf::ret_str(b->ret);
  }
  EXPECT_EQ(differ, 0u) << peer << ": " << differ << " of " << compared << " cases differ";
  EXPECT_GT(compared, 500u);
  std::cerr << peer << ": " << compared << " cases compared, " << rp.arches.size() << " arch tables, "
            << ours->insns.size() << " vs " << theirs->insns.size()
            << " instructions (confine vs libseccomp)\n";
}

TEST(Differential, CompiledVsLibseccompOnRealProfiles) {
  for (const auto& peer : kPeers) {
    auto p = seccomp::load_profile(peer.path);
    if (!p.ok() && p.error().sys_errno() == ENOENT) continue;
    ASSERT_TRUE(p.ok()) << p.error().message();
    for (Arch native : {Arch::X86_64, Arch::AARCH64, Arch::S390X, Arch::PPC64LE, Arch::MIPSEL64}) {
      seccomp::ResolveContext ctx;
      ctx.arch = native;
      auto rp = seccomp::resolve(*p, ctx);
      ASSERT_TRUE(rp.ok()) << rp.error().message();
      auto probe = seccomp::compile(*rp);
      if (!probe.ok() && probe.error().message().find("conflicting rules") != std::string::npos) {
        std::cerr << "NOTE: " << peer.name << ": compile() refuses: " << probe.error().message() << "\n";
        break;  // known divergence (libseccomp keeps the first rule), see the kernel tests
      }
      SCOPED_TRACE(std::string(peer.name) + " resolved for " + std::string(arch_info(native).name));
      compare(peer.name, *rp, rp->arches.size() > 1);
    }
  }
}

// The comparison is able to fail: a different bad-arch action must show up.
TEST(Differential, DetectsADifferentBadArchAction) {
  auto p = seccomp::load_profile(kPeers[0].path);
  if (!p.ok()) GTEST_SKIP();
  seccomp::ResolveContext ctx;
  ctx.arch = Arch::X86_64;
  auto rp = seccomp::resolve(*p, ctx);
  ASSERT_TRUE(rp.ok());
  seccomp::CompileOptions o;
  o.bad_arch_action = seccomp::Action::errno_(38);
  auto ours = seccomp::compile(*rp, o);
  auto theirs = libseccomp_program(*rp);
  ASSERT_TRUE(ours.ok() && theirs.ok());
  size_t differ = 0;
  for (const auto& c : interesting_cases(*rp))
    differ += bpf::run(ours->insns, c)->ret != bpf::run(theirs->insns, c)->ret;
  EXPECT_GT(differ, 10u);
}

}  // namespace
}  // namespace confine::oracle
