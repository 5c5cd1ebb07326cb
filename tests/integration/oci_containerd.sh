#!/bin/bash
# A recorded profile, generated with --target oci, read by containerd (Debian 12's 1.6)
# as Kubernetes' Localhost profiles are: the runtime-spec LinuxSeccomp object, where
# Docker-only keys (archMap, includes, excludes) would silently vanish. A private
# containerd daemon (own root, state and socket under a temp dir, CRI plugin off),
# `ctr run --rootfs DIR --seccomp --seccomp-profile FILE` with the runc shim, a rootfs
# made of Debian's busybox-static (no image, no registry). The container behaves as
# unconfined on the same input; an action the workload never made (ln -s) is denied;
# containerd's own view of the spec holds the profile's rules. ctr always sets
# no_new_privs (no flag turns it off): the no_new_privs=0 path is oci_runc.sh's.
# usage: bash oci_containerd.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
T=$(mktemp -d /var/tmp/confine-ctd.XXXXXX)
DPID=
cleanup() {
  [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
  # the daemon's root holds mounts only while containers run; none is left by --rm
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# Installed by `make test` (containerd, runc, busybox-static): missing means the set-up is broken.
for c in containerd containerd-shim-runc-v2 ctr runc busybox; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make test installs containerd runc busybox-static)"; exit 1; }
done
BB=$(command -v busybox)
ldd "$BB" 2>&1 | grep -q "not a dynamic" || { echo "FAIL: $BB is not static (busybox-static expected)"; exit 1; }

ROOT=$T/rootfs
mkdir -p "$ROOT"/{bin,proc,sys,dev,etc,tmp,data}
cp "$BB" "$ROOT/bin/busybox"
for a in sh echo cat ls mkdir ln rm wc sort head true; do ln -s busybox "$ROOT/bin/$a"; done
echo "root:x:0:0:root:/:/bin/sh" >"$ROOT/etc/passwd"
printf 'b\na\nc\n' >"$ROOT/data/in.txt"

cat >"$T/config.toml" <<TOML
version = 2
root = "$T/root"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.sock.ttrpc"
[debug]
  address = "$T/debug.sock"
TOML
containerd --config "$T/config.toml" >"$T/daemon.log" 2>&1 &
DPID=$!
CTR=(ctr --address "$T/containerd.sock")
for _ in $(seq 100); do
  "${CTR[@]}" version >/dev/null 2>&1 && break
  kill -0 "$DPID" 2>/dev/null || break
  sleep 0.2
done
"${CTR[@]}" version >/dev/null 2>&1 ||
  { echo "FAIL: the private containerd did not start: $(tail -5 "$T/daemon.log")"; exit 1; }

# The workload: reads, sorts, writes and lists; busybox on the host is the same static binary.
WORK='cat /data/in.txt | sort >/tmp/out.txt; wc -l </tmp/out.txt; head -1 /tmp/out.txt; ls /data'
HOSTDATA=$T/hostdata
mkdir -p "$HOSTDATA" && cp "$ROOT/data/in.txt" "$HOSTDATA/in.txt"
HOSTWORK=${WORK//\/data/$HOSTDATA}
HOSTWORK=${HOSTWORK//\/tmp\/out.txt/$T/out.txt}
"$CONFINE" record --target oci --format none -o "$T/oci" -- "$BB" sh -c "$HOSTWORK" >/dev/null 2>"$T/rec.err" ||
  { echo "FAIL: record: $(cat "$T/rec.err")"; exit 1; }
keys=$(python3 -c 'import json,sys
p=json.load(open(sys.argv[1]))
top=set(p)-{"defaultAction","defaultErrnoRet","architectures","flags","listenerPath","listenerMetadata","syscalls"}
rule={k for r in p["syscalls"] for k in r}-{"names","action","errnoRet","args","comment"}
arg={k for r in p["syscalls"] for a in r.get("args") or [] for k in a}-{"index","value","valueTwo","op"}
print(" ".join(sorted(top|rule|arg)))' "$T/oci/seccomp.json")
[ -z "$keys" ] && pass "the OCI profile is pure LinuxSeccomp (+ comment, which every runtime ignores)" ||
  fail "keys LinuxSeccomp does not have: $keys"

n=0
crun() {  # crun PROFILE|'' CMD: one container, removed afterwards
  local sec=()
  n=$((n + 1))
  [ -n "$1" ] && sec=(--seccomp --seccomp-profile "$1")
  timeout 120 "${CTR[@]}" run --rm "${sec[@]}" --rootfs "$ROOT" "c$n" /bin/sh -c "$2" 2>&1
}
plain=$(crun "" "$WORK"); prc=$?
[ $prc = 0 ] && [ -n "$plain" ] || { echo "FAIL: the unconfined container does not run: rc=$prc $plain"; exit 1; }
out=$(crun "$T/oci/seccomp.json" "$WORK"); rc=$?
[ $rc = 0 ] && [ "$out" = "$plain" ] && pass "the container runs under the generated profile as unconfined" ||
  fail "rc=$rc, got '$out', expected '$plain'"
out=$(crun "$T/oci/seccomp.json" 'ln -s /data/in.txt /tmp/l && echo LINKED'); rc=$?
echo "$out" | grep -q "Operation not permitted" && ! echo "$out" | grep -q LINKED &&
  pass "ln -s (never recorded) is denied" || fail "ln -s: rc=$rc $out"
out=$(crun "" 'ln -s /data/in.txt /tmp/l && echo LINKED')
echo "$out" | grep -q LINKED && pass "control: ln -s works unconfined" || fail "control ln -s: $out"
# What containerd made of the file: its spec carries the profile's default and rules.
"${CTR[@]}" container create --seccomp --seccomp-profile "$T/oci/seccomp.json" --rootfs "$ROOT" info /bin/true >/dev/null
got=$("${CTR[@]}" container info info | python3 -c 'import json,sys
s=json.load(sys.stdin)["Spec"]["linux"]["seccomp"]; p=json.load(open(sys.argv[1]))
print("same" if s["defaultAction"]==p["defaultAction"] and [sorted(r["names"]) for r in s["syscalls"]]==[sorted(r["names"]) for r in p["syscalls"]] else "differs")' "$T/oci/seccomp.json")
"${CTR[@]}" container rm info >/dev/null
[ "$got" = same ] && pass "containerd's spec holds the profile's default action and every rule's names" ||
  fail "containerd's spec differs from the profile ($got)"

echo "oci_containerd: $fails failure(s)"
[ $fails = 0 ]
