#!/bin/bash
# `confine k8s agent` against a ConfigMap volume laid out exactly as the kubelet's
# AtomicWriter lays it out (tests/integration/lib/k8s_bundle.py), with two profiles
# recorded from real programs: installs them, readiness false until every part and
# profile is there, a real OCI runtime (podman + runc, local busybox rootfs as in
# oci_runc.sh) loads the installed file and enforces it, an update that changes one
# profile installs the new file and keeps the old one while the container uses it,
# removes it after; kill -9 at every step and at random moments never leaves a partial
# file under a profile's name; a bundle with hostile entries installs the others and
# reports each; AppArmor: the name check agrees with apparmor_parser, loading is
# reported unsupported on a host without the LSM.
# usage: bash k8s_agent.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
SRC=$(readlink -f "${2:?source dir}")
KB="python3 $SRC/tests/integration/lib/k8s_bundle.py"
T=$(mktemp -d /var/tmp/confine-k8s.XXXXXX)
CTR=""
cleanup() {
  [ -n "$CTR" ] && { touch "$T/rootfs/data/stop" 2>/dev/null; podman rm -f "$CTR" >/dev/null 2>&1; }
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for c in podman runc busybox python3 apparmor_parser; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make test installs podman runc busybox-static python3 apparmor)"; exit 1; }
done
BB=$(command -v busybox)
ldd "$BB" 2>&1 | grep -q "not a dynamic" || { echo "FAIL: $BB is not static (busybox-static expected)"; exit 1; }
agent() { "$CONFINE" k8s agent --runtime-state /run/runc "$@"; }
st() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }
# Every visible file in the install dir is complete: its content is what some manifest lists under that name.
check_complete() {  # check_complete INSTALL_DIR DATA_DIR... -> prints bad files
  python3 - "$@" <<'PY'
import hashlib, json, os, sys
idir, datas = sys.argv[1], sys.argv[2:]
want = {}
for d in datas:
    for p in json.load(open(os.path.join(d, "bundle.json")))["profiles"]:
        if "seccomp" in p: want[p["seccomp"]["file"]] = p["seccomp"]["sha256"]
for n in (os.listdir(idir) if os.path.isdir(idir) else []):
    if n.startswith("."):
        continue
    h = hashlib.sha256(open(os.path.join(idir, n), "rb").read()).hexdigest()
    if want.get(n) != h:
        print(n)
PY
}

# --- two profiles recorded from real programs (the container's workload and another) ---
ROOT=$T/rootfs
mkdir -p "$ROOT"/{bin,proc,sys,dev,etc,tmp,data}
cp "$BB" "$ROOT/bin/busybox"
for a in sh echo cat ls ln sort wc head sleep true; do ln -s busybox "$ROOT/bin/$a"; done
echo "root:x:0:0:root:/:/bin/sh" >"$ROOT/etc/passwd"
printf 'b\na\nc\n' >"$ROOT/data/in.txt"
HD=$T/hostdata && mkdir -p "$HD" && cp "$ROOT/data/in.txt" "$HD/"
# The workload waits for /data/stop (it exists when recorded: the loop's test and sleep run once).
WORK='cat DATA/in.txt | sort | head -1; ls DATA >/dev/null; while [ ! -e DATA/stop ]; do sleep 0.2; done; echo done'
touch "$HD/stop"
"$CONFINE" record --format none --target oci -o "$T/rec-web" -- "$BB" sh -c "${WORK//DATA/$HD}; sleep 0.2" \
  >/dev/null 2>"$T/rec.err" </dev/null || { echo "FAIL: record web: $(cat "$T/rec.err")"; exit 1; }
"$CONFINE" record --format none --target oci -o "$T/rec-cat" -- "$BB" cat /etc/hostname \
  >/dev/null 2>"$T/rec.err" </dev/null || { echo "FAIL: record cat: $(cat "$T/rec.err")"; exit 1; }
[ -s "$T/rec-web/apparmor.profile" ] && [ -s "$T/rec-cat/seccomp.json" ] && pass "two profiles recorded" ||
  { echo "FAIL: record wrote no profiles"; exit 1; }

KR=$T/kubelet
ID=$KR/seccomp/confine
CM=$T/volumes
# --- v1 in two parts (two ConfigMaps = two mounts), readiness false until both are there ---
B1=$($KB build "$T/v1" --parts 2 web="$T/rec-web" cat="$T/rec-cat") || { echo "FAIL: build v1"; exit 1; }
$KB kubelet-write "$CM/1" "$T/v1/part-1"
"$CONFINE" k8s status --kubelet-root "$KR" --ready >/dev/null 2>&1 && fail "ready before the agent ran" ||
  pass "status --ready is false before the agent ran"
out=$(agent --profiles "$CM" --kubelet-root "$KR" --once 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "1 of 2 parts mounted" && ! "$CONFINE" k8s status --kubelet-root "$KR" --ready >/dev/null &&
  pass "one of two parts mounted: not ready ($out)" || fail "one part: rc=$rc $out"
[ "$(st "$KR/confine-agent/status.json" "d['labels'].get('confine.dev/bundle-$B1')")" = None ] &&
  pass "no bundle label while not ready" || fail "bundle label set while not ready"
$KB kubelet-write "$CM/2" "$T/v1/part-2"
out=$(agent --profiles "$CM" --kubelet-root "$KR" --once 2>&1); rc=$?
[ $rc = 0 ] && [ "$out" = "ready: 2 of 2 profiles installed" ] && "$CONFINE" k8s status --kubelet-root "$KR" --ready >/dev/null &&
  pass "both parts: ready, 2 of 2 installed" || fail "two parts: rc=$rc $out"
WEB1=$(ls "$ID" | grep '^web-') && CAT1=$(ls "$ID" | grep '^cat-')
[ "$(st "$KR/confine-agent/status.json" "d['labels']")" = "{'confine.dev/bundle-$B1': 'installed', 'confine.dev/apparmor': 'unsupported'}" ] &&
  pass "labels: bundle-$B1 installed, apparmor unsupported" || fail "labels: $(st "$KR/confine-agent/status.json" "d['labels']")"
cmp -s "$ID/$CAT1" "$T/rec-cat/seccomp.json" && [ "$(stat -c %a "$ID/$CAT1")" = 644 ] &&
  pass "installed $CAT1 is the recorded profile, mode 644" || fail "$CAT1 differs from the recording"
# The readiness probe checks the disk, not only the status file.
mv "$ID/$CAT1" "$T/moved"
"$CONFINE" k8s status --kubelet-root "$KR" --ready >/dev/null && fail "ready with $CAT1 deleted" ||
  pass "status --ready is false when an installed file disappears"
mv "$T/moved" "$ID/$CAT1"

# --- a real OCI runtime loads the installed file and enforces it ---
prun() {  # prun PROFILE CMD
  timeout 120 podman --runtime runc run --rm --network none --ulimit nofile=20000:20000 \
    --ulimit nproc=32768:32768 --security-opt "seccomp=$1" --rootfs "$ROOT" /bin/sh -c "$2" 2>&1
}
touch "$ROOT/data/stop"
out=$(prun "$ID/$WEB1" "${WORK//DATA//data}"); rc=$?
[ $rc = 0 ] && [ "$out" = "$(printf 'a\ndone')" ] && pass "runc runs the workload under the installed $WEB1" ||
  fail "runc under $WEB1: rc=$rc $out"
out=$(prun "$ID/$WEB1" 'ln -s /data/in.txt /tmp/l && echo LINKED'); rc=$?
echo "$out" | grep -q "Operation not permitted" && ! echo "$out" | grep -q LINKED &&
  pass "and enforces it: ln -s (never recorded) is denied" || fail "ln -s under $WEB1: rc=$rc $out"
rm -f "$ROOT/data/stop"
CTR=$(timeout 60 podman --runtime runc run -d --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
  --security-opt "seccomp=$ID/$WEB1" --rootfs "$ROOT" /bin/sh -c "${WORK//DATA//data}" 2>"$T/pod.err") ||
  { echo "FAIL: podman run -d: $(cat "$T/pod.err")"; exit 1; }
for _ in $(seq 50); do [ "$(podman inspect -f '{{.State.Running}}' "$CTR" 2>/dev/null)" = true ] && break; sleep 0.2; done

# --- update: web changes (new hash), cat stays ---
python3 - "$T/rec-web/seccomp.json" "$T/web2.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["syscalls"].append({"names": ["symlinkat", "symlink"], "action": "SCMP_ACT_ALLOW"})
open(sys.argv[2], "w").write(json.dumps(d, indent=2) + "\n")
PY
mkdir -p "$T/rec-web2" && cp "$T/rec-web"/{apparmor.profile,behavior.json} "$T/rec-web2/" && cp "$T/web2.json" "$T/rec-web2/seccomp.json"
B2=$($KB build "$T/v2" --parts 2 web="$T/rec-web2" cat="$T/rec-cat")
$KB kubelet-write "$CM/1" "$T/v2/part-1"
$KB kubelet-write "$CM/2" "$T/v2/part-2"
out=$(agent --profiles "$CM" --kubelet-root "$KR" --once 2>&1); rc=$?
WEB2=$(st "$KR/confine-agent/status.json" "[p['seccomp']['file'] for p in d['profiles'] if p['name']=='web'][0]")
[ $rc = 0 ] && [ "$WEB2" != "$WEB1" ] && [ -f "$ID/$WEB2" ] && [ -f "$ID/$CAT1" ] && [ "$B2" != "$B1" ] &&
  pass "update: $WEB2 installed, $CAT1 unchanged, bundle $B1 -> $B2" || fail "update: rc=$rc $out; $(ls "$ID")"
[ -f "$ID/$WEB1" ] && [ "$(st "$KR/confine-agent/status.json" "[s['state'] for s in d['stale'] if s['file']=='$WEB1'][0]")" = in-use ] &&
  pass "the old $WEB1 is kept: the running container uses it" || fail "old profile: $(ls "$ID"); $(st "$KR/confine-agent/status.json" "d['stale']")"
"$CONFINE" k8s status --kubelet-root "$KR" | grep "$WEB1" | grep -q "stale  in use by 1 container" &&
  pass "k8s status: $WEB1 stale, in use by the container" || fail "k8s status: $("$CONFINE" k8s status --kubelet-root "$KR")"
[ "$(st "$KR/confine-agent/status.json" "sorted(d['labels'])")" = "['confine.dev/apparmor', 'confine.dev/bundle-$B2']" ] &&
  pass "label now names bundle $B2" || fail "labels after update"
touch "$ROOT/data/stop"
timeout 60 podman wait "$CTR" >/dev/null 2>&1
podman rm -f "$CTR" >/dev/null 2>&1 && CTR=""
agent --profiles "$CM" --kubelet-root "$KR" --once >/dev/null 2>&1
[ -f "$ID/$WEB1" ] && st "$KR/confine-agent/status.json" "[s['reason'] for s in d['stale'] if s['file']=='$WEB1'][0]" | grep -q -- "--grace" &&
  pass "unused now, $WEB1 is kept for the grace period (default 300 s)" || fail "grace: $(st "$KR/confine-agent/status.json" "d['stale']")"
out=$(agent --profiles "$CM" --kubelet-root "$KR" --once --grace 0 2>&1); rc=$?
[ $rc = 0 ] && [ ! -e "$ID/$WEB1" ] && [ -f "$ID/$WEB2" ] &&
  [ "$(st "$KR/confine-agent/status.json" "[s['state'] for s in d['stale'] if s['file']=='$WEB1'][0]")" = removed ] &&
  pass "the container gone and --grace 0, $WEB1 is removed" || fail "after the container: rc=$rc; $(ls "$ID")"
# In doubt (no runtime state at all), a file the bundle dropped is kept.
cp "$ID/$WEB2" "$ID/old-0123456789ab.json"
"$CONFINE" k8s agent --profiles "$CM" --kubelet-root "$KR" --once --runtime-state "$T/none" >/dev/null 2>&1
[ -f "$ID/old-0123456789ab.json" ] && st "$KR/confine-agent/status.json" "[s['reason'] for s in d['stale']][0]" | grep -q "no container runtime state found" &&
  pass "no runtime state to judge by: the dropped file is kept, with the reason" || fail "doubt: $(st "$KR/confine-agent/status.json" "d['stale']")"
rm -f "$ID/old-0123456789ab.json"

# --- watching: the kubelet's swap of ..data is seen (inotify) and applied; TERM ends it ---
KRW=$T/kubelet-w
"$CONFINE" k8s agent --profiles "$CM" --kubelet-root "$KRW" --runtime-state /run/runc --interval 600 >/dev/null 2>"$T/watch.err" &
WP=$!
for _ in $(seq 100); do [ -f "$KRW/confine-agent/status.json" ] && break; sleep 0.2; done
$KB kubelet-write "$CM/1" "$T/v1/part-1"
$KB kubelet-write "$CM/2" "$T/v1/part-2"
ok=""
for _ in $(seq 150); do
  [ "$(st "$KRW/confine-agent/status.json" "d['bundle']['hash'], d['ready']" 2>/dev/null)" = "('$B1', True)" ] && { ok=1; break; }
  sleep 0.2
done
[ -n "$ok" ] && [ -f "$KRW/seccomp/confine/$WEB1" ] && pass "watching: the update to bundle $B1 is applied without a rescan (--interval 600)" ||
  fail "watch: $(cat "$KRW/confine-agent/status.json" 2>&1 | head -c 600)"
grep VmRSS /proc/$WP/status | sed 's/^/NOTE: idle agent /'
kill -TERM $WP; wait $WP; rc=$?
[ $rc = 0 ] && pass "SIGTERM ends the watching agent with status 0" || fail "watch exit: rc=$rc $(cat "$T/watch.err")"
$KB kubelet-write "$CM/1" "$T/v2/part-1"
$KB kubelet-write "$CM/2" "$T/v2/part-2"

# --- kill -9 before every change to the file system, then at random moments of a 500-profile install ---
KR2=$T/kubelet2
steps=0 bad=""
for n in $(seq 1 12); do
  rm -rf "$KR2"
  CONFINE_K8S_AGENT_STOP_AT=$n agent --profiles "$CM" --kubelet-root "$KR2" --once >/dev/null 2>&1; rc=$?
  b=$(check_complete "$KR2/seccomp/confine" "$T/v2/part-1" "$T/v2/part-2")
  [ -n "$b" ] && bad="$bad step$n:$b"
  [ $rc = 137 ] && steps=$n || break
done
[ -z "$bad" ] && [ $steps -ge 3 ] && pass "kill -9 before each of $steps steps: no partial file under a profile name" ||
  fail "kill at steps: $bad (steps=$steps)"
mkdir -p "$T/many"
python3 - "$T/rec-cat/seccomp.json" "$T/many" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for i in range(500):
    d["defaultErrnoRet"] = i + 1
    d["syscalls"][0].setdefault("comment", "")
    d["syscalls"][0]["comment"] = "x" * 20000  # larger files: a longer window to be killed in
    open("%s/p%03d.json" % (sys.argv[2], i), "w").write(json.dumps(d) + "\n")
PY
$KB build "$T/big" $(for i in $(seq -f %03g 0 499); do echo "p$i=$T/many/p$i.json"; done) >/dev/null
$KB kubelet-write "$T/bigcm" "$T/big/part-1"
KR3=$T/kubelet3
bad="" partial_runs=0
for i in $(seq 1 8); do
  "$CONFINE" k8s agent --profiles "$T/bigcm" --kubelet-root "$KR3" --once >/dev/null 2>&1 &
  p=$!
  sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
  kill -9 $p 2>/dev/null
  wait $p 2>/dev/null
  b=$(check_complete "$KR3/seccomp/confine" "$T/big/part-1")
  [ -n "$b" ] && bad="$bad run$i:$(echo $b | head -c 200)"
  n=$(ls "$KR3/seccomp/confine" 2>/dev/null | wc -l)
  [ "$n" -gt 0 ] && [ "$n" -lt 500 ] && partial_runs=$((partial_runs + 1))
  rm -rf "$KR3"
done
[ -z "$bad" ] && pass "kill -9 at 8 random moments (0-0.5 s) of a 500-profile install: every visible file complete ($partial_runs runs stopped mid-install)" ||
  fail "random kills: $bad"
out=$(agent --profiles "$T/bigcm" --kubelet-root "$KR3" --once 2>&1); rc=$?
[ $rc = 0 ] && [ "$(ls "$KR3/seccomp/confine" | wc -l)" = 500 ] && [ -z "$(ls -A "$KR3/seccomp/confine" | grep '^\.')" ] &&
  pass "500 profiles: $out" || fail "500 profiles: rc=$rc $out"

# --- hostile entries: never installed, reported; the others install ---
H=$T/hostile && mkdir -p "$H"
printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [' >"$H/badjson.json"
sed 's/"read"/"notasyscall"/' "$T/rec-cat/seccomp.json" >"$H/unknown.json"
grep -q notasyscall "$H/unknown.json" || fail "could not make the unknown-syscall profile"
mkdir -p "$H/wrongaa" && cp "$T/rec-cat"/{seccomp.json,behavior.json} "$H/wrongaa/" &&
  { cat "$T/rec-cat/apparmor.profile"; printf '\nprofile other-name {\n  /tmp/** r,\n}\n'; } >"$H/wrongaa/apparmor.profile"
for n in symlink big tampered; do cp -r "$T/rec-cat" "$H/$n"; done
echo '{"k": 1}' >"$H/big/behavior.json" && echo '{"k": 2}' >"$H/symlink/behavior.json"
$KB build "$T/hv" good="$T/rec-cat" badjson="$H/badjson.json" unknown="$H/unknown.json" wrongaa="$H/wrongaa" \
  symlink="$H/symlink" big="$H/big" tampered="$H/tampered" \
  --extra-entry "{\"name\": \"../evil\", \"hash\": \"0123456789ab\", \"mode\": \"enforce\", \"seccomp\": {\"file\": \"../evil-0123456789ab.json\", \"sha256\": \"$(printf 'a%.0s' $(seq 64))\"}}" \
  --extra-entry "{\"name\": \"a/b\", \"hash\": \"0123456789ab\", \"mode\": \"enforce\", \"seccomp\": {\"file\": \"a/b-0123456789ab.json\", \"sha256\": \"$(printf 'a%.0s' $(seq 64))\"}}" >/dev/null
D=$T/hv/part-1
f=$(ls "$D" | grep '^symlink-.*behavior.json') && rm "$D/$f" && ln -s /etc/passwd "$D/$f"
f=$(ls "$D" | grep '^big-.*behavior.json') && truncate -s 100M "$D/$f"
f=$(ls "$D" | grep '^tampered-.*\.json$' | grep -v behavior) && sed -i 's/SCMP_ACT_ALLOW/SCMP_ACT_ALLOW /' "$D/$f"
$KB kubelet-write "$T/hcm" "$D"
KR4=$T/kubelet4
out=$(agent --profiles "$T/hcm" --kubelet-root "$KR4" --once 2>"$T/hostile.err"); rc=$?
S=$KR4/confine-agent/status.json
[ $rc = 1 ] && ! "$CONFINE" k8s status --kubelet-root "$KR4" --ready >/dev/null && echo "$out" | grep -q "not ready: 1 of 9" &&
  pass "hostile bundle: not ready, 1 of 9 installed ($out)" || fail "hostile: rc=$rc $out"
[ "$(ls "$KR4/seccomp/confine")" = "$(st "$S" "[p['seccomp']['file'] for p in d['profiles'] if p['name']=='good'][0]")" ] &&
  pass "only the good profile is installed" || fail "installed: $(ls "$KR4/seccomp/confine")"
err() { st "$S" "[p.get('error','') for p in d['profiles'] if p['name']=='$1'][0]"; }
for pair in "badjson:expected" "unknown:unknown syscall \"notasyscall\"" "wrongaa:defines profile \"other-name\"" \
  "symlink:a symbolic link (to \"/etc/passwd\")" "big:104857600 bytes, more than a ConfigMap can hold" \
  "tampered:is not the manifest's" "../evil:not a profile name" "a/b:not a profile name"; do
  n=${pair%%:*} want=${pair#*:}
  e=$(err "$n")
  [[ "$e" == *"$want"* ]] && pass "hostile $n reported: $e" || fail "hostile $n: error '$e' lacks '$want'"
done
grep -q "badjson" "$T/hostile.err" && pass "the errors are on stderr too" || fail "stderr: $(cat "$T/hostile.err")"

# --- AppArmor: our name check agrees with apparmor_parser; loading is unsupported without the LSM ---
GOODAA=$(ls "$D" | grep '^good-.*apparmor$') WRONGAA=$(ls "$D" | grep '^wrongaa-.*apparmor$')
[ "$(apparmor_parser -Q -K -N "$D/$GOODAA" 2>/dev/null)" = "confine-${GOODAA%.apparmor}" ] &&
  pass "apparmor_parser -Q -K: $GOODAA defines exactly confine-${GOODAA%.apparmor} (the agent accepted it)" ||
  fail "apparmor_parser -N $GOODAA: $(apparmor_parser -Q -K -N "$D/$GOODAA" 2>&1)"
apparmor_parser -Q -K -N "$D/$WRONGAA" 2>/dev/null | grep -qx other-name &&
  pass "apparmor_parser -Q -K: $WRONGAA also defines other-name (the agent refused it)" ||
  fail "apparmor_parser -N $WRONGAA: $(apparmor_parser -Q -K -N "$D/$WRONGAA" 2>&1)"
agent --profiles "$CM" --kubelet-root "$KR" --once --apparmor >/dev/null 2>&1
aa=$(st "$KR/confine-agent/status.json" "(d['apparmor']['host'], sorted({p['apparmor']['state'] for p in d['profiles']}), d['labels']['confine.dev/apparmor'])")
if [ -e /sys/kernel/security/apparmor/profiles ] || grep -qs Y /sys/module/apparmor/parameters/enabled; then
  echo "NOTE: this host has AppArmor; loading is tested in the VM harness, not here ($aa)"
else
  [ "$aa" = "('absent', ['unsupported'], 'unsupported')" ] &&
    pass "--apparmor on a host without the LSM: each profile unsupported, node label unsupported" || fail "apparmor: $aa"
fi

echo "k8s_agent: $fails failure(s)"
[ $fails = 0 ]
