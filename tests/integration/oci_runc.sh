#!/bin/bash
# A recorded profile, generated with --target oci, is the seccomp profile of a real
# container: podman 4.3 with runc 1.1, a local rootfs made of Debian's busybox-static
# (no image, no registry). The container behaves as unconfined on the same input, an
# action the workload never made is denied, with no_new_privs on and off (Kubernetes'
# default is off: runc then loads the filter before it changes identity). Control: the
# same profile generated for the host (--target host) stops runc's own init, so the
# runtime rows are what makes it start.
# usage: bash oci_runc.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
T=$(mktemp -d /var/tmp/confine-oci.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# Installed by `make test` (podman, runc, busybox-static): missing means the set-up is broken.
for c in podman runc busybox; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make test installs podman runc busybox-static)"; exit 1; }
done
BB=$(command -v busybox)
ldd "$BB" 2>&1 | grep -q "not a dynamic" ||
  { echo "FAIL: $BB is not static (busybox-static expected)"; exit 1; }

ROOT=$T/rootfs
mkdir -p "$ROOT"/{bin,proc,sys,dev,etc,tmp,data}
cp "$BB" "$ROOT/bin/busybox"
for a in sh echo cat ls mkdir ln rm wc sort head true; do ln -s busybox "$ROOT/bin/$a"; done
echo "root:x:0:0:root:/:/bin/sh" >"$ROOT/etc/passwd"
printf 'b\na\nc\n' >"$ROOT/data/in.txt"

# The workload: reads, sorts, writes and lists; busybox on the host is the same static binary.
WORK='cat /data/in.txt | sort >/tmp/out.txt; wc -l </tmp/out.txt; head -1 /tmp/out.txt; ls /data'
HOSTDATA=$T/hostdata
mkdir -p "$HOSTDATA" && cp "$ROOT/data/in.txt" "$HOSTDATA/in.txt"
HOSTWORK=${WORK//\/data/$HOSTDATA}
HOSTWORK=${HOSTWORK//\/tmp\/out.txt/$T/out.txt}
"$CONFINE" record --target oci -o "$T/oci" -- "$BB" sh -c "$HOSTWORK" >/dev/null 2>"$T/rec.err" ||
  { echo "FAIL: record: $(cat "$T/rec.err")"; exit 1; }
"$CONFINE" record --target host -o "$T/host" -- "$BB" sh -c "$HOSTWORK" >/dev/null 2>"$T/rec.err" ||
  { echo "FAIL: record host: $(cat "$T/rec.err")"; exit 1; }
# The control differs from the OCI profile only by the runtime rows (runc here refuses any seccomp flag).
sed -i '/"flags": /d' "$T/host/seccomp.json"
grep -q "the OCI runtime (runc 1.1) makes these after loading the filter" "$T/oci/seccomp.json" &&
  pass "the OCI profile names the runtime's own syscalls with their source" || fail "no runtime rule in $T/oci/seccomp.json"
! grep -q '"archMap"\|"includes"\|"excludes"' "$T/oci/seccomp.json" &&
  pass "the OCI profile has no Docker-only keys (archMap, includes, excludes)" || fail "Docker-only keys in the OCI profile"

prun() {  # prun PROFILE NNP(0|1) CMD: podman + runc, local rootfs
  local nnp=()
  [ "$2" = 1 ] && nnp=(--security-opt no-new-privileges)
  timeout 120 podman --runtime runc run --rm --network none --ulimit nofile=20000:20000 \
    --ulimit nproc=32768:32768 --security-opt "seccomp=$1" "${nnp[@]}" --rootfs "$ROOT" /bin/sh -c "$3" 2>&1
}
plain=$(timeout 120 podman --runtime runc run --rm --network none --ulimit nofile=20000:20000 \
  --ulimit nproc=32768:32768 --security-opt seccomp=unconfined --rootfs "$ROOT" /bin/sh -c "$WORK" 2>&1); prc=$?
[ $prc = 0 ] && [ -n "$plain" ] || { echo "FAIL: the unconfined container does not run: rc=$prc $plain"; exit 1; }
for nnp in 0 1; do
  out=$(prun "$T/oci/seccomp.json" $nnp "$WORK"); rc=$?
  [ $rc = 0 ] && [ "$out" = "$plain" ] && pass "no_new_privs=$nnp: the container runs under the generated profile as unconfined" ||
    fail "no_new_privs=$nnp: rc=$rc, got '$out', expected '$plain'"
  # A near miss: ln -s (symlink) was never recorded; unconfined it works.
  out=$(prun "$T/oci/seccomp.json" $nnp 'ln -s /data/in.txt /tmp/l && echo LINKED'); rc=$?
  echo "$out" | grep -q "Operation not permitted" && ! echo "$out" | grep -q LINKED &&
    pass "no_new_privs=$nnp: ln -s (never recorded) is denied" || fail "no_new_privs=$nnp: ln -s: rc=$rc $out"
  out=$(prun "$T/host/seccomp.json" $nnp "$WORK"); rc=$?
  [ $rc != 0 ] && echo "$out" | grep -qi "operation not permitted" &&
    pass "control no_new_privs=$nnp: the --target host profile stops runc's init (rc=$rc)" ||
    fail "control no_new_privs=$nnp: the host profile started the container: the runtime rows prove nothing"
done
out=$(timeout 120 podman --runtime runc run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 \
  --security-opt seccomp=unconfined --rootfs "$ROOT" /bin/sh -c 'ln -s /data/in.txt /tmp/l && echo LINKED' 2>&1)
echo "$out" | grep -q LINKED && pass "control: ln -s works unconfined" || fail "control ln -s: $out"

echo "oci_runc: $fails failure(s)"
[ $fails = 0 ]
