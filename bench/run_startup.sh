#!/usr/bin/env bash
# Start-up cost of a confined /bin/true, confine vs bubblewrap with the same isolation
# (issue 11 item 7): new namespaces for everything, a read-only root, a fresh /proc,
# a session of its own, and a seccomp filter:
#   A: confine run --unshare-all --read-only --seccomp runtime-default -- /bin/true
#   B: bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev --new-session /bin/true
# (bwrap has no seccomp profile of its own: B is its cheapest set-up, so A/B <= 1 means confine
# including its compiler is not slower). A and B run in turn (A B A B ...) and the ratio is taken
# pair by pair, so drift in the machine's speed cancels; the median is quoted (docs/benchmarks.md).
# Further rows, each paired with B the same way: confine with Docker's profile, confine without
# seccomp, bwrap with a filter precompiled by confine (--seccomp FD).
# usage: bash bench/run_startup.sh [BUILD_DIR] [SRC_DIR]    (RUNS=N, default 200)
set -uo pipefail
BUILD=${1:-build}
BIN=${CONFINE:-$BUILD/confine}
[ -x "$BIN" ] || { echo "no confine binary at $BIN (build first)"; exit 1; }
BIN=$(readlink -f "$BIN")
command -v bwrap >/dev/null || { echo "bwrap is not installed: nothing to compare with"; exit 1; }
DOCKER=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
RUNS=${RUNS:-200}
BWRAP="bwrap --unshare-all --ro-bind / / --proc /proc --dev /dev --new-session"
rows=("confine, runtime-default|$BIN run --unshare-all --read-only --seccomp runtime-default -- /bin/true")
if [ -f "$DOCKER" ]; then
  rows+=("confine, Docker's profile|$BIN run --unshare-all --read-only --seccomp $DOCKER -- /bin/true")
  # The same profile precompiled by our compiler for bwrap --seccomp (raw sock_filter array).
  "$BIN" seccomp compile "$DOCKER" --format bpf -o "$TMP/docker.bpf" -q &&
    rows+=("bwrap, Docker's profile precompiled (--seccomp FD)|sh -c 'exec $BWRAP --seccomp 9 /bin/true 9<$TMP/docker.bpf'")
fi
rows+=("confine, no seccomp|$BIN run --unshare-all --read-only --seccomp unconfined -- /bin/true")

python3 - "$RUNS" "$BWRAP /bin/true" "${rows[@]}" <<'PY'
import shlex, statistics, subprocess, sys, time
runs, base = int(sys.argv[1]), sys.argv[2]
rows = [r.split("|", 1) for r in sys.argv[3:]]

def once(cmd):
    t = time.perf_counter()
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"{shlex.join(cmd)}: exit {r.returncode}: {r.stderr.decode(errors='replace').strip()}")
    return dt

b = shlex.split(base)
print(f"B = {base}\n{runs} pairs per row (A B A B ...), 10 warm-up pairs; wall time of the whole command")
print(f"{'A':<52} {'A median':>9} {'B median':>9} {'A/B median of pairs':>20}")
for name, cmd in rows:
    a = shlex.split(cmd)
    for _ in range(10):
        once(a), once(b)
    ta, tb = [], []
    for _ in range(runs):
        ta.append(once(a))
        tb.append(once(b))
    ratio = statistics.median(x / y for x, y in zip(ta, tb))
    print(f"{name:<52} {statistics.median(ta)*1e3:7.2f}ms {statistics.median(tb)*1e3:7.2f}ms {ratio:20.2f}")
PY
