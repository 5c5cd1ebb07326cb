#!/usr/bin/env bash
# Overhead of `confine watch --cgroup` (the eBPF source, stock rules) on a syscall-heavy workload
# running in a cgroup, against the same workload in that cgroup unwatched, `confine record
# --backend ebpf` (the same kind of source, recording) and `confine watch -- CMD` (the unotify
# source), with hyperfine. The watcher runs on its own (attached once, like a node's monitor):
# its CPU time over the watched runs is printed too, since it runs beside the workload.
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
REL=/confine-watch-bench-$$
CG=$CG2$REL
OUT=$(mktemp -d /tmp/confine-wbench.XXXXXX)
W=
cleanup() {
  [ -n "$W" ] && kill -INT "$W" 2>/dev/null && wait "$W" 2>/dev/null
  [ -d "$CG" ] && rmdir "$CG" 2>/dev/null
  rm -rf "$OUT"
}
trap cleanup EXIT
mkdir "$CG"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A workloads=([find]="find /usr -type f" [tar]="tar -cf /dev/null /usr/share")
for w in find tar; do
  cmd=${workloads[$w]}
  incg="sh -c 'echo \$\$ >$CG/cgroup.procs && exec $cmd'"
  echo "== $cmd"
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$w-a.json" \
    -n plain "$cmd" \
    -n "plain in a cgroup" "$incg" \
    -n "record --backend ebpf" "$CONFINE record --backend ebpf --format none --apparmor-mode off -o $OUT/rec -- $cmd" \
    -n "watch -- CMD (unotify)" "$CONFINE watch --alerts $OUT/alerts-u -- $cmd" >"$OUT/$w-a.txt" 2>&1 ||
    { cat "$OUT/$w-a.txt"; exit 1; }
  "$CONFINE" watch --alerts "$OUT/alerts-e" --cgroup "$REL" 2>"$OUT/werr" &
  W=$!
  for i in $(seq 300); do grep -q '^confine watch: watching' "$OUT/werr" && break; sleep 0.1; done
  t0=$(cpu_ticks "$W")
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$w-b.json" \
    -n "watch --cgroup (attached)" "$incg" >"$OUT/$w-b.txt" 2>&1 || { cat "$OUT/$w-b.txt"; exit 1; }
  t1=$(cpu_ticks "$W")
  kill -INT "$W"
  wait "$W" || true
  W=
  python3 - "$OUT/$w-a.json" "$OUT/$w-b.json" "$((t1 - t0))" "$(getconf CLK_TCK)" "$((RUNS + 1))" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["results"]; b = json.load(open(sys.argv[2]))["results"]
ticks, hz, n = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
base = a[0]["mean"]
for x in a + b:
    print(f"  {x['command']:<28} {x['mean']*1000:9.1f} ms ± {x['stddev']*1000:6.1f}   {x['mean']/base:5.2f}x plain")
per = ticks / hz / n
print(f"  the watcher's own CPU: {per*1000:.0f} ms per run; (run + watcher CPU) / plain = "
      f"{(b[0]['mean'] + per)/base:.2f}x")
PY
  tail -1 "$OUT/werr" | sed 's/^/  /'
done
