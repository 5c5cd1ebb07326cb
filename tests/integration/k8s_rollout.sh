#!/bin/bash
# Rollout (issue 13): a bundle ships a recorded profile in complain mode (seccomp SCMP_ACT_LOG, AppArmor
# flags=(complain)); `confine k8s agent` installs it; a real runc container (podman + runc, local busybox rootfs as
# in k8s_agent.sh) runs under the installed file and makes a syscall the recording never saw (umask); the agent
# collects that would-be denial from /dev/kmsg into STATE/complain/NAME-H.log, attributed through the record's
# pid -> /proc/PID/cgroup -> the container's cgroup (runc state), and `confine logs FILE --to-seccomp` over that
# file gives a profile delta of exactly that syscall. A neighbour process outside the container, with the same
# comm ("sh") under a seccomp filter that logs the same syscall, is not attributed; a container process that
# exited before the collection is counted, not attributed. Reads the kernel log: RUN_SERIAL.
# usage: bash k8s_rollout.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
SRC=$(readlink -f "${2:?source dir}")
KB="python3 $SRC/tests/integration/lib/k8s_bundle.py"
T=$(mktemp -d /var/tmp/confine-rollout.XXXXXX)
CTR="" NB=""
cleanup() {
  [ -n "$NB" ] && kill "$NB" 2>/dev/null
  [ -n "$CTR" ] && podman rm -f -t 0 "$CTR" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for c in podman runc busybox python3 dmesg; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make test installs podman runc busybox-static python3)"; exit 1; }
done
BB=$(readlink -f "$(command -v busybox)")
ldd "$BB" 2>&1 | grep -q "not a dynamic" || { echo "FAIL: $BB is not static (busybox-static expected)"; exit 1; }
[ -r /dev/kmsg ] || { echo "SKIP: /dev/kmsg is not readable here (the agent collects from it)"; exit 77; }
# Seccomp log-action records reach /dev/kmsg only when no audit daemon takes them.
if grep -qx auditd /proc/[0-9]*/comm 2>/dev/null; then echo "SKIP: auditd runs: seccomp records go to audit.log, not /dev/kmsg"; exit 77; fi
grep -qw log /proc/sys/kernel/seccomp/actions_logged || { echo "SKIP: the kernel does not log SCMP_ACT_LOG (actions_logged)"; exit 77; }
st() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }

ROOT=$T/rootfs
mkdir -p "$ROOT"/{bin,proc,sys,dev,etc,tmp,data}
cp "$BB" "$ROOT/bin/busybox"
for a in sh cat sort head sleep; do ln -s busybox "$ROOT/bin/$a"; done
echo "root:x:0:0:root:/:/bin/sh" >"$ROOT/etc/passwd"
printf 'b\na\n' >"$ROOT/data/in.txt"
HD=$T/hostdata && mkdir -p "$HD" && cp "$ROOT/data/in.txt" "$HD/"
# Recorded: a pipe, a subshell and the wait loop, whose body runs a few times (a background subshell creates
# stop after 1 s): under the complain profile the container's loop logs nothing, so the kernel's audit rate
# limit (10 records per 5 s without auditd) is not spent on it. The container adds `umask 077` in the
# long-lived shell (its pid is alive when the agent collects) and `(umask 022)` in a subshell that exits.
WORK='cat DATA/in.txt | sort | head -1; (true); while [ ! -e DATA/stop ]; do sleep 0.2; done; echo done'
"$CONFINE" record --format none --target oci -o "$T/rec" -- "$BB" sh -c "(sleep 1; $BB touch $HD/stop) & ${WORK//DATA/$HD}; wait" \
  >/dev/null 2>"$T/rec.err" </dev/null || { echo "FAIL: record: $(cat "$T/rec.err")"; exit 1; }
python3 - "$T/rec/seccomp.json" <<'PY' || { echo "FAIL: the recorded profile already allows umask"; exit 1; }
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(1 if any("umask" in r.get("names", []) for r in d.get("syscalls", [])) else 0)
PY
pass "profile recorded; it does not allow umask"

KR=$T/kubelet ID=$T/kubelet/seccomp/confine S=$T/kubelet/confine-agent
B=$($KB build "$T/b" web="$T/rec:complain") && $KB kubelet-write "$T/cm" "$T/b/part-1" || { echo "FAIL: bundle"; exit 1; }
WEB=$(st "$T/b/part-1/bundle.json" "d['profiles'][0]['seccomp']['file']")
out=$("$CONFINE" k8s agent --profiles "$T/cm" --kubelet-root "$KR" --runtime-state /run/runc --once 2>&1); rc=$?
[ $rc = 0 ] && [ "$(st "$ID/$WEB" "d['defaultAction']")" = SCMP_ACT_LOG ] &&
  grep -q 'flags=(complain)' "$T/b/part-1/${WEB%.json}.apparmor" &&
  pass "complain-mode bundle $B installed: $WEB (defaultAction SCMP_ACT_LOG; its AppArmor profile flags=(complain))" ||
  fail "install: rc=$rc $out"

# --- the container under the installed complain profile ---
CMD='cat /data/in.txt | sort | head -1; umask 077; (umask 022); (true); while [ ! -e /data/stop ]; do sleep 0.2; done; echo done'
CTR=$(timeout 60 podman --runtime runc run -d --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
  --security-opt "seccomp=$ID/$WEB" --rootfs "$ROOT" /bin/sh -c "$CMD" 2>"$T/pod.err") ||
  { echo "FAIL: podman run -d: $(cat "$T/pod.err")"; CTR=""; exit 1; }
CPID=""
for _ in $(seq 100); do
  CPID=$(podman inspect -f '{{.State.Pid}}' "$CTR" 2>/dev/null)
  [ -n "$CPID" ] && [ "$CPID" != 0 ] && break
  sleep 0.2
done
# umask is syscall 95 on x86_64: wait until the shell's record is in the log.
for _ in $(seq 150); do [ "$(dmesg | grep 'type=1326' | grep " pid=$CPID " | grep -c ' syscall=95 ')" -ge 1 ] && break; sleep 0.2; done
sleep 1
[ "$(dmesg | grep 'type=1326' | grep " pid=$CPID " | grep -c ' syscall=95 ')" -ge 1 ] &&
  pass "the container's shell (host pid $CPID) logged umask (type=1326 syscall=95)" ||
  fail "no umask record of pid $CPID: $(dmesg | grep type=1326 | tail -3)"

# The subshell's record: same syscall, pid not the shell's, exe as in the container.
SUB=$(dmesg | grep 'type=1326' | grep ' syscall=95 ' | grep 'exe="/bin/busybox"' | sed -n "/ pid=$CPID /,\$p" |
  grep -v " pid=$CPID " | sed -n 's/.* pid=\([0-9]*\) .*/\1/p' | tail -1)
[ -n "$SUB" ] && [ ! -e "/proc/$SUB" ] && pass "the container's subshell (pid $SUB, exited) logged umask too" ||
  fail "no umask record of the exited subshell (SUB='$SUB')"
# --- a neighbour: same comm (sh), same syscall, a seccomp filter that logs it, not in the container ---
# (after the kernel's audit rate-limit interval, 5 s, so its records are not suppressed)
sleep 6
mkdir -p "$T/nb" && ln -s "$BB" "$T/nb/sh"
python3 - "$T/nb/sh" <<'PY' &
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
# ld [nr]; jeq 95 ? log : allow
prog = struct.pack("HBBI", 0x20, 0, 0, 0) + struct.pack("HBBI", 0x15, 0, 1, 95) + \
    struct.pack("HBBI", 0x06, 0, 0, 0x7ffc0000) + struct.pack("HBBI", 0x06, 0, 0, 0x7fff0000)
buf = ctypes.create_string_buffer(prog)
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = Fprog(4, ctypes.addressof(buf))
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fp), 0, 0) != 0:
    sys.exit("prctl: %d" % ctypes.get_errno())
os.execv(sys.argv[1], ["sh", "-c", "umask 077; sleep 120"])
PY
NB=$!
for _ in $(seq 150); do [ "$(cat /proc/$NB/comm 2>/dev/null)" = sh ] && dmesg | grep 'type=1326' | grep " pid=$NB " | grep -q ' syscall=95 ' && break; sleep 0.2; done
dmesg | grep 'type=1326' | grep " pid=$NB " | grep ' syscall=95 ' | grep -q 'comm="sh"' &&
  pass "a neighbour (pid $NB, comm sh, not in the container) logged umask too" ||
  fail "neighbour record: $(dmesg | grep " pid=$NB " | tail -2)"

# --- the agent collects ---
out=$("$CONFINE" k8s agent --profiles "$T/cm" --kubelet-root "$KR" --runtime-state /run/runc --once 2>&1); rc=$?
L=$S/complain/${WEB%.json}.log
[ $rc = 0 ] && [ -f "$L" ] && pass "agent: collection file $L" || fail "collect: rc=$rc $out; $(ls -la "$S/complain" 2>&1)"
echo "NOTE: collection: $(st "$S/status.json" "d.get('collect')")"
um=$(grep -c ' syscall=95 ' "$L" 2>/dev/null)
[ "$um" -ge 1 ] && [ "$(grep ' syscall=95 ' "$L" | grep -vc " pid=$CPID ")" = 0 ] &&
  pass "the umask records attributed ($um) are all the container shell's (pid $CPID)" || fail "umask records in $L: $um; $(cat "$L" 2>&1 | head -5)"
[ -n "$SUB" ] && ! grep -q " pid=$SUB " "$L" && pass "the exited subshell's record is not attributed (its pid is gone)" ||
  fail "subshell $SUB: $(grep " pid=$SUB " "$L")"
! grep -q " pid=$NB " "$L" && pass "the neighbour's record (same comm, same syscall) is not attributed" ||
  fail "neighbour attributed: $(grep " pid=$NB " "$L")"
[ "$(st "$S/status.json" "d['collect']['process_exited'] >= 1 and d['collect']['elsewhere'] >= 1")" = True ] &&
  pass "status counts process_exited and elsewhere records" ||
  fail "counts: $(st "$S/status.json" "d['collect']")"
"$CONFINE" logs "$L" --to-seccomp "$ID/$WEB" >"$T/delta.json" 2>"$T/delta.err"; rc=$?
added=$(python3 - "$ID/$WEB" "$T/delta.json" <<'PY'
import json, sys
def allowed(p):
    d = json.load(open(p))
    return {n for r in d.get("syscalls", []) if r.get("action") == "SCMP_ACT_ALLOW" for n in r.get("names", [])}
print(" ".join(sorted(allowed(sys.argv[2]) - allowed(sys.argv[1]))))
PY
)
[ $rc = 0 ] && [ "$added" = umask ] && pass "confine logs FILE --to-seccomp: the profile delta is exactly umask" ||
  fail "to-seccomp: rc=$rc added='$added' $(cat "$T/delta.err")"
# A second pass reads from its cursor: nothing is appended twice.
cp "$L" "$T/before"
"$CONFINE" k8s agent --profiles "$T/cm" --kubelet-root "$KR" --runtime-state /run/runc --once >/dev/null 2>&1
cmp -s "$L" "$T/before" && pass "a second pass appends nothing (kmsg cursor: $(cat "$S/complain/kmsg.cursor" | cut -c1-60))" ||
  fail "second pass changed $L: $(diff "$T/before" "$L" | head -3)"
# --- watching: /dev/kmsg is read as records arrive, so a process that lives a few seconds is attributed ---
S2=$T/state-watch
"$CONFINE" k8s agent --profiles "$T/cm" --kubelet-root "$KR" --state "$S2" --runtime-state /run/runc --interval 600 \
  >/dev/null 2>"$T/watch.err" &
WP=$!
for _ in $(seq 100); do [ -f "$S2/status.json" ] && break; sleep 0.2; done
sleep 6  # the audit rate-limit interval
XP=$(timeout 60 podman exec "$CTR" /bin/sh -c 'echo $$; umask 077; sleep 4' 2>"$T/exec.err" | head -1)
# The exec'd shell's host pid: the umask record of an exe="/bin/busybox" process other than the container's init.
XREC=""
for _ in $(seq 50); do
  XREC=$(grep ' syscall=95 ' "$S2/complain/${WEB%.json}.log" 2>/dev/null | grep -v " pid=$CPID " | tail -1)
  [ -n "$XREC" ] && break
  sleep 0.2
done
kill -TERM $WP; wait $WP
XPID=$(echo "$XREC" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
[ -n "$XPID" ] && [ ! -e "/proc/$XPID" ] &&
  pass "watching: the umask of a 4-second podman exec (pid $XPID in the container, ${XP:-?} inside) is attributed; it has exited since" ||
  fail "watch collection: '$XREC' $(cat "$T/exec.err" "$T/watch.err" | head -3)"
"$CONFINE" k8s agent --profiles "$T/cm" --kubelet-root "$KR" --runtime-state /run/runc --once >/dev/null 2>&1
[ -n "$XPID" ] && ! grep -q " pid=$XPID " "$L" && [ "$(st "$S/status.json" "d['collect']['process_exited'] >= 1")" = True ] &&
  pass "--once after it exited: the same record is counted process_exited, not attributed (what is lost)" ||
  fail "--once after exit: $(st "$S/status.json" "d['collect']")"
echo "k8s_rollout: $fails failure(s)"
[ $fails = 0 ]
