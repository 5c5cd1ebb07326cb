#!/bin/bash
# Filesystem and device surfaces of `confine run` (issue 11), by class, as
# root and as uid 65534:
#  - enumeration (surfaces_enum.sh inside the sandbox): every device node
#    visible under /dev, /proc, /sys; every mount and its flags; the masks;
#    with --read-only every writable path (a walk of the whole tree). Anything
#    not on the allow list fails.
#  - attacks (tests/escape/dev.c): each must be refused inside; its control
#    (the same attack, run as root without confine) must get through, so the
#    attack can fail. A crash prints no RESULT line: neither blocked nor escaped.
# usage: bash escape_surfaces.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
[ -x "$BIN" ] || { echo "no binary $BIN"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "escape_surfaces.sh must run as root (it also runs as uid 65534)"; exit 1; }
# Not under /tmp: the sandboxes mount a tmpfs there.
BASE=$(dirname "$BIN")
case "$BASE/" in /tmp/*) BASE=/var/tmp ;; esac
T=$(mktemp -d "$BASE/surfaces-XXXXXX")
chmod 755 "$T"
SHM=/dev/shm/confine-surfaces-$$
PTY_PID=
cleanup() {
  rm -rf "$T" "$SHM" /dev/shm/confine-plant-$$-*
  [ -n "${TRACEFS_MOUNTED:-}" ] && umount /sys/kernel/tracing
  [ -n "$PTY_PID" ] && kill "$PTY_PID" 2>/dev/null
}
trap cleanup EXIT
DEV=$(dirname "$BIN")/escape_dev
if [ ! -x "$DEV" ]; then  # not built by CMake: build it here
  cc -O1 -o "$T/escape_dev" "$SRC/tests/escape/dev.c" || exit 1
  DEV=$T/escape_dev
fi
cp "$DEV" "$T/dev" && chmod 755 "$T/dev" && DEV=$T/dev
cp "$SRC/tests/escape/surfaces_enum.sh" "$T/enum.sh" && chmod 644 "$T/enum.sh"
mkdir "$T/bind" && chmod 1777 "$T/bind"
echo secret >"$T/secret" && chmod 644 "$T/secret"
# A host device node outside /dev (a chroot's or a container root's /dev, as a
# CI host has under /var/tmp): the read-only walks meet it; nodev must make it
# unopenable, and its write bit alone must not count as a finding.
mkdir "$T/chroot-dev" && mknod -m 666 "$T/chroot-dev/zero" c 1 5 || exit 1
echo host-secret >"$SHM" && chmod 666 "$SHM"
# A pty of another session on the host (what pts-host looks for).
script -qfc "sleep 600" /dev/null </dev/null >/dev/null 2>&1 &
PTY_PID=$!
sleep 0.3

pass=0
fail=0
ok() { pass=$((pass + 1)); printf 'ok       %s\n' "$*"; }
bad() { fail=$((fail + 1)); printf 'FAIL     %s\n' "$*"; }

# enum WHO NAME RO ALLOWED_RW -- CONFINE_FLAGS...
enum() {
  local who=$1 name=$2 ro=$3 allow=$4
  shift 5
  local out
  out=$("${AS[@]}" "$BIN" run "$@" -- sh "$T/enum.sh" "$ro" $allow 2>&1)
  if ! echo "$out" | grep -q "^ENUM DONE"; then
    bad "$who enum $name: the enumeration did not finish: $(echo "$out" | tail -5)"
  elif echo "$out" | grep -q "^BAD"; then
    bad "$who enum $name: $(echo "$out" | grep -c '^BAD') finding(s):"
    echo "$out" | grep "^BAD" | head -40 | sed 's/^/           /'
  else
    ok "$who enum $name"
  fi
}

# attack WHO NAME EXPECT -- CONFINE_FLAGS... -- ATTACK_ARGS...
attack() {
  local who=$1 name=$2 expect=$3
  shift 3
  [ "$1" = "--" ] && shift
  local flags=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  local out
  out=$("${AS[@]}" "$BIN" run "${flags[@]}" -- "$DEV" "$@" 2>&1)
  local res
  res=$(echo "$out" | grep -m1 "^RESULT")
  if [ -z "$res" ]; then
    bad "$who $name: no result (crash or setup failure): $out"
  elif echo "$res" | grep -Eq -- "^RESULT ($expect)"; then
    ok "$who $name blocked: ${res#RESULT }"
  else
    bad "$who $name ESCAPED: ${res#RESULT }"
  fi
}

# control NAME EXPECT ATTACK_ARGS...: the attack, as root without confine, gets through
control() {
  local name=$1 expect=$2
  shift 2
  local out
  out=$("$DEV" "$@" 2>&1)
  if echo "$out" | grep -Eq -- "^RESULT ($expect)"; then ok "control $name: ${out#RESULT }"; else
    bad "control $name did not get through unconfined (the attack cannot fail): $out"; fi
}

NO="ENOENT|EACCES|EPERM|ENXIO|NONE|EMPTY"
control blockdev "OPEN" blockdev
control mknod-bind "OPEN" mknod-bind "$T/bind"
control mknod-block "OPEN" mknod-block "$T/bind"
control kmsg-write "WROTE" kmsg-write
control userfaultfd-dev "UFFD" userfaultfd-dev
control tty1 "OPEN" tty1
control console "OPEN" console
control loop-control "OPEN" loop-control
control vcs "OPEN" vcs
control kpageflags "READ" proc-read /proc/kpageflags
control kpagecount "READ" proc-read /proc/kpagecount
control sys-firmware "LISTED" sys-list /sys/firmware
# A kernel-internal file system below /sys (what surfaces_enum.sh finds masked): the host's trace
# buffer, mounted here for the run when the host has none, so the check always has one to find.
TRACEFS_MOUNTED=
if [ -z "$(ls -A /sys/kernel/tracing 2>/dev/null)" ] && [ -d /sys/kernel/tracing ]; then
  mount -t tracefs nodev /sys/kernel/tracing && TRACEFS_MOUNTED=1
fi
control sys-tracefs "LISTED" sys-list /sys/kernel/tracing
control shm-read "OPEN" shm-read "$SHM"
control pts-host "OPEN" pts-host
control link-out "LINKED" link-out "$T/secret:$T/bind"
touch "$T/bind/f" && chmod 666 "$T/bind/f"
control rename-out "RENAMED" rename-out "$T/bind/f:$T/f"

for who in root nobody; do
  if [ $who = root ]; then AS=(); else AS=(setpriv --reuid 65534 --regid 65534 --clear-groups); fi
  # The red team's command line, the default one, and the host's pid namespace (host /proc).
  enum $who unshare-all-read-only 1 "" -- --unshare-all --read-only --cap-drop ALL
  enum $who read-only-bind-tmpfs 1 "$T/bind /tmp" -- --read-only --bind "$T/bind" --tmpfs /tmp
  enum $who default 0 "" --
  enum $who share-pid 0 "" -- --share pid
  enum $who share-ipc 0 "" -- --share ipc
  enum $who share-ipc-read-only 2 "" -- --share ipc --read-only

  R=(--unshare-all --read-only --cap-drop ALL)
  attack $who blockdev "$NO" -- "${R[@]}" -- blockdev
  # mknod needs CAP_MKNOD: keep the default capabilities here (nodev is what must hold).
  attack $who mknod-bind "$NO" -- --read-only --bind "$T/bind" -- mknod-bind "$T/bind"
  attack $who mknod-block "$NO" -- --read-only --bind "$T/bind" -- mknod-block "$T/bind"
  attack $who kmsg-write "$NO" -- "${R[@]}" -- kmsg-write
  attack $who userfaultfd-dev "$NO" -- "${R[@]}" -- userfaultfd-dev
  attack $who tty1 "$NO" -- "${R[@]}" -- tty1
  attack $who console "$NO" -- "${R[@]}" -- console
  attack $who loop-control "$NO" -- "${R[@]}" -- loop-control
  attack $who vcs "$NO" -- "${R[@]}" -- vcs
  attack $who kpageflags "$NO" -- "${R[@]}" -- proc-read /proc/kpageflags
  attack $who kpagecount "$NO" -- --share pid -- proc-read /proc/kpagecount
  attack $who sys-firmware "$NO" -- "${R[@]}" -- sys-list /sys/firmware
  attack $who sys-tracefs "$NO" -- "${R[@]}" -- sys-list /sys/kernel/tracing
  attack $who sys-tracefs-default "$NO" -- -- sys-list /sys/kernel/tracing
  attack $who shm-read "$NO" -- --unshare-all --cap-drop ALL -- shm-read "$SHM"
  attack $who pts-host "$NO" -- "${R[@]}" -- pts-host
  attack $who link-out "EXDEV|EPERM|EACCES" -- --read-only --bind "$T/bind" -- link-out "$T/secret:$T/bind"
  attack $who rename-out "EXDEV|EROFS|EACCES" -- --read-only --bind "$T/bind" -- rename-out "$T/bind/f:$T/f"
  # shm-plant: a file made in the sandbox's /dev/shm must not appear in the host's.
  plant=/dev/shm/confine-plant-$$-$who
  out=$("${AS[@]}" "$BIN" run --unshare-all --cap-drop ALL -- "$DEV" shm-plant "$plant" 2>&1)
  if ! echo "$out" | grep -q "^RESULT"; then
    bad "$who shm-plant: no result: $out"
  elif [ -e "$plant" ]; then
    bad "$who shm-plant ESCAPED: the host sees $plant"
  else
    ok "$who shm-plant blocked: ${out#RESULT } (not in the host's /dev/shm)"
  fi
done

# --device: the opt-in passes exactly that node, usable, and nothing else.
out=$("$BIN" run --unshare-all --read-only --device /dev/loop-control -- "$DEV" loop-control 2>&1)
if echo "$out" | grep -q "^RESULT OPEN"; then ok "--device /dev/loop-control is usable"; else
  bad "--device /dev/loop-control not usable: $out"; fi
out=$("$BIN" run --dry-run --device /dev/loop-control -- true 2>&1)
if echo "$out" | grep -q "/dev/loop-control (--device"; then ok "--dry-run lists --device"; else
  bad "--dry-run does not list --device: $out"; fi
out=$("$BIN" run --device /dev/loop-control:ro -- true 2>&1)
rc=$?
if [ $rc = 125 ] && echo "$out" | grep -q "cannot be enforced"; then ok "--device :ro refused (125)"; else
  bad "--device :ro: rc=$rc $out"; fi
out=$("$BIN" run --device /etc/passwd -- true 2>&1)
rc=$?
if [ $rc = 125 ]; then ok "--device /etc/passwd refused (125)"; else bad "--device /etc/passwd: rc=$rc $out"; fi

echo "escape_surfaces: $pass passed, $fail failed"
[ $fail = 0 ]
