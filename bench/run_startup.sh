#!/usr/bin/env bash
# Start-up cost of a confined /bin/true: new namespaces for everything, a
# read-only root and a Docker-size seccomp profile (Docker's default.json),
# confine vs bubblewrap (with and without a precompiled filter via --seccomp
# FD) vs firejail, measured with hyperfine. Prints the table and the ratios.
# usage: bash bench/run_startup.sh [BUILD_DIR] [SRC_DIR]
set -uo pipefail
BUILD=${1:-build}
ROOT=${2:-$(cd "$(dirname "$0")/.." && pwd)}
BIN=${CONFINE:-$BUILD/confine}
[ -x "$BIN" ] || { echo "no confine binary at $BIN (build first)"; exit 1; }
BIN=$(readlink -f "$BIN")
DOCKER=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# The same profile precompiled by our compiler for bwrap --seccomp (raw sock_filter array).
"$BIN" seccomp compile "$DOCKER" --format bpf -o "$TMP/docker.bpf" -q
RUNS=${RUNS:-200}

cmds=(
  "$BIN run --unshare-all --read-only --seccomp $DOCKER -- /bin/true"
  "$BIN run --unshare-all --read-only --seccomp unconfined -- /bin/true"
  "bwrap --unshare-all --ro-bind / / /bin/true"
  "bwrap --unshare-all --ro-bind / / --seccomp 9 /bin/true 9<$TMP/docker.bpf"
)
names=("confine (Docker profile)" "confine (no seccomp)" "bwrap (no seccomp)" "bwrap (precompiled filter)")
if firejail --quiet --noprofile --net=none --read-only=/ /bin/true >/dev/null 2>&1; then
  cmds+=("firejail --quiet --noprofile --net=none --read-only=/ --seccomp /bin/true")
  names+=("firejail (--seccomp)")
else
  echo "NOTE: firejail cannot run here; left out"
fi
args=()
for i in "${!cmds[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done

hyperfine --warmup 20 --runs "$RUNS" --export-json "$TMP/r.json" "${args[@]}"
python3 - "$TMP/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["mean"]
print("\nmean start-up (ms) and ratio to confine with the Docker profile:")
for x in r:
    print(f"  {x['command']:<28} {x['mean']*1e3:7.2f} ms ± {x['stddev']*1e3:5.2f}   x{x['mean']/base:.2f}")
PY
