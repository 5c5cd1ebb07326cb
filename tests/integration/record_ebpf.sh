#!/bin/bash
# The ebpf backend (docs/record.md "The ebpf backend"):
#  1. on the same deterministic workload it records the same Behavior as the unotify backend:
#     syscall names, argument values, files with their access, execs, network (counts may differ
#     by the syscalls of the recorder's own set-up: not compared);
#  2. a ring buffer too small for one event loses every event with arguments: the recording
#     says so and is partial (never silent);
#  3. attach to a running workload by --cgroup and by --pid with --duration;
#  4. a runc container recorded by its cgroup, attached before its first exec (cgroupsPath
#     + --start-at-exec 'runc:[2:INIT]'), gives a --target oci profile under which the same
#     container starts under runc and replays with no denial; a near miss is denied.
# Skips (77, with the reason) only when the kernel has no BTF or the caller is not root.
# usage: bash record_ebpf.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
T=$(mktemp -d /var/tmp/confine-ebpf.XXXXXX)
CGS=()
cleanup() {
  for c in "${CGS[@]}"; do
    [ -d "$c" ] || continue
    while read -r p; do echo "$p" >"$(dirname "$c")/cgroup.procs" 2>/dev/null; done <"$c/cgroup.procs"
    rmdir "$c" 2>/dev/null
  done
  [ -n "${BG:-}" ] && kill "$BG" 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

[ -r /sys/kernel/btf/vmlinux ] || { echo "SKIP: the kernel has no BTF (/sys/kernel/btf/vmlinux): no eBPF backend"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: the eBPF backend needs root (CAP_BPF, CAP_PERFMON)"; exit 77; }
CG2=$(awk '$9 == "cgroup2" && $4 == "/" {print $5; exit}' /proc/self/mountinfo)
[ -n "$CG2" ] || { echo "FAIL: no cgroup2 mount (the eBPF backend selects the workload by its cgroup v2)"; exit 1; }
if ! mkdir "$CG2/confine-ebpf-probe-$$" 2>/dev/null; then
  echo "SKIP: cannot create a cgroup under $CG2 (read-only cgroup2 mount here)"
  exit 77
fi
rmdir "$CG2/confine-ebpf-probe-$$"

# --- 1. the same Behavior as unotify
mkdir -p "$T/work"
cat >"$T/work/w.sh" <<'EOF'
cd "$1"
cat /etc/hostname >/dev/null
ls -la . >/dev/null
mkdir -p d/e
echo hi >d/e/f
ln -s f d/e/l
mv d/e/l d/e/l2
cat d/e/./f ../work/d/e/f >/dev/null
rm -r d
python3 -c 'import socket,os; s=socket.socket(socket.AF_UNIX); s.bind("sock"); s.close(); os.unlink("sock"); t=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); t.sendto(b"x", ("127.0.0.1", 9)); t.close()'
EOF
for b in unotify ebpf; do
  "$CONFINE" record --format none --backend $b -o "$T/$b" -- sh "$T/work/w.sh" "$T/work" >"$T/$b.out" 2>"$T/$b.err" </dev/null ||
    fail "record --backend $b: rc=$? $(tail -3 "$T/$b.err")"
done
python3 - "$T/unotify/behavior.json" "$T/ebpf/behavior.json" >"$T/cmp.txt" 2>&1 <<'EOF'
import json, sys
u = json.load(open(sys.argv[1])); e = json.load(open(sys.argv[2]))
diffs = []
for arch in sorted(set(u["arches"]) | set(e["arches"])):
    a, b = u["arches"].get(arch, {}), e["arches"].get(arch, {})
    for n in sorted(set(a) | set(b)):
        if n not in a or n not in b:
            diffs.append(f"{arch} {n}: only in {'unotify' if n in a else 'ebpf'}")
        elif a[n].get("args") != b[n].get("args"):
            diffs.append(f"{arch} {n}: args unotify {a[n].get('args')} ebpf {b[n].get('args')}")
fu = {f["path"]: f["access"] for f in u["files"]}; fe = {f["path"]: f["access"] for f in e["files"]}
for p in sorted(set(fu) | set(fe)):
    if fu.get(p) != fe.get(p):
        diffs.append(f"file {p}: unotify {fu.get(p)} ebpf {fe.get(p)}")
for k in ("execs", "network", "processes", "exit_status", "partial"):
    if u.get(k) != e.get(k):
        diffs.append(f"{k}: unotify {u.get(k)} ebpf {e.get(k)}")
print("\n".join(diffs))
print(f"{len(diffs)} differences; {sum(len(v) for v in e['arches'].values())} syscalls, {len(fe)} files")
sys.exit(1 if diffs else 0)
EOF
[ $? = 0 ] && pass "ebpf and unotify record the same Behavior ($(tail -1 "$T/cmp.txt"))" ||
  fail "ebpf and unotify differ: $(cat "$T/cmp.txt")"
grep -q '"path": "'"$T"'/work/d/e/f"' "$T/ebpf/behavior.json" && grep -q '"127.0.0.1:9"' "$T/ebpf/behavior.json" &&
  pass "relative paths resolve against the cwd; sendto's sockaddr decoded" ||
  fail "missing $T/work/d/e/f or 127.0.0.1:9 in the ebpf recording"

# --- 2. lost events are reported
"$CONFINE" record --format none --backend ebpf --ebpf-ring-bytes 4096 -o "$T/lost" -- sh "$T/work/w.sh" "$T/work" \
  >/dev/null 2>"$T/lost.err" </dev/null
rc=$?
reason=$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print(b["partial"], b["partial_reason"])' \
  "$T/lost/behavior.json" 2>&1)
[ $rc = 0 ] && [[ "$reason" == True*"ring buffer (4 KiB) was full"*"dropped"* ]] && grep -q "partial recording" "$T/lost.err" &&
  pass "a full ring buffer: the recording is partial and says how many events were dropped" ||
  fail "lost events not reported: rc=$rc reason='$reason' $(tail -2 "$T/lost.err")"

# --- 3. attach to a running workload: --cgroup, then --pid
CG=$CG2/confine-ebpf-test-$$
mkdir "$CG" && CGS+=("$CG")
sh -c 'echo $$ >'"$CG"'/cgroup.procs; while :; do cat /etc/hostname >/dev/null; sleep 0.1; done' &
BG=$!
for i in $(seq 50); do grep -q . "$CG/cgroup.procs" && break; sleep 0.1; done
"$CONFINE" record --format none --cgroup "${CG#"$CG2"}" --duration 1s -o "$T/att" >/dev/null 2>"$T/att.err"
rc=$?
[ $rc = 0 ] && grep -q '"/etc/hostname"' "$T/att/behavior.json" && grep -q '"openat"' "$T/att/behavior.json" &&
  grep -q "attached to a running workload (cgroup /confine-ebpf-test-$$)" "$T/att/behavior.json" &&
  pass "--cgroup --duration: the running loop's files and syscalls, with a note that start-up is missing" ||
  fail "--cgroup: rc=$rc $(tail -3 "$T/att.err")"
"$CONFINE" record --format none --pid $BG --duration 1s -o "$T/attp" >/dev/null 2>"$T/attp.err"
rc=$?
[ $rc = 0 ] && grep -q '"/etc/hostname"' "$T/attp/behavior.json" && grep -q '"--pid"' "$T/attp/behavior.json" &&
  pass "--pid --duration: the process's cgroup is recorded" || fail "--pid: rc=$rc $(tail -3 "$T/attp.err")"
kill $BG; wait $BG 2>/dev/null; BG=
out=$("$CONFINE" record --cgroup / --duration 1s -o "$T/root" 2>&1); rc=$?
[ $rc = 125 ] && [[ "$out" == *"whole host"* ]] && pass "the root cgroup is refused (exit 125)" ||
  fail "--cgroup /: rc=$rc $out"

# --- 4. a runc container recorded by its cgroup, attached before its first exec
for c in runc busybox; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make test installs runc busybox-static)"; exit 1; }
done
B=$T/bundle
mkdir -p "$B/rootfs"/{bin,proc,sys,dev,etc,tmp,data}
cp "$(command -v busybox)" "$B/rootfs/bin/busybox"
for a in sh cat ls sort wc head ln; do ln -s busybox "$B/rootfs/bin/$a"; done
printf 'b\na\nc\n' >"$B/rootfs/data/in.txt"
(cd "$B" && runc spec)
WORK='cat /data/in.txt | sort >/tmp/out.txt; wc -l </tmp/out.txt; head -1 /tmp/out.txt; ls /data'
oci() {  # oci NAME CGROUP SECCOMP(or "") CMD
  python3 - "$B/config.json" "$2" "$3" "$4" <<'EOF'
import json, sys
path, cg, sec, cmd = sys.argv[1:5]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", cmd]
c["root"]["readonly"] = False
c["linux"]["cgroupsPath"] = cg
c["linux"].pop("seccomp", None)
if sec:
    c["linux"]["seccomp"] = json.load(open(sec))
json.dump(c, open(path, "w"))
EOF
  (cd "$B" && timeout 60 runc run "$1" 2>&1 </dev/null)
}
plain=$(oci ctr-plain-$$ /confine-ebpf-plain-$$ "" "$WORK"); prc=$?
[ $prc = 0 ] && [ -n "$plain" ] || { echo "FAIL: the unconfined container does not run: rc=$prc $plain"; exit 1; }
RCG=/confine-ebpf-ctr-$$
CGS+=("$CG2$RCG")
"$CONFINE" record --format none --target oci -o "$T/ctr" --cgroup "$RCG" --start-at-exec 'runc:[2:INIT]' \
  >/dev/null 2>"$T/ctr.err" &
REC=$!
for i in $(seq 100); do grep -q "recording cgroup" "$T/ctr.err" && break; sleep 0.1; done
grep -q "recording cgroup $RCG" "$T/ctr.err" || fail "the recorder did not attach: $(cat "$T/ctr.err")"
rec_out=$(oci ctr-rec-$$ "$RCG" "" "$WORK"); rrc=$?
timeout 30 tail --pid=$REC -f /dev/null
wait $REC; rc=$?
[ $rc = 0 ] && [ $rrc = 0 ] && [ "$rec_out" = "$plain" ] && grep -q '"/data/in.txt"' "$T/ctr/behavior.json" &&
  pass "a runc container recorded by its cgroup from its first exec (the recorder ended with it)" ||
  fail "recording the container: rc=$rc runc rc=$rrc out='$rec_out' $(tail -3 "$T/ctr.err")"
! grep -q '"pivot_root"\|"mount"' "$T/ctr/behavior.json" &&
  pass "runc's own set-up (mount, pivot_root) is not in the recording (--start-at-exec)" ||
  fail "runc's set-up was recorded: $(grep -o '"pivot_root"\|"mount"' "$T/ctr/behavior.json" | head -2)"
out=$(oci ctr-replay-$$ /confine-ebpf-replay-$$ "$T/ctr/seccomp.json" "$WORK"); rc=$?
[ $rc = 0 ] && [ "$out" = "$plain" ] && pass "the container replays under the recorded profile with no denial" ||
  fail "replay under the recorded profile: rc=$rc got '$out' expected '$plain'"
out=$(oci ctr-miss-$$ /confine-ebpf-miss-$$ "$T/ctr/seccomp.json" 'ln -s /data/in.txt /tmp/l && echo LINKED'); rc=$?
[[ "$out" == *"Operation not permitted"* ]] && [[ "$out" != *LINKED* ]] &&
  pass "a near miss (ln -s, never recorded) is denied in the container" || fail "near miss: rc=$rc $out"

echo "record_ebpf: $fails failure(s)"
[ $fails = 0 ]
