#!/usr/bin/env bash
# `confine k8s webhook` latency under concurrent load (issue 14, docs/benchmarks.md): a local client
# (curl --parallel: one process, CONC transfers at a time over reused TLS connections) POSTs N real
# AdmissionReviews over loopback (a restricted Deployment with a Localhost profile from a bundle, so
# the bundle check runs, and a privileged Pod that is denied, alternating) and reports p50/p99/max of
# curl's per-transfer time_total (TLS handshake included for each connection's first request) and the
# server's own review-time histogram (/metrics). Bounded: N requests (default 2000), 120 s at most.
# usage: bash bench/webhook_latency.sh BUILD_DIR SRC_DIR [N] [CONC]
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
ROOT=$(cd "${2:-.}" && pwd)
N=${3:-2000}
CONC=${4:-8}
CONFINE=$BUILD/confine
for c in openssl curl python3; do command -v $c >/dev/null || { echo "webhook_latency: needs $c"; exit 1; }; done
[ -x "$CONFINE" ] || { echo "webhook_latency: no $CONFINE"; exit 1; }
T=$(mktemp -d /tmp/confine-webhook-bench.XXXXXX)
SPID=""
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" \
  -days 1 -subj "/CN=bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/tls.key" -out "$T/tls.csr" \
  -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san"
openssl x509 -req -in "$T/tls.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -out "$T/tls.crt" -days 1 \
  -extfile "$T/san" 2>/dev/null
mkdir -p "$T/rec"
printf '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}\n' >"$T/rec/seccomp.json"
printf '{"version": 1, "command": ["web"], "arches": {"x86_64": {"read": {"count": 3}}}, "files": [], "network": {"families": [], "bind": [], "connect": []}}\n' >"$T/rec/behavior.json"
python3 "$ROOT/tests/integration/lib/k8s_bundle.py" build "$T/bundle" web="$T/rec" >/dev/null
B=$T/bundle/part-1
ID=$(python3 -c "import json,sys; p=json.load(open(sys.argv[1]))['profiles'][0]; print(p['name']+'-'+p['hash'])" "$B/bundle.json")
python3 - "$ROOT/tests/k8s/manifests/restricted-ok.json" "$ID" "$T/deploy.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"].pop("add", None)
d["spec"]["template"]["spec"]["securityContext"]["seccompProfile"] = {"type": "Localhost", "localhostProfile": "confine/%s.json" % sys.argv[2]}
json.dump(d, open(sys.argv[3], "w"))
EOF
python3 "$ROOT/tests/integration/lib/k8s_review.py" review bench-allow CREATE "$T/deploy.json" >"$T/allow.json"
python3 "$ROOT/tests/integration/lib/k8s_review.py" review bench-deny CREATE "$ROOT/tests/k8s/manifests/privileged-pod.json" >"$T/deny.json"

"$CONFINE" k8s webhook --listen 127.0.0.1:0 --tls-cert "$T/tls.crt" --tls-key "$T/tls.key" --bundle "$B" \
  --max-connections 256 2>"$T/log" &
SPID=$!
PORT=""
for _ in $(seq 1 100); do
  PORT=$(sed -n 's|.*listening on https://127.0.0.1:\([0-9]*\)/validate.*|\1|p' "$T/log")
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "webhook_latency: server did not start: $(cat "$T/log")"; exit 1; }
URL="https://127.0.0.1:$PORT/validate?timeout=10s"
{
  for i in $(seq 1 "$N"); do
    f=$T/allow.json; [ $((i % 2)) = 0 ] && f=$T/deny.json
    printf 'url = "%s"\ncacert = "%s"\ndata-binary = "@%s"\nheader = "Content-Type: application/json"\noutput = "/dev/null"\nwrite-out = "%%{http_code} %%{time_total}\\n"\n' "$URL" "$T/ca.crt" "$f"
    [ "$i" -lt "$N" ] && printf 'next\n'
  done
} >"$T/curl.cfg"
start=$(date +%s.%N)
timeout 120 curl -sS --no-progress-meter --parallel --parallel-max "$CONC" --config "$T/curl.cfg" >"$T/times" 2>"$T/curl.err" || true
end=$(date +%s.%N)
curl -sS --cacert "$T/ca.crt" "https://127.0.0.1:$PORT/metrics" >"$T/metrics"
kill -TERM "$SPID"; wait "$SPID" || true; SPID=""
python3 - "$T/times" "$T/metrics" "$N" "$CONC" "$start" "$end" <<'EOF'
import sys
times, metrics, n, conc, start, end = sys.argv[1:]
ok = [float(l.split()[1]) * 1000 for l in open(times) if l.startswith("200 ")]
bad = sum(1 for l in open(times) if not l.startswith("200 "))
ok.sort()
def pct(p):
    return ok[min(len(ok) - 1, int(p / 100 * len(ok)))] if ok else float("nan")
wall = float(end) - float(start)
print("webhook latency: %d requests (%d answered 200, %d not), %s concurrent, loopback TLS, %.1f s wall, %.0f req/s"
      % (int(n), len(ok), bad, conc, wall, len(ok) / wall if wall else 0))
print("client time_total: p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms" % (pct(50), pct(90), pct(99), ok[-1] if ok else float("nan")))
m = {}
for l in open(metrics):
    if l.startswith("confine_webhook_"):
        k, v = l.rsplit(" ", 1)
        m[k] = float(v)
cnt = m.get("confine_webhook_review_duration_seconds_count", 0)
if cnt:
    print("server review time (decode + scan + bundle check): mean %.3f ms over %d reviews; %s"
          % (m["confine_webhook_review_duration_seconds_sum"] / cnt * 1000, cnt,
             ", ".join("<=%s s: %d" % (k.split('"')[1], v) for k, v in m.items()
                       if k.startswith("confine_webhook_review_duration_seconds_bucket") and k.split('"')[1] in ("0.0005", "0.001", "0.005"))))
print("results: allowed %d, denied %d" % (m.get('confine_webhook_requests_total{result="allowed"}', 0),
                                          m.get('confine_webhook_requests_total{result="denied"}', 0)))
if bad or len(ok) != int(n):
    sys.exit(1)
EOF
