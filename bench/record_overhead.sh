#!/usr/bin/env bash
# Overhead of `confine record` (seccomp user notification, one round trip per
# syscall) against the plain command and strace -f -c, with hyperfine.
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
for w in find tar; do
  cmd=${workloads[$w]}
  strace -f -c -o "$OUT/count.txt" $cmd >/dev/null 2>&1 || true
  echo "== $cmd ($(awk '/total/ {print $4}' "$OUT/count.txt") syscalls)"
  hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$OUT/$w.json" \
    -n plain "$cmd" \
    -n "record --pin" "$CONFINE record --pin --format none -o $OUT/rec-pin -- $cmd" \
    -n "record --no-pin" "$CONFINE record --no-pin --format none -o $OUT/rec-nopin -- $cmd" \
    -n "strace -f -c" "strace -f -c -o /dev/null $cmd" >"$OUT/$w.txt" 2>&1 || { cat "$OUT/$w.txt"; exit 1; }
  python3 - "$OUT/$w.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["mean"]
for x in r:
    print(f"  {x['command']:<18} {x['mean']*1000:9.1f} ms ± {x['stddev']*1000:6.1f}   {x['mean']/base:5.2f}x plain")
PY
done
