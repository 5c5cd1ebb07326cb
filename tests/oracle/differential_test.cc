// Differential test: our compiler vs libseccomp 2.5.4 (built the way runc
// builds filters, tests/oracle/libseccomp_oracle.h), both programs run in our
// interpreter on every oracle::interesting_cases input, for Docker's and
// podman's default profiles and ours, on x86_64, x86, x32, aarch64 and
// Docker's amd64 set (x86_64+x86+x32), without and with CAP_SYS_ADMIN.
// Zero differences allowed. Rules libseccomp cannot express (names newer than
// 2.5.4) are removed from the profile for both sides and counted.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

#include "oracle/cases.h"
#include "oracle/libseccomp_oracle.h"
#include "seccomp/bpf/bpf.h"
#include "seccomp/compiler.h"
#include "seccomp/profile.h"
#include "seccomp/resolve.h"
#include "syscalls/syscalls.h"

namespace confine {
namespace {

const std::set<std::string> kX86Muxed = {
    "socket",  "bind",    "connect",  "listen",   "accept",   "getsockname", "getpeername", "socketpair",
    "send",    "recv",    "sendto",   "recvfrom", "shutdown", "setsockopt",  "getsockopt",  "sendmsg",
    "recvmsg", "accept4", "recvmmsg", "sendmmsg", "semop",    "semget",      "semctl",      "semtimedop",
    "msgsnd",  "msgrcv",  "msgget",   "msgctl",   "shmat",    "shmdt",       "shmget",      "shmctl"};

struct Totals {
  size_t cases = 0, diffs = 0, configs = 0, removed_rules = 0;
};

std::string arch_set_name(const std::vector<Arch>& v) {
  std::string s;
  for (Arch a : v) s += (s.empty() ? "" : "+") + std::string(arch_info(a).name);
  return s;
}

bpf::Endian endian_of(uint32_t audit) {
  for (const auto& ai : all_arches())
    if (ai.audit_arch == audit) return ai.little_endian ? bpf::Endian::Little : bpf::Endian::Big;
  return bpf::Endian::Little;
}

// arches: exactly these; or one arch with `native` = resolve for it as native (archMap applies).
void compare(const std::string& path, const std::vector<Arch>& arches, const std::set<std::string>& caps,
             Totals& tot, std::ostream& report, bool native = false) {
  SCOPED_TRACE(path + " " + arch_set_name(arches) + (caps.empty() ? "" : " +caps"));
  auto prof = seccomp::load_profile(path);
  ASSERT_TRUE(prof.ok()) << prof.error().message();
  seccomp::ResolveContext ctx;
  ctx.caps = caps;
  ctx.kernel = seccomp::KernelVersion{6, 18};
  ctx.arch = arches.front();
  if (!native) ctx.arches = arches;
  auto rp = seccomp::resolve(*prof, ctx);
  ASSERT_TRUE(rp.ok()) << rp.error().message();
  std::vector<Arch> got;
  for (const auto& t : rp->arches) got.push_back(t.arch);
  auto theirs = oracle::libseccomp_program(*rp);
  ASSERT_TRUE(theirs.ok()) << theirs.error().message();
  // Drop what libseccomp could not add, so both sides get the same rules.
  seccomp::ResolvedProfile same = *rp;
  // libseccomp 2.5.4 (Debian) knows some names only on some arches and gives a
  // never-matching pseudo number elsewhere (map_shadow_stack on x32: -10245):
  // such rules have no effect in its program; remove them on our side too.
  // (x86 socket/ipc names are pseudo numbers too, but libseccomp muxes them.)
  for (auto& t : same.arches) {
    uint32_t tok = oracle::scmp_arch_token(t.arch);
    if (!tok) continue;
    auto before = t.rules.size();
    std::erase_if(t.rules, [&](const seccomp::ResolvedRule& r) {
      if (kX86Muxed.count(r.name)) return false;  // muxed by libseccomp on x86, s390, ppc, mips o32
      return seccomp_syscall_resolve_name_arch(tok, r.name.c_str()) < 0;
    });
    tot.removed_rules += before - t.rules.size();
  }
  for (const auto& sk : theirs->skipped) {
    for (auto& t : same.arches) {
      if (t.arch != sk.arch) continue;
      auto before = t.rules.size();
      std::erase_if(t.rules,
                    [&](const seccomp::ResolvedRule& r) { return r.nr == sk.nr && r.name == sk.name; });
      tot.removed_rules += before - t.rules.size();
    }
  }
  // Like with like: libseccomp's x86 socketcall/ipc (our default is fail-closed, see
  // Differential.FailClosedSocketcallDiffersOnlyThere).
  seccomp::CompileOptions compat;
  compat.libseccomp_compat = true;
  auto ours = seccomp::compile(same, compat);
  ASSERT_TRUE(ours.ok()) << ours.error().message();
  ASSERT_TRUE(bpf::check(ours->insns).ok());
  size_t diffs = 0, n = 0;
  for (const auto& d : oracle::interesting_cases(same)) {
    bpf::Endian e = endian_of(d.arch);
    auto a = bpf::run(ours->insns, d, e);
    auto b = bpf::run(theirs->insns, d, e);
    ASSERT_TRUE(a.ok() && b.ok());
    n++;
    if (a->ret == b->ret) continue;
    if (++diffs <= 10) {
      ADD_FAILURE() << "arch 0x" << std::hex << d.arch << std::dec << " nr " << d.nr << " ("
                    << (syscall_name(arches.front(), d.nr).value_or("?")) << ") args " << std::hex
                    << d.args[0] << " " << d.args[1] << " " << d.args[2] << std::dec << ": ours "
                    << seccomp::Action::from_ret(a->ret).str() << ", libseccomp "
                    << seccomp::Action::from_ret(b->ret).str();
    }
  }
  tot.cases += n;
  tot.diffs += diffs;
  tot.configs++;
  report << "  " << std::filesystem::path(path).filename().string() << " " << (native ? "native " : "")
         << arch_set_name(got) << (caps.empty() ? "" : " +CAP_SYS_ADMIN") << ": " << n << " cases, " << diffs
         << " differences; " << ours->insns.size() << " vs " << theirs->insns.size() << " instructions\n";
}

TEST(Differential, OursVsLibseccomp) {
  std::vector<std::string> profiles = {
      "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json",
      "/usr/share/containers/seccomp.json",
      std::string(CONFINE_SOURCE_DIR) + "/profiles/runtime-default.json",
  };
  const std::vector<std::vector<Arch>> sets = {
      {Arch::X86_64}, {Arch::X86}, {Arch::X32}, {Arch::AARCH64}, {Arch::X86_64, Arch::X86, Arch::X32}};
  Totals tot;
  std::ostringstream report;
  for (const auto& p : profiles) {
    if (!std::filesystem::exists(p)) {
      ADD_FAILURE() << p << " missing (make deps-test installs it)";
      continue;
    }
    for (const auto& s : sets)
      for (const std::set<std::string>& caps :
           {std::set<std::string>{}, std::set<std::string>{"CAP_SYS_ADMIN"}})
        compare(p, s, caps, tot, report);
    // Resolved as each native arch (archMap: e.g. s390x+s390, ppc64le, mips64el+n32+o32), big endian
    // included.
    for (Arch native : {Arch::S390X, Arch::PPC64LE, Arch::MIPSEL64, Arch::RISCV64})
      compare(p, {native}, {}, tot, report, /*native=*/true);
  }
  std::cout << report.str();
  std::cout << "differential: " << tot.cases << " cases, " << tot.diffs << " differences (" << tot.configs
            << " profile/arch/caps configurations; " << tot.removed_rules
            << " rules unknown to libseccomp 2.5.4 removed on both sides)\n";
  EXPECT_EQ(tot.diffs, 0u);
  EXPECT_GE(tot.configs, 20u);
}

// Our default (fail-closed x86 socketcall/ipc) differs from libseccomp exactly on the multiplexers:
// runtime-default's domain-filtered socket rules no longer allow socketcall(SYS_SOCKET) on i386.
TEST(Differential, FailClosedSocketcallDiffersOnlyThere) {
  auto p = seccomp::load_profile(std::string(CONFINE_SOURCE_DIR) + "/profiles/runtime-default.json");
  ASSERT_TRUE(p.ok()) << p.error().message();
  seccomp::ResolveContext ctx;
  ctx.arch = Arch::X86;
  ctx.arches = std::vector<Arch>{Arch::X86};
  auto rp = seccomp::resolve(*p, ctx);
  ASSERT_TRUE(rp.ok()) << rp.error().message();
  auto ours = seccomp::compile(*rp);
  auto theirs = oracle::libseccomp_program(*rp);
  ASSERT_TRUE(ours.ok() && theirs.ok());
  // (Everything else is compared, with --compat libseccomp, by OursVsLibseccomp, which also removes
  // the rules for names libseccomp 2.5.4 does not know.)
  size_t mux = 0;
  for (int32_t nr : {102, 117})
    for (uint64_t call = 0; call <= 25; call++) {
      bpf::SeccompData c;
      c.arch = AUDIT_ARCH_I386;
      c.nr = nr;
      c.args[0] = call;
      c.args[1] = 0xffffd000;
      auto a = bpf::run(ours->insns, c)->ret, b = bpf::run(theirs->insns, c)->ret;
      if (a == b) continue;
      mux++;
      // Where they differ, libseccomp allows and we deny.
      EXPECT_EQ(b, SECCOMP_RET_ALLOW) << "nr " << c.nr << " call " << c.args[0];
      EXPECT_NE(a, SECCOMP_RET_ALLOW) << "nr " << c.nr << " call " << c.args[0];
    }
  EXPECT_GT(mux, 0u);
  bpf::SeccompData d;
  d.arch = AUDIT_ARCH_I386;
  d.nr = 102;
  d.args[0] = 1;           // SYS_SOCKET
  d.args[1] = 0xffffd000;  // pointer to {AF_PACKET, ...}: unreadable to the filter
  EXPECT_EQ(bpf::run(theirs->insns, d)->ret, SECCOMP_RET_ALLOW);
  EXPECT_EQ(bpf::run(ours->insns, d)->ret, SECCOMP_RET_ERRNO | 1);
}

// The comparison is able to fail: a different bad-arch action must show up.
TEST(Differential, DetectsADifferentBadArchAction) {
  auto p =
      seccomp::load_profile("/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json");
  if (!p.ok()) FAIL() << "not installed (make deps-test installs it; never a skip)";
  seccomp::ResolveContext ctx;
  ctx.arch = Arch::X86_64;
  auto rp = seccomp::resolve(*p, ctx);
  ASSERT_TRUE(rp.ok());
  seccomp::CompileOptions o;
  o.bad_arch_action = seccomp::Action::errno_(38);
  auto ours = seccomp::compile(*rp, o);
  auto theirs = oracle::libseccomp_program(*rp);
  ASSERT_TRUE(ours.ok() && theirs.ok());
  size_t differ = 0;
  for (const auto& c : oracle::interesting_cases(*rp))
    differ += bpf::run(ours->insns, c)->ret != bpf::run(theirs->insns, c)->ret;
  EXPECT_GT(differ, 10u);
}

}  // namespace
}  // namespace confine
