// Reports: the recorded syscall table and comparisons with other profiles.
#include <algorithm>
#include <cstdio>

#include "core/capabilities.h"
#include "generate/generate.h"
#include "seccomp/resolve.h"

namespace confine::generate {

namespace {
struct Row {
  uint64_t calls;
  std::string name;
  Arch arch;
  const behavior::SyscallInfo* info;
};

std::vector<Row> rows(const behavior::Behavior& b) {
  std::vector<Row> r;
  for (const auto& [arch, m] : b.arches)
    for (const auto& [n, info] : m) r.push_back({info.count, n, arch, &info});
  std::sort(r.begin(), r.end(), [](const Row& a, const Row& c) {
    if (a.calls != c.calls) return a.calls > c.calls;
    if (a.name != c.name) return a.name < c.name;
    return a.arch < c.arch;
  });
  return r;
}

// "ENOENT:12 EACCES:1", most frequent first.
std::string errno_list(const behavior::SyscallInfo& info) {
  std::vector<std::pair<uint64_t, int>> v;
  for (const auto& [e, c] : info.errors) v.push_back({c, e});
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::string s;
  for (const auto& [c, e] : v) s += (s.empty() ? "" : " ") + behavior::errno_key(e) + ":" + std::to_string(c);
  return s;
}
}  // namespace

std::string syscall_table(const behavior::Behavior& b) {
  std::string out;
  char line[400];
  const bool errs = b.errors_observed;
  std::snprintf(line, sizeof line, "%10s %8s %-24s %-6s %s\n", "calls", "errors", "syscall", "arch",
                errs ? "errno" : "");
  out += line;
  out += "---------- -------- ------------------------ ------\n";
  uint64_t total = 0, total_err = 0;
  auto rs = rows(b);
  for (const auto& r : rs) {
    uint64_t ec = r.info->error_count();
    std::string ecs = errs ? (ec ? std::to_string(ec) : "") : "-";
    std::snprintf(line, sizeof line, "%10llu %8s %-24s %-6s %s\n", static_cast<unsigned long long>(r.calls),
                  ecs.c_str(), r.name.c_str(), std::string(arch_info(r.arch).name).c_str(),
                  errs ? errno_list(*r.info).c_str() : "");
    std::string l = line;
    while (!l.empty() && l[l.size() - 2] == ' ') l.erase(l.size() - 2, 1);  // no trailing blanks
    out += l;
    total += r.calls;
    total_err += ec;
  }
  out += "---------- -------- ------------------------ ------\n";
  std::snprintf(line, sizeof line, "%10llu %8s %-24s (%zu distinct)\n",
                static_cast<unsigned long long>(total), errs ? std::to_string(total_err).c_str() : "-",
                "total", b.syscall_names().size());
  out += line;
  if (!errs)
    out +=
        "errors: not observed (the user-notification supervisor never sees return values; as root, confine "
        "counts them with perf on raw_syscalls:sys_exit)\n";
  return out;
}

std::string syscall_table_json(const behavior::Behavior& b) {
  auto arr = json::Value::make_array();
  for (const auto& r : rows(b)) {
    auto o = json::Value::make_object();
    o.add("syscall", json::Value::make_string(r.name));
    o.add("arch", json::Value::make_string(std::string(arch_info(r.arch).name)));
    o.add("calls", json::Value::make_u64(r.calls));
    if (b.errors_observed) {
      o.add("errors", json::Value::make_u64(r.info->error_count()));
      auto e = json::Value::make_object();
      for (const auto& [err, c] : r.info->errors) e.add(behavior::errno_key(err), json::Value::make_u64(c));
      o.add("errnos", std::move(e));
    }
    arr.push(std::move(o));
  }
  return json::write(arr) + "\n";
}

Result<std::set<std::string>> allowed_syscalls(const seccomp::Profile& p, Arch arch) {
  seccomp::ResolveContext ctx;
  ctx.caps = default_capability_set();  // what `confine run` keeps by default
  ctx.arches = std::vector<Arch>{arch};
  ctx.arch = arch;
  CONFINE_TRY(auto rp, seccomp::resolve(p, ctx));
  std::set<std::string> out;
  if (rp.default_action.kind == seccomp::ActionKind::Allow)
    return Error("profile allows everything by default");
  for (const auto& t : rp.arches) {
    if (t.arch != arch) continue;
    for (const auto& r : t.rules)
      if (r.action.kind == seccomp::ActionKind::Allow || r.action.kind == seccomp::ActionKind::Log)
        out.insert(r.name);
  }
  return out;
}

const std::set<std::string>& notable_syscalls() {
  static const std::set<std::string> s = {"bpf",
                                          "ptrace",
                                          "process_vm_writev",
                                          "process_vm_readv",
                                          "keyctl",
                                          "add_key",
                                          "request_key",
                                          "unshare",
                                          "setns",
                                          "clone3",
                                          "mount",
                                          "umount2",
                                          "pivot_root",
                                          "chroot",
                                          "io_uring_setup",
                                          "io_uring_enter",
                                          "userfaultfd",
                                          "perf_event_open",
                                          "kexec_load",
                                          "init_module",
                                          "finit_module",
                                          "personality",
                                          "seccomp",
                                          "memfd_create",
                                          "execveat",
                                          "setuid",
                                          "setgid",
                                          "capset",
                                          "mknod",
                                          "mknodat",
                                          "socket",
                                          "mkdir",
                                          "mkdirat",
                                          "unlink",
                                          "unlinkat",
                                          "rename",
                                          "renameat2",
                                          "fsopen",
                                          "open_tree",
                                          "move_mount",
                                          "pidfd_getfd",
                                          "kcmp",
                                          "name_to_handle_at",
                                          "open_by_handle_at",
                                          "quotactl",
                                          "reboot",
                                          "syslog",
                                          "acct"};
  return s;
}

Comparison compare(const std::string& name, const std::set<std::string>& ours,
                   const std::set<std::string>& theirs) {
  Comparison c;
  c.name = name;
  c.allowed = theirs.size();
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(), std::back_inserter(c.removed));
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(c.extra));
  return c;
}

}  // namespace confine::generate
