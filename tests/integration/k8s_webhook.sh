#!/bin/bash
# `confine k8s webhook` over real TLS (an openssl-made CA and a server certificate with SANs), with
# real AdmissionReview bodies sent by curl --cacert: an allowed pod, a denied privileged pod, a
# Localhost profile missing from the bundle and one whose content hash no longer matches (tampered,
# then SIGHUP), an allowed profile from the bundle, the pods/ephemeralcontainers subresource (v1 Pod
# and the pre-1.22 EphemeralContainers kind), workload templates, DELETE, a non-workload kind, a
# review of the wrong apiVersion; hostile input: a 10 MB body (Content-Length and chunked), 100k-deep
# nesting, garbage, plain HTTP to the TLS port, wrong method/path/Content-Type, slow clients held
# open while a normal request is served; /healthz, /readyz, /metrics; an unloadable bundle (not
# ready, workloads denied); SIGTERM drains and exits 0; the emitted manifest validates against the
# OpenAPI schema (npm's kubernetes-models).
# usage: bash k8s_webhook.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
SRC=$(readlink -f "${2:?source dir}")
M=$SRC/tests/k8s/manifests
. "$SRC/tests/platform/results.sh"
. "$SRC/tests/integration/lib/npm.sh"
NPM_TEST_NAME=k8s_webhook
T=$(mktemp -d /var/tmp/confine-k8s-webhook.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for c in python3 node openssl curl; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make test installs it)"; exit 1; }
done
R=$SRC/tests/integration/lib/k8s_review.py

# 1. A CA and a serving certificate with the SANs the API server and curl check.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" \
  -days 2 -subj "/CN=confine test CA" 2>/dev/null &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/tls.key" -out "$T/tls.csr" \
    -subj "/CN=confine-webhook.confine-system.svc" 2>/dev/null &&
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:confine-webhook.confine-system.svc\n' >"$T/san" &&
  openssl x509 -req -in "$T/tls.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -out "$T/tls.crt" \
    -days 2 -extfile "$T/san" 2>/dev/null || { echo "FAIL: openssl could not make the certificates"; exit 1; }

# 2. A bundle (as k8s_scan.sh builds it) with one profile, and workloads pointing into it or not.
mkdir -p "$T/rec"
printf '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}\n' >"$T/rec/seccomp.json"
printf 'profile web {\n  /usr/bin/web rix,\n}\n' >"$T/rec/apparmor.profile"
printf '{"version": 1, "command": ["web"], "arches": {"x86_64": {"read": {"count": 3}}}, "files": [], "network": {"families": [], "bind": [], "connect": []}}\n' >"$T/rec/behavior.json"
python3 "$SRC/tests/integration/lib/k8s_bundle.py" build "$T/bundle" web="$T/rec" >/dev/null || { echo "FAIL: bundle build"; exit 1; }
cp -r "$T/bundle/part-1" "$T/live"  # the server's bundle: tampered and restored below
B=$T/live
ID=$(python3 -c "import json,sys; p=json.load(open(sys.argv[1]))['profiles'][0]; print(p['name']+'-'+p['hash'])" "$B/bundle.json")
BH=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['bundle'])" "$B/bundle.json")
deploy() {  # deploy NAME SECCOMP_LOCALHOST_PROFILE APPARMOR_LOCALHOST_PROFILE
  cat <<EOF
{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "$1", "namespace": "shop"},
 "spec": {"selector": {"matchLabels": {"app": "$1"}}, "template": {"metadata": {"labels": {"app": "$1"}}, "spec": {
  "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "Localhost", "localhostProfile": "$2"}},
  "containers": [{"name": "web", "image": "web",
    "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
      "appArmorProfile": {"type": "Localhost", "localhostProfile": "$3"}, "capabilities": {"drop": ["ALL"]}}}]}}}}
EOF
}
deploy good "confine/$ID.json" "confine-$ID" >"$T/good.json"
deploy stale "confine/web-000000000000.json" "confine-web-000000000000" >"$T/stale.json"
cat >"$T/pod-ok.json" <<'EOF'
{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "ok", "namespace": "shop"},
 "spec": {"securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
  "containers": [{"name": "app", "image": "app",
    "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}}
EOF
python3 - "$T/pod-ok.json" "$T/pod-eph.json" "$T/eph-old.json" <<'EOF'
import json, sys
pod = json.load(open(sys.argv[1]))
pod["metadata"]["name"] = "debugged"
pod["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox", "targetContainerName": "app",
                                        "securityContext": {"privileged": True}}]
json.dump(pod, open(sys.argv[2], "w"))
json.dump({"apiVersion": "v1", "kind": "EphemeralContainers", "metadata": {"name": "debugged", "namespace": "shop"},
           "ephemeralContainers": pod["spec"]["ephemeralContainers"]}, open(sys.argv[3], "w"))
EOF
python3 - "$M/restricted-ok.json" "$T/cron-priv.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
tmpl = d["spec"]["template"]
tmpl["spec"]["containers"][0]["securityContext"]["privileged"] = True
json.dump({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": "shop"},
           "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": tmpl}}}}, open(sys.argv[2], "w"))
EOF
printf '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}, "data": {"a": "b"}}\n' >"$T/cm.json"

# 3. The server: a free port (port 0; the address it bound is in its log).
start_server() {  # start_server LOG ARGS...
  local log=$1; shift
  "$CONFINE" k8s webhook --listen 127.0.0.1:0 --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" "$@" 2>"$log" &
  PIDS+=($!)
  SPID=$!
  PORT=""
  for _ in $(seq 1 200); do
    PORT=$(sed -n 's|.*listening on https://127.0.0.1:\([0-9]*\)/validate.*|\1|p' "$log")
    [ -n "$PORT" ] && return 0
    kill -0 "$SPID" 2>/dev/null || break
    sleep 0.1
  done
  echo "FAIL: the server did not start: $(cat "$log")"
  exit 1
}
start_server "$T/log" --bundle "$B" --read-timeout 5 --reload-interval 0
URL=https://127.0.0.1:$PORT
post() {  # post FILE [CURL_ARGS...]: the response body in $T/resp, the HTTP status on stdout
  local f=$1; shift
  curl -sS --max-time 20 --cacert "$T/ca.crt" -H 'Content-Type: application/json' --data-binary @"$f" \
    -o "$T/resp" -w '%{http_code}' "$@" "$URL/validate?timeout=10s" 2>"$T/curl.err"
}
n=0
expect() {  # expect LABEL OBJECT OPERATION SUBRESOURCE ALLOWED CODE TEXT...
  local label=$1 obj=$2 op=$3 sub=$4; shift 4
  n=$((n + 1))
  python3 "$R" review "uid-$n" "$op" "$obj" $sub >"$T/review.json"
  local code why
  code=$(post "$T/review.json")
  if [ "$code" = 200 ] && why=$(python3 "$R" check "$T/resp" "uid-$n" "$@" 2>&1); then pass "$label"
  else fail "$label: HTTP $code ${why:-} $(head -c 600 "$T/resp") $(cat "$T/curl.err")"; fi
}

# 4. Reviews.
expect "allowed pod (uid echoed, allowed: true)" "$T/pod-ok.json" CREATE "" true
expect "privileged pod denied (403, check id + field path)" "$M/privileged-pod.json" CREATE "" false 403 \
  "privileged at spec.containers[0].securityContext.privileged" "denied by confine (restricted, v1.35, bundle $BH)"
expect "Localhost profiles in the bundle with their hash: allowed" "$T/good.json" CREATE "" true
expect "Localhost profile missing from the bundle: denied" "$T/stale.json" CREATE "" false 403 \
  "confine/seccompProfileInBundle at spec.template.spec.securityContext.seccompProfile" \
  '"confine/web-000000000000.json" is not in the bundle' "confine/appArmorProfileInBundle"
expect "pods/ephemeralcontainers: the ephemeral container is judged" "$T/pod-eph.json" UPDATE ephemeralcontainers \
  false 403 "privileged at spec.ephemeralContainers[0].securityContext.privileged"
expect "pods/ephemeralcontainers with the pre-1.22 EphemeralContainers kind" "$T/eph-old.json" UPDATE ephemeralcontainers \
  false 403 "privileged at spec.ephemeralContainers[0].securityContext.privileged"
expect "workload template: CronJob" "$T/cron-priv.json" CREATE "" false 403 \
  "CronJob/nightly.shop" "privileged at spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"
expect "workload template: Deployment allowed, advisory findings as warnings" "$M/restricted-ok.json" CREATE "" true
expect "DELETE: allowed, says why" "$M/privileged-pod.json" DELETE "" true 200 "DELETE: nothing to check"
expect "non-workload kind: allowed, says why" "$T/cm.json" CREATE "" true 200 "kind ConfigMap is not a workload"
expect "other subresource: allowed, says why" "$M/privileged-pod.json" UPDATE status true 200 'subresource "status"'
n=$((n + 1))
python3 "$R" review "uid-$n" UPDATE "$M/privileged-pod.json" "" "$M/privileged-pod.json" >"$T/review.json"
code=$(post "$T/review.json")
[ "$code" = 200 ] && python3 "$R" check "$T/resp" "uid-$n" true 200 "leaves the pod spec and its annotations unchanged" &&
  pass "UPDATE that leaves the pod spec alone: allowed" || fail "unchanged update: $code $(cat "$T/resp")"
sed 's|admission.k8s.io/v1|admission.k8s.io/v1beta1|' "$T/review.json" >"$T/v1beta1.json"
code=$(post "$T/v1beta1.json")
[ "$code" = 200 ] && python3 "$R" check "$T/resp" "uid-$n" false 400 'got apiVersion "admission.k8s.io/v1beta1"' &&
  pass "wrong apiVersion: a clear denial" || fail "v1beta1: $code $(cat "$T/resp")"
printf '{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"operation": "CREATE"}}' >"$T/nouid.json"
code=$(post "$T/nouid.json")
[ "$code" = 200 ] && python3 "$R" check "$T/resp" "" false 400 "request.uid is missing" &&
  pass "review without request.uid: denied" || fail "no uid: $code $(cat "$T/resp")"

# 5. Hash mismatch and SIGHUP: the profile's file changes on disk; after SIGHUP the same workload is
#    denied; restored and SIGHUP again, it is admitted.
reloads() { curl -sS --cacert "$T/ca.crt" "$URL/metrics" | sed -n 's/^confine_webhook_bundle_reloads_total{result="ok"} //p'; }
sighup() {
  local before; before=$(reloads)
  kill -HUP "$SPID"
  for _ in $(seq 1 100); do [ "$(reloads)" != "$before" ] && return 0; sleep 0.1; done
  fail "SIGHUP: no reload within 10 s"
}
cp "$B/$ID.json" "$T/saved.json"
printf '{"defaultAction": "SCMP_ACT_ALLOW"}\n' >"$B/$ID.json"
sighup
expect "SIGHUP reload: a tampered profile (hash mismatch) is denied" "$T/good.json" CREATE "" false 403 \
  "confine/seccompProfileInBundle" "$ID.json: sha256 differs"
cp "$T/saved.json" "$B/$ID.json"
sighup
expect "SIGHUP reload: restored, admitted again" "$T/good.json" CREATE "" true

# 6. Hostile and malformed requests.
code=$(post "$T/review.json" -H 'Content-Type: text/plain')
[ "$code" = 415 ] && pass "wrong Content-Type: 415" || fail "Content-Type: $code"
code=$(curl -sS --cacert "$T/ca.crt" -o "$T/resp" -w '%{http_code}' "$URL/validate")
[ "$code" = 405 ] && pass "GET /validate: 405" || fail "GET /validate: $code"
code=$(curl -sS --cacert "$T/ca.crt" -o "$T/resp" -w '%{http_code}' "$URL/nope")
[ "$code" = 404 ] && pass "unknown path: 404" || fail "unknown path: $code"
head -c 10000000 /dev/zero | tr '\0' 'x' >"$T/big"
code=$(post "$T/big")
[ "$code" = 413 ] && grep -q "exceeds the limit of 4194304" "$T/resp" && pass "10 MB body (Content-Length): 413" ||
  fail "10 MB body: $code $(head -c 300 "$T/resp") $(cat "$T/curl.err")"
code=$(post "$T/big" -H 'Transfer-Encoding: chunked')
if [ "$code" = 413 ] || grep -q "Send failure\|Recv failure\|reset" "$T/curl.err"; then
  pass "10 MB chunked body: refused at the limit (HTTP $code)"
else fail "10 MB chunked body: $code $(cat "$T/curl.err")"; fi
python3 -c "print('[' * 100000 + ']' * 100000)" >"$T/deep"
code=$(post "$T/deep")
[ "$code" = 400 ] && grep -q "malformed AdmissionReview: .*nest" "$T/resp" && pass "100k-deep nesting: 400 ($(head -c 120 "$T/resp"))" ||
  fail "deep: $code $(head -c 300 "$T/resp")"
head -c 5000 /dev/urandom >"$T/garbage"
code=$(post "$T/garbage")
[ "$code" = 400 ] && grep -q "malformed AdmissionReview" "$T/resp" && pass "garbage: 400" || fail "garbage: $code $(head -c 300 "$T/resp")"
printf '[1, 2, 3]' >"$T/array"
code=$(post "$T/array")
[ "$code" = 400 ] && grep -q "expected a JSON object" "$T/resp" && pass "a JSON array: 400" || fail "array: $code"
code=$(curl -sS --max-time 10 -o "$T/resp" -w '%{http_code}' "http://127.0.0.1:$PORT/validate" 2>/dev/null)
[ "$code" = 400 ] && grep -q "speaks HTTPS" "$T/resp" && pass "plain HTTP to the TLS port: 400" || fail "plain HTTP: $code"
head -c 3000 /dev/urandom | timeout 10 python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', $PORT)); s.sendall(b'\x16\x03\x01' + sys.stdin.buffer.read()); s.settimeout(8)
try: s.recv(100)
except Exception: pass" && pass "a broken TLS handshake: connection closed" || fail "broken handshake not closed within 10 s"

# 7. Slow clients: a TLS client that never finishes its request head and a TCP client that never
#    starts the handshake are held open while a normal request is served; both are closed by the
#    server at its --read-timeout (5 s).
python3 "$R" slow 127.0.0.1 "$PORT" "$T/ca.crt" "$T/slow" &
SLOW=$!
PIDS+=($SLOW)
for _ in $(seq 1 100); do grep -q ready "$T/slow" 2>/dev/null && break; sleep 0.1; done
n=$((n + 1))
python3 "$R" review "uid-$n" CREATE "$T/pod-ok.json" >"$T/review.json"
code=$(post "$T/review.json")
[ "$code" = 200 ] && python3 "$R" check "$T/resp" "uid-$n" true && pass "served while slow clients are held open" ||
  fail "request during slowloris: $code $(cat "$T/curl.err")"
wait $SLOW
if grep -q "tls-half-head: HTTP/1.1 408" "$T/slow" && grep -q "tcp-no-handshake: \(EOF\|closed\)" "$T/slow"; then
  pass "slow clients closed at the deadline ($(grep -v 'ready\|done' "$T/slow" | tr '\n' ' '))"
else fail "slow clients: $(cat "$T/slow")"; fi

# 8. Health, readiness, metrics.
[ "$(curl -sS --cacert "$T/ca.crt" "$URL/healthz")" = ok ] && pass "/healthz" || fail "/healthz"
curl -sS --cacert "$T/ca.crt" "$URL/readyz" | grep -q "ready: bundle $BH" && pass "/readyz: ready, names the bundle" || fail "/readyz"
curl -sS --cacert "$T/ca.crt" "$URL/metrics" >"$T/metrics"
m() { sed -n "s/^$1 //p" "$T/metrics"; }
if [ "$(m 'confine_webhook_requests_total{result="denied"}')" -ge 6 ] &&
  [ "$(m 'confine_webhook_requests_total{result="allowed"}')" -ge 8 ] &&
  [ "$(m 'confine_webhook_requests_total{result="malformed"}')" -ge 3 ] &&
  [ "$(m 'confine_webhook_rejected_malformed_total{reason="body_too_large"}')" -ge 1 ] &&
  [ "$(m 'confine_webhook_rejected_malformed_total{reason="content_type"}')" -ge 1 ] &&
  [ "$(m 'confine_webhook_rejected_malformed_total{reason="timeout"}')" -ge 1 ] &&
  [ "$(m 'confine_webhook_connections_total{state="plaintext"}')" -ge 1 ] &&
  [ "$(m 'confine_webhook_review_duration_seconds_bucket{le="+Inf"}')" = "$(m confine_webhook_review_duration_seconds_count)" ] &&
  grep -q '^# TYPE confine_webhook_review_duration_seconds histogram' "$T/metrics"; then
  pass "/metrics: results, latency histogram, malformed and hostile requests counted"
else fail "/metrics: $(grep -v '^#' "$T/metrics" | tr '\n' ' ')"; fi

# 9. SIGTERM: drains and exits 0.
kill -TERM "$SPID"
wait "$SPID"; rc=$?
[ $rc = 0 ] && grep -q "drained, exiting" "$T/log" && pass "SIGTERM: drained, exit 0" || fail "SIGTERM: rc=$rc $(tail -3 "$T/log")"

# 10. A bundle that cannot be loaded: not ready, workloads denied (fail closed), DELETE still allowed.
start_server "$T/log2" --bundle "$T/nonexistent" --read-timeout 5
URL=https://127.0.0.1:$PORT
code=$(curl -sS --cacert "$T/ca.crt" -o "$T/resp" -w '%{http_code}' "$URL/readyz")
[ "$code" = 503 ] && grep -q "bundle not loaded" "$T/resp" && pass "unloadable bundle: /readyz 503" || fail "readyz: $code $(cat "$T/resp")"
expect "unloadable bundle: a workload is denied (fail closed)" "$T/pod-ok.json" CREATE "" false 403 "the bundle is not loaded"
expect "unloadable bundle: DELETE allowed" "$T/pod-ok.json" DELETE "" true
kill -TERM "$SPID"; wait "$SPID"

# 10b. The help's example: --bundle is the output directory of `confine k8s bundle`.
"$CONFINE" k8s bundle web="$T/rec" -o "$T/deploy" >"$T/kb" 2>&1 || fail "k8s bundle: $(cat "$T/kb")"
KB=$(sed -n 's/^bundle \([0-9a-f]*\):.*/\1/p' "$T/kb")
start_server "$T/log3" --bundle "$T/deploy/" --read-timeout 5
URL=https://127.0.0.1:$PORT
curl -sS --cacert "$T/ca.crt" "$URL/readyz" | grep -q "ready: bundle $KB" && pass "--bundle DIR written by confine k8s bundle" ||
  fail "bundle dir: $(cat "$T/log3")"
kill -TERM "$SPID"; wait "$SPID"

# 10c. Bounded connections: with --max-connections 2 held by two idle clients, a third is closed at
#      once (counted), and once the idle ones reach their deadline requests are served again.
start_server "$T/log4" --max-connections 2 --read-timeout 5
URL=https://127.0.0.1:$PORT
if out=$(timeout 60 python3 - "$PORT" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
time.sleep(0.5)  # accepted by the server
third = socket.create_connection(("127.0.0.1", port))
third.settimeout(4)
t = time.monotonic()
try:
    data = third.recv(10)
except OSError:
    data = b""
print("third: %s after %.1f s" % ("closed" if not data else data, time.monotonic() - t))
for s in idle:
    s.settimeout(30)
    s.recv(10)
PY
); then
  case $out in "third: closed after 0."*|"third: closed after 1."*) pass "over --max-connections: closed at once ($out)" ;;
    *) fail "over capacity: $out" ;; esac
else fail "over capacity: $out"; fi
n=$((n + 1))
python3 "$R" review "uid-$n" CREATE "$T/pod-ok.json" >"$T/review.json"
code=$(post "$T/review.json")
[ "$code" = 200 ] && curl -sS --cacert "$T/ca.crt" "$URL/metrics" | grep -q 'connections_total{state="over_capacity"} [1-9]' &&
  pass "served again once the idle connections timed out; over_capacity counted" || fail "after capacity: $code"
kill -TERM "$SPID"; wait "$SPID"

# 11. Setup errors exit 125; usage errors 2.
"$CONFINE" k8s webhook --listen 127.0.0.1:0 --tls-cert "$T/ca.crt" --tls-key "$T/tls.key" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 125 ] && grep -q "tls-key .*(for --tls-cert .*): .*key values mismatch" "$T/err" && pass "key not matching the certificate: exit 125" || fail "bad key: rc=$rc $(cat "$T/err")"
"$CONFINE" k8s webhook --listen nohost --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 125 ] && grep -q "expected HOST:PORT" "$T/err" && pass "bad --listen: exit 125" || fail "bad listen: rc=$rc $(cat "$T/err")"
"$CONFINE" k8s webhook --listen :0 >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "missing --tls-cert: usage error" || fail "usage: rc=$rc"
"$CONFINE" k8s webhook --help >"$T/help"
grep -q "confine k8s webhook --listen :8443 --tls-cert tls.crt --tls-key tls.key --bundle deploy/" "$T/help" &&
  grep -q -- "--emit-manifest" "$T/help" && pass "--help with examples" || fail "--help"

# 12. The manifest: ValidatingWebhookConfiguration + ServiceAccount + Service + Deployment.
"$CONFINE" k8s webhook --emit-manifest --ca-bundle "$T/ca.crt" --namespace guard --bundle-parts 2 -o json >"$T/manifest.json" ||
  fail "--emit-manifest"
"$CONFINE" k8s webhook --emit-manifest --ca-bundle "$T/ca.crt" >"$T/manifest.yaml" && grep -q '^kind: "ValidatingWebhookConfiguration"' "$T/manifest.yaml" &&
  pass "--emit-manifest writes YAML by default" || fail "manifest yaml"
if why=$(python3 - "$T/manifest.json" "$T/ca.crt" <<'EOF'
import base64, json, sys
objs = {o["kind"]: o for o in json.load(open(sys.argv[1]))["items"]}
assert set(objs) == {"ValidatingWebhookConfiguration", "ServiceAccount", "Service", "Deployment"}, objs.keys()
h = objs["ValidatingWebhookConfiguration"]["webhooks"][0]
assert h["failurePolicy"] == "Fail" and h["sideEffects"] == "None" and h["timeoutSeconds"] == 10, h
assert h["admissionReviewVersions"] == ["v1"], h
assert base64.b64decode(h["clientConfig"]["caBundle"]) == open(sys.argv[2], "rb").read()
assert h["clientConfig"]["service"] == {"namespace": "guard", "name": "confine-webhook", "path": "/validate", "port": 443}
assert h["namespaceSelector"]["matchExpressions"] == [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["guard"]}]
res = {(g, r) for rule in h["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
for want in [("", "pods"), ("", "pods/ephemeralcontainers"), ("apps", "deployments"), ("apps", "statefulsets"),
             ("apps", "daemonsets"), ("apps", "replicasets"), ("batch", "jobs"), ("batch", "cronjobs")]:
    assert want in res, want
pod = objs["Deployment"]["spec"]["template"]["spec"]
c = pod["containers"][0]
sc = c["securityContext"]
assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] and sc["capabilities"]["drop"] == ["ALL"]
assert pod["securityContext"]["runAsNonRoot"] and pod["automountServiceAccountToken"] is False
assert "--bundle" in c["args"] and [v["configMap"]["name"] for v in pod["volumes"] if "configMap" in v] == ["confine-bundle-1", "confine-bundle-2"]
assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
json.dump(list(objs.values()), open(sys.argv[1] + ".array", "w"))
EOF
); then pass "manifest: failurePolicy Fail, sideEffects None, timeoutSeconds, v1, own namespace exempt, rules, hardened Deployment"
else fail "manifest: $why"; fi
# The webhook's own Deployment passes the webhook's checks (restricted).
"$CONFINE" k8s scan "$T/manifest.json" >"$T/selfscan" 2>&1 && pass "the emitted Deployment passes k8s scan (restricted)" ||
  fail "self-scan: $(cat "$T/selfscan")"
"$CONFINE" k8s webhook --emit-manifest --ca-bundle "$T/tls.key" >/dev/null 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "not a PEM certificate" "$T/err" && pass "--ca-bundle that is no certificate: usage error" || fail "ca-bundle: rc=$rc"
npm_check kubernetes-models
if [ "$NPM_OK" = 1 ]; then
  if node "$SRC/tests/integration/lib/k8s_validate.mjs" "$NM" "$T/manifest.json.array" >"$T/val" 2>&1; then
    pass "manifest objects validate against the OpenAPI schema (kubernetes-models)"
  else fail "manifest schema: $(cat "$T/val")"; fi
else npm_skip manifest-schema; fi

echo "$fails failure(s)"
[ $fails = 0 ]
