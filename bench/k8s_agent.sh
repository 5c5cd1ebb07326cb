#!/usr/bin/env bash
# `confine k8s agent` (issue 13's bounds: idle RSS <= 15 MiB, a bundle of 500 profiles installed in <= 1 s).
# A 500-profile bundle (each a 4-6 KiB OCI seccomp profile recorded from `busybox cat`, made distinct by
# defaultErrnoRet) in a ConfigMap volume laid out as the kubelet does; `agent --once` into an empty
# kubelet root (every file written: temp, fsync, rename, fsync of the directory), then again with
# everything installed (the periodic rescan); then the watching agent's RSS when idle.
# usage: bash bench/k8s_agent.sh BUILD_DIR [SRC_DIR]
set -eu
BUILD=$(readlink -f "${1:?build dir}")
SRC=$(readlink -f "${2:-$(dirname "$0")/..}")
CONFINE=$BUILD/confine
KB="python3 $SRC/tests/integration/lib/k8s_bundle.py"
T=$(mktemp -d /var/tmp/confine-k8s-bench.XXXXXX)
trap 'kill $WP 2>/dev/null; rm -rf "$T"' EXIT
WP=""
"$CONFINE" record --format none --target oci -o "$T/rec" -- "$(command -v busybox)" cat /etc/hostname >/dev/null 2>&1 </dev/null
mkdir -p "$T/many"
python3 - "$T/rec/seccomp.json" "$T/many" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i in range(500):
    d["defaultErrnoRet"] = i + 1
    open("%s/p%03d.json" % (sys.argv[2], i), "w").write(json.dumps(d, indent=2) + "\n")
PY
$KB build "$T/b" $(for i in $(seq -f %03g 0 499); do echo "p$i=$T/many/p$i.json"; done) >/dev/null
$KB kubelet-write "$T/cm" "$T/b/part-1"
echo "bundle: 500 profiles, $(du -sb "$T/b/part-1" | cut -f1) bytes of ConfigMap data"
for run in 1 2 3; do
  rm -rf "$T/kr"
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, max RSS %M KiB" "$CONFINE" k8s agent --profiles "$T/cm" \
    --kubelet-root "$T/kr" --once --runtime-state "$T/none" 2>&1 | sed "s/^/install (empty node) #$run: /"
  /usr/bin/time -f "%e s wall, %U s user, %S s sys, max RSS %M KiB" "$CONFINE" k8s agent --profiles "$T/cm" \
    --kubelet-root "$T/kr" --once --runtime-state "$T/none" 2>&1 | sed "s/^/rescan (all installed) #$run: /"
done
"$CONFINE" k8s agent --profiles "$T/cm" --kubelet-root "$T/kr" --runtime-state "$T/none" --interval 600 &
WP=$!
sleep 3
echo "watching agent, idle after applying the 500-profile bundle: $(grep -E 'VmRSS|VmHWM' /proc/$WP/status | tr -s ' \t' ' ' | tr '\n' ' ')"
