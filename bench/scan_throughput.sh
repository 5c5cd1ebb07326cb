#!/usr/bin/env bash
# `confine k8s scan` throughput: objects per second over a few thousand workload manifests made at bench
# time from the real corpus (tests/k8s/corpus/SOURCE.md: python3-magnum's, structured-merge-diff's and
# @socialgouv/parse-manifests' workloads, each repeated with a varied name and one of five
# securityContext variants so the findings differ), in files of 100 objects; every output format, the
# YAML and the JSON form, one core (the scan is single-threaded), whole command wall time (start-up,
# reading, parsing, every check, formatting; output to /dev/null) counted in CPU seconds (user + sys,
# so that other load on a shared machine does not count), the median of 5 runs.
# Peer: kubesec is not in Debian or npm (npm answers 404 for `kubesec`; Debian has no kubesec,
# kube-score, kube-linter, checkov or kubeconform), so the peer is the fastest real scanner installable
# here that evaluates the same checks: npm's @bufbuild/cel evaluating the ValidatingAdmissionPolicy that
# `confine k8s policy --emit vap` emits (bench/lib/cel_vap_eval.mjs: each expression parsed and planned
# once, reused per object), over the same objects in JSON, whole command CPU time too; its in-process
# evaluation time is printed as well.
# usage: bash bench/scan_throughput.sh BUILD_DIR [SRC_DIR]
#   SCAN_BENCH_COPIES (80): variants per real object; SCAN_BENCH_CORPUS_ONLY=1: write the corpus, say where, stop
set -eu
BUILD=$(readlink -f "${1:?build dir}")
SRC=$(readlink -f "${2:-$(dirname "$0")/..}")
CONFINE=$BUILD/confine
DEB_CORPUS_DIR=${DEB_CORPUS_DIR:-/var/cache/confine-test/deb-corpus}
NM=${CONFINE_TEST_NODE_MODULES:-${NPM_TEST_DIR:-/var/cache/confine-test/npm}/node_modules}
COPIES=${SCAN_BENCH_COPIES:-80}
T=$(mktemp -d /var/tmp/confine-scan-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
if [ ! -f "$DEB_CORPUS_DIR/python3-magnum/VERSION" ]; then
  echo "scan_throughput: SKIPPED: the corpus packages are not in $DEB_CORPUS_DIR (make deps-bench downloads them)"
  exit 0
fi
npm=-
[ -d "$NM/@socialgouv/parse-manifests" ] && npm=$NM
python3 "$SRC/tests/k8s/corpus/extract.py" "$DEB_CORPUS_DIR" "$npm" "$T/corpus" >/dev/null
python3 - "$T/corpus" "$T" "$COPIES" <<'PY'
import copy, json, os, sys, yaml
src, out, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
W = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"}
base = []
for dp, _, fs in sorted(os.walk(src)):
    for f in sorted(fs):
        if not f.endswith((".yaml", ".yml")): continue
        try: docs = list(yaml.safe_load_all(open(os.path.join(dp, f))))
        except yaml.YAMLError: continue
        base += [d for d in docs if isinstance(d, dict) and d.get("kind") in W]
def pod_spec(o):
    s = o.setdefault("spec", {}) or {}
    if o["kind"] == "Pod": return s
    if o["kind"] == "CronJob": s = s.setdefault("jobTemplate", {}).setdefault("spec", {})
    return s.setdefault("template", {}).setdefault("spec", {})
objs = []
for i in range(copies):
    for b in base:
        o = copy.deepcopy(b)
        o.setdefault("metadata", {})["name"] = f"{(o['metadata'] or {}).get('name', 'x')}-v{i}"
        ps = pod_spec(o); cs = [c for c in ps.get("containers") or [] if isinstance(c, dict)]
        v = (i + len(objs)) % 5
        if v == 0 and cs: cs[0].setdefault("securityContext", {})["privileged"] = True
        if v == 1:
            ps["securityContext"] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
            for c in cs: c["securityContext"] = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
        if v == 2: ps["hostNetwork"] = not ps.get("hostNetwork", False)
        if v == 3: ps.setdefault("volumes", []).append({"name": f"h{i}", "hostPath": {"path": "/var/log"}})
        objs.append(o)
os.makedirs(f"{out}/yaml"); os.makedirs(f"{out}/json")
for k in range(0, len(objs), 100):
    chunk = objs[k:k + 100]
    with open(f"{out}/yaml/m{k // 100:03d}.yaml", "w") as f: yaml.safe_dump_all(chunk, f, sort_keys=False)
    with open(f"{out}/json/m{k // 100:03d}.json", "w") as f: json.dump(chunk, f, default=str)
print(f"corpus: {len(base)} real workload objects x {copies} variants = {len(objs)} objects, "
      f"{sum(os.path.getsize(f'{out}/yaml/' + n) for n in os.listdir(f'{out}/yaml')) // 1024} KiB of YAML "
      f"in {len(os.listdir(f'{out}/yaml'))} files")
PY
if [ -n "${SCAN_BENCH_CORPUS_ONLY:-}" ]; then  # for profiling: keep the corpus, print where, stop
  trap - EXIT; echo "corpus in $T/yaml and $T/json"; exit 0
fi
N=$("$CONFINE" k8s scan "$T/yaml" --exit-code 0 | sed -n 's/^\([0-9]*\) object(s) scanned.*/\1/p')
# median CPU seconds (user + sys of the command and its children) of 5 runs, output to /dev/null: CPU
# time, not wall time, so that other load on the machine does not count (objects per second per core)
median() {
  python3 - "$@" <<'PY'
import resource, statistics, subprocess, sys
ts = []
for _ in range(5):
    a = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    ts.append(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime)
print(f"{statistics.median(ts):.4f}")
PY
}
ops() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):.0f}')" "$1" "$2"; }
printf '%-40s %10s %12s\n' "command ($N objects)" "median CPU s" "objects/s"
declare -A R
for form in yaml json; do
  for o in table json kubesec sarif policyreport; do
    s=$(median taskset -c 0 "$CONFINE" k8s scan "$T/$form" -o $o --exit-code 0)
    R[$form-$o]=$s
    printf '%-40s %10s %12s\n' "confine k8s scan ($form) -o $o" "$s" "$(ops "$N" "$s")"
  done
done
if [ -d "$NM/@bufbuild/cel" ] && command -v node >/dev/null; then
  "$CONFINE" k8s policy --emit vap -o json --level restricted >"$T/vap.json"
  s=$(median taskset -c 0 node "$SRC/bench/lib/cel_vap_eval.mjs" "$NM/@bufbuild/cel" "$T/vap.json" "$T"/json/*.json)
  printf '%-40s %10s %12s\n' "peer: @bufbuild/cel VAP (json)" "$s" "$(ops "$N" "$s")"
  echo "peer, one run in-process: $(taskset -c 0 node "$SRC/bench/lib/cel_vap_eval.mjs" "$NM/@bufbuild/cel" "$T/vap.json" "$T"/json/*.json)"
  echo "peer version: @bufbuild/cel $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$NM/@bufbuild/cel/package.json"), node $(node --version)"
  for k in yaml-table json-json yaml-sarif; do
    echo "ratio confine ${k/-/ -o } / peer: $(python3 -c "import sys; print(f'{float(sys.argv[2]) / float(sys.argv[1]):.1f}x')" "${R[$k]}" "$s")"
  done
else
  echo "peer: SKIPPED: @bufbuild/cel not in $NM (make deps-test installs it) or node missing"
fi
