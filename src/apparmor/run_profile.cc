#include "apparmor/run_profile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <utility>
#include <vector>

#include "apparmor/apparmor.h"
#include "apparmor/complain.h"
#include "apparmor/eval.h"
#include "apparmor/landlock.h"
#include "core/file.h"
#include "sandbox/landlock.h"
#include "sandbox/seccomp_install.h"
#include "supervise/listener.h"

namespace confine::apparmor {

namespace {

using sandbox::SeccompConfig;
using sandbox::SeccompMode;

// --apparmor: parse, resolve includes/variables, translate the first profile's
// file rules to a Landlock layer (in the parent, before any mount namespace,
// because the translation enumerates the real filesystem).
struct LoadedAppArmor {
  Resolved r;
  std::shared_ptr<Profile> profile;  // the first profile of the file
};
Result<LoadedAppArmor> load_apparmor(const std::string& path) {
  CONFINE_TRY(std::string text, file::read_file(path));
  CONFINE_TRY(File f, parse(text, path));
  std::string dir = std::filesystem::path(path).parent_path().string();
  CONFINE_TRY(Resolved r, resolve(std::move(f), dir.empty() ? "." : dir));
  auto profs = profiles(r.main);
  if (profs.empty()) return Error(path + ": no profile in file");
  return LoadedAppArmor{std::move(r), profs[0]};
}

Result<sandbox::LandlockConfig::Layer> apparmor_layer(const std::string& path, const LoadedAppArmor& aa,
                                                      bool brief, bool* restricts_exec,
                                                      const RunProfileReport& report) {
  const Resolved& r = aa.r;
  CONFINE_TRY(Translation t, to_landlock(r, *aa.profile));
  if (!brief || t.warnings.size() <= 1) {
    for (const auto& w : t.warnings) report.warning("--apparmor " + path + ": " + w);
  } else {
    // A generated profile picked up from --profile DIR is enforced on every
    // replay: one line, the details are a command away.
    report.info(path + ": file rules enforced through Landlock ABI " + std::to_string(t.abi) + " (" +
                std::to_string(t.rules.size()) + " path rules; " + std::to_string(t.warnings.size()) +
                " approximations: confine apparmor to-landlock " + path + ")");
  }
  sandbox::LandlockConfig::Layer l;
  l.source = "--apparmor " + path;
  l.handled = t.handled;
  *restricts_exec = (t.handled & sandbox::landlock_access::kExecute) != 0;
  for (const auto& pr : t.rules) {
    if (pr.path == "/" && (pr.access & sandbox::landlock_access::kExecute)) *restricts_exec = false;
    l.rules.emplace_back(pr.path, pr.access);
  }
  for (const auto& sr : t.self_rules) l.self_rules.emplace_back(sr.rel, sr.access);
  return l;
}

}  // namespace

Status apply_run_profile(sandbox::RunConfig& c, const RunProfileOptions& o, const RunProfileReport& report) {
  const SeccompMode sm = o.mode;
  // Row sandbox-proc: the sandbox's own /proc (read-only knobs, masked entries) holds only its
  // processes, so a thread-name rule is granted on it for every process of the sandbox.
  const bool own_proc = c.mounts.new_proc && c.mounts.harden_sys_proc;
  // AppArmor profile first: in complain mode its file syscalls are also observed
  // by the seccomp complain filter (a task can have only one listener).
  std::string aa = o.apparmor;
  if (!o.profile_dir.empty() && aa.empty()) {
    std::string p = o.profile_dir + "/apparmor.profile";
    if (access(p.c_str(), F_OK) == 0) aa = p;
  }
  if (o.apparmor_complain && aa.empty())
    return Error("--apparmor-mode needs an AppArmor profile (--apparmor PROFILE or --profile DIR)");
  std::optional<LoadedAppArmor> aa_loaded;
  bool aa_complain = false;
  if (!aa.empty()) {
    auto l = load_apparmor(aa);
    if (!l.ok()) return std::move(l).error().context("--apparmor");
    aa_loaded = std::move(*l);
    aa_complain = o.apparmor_complain.value_or(profile_complain(*aa_loaded->profile));
  }
  if (aa_complain) {
    std::vector<std::string> notes;
    // What the Landlock translation would deny is reported too: complain mode says what
    // `confine run` would deny in enforce mode on this kernel (no AppArmor LSM).
    std::optional<Translation> tr;
    if (auto t = to_landlock(aa_loaded->r, *aa_loaded->profile); t.ok()) {
      tr = std::move(*t);
      tr->own_proc = own_proc;
    } else
      notes.push_back("Landlock translation unavailable (" + t.error().message() +
                      "): only the AppArmor evaluation is reported");
    auto obs = complain_observer(aa_loaded->r, *aa_loaded->profile, &notes, std::move(tr));
    if (!obs.ok()) return std::move(obs).error().context("--apparmor " + aa);
    for (const auto& n : notes) report.warning("--apparmor " + aa + ": " + n);
    c.observe = std::move(*obs);
  }
  std::string prof = o.seccomp;
  if (!o.profile_dir.empty()) {
    const std::string& dir = o.profile_dir;
    if (!prof.empty()) return Error("--profile and --seccomp both given: choose one");
    struct stat st;
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return Error("--profile " + dir + ": not a directory");
    prof = dir + "/seccomp.json";
    if (stat(prof.c_str(), &st) != 0)
      return Error::sys("--profile " + dir + ": stat(\"" + prof + "\")", errno);
  }
  if (prof.empty()) prof = "runtime-default";  // bundled: compiled into the binary
  if (prof == "unconfined") {
    if (sm == SeccompMode::Complain) return Error("--mode complain needs a seccomp profile (not unconfined)");
    c.seccomp.mode = SeccompMode::Unconfined;
  } else {
    auto prepare = [prof, sm, caps = c.caps.keep, compat = o.libseccomp_compat, warn = report.warning,
                    notify = c.observe.enabled() ? c.observe.syscalls
                                                 : std::vector<std::string>{}]() -> Result<SeccompConfig> {
      std::vector<std::string> warnings;
      auto s = sandbox::prepare_seccomp(prof, sm, caps, &warnings, notify, compat);
      for (const auto& w : warnings) warn(w);
      return s;
    };
    if (sm == SeccompMode::Enforce && !c.observe.enabled() && !o.dry_run) {
      // Compiled by launch() while the sandbox sets itself up (start-up, docs/benchmarks.md).
      c.seccomp.mode = SeccompMode::Enforce;
      c.seccomp.source = prof;
      c.seccomp.deferred = prepare;
    } else {
      auto s = prepare();
      if (!s.ok()) return std::move(s).error().context("seccomp");
      c.seccomp = std::move(*s);
    }
  }
  if (c.observe.enabled() && c.seccomp.mode != SeccompMode::Complain) {
    auto f = supervise::notify_filter(c.observe.syscalls);
    if (!f.ok()) return std::move(f).error().context("--apparmor-mode complain: observation filter");
    c.observe.prog = std::move(*f);
  }
  bool aa_restricts_exec = false;
  if (aa_loaded && !aa_complain) {
    // --dry-run shows every row of the translation (its subtree grants) with its uses.
    auto l = apparmor_layer(aa, *aa_loaded, /*brief=*/o.apparmor.empty() && !o.dry_run, &aa_restricts_exec,
                            report);
    if (!l.ok()) return std::move(l).error().context("--apparmor");
    c.landlock.layer = std::move(*l);
    bool task_rule = false;
    for (const auto& [rel, acc] : c.landlock.layer->self_rules) task_rule |= rel == "task";
    if (own_proc && task_rule) {
      c.landlock.layer->own_proc = true;
      if (!o.apparmor.empty() || o.dry_run)
        report.warning("--apparmor " + aa +
                       ": widening row sandbox-proc: /proc/self/task -> the sandbox's own /proc (every "
                       "process of the sandbox; confine apparmor to-landlock explains the row)");
    }
  }
  if (!c.landlock.exec.empty() || aa_restricts_exec) {
    auto m = sandbox::memfd_noexec_filter();
    if (!m.ok()) return std::move(m).error().context("--exec: memfd filter");
    c.seccomp.memfd_noexec = std::move(*m);
  }
  return ok();
}

}  // namespace confine::apparmor
