// The live source of `confine watch -- CMD`: an observer of the recorder's supervisor loop
// (supervise/loop.h) with the recorder's decoding of each call (record::CallObserver,
// record/observer.h), handed each call it wants while the task waits; it turns the syscalls the rules (and
// the deviation profile) care about into watch::Events, evaluates them after the answer and reports alerts.
// Nothing is denied; the command runs as it would unwatched (slower).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "behavior/behavior.h"
#include "record/observer.h"
#include "watch/event.h"
#include "watch/rules.h"

namespace confine::watch {

// The processes of the watched tree (and their ancestors, read from /proc on demand).
class ProcTable : public ProcLookup {
 public:
  const ProcInfo* find(pid_t pid) override;
  ProcInfo* get(pid_t pid);  // read from /proc when unknown; nullptr when gone
  bool known(pid_t pid) const { return procs_.count(pid) > 0; }  // in the table (no /proc read)
  ProcInfo& put(ProcInfo p);
  pid_t tgid_of(pid_t tid);
  void forget_tid(pid_t tid) { tgid_.erase(tid); }
  void trim();
  void erase(pid_t pid) { procs_.erase(pid); }
  void read_uid(pid_t pid, ProcInfo* p);  // user.uid / user.name from /proc/PID/status

 private:
  std::unordered_map<pid_t, ProcInfo> procs_;
  std::unordered_map<pid_t, pid_t> tgid_;
  std::map<uint32_t, std::string> users_;
  bool users_loaded_ = false;
  friend struct ProcReader;

 public:
  std::string user_name(uint32_t uid);
};

// Deviation mode (--profile DIR): what DIR/behavior.json recorded.
struct Baseline {
  std::map<Arch, std::set<std::string>> syscalls;
  std::set<std::string> execs;
  std::string file;
};
Result<Baseline> load_baseline(const std::string& dir);

struct WatchStats {
  uint64_t observed = 0;   // notifications handed to the observer
  uint64_t evaluated = 0;  // events the rules ran on
  uint64_t alerts = 0;
  uint64_t dropped = 0;  // the task died / pid reused while it was read: not evaluated
  uint64_t partial = 0;  // evaluated with fields missing (argv or a path unreadable)
  uint64_t deviations = 0;
};

class LiveWatcher : public record::CallObserver {
 public:
  // emit receives each alert line (text or JSON).
  LiveWatcher(const RuleSet* rules, const Baseline* baseline, bool json,
              std::function<void(const std::string&)> emit);
  bool wants_call(Arch arch, std::string_view name) override;
  void observe(const record::ObservedCall& c) override;
  void settle(bool valid) override;
  void forget(pid_t pid) override {
    procs_.erase(pid);
    procs_.forget_tid(pid);
  }
  const WatchStats& stats() const { return stats_; }
  // SIGHUP: request_reload() (any thread) makes the answering thread call `loader` before
  // its next event; a rule set that fails to load keeps the old one (the error is reported
  // through `note`). Syscalls only the new rules need are observed from then on if they
  // were already observed; otherwise `note` names them (the supervisor decides once per
  // syscall number what it hands over).
  void set_reloader(std::function<Result<std::unique_ptr<RuleSet>>()> loader,
                    std::function<void(const std::string&)> note) {
    loader_ = std::move(loader);
    note_ = std::move(note);
  }
  void request_reload() { reload_.store(true, std::memory_order_release); }
  // Events the engine saw, for the benchmark's recorded mix (--save-events FILE).
  void set_capture(std::function<void(const Event&)> f) { capture_ = std::move(f); }

 private:
  void maybe_reload();
  bool wants_now(Arch arch, std::string_view name);
  const RuleSet* rules_;
  std::unique_ptr<RuleSet> owned_rules_;
  std::function<Result<std::unique_ptr<RuleSet>>()> loader_;
  std::function<void(const std::string&)> note_;
  std::atomic<bool> reload_{false};
  std::set<std::string> asked_;     // names wants() was asked about
  std::set<std::string> observed_;  // ... and answered yes
  const Baseline* base_;
  bool json_;
  std::function<void(const std::string&)> emit_;
  std::function<void(const Event&)> capture_;
  ProcTable procs_;
  Event ev_;
  bool pending_ = false;
  bool partial_ = false;
  std::string
      exec_written_;  // the exec path of this event as the task wrote it (deviation mode: as recorded)
  pid_t stale_pid_ = 0;
  std::set<std::string> deviations_seen_;
  std::string hostname_;
  WatchStats stats_;
  // The alert rule of deviation mode (not from a rules file).
  Rule deviation_rule_;
};

// The event mix file of --save-events / the benchmark: one JSON object per line.
std::string event_to_json(const Event& e);
// Parses a line of it into e, with its process (and parent) in procs.
Status event_from_json(std::string_view line, Event* e, class MemProcTable* procs);

class MemProcTable : public ProcLookup {
 public:
  const ProcInfo* find(pid_t pid) override {
    auto it = procs.find(pid);
    return it == procs.end() ? nullptr : &it->second;
  }
  std::unordered_map<pid_t, ProcInfo> procs;
};

}  // namespace confine::watch
