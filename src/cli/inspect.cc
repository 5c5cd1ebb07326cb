// confine inspect [PID|self] [-o json] [--probe] | confine inspect --all
#include "inspect/inspect.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "cli/args.h"
#include "cli/verbs.h"
#include "logs/json_out.h"
#include "syscalls/arch.h"

namespace confine::cli {

namespace {

using inspect::ProbeResult;
using logs::JsonOut;

constexpr OptSpec kOpts[] = {
    {"output", 'o', true, "FORMAT", "text (default) or json"},
    {"probe", 0, false, "", "self only: find the syscalls this process's seccomp filters block"},
    {"timeout", 0, true, "MS", "--probe: per-syscall answer timeout (default 500)"},
    {"all", 'a', false, "", "one line per process: seccomp, no_new_privs, capabilities, LSM label"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine inspect [PID|self] [-o json] [--probe]\n"
        "       confine inspect --all [-o json]\n\n"
        "Shows what confines a process: container runtime guess, namespaces (and whether they\n"
        "differ from PID 1's), uid/gid maps, capability sets by name, no_new_privs, seccomp mode\n"
        "and filter count, LSM labels, Landlock support, cgroup, rlimits and dangerous exposures.\n\n"
        "options:\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine inspect                 # this process (e.g. inside a container)\n"
        "  confine inspect 1 -o json\n"
        "  confine inspect --probe         # amicontained-style list of blocked syscalls\n"
        "\nexit codes: 0 ok, 1 no such process / unreadable, 2 usage\n";
}

std::string hex64(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? std::string(sep) : "") + v[i];
  return s;
}

std::string signal_name(int sig) {
  if (sig == SIGSYS) return "SIGSYS";
  if (sig == SIGKILL) return "SIGKILL";
  if (sig == SIGSEGV) return "SIGSEGV";
  return "signal " + std::to_string(sig);
}

std::string how(const ProbeResult& r) {
  switch (r.verdict) {
    case ProbeResult::Verdict::Errno: return "errno " + errno_name(r.err);
    case ProbeResult::Verdict::Signal: return signal_name(r.err);
    case ProbeResult::Verdict::Timeout: return "no answer (user notification?)";
    case ProbeResult::Verdict::Error: return "error";
    case ProbeResult::Verdict::Allowed: return "allowed";
  }
  return "?";
}

void caps_json(JsonOut& j, std::string_view key, uint64_t v) {
  j.key(key);
  j.begin_object();
  j.kv("hex", hex64(v));
  j.key("names");
  j.begin_array();
  for (const auto& n : inspect::cap_names(v)) j.value(n);
  j.end_array();
  j.end_object();
}

void maps_json(JsonOut& j, std::string_view key, const std::vector<inspect::IdMapLine>& m) {
  j.key(key);
  j.begin_array();
  for (const auto& l : m) {
    j.begin_object();
    j.kv("inside", l.inside);
    j.kv("outside", l.outside);
    j.kv("count", l.count);
    j.end_object();
  }
  j.end_array();
}

std::string report_json(const inspect::Report& r, const inspect::ProbeReport* probe) {
  JsonOut j;
  j.begin_object();
  j.kv("version", 1);
  j.kv("pid", static_cast<int64_t>(r.pid));
  j.kv("comm", r.comm);
  j.kv("exe", r.exe);
  j.kv("cmdline", r.cmdline);
  j.kv("state", r.state);
  j.key("uids");
  j.begin_array();
  for (auto u : r.uids) j.value(u);
  j.end_array();
  j.key("gids");
  j.begin_array();
  for (auto g : r.gids) j.value(g);
  j.end_array();
  j.key("runtime");
  j.begin_object();
  j.kv("name", r.runtime);
  j.key("evidence");
  j.begin_array();
  for (const auto& e : r.runtime_evidence) j.value(e);
  j.end_array();
  j.end_object();
  j.key("namespaces");
  j.begin_array();
  for (const auto& ns : r.namespaces) {
    j.begin_object();
    j.kv("type", ns.type);
    j.key("inode");
    if (ns.inode)
      j.value(ns.inode);
    else
      j.null();
    j.key("pid1_inode");
    if (ns.init_inode)
      j.value(*ns.init_inode);
    else
      j.null();
    j.key("differs_from_pid1");
    if (ns.inode && ns.init_inode)
      j.value(ns.differs());
    else
      j.null();
    j.key("inspector_inode");
    if (ns.self_inode)
      j.value(*ns.self_inode);
    else
      j.null();
    j.key("differs_from_inspector");
    if (ns.inode && ns.self_inode)
      j.value(ns.differs_from_self());
    else
      j.null();
    if (!ns.error.empty()) j.kv("error", ns.error);
    j.end_object();
  }
  j.end_array();
  maps_json(j, "uid_map", r.uid_map);
  maps_json(j, "gid_map", r.gid_map);
  j.kv("initial_user_namespace_map", r.uid_map_identity);
  j.key("capabilities");
  if (r.caps) {
    j.begin_object();
    caps_json(j, "effective", r.caps->effective);
    caps_json(j, "permitted", r.caps->permitted);
    caps_json(j, "inheritable", r.caps->inheritable);
    caps_json(j, "bounding", r.caps->bounding);
    caps_json(j, "ambient", r.caps->ambient);
    j.end_object();
  } else {
    j.null();
  }
  j.key("no_new_privs");
  if (r.no_new_privs >= 0)
    j.value(r.no_new_privs);
  else
    j.null();
  j.key("seccomp");
  j.begin_object();
  j.key("mode");
  if (r.seccomp >= 0)
    j.value(r.seccomp);
  else
    j.null();
  j.kv("mode_name", inspect::seccomp_mode_name(r.seccomp));
  j.key("filters");
  if (r.seccomp_filters >= 0)
    j.value(r.seccomp_filters);
  else
    j.null();
  j.end_object();
  j.key("lsm");
  j.begin_object();
  j.key("active");
  j.begin_array();
  for (const auto& l : r.lsms) j.value(l);
  j.end_array();
  j.kv("apparmor", r.apparmor);
  j.kv("selinux", r.selinux);
  j.kv("current", r.lsm_current);
  j.end_object();
  j.key("landlock");
  j.begin_object();
  j.kv("supported", r.landlock_abi > 0);
  j.key("abi");
  if (r.landlock_abi > 0)
    j.value(r.landlock_abi);
  else
    j.null();
  if (!r.landlock_error.empty()) j.kv("error", r.landlock_error);
  j.kv("restricted", r.landlock_restricted);
  j.end_object();
  j.kv("cgroup", r.cgroup);
  j.key("rlimits");
  j.begin_object();
  for (const auto& rl : r.rlimits) {
    j.key(rl.name);
    j.begin_object();
    j.kv("soft", rl.soft);
    j.kv("hard", rl.hard);
    j.end_object();
  }
  j.end_object();
  j.key("exposures");
  j.begin_array();
  for (const auto& e : r.exposures) j.value(e);
  j.end_array();
  if (probe) {
    j.key("probe");
    j.begin_object();
    j.kv("method", probe->method);
    j.kv("arch", arch_info(native_arch()).name);
    j.kv("probed", static_cast<uint64_t>(probe->results.size()));
    j.key("blocked");
    j.begin_array();
    for (const auto& p : probe->results) {
      if (p.verdict == ProbeResult::Verdict::Allowed) continue;
      j.begin_object();
      j.kv("name", p.name);
      j.kv("nr", static_cast<int64_t>(p.nr));
      switch (p.verdict) {
        case ProbeResult::Verdict::Errno:
          j.kv("how", "errno");
          j.kv("errno", errno_name(p.err));
          break;
        case ProbeResult::Verdict::Signal:
          j.kv("how", "signal");
          j.kv("signal", signal_name(p.err));
          break;
        default: j.kv("how", "timeout"); break;
      }
      j.end_object();
    }
    j.end_array();
    j.end_object();
  }
  j.end_object();
  return j.str();
}

std::string report_text(const inspect::Report& r, const inspect::ProbeReport* probe) {
  std::string o;
  // comm, exe and labels are the task's own text: escaped for the terminal.
  o += "Process: " + std::to_string(r.pid) + " (" + file::escape_terminal(r.comm) + ")";
  if (!r.exe.empty()) o += " exe=" + file::escape_terminal(r.exe);
  o += "\n";
  if (!r.uids.empty()) {
    o += "Uid/Gid: ";
    for (auto u : r.uids) o += std::to_string(u) + " ";
    o += "/ ";
    for (auto g : r.gids) o += std::to_string(g) + " ";
    o += "\n";
  }
  o += "Container runtime: " + r.runtime;
  if (!r.runtime_evidence.empty()) o += " (" + join(r.runtime_evidence, "; ") + ")";
  o += "\n";
  o += "Namespaces:\n";
  for (const auto& ns : r.namespaces) {
    std::string t = ns.type;
    t.resize(18, ' ');
    o += "  " + t;
    if (!ns.inode) {
      o += "unreadable (" + ns.error + ")\n";
      continue;
    }
    o += std::to_string(ns.inode);
    if (ns.init_inode)
      o += ns.differs() ? "  differs from PID 1" : "  same as PID 1";
    else if (ns.self_inode)
      o += ns.differs_from_self() ? "  differs from confine's (PID 1 unreadable)"
                                  : "  same as confine's (PID 1 unreadable)";
    o += "\n";
  }
  auto map_text = [](const std::vector<inspect::IdMapLine>& m) {
    std::string s;
    for (const auto& l : m)
      s += (s.empty() ? "" : ", ") + std::to_string(l.inside) + " " + std::to_string(l.outside) + " " +
           std::to_string(l.count);
    return s.empty() ? std::string("(none)") : s;
  };
  o += "User namespace maps: uid " + map_text(r.uid_map) + "; gid " + map_text(r.gid_map) +
       (r.uid_map_identity ? " (initial user namespace)" : "") + "\n";
  if (r.caps) {
    o += "Capabilities:\n";
    auto line = [&](std::string_view n, uint64_t v) {
      std::string name(n);
      name.resize(12, ' ');
      auto names = inspect::cap_names(v);
      o += "  " + name + hex64(v) + "  " + (names.empty() ? std::string("(none)") : join(names, " ")) + "\n";
    };
    line("effective", r.caps->effective);
    line("permitted", r.caps->permitted);
    line("inheritable", r.caps->inheritable);
    line("bounding", r.caps->bounding);
    line("ambient", r.caps->ambient);
  }
  o +=
      "NoNewPrivs: " + (r.no_new_privs >= 0 ? std::to_string(r.no_new_privs) : std::string("unknown")) + "\n";
  o += "Seccomp: " + (r.seccomp >= 0 ? std::to_string(r.seccomp) : std::string("?")) + " (" +
       std::string(inspect::seccomp_mode_name(r.seccomp)) + ")";
  if (r.seccomp_filters >= 0) o += ", filters: " + std::to_string(r.seccomp_filters);
  o += "\n";
  o += "LSM: active " +
       (r.lsms.empty() ? std::string("unknown (securityfs not mounted)") : join(r.lsms, ",")) +
       "; AppArmor: " + (r.apparmor.empty() ? std::string("(none)") : r.apparmor) +
       "; SELinux: " + (r.selinux.empty() ? std::string("(none)") : r.selinux) + "\n";
  o += "Landlock: " +
       (r.landlock_abi > 0 ? "supported, ABI " + std::to_string(r.landlock_abi)
                           : "unsupported (" + r.landlock_error + ")") +
       "; restricted: " + r.landlock_restricted + "\n";
  o += "Cgroup: " + r.cgroup + "\n";
  if (!r.rlimits.empty()) {
    o += "Rlimits:";
    for (const auto& rl : r.rlimits) o += " " + rl.name + "=" + rl.soft + "/" + rl.hard;
    o += "\n";
  }
  o += "Exposures:" + std::string(r.exposures.empty() ? " none found\n" : "\n");
  for (const auto& e : r.exposures) o += "  - " + e + "\n";
  if (probe) {
    std::vector<std::string> blocked;
    for (const auto& p : probe->results)
      if (p.verdict != ProbeResult::Verdict::Allowed) blocked.push_back(p.name + "(" + how(p) + ")");
    o += "Blocked syscalls (" + std::to_string(blocked.size()) + " of " +
         std::to_string(probe->results.size()) + " probed on " + std::string(arch_info(native_arch()).name) +
         "):\n";
    for (const auto& b : blocked) o += "  " + b + "\n";
  }
  return o;
}

int run_all(bool json) {
  auto procs = inspect::list_processes();
  if (json) {
    JsonOut j;
    j.begin_object();
    j.kv("version", 1);
    j.key("processes");
    j.begin_array();
    for (const auto& p : procs) {
      j.begin_object();
      j.kv("pid", static_cast<int64_t>(p.pid));
      j.kv("comm", p.comm);
      j.kv("uid", p.uid);
      j.key("seccomp");
      if (p.seccomp >= 0)
        j.value(p.seccomp);
      else
        j.null();
      j.key("seccomp_filters");
      if (p.seccomp_filters >= 0)
        j.value(p.seccomp_filters);
      else
        j.null();
      j.key("no_new_privs");
      if (p.no_new_privs >= 0)
        j.value(p.no_new_privs);
      else
        j.null();
      if (p.caps_known) {
        j.kv("cap_eff", hex64(p.cap_eff));
        j.kv("cap_bnd", hex64(p.cap_bnd));
        j.kv("caps", inspect::cap_summary(p.cap_eff));
      }
      j.kv("lsm_label", p.lsm_label);
      j.end_object();
    }
    j.end_array();
    j.end_object();
    std::cout << j.str();
    return kExitOk;
  }
  std::printf("%7s %-16s %6s %-10s %3s %-20s %s\n", "PID", "COMM", "UID", "SECCOMP", "NNP", "CAPS(eff)",
              "LSM");
  for (const auto& p : procs) {
    std::string sc = p.seccomp < 0 ? "?" : std::string(inspect::seccomp_mode_name(p.seccomp));
    if (p.seccomp == 2 && p.seccomp_filters >= 0) sc += "/" + std::to_string(p.seccomp_filters);
    std::string caps = p.caps_known ? inspect::cap_summary(p.cap_eff) : "?";
    if (caps.size() > 20) caps = caps.substr(0, 17) + "...";
    std::string comm = file::escape_terminal(p.comm), label = file::escape_terminal(p.lsm_label);
    std::printf("%7d %-16.16s %6s %-10s %3s %-20s %s\n", p.pid, comm.c_str(), p.uid.c_str(), sc.c_str(),
                p.no_new_privs < 0 ? "?" : std::to_string(p.no_new_privs).c_str(), caps.c_str(),
                label.empty() ? "-" : label.c_str());
  }
  return kExitOk;
}

}  // namespace

int verb_inspect(std::span<char* const> argv) {
  if (wants_help(argv)) {
    usage(std::cout);
    return kExitOk;
  }
  auto args = Args::parse(argv, kOpts);
  if (!args) {
    print_error(args.error());
    return kExitUsage;
  }
  std::string format = args->get("output").value_or("text");
  if (format != "text" && format != "json") {
    print_error("-o must be text or json, not \"" + format + "\"");
    return kExitUsage;
  }
  bool json = format == "json";
  if (args->positional().size() > 1) {
    print_error("inspect takes at most one PID (or \"self\")");
    return kExitUsage;
  }
  if (args->has("all")) {
    if (!args->positional().empty() || args->has("probe")) {
      print_error("--all takes no PID and no --probe");
      return kExitUsage;
    }
    return run_all(json);
  }
  pid_t pid = 0;
  if (!args->positional().empty() && args->positional()[0] != "self") {
    const std::string& s = args->positional()[0];
    char* end = nullptr;
    long v = std::strtol(s.c_str(), &end, 10);
    if (s.empty() || !end || *end || v <= 0 || v > 4194304 /* PID_MAX_LIMIT */) {
      print_error("PID must be a positive number or \"self\", not \"" + s + "\"");
      return kExitUsage;
    }
    pid = static_cast<pid_t>(v);
    if (pid == getpid()) pid = 0;
  }
  int timeout_ms = 500;
  if (auto t = args->get("timeout")) {
    char* end = nullptr;
    long v = std::strtol(t->c_str(), &end, 10);
    if (t->empty() || !end || *end || v < 1 || v > 60000) {
      print_error("--timeout must be 1..60000 milliseconds");
      return kExitUsage;
    }
    timeout_ms = static_cast<int>(v);
  }
  if (args->has("probe") && pid != 0) {
    print_error(
        "--probe works on this process only (self): the probe forks children that inherit its filters");
    return kExitUsage;
  }
  auto rep = inspect::inspect_pid(pid);
  if (!rep) {
    print_error(rep.error());
    return kExitInvalid;
  }
  std::optional<inspect::ProbeReport> probe;
  if (args->has("probe")) {
    inspect::ProbeOptions po;
    po.timeout_ms = timeout_ms;
    auto pr = inspect::probe_self(po);
    if (!pr) {
      print_error(pr.error());
      return kExitInvalid;
    }
    probe = std::move(*pr);
  }
  std::cout << (json ? report_json(*rep, probe ? &*probe : nullptr)
                     : report_text(*rep, probe ? &*probe : nullptr));
  return kExitOk;
}

}  // namespace confine::cli
