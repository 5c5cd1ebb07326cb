// The watch rule engine: events per second per core over the stock rules, on a recorded
// real event mix (docs/benchmarks.md "watch rule engine"). The mix is every syscall of a
// small real workload (find, tar, ls, grep, sh) as `confine watch --save-events` records
// it: made at the first run next to this binary (build-bench/watch_events.jsonl, with the
// confine binary of the same build), or taken from $WATCH_EVENTS.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "watch/live.h"
#include "watch/rules.h"

namespace {

using namespace confine::watch;

struct Mix {
  std::vector<Event> events;
  std::unique_ptr<MemProcTable> procs = std::make_unique<MemProcTable>();
};

std::string self_dir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string p(buf, n > 0 ? static_cast<size_t>(n) : 0);
  return p.substr(0, p.rfind('/'));
}

const Mix& mix() {
  static Mix m = [] {
    Mix m;
    const char* env = getenv("WATCH_EVENTS");
    std::string path = env && *env ? env : self_dir() + "/watch_events.jsonl";
    if (access(path.c_str(), R_OK) != 0) {
      std::string cmd =
          self_dir() + "/confine watch --rules stock --save-events " + path +
          " -- sh -c 'find /usr/share/doc -maxdepth 2 >/dev/null; tar -cf /dev/null "
          "/usr/share/doc/bash 2>/dev/null; ls -la /etc >/dev/null; grep -rs x /etc/default >/dev/null; "
          "cat /etc/os-release >/dev/null; true' 2>/dev/null";
      if (system(cmd.c_str()) != 0) fprintf(stderr, "making the event mix failed: %s\n", cmd.c_str());
    }
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      Event e;
      if (event_from_json(line, &e, m.procs.get()).ok()) m.events.push_back(std::move(e));
    }
    // event_from_json points each event at its process, in a table that moved on: re-point.
    for (auto& e : m.events) {
      e.procs = m.procs.get();
      e.proc = e.proc ? m.procs->find(e.proc->pid) : nullptr;
    }
    if (m.events.empty()) {
      fprintf(stderr, "no events in %s\n", path.c_str());
      exit(1);
    }
    return m;
  }();
  return m;
}

const RuleSet& stock() {
  static RuleSet rs = [] {
    RuleSet r;
    if (!r.load(stock_rules(), "stock").ok() || !r.compile().ok()) exit(1);
    return r;
  }();
  return rs;
}

// Every event of the mix through every stock rule (the type index first, as live).
void BM_StockRules(benchmark::State& st) {
  const auto& m = mix();
  const auto& rs = stock();
  uint64_t alerts = 0;
  for (auto _ : st) {
    for (const auto& e : m.events) rs.match(e, [&](const Rule&) { ++alerts; });
  }
  benchmark::DoNotOptimize(alerts);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * m.events.size()));
  st.counters["events_in_mix"] = static_cast<double>(m.events.size());
}
BENCHMARK(BM_StockRules);

// The same events with every rule evaluated (no type index): the cost a rule with no
// evt.type constraint puts on every event.
void BM_StockRulesNoIndex(benchmark::State& st) {
  const auto& m = mix();
  const auto& rs = stock();
  uint64_t alerts = 0;
  for (auto _ : st) {
    for (const auto& e : m.events)
      for (const auto& r : rs.rules())
        if (r->enabled && eval(r->cond, e)) ++alerts;
  }
  benchmark::DoNotOptimize(alerts);
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * m.events.size()));
}
BENCHMARK(BM_StockRulesNoIndex);

}  // namespace

BENCHMARK_MAIN();
