#!/usr/bin/env bash
# make bench: runs every in-process benchmark (bench/*_bench.cc, Google Benchmark)
# and every whole-command comparison script (bench/*.sh except this one), writing
# raw results to $BUILD/bench-results/. docs/benchmarks.md summarises them as ratios.
set -euo pipefail
BUILD=${1:-build-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT="$BUILD/bench-results"
mkdir -p "$OUT"
for b in "$BUILD"/*_bench; do
  [ -x "$b" ] || continue
  n=$(basename "$b")
  echo "== $n"
  (cd "$ROOT" && "$b" --benchmark_out="$OUT/$n.json" --benchmark_out_format=json) | tee "$OUT/$n.txt"
done
for s in "$HERE"/*.sh; do
  [ "$(basename "$s")" = run.sh ] && continue
  n=$(basename "$s" .sh)
  echo "== $n"
  bash "$s" "$BUILD" "$ROOT" | tee "$OUT/$n.txt"
done
echo "results in $OUT"
