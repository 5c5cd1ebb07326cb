#!/bin/bash
# `confine k8s patch` on a multi-document manifest (a Deployment, a CronJob with an init
# container, a Pod, a Service, a List) with two profiles recorded from real programs:
# every object validates against the Kubernetes OpenAPI schema (npm kubernetes-models, plus
# a field-name check: its validators accept misspelt fields), the diff against the input is
# insertions only (comments, order, quoting and unrelated objects kept byte for byte), every
# referenced seccomp/AppArmor name is the one the bundle format gives (tests/integration/lib/
# k8s_bundle.py, an independent implementation) and is installed by `confine k8s agent` from
# that bundle; --k8s-version 1.29 gives the annotation; bad input is an error at file:line:col.
# usage: bash k8s_patch.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
SRC=$(readlink -f "${2:?source dir}")
. "$SRC/tests/platform/results.sh"
. "$SRC/tests/integration/lib/npm.sh"
NPM_TEST_NAME=k8s_patch
NPM=$NM
KB="python3 $SRC/tests/integration/lib/k8s_bundle.py"
T=$(mktemp -d /var/tmp/confine-k8s-patch.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for c in busybox python3 node diff; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make test installs busybox-static python3 nodejs diffutils)"; exit 1; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "FAIL: python3-yaml not installed (DEPS_TEST)"; exit 1; }
npm_check kubernetes-models
BB=$(command -v busybox)

# --- two profiles recorded from real programs ---
mkdir -p "$T/rec" "$T/in"
echo hello >"$T/in/data.txt"
W=/tmp/confine-k8s-patch-$$ && rm -rf "$W"
"$CONFINE" record --format none --target oci -o "$T/rec/web" -- "$BB" sh -c "mkdir -p $W && cat $T/in/data.txt >$W/out" \
  >/dev/null 2>"$T/rec.err" </dev/null || { echo "FAIL: record web: $(cat "$T/rec.err")"; exit 1; }
rm -rf "$W"
"$CONFINE" record --format none --target oci -o "$T/rec/job" -- "$BB" cat /etc/hostname \
  >/dev/null 2>"$T/rec.err" </dev/null || { echo "FAIL: record job: $(cat "$T/rec.err")"; exit 1; }
[ -s "$T/rec/web/behavior.json" ] && [ -s "$T/rec/job/seccomp.json" ] && pass "two profiles recorded" ||
  { echo "FAIL: record wrote no profiles"; exit 1; }

cat >"$T/app.yaml" <<'YAML'
# The app: three workloads and a service.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the front end
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: "registry.example/web:1.2"   # pinned
        args: ['--port', "8080"]
        securityContext:
          runAsUser: 1000  # keep me
        volumeMounts:
        - name: config
          mountPath: /etc/web
      - name: log-shipper   # no profile: left alone
        image: busybox:1.36
      volumes:
      - name: config
        configMap:
          name: web-config
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          initContainers:
          - name: init
            image: busybox:1.36
            command: [cat, /etc/hostname]
          containers:
          - name: web
            image: registry.example/web:1.2
---
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
  - name: web
    image: registry.example/web:1.2
YAML

P=(--profile web="$T/rec/web" --profile init="$T/rec/job")
"$CONFINE" k8s patch "$T/app.yaml" "${P[@]}" --runtime-class confine-bundle -o "$T/out.yaml" 2>"$T/err" &&
  pass "patch exits 0" || { cat "$T/err"; fail "patch failed"; }
grep -q "containers\[log-shipper\]: no profile given: left unchanged" "$T/err" &&
  pass "the container without a profile is reported" || fail "log-shipper not reported: $(cat "$T/err")"
grep -q "kind Service is not a workload" "$T/err" && pass "the Service is reported left unchanged" ||
  fail "Service not reported"

# Insertions only: every line of the input is in the output, in order (comments, quoting, the Service).
if diff "$T/app.yaml" "$T/out.yaml" | grep -q '^<'; then
  fail "lines of the input changed or vanished: $(diff "$T/app.yaml" "$T/out.yaml" | grep '^<' | head -5)"
else
  pass "the diff is insertions only ($(diff "$T/app.yaml" "$T/out.yaml" | grep -c '^>') lines added)"
fi

# Schema: every object, with misspelt/unknown fields rejected.
yaml2json() { python3 -c 'import json,sys,yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))' "$1"; }
yaml2json "$T/out.yaml" >"$T/out.json" || fail "the output does not parse with PyYAML"
if [ "$NPM_OK" = 1 ]; then
v=$(node "$SRC/tests/integration/lib/k8s_validate.mjs" "$NPM" "$T/out.json" 2>&1) && pass "schema: $v" ||
  fail "schema: $v"
# The validator does catch a misspelt field (so its pass above means something).
python3 - "$T/out.json" >"$T/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
sc = d[0]["spec"]["template"]["spec"]["containers"][0]["securityContext"]
sc["readOnlyRootFilesytem"] = sc.pop("readOnlyRootFilesystem", True)
print(json.dumps(d))
PY
node "$SRC/tests/integration/lib/k8s_validate.mjs" "$NPM" "$T/bad.json" >"$T/bad.out" 2>&1 &&
  fail "a misspelt field passed the check" || { grep -q "readOnlyRootFilesytem: unknown field" "$T/bad.out" &&
    pass "a misspelt field is rejected" || fail "misspelt field: $(cat "$T/bad.out")"; }
else npm_skip schema; fi

# What was set, per container (PyYAML's reading of the output).
python3 - "$T/out.json" >"$T/fields" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def pods(o):
    k = o["kind"]
    if k == "Pod": return o["spec"]
    if k == "Deployment": return o["spec"]["template"]["spec"]
    if k == "CronJob": return o["spec"]["jobTemplate"]["spec"]["template"]["spec"]
for o in d:
    p = pods(o)
    if not p: continue
    for lst in ("initContainers", "containers"):
        for c in p.get(lst, []):
            sc = c.get("securityContext", {})
            print(o["kind"], c["name"], sc.get("seccompProfile", {}).get("localhostProfile", "-"),
                  sc.get("appArmorProfile", {}).get("localhostProfile", "-"),
                  ",".join(sc.get("capabilities", {}).get("drop", [])) or "-", sc.get("allowPrivilegeEscalation", "-"),
                  sc.get("readOnlyRootFilesystem", "-"), sc.get("runAsUser", "-"),
                  ",".join(m["mountPath"] for m in c.get("volumeMounts", [])) or "-", p.get("runtimeClassName", "-"))
PY
cat "$T/fields"
n=$(grep -c " confine/web-[0-9a-f]\{12\}\.json .* ALL False " "$T/fields")
[ "$n" = 3 ] && pass "the three web containers have seccomp, drop ALL, no privilege escalation" || fail "web containers: $n of 3"
grep -q "^CronJob init confine/job-[0-9a-f]\{12\}\.json " "$T/fields" && pass "the CronJob's init container has the job profile" ||
  fail "init container not patched"
grep -q "^Deployment log-shipper - - - - - - - confine-bundle" "$T/fields" && pass "log-shipper untouched" ||
  fail "log-shipper changed"
grep -q "^Deployment web .* True 1000 /etc/web,/tmp confine-bundle$" "$T/fields" &&
  pass "web: readOnlyRootFilesystem, runAsUser kept, emptyDir at /tmp after the manifest's own mount" ||
  fail "web's read-only root / mounts"

# The names are what the bundle format gives for these directories, and the agent installs them.
B=$($KB build "$T/bundle" web="$T/rec/web" job="$T/rec/job") || fail "k8s_bundle.py build"
$KB kubelet-write "$T/cm" "$T/bundle/part-1"
"$CONFINE" k8s agent --profiles "$T/cm" --kubelet-root "$T/kubelet" --runtime-state "$T/none" --once >"$T/agent.out" 2>&1 ||
  fail "agent: $(cat "$T/agent.out")"
bad=0
for p in $(awk '{print $3}' "$T/fields" | grep -v '^-$' | sort -u); do
  if [ -s "$T/kubelet/seccomp/$p" ]; then :; else bad=1; echo "  not installed: $p"; fi
done
[ $bad = 0 ] && pass "every localhostProfile is installed by the agent from bundle $B" || fail "uninstalled references"
for p in $(awk '{print $4}' "$T/fields" | grep -v '^-$' | sort -u); do
  grep -q "\"profile\": \"$p\"" "$T/bundle/part-1/bundle.json" || { bad=1; echo "  not in the bundle: $p"; }
done
[ $bad = 0 ] && pass "every appArmorProfile is a profile the bundle defines" || fail "AppArmor names differ"
# ... and what `confine k8s bundle` writes, also for a profile with a path attachment (the bundle
# drops it: both must hash the same bytes; seen differing before they shared prepare_profile).
"$CONFINE" record --format none --target oci -o "$T/rec/srt" -- /usr/bin/sort "$T/in/data.txt" \
  >/dev/null 2>"$T/rec.err" </dev/null || fail "record srt: $(cat "$T/rec.err")"
grep -q '^profile [^ ]* /usr/bin/sort' "$T/rec/srt/apparmor.profile" || fail "srt's profile has no attachment"
"$CONFINE" k8s bundle web="$T/rec/web" srt="$T/rec/srt" -o "$T/cb" >"$T/cb.out" 2>&1 || fail "k8s bundle: $(cat "$T/cb.out")"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: s\nspec:\n  containers:\n  - name: srt\n    image: x\n' >"$T/srt.yaml"
n=$("$CONFINE" k8s patch "$T/srt.yaml" --profile srt="$T/rec/srt" 2>/dev/null | grep -o 'confine/srt-[0-9a-f]\{12\}\.json' | head -1)
[ -n "$n" ] && grep -rqF "${n#confine/}" "$T/cb" && pass "patch names what confine k8s bundle writes ($n)" ||
  fail "patch's name ${n:-none} is not in confine k8s bundle's output"
# `confine k8s scan --bundle` reads that output directory (its ConfigMaps): the patched pod's
# profiles are in it; one hash digit changed is not.
"$CONFINE" k8s patch "$T/srt.yaml" --profile srt="$T/rec/srt" -o "$T/srt.patched.yaml" 2>/dev/null
"$CONFINE" k8s scan "$T/srt.patched.yaml" --bundle "$T/cb" >"$T/scan.out" 2>&1
! grep -q "InBundle" "$T/scan.out" && grep -q "object(s) scanned" "$T/scan.out" &&
  pass "k8s scan --bundle (bundle's output directory): the patched profiles are in it" || fail "scan --bundle: $(cat "$T/scan.out")"
sed "s/${n#confine/srt-}/000000000000.json/" "$T/srt.patched.yaml" >"$T/srt.bad.yaml"
"$CONFINE" k8s scan "$T/srt.bad.yaml" --bundle "$T/cb" >"$T/scan.out" 2>&1
grep -q "seccompProfileInBundle" "$T/scan.out" && pass "k8s scan --bundle: a profile not in the bundle is an error" ||
  fail "scan --bundle tampered: $(cat "$T/scan.out")"

# A profile bundled under another name (`bundle api=DIR`): CONTAINER=NAME=DIR.
BA=$($KB build "$T/bundle-api" api="$T/rec/web") || fail "k8s_bundle.py build api"
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["profiles"][0]["seccomp"]["file"])' "$T/bundle-api/part-1/bundle.json")
"$CONFINE" k8s patch "$T/app.yaml" --profile web=api="$T/rec/web" 2>"$T/err" | grep -q "localhostProfile: \"confine/$want\"" &&
  pass "CONTAINER=NAME=DIR names confine/$want as the bundle does" || fail "api name: $want $(cat "$T/err")"

# Kubernetes before 1.30: the annotation, not the field.
"$CONFINE" k8s patch "$T/app.yaml" "${P[@]}" --k8s-version 1.29 -o "$T/old.yaml" 2>"$T/err" || fail "1.29: $(cat "$T/err")"
yaml2json "$T/old.yaml" >"$T/old.json"
if grep -q appArmorProfile "$T/old.yaml"; then fail "1.29: appArmorProfile field written"; fi
python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
a=d[0]["spec"]["template"]["metadata"]["annotations"]
assert a["container.apparmor.security.beta.kubernetes.io/web"].startswith("localhost/confine-web-"), a
assert d[0]["spec"]["template"]["metadata"]["labels"] == {"app": "web"}
' "$T/old.json" && pass "1.29: the AppArmor annotation on the pod template" || fail "1.29 annotation"
if [ "$NPM_OK" = 1 ]; then
  v=$(node "$SRC/tests/integration/lib/k8s_validate.mjs" "$NPM" "$T/old.json" 2>&1) && pass "1.29 schema: $v" || fail "1.29 schema: $v"
else npm_skip schema-1.29; fi

# Standard input, --container.
"$CONFINE" k8s patch - --container init --profile "$T/rec/job" <"$T/app.yaml" >"$T/stdin.yaml" 2>"$T/err" &&
  grep -q "localhostProfile: \"confine/job-" "$T/stdin.yaml" && pass "stdin and --container" || fail "stdin: $(cat "$T/err")"

# A program that writes where it also reads a file it did not create: no emptyDir over that
# directory (it would hide the file), so the root file system stays writable, and that is reported.
"$CONFINE" record --format none --target oci -o "$T/rec/rw" -- "$BB" sh -c "cat $T/in/data.txt; echo x >$T/in/new" \
  >/dev/null 2>"$T/rec.err" </dev/null || fail "record rw: $(cat "$T/rec.err")"
"$CONFINE" k8s patch "$T/app.yaml" --profile web="$T/rec/rw" -o "$T/rw.yaml" 2>"$T/err" || fail "rw: $(cat "$T/err")"
if grep -q "readOnlyRootFilesystem\|emptyDir: {}" "$T/rw.yaml"; then
  fail "rw: an emptyDir or a read-only root although it reads $T/in/data.txt where it writes"
elif grep -q "root file system left writable: it wrote in /var/tmp and used $T/in/data.txt there" "$T/err"; then
  pass "never an emptyDir over a directory it reads: root left writable, reported"
else
  fail "rw: not reported: $(cat "$T/err")"
fi

# Bad input.
printf 'kind: Pod\nspec:\n  containers:\n  - name: web\n   image: x\n' >"$T/bad.yaml"
"$CONFINE" k8s patch "$T/bad.yaml" "${P[@]}" -o "$T/x.yaml" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q "$T/bad.yaml:[0-9]*:[0-9]*: invalid YAML" "$T/err" && [ ! -e "$T/x.yaml" ] &&
  pass "invalid YAML: exit 1 at file:line:col, nothing written" || fail "invalid YAML: rc=$rc $(cat "$T/err")"
"$CONFINE" k8s patch "$T/app.yaml" --profile nosuch="$T/rec/web" -o "$T/x.yaml" 2>"$T/err"
rc=$?
[ $rc = 1 ] && grep -q "matched no container" "$T/err" && [ ! -e "$T/x.yaml" ] &&
  pass "a profile matching no container: exit 1" || fail "unmatched profile: rc=$rc $(cat "$T/err")"
printf 'kind: Pod\nspec: {containers: [{name: web, image: x}]}\n' >"$T/flow.yaml"
"$CONFINE" k8s patch "$T/flow.yaml" "${P[@]}" 2>"$T/err" >/dev/null
rc=$?
[ $rc = 1 ] && grep -q "flow.yaml:2:.*flow style is not patched" "$T/err" && pass "flow style: refused at file:line:col" ||
  fail "flow style: rc=$rc $(cat "$T/err")"

[ $fails = 0 ] && { echo "all k8s patch checks passed"; exit 0; }
echo "$fails check(s) failed"
exit 1
