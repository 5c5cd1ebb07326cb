// confine run [options] -- COMMAND [ARGS...]
// Argument wiring and output only; the enforcer is src/sandbox/launcher.cc.
#include <linux/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <set>

#include "apparmor/apparmor.h"
#include "apparmor/complain.h"
#include "apparmor/eval.h"
#include "apparmor/landlock.h"
#include "apparmor/run_profile.h"
#include "cli/args.h"
#include "cli/seccomp_profile_args.h"
#include "cli/verbs.h"
#include "sandbox/caps.h"
#include "sandbox/config.h"
#include "sandbox/fds.h"
#include "sandbox/landlock.h"
#include "sandbox/launcher.h"
#include "sandbox/limits.h"
#include "sandbox/mounts.h"
#include "sandbox/namespaces.h"
#include "sandbox/seccomp_install.h"
#include "sandbox/suggest.h"
#include "sandbox/user.h"
#include "supervise/event.h"
#include "supervise/listener.h"

namespace confine::cli {

namespace {

using namespace confine::sandbox;

constexpr OptSpec kOpts[] = {
    {"unshare", 0, true, "NS,...", "also create these namespaces (net; all)"},
    {"unshare-all", 0, false, "", "new namespaces for everything, network included"},
    {"share", 0, true, "NS,...", "keep these host namespaces (pid, net, ipc, uts, mount, cgroup)"},
    {"network", 0, true, "MODE",
     "host (default: the host's network, see docs/run.md) or none (new network namespace, only lo)"},
    {"hostname", 0, true, "NAME", "hostname in the new uts namespace (default: confine)"},
    {"read-only", 0, false, "", "make the whole root read-only (readOnlyRootFilesystem)"},
    {"tmpfs", 0, true, "PATH[:SIZE]", "mount an empty writable tmpfs at PATH (emptyDir), e.g. /tmp:64m"},
    {"bind", 0, true, "SRC[:DST[:ro]]", "bind-mount SRC at DST (rw unless :ro; always nodev,nosuid)"},
    {"device", 0, true, "/dev/NODE",
     "pass the host device node through into the private /dev (e.g. /dev/fuse; repeatable)"},
    {"cap-drop", 0, true, "ALL|CAPS", "drop capabilities (names with or without CAP_, any case)"},
    {"cap-add", 0, true, "CAPS", "add capabilities (after --cap-drop)"},
    {"user", 'u', true, "UID[:GID]", "run as UID (runAsUser) and GID (runAsGroup; default: UID)"},
    {"no-root", 0, false, "", "refuse to run as uid 0 (runAsNonRoot)"},
    {"allow-privilege-escalation", 0, false, "", "do not set no_new_privs"},
    {"seccomp", 0, true, "PROFILE", "PROFILE.json, runtime-default (default) or unconfined"},
    {"profile", 0, true, "DIR", "directory with seccomp.json (and apparmor.profile, if present)"},
    kCompatOpt,
    {"apparmor", 0, true, "PROFILE",
     "enforce an AppArmor profile's file rules with Landlock (approximations are printed)"},
    {"apparmor-mode", 0, true, "MODE",
     "AppArmor: enforce or complain (overrides flags=(complain); complain: no Landlock, report denials)"},
    {"mode", 0, true, "MODE", "seccomp: enforce (default) or complain (report what the profile would deny)"},
    {"log", 0, true, "FILE",
     "complain mode (seccomp or AppArmor): append events as JSON lines to FILE (opened before the command "
     "runs)"},
    {"suggest", 0, true, "OUT.json",
     "complain mode: write the profile that would have allowed the run (path checked before the command "
     "runs)"},
    {"pin-cpu", 0, false, "", "complain mode: pin supervisor and command to one CPU"},
    {"ro", 0, true, "PATH",
     "Landlock: allow reading PATH (repeatable; any --ro/--rw/--exec denies the rest)"},
    {"rw", 0, true, "PATH", "Landlock: allow reading and writing PATH"},
    {"exec", 0, true, "PATH", "Landlock: allow reading and executing PATH"},
    {"memory", 0, true, "SIZE", "memory limit (cgroup only: refused, exit 125, without a usable one)"},
    {"pids", 0, true, "N",
     "process limit (cgroup; RLIMIT_NPROC where the kernel applies it; else refused, exit 125)"},
    {"cpu", 0, true, "CPUS", "CPU limit, e.g. 0.5 (cgroup only: refused, exit 125, without a usable one)"},
    {"timeout", 0, true, "DURATION",
     "kill the sandbox after DURATION (10, 1.5s, 500ms, 2m); exit 124 (not with --share pid)"},
    {"keep-fd", 0, true, "N", "keep file descriptor N open (repeatable)"},
    {"clear-env", 0, false, "", "start from an empty environment (PATH set to the default)"},
    {"env", 'e', true, "NAME=VALUE", "set an environment variable"},
    {"dry-run", 'n', false, "", "print the plan (each facet and its settings) and exit"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine run [options] [--] COMMAND [ARGS...]\n\n"
        "Runs COMMAND confined: new namespaces (user when not root, pid, mount, ipc, uts,\n"
        "cgroup; net with --network none), podman's default capabilities, no_new_privs, the\n"
        "runtime-default seccomp profile (installed last), optional Landlock allow-lists,\n"
        "limits, a new session and only fds 0-2.\n\noptions:\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine run --cap-drop ALL -- grep Cap /proc/self/status\n"
        "  confine run --read-only --tmpfs /tmp:64m --unshare-all -- sh -c 'ps; touch /tmp/x'\n"
        "  confine run --seccomp my.json --mode complain --suggest fixed.json -- ./app\n"
        "  confine run --compat libseccomp -- ./i386-app   # x86 socketcall/ipc as libseccomp (wider)\n"
        "  confine run --dry-run --unshare-all --cap-drop ALL -- true\n"
        "  confine run --device /dev/fuse -- sshfs host:/srv /mnt\n"
        "  confine run --network none -- curl http://127.0.0.1:8080/   # fails: no host network\n"
        "  confine run --pids 64 --memory 256m -- make -j8             # exit 125 if not enforceable\n"
        "\nfiles and devices: with a mount namespace (the default) /dev is private (null, zero, full,\n"
        "random, urandom, tty, a new devpts, private shm and mqueue), every other mount is nodev,\n"
        "/sys is read-only and the /proc and /sys entries runtimes mask are masked (see --dry-run).\n"
        "\ncomplain modes: --mode complain observes the seccomp profile; an AppArmor profile with\n"
        "flags=(complain) or --apparmor-mode complain is observed instead of enforced with Landlock.\n"
        "They combine: seccomp enforce + AppArmor complain = syscalls the seccomp profile denies still\n"
        "fail, the allowed file syscalls are checked against the AppArmor profile (and its Landlock\n"
        "translation: \"landlock would deny ...\" is what enforce mode would deny); both complain = both\n"
        "reported (\"complain: pid ...\" lines for seccomp, \"complain: apparmor would deny ...\" for\n"
        "AppArmor; --log gets JSON lines with \"kind\":\"seccomp\" or \"kind\":\"apparmor\").\n"
        "\nexit codes: the command's; 128+N if killed by signal N; 124 timeout;\n"
        "125 confine error (the command did not run); 126 not executable; 127 not found\n";
}

Status fill_config(const Args& a, RunConfig& c) {
  // namespaces
  c.ns.user = getuid() != 0;
  for (const auto& v : a.all("unshare")) CONFINE_CHECK(set_namespaces(c.ns, v, true));
  if (a.has("unshare-all")) CONFINE_CHECK(set_namespaces(c.ns, "all", true));
  for (const auto& v : a.all("share")) {
    CONFINE_CHECK(set_namespaces(c.ns, v, false));
    if (getuid() != 0 && !c.ns.user) return Error("--share user: a user namespace is needed when not root");
  }
  if (auto n =
          a.get("network")) {  // after --unshare-all: `--unshare-all --network host` keeps only the network
    auto names_net = [&](const char* opt) {
      for (const auto& v : a.all(opt))
        for (std::string_view item : {std::string_view("net"), std::string_view("network")}) {
          std::string list = "," + v + ",";
          if (list.find("," + std::string(item) + ",") != std::string::npos) return true;
        }
      return false;
    };
    if (*n == "none")
      c.ns.net = true;
    else if (*n == "host")
      c.ns.net = false;
    else
      return Error("--network " + *n + ": expected none or host");
    if (names_net(*n == "none" ? "share" : "unshare"))
      return Error("--network " + *n + " contradicts --" + (*n == "none" ? "share" : "unshare") + " net");
  }
  if (auto h = a.get("hostname")) c.ns.hostname = *h;
  // user
  if (auto u = a.get("user")) CONFINE_CHECK(parse_user(c.user, *u));
  c.user.no_root = a.has("no-root");
  c.userns.outer_uid = getuid();
  c.userns.outer_gid = getgid();
  c.userns.inner_uid = c.user.uid.value_or(getuid());
  c.userns.inner_gid = c.user.gid.value_or(c.user.uid ? static_cast<gid_t>(*c.user.uid) : getgid());
  // mounts
  c.mounts.read_only_root = a.has("read-only");
  for (const auto& v : a.all("tmpfs")) {
    CONFINE_TRY(auto t, parse_tmpfs(v));
    c.mounts.tmpfs.push_back(t);
  }
  for (const auto& v : a.all("bind")) {
    CONFINE_TRY(auto b, parse_bind(v));
    c.mounts.binds.push_back(b);
  }
  c.mounts.new_proc = c.ns.pid && c.ns.mount;
  c.mounts.private_dev = c.ns.mount;
  c.mounts.new_ipc = c.ns.ipc;
  for (const auto& v : a.all("device")) {
    if (v.ends_with(":ro"))
      return Error(
          "--device " + v +
          ": read-only device access cannot be enforced with a mount (writes to a device node ignore "
          "a read-only mount); pass the node read-write or not at all");
    std::string d = v.ends_with(":rw") ? v.substr(0, v.size() - 3) : v;
    if (!c.ns.mount) return Error("--device " + v + ": needs a mount namespace (do not --share mount)");
    c.mounts.devices.push_back(d);
  }
  // capabilities (Kubernetes: default set, minus drop, plus add)
  c.caps.keep = default_caps_mask();
  for (const auto& v : a.all("cap-drop")) {
    CONFINE_TRY(uint64_t m, parse_cap_list(v));
    c.caps.keep &= ~m;
  }
  for (const auto& v : a.all("cap-add")) {
    CONFINE_TRY(uint64_t m, parse_cap_list(v));
    c.caps.keep |= m;
    c.caps.ambient |= m;
  }
  c.nnp.no_new_privs = !a.has("allow-privilege-escalation");
  // Landlock scopes: no signal out of the sandbox; no abstract unix socket of
  // the host when its network namespace (where they live) is shared.
  c.landlock.scoped =
      landlock_access::kScopeSignal | (c.ns.net ? 0 : landlock_access::kScopeAbstractUnixSocket);
  // Landlock
  c.landlock.ro = a.all("ro");
  c.landlock.rw = a.all("rw");
  c.landlock.exec = a.all("exec");
  // limits
  if (auto v = a.get("memory")) {
    CONFINE_TRY(uint64_t m, parse_size(*v));
    c.limits.memory_bytes = m;
  }
  if (auto v = a.get("pids")) {
    CONFINE_TRY(uint64_t m, parse_size(*v));
    c.limits.pids = m;
  }
  if (auto v = a.get("cpu")) {
    CONFINE_TRY(double d, parse_cpus(*v));
    c.limits.cpus = d;
  }
  {  // who the command is in the initial user namespace decides whether RLIMIT_NPROC binds it
    uid_t init_uid = c.ns.user ? getuid() : c.user.uid.value_or(getuid());
    uint64_t init_caps = c.ns.user ? 0 : c.caps.keep;
    uint64_t exempt = (1ull << CAP_SYS_RESOURCE) | (1ull << CAP_SYS_ADMIN);
    c.limits.nproc_rlimit_ignored = init_uid == 0 || (init_caps & exempt) != 0;
    c.limits.cgroupfs_writable = !c.ns.mount;
  }
  if (auto v = a.get("timeout")) {
    CONFINE_TRY(double d, parse_duration(*v));
    c.limits.timeout_s = d;
  }
  if (c.limits.timeout_s && !c.ns.pid)  // killing pid 1 of a pid namespace is what reaches every process
    return Error(
        "--timeout needs the sandbox's own pid namespace: with --share pid a process that leaves the session "
        "(setsid) would outlive the timeout");
  // hygiene
  for (const auto& v : a.all("keep-fd")) {
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end || n < 3 || n > 1 << 20)
      return Error("--keep-fd " + v + ": expected a number >= 3");
    c.fds.keep.push_back(static_cast<int>(n));
  }
  c.env.clear = a.has("clear-env");
  c.env.set = a.all("env");
  for (const auto& kv : c.env.set)
    if (kv.find('=') == std::string::npos || kv[0] == '=')
      return Error("--env " + kv + ": expected NAME=VALUE");
  // seccomp
  std::string mode = a.get("mode").value_or("enforce");
  SeccompMode sm;
  if (mode == "enforce")
    sm = SeccompMode::Enforce;
  else if (mode == "complain")
    sm = SeccompMode::Complain;
  else
    return Error("--mode " + mode + ": expected enforce or complain");
  apparmor::RunProfileOptions po;
  po.seccomp = a.get("seccomp").value_or("");
  po.profile_dir = a.get("profile").value_or("");
  po.apparmor = a.get("apparmor").value_or("");
  if (auto m = a.get("apparmor-mode")) {
    if (*m == "complain")
      po.apparmor_complain = true;
    else if (*m == "enforce")
      po.apparmor_complain = false;
    else
      return Error("--apparmor-mode " + *m + ": expected enforce or complain");
  }
  po.mode = sm;
  CONFINE_TRY(seccomp::CompileOptions compat, compat_options(a));
  po.libseccomp_compat = compat.libseccomp_compat;
  po.dry_run = a.has("dry-run");
  CONFINE_CHECK(
      apparmor::apply_run_profile(c, po,
                                  {[](const std::string& w) { print_warning(w); },
                                   [](const std::string& m) { std::cerr << "confine: " << m << "\n"; }}));
  c.log_path = a.get("log").value_or("");
  c.suggest_path = a.get("suggest").value_or("");
  c.pin_cpu = a.has("pin-cpu");
  if (!c.suggest_path.empty() && sm != SeccompMode::Complain)
    return Error(
        "--suggest: --log and --suggest need --mode complain (--log also works with an AppArmor profile in "
        "complain mode)");
  if (!c.log_path.empty() && sm != SeccompMode::Complain && !c.observe.enabled())
    return Error("--log needs --mode complain or an AppArmor profile in complain mode");
  c.argv = a.rest();
  if (c.argv.empty()) return Error("no command given (usage: confine run [options] -- COMMAND [ARGS...])");
  return ok();
}
}  // namespace

int verb_run(std::span<char* const> args) {
  if (wants_help(args) &&
      (args.empty() || std::string_view(args[0]) == "--help" || std::string_view(args[0]) == "-h")) {
    usage(std::cout);
    return kExitOk;
  }
  auto parsed = Args::parse(args, kOpts, /*stop_at_positional=*/true);
  if (!parsed.ok()) {
    print_error(parsed.error());
    return kExitConfineError;
  }
  RunConfig c;
  if (auto s = fill_config(*parsed, c); !s.ok()) {
    print_error(s.error());
    return kExitConfineError;
  }
  if (parsed->has("dry-run")) {
    if (auto s = validate(c); !s.ok()) {
      print_error(s.error());
      return kExitConfineError;
    }
    if (auto s = check_limits(c.limits); !s.ok()) {  // as the run would refuse it
      std::cout << plan(c);
      print_error(s.error());
      return kExitConfineError;
    }
    std::cout << plan(c);
    return kExitOk;
  }
  // Output paths are checked before the command starts: a path that cannot be
  // written is exit 125 with the command not run.
  file::AppendFile log;
  if (!c.log_path.empty()) {
    auto l = file::AppendFile::open(c.log_path);
    if (!l.ok()) {
      print_error(std::move(l).error().context("--log"));
      return kExitConfineError;
    }
    log = std::move(*l);
  }
  if (!c.suggest_path.empty()) {
    if (auto s = file::check_writable(c.suggest_path); !s.ok()) {
      print_error(std::move(s).error().context("--suggest"));
      return kExitConfineError;
    }
  }
  LaunchHooks hooks;
  apparmor::ComplainSummary aa_summary;
  hooks.on_event = [&](const std::string& line, const Result<supervise::Event>& ev) {
    // One write per line: the command shares this stderr.
    if (ev.ok()) aa_summary.add(*ev);
    // comm, paths and arguments come from the task: escaped before they reach the terminal.
    std::string text =
        "confine: complain: " + file::escape_terminal(ev.ok() ? supervise::to_text(*ev) : line) + "\n";
    if (write(STDERR_FILENO, text.data(), text.size()) < 0) { /* stderr gone: keep supervising */
    }
    if (log.is_open()) (void)log.append(line + "\n");  // a full disk must not stop supervision
  };
  ComplainReport report;
  int code = launch(c, hooks, &report);
  if (c.observe.enabled())
    std::cerr << "confine: complain summary (apparmor): " << file::escape_terminal(aa_summary.str()) << "\n";
  if (c.seccomp.mode == SeccompMode::Complain) {
    std::string list;
    for (const auto& s : report.syscalls) list += (list.empty() ? "" : " ") + s;
    std::cerr << "confine: complain summary: " << report.events << " event(s), " << report.syscalls.size()
              << " syscall(s) the profile would deny" << (list.empty() ? "" : ": ") << list << "\n";
    if (!c.suggest_path.empty()) {
      auto s = write_suggestion(c.seccomp.source, report.syscalls, c.suggest_path);
      if (!s.ok()) {
        print_error(std::move(s).error().context("--suggest"));
        return code == 0 ? kExitConfineError : code;
      }
      std::cerr << "confine: wrote " << c.suggest_path << "\n";
    }
  }
  return code;
}

}  // namespace confine::cli
