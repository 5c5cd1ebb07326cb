#!/usr/bin/env bash
# Overhead of `confine watch --cgroup` (the eBPF source, stock rules) on a syscall-heavy workload
# running in a cgroup, against the same workload in that cgroup unwatched, `confine record
# --backend ebpf` (the same kind of source, recording) and `confine watch -- CMD` (the unotify
# source), with hyperfine. The watcher runs on its own (attached once, like a node's monitor):
# its CPU time over the watched runs is printed too, since it runs beside the workload. One
# hyperfine run per workload: every variant under the same load.
#   bash bench/watch_overhead.sh [CONFINE_BIN] [RUNS]
# Needs root (eBPF, cgroups). docs/benchmarks.md has results.
set -euo pipefail
CONFINE=${1:-build/confine}
[ -d "$CONFINE" ] && CONFINE="$CONFINE/confine"
CONFINE=$(readlink -f "$CONFINE")
RUNS=${RUNS:-5}
case "${2:-}" in '' | *[!0-9]*) ;; *) RUNS=$2 ;; esac
command -v hyperfine >/dev/null || { echo "hyperfine not installed (make deps-bench)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "watch_overhead: needs root (eBPF, cgroups): skipped" >&2; exit 0; }
CG2=$(awk '$9 == "cgroup2" && $4 == "/" {print $5; exit}' /proc/self/mountinfo)
# Two cgroups: W is watched (the watcher attached once, before every run), P is not.
REL=/confine-watch-bench-$$
CG=$CG2$REL
CGP=$CG2$REL-plain
OUT=$(mktemp -d /tmp/confine-wbench.XXXXXX)
W=
cleanup() {
  [ -n "$W" ] && kill -INT "$W" 2>/dev/null && wait "$W" 2>/dev/null
  rmdir "$CG" "$CGP" 2>/dev/null
  rm -rf "$OUT"
}
trap cleanup EXIT
mkdir "$CG" "$CGP"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A workloads=([find]="find /usr -type f" [tar]="tar -cf /dev/null /usr/share")
for w in find tar; do
  cmd=${workloads[$w]}
  "$CONFINE" watch --alerts "$OUT/alerts-e" --cgroup "$REL" 2>"$OUT/werr" &
  W=$!
  for i in $(seq 300); do grep -q '^confine watch: watching' "$OUT/werr" && break; sleep 0.1; done
  t0=$(cpu_ticks "$W")
  echo "== $cmd"
  # One hyperfine run: every variant under the same machine load.
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$w.json" \
    -n plain "$cmd" \
    -n "plain in a cgroup" "sh -c 'echo \$\$ >$CGP/cgroup.procs && exec $cmd'" \
    -n "watch --cgroup (attached)" "sh -c 'echo \$\$ >$CG/cgroup.procs && exec $cmd'" \
    -n "record --backend ebpf" "$CONFINE record --backend ebpf --format none --apparmor-mode off -o $OUT/rec -- $cmd" \
    -n "watch -- CMD (unotify)" "$CONFINE watch --alerts $OUT/alerts-u -- $cmd" >"$OUT/$w.txt" 2>&1 ||
    { cat "$OUT/$w.txt"; exit 1; }
  t1=$(cpu_ticks "$W")
  kill -INT "$W"
  wait "$W" || true
  W=
  python3 - "$OUT/$w.json" "$((t1 - t0))" "$(getconf CLK_TCK)" "$((RUNS + 1))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ticks, hz, n = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
base = r[0]["mean"]
for x in r:
    print(f"  {x['command']:<28} {x['mean']*1000:9.1f} ms ± {x['stddev']*1000:6.1f}   {x['mean']/base:5.2f}x plain")
print(f"  the watcher's own CPU (user+sys, beside the workload): {ticks / hz / n * 1000:.0f} ms per watched run")
PY
  tail -1 "$OUT/werr" | sed 's/^/  /'
done
