#!/bin/bash
# `confine k8s bundle` end to end, without a cluster: two profiles recorded from real programs are
# bundled; `kubectl kustomize` renders the directory offline; every object validates against the
# Kubernetes OpenAPI schema (npm kubernetes-models) with every field name checked too; the rendered
# ConfigMaps are laid out as the kubelet mounts them (lib/k8s_bundle.py kubelet-write) and
# `confine k8s agent` installs them; podman + runc run a container with the installed profile; a
# re-bundle with one profile changed installs the new file, keeps the old one while the container
# uses it, removes it after; the bundle hashes equal those of the format's independent Python
# writer (lib/k8s_bundle.py); a bundle too large for one ConfigMap is split into parts that each stay
# under kubectl apply's 256 KiB annotation and the agent installs them all; bad input is refused;
# `make image`'s tarball loads into podman and runs.
# usage: bash k8s_bundle.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
SRC=$(readlink -f "${2:?source dir}")
. "$SRC/tests/platform/results.sh"
KB="python3 $SRC/tests/integration/lib/k8s_bundle.py"
KUBECTL=${KUBECTL:-kubectl}
. "$SRC/tests/integration/lib/npm.sh"
NPM_TEST_NAME=k8s_bundle
T=$(mktemp -d /var/tmp/confine-k8sb.XXXXXX)
CTR="" IMG=""
cleanup() {
  [ -n "$CTR" ] && { touch "$T/rootfs/data/stop" 2>/dev/null; podman rm -f "$CTR" >/dev/null 2>&1; }
  [ -n "$IMG" ] && podman rmi -f "$IMG" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for c in podman runc busybox python3 apparmor_parser "$KUBECTL" node curl openssl; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make deps-test installs it)"; exit 1; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "FAIL: python3-yaml not installed (make deps-test)"; exit 1; }
npm_check kubernetes-models
BB=$(command -v busybox)
ldd "$BB" 2>&1 | grep -q "not a dynamic" || { echo "FAIL: $BB is not static (busybox-static expected)"; exit 1; }
agent() { "$CONFINE" k8s agent --runtime-state /run/runc "$@"; }
st() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }
# render DIR OUT: kubectl kustomize, then objects.json and part-N/ from the rendered ConfigMaps.
render() {
  "$KUBECTL" kustomize "$1" >"$2.yaml" 2>"$2.err" || { echo "FAIL: kubectl kustomize $1: $(head -c 400 "$2.err")" >&2; return 1; }
  $KB from-render "$2.yaml" "$2"
}
validate() {  # validate OBJECTS.json -> the validator's output; status 1 on any error
  node "$SRC/tests/integration/lib/k8s_validate.mjs" "$NM" "$1" 2>&1
}

# --- two profiles recorded from real programs (as tests/integration/k8s_agent.sh) ---
ROOT=$T/rootfs
mkdir -p "$ROOT"/{bin,proc,sys,dev,etc,tmp,data}
cp "$BB" "$ROOT/bin/busybox"
for a in sh echo cat ls ln sort wc head sleep true; do ln -s busybox "$ROOT/bin/$a"; done
echo "root:x:0:0:root:/:/bin/sh" >"$ROOT/etc/passwd"
printf 'b\na\nc\n' >"$ROOT/data/in.txt"
HD=$T/hostdata && mkdir -p "$HD" && cp "$ROOT/data/in.txt" "$HD/"
WORK='cat DATA/in.txt | sort | head -1; ls DATA >/dev/null; while [ ! -e DATA/stop ]; do sleep 0.2; done; echo done'
touch "$HD/stop"
"$CONFINE" record --format none --target oci -o "$T/web" -- "$BB" sh -c "${WORK//DATA/$HD}; sleep 0.2" \
  >/dev/null 2>"$T/rec.err" </dev/null || { echo "FAIL: record web: $(cat "$T/rec.err")"; exit 1; }
"$CONFINE" record --format none --target oci -o "$T/cat" -- "$BB" cat /etc/hostname \
  >/dev/null 2>"$T/rec.err" </dev/null || { echo "FAIL: record cat: $(cat "$T/rec.err")"; exit 1; }
[ -s "$T/web/apparmor.profile" ] && [ -s "$T/cat/seccomp.json" ] && pass "two profiles recorded (--target oci)" ||
  { echo "FAIL: record wrote no profiles"; exit 1; }

# --- bundle v1; the Python writer gives the same hashes ---
out=$("$CONFINE" k8s bundle "$T/web" "$T/cat" -o "$T/d1" 2>"$T/b.err"); rc=$?
B1=$(echo "$out" | sed -n 's/^bundle \([0-9a-f]\{12\}\): .*/\1/p')
[ $rc = 0 ] && [ -n "$B1" ] && [ -f "$T/d1/kustomization.yaml" ] && pass "k8s bundle: $(echo "$out" | head -1)" ||
  { echo "FAIL: k8s bundle: rc=$rc $out $(cat "$T/b.err")"; exit 1; }
echo "$out" | grep -q "runtimeClassName: confine-$B1 " && pass "it names the RuntimeClass confine-$B1" ||
  fail "no RuntimeClass line: $out"
PB=$($KB build "$T/py1" web="$T/web" cat="$T/cat")
[ "$PB" = "$B1" ] && pass "lib/k8s_bundle.py (the independent writer) gives the same bundle hash $B1" ||
  fail "bundle hash: confine $B1, python $PB"
render "$T/d1" "$T/r1" >"$T/r1.parts" || exit 1
pyh=$(st "$T/py1/part-1/bundle.json" "sorted((p['name'], p['hash'], p['apparmor']['sha256']) for p in d['profiles'])")
ch=$(st "$T/r1/part-1/bundle.json" "sorted((p['name'], p['hash'], p['apparmor']['sha256']) for p in d['profiles'])")
[ "$pyh" = "$ch" ] && pass "and the same profile hashes and AppArmor text: $(st "$T/r1/part-1/bundle.json" "[p['name']+'-'+p['hash'] for p in d['profiles']]")" ||
  fail "profile hashes: confine $ch, python $pyh"

# --- kustomize renders offline; every object validates, field names too ---
kinds=$(st "$T/r1/objects.json" "sorted(o['kind'] for o in d)")
[ "$kinds" = "['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet', 'Namespace', 'RuntimeClass', 'RuntimeClass', 'ServiceAccount', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']" ] &&
  pass "kubectl kustomize ($("$KUBECTL" version --client 2>/dev/null | grep -o 'v1\.[0-9]*\.[0-9]*' | head -1)) renders $(st "$T/r1/objects.json" "len(d)") objects offline" ||
  fail "rendered kinds: $kinds"
if [ "$NPM_OK" = 1 ]; then
v=$(validate "$T/r1/objects.json"); rc=$?
[ $rc = 0 ] && pass "every object validates against the OpenAPI schema, no unknown field ($(echo "$v" | wc -l) objects)" ||
  fail "schema: $v"
# The checker itself: a misspelt field and a wrong type are caught.
python3 - "$T/r1/objects.json" "$T/bad.json" <<'PY'
import json, sys
objs = json.load(open(sys.argv[1]))
ds = [o for o in objs if o["kind"] == "DaemonSet"][0]
ds["spec"]["template"]["spec"]["containers"][0]["securityContxt"] = {}
rc = [o for o in objs if o["kind"] == "RuntimeClass"][0]
rc["handler"] = 5
json.dump([ds, rc], open(sys.argv[2], "w"))
PY
v=$(validate "$T/bad.json"); rc=$?
[ $rc = 1 ] && echo "$v" | grep -q "securityContxt: unknown field" && echo "$v" | grep -q "handler must be string" &&
  pass "the checker catches a misspelt field and a wrong type" || fail "checker: rc=$rc $v"
else npm_skip schema; fi

# --- the rendered objects agree with the agent ---
python3 - "$T/r1/objects.json" "$B1" >"$T/coherence" 2>&1 <<'PY'
import json, sys
objs, b = json.load(open(sys.argv[1])), sys.argv[2]
by = {(o["kind"], o["metadata"]["name"]): o for o in objs}
ds = by[("DaemonSet", "confine-agent")]
pod = ds["spec"]["template"]["spec"]
c = pod["containers"][0]
errs = []
args = c["args"]
if args[:2] != ["k8s", "agent"] or args[args.index("--profiles") + 1] != "/etc/confine/bundle" or \
        args[args.index("--node") + 1] != "$(NODE_NAME)" or \
        c["env"] != [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]:
    errs.append("agent args %s" % args)
mounts = {m["name"]: m for m in c["volumeMounts"]}
for v in pod["volumes"]:
    if "configMap" in v:
        if ("ConfigMap", v["configMap"]["name"]) not in by: errs.append("volume %s: no such ConfigMap" % v)
        if not mounts[v["name"]]["mountPath"].startswith("/etc/confine/bundle/"): errs.append("mount %s" % v)
    if "hostPath" in v and v["hostPath"]["path"].startswith("/run") and not mounts[v["name"]].get("readOnly"):
        errs.append("runtime state %s is not read-only" % v["name"])
if c["readinessProbe"]["exec"]["command"] != ["/confine", "k8s", "status", "--ready"]: errs.append("probe")
sc = c["securityContext"]
if sc["capabilities"] != {"drop": ["ALL"], "add": ["MAC_ADMIN"]} or sc["allowPrivilegeEscalation"] or not sc["readOnlyRootFilesystem"]:
    errs.append("securityContext %s" % sc)
if pod["tolerations"] != [{"operator": "Exists"}]: errs.append("tolerations")
if "limits" not in c["resources"]: errs.append("no limits")
sel = [by[("RuntimeClass", "confine-" + b)]["scheduling"]["nodeSelector"],
       by[("RuntimeClass", "confine-%s-apparmor" % b)]["scheduling"]["nodeSelector"]]
if sel != [{"confine.dev/bundle-" + b: "installed"}, {"confine.dev/bundle-" + b: "installed", "confine.dev/apparmor": "enforced"}]:
    errs.append("RuntimeClass selectors %s" % sel)
role = by[("ClusterRole", "confine-agent")]["rules"]
if role != [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "patch"]}]: errs.append("rbac %s" % role)
pol = by[("ValidatingAdmissionPolicy", "confine-agent-own-node-labels")]["spec"]
if "authentication.kubernetes.io/node-name" not in json.dumps(pol) or pol["failurePolicy"] != "Fail": errs.append("policy")
print(json.dumps(sel[0]))
print("; ".join(errs))
PY
[ $? = 0 ] && [ "$(wc -l <"$T/coherence")" = 2 ] && [ -z "$(sed -n 2p "$T/coherence")" ] && pass "DaemonSet mounts every part, probe, caps drop ALL + MAC_ADMIN, read-only runtime state; RuntimeClasses select $(head -1 "$T/coherence")" ||
  fail "coherence: $(tail -3 "$T/coherence")"

# --- the agent installs the rendered ConfigMaps, laid out as the kubelet mounts them ---
KR=$T/kubelet ID=$T/kubelet/seccomp/confine CM=$T/volumes
for p in "$T"/r1/part-*; do $KB kubelet-write "$CM/${p##*-}" "$p"; done
out=$(agent --profiles "$CM" --kubelet-root "$KR" --once 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "ready: 2 of 2 profiles installed" ] && "$CONFINE" k8s status --kubelet-root "$KR" --ready >/dev/null &&
  pass "agent: $out from the rendered ConfigMap" || fail "agent v1: rc=$rc $out"
lab=$(st "$KR/confine-agent/status.json" "d['labels']")
[[ "$lab" == *"'confine.dev/bundle-$B1': 'installed'"* ]] && pass "the agent's node label is what the RuntimeClass selects ($lab)" ||
  fail "labels $lab vs bundle $B1"
WEB1=$(ls "$ID" | grep '^web-')
cmp -s "$ID/$WEB1" "$T/web/seccomp.json" && pass "installed $WEB1 is the recorded profile byte for byte" ||
  fail "$WEB1 differs from the recording"

# --- the agent's one API write: its own node's labels (GET + merge PATCH over HTTPS, token on curl's stdin) ---
CRED=$T/sa && mkdir -p "$CRED" "$T/bin"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$CRED/key.pem" -out "$CRED/ca.crt" -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -days 2 >/dev/null 2>&1 || fail "openssl req"
echo "eyJhbGciOi.TOKEN-secret_42" >"$CRED/token"
printf '#!/bin/sh\necho "$*" >>"%s"\nexec %s "$@"\n' "$T/curl.argv" "$(command -v curl)" >"$T/bin/curl" && chmod +x "$T/bin/curl"
python3 - "$CRED" "$T/api.log" "$T/api.port" <<'PY' &
import http.server, json, ssl, sys
cred, log, portf = sys.argv[1:]
node = {"metadata": {"name": "n1", "labels": {"confine.dev/bundle-0123456789ab": "installed", "kubernetes.io/os": "linux"}}}
class H(http.server.BaseHTTPRequestHandler):
    def rec(self, body=None):
        open(log, "a").write(json.dumps({"m": self.command, "path": self.path, "auth": self.headers.get("Authorization"),
                                         "ctype": self.headers.get("Content-Type"), "body": body}) + "\n")
    def reply(self):
        b = json.dumps(node).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self):
        self.rec(); self.reply()
    def do_PATCH(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.rec(body)
        for k, v in body["metadata"]["labels"].items():
            if v is None: node["metadata"]["labels"].pop(k, None)
            else: node["metadata"]["labels"][k] = v
        self.reply()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cred + "/ca.crt", cred + "/key.pem")
s.socket = ctx.wrap_socket(s.socket, server_side=True)
open(portf, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
APIPID=$!
for _ in $(seq 50); do [ -s "$T/api.port" ] && break; sleep 0.2; done
API=https://127.0.0.1:$(cat "$T/api.port")
out=$(PATH="$T/bin:$PATH" agent --profiles "$CM" --kubelet-root "$KR" --once --node n1 --api-server "$API" --api-credentials "$CRED" 2>&1); rc=$?
api=$(python3 - "$T/api.log" "$B1" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
b = sys.argv[2]
want = {"metadata": {"labels": {"confine.dev/bundle-" + b: "installed", "confine.dev/apparmor": "unsupported", "confine.dev/bundle-0123456789ab": None}}}
ok = [x["m"] for x in r] == ["GET", "PATCH"] and all(x["path"] == "/api/v1/nodes/n1" and x["auth"] == "Bearer eyJhbGciOi.TOKEN-secret_42" for x in r) \
    and r[1]["ctype"] == "application/merge-patch+json" and r[1]["body"] == want
print("ok" if ok else "bad: %s" % r)
PY
)
[ $rc = 0 ] && [ "$api" = ok ] && [ "$(st "$KR/confine-agent/status.json" "d['label_publish']['state']")" = published ] &&
  pass "--node: GET, then a merge PATCH of node n1 setting confine.dev/bundle-$B1 and removing the old bundle label (bearer token, TLS verified against ca.crt)" ||
  fail "label publish: rc=$rc $out; api: $api; $(st "$KR/confine-agent/status.json" "d.get('label_publish')")"
[ -s "$T/curl.argv" ] && ! grep -q "TOKEN-secret" "$T/curl.argv" && pass "the token is never on curl's command line" ||
  fail "curl argv: $(cat "$T/curl.argv")"
n=$(wc -l <"$T/api.log")
PATH="$T/bin:$PATH" agent --profiles "$CM" --kubelet-root "$KR" --once --node n1 --api-server "$API" --api-credentials "$CRED" >/dev/null 2>&1
[ "$(sed -n "$((n + 1)),\$p" "$T/api.log" | python3 -c "import json,sys; print([json.loads(l)['m'] for l in sys.stdin])")" = "['GET']" ] &&
  pass "labels already set: GET only, no PATCH" || fail "second pass: $(tail -2 "$T/api.log")"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k2.pem" -out "$T/other-ca.crt" -subj /CN=other -days 2 >/dev/null 2>&1
mkdir -p "$T/sa2" && cp "$CRED/token" "$T/sa2/" && cp "$T/other-ca.crt" "$T/sa2/ca.crt"
out=$(agent --profiles "$CM" --kubelet-root "$KR" --once --node n1 --api-server "$API" --api-credentials "$T/sa2" 2>&1); rc=$?
d=$(st "$KR/confine-agent/status.json" "d['label_publish']")
[ $rc = 0 ] && [[ "$d" == *"'state': 'failed'"* ]] && [ "$(wc -l <"$T/api.log")" = $((n + 1)) ] &&
  pass "an API server whose certificate ca.crt does not sign: no request completes, reported in the status, still ready" ||
  fail "wrong CA: rc=$rc $d"
kill $APIPID 2>/dev/null; wait $APIPID 2>/dev/null

# --- runc runs a container with the installed file; an update keeps it while in use ---
touch "$ROOT/data/stop"
prun() {
  timeout 120 podman --runtime runc run --rm --network none --ulimit nofile=20000:20000 \
    --ulimit nproc=32768:32768 --security-opt "seccomp=$1" --rootfs "$ROOT" /bin/sh -c "$2" 2>&1
}
out=$(prun "$ID/$WEB1" 'ln -s /data/in.txt /tmp/l && echo LINKED'); rc=$?
echo "$out" | grep -q "Operation not permitted" && ! echo "$out" | grep -q LINKED &&
  pass "runc enforces the installed $WEB1 (ln -s never recorded: denied)" || fail "ln -s under $WEB1: rc=$rc $out"
rm -f "$ROOT/data/stop"
CTR=$(timeout 60 podman --runtime runc run -d --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
  --security-opt "seccomp=$ID/$WEB1" --rootfs "$ROOT" /bin/sh -c "${WORK//DATA//data}" 2>"$T/pod.err") ||
  { echo "FAIL: podman run -d: $(cat "$T/pod.err")"; exit 1; }
for _ in $(seq 50); do [ "$(podman inspect -f '{{.State.Running}}' "$CTR" 2>/dev/null)" = true ] && break; sleep 0.2; done
mkdir -p "$T/web2" && cp "$T/web"/{apparmor.profile,behavior.json} "$T/web2/"
python3 - "$T/web/seccomp.json" "$T/web2/seccomp.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["syscalls"].append({"names": ["symlinkat", "symlink"], "action": "SCMP_ACT_ALLOW"})
open(sys.argv[2], "w").write(json.dumps(d, indent=2) + "\n")
PY
out=$("$CONFINE" k8s bundle web="$T/web2" "$T/cat" -o "$T/d1" 2>&1); rc=$?
B2=$(echo "$out" | sed -n 's/^bundle \([0-9a-f]\{12\}\): .*/\1/p')
[ $rc = 0 ] && [ -n "$B2" ] && [ "$B2" != "$B1" ] && pass "re-bundle with web changed: bundle $B1 -> $B2" || fail "re-bundle: rc=$rc $out"
render "$T/d1" "$T/r2" >/dev/null || exit 1
for p in "$T"/r2/part-*; do $KB kubelet-write "$CM/${p##*-}" "$p"; done
out=$(agent --profiles "$CM" --kubelet-root "$KR" --once 2>&1); rc=$?
WEB2=$(st "$KR/confine-agent/status.json" "[p['seccomp']['file'] for p in d['profiles'] if p['name']=='web'][0]")
[ $rc = 0 ] && [ "$WEB2" != "$WEB1" ] && [ -f "$ID/$WEB2" ] && [ -f "$ID/$WEB1" ] &&
  [ "$(st "$KR/confine-agent/status.json" "[s['state'] for s in d['stale'] if s['file']=='$WEB1'][0]")" = in-use ] &&
  pass "agent update: $WEB2 installed, the old $WEB1 kept (the running container uses it)" ||
  fail "update: rc=$rc $out; $(ls "$ID"); $(st "$KR/confine-agent/status.json" "d['stale']")"
touch "$ROOT/data/stop"
timeout 60 podman wait "$CTR" >/dev/null 2>&1
podman rm -f "$CTR" >/dev/null 2>&1 && CTR=""
out=$(agent --profiles "$CM" --kubelet-root "$KR" --once --grace 0 2>&1); rc=$?
[ $rc = 0 ] && [ ! -e "$ID/$WEB1" ] && [ -f "$ID/$WEB2" ] && pass "container gone: $WEB1 removed" ||
  fail "after the container: rc=$rc; $(ls "$ID")"

# --- complain mode; bad input ---
out=$("$CONFINE" k8s bundle "$T/cat:complain" -o "$T/dc" 2>&1); rc=$?
render "$T/dc" "$T/rc" >/dev/null &&
  [ $rc = 0 ] && [ "$(st "$T/rc/part-1/bundle.json" "d['profiles'][0]['mode']")" = complain ] &&
  grep -q SCMP_ACT_LOG "$T"/rc/part-1/cat-*.json && grep -q "flags=(complain)" "$T"/rc/part-1/cat-*.apparmor &&
  $KB kubelet-write "$T/cmc" "$T/rc/part-1" && agent --profiles "$T/cmc" --kubelet-root "$T/kc" --once >/dev/null 2>&1 &&
  pass "DIR:complain: SCMP_ACT_LOG, flags=(complain), the agent accepts it" || fail "complain: rc=$rc $out"
out=$("$CONFINE" k8s bundle "$T/web" x="$T/web" web="$T/cat" -o "$T/dx" 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *'"web" is given twice'* ]] && [ ! -e "$T/dx" ] && pass "duplicate names refused, nothing written" ||
  fail "duplicates: rc=$rc $out"
mkdir -p "$T/Bad_Name" && cp "$T/cat/seccomp.json" "$T/Bad_Name/"
out=$("$CONFINE" k8s bundle "$T/Bad_Name" -o "$T/dx" 2>&1); rc=$?
[ $rc = 2 ] && [[ "$out" == *"NAME=DIR"* ]] && pass "an invalid directory name is refused, not mangled" || fail "invalid name: rc=$rc $out"
mkdir -p "$T/arch" && python3 -c "
import json; d = json.load(open('$T/cat/seccomp.json')); d.pop('architectures', None); d['archMap'] = [{'architecture': 'SCMP_ARCH_X86_64', 'subArchitectures': ['SCMP_ARCH_X86']}]
open('$T/arch/seccomp.json', 'w').write(json.dumps(d))"
out=$("$CONFINE" k8s bundle "$T/arch" -o "$T/dx" 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"archMap (Docker-only) cannot convert"* ]] && pass "a Docker-only archMap fails closed: $(echo "$out" | head -c 160)" || fail "archMap: rc=$rc $out"
mkdir -p "$T/host" && "$CONFINE" record --format none -o "$T/host" -- "$BB" true >/dev/null 2>&1 </dev/null
out=$("$CONFINE" k8s bundle "$T/host" -o "$T/dh" 2>&1 >/dev/null); rc=$?
[ $rc = 0 ] && [[ "$out" == *"runtime's own post-filter syscalls"* ]] && ! grep -q SECCOMP_FILTER_FLAG_LOG "$T"/dh/configmap-1.yaml &&
  pass "a host-target recording: the runtime's syscalls added and the LOG flag dropped, each printed" || fail "host target: rc=$rc $out"

# --- split: a bundle larger than one ConfigMap; odd characters survive YAML ---
python3 - "$T/cat" "$T/many" <<'PY'
import json, os, shutil, sys
src, out = sys.argv[1], sys.argv[2]
for i in range(40):
    d = os.path.join(out, "p%02d" % i)
    os.makedirs(d)
    shutil.copy(os.path.join(src, "seccomp.json"), d)
    shutil.copy(os.path.join(src, "apparmor.profile"), d)
    b = json.load(open(os.path.join(src, "behavior.json")))
    b["padding"] = ["<%d & \u2028 \u0085 \"q\" \\ \t \u00e9 \U0001f600 %s>" % (i, "x" * 200)] * 100
    # raw tabs and CRs between JSON tokens too (a literal block cannot hold them)
    open(os.path.join(d, "behavior.json"), "w").write(json.dumps(b, ensure_ascii=False, separators=(",\t\r\n ", ": ")))
PY
out=$("$CONFINE" k8s bundle "$T"/many/p* -o "$T/dm" 2>&1); rc=$?
n=$(ls "$T"/dm/configmap-*.yaml 2>/dev/null | wc -l)
[ $rc = 0 ] && [ "$n" -ge 2 ] && pass "40 profiles of ~30 KiB: $n ConfigMap parts" || fail "split: rc=$rc n=$n $out"
"$CONFINE" k8s bundle "$T/many/p00" -o "$T/dm2" >/dev/null 2>&1 && cp "$T"/dm/configmap-*.yaml "$T/dm2/" &&
  "$CONFINE" k8s bundle "$T/many/p00" -o "$T/dm2" >/dev/null 2>&1 && [ "$(ls "$T"/dm2/configmap-*.yaml)" = "$T/dm2/configmap-1.yaml" ] &&
  pass "re-bundled smaller into the same directory: the parts it no longer has are removed" || fail "stale parts: $(ls "$T/dm2")"
render "$T/dm" "$T/rm" >"$T/rm.sizes" || exit 1
big=$(awk '$2 >= 262144' "$T/rm.sizes")
[ -z "$big" ] && [ "$(wc -l <"$T/rm.sizes")" = "$n" ] &&
  pass "every part under kubectl apply's 256 KiB annotation as JSON: $(awk '{print $2}' "$T/rm.sizes" | sort -n | tail -1) bytes the largest" ||
  fail "part sizes: $(cat "$T/rm.sizes")"
if [ "$NPM_OK" = 1 ]; then
  v=$(validate "$T/rm/objects.json") && pass "the split bundle's objects validate too" || fail "split schema: $v"
else npm_skip split-schema; fi
for p in "$T"/rm/part-*; do $KB kubelet-write "$T/cmm/${p##*-}" "$p"; done
out=$(agent --profiles "$T/cmm" --kubelet-root "$T/km" --once 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "ready: 40 of 40 profiles installed" ] &&
  pass "the agent installs every part: $out (the odd characters round-tripped: each sha256 checked)" ||
  fail "split agent: rc=$rc $out"

# --- make image: the tarball loads into podman and runs ---
IMG=localhost/confine-agent-test:$$
if out=$(bash "$SRC/tools/k8s-image.sh" "$CONFINE" "$T/image.tar" "$IMG" 2>&1); then
  podman rmi -f "$IMG" >/dev/null 2>&1
  podman load -i "$T/image.tar" >"$T/load.out" 2>&1 || fail "podman load: $(cat "$T/load.out")"
  irun() { timeout 120 podman --runtime runc run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 "$@" 2>&1; }
  v=$(irun "$IMG" --version); rc=$?
  [ $rc = 0 ] && [ "$v" = "$("$CONFINE" --version)" ] && pass "image: podman load + run: $v" || fail "image --version: rc=$rc $v"
  h=$(irun "$IMG" k8s status --help); rc=$?
  [ $rc = 0 ] && [[ "$h" == *"usage: confine k8s status"* ]] && pass "image: confine k8s status --help runs" || fail "image status --help: rc=$rc $h"
  AAF=$(ls "$T"/r1/part-1/web-*.apparmor)
  a=$(irun -v "$AAF:/p.apparmor:ro" --entrypoint /usr/sbin/apparmor_parser "$IMG" -Q -K -N /p.apparmor); rc=$?
  # -N prints the profile name on stdout; its "Cache read/write disabled" warning (no AppArmor here) goes
  # to stderr, and podman merges the two streams in either order: look for the name's line.
  want="confine-$(basename "$AAF" .apparmor)"
  [ $rc = 0 ] && grep -qxF -- "$want" <<<"$a" &&
    pass "image: its apparmor_parser compiles the bundle's $(basename "$AAF") (-Q -K -N: $want)" || fail "image apparmor_parser: rc=$rc $a"
  c=$(irun --entrypoint /usr/bin/curl "$IMG" --version); rc=$?
  [ $rc = 0 ] && pass "image: curl runs ($(echo "$c" | head -1 | cut -d' ' -f1-2))" || fail "image curl: rc=$rc $c"
  echo "NOTE: image $(du -h "$T/image.tar" | cut -f1) ($(echo "$out" | tail -1))"
else
  fail "tools/k8s-image.sh: $out"
fi

echo "k8s_bundle: $fails failure(s)"
[ $fails = 0 ]
