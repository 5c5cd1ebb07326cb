#!/bin/bash
# `confine k8s scan` and `confine k8s policy` over a corpus of JSON manifests (tests/k8s/manifests,
# tests/k8s/kubesec): every Pod Security Standards check, pass and fail, at every version band
# (tests/k8s/gen_pss_cases.py wrote the expectations from PSA's semantics); kubesec's own regression
# assets give the score sign kubesec's tests assert; the SARIF output validates against the SARIF
# 2.1.0 schema (npm's @microsoft/jest-sarif ships it; python3-jsonschema validates); PolicyReport
# shape; the emitted policy objects against the OpenAPI schema (npm's kubernetes-models, unknown fields
# too); the emitted ValidatingAdmissionPolicy's CEL, evaluated by a real CEL implementation (npm's
# @bufbuild/cel), agrees with scan per object and per check id at every version band, the bundle
# membership included (through the policy's parameters); bad input (invalid JSON, YAML, deep nesting,
# huge documents, wrong field types, unknown kinds) gives a clear error or finding, never a crash,
# hang or silent pass.
# usage: bash k8s_scan.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
SRC=$(readlink -f "${2:?source dir}")
M=$SRC/tests/k8s/manifests
KS=$SRC/tests/k8s/kubesec
. "$SRC/tests/platform/results.sh"
. "$SRC/tests/integration/lib/npm.sh"
NPM_TEST_NAME=k8s_scan
NPM=$NM
T=$(mktemp -d /var/tmp/confine-k8s-scan.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for c in python3 node; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make test installs python3 and nodejs)"; exit 1; }
done
python3 -c "import jsonschema" 2>/dev/null || { echo "FAIL: python3-jsonschema not installed (make test installs it)"; exit 1; }
npm_check @bufbuild/cel @microsoft/jest-sarif kubernetes-models
SCHEMA=$NPM/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json
scan() { "$CONFINE" k8s scan "$@"; }
MANIFESTS=("$M"/*.json)

# 1. Exit codes and the table: file:line:col, field path, object.
scan "$M/restricted-ok.json" >"$T/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "0 error(s)" "$T/out" && pass "restricted-ok passes (exit 0)" || fail "restricted-ok: rc=$rc $(cat "$T/out")"
scan "$M/privileged-pod.json" >"$T/out" 2>&1; rc=$?
if [ $rc = 1 ] && grep -q "privileged-pod.json:9:42: error: Pod/security-context-demo.default: privileged at spec.containers\[0\].securityContext.privileged" "$T/out"; then
  pass "privileged pod: exit 1, finding at file:line:col with the field path"
else fail "privileged pod: rc=$rc $(head -3 "$T/out")"; fi
scan "$M/privileged-pod.json" --exit-code 7 >/dev/null 2>&1; rc=$?
[ $rc = 7 ] && pass "--exit-code 7" || fail "--exit-code 7 gave $rc"
scan "$M/privileged-pod.json" --exit-code 0 >/dev/null 2>&1; rc=$?
[ $rc = 0 ] && pass "--exit-code 0 never fails" || fail "--exit-code 0 gave $rc"
scan "$M/cronjob-init.json" --level baseline >"$T/out" 2>&1
grep -q "spec.jobTemplate.spec.template.spec.containers\[0\].securityContext.seccompProfile.type" "$T/out" &&
  grep -q 'annotations\["container.apparmor.security.beta.kubernetes.io/dump"\]' "$T/out" &&
  pass "CronJob: pod template path, AppArmor annotation checked" || fail "CronJob: $(cat "$T/out")"
scan "$M/list-mixed.json" >"$T/out" 2>&1
if grep -q "Service/web.default: scan/kindNotSupported at kind: skipped: kind not supported: Service" "$T/out" &&
  grep -q "Widget/w.default: scan/kindNotSupported.*skipped: kind not supported: Widget (example.com/v1)" "$T/out" &&
  grep -q 'ephemeralContainers\[0\].securityContext.runAsUser' "$T/out"; then
  pass "List: unknown kind and CRD reported as skipped, ephemeral container checked"
else fail "List: $(cat "$T/out")"; fi
scan "$M" >"$T/dir" 2>&1; cat "${MANIFESTS[@]}" >/dev/null
n=$(grep -c "object(s) scanned" "$T/dir"); objs=$(sed -n 's/^\([0-9]*\) object(s) scanned.*/\1/p' "$T/dir")
[ "$n" = 1 ] && [ "${objs:-0}" -gt 50 ] && pass "directory: $objs objects" || fail "directory: $(tail -1 "$T/dir")"
{ cat "$M/privileged-pod.json"; printf '  '; cat "$M/cronjob-init.json"; printf '{"kind": "Pod", "metadata": {"name": "x"}, "spec": {"hostIPC": true, "containers": []}} {"kind": "Pod", "spec": {"hostPID": true}}\n'; } >"$T/stream.json"
scan "$T/stream.json" --level baseline >"$T/out" 2>&1
n1=$(wc -l <"$M/privileged-pod.json"); n2=$(wc -l <"$M/cronjob-init.json")
if grep -q "stream.json:9:42: error: Pod/security-context-demo.default: privileged" "$T/out" &&
  grep -q "stream.json:$((n1 + 8)):91: error: CronJob/backup.ops: appArmorProfile" "$T/out" &&
  grep -q "stream.json:$((n1 + n2 + 1)):64: error: Pod/x.default: hostNamespaces at spec.hostIPC" "$T/out" &&
  grep -q "stream.json:$((n1 + n2 + 1)):125: error: Pod/undefined.default: hostNamespaces at spec.hostPID" "$T/out" &&
  grep -q "^4 object(s) scanned" "$T/out"; then
  pass "a stream of JSON documents (yq -o json of a multi-document file): every document, positions in the file"
else fail "stream: $(cat "$T/out")"; fi
printf '{"kind": "Pod"}\n{"kind": "Pod", "spec": {"a": 1,}}\n' >"$T/bad-stream.json"
scan "$T/bad-stream.json" >"$T/out" 2>&1; rc=$?
[ $rc = 3 ] && grep -q "bad-stream.json:2:33: trailing comma" "$T/out" && pass "an error in the second document of a stream: its line in the file" || fail "bad stream: rc=$rc $(cat "$T/out")"
scan - <"$M/privileged-pod.json" >"$T/out" 2>&1
grep -q "^<stdin>:9:42: error" "$T/out" && pass "stdin (-) with positions" || fail "stdin: $(head -2 "$T/out")"

# 2. Every PSS check, pass and fail, per level and version band.
python3 - "$CONFINE" "$M/pss-cases.json" <<'PY' && pass "PSS cases: every check passes and fails as PSA does at every version band" || fail "PSS cases"
import json, subprocess, sys
B, f = sys.argv[1], sys.argv[2]
cases = json.load(open(f))["items"]
bad = n = 0
checks_failed = set()
for level in ("baseline", "restricted"):
    for m in [0, 8, 18, 19, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35]:
        out = subprocess.run([B, "k8s", "scan", f, "-o", "json", "--level", level, "--k8s-version", "1.%d" % m],
                             capture_output=True, text=True).stdout
        objs = json.loads(out)["objects"]
        assert len(objs) == len(cases)
        for c, o in zip(cases, objs):
            exp = set(filter(None, json.loads(c["metadata"]["annotations"]["confine.test/expect"])[level][str(m)].split(",")))
            got = {x["rule"] for x in o["findings"] if x["severity"] == "error" and "/" not in x["rule"]}
            checks_failed |= got
            n += 1
            if exp != got:
                bad += 1
                print("  MISMATCH %s %s 1.%d: expected %s got %s" % (c["metadata"]["name"], level, m, sorted(exp), sorted(got)))
            for x in o["findings"]:
                if x["line"] == 0 or not x["path"]:
                    bad += 1
                    print("  NO POSITION/PATH:", x)
all_checks = {"hostNamespaces", "privileged", "capabilities_baseline", "hostPathVolumes", "hostPorts", "appArmorProfile",
              "seLinuxOptions", "procMount", "seccompProfile_baseline", "sysctls", "windowsHostProcess",
              "hostProbesAndHostLifecycle", "restrictedVolumes", "allowPrivilegeEscalation", "runAsNonRoot", "runAsUser",
              "seccompProfile_restricted", "capabilities_restricted", "procMount_restricted"}
if all_checks - checks_failed:
    bad += 1
    print("  checks never failed by the corpus:", sorted(all_checks - checks_failed))
print("  %d (case, level, version) verdicts, %d mismatches" % (n, bad))
sys.exit(1 if bad else 0)
PY

# 3. confine's version checks: fields that do not exist yet, annotations the kubelet ignores.
cat >"$T/versions.json" <<'EOF'
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "v", "annotations": {"seccomp.security.alpha.kubernetes.io/pod": "runtime/default"}},
 "spec": {"securityContext": {"appArmorProfile": {"type": "RuntimeDefault"}}, "containers": [{"name": "a", "image": "a"}]}}
EOF
scan "$T/versions.json" --level baseline --k8s-version 1.29 >"$T/out" 2>&1
grep -q "confine/fieldVersion at spec.securityContext.appArmorProfile: the appArmorProfile field exists from Kubernetes 1.30" "$T/out" &&
  pass "1.29: the appArmorProfile field is reported (dropped by the API server)" || fail "fieldVersion: $(cat "$T/out")"
scan "$T/versions.json" --level baseline --k8s-version 1.27 >"$T/out" 2>&1
grep -q "error: .*confine/deprecatedAnnotation.*ignored from Kubernetes 1.27" "$T/out" &&
  pass "1.27: the seccomp annotation is an error (ignored by the kubelet)" || fail "deprecatedAnnotation: $(cat "$T/out")"
scan "$T/versions.json" --level baseline --k8s-version 1.30 >"$T/out" 2>&1; rc=$?
grep -q "fieldVersion" "$T/out" && fail "1.30 still reports the field" || pass "1.30: the field is accepted"

# 4. kubesec: kubesec's own regression assets give the score sign its tests assert; README's example exactly.
python3 - "$CONFINE" "$KS" <<'PY' && pass "kubesec: the 49 assertions of kubesec's test/1_cli.bats hold" || fail "kubesec scores"
import json, subprocess, sys, os
B, d = sys.argv[1], sys.argv[2]
e = json.load(open(os.path.join(d, "expect.json")))
bad = 0
for f, a in sorted(e.items()):
    r = json.loads(subprocess.run([B, "k8s", "scan", os.path.join(d, f), "-o", "kubesec", "--exit-code", "0"],
                                  capture_output=True, text=True).stdout)[0]
    s = r["score"]
    if not {"lt_zero": s < 0, "gt_zero": s > 0, "zero": s == 0}[a]:
        bad += 1
        print("  BAD", f, a, s, r["message"])
r = json.loads(subprocess.run([B, "k8s", "scan", os.path.join(d, "score-0-cap-sys-admin.json"), "-o", "kubesec"],
                              capture_output=True, text=True).stdout)[0]
want = {"object": "Pod/security-context-demo.default", "valid": True, "message": "Failed with a score of -30 points", "score": -30}
for k, v in want.items():
    if r[k] != v:
        bad += 1
        print("  README example:", k, r[k], "!=", v)
if [x["id"] for x in r["scoring"]["critical"]] != ["CapSysAdmin"] or r["scoring"]["critical"][0]["selector"] != \
        "containers[] .securityContext .capabilities .add == SYS_ADMIN" or r["scoring"]["critical"][0]["points"] != -30:
    bad += 1
    print("  README example critical:", r["scoring"]["critical"])
adv = [x["points"] for x in r["scoring"]["advise"]]
if adv != sorted(adv, reverse=True):
    bad += 1
    print("  advise not sorted by points:", adv)
c = json.loads(subprocess.run([B, "k8s", "scan", os.path.join(d, "allowPrivilegeEscalation.json"), "-o", "kubesec"],
                              capture_output=True, text=True).stdout)[0]
if "passed" in c["scoring"] and any(x["points"] < 0 for x in c["scoring"]["passed"]):
    bad += 1
sys.exit(1 if bad else 0)
PY

# 5. SARIF 2.1.0 against the schema; a broken log must fail the same validator.
scan "${MANIFESTS[@]}" -o sarif >"$T/scan.sarif"
if [ "$NPM_OK" = 1 ]; then
python3 - "$SCHEMA" "$T/scan.sarif" <<'PY' && pass "SARIF validates against sarif-2.1.0-rtm.5.json (and a broken one does not)" || fail "SARIF schema"
import copy, json, sys, jsonschema
s, d = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
v = jsonschema.validators.validator_for(s)(s)
errs = list(v.iter_errors(d))
for e in errs[:5]:
    print("  ", list(e.path), e.message)
res = d["runs"][0]["results"]
ok = not errs and len(res) > 50 and all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 0 for r in res)
b = copy.deepcopy(d); b["runs"][0]["results"][0]["level"] = "fatal"
ok = ok and len(list(v.iter_errors(b))) > 0
sys.exit(0 if ok else 1)
PY
else npm_skip sarif-schema; fi

# 6. PolicyReport (wgpolicyk8s.io/v1alpha2): one per namespace, summary counts = results.
scan "${MANIFESTS[@]}" -o policyreport >"$T/pr.json"
python3 - "$T/pr.json" <<'PY' && pass "PolicyReport: wgpolicyk8s.io/v1alpha2 per namespace, summaries match" || fail "PolicyReport"
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["kind"] == "List" and d["items"]
for r in d["items"]:
    ok = ok and r["apiVersion"] == "wgpolicyk8s.io/v1alpha2" and r["kind"] == "PolicyReport" and r["metadata"]["namespace"]
    counts = {k: 0 for k in ("pass", "fail", "warn", "error", "skip")}
    for x in r["results"]:
        counts[x["result"]] += 1
        ok = ok and x["resources"] and x["policy"] and x["rule"] and x.get("source") == "confine"
    ok = ok and counts == r["summary"]
results = [x for r in d["items"] for x in r["results"]]
ok = ok and any(x["result"] == "skip" for x in results) and any(x["result"] == "fail" for x in results) \
    and any(x["result"] == "pass" for x in results)
sys.exit(0 if ok else 1)
PY
scan "${MANIFESTS[@]}" -o json --exit-code 0 >"$T/scan.json" && python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$T/scan.json" &&
  pass "-o json is JSON" || fail "-o json"

# 7. The emitted CEL, evaluated by @bufbuild/cel, agrees with scan per object and check id.
agree=0
for L in baseline restricted; do
  for V in 1.0 1.8 1.18 1.19 1.22 1.23 1.25 1.27 1.29 1.31 1.32 1.34 1.35; do
    scan "${MANIFESTS[@]}" -o json --level $L --k8s-version $V >"$T/s.json"
    "$CONFINE" k8s policy --emit vap -o json --level $L --k8s-version $V >"$T/p.json"
    [ "$NPM_OK" = 1 ] || continue
    if ! node "$SRC/tests/integration/lib/k8s_cel_agree.mjs" "$NPM/@bufbuild/cel" "$T/p.json" "$T/s.json" - "${MANIFESTS[@]}" >"$T/agree" 2>&1; then
      agree=1; echo "  $L $V:"; grep -v "^  note" "$T/agree" | head -10
    fi
  done
done
if [ "$NPM_OK" = 1 ]; then
  [ $agree = 0 ] && pass "VAP CEL (@bufbuild/cel) agrees with scan per object and check id, 2 levels x 13 versions" || fail "CEL disagrees with scan"
else npm_skip cel-agree; fi
for e in kyverno gatekeeper; do
  "$CONFINE" k8s policy --emit $e -o json >"$T/$e.json" || fail "policy --emit $e"
done
python3 - "$T/p.json" "$T/kyverno.json" "$T/gatekeeper.json" <<'PY' && pass "Kyverno and Gatekeeper carry the same CEL as the VAP" || fail "kyverno/gatekeeper CEL"
import json, sys
vap, ky, gk = (json.load(open(f))["items"] for f in sys.argv[1:4])
v = [x["expression"] for x in vap[-2]["spec"]["validations"]]
k = [x["expression"] for x in ky[-1]["spec"]["rules"][0]["validate"]["cel"]["expressions"]]
g = [x["expression"] for x in gk[0]["spec"]["targets"][0]["code"][0]["source"]["validations"]]
ok = v == k and len(v) == 17 and v == [x.replace("variables.params", "params.data") for x in g]
ok = ok and ky[-1]["kind"] == "ClusterPolicy" and gk[0]["kind"] == "ConstraintTemplate" and gk[1]["kind"] == "ConfinePssRestricted"
sys.exit(0 if ok else 1)
PY
"$CONFINE" k8s policy --emit vap >"$T/vap.yaml" && python3 -c "
import sys, json
try:
    import yaml
except ImportError:
    sys.exit(0)
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
j = json.load(open(sys.argv[2]))['items']
sys.exit(0 if docs == j else 1)" "$T/vap.yaml" "$T/p.json" && pass "YAML output reads back as the JSON output" || fail "YAML output"

# 8. --bundle: Localhost profiles in the bundle with their hash, capabilities beyond the behaviour,
#    a writable root the behaviour never needed; and the same membership in CEL through params.
mkdir -p "$T/rec"
printf '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}\n' >"$T/rec/seccomp.json"
printf 'profile web {\n  /usr/bin/web rix,\n}\n' >"$T/rec/apparmor.profile"
cat >"$T/rec/behavior.json" <<'EOF'
{"version": 1, "command": ["web"], "arches": {"x86_64": {"bind": {"count": 1}, "read": {"count": 3}}},
 "files": [{"path": "/tmp/cache/x", "access": "rwc"}, {"path": "/etc/web.conf", "access": "r"}],
 "network": {"families": ["AF_INET"], "bind": ["0.0.0.0:80"], "connect": []}}
EOF
python3 "$SRC/tests/integration/lib/k8s_bundle.py" build "$T/bundle" web="$T/rec" >"$T/bh" || fail "bundle build"
B="$T/bundle/part-1"
ID=$(python3 -c "import json,sys; p=json.load(open(sys.argv[1]))['profiles'][0]; print(p['name']+'-'+p['hash'])" "$B/bundle.json")
mk() {  # mk NAME SECCOMP_PROFILE APPARMOR_PROFILE CAPS_ADD_JSON READONLY
  cat <<EOF
{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "$1", "namespace": "shop"},
 "spec": {"selector": {"matchLabels": {"app": "$1"}}, "template": {"metadata": {"labels": {"app": "$1"}}, "spec": {
  "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "Localhost", "localhostProfile": "$2"}},
  "containers": [{"name": "web", "image": "web",
    "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": $5,
      "appArmorProfile": {"type": "Localhost", "localhostProfile": "$3"},
      "capabilities": {"drop": ["ALL"], "add": $4}},
    "volumeMounts": [{"name": "cache", "mountPath": "/tmp/cache"}]}],
  "volumes": [{"name": "cache", "emptyDir": {}}]}}}}
EOF
}
mk good "confine/$ID.json" "confine-$ID" '["NET_BIND_SERVICE"]' true >"$T/b-good.json"
mk stale "confine/web-000000000000.json" "confine-web-000000000000" '[]' true >"$T/b-stale.json"
mk caps "confine/$ID.json" "confine-$ID" '["NET_BIND_SERVICE", "NET_ADMIN"]' true >"$T/b-caps.json"
mk rw "confine/$ID.json" "confine-$ID" '[]' false >"$T/b-rw.json"
scan "$T/b-good.json" --bundle "$B" >"$T/out" 2>&1; rc=$?
[ $rc = 0 ] && pass "bundle: profiles in the bundle with their hash, caps used: no finding" || fail "bundle good: rc=$rc $(cat "$T/out")"
scan "$T/b-stale.json" --bundle "$B" >"$T/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "confine/seccompProfileInBundle at spec.template.spec.securityContext.seccompProfile: .*\"confine/web-000000000000.json\" is not in the bundle" "$T/out" &&
  grep -q "confine/appArmorProfileInBundle" "$T/out" && pass "bundle: a profile name not in the bundle is an error" || fail "bundle stale: rc=$rc $(cat "$T/out")"
scan "$T/b-caps.json" --bundle "$B" >"$T/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "confine/capabilitiesBeyondBehavior at spec.template.spec.containers\[0\].securityContext.capabilities.add\[1\]: container \"web\" adds NET_ADMIN" "$T/out" &&
  ! grep -q "adds NET_BIND_SERVICE" "$T/out" && pass "bundle: NET_ADMIN beyond the behaviour, NET_BIND_SERVICE used" || fail "bundle caps: $(cat "$T/out")"
scan "$T/b-rw.json" --bundle "$B" >"$T/out" 2>&1
grep -q "warning: .*confine/writableRootUnused.*wrote nothing outside its emptyDir" "$T/out" &&
  pass "bundle: writable root where the behaviour wrote only into its emptyDir" || fail "bundle rw: $(cat "$T/out")"
# A tampered file: same name, other content -> not accepted.
cp -r "$B" "$T/tampered" && printf ' ' >>"$T/tampered/$ID.json"
scan "$T/b-good.json" --bundle "$T/tampered" >"$T/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "listed in the bundle but $ID.json: sha256 differs" "$T/out" && pass "bundle: tampered profile content rejected" || fail "tampered: $(cat "$T/out")"
scan "$T/b-good.json" --bundle "$T/nonexistent" >"$T/out" 2>&1; rc=$?
[ $rc = 3 ] && pass "bundle: unreadable bundle is exit 3" || fail "missing bundle: rc=$rc"
# The same membership in CEL: params = the emitted ConfigMap.
"$CONFINE" k8s policy --emit vap -o json --bundle "$B" >"$T/pb.json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d['items'][0]))" "$T/pb.json" >"$T/params.json"
BM=("$T/b-good.json" "$T/b-stale.json" "$T/b-caps.json" "$T/b-rw.json")
scan "${BM[@]}" "${MANIFESTS[@]}" -o json --bundle "$B" >"$T/sb.json"
if [ "$NPM_OK" != 1 ]; then
  npm_skip bundle-cel
elif node "$SRC/tests/integration/lib/k8s_cel_agree.mjs" "$NPM/@bufbuild/cel" "$T/pb.json" "$T/sb.json" "$T/params.json" "${BM[@]}" "${MANIFESTS[@]}" >"$T/agree" 2>&1 &&
  grep -q "confine/seccompProfileInBundle" <(python3 -c "import json,sys; print([v['message'] for v in json.load(open(sys.argv[1]))['items'][1]['spec']['validations']])" "$T/pb.json"); then
  pass "bundle membership through the VAP's params agrees with scan ($(tail -1 "$T/agree"))"
else fail "bundle CEL: $(grep -v '^  note' "$T/agree" | head)"; fi

# The emitted VAP, binding and parameter ConfigMap against the Kubernetes OpenAPI schema (npm's
# kubernetes-models), unknown fields included (that validator alone accepts misspelt ones).
if [ "$NPM_OK" = 1 ]; then
# (lib/k8s_validate.mjs, the validator of k8s_bundle.sh and k8s_patch.sh, reads a JSON array.)
items() { python3 -c "import json,sys; json.dump(json.load(open(sys.argv[1]))['items'], open(sys.argv[2], 'w'))" "$1" "$2"; }
for args in "" "--bundle $B" "--level baseline --k8s-version 1.30"; do
  "$CONFINE" k8s policy --emit vap -o json $args >"$T/vs.json" && items "$T/vs.json" "$T/vs.items.json"
  node "$SRC/tests/integration/lib/k8s_validate.mjs" "$NPM" "$T/vs.items.json" >"$T/schema" 2>&1 ||
    { fail "policy --emit vap $args: schema: $(cat "$T/schema")"; continue; }
  pass "policy --emit vap $args: valid against the OpenAPI schema, no unknown field ($(wc -l <"$T/schema") objects)"
done
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d[0]['spec']['validations'][0]['expresion']='x'; json.dump(d,open(sys.argv[1],'w'))" "$T/vs.items.json"
node "$SRC/tests/integration/lib/k8s_validate.mjs" "$NPM" "$T/vs.items.json" >"$T/schema" 2>&1 &&
  fail "the strict schema check accepts a misspelt field" ||
  { grep -q "expresion: unknown field" "$T/schema" && pass "the strict schema check rejects a misspelt field" ||
    fail "misspelt field: $(cat "$T/schema")"; }
else npm_skip policy-schema; fi

# 9. Bad input: clear errors at file:line:col, bounded, never a crash or hang.
scan "$SRC/tests/k8s/bad/bad-syntax.json" >"$T/out" 2>&1; rc=$?
[ $rc = 3 ] && grep -q "bad-syntax.json:5:3: expected ',' or '}'" "$T/out" && pass "invalid JSON: exit 3 at file:line:col" || fail "invalid JSON: rc=$rc $(cat "$T/out")"
# YAML: the same manifests written as YAML (python3-yaml, an independent writer) give the same
# findings as their JSON; positions are the YAML file's; an alias bomb and a merge key are refused
# at their line, never expanded; YAML 1.1's `yes` is a boolean, as Kubernetes reads it.
mkdir -p "$T/yamlm"
python3 -c "
import json, sys, os, yaml
for f in sys.argv[2:]:
    d = json.load(open(f))
    out = os.path.join(sys.argv[1], os.path.basename(f)[:-5] + '.yaml')
    yaml.safe_dump_all(d if isinstance(d, list) else [d], open(out, 'w'), sort_keys=False)
" "$T/yamlm" "${MANIFESTS[@]}"
scan "$M" -o json >"$T/fj.json" 2>/dev/null
scan "$T/yamlm" -o json >"$T/fy.json" 2>/dev/null
python3 -c "
import json, sys
def norm(p):
    d = json.load(open(p))
    return sorted((o['object'], f['rule'], f['severity'], f['path']) for o in d['objects'] for f in o['findings'])
a, b = norm(sys.argv[1]), norm(sys.argv[2])
sys.exit(0 if a == b and a else 1)" "$T/fj.json" "$T/fy.json" && pass "YAML input: the same findings as its JSON (${#MANIFESTS[@]} files)" ||
  fail "YAML and JSON findings differ"
grep -q '"location": "[^"]*yamlm/[^"]*\.yaml:[0-9]*:[0-9]*"' "$T/fy.json" && pass "YAML input: findings at the YAML file's line:col" ||
  fail "YAML locations: $(grep -m1 location "$T/fy.json")"
scan "$SRC/tests/k8s/bad/pod.yaml" >"$T/out" 2>&1; rc=$?
[ $rc -le 1 ] && grep -q "pod.yaml:" "$T/out" && pass "YAML file scanned (exit $rc)" || fail "yaml: rc=$rc $(cat "$T/out")"
printf 'a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n' >"$T/bomb.yaml"
timeout 20 "$CONFINE" k8s scan "$T/bomb.yaml" >"$T/out" 2>&1; rc=$?
[ $rc = 3 ] && grep -q "bomb.yaml:2:.*alias" "$T/out" && pass "YAML alias bomb: refused at its line (exit 3)" || fail "alias bomb: rc=$rc $(cat "$T/out")"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: y}\nspec:\n  containers:\n  - name: c\n    image: x\n    securityContext: {privileged: yes}\n' |
  scan - --level baseline >"$T/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "<stdin>:8:.*privileged" "$T/out" && pass "YAML on stdin: privileged: yes is privileged" || fail "yaml stdin: rc=$rc $(cat "$T/out")"
python3 -c "print('[' * 100000 + ']' * 100000)" >"$T/deep.json"
timeout 20 "$CONFINE" k8s scan "$T/deep.json" >"$T/out" 2>&1; rc=$?
[ $rc = 3 ] && grep -q "deep.json:1:" "$T/out" && pass "100000-deep nesting: bounded error" || fail "deep: rc=$rc $(head -c 300 "$T/out")"
python3 -c "
import json
print(json.dumps({'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'huge'}, 'spec': {'containers': [{'name': 'c%d' % i, 'image': 'x', 'env': [{'name': 'A', 'value': 'b'}]} for i in range(300000)]}}))" >"$T/huge.json"
timeout 60 "$CONFINE" k8s scan "$T/huge.json" >"$T/out" 2>&1; rc=$?
[ $rc = 3 ] && grep -q "huge.json:1:" "$T/out" && pass "a document above the value bound: error, no crash ($(tail -c 120 "$T/out"))" || fail "huge: rc=$rc $(tail -c 300 "$T/out")"
python3 -c "
import json
print(json.dumps({'apiVersion': 'v1', 'kind': 'List', 'items': [{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'p%d' % i}, 'spec': {'containers': [{'name': 'c', 'image': 'x'}]}} for i in range(5000)]}))" >"$T/many.json"
timeout 60 "$CONFINE" k8s scan "$T/many.json" -o json >"$T/out" 2>&1; rc=$?
[ $rc = 1 ] && python3 -c "import json,sys; assert len(json.load(open(sys.argv[1]))['objects']) == 5000" "$T/out" && pass "5000 pods in one List scanned" || fail "many: rc=$rc"
cat >"$T/types.json" <<'EOF'
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "t"},
 "spec": {"hostNetwork": "true", "containers": [{"name": "c", "image": "x", "securityContext": {"privileged": "yes", "capabilities": {"add": "SYS_ADMIN"}}}]}}
EOF
scan "$T/types.json" --level baseline >"$T/out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "hostNamespaces at spec.hostNetwork: expected a boolean, got string" "$T/out" &&
  grep -q "privileged at spec.containers\[0\].securityContext.privileged: expected a boolean" "$T/out" &&
  grep -q "capabilities.add: expected an array" "$T/out" && pass "wrong field types: findings, never a silent pass" || fail "types: rc=$rc $(cat "$T/out")"
printf '[1, "x", null]\n' >"$T/scalars.json"
scan "$T/scalars.json" >"$T/out" 2>&1; rc=$?
[ $rc = 1 ] && [ "$(grep -c 'scan/notAnObject' "$T/out")" = 3 ] && pass "non-objects in an array: reported" || fail "scalars: rc=$rc $(cat "$T/out")"
scan "$M/privileged-pod.json" --level strict >/dev/null 2>&1; [ $? = 2 ] && pass "bad --level: usage error" || fail "bad --level"
scan "$M/privileged-pod.json" --k8s-version 2.1 >/dev/null 2>&1; [ $? = 2 ] && pass "bad --k8s-version: usage error" || fail "bad --k8s-version"
"$CONFINE" k8s scan --help | grep -q "confine k8s scan deploy.yaml" && "$CONFINE" k8s policy --help | grep -q -- "--emit vap" &&
  pass "--help with examples" || fail "--help"

echo "k8s_scan: $fails failure(s)"
[ $fails = 0 ]
