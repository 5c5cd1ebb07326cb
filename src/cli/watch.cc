// confine watch [--rules FILE...] [--profile DIR] [-o text|json] -- CMD
// Argument wiring and output only: the engine is src/watch, the supervisor src/record.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/verbs.h"
#include "record/recorder.h"
#include "watch/ebpf.h"
#include "watch/live.h"
#include "watch/rules.h"

namespace confine::cli {

namespace {
constexpr OptSpec kOpts[] = {
    {"rules", 'r', true, "FILE",
     "a Falco-format rules file (repeatable, loaded in order; `stock` names the built-in rules). "
     "Default: the stock rules"},
    {"profile", 'p', true, "DIR",
     "deviation mode: also alert (once each) on a syscall or program DIR/behavior.json never recorded"},
    {"output", 'o', true, "FMT",
     "alert format: text (default) or json (one object per line, falcosidekick's shape)"},
    {"alerts", 0, true, "FILE", "append alerts to FILE instead of stderr"},
    {"check", 0, false, "", "load and compile the rules, list them, run nothing"},
    {"save-events", 0, true, "FILE",
     "also write every syscall as a decoded event to FILE (JSON lines; all are decoded then: slower; "
     "bench/watch_engine_bench.cc replays them)"},
    {"cgroup", 0, true, "PATH",
     "watch the processes of a cgroup v2 and its descendants (a running container) with the eBPF source "
     "instead of running a command: PATH is a directory under the cgroup2 mount or a path below it as "
     "/proc/PID/cgroup shows it"},
    {"all", 0, false, "", "watch every process of the host (but confine itself) with the eBPF source"},
    {"ebpf-ring-bytes", 0, true, "N", "--cgroup/--all: the ring buffer's size (default 32 MiB; tests use 4096)"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine watch [options] -- COMMAND [ARGS...]\n"
        "       confine watch [options] (--cgroup PATH | --all)\n\n"
        "Runs COMMAND (and everything it starts) under the seccomp user-notification supervisor\n"
        "and evaluates Falco-format rules on its syscalls as they happen. Nothing is blocked:\n"
        "each syscall continues after evaluation, and an alert is printed for every rule that\n"
        "matches (on stderr, or --alerts FILE). Rules see a syscall at its entry: they fire on\n"
        "attempts, evt.res is <NA>. With --profile DIR, anything outside the behaviour recorded\n"
        "in DIR/behavior.json (a `confine record -o DIR` output) alerts too. A summary line with\n"
        "the events evaluated, alerts and dropped events ends the run. SIGHUP reloads the rules\n"
        "files (applied at the next event; a file with an error keeps the old rules).\n\n"
        "With --cgroup PATH or --all, nothing is started: an eBPF program (root) sends the syscalls\n"
        "the rules need from the processes already running in that cgroup (or the whole host),\n"
        "each with its return value: evt.res is real and evt.dir is '<'. Nothing waits for\n"
        "confine: events the kernel's ring buffer cannot hold are dropped, counted and reported.\n"
        "It runs until SIGINT or SIGTERM, then prints the summary.\n\noptions:\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine watch -- ./server                       # the stock rules\n"
        "  confine watch -o json --alerts alerts.jsonl -- ./server\n"
        "  confine watch -r stock -r my_rules.yaml -- ./server   # stock rules, then my overrides\n"
        "  confine record -o prof -- ./app && confine watch --profile prof -- ./app --other-mode\n"
        "  confine watch --check -r my_rules.yaml          # validate a rules file (errors at line:col)\n"
        "  confine watch --cgroup /system.slice/nginx.service  # a running service (eBPF)\n"
        "  confine watch -o json --cgroup \"$(sed -n 's/^0:://p' /proc/$(podman inspect -f '{{.State.Pid}}' "
        "web)/cgroup)\"\n"
        "  confine watch --all --alerts /var/log/confine-alerts.log   # the whole host\n"
        "\nA rule, e.g. in my_rules.yaml:\n"
        "  - rule: Curl run by a server\n"
        "    desc: a web server ran curl\n"
        "    condition: evt.type = execve and proc.name = curl and proc.pname in (nginx, node)\n"
        "    output: curl started by %proc.pname (cmdline=%proc.cmdline)\n"
        "    priority: WARNING\n"
        "\nFields, operators and the rules format: docs/watch.md.\n"
        "exit codes: the command's (0 for --cgroup/--all stopped by a signal); 125 confine error (bad\n"
        "rules file, supervisor or eBPF failure);\n"
        "126 not executable; 127 not found; 2 usage.\n";
}
}  // namespace

int verb_watch(std::span<char* const> args) {
  auto pa = parse_verb_args(args, kOpts, usage);
  if (const int* rc = std::get_if<int>(&pa)) return *rc;
  const Args& a = std::get<Args>(pa);
  bool ebpf_scope = a.has("cgroup") || a.has("all");
  if (a.has("cgroup") && a.has("all")) {
    print_error("--cgroup and --all: give one");
    return kExitUsage;
  }
  if (ebpf_scope && !a.rest().empty()) {
    print_error(std::string("--") + (a.has("cgroup") ? "cgroup" : "all") +
                " watches running processes: no command (confine watch [options] -- COMMAND runs one)");
    return kExitUsage;
  }
  std::string fmt = a.get("output").value_or("text");
  if (fmt != "text" && fmt != "json") {
    print_error("-o " + fmt + ": expected text or json");
    return kExitUsage;
  }
  if (a.rest().empty() && !a.has("check") && !ebpf_scope) {
    print_error("no command given (confine watch [options] -- COMMAND)");
    usage(std::cerr);
    return kExitUsage;
  }
  std::vector<std::string> files = a.all("rules");
  if (files.empty()) files.push_back("stock");
  // Loads every --rules file in order (again on SIGHUP).
  auto load = [files]() -> Result<std::unique_ptr<watch::RuleSet>> {
    auto rs = std::make_unique<watch::RuleSet>();
    for (const auto& f : files) {
      if (f == "stock") {
        CONFINE_CHECK_CTX(rs->load(watch::stock_rules(), "stock:rules/confine_rules.yaml"), "rules");
        continue;
      }
      CONFINE_TRY(std::string text, file::read_file(f, file::kMaxProfileBytes));
      CONFINE_CHECK_CTX(rs->load(text, f), "rules");
    }
    CONFINE_CHECK_CTX(rs->compile(), "rules");
    return rs;
  };
  auto loaded = load();
  if (!loaded.ok()) {
    print_error(std::move(loaded).error());
    return 125;
  }
  const watch::RuleSet& rules = **loaded;
  for (const auto& n : rules.notes()) print_warning(n);
  if (a.has("check")) {
    size_t on = 0;
    for (const auto& r : rules.rules()) {
      on += r->enabled;
      std::cout << (r->enabled ? "  " : "- ") << r->name << " [" << watch::priority_name(r->priority) << "] "
                << (r->types.any ? "all syscalls"
                                 : std::to_string(r->types.names.size()) + " syscall" +
                                       (r->types.names.size() == 1 ? "" : "s"))
                << "\n";
    }
    std::cout << on << " rules enabled, " << rules.rules().size() - on << " disabled\n";
    if (a.rest().empty() && !ebpf_scope) return 0;
  }
  std::optional<watch::Baseline> base;
  if (auto dir = a.get("profile")) {
    auto b = watch::load_baseline(*dir);
    if (!b.ok()) {
      print_error(std::move(b).error().context("--profile " + *dir));
      return 125;
    }
    base = std::move(*b);
  }
  file::AppendFile alert_file, events_file;
  if (auto f = a.get("alerts")) {
    auto af = file::AppendFile::open(*f);
    if (!af.ok()) {
      print_error(std::move(af).error().context("--alerts"));
      return 125;
    }
    alert_file = std::move(*af);
  }
  if (auto f = a.get("save-events")) {
    auto ef = file::AppendFile::open(*f);
    if (!ef.ok()) {
      print_error(std::move(ef).error().context("--save-events"));
      return 125;
    }
    events_file = std::move(*ef);
  }
  uint64_t write_errors = 0;
  auto emit = [&](const std::string& line) {
    std::string l = line + "\n";
    if (alert_file.is_open()) {
      if (!alert_file.append(l).ok()) ++write_errors;
    } else {
      ssize_t r = ::write(2, l.data(), l.size());
      if (r != static_cast<ssize_t>(l.size())) ++write_errors;
    }
  };
  if (ebpf_scope) {
    watch::EbpfWatchOptions eo;
    eo.cgroup = a.get("cgroup").value_or("");
    if (auto r = a.get("ebpf-ring-bytes")) {
      char* end = nullptr;
      unsigned long long v = std::strtoull(r->c_str(), &end, 10);
      if (r->empty() || *end || v == 0 || v > (1ull << 30)) {
        print_error("--ebpf-ring-bytes " + *r + ": expected 1..1073741824");
        return kExitUsage;
      }
      eo.ring_bytes = static_cast<size_t>(v);
    }
    eo.loader = load;
    eo.baseline = base ? &*base : nullptr;
    eo.json = fmt == "json";
    eo.emit = emit;
    eo.note = [](const std::string& n) { std::cerr << n << "\n"; };
    if (events_file.is_open())
      eo.capture = [&](const watch::Event& e) {
        if (!events_file.append(watch::event_to_json(e) + "\n").ok()) ++write_errors;
      };
    auto res = watch::watch_ebpf(eo);
    if (!res.ok()) {
      print_error(std::move(res).error().context("watch"));
      return 125;
    }
    const auto& s = res->stats;
    std::string sum = "confine watch: " + std::to_string(res->events) + " kernel events, " +
                      std::to_string(s.evaluated) + " events evaluated, " + std::to_string(s.alerts) +
                      " alerts";
    if (base) sum += " (" + std::to_string(s.deviations) + " deviations)";
    sum += ", " + std::to_string(res->lost) + " dropped";
    if (res->lost)
      sum += " (the ring buffer was full; " + std::to_string(res->lost_exit) +
             " of them exits: evaluated without evt.res, " + std::to_string(res->lost_proc) +
             " process exec/fork/exit: proc fields from /proc)";
    if (s.partial) sum += ", " + std::to_string(s.partial) + " evaluated with fields missing (<NA>)";
    if (write_errors) sum += ", " + std::to_string(write_errors) + " alert/event lines not written";
    std::cerr << sum << "\n";
    return 0;
  }
  watch::LiveWatcher w(&rules, base ? &*base : nullptr, fmt == "json", emit);
  if (events_file.is_open())
    w.set_capture([&](const watch::Event& e) {
      if (!events_file.append(watch::event_to_json(e) + "\n").ok()) ++write_errors;
    });
  w.set_reloader(load, [](const std::string& n) { print_warning(n); });
  record::RecordOptions ro;
  ro.on_hup = [&w] { w.request_reload(); };
  ro.argv = a.rest();
  ro.backend = record::Backend::Unotify;
  ro.errors = false;
  ro.observer = &w;
  auto res = record::record(ro);
  if (!res.ok()) {
    print_error(std::move(res).error().context("watch"));
    return 125;
  }
  const auto& s = w.stats();
  std::string sum = "confine watch: " + std::to_string(res->notifications) + " syscalls, " +
                    std::to_string(s.evaluated) + " events evaluated, " + std::to_string(s.alerts) +
                    " alerts";
  if (base) sum += " (" + std::to_string(s.deviations) + " deviations)";
  uint64_t dropped = s.dropped + res->interrupted_notifications;
  sum += ", " + std::to_string(dropped) + " dropped";
  if (dropped)
    sum += " (" + std::to_string(s.dropped) + " whose task died while read, " +
           std::to_string(res->interrupted_notifications) + " interrupted before the supervisor saw them)";
  if (s.partial) sum += ", " + std::to_string(s.partial) + " evaluated with fields missing (<NA>)";
  if (write_errors) sum += ", " + std::to_string(write_errors) + " alert/event lines not written";
  std::cerr << sum << "\n";
  if (res->behavior.partial) print_warning("watch: " + res->behavior.partial_reason);
  return res->exit_code;
}

}  // namespace confine::cli
