#!/usr/bin/env bash
# Overhead of `confine record` against the plain command and strace -f -c,
# with hyperfine: the unotify backend (seccomp user notification, one round
# trip per syscall; --pin and --no-pin) and, when perf is permitted (root /
# CAP_PERFMON), the perf and ebpf backends (perf counts every syscall, only the decoded
# ones are notified).
#   bash bench/record_overhead.sh [CONFINE_BIN] [RUNS]
# Prints hyperfine's tables and the ratios to plain; docs/record.md has results.
set -euo pipefail
# The first argument may be the binary or a build directory (bench/run.sh passes BUILD ROOT).
CONFINE=${1:-build/confine}
[ -d "$CONFINE" ] && CONFINE="$CONFINE/confine"
RUNS=${RUNS:-5}
case "${2:-}" in ''|*[!0-9]*) ;; *) RUNS=$2 ;; esac
command -v hyperfine >/dev/null || { echo "hyperfine not installed (make deps-bench)" >&2; exit 1; }
OUT=$(mktemp -d /tmp/confine-bench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
declare -A workloads=(
  [find]="find /usr -type f"
  [tar]="tar -cf /dev/null /usr/share"
)
perf_rows=()
if "$CONFINE" record --backend perf --format none -o "$OUT/probe" -- true >/dev/null 2>&1; then
  # The second perf row leaves out the AppArmor generator (seconds for ~20,000 files): the recording alone.
  perf_rows=(-n "record --backend perf" "$CONFINE record --backend perf --format none -o $OUT/rec-perf -- CMD"
    -n "perf, --apparmor-mode off" "$CONFINE record --backend perf --apparmor-mode off --format none -o $OUT/rec-perf2 -- CMD")
else
  echo "(perf backend not permitted here: no perf row)"
fi
# The ebpf backend (root, a kernel with BTF): an eBPF program counts and decodes, nothing waits.
if "$CONFINE" record --backend ebpf --format none -o "$OUT/probe-ebpf" -- true >/dev/null 2>&1; then
  perf_rows+=(-n "record --backend ebpf" "$CONFINE record --backend ebpf --format none -o $OUT/rec-ebpf -- CMD"
    -n "ebpf, --apparmor-mode off" "$CONFINE record --backend ebpf --apparmor-mode off --format none -o $OUT/rec-ebpf2 -- CMD")
else
  echo "(ebpf backend not available here: no ebpf row)"
fi
for w in find tar; do
  cmd=${workloads[$w]}
  rows=()
  for x in "${perf_rows[@]}"; do rows+=("${x//CMD/$cmd}"); done
  strace -f -c -o "$OUT/count.txt" $cmd >/dev/null 2>&1 || true
  echo "== $cmd ($(awk '/total/ {print $4}' "$OUT/count.txt") syscalls)"
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$w.json" \
    -n plain "$cmd" \
    -n "record --pin" "$CONFINE record --backend unotify --pin --format none -o $OUT/rec-pin -- $cmd" \
    -n "record --no-pin" "$CONFINE record --backend unotify --no-pin --format none -o $OUT/rec-nopin -- $cmd" \
    "${rows[@]}" \
    -n "strace -f -c" "strace -f -c -o /dev/null $cmd" >"$OUT/$w.txt" 2>&1 || { cat "$OUT/$w.txt"; exit 1; }
  python3 - "$OUT/$w.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["mean"]
for x in r:
    print(f"  {x['command']:<26} {x['mean']*1000:9.1f} ms ± {x['stddev']*1000:6.1f}   {x['mean']/base:5.2f}x plain")
PY
  # Did perf keep up? (a partial recording says how many samples it dropped)
  for b in perf ebpf; do
    [ -f "$OUT/rec-$b/behavior.json" ] || continue
    grep -o '"partial_reason": "[^"]*"' "$OUT/rec-$b/behavior.json" | sed "s/^/  $b backend: /"
  done
done
