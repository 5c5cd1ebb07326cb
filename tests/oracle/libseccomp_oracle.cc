#include "oracle/libseccomp_oracle.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "seccomp/bpf/bpf.h"

namespace confine::oracle {

namespace {

struct CtxDeleter {
  void operator()(void* c) const { seccomp_release(c); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

scmp_compare scmp_op(seccomp::CmpOp op) {
  switch (op) {
    case seccomp::CmpOp::NE: return SCMP_CMP_NE;
    case seccomp::CmpOp::LT: return SCMP_CMP_LT;
    case seccomp::CmpOp::LE: return SCMP_CMP_LE;
    case seccomp::CmpOp::EQ: return SCMP_CMP_EQ;
    case seccomp::CmpOp::GE: return SCMP_CMP_GE;
    case seccomp::CmpOp::GT: return SCMP_CMP_GT;
    case seccomp::CmpOp::MaskedEq: return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

Error lib_err(const std::string& what, int rc) { return Error::sys("libseccomp " + what, -rc); }

Result<Ctx> new_ctx(const seccomp::ResolvedProfile& rp, const OracleOptions& o,
                    const std::vector<Arch>& arches) {
  Ctx ctx(seccomp_init(rp.default_action.ret()));
  if (!ctx) return Error("libseccomp seccomp_init(" + rp.default_action.str() + ") failed");
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, o.bad_arch_action.ret());
  if (rc < 0) return lib_err("SCMP_FLTATR_ACT_BADARCH", rc);
  if (o.binary_tree) {
    rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc < 0) return lib_err("SCMP_FLTATR_CTL_OPTIMIZE=2", rc);
  }
  // Remove the native arch first when it is not listed: libseccomp refuses to
  // mix byte orders in one filter (EDOM), e.g. s390x next to native x86_64.
  bool native_listed = false;
  for (Arch a : arches) native_listed |= scmp_arch_token(a) == seccomp_arch_native();
  if (!native_listed) {
    rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE);
    if (rc < 0) return lib_err("seccomp_arch_remove(native)", rc);
  }
  for (Arch a : arches) {
    uint32_t tok = scmp_arch_token(a);
    if (tok == 0) return Error("libseccomp 2.5.4 does not know arch " + std::string(arch_info(a).name));
    if (tok == seccomp_arch_native()) continue;
    rc = seccomp_arch_add(ctx.get(), tok);
    if (rc < 0 && rc != -EEXIST)
      return lib_err("seccomp_arch_add(" + std::string(arch_info(a).name) + ")", rc);
  }
  return ctx;
}

void add_rules(void* ctx, const seccomp::ResolvedProfile& rp, const seccomp::ArchTable& t,
               const OracleOptions& o, OracleProgram& out) {
  for (const auto& r : t.rules) {
    if (r.action == rp.default_action) continue;  // runc: ignored; libseccomp: -EACCES
    int nr = seccomp_syscall_resolve_name(r.name.c_str());
    if (nr == __NR_SCMP_ERROR) {
      out.skipped.push_back({t.arch, r.name, r.nr,
                             "unknown to libseccomp " + std::to_string(SCMP_VER_MAJOR) + "." +
                                 std::to_string(SCMP_VER_MINOR) + "." + std::to_string(SCMP_VER_MICRO)});
      continue;
    }
    std::vector<scmp_arg_cmp> conds;
    int per_arg[6] = {};
    bool split = false;
    for (const auto& c : r.conds) {
      conds.push_back({c.index, scmp_op(c.op), c.value, c.value_two});
      if (c.index < 6 && ++per_arg[c.index] > 1) split = true;
    }
    auto add = [&](const scmp_arg_cmp* cs, unsigned n) {
      int rc = o.exact ? seccomp_rule_add_exact_array(ctx, r.action.ret(), nr, n, cs)
                       : seccomp_rule_add_array(ctx, r.action.ret(), nr, n, cs);
      if (rc < 0 && rc != -EEXIST)
        out.skipped.push_back(
            {t.arch, r.name, r.nr,
             std::string(o.exact ? "seccomp_rule_add_exact_array" : "seccomp_rule_add_array") + ": " +
                 errno_name(-rc)});
    };
    if (split) {
      out.split_same_arg_rules = true;
      for (const auto& c : conds) add(&c, 1);
    } else {
      add(conds.data(), static_cast<unsigned>(conds.size()));
    }
  }
}

}  // namespace

uint32_t scmp_arch_token(Arch a) {
  std::string name(arch_info(a).name);
  return seccomp_arch_resolve_name(name.c_str());
}

Result<OracleProgram> libseccomp_program(const seccomp::ResolvedProfile& rp, const OracleOptions& o) {
  if (rp.arches.empty()) return Error("oracle: profile has no arch table");
  OracleProgram out;
  Ctx merged;
  if (o.per_arch) {
    for (const auto& t : rp.arches) {
      CONFINE_TRY(Ctx ctx, new_ctx(rp, o, {t.arch}));
      add_rules(ctx.get(), rp, t, o, out);
      if (!merged) {
        merged = std::move(ctx);
      } else {
        int rc = seccomp_merge(merged.get(), ctx.get());
        if (rc < 0) return lib_err("seccomp_merge(" + std::string(arch_info(t.arch).name) + ")", rc);
        (void)ctx.release();  // seccomp_merge consumed it
      }
    }
  } else {
    std::vector<Arch> arches;
    for (const auto& t : rp.arches) arches.push_back(t.arch);
    CONFINE_TRY(merged, new_ctx(rp, o, arches));
    add_rules(merged.get(), rp, rp.arches.front(), o, out);
  }
  int fd = memfd_create("confine-oracle", MFD_CLOEXEC);
  if (fd < 0) return Error::sys("memfd_create", errno);
  int rc = seccomp_export_bpf(merged.get(), fd);
  if (rc < 0) {
    close(fd);
    return lib_err("seccomp_export_bpf", rc);
  }
  std::string bytes;
  char buf[4096];
  lseek(fd, 0, SEEK_SET);
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      int e = errno;
      close(fd);
      return Error::sys("read(memfd)", e);
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  CONFINE_TRY(out.insns, bpf::from_bytes(bytes));
  // libseccomp writes the program in the target's byte order; hand it back in host order.
  const bool target_le = arch_info(rp.arches.front().arch).little_endian;
  if (target_le != (bpf::host_endian() == bpf::Endian::Little)) {
    // libseccomp 2.5.4 quirk: after seccomp_merge() of big-endian filters, the
    // RET instructions of the first filter come out in host order while everything
    // else is in target order. Only the profile's actions can be returned, so a
    // RET value that is not one of them but is once swapped back gets swapped back.
    std::vector<uint32_t> rets = {rp.default_action.ret(), o.bad_arch_action.ret()};
    for (const auto& t : rp.arches)
      for (const auto& r : t.rules) rets.push_back(r.action.ret());
    auto expected = [&](uint32_t k) { return std::find(rets.begin(), rets.end(), k) != rets.end(); };
    for (auto& f : out.insns) {
      f.code = __builtin_bswap16(f.code);
      f.k = __builtin_bswap32(f.k);
      if (f.code == (BPF_RET | BPF_K) && !expected(f.k) && expected(__builtin_bswap32(f.k))) {
        f.k = __builtin_bswap32(f.k);
        ++out.big_endian_ret_fixups;
      }
    }
  }
  return out;
}

}  // namespace confine::oracle
