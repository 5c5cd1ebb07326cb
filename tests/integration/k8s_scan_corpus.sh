#!/bin/bash
# `confine k8s scan` over real Kubernetes manifests nobody here wrote (tests/k8s/corpus/SOURCE.md):
# the manifests of python3-magnum's Kubernetes driver (calico, flannel, CoreDNS, dashboard, cinder CSI,
# Prometheus, Traefik, the autoscaler and auto-healer, kube-proxy and control-plane static pods),
# structured-merge-diff's and ceph-mgr-k8sevents' test data (Debian packages `make deps-test`
# downloads and unpacks into DEB_CORPUS_DIR, never installs) and @socialgouv/parse-manifests'
# samples (npm). No crash, no hang; every file scanned, or refused at FILE:LINE:COL where python3-yaml
# refuses it too; every object counted as python3-yaml counts it, unsupported kinds reported as
# skipped; three predicates python evaluates itself agree with the findings both ways; the calico
# DaemonSet is flagged privileged (table, kubesec's Privileged critical), flannel's NET_ADMIN; every output
# format at every level and version band is valid (SARIF against the 2.1.0 schema); the YAML and
# python3-yaml's JSON of the same objects give the same findings; the emitted VAP's CEL, evaluated by
# @bufbuild/cel, agrees with scan per object and check id on the corpus.
# usage: bash k8s_scan_corpus.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
SRC=$(readlink -f "${2:?source dir}")
. "$SRC/tests/platform/results.sh"
. "$SRC/tests/integration/lib/npm.sh"
NPM_TEST_NAME=k8s_scan_corpus
DEB_CORPUS_DIR=${DEB_CORPUS_DIR:-/var/cache/confine-test/deb-corpus}
T=$(mktemp -d /var/tmp/confine-k8s-corpus.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for c in python3 node timeout; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make test installs it)"; exit 1; }
done
python3 -c "import yaml, jsonschema" 2>/dev/null || { echo "FAIL: python3-yaml or python3-jsonschema not installed (make test installs them)"; exit 1; }

# The Debian packages: missing is a failure, unless `make deps-test` recorded that Debian's archive
# could not be reached (no route, no DNS: then the whole test is skipped with apt's words); any other
# apt error (a package gone from the archive) is a failure.
for p in python3-magnum golang-k8s-sigs-structured-merge-diff-dev ceph-mgr-k8sevents; do
  [ -f "$DEB_CORPUS_DIR/$p/VERSION" ] && continue
  err=$(grep -v '^W:' "$DEB_CORPUS_DIR/download-error" 2>/dev/null | head -3 | tr '\n' ' ')
  case $err in
    *"Temporary failure resolving"*|*"Could not resolve"*|*"Could not connect"*|*"Connection timed out"*|\
    *"Network is unreachable"*|*"No route to host"*|*"Connection refused"*)
      why="Debian's archive unreachable when make deps-test ran: $err"
      echo "SKIP: the corpus packages are not in $DEB_CORPUS_DIR ($why)"
      t_result skip "$NPM_TEST_NAME/corpus" "$why"
      exit 77 ;;
  esac
  echo "FAIL: $DEB_CORPUS_DIR/$p missing (make deps-test downloads and unpacks it${err:+; apt said: $err})"; exit 1
done
npm_check @socialgouv/parse-manifests @bufbuild/cel @microsoft/jest-sarif
NPM=$NM
[ "$NPM_OK" = 1 ] || NPM=-
SCHEMA=$NM/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json

python3 "$SRC/tests/k8s/corpus/extract.py" "$DEB_CORPUS_DIR" "$NPM" "$T/corpus" || { echo "FAIL: extract.py"; exit 1; }
awk -F'\t' '{print $2" "$3}' "$T/corpus/index.tsv" | sort | uniq -c | sed 's/^/  source: /'

# 1. Per file, against python3-yaml (tests/k8s/corpus/check.py).
if python3 "$SRC/tests/k8s/corpus/check.py" "$CONFINE" "$T/corpus" "$T" >"$T/check" 2>&1; then
  cat "$T/check"
else cat "$T/check"; fail "per-file check (above)"; fi
[ -f "$T/expect.json" ] || { echo "FAIL: check.py wrote no expect.json"; exit 1; }
read -r N W <<<"$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["objects"], e["workloads"])' "$T/expect.json")"
[ "$N" -ge 150 ] && [ "$W" -ge 30 ] && pass "corpus: $N objects, $W workloads" ||
  fail "corpus smaller than the packages held when this test was written: $N objects, $W workloads"

# 2. The directory, every format, level and version band: no crash, counts, valid output.
scan() { timeout 120 "$CONFINE" k8s scan "$@"; }
scan "$T/ok" --level baseline >"$T/table" 2>&1; rc=$?
got=$(sed -n 's/^\([0-9]*\) object(s) scanned.*/\1/p' "$T/table")
[ $rc = 1 ] && [ "$got" = "$N" ] && pass "directory: $got object(s) scanned = python3-yaml's count, exit 1 (errors found)" ||
  fail "directory: rc=$rc, '$got' object(s) scanned, python3-yaml counts $N: $(tail -1 "$T/table")"
bad=0
for L in baseline restricted; do
  for V in 1.0 1.19 1.25 1.30 1.35; do
    for o in json kubesec sarif policyreport; do
      scan "$T/ok" --level $L --k8s-version $V -o $o --exit-code 0 >"$T/out.$o" 2>"$T/err"; rc=$?
      if [ $rc != 0 ]; then bad=1; echo "  $L $V -o $o: rc=$rc $(head -2 "$T/err")"; continue; fi
      python3 - "$T/out.$o" $o "$N" "$SCHEMA" <<'PY' || { bad=1; echo "  ($L $V -o $o)"; }
import json, os, sys
f, o, n, schema = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
d = json.load(open(f))
if o == "json":
    assert len(d["objects"]) == n, f"json: {len(d['objects'])} objects, want {n}"
elif o == "kubesec":
    assert len(d) == n, f"kubesec: {len(d)} reports, want {n}"
elif o == "sarif":
    if os.path.exists(schema):
        import jsonschema
        jsonschema.validate(d, json.load(open(schema)))
elif o == "policyreport":
    assert d["kind"] == "List" and all(r["apiVersion"] == "wgpolicyk8s.io/v1alpha2" for r in d["items"])
PY
    done
  done
done
[ $bad = 0 ] && pass "json, kubesec, sarif (schema-valid$([ -f "$SCHEMA" ] || echo ': schema not installed, shape only')), policyreport: 2 levels x 5 version bands" ||
  fail "output formats (above)"

# 3. Real DaemonSets: calico-node (privileged) and kube-flannel (NET_ADMIN) flagged (table, kubesec).
C=$T/corpus/magnum/common/templates/kubernetes/fragments
scan "$C/calico-service.sh.1.yaml" --level baseline >"$T/calico" 2>&1
scan "$C/flannel-service.sh.1.yaml" --level baseline >"$T/flannel" 2>&1
if grep -q "calico-service.sh.1.yaml:[0-9]*:[0-9]*: error: DaemonSet/calico-node.kube-system: privileged at spec.template.spec.containers\[0\].securityContext.privileged" "$T/calico" &&
  [ "$(grep -c "error: DaemonSet/calico-node.kube-system: privileged at spec.template.spec.initContainers\[[0-2]\].securityContext.privileged" "$T/calico")" = 3 ] &&
  grep -q "error: DaemonSet/calico-node.kube-system: hostNamespaces at spec.template.spec.hostNetwork" "$T/calico" &&
  grep -q "error: DaemonSet/kube-flannel-ds.kube-system: hostNamespaces at spec.template.spec.hostNetwork" "$T/flannel" &&
  grep -q "error: DaemonSet/kube-flannel-ds.kube-system: capabilities_baseline at spec.template.spec.containers\[0\].securityContext.capabilities.add\[0\]" "$T/flannel"; then
  pass "calico-node DaemonSet: 4 privileged containers (3 init) and hostNetwork flagged at their paths; kube-flannel: hostNetwork, NET_ADMIN"
else fail "privileged DaemonSets not flagged: $(grep -h "DaemonSet" "$T/calico" "$T/flannel" | head -5)"; fi
scan "$C/calico-service.sh.1.yaml" -o kubesec --exit-code 0 >"$T/ks" 2>&1
python3 - "$T/ks" <<'PY' && pass "kubesec: calico-node has the Privileged critical and a negative score" || fail "kubesec calico-node: $(head -c 600 "$T/ks")"
import json, sys
for r in json.load(open(sys.argv[1])):
    if r["object"] == "DaemonSet/calico-node.kube-system":
        crit = [c["id"] for c in r["scoring"].get("critical", [])]
        sys.exit(0 if "Privileged" in crit and r["score"] < 0 else 1)
sys.exit(1)
PY

# 4. The YAML and python3-yaml's JSON of the same objects: the same findings (rule, path) per object.
scan "$T/ok" --level restricted -o json --exit-code 0 >"$T/y.json" 2>&1
scan "$T/json" --level restricted -o json --exit-code 0 >"$T/j.json" 2>&1
python3 - "$T/y.json" "$T/j.json" <<'PY' && pass "YAML and python3-yaml's JSON reading give the same findings on every object" || fail "YAML vs JSON findings differ (above)"
import json, sys
y, j = (json.load(open(f))["objects"] for f in sys.argv[1:3])
key = lambda o: (o["object"], sorted((f["rule"], f["path"]) for f in o["findings"]))
ya, ja = sorted(map(key, y)), sorted(map(key, j))
for a, b in zip(ya, ja):
    if a != b:
        print("  differ:", a, b)
sys.exit(0 if ya == ja and len(y) == len(j) else 1)
PY

# 5. The emitted VAP's CEL (@bufbuild/cel) agrees with scan on the corpus, per object and check id.
if [ "$NPM_OK" = 1 ]; then
  agree=0
  JS=("$T"/json/*.json)
  for L in baseline restricted; do
    for V in 1.19 1.25 1.30 1.35; do
      scan "${JS[@]}" -o json --level $L --k8s-version $V --exit-code 0 >"$T/s.json" 2>/dev/null
      "$CONFINE" k8s policy --emit vap -o json --level $L --k8s-version $V >"$T/p.json"
      if ! node "$SRC/tests/integration/lib/k8s_cel_agree.mjs" "$NM/@bufbuild/cel" "$T/p.json" "$T/s.json" - "${JS[@]}" >"$T/agree" 2>&1; then
        agree=1; echo "  $L $V:"; grep -v "^  note" "$T/agree" | head -10
      fi
      tail -1 "$T/agree" | sed "s/^/  $L $V: /"
    done
  done
  [ $agree = 0 ] && pass "VAP CEL (@bufbuild/cel) agrees with scan per object and check id on the corpus, 2 levels x 4 versions" ||
    fail "CEL disagrees with scan on the corpus"
else npm_skip corpus-cel-agree; fi

[ $fails = 0 ] && echo "k8s_scan_corpus: all passed" || echo "k8s_scan_corpus: $fails failure(s)"
[ $fails = 0 ]
