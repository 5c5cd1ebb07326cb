#!/bin/bash
# Escape suite, capabilities / network / IPC / limits class, as root and as uid
# 65534: enumerations inside the sandbox (every capability set; every host
# socket reachable: listening TCP/UDP on host loopback, abstract and pathname
# unix sockets, netlink families, AF_PACKET, raw IP) that fail on anything not
# on the allow list of the network mode, then attacks (tests/escape/netcaps.c),
# each with a control that shows it working without the protection. The
# Landlock layering check proves cross-directory rename/link (git clone, mv)
# work under an enforced AppArmor profile that grants them and stay denied
# where it does not. A crash is neither blocked nor escaped: it fails the run.
# usage: bash escape_netcaps.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
[ -x "$BIN" ] || { echo "no binary $BIN"; exit 1; }
BASE=$(dirname "$BIN")
case "$BASE/" in /tmp/*) BASE=/var/tmp ;; esac
T=$(mktemp -d "$BASE/netcaps-XXXXXX")
chmod 755 "$T"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
NC=$(dirname "$BIN")/escape_netcaps
if [ ! -x "$NC" ]; then
  cc -O1 -o "$T/netcaps-build" "$SRC/tests/escape/netcaps.c" || exit 1
  NC=$T/netcaps-build
fi
cp "$NC" "$T/nc" && chmod 755 "$T/nc" && NC=$T/nc
cp "$NC" "$T/fcap" && chmod 755 "$T/fcap"
setcap cap_sys_admin,cap_net_raw+ep "$T/fcap" || { echo "FAIL: setcap on $T/fcap"; exit 1; }
cp "$NC" "$T/fcapi" && chmod 755 "$T/fcapi"  # inheritable-only file capabilities (CVE-2022-24769)
setcap cap_dac_override+ei "$T/fcapi" || { echo "FAIL: setcap on $T/fcapi"; exit 1; }
mkdir -m 1777 "$T/mk"

# Host listeners: TCP and UDP (echo) on 127.0.0.1, an abstract and a pathname
# unix socket, and a sender of a marker datagram on lo (what a sniffer would see).
MARK="netcaps-marker-$$"
ABS="netcaps-abstract-$$"
python3 - "$T" "$ABS" "$MARK" >"$T/ports" 2>"$T/listeners.err" <<'EOF' &
import os, socket, sys, threading, time
t, abstract, mark = sys.argv[1:4]
tcp = socket.socket(); tcp.bind(("127.0.0.1", 0)); tcp.listen(64)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0))
tcp6 = socket.socket(socket.AF_INET6); tcp6.bind(("::1", 0)); tcp6.listen(64)
ab = socket.socket(socket.AF_UNIX); ab.bind("\0" + abstract); ab.listen(64)
pa = socket.socket(socket.AF_UNIX); pa.bind(t + "/host.sock"); pa.listen(64); os.chmod(t + "/host.sock", 0o777)
print(tcp.getsockname()[1], udp.getsockname()[1], tcp6.getsockname()[1], flush=True)
def accept(s):
    while True:
        c, _ = s.accept(); c.close()
def echo():
    while True:
        d, a = udp.recvfrom(64); udp.sendto(d, a)
def marker():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while True:
        s.sendto(mark.encode(), ("127.0.0.1", 9)); time.sleep(0.05)
for f, a in ((accept, (tcp,)), (accept, (tcp6,)), (accept, (ab,)), (accept, (pa,)), (echo, ()), (marker, ())):
    threading.Thread(target=f, args=a, daemon=True).start()
time.sleep(600)
EOF
PIDS+=($!)
for _ in $(seq 50); do [ -s "$T/ports" ] && break; sleep 0.1; done
read -r TCP UDP TCP6 <"$T/ports" || { echo "FAIL: host listeners did not start: $(cat "$T/listeners.err")"; exit 1; }
sleep 300 >/dev/null 2>&1 </dev/null & SLEEPER=$!; PIDS+=($SLEEPER)
SHM=$(ipcmk -M 4096 -p 0666 | grep -oE '[0-9]+$') || { echo "FAIL: ipcmk"; exit 1; }
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; ipcrm -m "$SHM" 2>/dev/null; rm -rf "$T"' EXIT

tried=0; blocked=0; failed=0; controls_ok=0; controls_bad=0; enum_ok=0; enum_bad=0
# attack WHO NAME EXPECT HOW -- CONFINE_FLAGS... -- ATTACK_ARGS...   (EXPECT: regex over "rc=<exit> <output>")
attack() {
  local who=$1 name=$2 expect=$3 how=$4
  shift 4
  [ "$1" = "--" ] && shift
  local flags=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  local out rc
  out=$("${AS[@]}" "$BIN" run "${flags[@]}" -- "$NC" "$@" 2>&1); rc=$?
  tried=$((tried + 1))
  if [ $rc -lt 128 ] && echo "rc=$rc $out" | grep -Eq -- "$expect"; then
    blocked=$((blocked + 1)); printf 'blocked  %-7s %-28s %s\n' "$who" "$name" "$how"
  else
    failed=$((failed + 1)); printf 'ESCAPED  %-7s %-28s expected %s; got rc=%s %s\n' "$who" "$name" "$expect" "$rc" "$out"
  fi
}
# control NAME EXPECT CMD...: the attack without the protection must work.
control() {
  local name=$1 expect=$2
  shift 2
  local out
  out=$("$@" 2>&1)
  if echo "$out" | grep -Eq -- "$expect"; then controls_ok=$((controls_ok + 1)); else
    controls_bad=$((controls_bad + 1)); echo "CONTROL FAILED $name: $out"; fi
}
enum_check() {  # enum_check LABEL OUTPUT ALLOWED_REGEX: every REACH/CAP line must match; DONE must be there
  local label=$1 out=$2 allow=$3 bad
  if ! echo "$out" | grep -q '^DONE$'; then
    enum_bad=$((enum_bad + 1)); echo "FAIL enum $label: no DONE (crashed or refused): $out"; return
  fi
  bad=$(echo "$out" | grep -E '^REACH ' | grep -Ev -- "^REACH ($allow)$")
  if [ -n "$bad" ]; then enum_bad=$((enum_bad + 1)); echo "FAIL enum $label: not on the allow list:"; echo "$bad" | sed 's/^/   /'
  else enum_ok=$((enum_ok + 1)); echo "ok       enum $label: $(echo "$out" | grep -c '^REACH') reachable, all on the allow list"; fi
}

# ---- the default capability set is podman's (containers.conf) ---------------
CONF=/usr/share/containers/containers.conf
if [ -r $CONF ]; then
  want=$(sed -n '/^default_capabilities *= *\[/,/\]/p' $CONF | grep -oE '"[A-Z_]+"' | tr -d '"' | sed 's/^/CAP_/' | sort | tr '\n' ',')
  got=$("$BIN" run --dry-run -- true | sed -n 's/.*capabilities *keep \([A-Z_,]*\);.*/\1/p' | tr ',' '\n' | sort | tr '\n' ',')
  if [ "$want" = "$got" ]; then enum_ok=$((enum_ok + 1)); echo "ok       default capabilities = $CONF default_capabilities"
  else enum_bad=$((enum_bad + 1)); echo "FAIL default capabilities: $got, containers.conf: $want"; fi
else
  enum_bad=$((enum_bad + 1)); echo "FAIL: $CONF missing (golang-github-containers-common): the default set is checked against it"
fi
DEFAULT_MASK=$((0x800405fb))  # the 11 capabilities above, as /proc/self/status prints them

# Host sockets to probe: listening TCP/UDP on loopback or any address, every
# abstract and pathname unix socket of the host (/proc/net/unix of the host net ns).
targets=("tcp:127.0.0.1:$TCP" "udp:127.0.0.1:$UDP" "tcp:::1:$TCP6")
while read -r port; do targets+=("tcp:127.0.0.1:$port"); done < <(ss -Hltn4 | awk '{print $4}' | grep -E '^(127\.|0\.0\.0\.0|\*)' | sed 's/.*://' | sort -u)
while read -r port; do targets+=("tcp:::1:$port"); done < <(ss -Hltn6 | awk '{print $4}' | grep -E '^(\[::1\]|\[::\]|\*):' | sed 's/.*://' | sort -u)
while read -r name; do targets+=("abstract:${name#@}"); done < <(awk 'NR>1 && $8 ~ /^@/ {print $8}' /proc/net/unix | sort -u | head -200)
while read -r path; do targets+=("unix:$path"); done < <(awk 'NR>1 && $8 ~ /^\// {print $8}' /proc/net/unix | sort -u | head -200)

# Netlink families that open and bind (reading; every change needs CAP_NET_ADMIN,
# which no default set holds, see netlink-addr): 0 route, 2 usersock, 4 sock_diag,
# 6 xfrm, 7 selinux, 9 audit (AUDIT_WRITE dropped: see audit-write), 10 fib_lookup,
# 11 connector, 12 netfilter, 15 kobject_uevent, 16 generic.
NL='netlink:(0|2|4|6|7|9|10|11|12|15|16)'

for who in root nobody; do
  if [ $who = root ]; then AS=(); else AS=(setpriv --reuid 65534 --regid 65534 --clear-groups); fi
  # ---- enumeration: capabilities ----
  for flags in "" "--unshare-all" "--cap-drop ALL"; do
    out=$("${AS[@]}" "$BIN" run $flags -- "$NC" caps 2>&1)
    allow=$DEFAULT_MASK; [ "$flags" = "--cap-drop ALL" ] && allow=0
    bad=""
    for set in CapInh CapPrm CapEff CapBnd CapAmb; do
      v=$(echo "$out" | sed -n "s/^CAP $set //p")
      [ -n "$v" ] || { bad="$bad $set:missing"; continue; }
      a=$allow; [ $set = CapAmb ] && a=0
      [ $set = CapInh ] && a=0                          # inheritable: only what --cap-add puts in ambient
      [ $who = nobody ] && [ $set != CapBnd ] && a=0  # a non-root uid holds nothing it was not --cap-add'ed
      [ $(( 0x$v & ~a )) = 0 ] || bad="$bad $set=$v"
    done
    if [ -z "$bad" ] && echo "$out" | grep -q '^DONE$'; then enum_ok=$((enum_ok + 1)); echo "ok       enum $who caps ${flags:-default}: every set within the allow list"
    else enum_bad=$((enum_bad + 1)); echo "FAIL enum $who caps ${flags:-default}: beyond the allow list:$bad ($out)"; fi
  done
  # ---- enumeration: host sockets ----
  # --network host (default): host loopback services and pathname sockets are
  # reachable by design (docs/run.md "Network and IPC"); abstract sockets are
  # scoped, raw/packet sockets need NET_RAW.
  out=$("${AS[@]}" "$BIN" run -- "$NC" enum-net "${targets[@]}" 2>&1)
  enum_check "$who --network host" "$out" "tcp:.*|udp:.*|unix:.*|$NL"
  echo "$out" | grep -q "^REACH tcp:::1:$TCP6$" || { enum_bad=$((enum_bad + 1)); echo "FAIL enum $who: host TCP6 listener not reachable in host mode (the probe is broken)"; }
  echo "$out" | grep -q "^REACH udp:127.0.0.1:$UDP$" || { enum_bad=$((enum_bad + 1)); echo "FAIL enum $who: host UDP echo not reachable in host mode (the probe is broken)"; }
  echo "$out" | grep -q "^REACH tcp:127.0.0.1:$TCP$" || { enum_bad=$((enum_bad + 1)); echo "FAIL enum $who: host TCP listener not reachable in host mode (the probe is broken)"; }
  # --network none: nothing of the host's network; pathname sockets are files (hide them with mounts).
  out=$("${AS[@]}" "$BIN" run --network none -- "$NC" enum-net "${targets[@]}" 2>&1)
  enum_check "$who --network none" "$out" "unix:.*|$NL"
  out=$("${AS[@]}" "$BIN" run --unshare-all -- "$NC" enum-net "${targets[@]}" 2>&1)
  enum_check "$who --unshare-all" "$out" "unix:.*|$NL"

  # ---- attacks ----
  attack $who packet-sniff "RESULT EPERM" "AF_PACKET sniff of host lo -> EPERM (no CAP_NET_RAW)" -- -- packet-sniff "$MARK"
  attack $who raw-socket "RESULT EPERM" "socket(AF_INET, SOCK_RAW) -> EPERM (no CAP_NET_RAW)" -- -- raw-socket
  attack $who abstract-connect "RESULT EPERM" "connect(@host socket) -> EPERM (Landlock abstract-socket scope)" -- -- abstract-connect "$ABS"
  attack $who abstract-connect-none "RESULT ECONNREFUSED" "connect(@host socket), --network none -> ECONNREFUSED" -- --network none -- abstract-connect "$ABS"
  attack $who tcp-connect-none "RESULT ECONNREFUSED" "connect(host 127.0.0.1:$TCP), --network none -> ECONNREFUSED" -- --network none -- tcp-connect "$TCP"
  attack $who netlink-addr "RESULT EPERM" "RTM_NEWADDR on the host's lo -> EPERM (no CAP_NET_ADMIN)" -- -- netlink-addr
  # (in a user namespace, as for uid 65534, audit refuses with ECONNREFUSED before the capability check)
  attack $who audit-write "RESULT (EPERM|ECONNREFUSED)" "forged AUDIT_USER record -> EPERM (no CAP_AUDIT_WRITE)" -- -- audit-write
  attack $who capset-net-raw "RESULT EPERM" "capset(+NET_RAW) -> EPERM (not permitted)" -- -- capset-raise 13
  attack $who capset-audit-write "RESULT EPERM" "capset(+AUDIT_WRITE) -> EPERM" -- -- capset-raise 29
  attack $who ambient-raise "RESULT EPERM" "PR_CAP_AMBIENT_RAISE NET_RAW -> not raised" -- -- ambient-raise
  attack $who mknod-dev "RESULT EPERM" "mknod(block 8:0) in a writable dir -> EPERM (no CAP_MKNOD)" -- -- mknod-dev "$T/mk"
  rm -f "$T/mk/sda-node"
  attack $who fcap-bounding "RESULT EPERM" "exec cap_sys_admin,cap_net_raw+ep as 65534 without nnp -> EPERM (bounding set)" \
    -- --allow-privilege-escalation --user 65534 -- fcap-exec "$T/fcap"
  attack $who fcap-inheritable "RESULT EPERM" "exec cap_dac_override+ei as 65534 without nnp -> not effective (empty inheritable set)" \
    -- --allow-privilege-escalation --user 65534 -- fcap-exec "$T/fcapi" 1
  attack $who sysv-shm "RESULT EINVAL" "shmat(host System V segment $SHM) -> EINVAL (new IPC namespace)" -- -- sysv-shm "$SHM"
  attack $who pidfd-signal "RESULT EPERM" "pidfd_send_signal(host pid), --share pid -> EPERM (signal scope)" -- --share pid -- pidfd-signal $SLEEPER
  attack $who sigio-host "RESULT EPERM" "F_SETOWN host pid + SIGIO, --share pid -> not delivered (signal scope)" -- --share pid -- sigio-host $SLEEPER
done
kill -0 $SLEEPER 2>/dev/null || { failed=$((failed + 1)); echo "ESCAPED: the host sleeper was killed"; }

# ---- limits fail closed: --pids as root without a usable pids cgroup ----------
# A private mount namespace hides the cgroup hierarchies behind read-only tmpfs.
hide='for d in /sys/fs/cgroup/pids /sys/fs/cgroup/memory /sys/fs/cgroup/cpu /sys/fs/cgroup/unified; do [ -d $d ] && mount -t tmpfs -o ro none $d; done;'
lim() { unshare -m sh -c "$hide \"\$@\"" sh "$@"; }
out=$(lim "$BIN" run --pids 10 -- "$NC" fork-bomb 20 2>&1); rc=$?
tried=$((tried + 1))
if [ $rc = 125 ] && echo "$out" | grep -q -- "--pids: no usable pids cgroup" && ! echo "$out" | grep -q forked; then
  blocked=$((blocked + 1)); echo "blocked  root    fork-bomb-no-cgroup          --pids 10 as root, no pids cgroup -> refused (125)"
else failed=$((failed + 1)); echo "ESCAPED  root    fork-bomb-no-cgroup          rc=$rc $out"; fi
out=$(lim "$BIN" run --cap-add SYS_RESOURCE --user 65534 --pids 10 -- "$NC" fork-bomb 20 2>&1); rc=$?
tried=$((tried + 1))
if [ $rc = 125 ] && ! echo "$out" | grep -q forked; then
  blocked=$((blocked + 1)); echo "blocked  root    fork-bomb-sys-resource       --pids as 65534 + CAP_SYS_RESOURCE, no cgroup -> refused"
else failed=$((failed + 1)); echo "ESCAPED  root    fork-bomb-sys-resource       rc=$rc $out"; fi
out=$(lim setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN" run --pids 10 -- "$NC" fork-bomb 20 2>&1); rc=$?
tried=$((tried + 1))
if echo "$out" | grep -Eq "forked [0-9] of 20"; then
  blocked=$((blocked + 1)); echo "blocked  nobody  fork-bomb-no-cgroup          --pids 10 as 65534, no cgroup -> RLIMIT_NPROC binds"
else failed=$((failed + 1)); echo "ESCAPED  nobody  fork-bomb-no-cgroup          rc=$rc $out"; fi
out=$(lim "$BIN" run --dry-run --pids 10 -- true 2>&1); rc=$?
tried=$((tried + 1))
if [ $rc = 125 ] && echo "$out" | grep -q "NOT ENFORCEABLE"; then
  blocked=$((blocked + 1)); echo "blocked  root    dry-run-no-cgroup            --dry-run --pids as root, no pids cgroup -> 125 like the run"
else failed=$((failed + 1)); echo "ESCAPED  root    dry-run-no-cgroup            rc=$rc $out"; fi
# Leaving the cgroup: with its own mount namespace the hierarchy is read-only;
# sharing confine's, root could write the root cgroup's cgroup.procs: refused.
out=$("$BIN" run --pids 10 -- "$NC" cgroup-leave /sys/fs/cgroup/pids 20 2>&1); rc=$?
tried=$((tried + 1))
if echo "$out" | grep -Eq "RESULT (EROFS|EACCES|EPERM) write"; then
  blocked=$((blocked + 1)); echo "blocked  root    cgroup-leave                 write the root cgroup.procs -> EROFS (read-only /sys)"
else failed=$((failed + 1)); echo "ESCAPED  root    cgroup-leave                 rc=$rc $out"; fi
out=$("$BIN" run --pids 10 --share mount -- "$NC" cgroup-leave /sys/fs/cgroup/pids 20 2>&1); rc=$?
tried=$((tried + 1))
if [ $rc = 125 ] && ! echo "$out" | grep -q forked; then
  blocked=$((blocked + 1)); echo "blocked  root    cgroup-leave-sharedmount     --pids with --share mount (cgroupfs writable) -> refused (125)"
else failed=$((failed + 1)); echo "ESCAPED  root    cgroup-leave-sharedmount     rc=$rc $out"; fi
# --timeout kills every process of the sandbox, also one that left the session.
for flags in "" "--share pid"; do
  rm -f "$T/survivor"
  out=$("$BIN" run $flags --timeout 1 -- sh -c "(setsid sh -c 'sleep 2; touch $T/survivor' &); sleep 100" 2>&1); rc=$?
  sleep 2.5
  tried=$((tried + 1))
  if [ ! -e "$T/survivor" ] && { [ -z "$flags" ] && [ $rc = 124 ] || [ $rc = 125 ]; }; then
    blocked=$((blocked + 1)); echo "blocked  root    timeout-setsid ${flags:-(pid ns)}   setsid child after --timeout -> killed (pid ns) / refused (--share pid)"
  else failed=$((failed + 1)); echo "ESCAPED  root    timeout-setsid ${flags:-(pid ns)}   rc=$rc survivor=$([ -e "$T/survivor" ] && echo yes) $out"; fi
done
for lim_flag in "--memory 64m" "--cpu 0.5"; do
  out=$(lim "$BIN" run $lim_flag -- touch "$T/limit-ran" 2>&1); rc=$?
  tried=$((tried + 1))
  if [ $rc = 125 ] && [ ! -e "$T/limit-ran" ]; then
    blocked=$((blocked + 1)); echo "blocked  root    ${lim_flag%% *}-no-cgroup           $lim_flag without its controller -> refused (125)"
  else failed=$((failed + 1)); echo "ESCAPED  root    ${lim_flag%% *}-no-cgroup  rc=$rc $out"; rm -f "$T/limit-ran"; fi
done
out=$("$BIN" run --pids 10 -- "$NC" fork-bomb 20 2>&1); rc=$?
tried=$((tried + 1))
if echo "$out" | grep -Eq "forked [0-9] of 20"; then
  blocked=$((blocked + 1)); echo "blocked  root    fork-bomb-cgroup             --pids 10 as root with the cgroup -> fork fails"
else failed=$((failed + 1)); echo "ESCAPED  root    fork-bomb-cgroup             rc=$rc $out"; fi

# ---- Landlock layering: AppArmor grants cross-directory rename/link ----------
for who in root nobody; do
  if [ $who = root ]; then AS=(); else AS=(setpriv --reuid 65534 --regid 65534 --clear-groups); fi
  G=$T/aa-$who
  mkdir -p "$G/g/a" "$G/g/b" "$G/out" "$G/home"
  echo x >"$G/g/a/f"; echo y >"$G/g/a/h"; echo z >"$G/g/a/m"; echo w >"$G/g/a/o"
  git init -q "$G/g/repo" && git -C "$G/g/repo" -c user.email=t@t -c user.name=t commit -q --allow-empty -m init
  [ $who = nobody ] && chown -R 65534:65534 "$G"
  cat >"$G/p.profile" <<EOF
profile netcaps {
  /** rix,
  /dev/null rw,
  $G/g/ rw,
  $G/g/** rwlk,
}
EOF
  R=("${AS[@]}" "$BIN" run --apparmor "$G/p.profile" --env HOME="$G/home")
  out=$("${R[@]}" -- "$NC" rename "$G/g/a/f" "$G/g/b/f" 2>&1)
  echo "$out" | grep -q "RESULT ok" && { enum_ok=$((enum_ok + 1)); echo "ok       $who: rename across granted directories"; } || { enum_bad=$((enum_bad + 1)); echo "FAIL $who: rename across granted directories: $out"; }
  out=$("${R[@]}" -- "$NC" link "$G/g/a/h" "$G/g/b/h" 2>&1)
  echo "$out" | grep -q "RESULT ok" && { enum_ok=$((enum_ok + 1)); echo "ok       $who: link across granted directories"; } || { enum_bad=$((enum_bad + 1)); echo "FAIL $who: link across granted directories: $out"; }
  ino=$(stat -c %i "$G/g/a/m")
  out=$("${R[@]}" -- mv "$G/g/a/m" "$G/g/b/m" 2>&1); rc=$?
  if [ $rc = 0 ] && [ "$(stat -c %i "$G/g/b/m" 2>/dev/null)" = "$ino" ]; then enum_ok=$((enum_ok + 1)); echo "ok       $who: mv across granted directories renames (same inode, no copy)"
  else enum_bad=$((enum_bad + 1)); echo "FAIL $who: mv across granted directories (rc $rc, inode $ino -> $(stat -c %i "$G/g/b/m" 2>&1)): $out"; fi
  out=$("${R[@]}" -- git clone -q "$G/g/repo" "$G/g/clone" 2>&1); rc=$?
  if [ $rc = 0 ] && [ -d "$G/g/clone/.git" ]; then enum_ok=$((enum_ok + 1)); echo "ok       $who: git clone of a local repository inside the granted tree"
  else enum_bad=$((enum_bad + 1)); echo "FAIL $who: git clone under the profile (rc $rc): $out"; fi
  attack $who rename-out-of-grant "RESULT (EACCES|EXDEV)" "rename a granted file to an ungranted directory -> EACCES" \
    -- --apparmor "$G/p.profile" -- rename "$G/g/a/o" "$G/out/o"
  attack $who link-out-of-grant "RESULT (EACCES|EXDEV)" "link a granted file into an ungranted directory -> EACCES" \
    -- --apparmor "$G/p.profile" -- link "$G/g/a/h" "$G/out/h"
  attack $who abstract-connect-aa "RESULT EPERM" "connect(@host socket) under --apparmor -> EPERM (scope in the profile's layer)" \
    -- --apparmor "$G/p.profile" -- abstract-connect "$ABS"
  attack $who pidfd-signal-aa "RESULT EPERM" "pidfd_send_signal(host pid) under --apparmor, --share pid -> EPERM" \
    -- --apparmor "$G/p.profile" --share pid -- pidfd-signal $SLEEPER
done
kill -0 $SLEEPER 2>/dev/null || { failed=$((failed + 1)); echo "ESCAPED: the host sleeper was killed"; }

# ---- controls: each attack works without its protection ----------------------
control packet-sniff "RESULT ok" "$BIN" run --cap-add NET_RAW -- "$NC" packet-sniff "$MARK"
control raw-socket "RESULT ok" "$BIN" run --cap-add NET_RAW -- "$NC" raw-socket
control abstract-connect "RESULT ok" "$NC" abstract-connect "$ABS"
control tcp-connect "RESULT ok" "$BIN" run -- "$NC" tcp-connect "$TCP"
control netlink-addr "RESULT ok" "$BIN" run --network none --cap-add NET_ADMIN -- "$NC" netlink-addr
control audit-write "RESULT ok" "$BIN" run --cap-add AUDIT_WRITE -- "$NC" audit-write
control capset-net-raw "RESULT ok" "$BIN" run --cap-add NET_RAW -- "$NC" capset-raise 13
control ambient-raise "RESULT ok" "$BIN" run --cap-add NET_RAW -- "$NC" ambient-raise
control mknod-dev "RESULT ok" "$BIN" run --cap-add MKNOD -- "$NC" mknod-dev "$T/mk"
rm -f "$T/mk/sda-node"
control fcap-inheritable "RESULT ok" setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps +dac_override "$T/fcapi" fcap-check 1
control fcap-bounding "RESULT ok" setpriv --reuid 65534 --regid 65534 --clear-groups "$T/fcap" fcap-check
sleep 300 >/dev/null 2>&1 </dev/null & VICTIM=$!; PIDS+=($VICTIM)
control pidfd-signal "RESULT ok" "$NC" pidfd-signal $VICTIM
control sysv-shm "RESULT ok" "$BIN" run --share ipc -- "$NC" sysv-shm "$SHM"
control fork-bomb "forked 20 of 20" "$BIN" run -- "$NC" fork-bomb 20
control cgroup-leave "forked 20 of 20" "$BIN" run --share mount -- "$NC" cgroup-leave /sys/fs/cgroup/pids 20
mkdir -p "$T/ctl/a" "$T/ctl/out" && echo c >"$T/ctl/a/o"
control rename-out-of-grant "RESULT ok" "$BIN" run -- "$NC" rename "$T/ctl/a/o" "$T/ctl/out/o"

echo "escape netcaps: $tried attacks tried, $blocked blocked, $failed not blocked; enumerations/layering: $enum_ok ok, $enum_bad failed; controls: $controls_ok/$((controls_ok + controls_bad)) succeeded unprotected"
[ $failed = 0 ] && [ $enum_bad = 0 ] && [ $controls_bad = 0 ]
