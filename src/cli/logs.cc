// confine logs [FILE|-] [--follow] [-o json] [--to-seccomp PROFILE [-w]]
//              [--to-apparmor PROFILE [-w]] [INPUT...]
#include "logs/logs.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <optional>
#include <set>
#include <string>

#include "apparmor/logprof.h"
#include "cli/args.h"
#include "cli/verbs.h"
#include "json/json.h"
#include "logs/filter.h"
#include "logs/report.h"
#include "logs/to_seccomp.h"
#include "supervise/event.h"

namespace confine::cli {

namespace {
// Calls fn(line, line_number) for every line of data that is a JSON object
// (leading blanks skipped): confine's complain-mode log lines.
template <class Fn>
void for_each_json_line(std::string_view data, Fn fn) {
  size_t ln = 0, start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    std::string_view line =
        data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? data.size() : nl + 1;
    ++ln;
    size_t b = line.find_first_not_of(" \t");
    if (b != std::string_view::npos && line[b] == '{') fn(line.substr(b), ln);
  }
}

constexpr OptSpec kOpts[] = {
    {"output", 'o', true, "FORMAT", "text (default) or json"},
    {"follow", 'f', false, "", "keep reading (FILE or /dev/kmsg) and print events as they come"},
    {"to-seccomp", 0, true, "PROFILE",
     "print PROFILE with the logged syscalls allowed (audit2allow for seccomp; also reads the JSON lines of "
     "`confine run --mode complain --log`)"},
    {"to-apparmor", 0, true, "PROFILE",
     "add rules to the AppArmor PROFILE for logged DENIED/ALLOWED accesses (aa-logprof without the LSM)"},
    {"write", 'w', false, "", "with --to-seccomp/--to-apparmor: write the result back to PROFILE"},
    {"summary", 's', false, "", "text output: print only the summary, not every event"},
    {"comm", 0, true, "NAME", "only records of tasks named NAME (repeatable; the task sets its own name)"},
    {"exe", 0, true, "PATH", "only records of the executable PATH (repeatable)"},
    {"pid", 0, true, "PID", "only records of process PID (repeatable)"},
    {"cgroup", 0, true, "PATH|ID",
     "only records of the processes now in cgroup PATH (or below), or of the container with this id"},
    {"since", 0, true, "WHEN", "only records at or after WHEN: 10m, 2h, 1d, @EPOCH, 2026-12-06T19:00:00Z"},
    {"all-processes", 0, false, "",
     "--to-seccomp/--to-apparmor: accept records of every process of the host (no attributable filter)"},
    {"help", 'h', false, "", "show this help"},
};

void usage(std::ostream& os) {
  os << "usage: confine logs [FILE|-] [--follow] [-o json] [--to-seccomp PROFILE [-w]]\n"
        "       confine logs --to-apparmor PROFILE [-w] [INPUT...]\n\n"
        "Reads kernel security audit records — seccomp (type=1326), AppArmor (type=1400/AVC),\n"
        "SELinux AVC and Landlock (1423/1424) — from dmesg or /dev/kmsg output, syslog, the\n"
        "journal (short, export or json output) or auditd's audit.log, and prints the events\n"
        "with syscall names per architecture, grouped and counted. Without FILE, reads every\n"
        "current record of /dev/kmsg (needs CAP_SYSLOG when dmesg_restrict=1).\n\noptions:\n"
     << format_options(kOpts)
     << "\nexamples:\n"
        "  confine logs                                  # the kernel ring buffer\n"
        "  journalctl -k -o export | confine logs -\n"
        "  confine logs /var/log/audit/audit.log -o json\n"
        "  confine logs /var/log/syslog --to-seccomp profiles/audit.json -w\n"
        "  confine logs --exe /usr/sbin/nginx --since 1h --to-seccomp prof/seccomp.json\n"
        "  confine logs --cgroup 3f2a9c1b7e4d --comm redis-server -o json\n"
        "  confine logs --to-apparmor /etc/apparmor.d/usr.bin.foo /var/log/audit/audit.log   # show the "
        "diff\n"
        "\n--to-apparmor reads AppArmor DENIED/ALLOWED records (file, capability, network) for the\n"
        "profiles defined in PROFILE, confine's complain-mode JSON lines ({\"kind\":\"apparmor\",...})\n"
        "and Landlock denials (type=1423, when PROFILE has one profile); prints the added rules as\n"
        "a diff; -w rewrites PROFILE (canonical format). Paths already allowed add nothing; no\n"
        "write is added on /, /root, /home, /dev, /proc, /sys, /etc or directly in them.\n"
        "--to-seccomp never allows a syscall the profile names in an SCMP_ACT_ERRNO rule (a\n"
        "deliberate answer, e.g. clone3 -> ENOSYS); it says so instead.\n"
        "\nfilters: kernel records carry no cgroup and a task sets its own comm, so --comm alone can be\n"
        "forged by any neighbour. --to-seccomp and --to-apparmor therefore take records of the live\n"
        "kernel log, or of a file whose records come from several programs, only with --exe, --pid or\n"
        "--cgroup (pids of the processes in it now), or with an explicit --all-processes. Records\n"
        "without a timestamp never pass --since. confine's own complain JSON lines are not filtered.\n"
        "\nexit codes: 0 ok, 1 unreadable input or profile, 2 usage\n";
}

// Reads every current /dev/kmsg record (non-blocking); with follow, waits for more.
int read_kmsg(bool follow, const std::function<void(std::string_view)>& on_record) {
  int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    print_error(Error::sys("open(\"/dev/kmsg\")", errno));
    return kExitInvalid;
  }
  char buf[16384];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      on_record(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) continue;  // records overwritten while we read: go on with the next
    if (n < 0 && errno == EAGAIN) {
      if (!follow) break;
      pollfd p{fd, POLLIN, 0};
      poll(&p, 1, -1);
      continue;
    }
    if (n < 0) {
      int e = errno;
      close(fd);
      print_error(Error::sys("read(\"/dev/kmsg\")", e));
      return kExitInvalid;
    }
    break;
  }
  close(fd);
  return kExitOk;
}

// tail -f: reads FILE from the start, then keeps reading appended lines.
int follow_file(const std::string& path, const std::function<void(std::string_view)>& on_line) {
  auto opened = path == "-" ? Result<int>(dup(0)) : file::open_regular(path);
  if (!opened.ok() || *opened < 0) {
    print_error(opened.ok() ? Error::sys("dup(0)", errno) : opened.error());
    return kExitInvalid;
  }
  int fd = *opened;
  std::string pending;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      print_error(Error::sys("read(\"" + path + "\")", e));
      return kExitInvalid;
    }
    if (n == 0) {
      if (path == "-") break;
      usleep(200 * 1000);
      continue;
    }
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    for (;;) {
      auto nl = pending.find('\n', start);
      if (nl == std::string::npos) break;
      on_line(std::string_view(pending).substr(start, nl - start));
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() > (1u << 20)) {  // an endless line: drop it (counted as one skipped record)
      on_line(std::string_view("\x01"));
      pending.clear();
    }
  }
  if (!pending.empty()) on_line(pending);
  close(fd);
  return kExitOk;
}

// logs::Event -> apparmor::LogEntry (AppArmor DENIED/ALLOWED file, capability and network
// records; Landlock 1423 file denials).
std::optional<apparmor::LogEntry> log_entry(const logs::Event& ev, const std::string& input) {
  apparmor::LogEntry e;
  e.origin = input + ":" + std::to_string(ev.line);
  if (ev.kind == logs::Kind::Landlock) {
    if (ev.type != 1423) return std::nullopt;
    return apparmor::entry_from_landlock(ev.blockers, ev.get("path"), e.origin);
  }
  if (ev.kind != logs::Kind::AppArmor) return std::nullopt;
  if (ev.apparmor != "DENIED" && ev.apparmor != "ALLOWED") return std::nullopt;
  e.profile = ev.profile;
  if (!ev.capname.empty()) {
    e.kind = apparmor::LogEntry::Kind::Capability;
    e.capname = ev.capname;
    return e;
  }
  if (!ev.family.empty()) {
    e.kind = apparmor::LogEntry::Kind::Network;
    e.family = ev.family;
    e.sock_type = ev.sock_type;
    return e;
  }
  static const std::set<std::string, std::less<>> kNotFile = {
      "signal",         "ptrace",         "mount",          "umount",        "remount",
      "pivotroot",      "change_profile", "change_hat",     "change_onexec", "dbus_method_call",
      "dbus_signal",    "dbus_bind",      "dbus_eavesdrop", "profile_load",  "profile_replace",
      "profile_remove", "userns_create",  "uring_override", "uring_sqpoll"};
  if (kNotFile.count(ev.operation) || ev.name.empty()) return std::nullopt;
  e.kind = apparmor::LogEntry::Kind::File;
  e.path = ev.name;
  e.mask = ev.requested_mask.empty() ? ev.denied_mask : ev.requested_mask;
  if (e.mask.find("::") != std::string::npos) e.mask = ev.requested.empty() ? ev.denied : ev.requested;
  if (e.mask.empty()) return std::nullopt;
  if (ev.fsuid && ev.ouid) e.owned = *ev.fsuid == *ev.ouid;
  return e;
}

// --comm/--exe/--pid/--cgroup/--since -> a Filter.
Result<logs::Filter> make_filter(const Args& a) {
  logs::Filter f;
  for (const auto& c : a.all("comm")) f.comm.insert(c);
  for (const auto& e : a.all("exe")) {
    if (e.empty() || e[0] != '/') return Error("--exe " + e + ": expected an absolute path");
    f.exe.insert(e);
  }
  for (const auto& p : a.all("pid")) {
    char* end = nullptr;
    long long v = std::strtoll(p.c_str(), &end, 10);
    if (p.empty() || *end || v <= 0 || v > (1ll << 22))
      return Error("--pid " + p + ": expected a process id");
    f.pids.insert(v);
  }
  for (const auto& c : a.all("cgroup")) CONFINE_CHECK(logs::add_cgroup(f, c));
  if (auto s = a.get("since")) {
    CONFINE_TRY(double t, logs::parse_since(*s, std::time(nullptr)));
    f.since = t;
  }
  return f;
}

// Keeps the events the filter selects; says how many it dropped.
void apply_filter(const logs::Filter& f, std::vector<logs::Event>& evs) {
  if (!f.any()) return;
  size_t before = evs.size();
  std::erase_if(evs, [&](const logs::Event& e) { return !f.matches(e); });
  std::cerr << "confine: " << evs.size() << " of " << before << " record(s) match " << f.describe() << "\n";
}

int to_apparmor_mode(const std::string& profile, const std::vector<std::string>& inputs, bool write,
                     const logs::Filter& filter, bool all_processes) {
  auto text = file::read_file(profile);
  if (!text) {
    print_error(std::move(text).error().context("--to-apparmor"));
    return kExitInvalid;
  }
  std::vector<apparmor::LogEntry> entries;
  size_t events = 0, json_lines = 0;
  std::vector<logs::Event> kernel_events;  // for the attribution guard
  auto take = [&](std::string_view data, const std::string& name) {
    auto parsed = logs::parse_text(data);
    apply_filter(filter, parsed.events);
    kernel_events.insert(kernel_events.end(), parsed.events.begin(), parsed.events.end());
    for (const auto& ev : parsed.events)
      if (auto e = log_entry(ev, name)) {
        entries.push_back(std::move(*e));
        ++events;
      }
    // confine's own complain-mode JSON lines
    for_each_json_line(data, [&](std::string_view line, size_t ln) {
      if (line.find("\"apparmor\"") == std::string_view::npos) return;
      auto e = apparmor::entry_from_json_line(line, name + ":" + std::to_string(ln));
      if (!e.ok()) {
        print_warning(e.error().message() + "; line skipped");
        return;
      }
      if (*e) {
        entries.push_back(std::move(**e));
        ++json_lines;
      }
    });
  };
  if (inputs.empty()) {
    logs::Parser parser;
    std::vector<logs::Event> evs;
    int rc = read_kmsg(false, [&](std::string_view rec) {
      if (auto ev = parser.feed(rec)) evs.push_back(std::move(*ev));
    });
    if (rc != kExitOk) return rc;
    apply_filter(filter, evs);
    if (auto g = logs::profile_delta_guard(filter, logs::sources_of(evs), /*live=*/true, all_processes); !g) {
      print_error(std::move(g).error().context("--to-apparmor"));
      return kExitInvalid;
    }
    for (const auto& ev : evs)
      if (auto e = log_entry(ev, "/dev/kmsg")) {
        entries.push_back(std::move(*e));
        ++events;
      }
  } else {
    for (const auto& in : inputs) {
      auto data = file::read_file(in, file::kMaxLogBytes);
      if (!data) {
        print_error(data.error());
        return kExitInvalid;
      }
      take(*data, in);
    }
    if (auto g = logs::profile_delta_guard(filter, logs::sources_of(kernel_events), false, all_processes);
        !g) {
      print_error(std::move(g).error().context("--to-apparmor"));
      return kExitInvalid;
    }
  }
  auto res = apparmor::add_logged_rules(*text, profile, entries);
  if (!res) {
    print_error(std::move(res).error().context("--to-apparmor"));
    return kExitInvalid;
  }
  for (const auto& n : res->notes) std::cerr << "confine: note: " << n << "\n";
  std::cout << file::escape_terminal_lines(res->diff);  // paths from the log: task text
  std::cerr << "confine: " << events << " AppArmor/Landlock record(s)"
            << (json_lines ? " and " + std::to_string(json_lines) + " complain JSON line(s)" : std::string())
            << ": " << res->added.size() << " rule(s) added or extended in " << profile << "\n";
  if (write && res->changed()) {
    auto st = file::write_output(profile, res->text);
    if (!st) {
      print_error(st.error());
      return kExitInvalid;
    }
    std::cerr << "confine: wrote " << profile << "\n";
  }
  return kExitOk;
}

}  // namespace

namespace {
// Seccomp events from confine's complain JSON lines (other lines are ignored).
size_t add_complain_seccomp_events(std::string_view data, std::vector<logs::Event>* out) {
  size_t n = 0;
  for_each_json_line(data, [&](std::string_view line, size_t ln) {
    auto ev = supervise::parse_event(line);
    if (!ev.ok() || ev->kind != supervise::EventKind::Seccomp) return;
    auto a = arch_from_name(ev->arch);
    if (!a) return;
    logs::Event e;
    e.kind = logs::Kind::Seccomp;
    e.line = static_cast<uint32_t>(ln);
    e.arch = *a;
    e.audit_arch = arch_info(*a).audit_arch;
    e.syscall = ev->syscall;
    e.syscall_nr = ev->nr;
    e.code = 0x7ffc0000u;  // SECCOMP_RET_LOG: "would be denied"
    e.action = "LOG";
    out->push_back(std::move(e));
    ++n;
  });
  return n;
}
}  // namespace

int verb_logs(std::span<char* const> argv) {
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
  bool follow = args->has("follow");
  auto to_seccomp = args->get("to-seccomp");
  auto to_apparmor = args->get("to-apparmor");
  if (args->positional().size() > 1 && !to_apparmor) {
    print_error("logs takes at most one FILE (or - for stdin)");
    return kExitUsage;
  }
  if (args->has("write") && !to_seccomp && !to_apparmor) {
    print_error("-w needs --to-seccomp PROFILE or --to-apparmor PROFILE");
    return kExitUsage;
  }
  if (to_seccomp && to_apparmor) {
    print_error("--to-seccomp and --to-apparmor cannot be combined");
    return kExitUsage;
  }
  if (follow && (to_seccomp || to_apparmor)) {
    print_error(std::string("--follow and ") + (to_seccomp ? "--to-seccomp" : "--to-apparmor") +
                " cannot be combined");
    return kExitUsage;
  }
  auto filter = make_filter(*args);
  if (!filter) {
    print_error(filter.error());
    return kExitUsage;
  }
  bool all_processes = args->has("all-processes");
  if (all_processes && !to_seccomp && !to_apparmor) {
    print_error("--all-processes needs --to-seccomp PROFILE or --to-apparmor PROFILE");
    return kExitUsage;
  }
  if (to_apparmor)
    return to_apparmor_mode(*to_apparmor, args->positional(), args->has("write"), *filter, all_processes);
  bool json = format == "json";
  std::optional<std::string> file;
  if (!args->positional().empty()) file = args->positional()[0];

  if (follow) {
    // Streaming: one event per line (text) or one JSON object per line (JSON Lines).
    logs::Parser parser;
    auto emit = [&](std::string_view rec) {
      if (auto ev = parser.feed(rec); ev && filter->matches(*ev)) {
        if (json) {
          logs::JsonOut j(0);
          logs::event_json(j, *ev);
          std::cout << j.str() << "\n";
        } else {
          std::cout << logs::event_line(*ev) << "\n";
        }
        std::cout.flush();
      }
    };
    return file ? follow_file(*file, emit) : read_kmsg(true, emit);
  }

  logs::ParseOutput parsed;
  std::string input_text;  // FILE's text (kept for the complain JSON lines)
  if (file) {
    auto data = confine::file::read_file(*file, confine::file::kMaxLogBytes);
    if (!data) {
      print_error(data.error());
      return kExitInvalid;
    }
    parsed = logs::parse_text(*data);
    input_text = std::move(*data);
  } else {
    logs::Parser parser;
    int rc = read_kmsg(false, [&](std::string_view rec) {
      if (auto ev = parser.feed(rec)) parsed.events.push_back(std::move(*ev));
    });
    if (rc != kExitOk) return rc;
    parsed.stats = parser.stats();
  }
  apply_filter(*filter, parsed.events);

  if (to_seccomp) {
    if (auto g = logs::profile_delta_guard(*filter, logs::sources_of(parsed.events), !file, all_processes);
        !g) {
      print_error(std::move(g).error().context("--to-seccomp"));
      return kExitInvalid;
    }
    // confine's own complain-mode JSON lines (`run --mode complain --log`) are
    // denials too: {"kind":"seccomp","syscall":..,"nr":..,"arch":..}.
    if (size_t n = add_complain_seccomp_events(input_text, &parsed.events))
      std::cerr << "confine: " << n << " complain JSON line(s) from " << *file << "\n";
    auto text = file::read_file(*to_seccomp);
    if (!text) {
      print_error(text.error());
      return kExitInvalid;
    }
    auto res = logs::allow_logged_syscalls(*text, *to_seccomp, parsed.events);
    if (!res) {
      print_error(res.error());
      return kExitInvalid;
    }
    for (const auto& n : res->notes) std::cerr << "confine: " << n << "\n";
    if (args->has("write")) {
      auto st = file::write_output(*to_seccomp, res->profile);
      if (!st) {
        print_error(st.error());
        return kExitInvalid;
      }
      std::cerr << "confine: wrote " << *to_seccomp << "\n";
    } else {
      std::cout << res->profile;
    }
    return kExitOk;
  }

  if (json)
    std::cout << logs::report_json(parsed.events, parsed.stats);
  else
    std::cout << logs::report_text(parsed.events, parsed.stats, !args->has("summary"));
  return kExitOk;
}

}  // namespace confine::cli
