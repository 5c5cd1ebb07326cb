#!/bin/bash
# confine run: each facet proven on the real kernel, as root and as an
# unprivileged user (uid 65534 via setpriv), on the built binary.
# usage: bash run_facets.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$2
[ -x "$BIN" ] || { echo "no binary $BIN"; exit 1; }
fails=0
pass=0
T=$(mktemp -d /tmp/confine-run-XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT

# Facets run under Docker's own default profile (a real peer's profile); the
# bundled runtime-default is checked separately below.
DOCKER=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
SEC=(--seccomp "$DOCKER")

check() {  # check NAME EXPECTED_RC ACTUAL_RC OUTPUT GREP_PATTERN...
  local name=$1 want=$2 got=$3 out=$4
  shift 4
  local ok=1
  [ "$want" = "$got" ] || ok=0
  for pat in "$@"; do
    echo "$out" | grep -Eq -- "$pat" || { ok=0; echo "   missing: $pat"; }
  done
  if [ $ok = 1 ]; then pass=$((pass + 1)); echo "ok   $name"; else
    fails=$((fails + 1)); echo "FAIL $name (rc $got, want $want)"; echo "$out" | sed 's/^/   | /' | head -20; fi
}

for who in root nobody; do
  if [ $who = root ]; then AS=(); else AS=(setpriv --reuid 65534 --regid 65534 --clear-groups); fi
  r() { "${AS[@]}" "$BIN" run "${SEC[@]}" "$@" 2>&1; }

  out=$(r --cap-drop ALL -- grep Cap /proc/self/status); rc=$?
  check "$who: --cap-drop ALL clears every set" 0 $rc "$out" \
    "CapInh:\s+0+$" "CapPrm:\s+0+$" "CapEff:\s+0+$" "CapBnd:\s+0+$" "CapAmb:\s+0+$"

  out=$(r --cap-drop ALL --cap-add net_bind_service,CAP_KILL -- grep Cap /proc/self/status); rc=$?
  # NET_BIND_SERVICE (10) + KILL (5) = 0x420
  check "$who: --cap-drop ALL --cap-add keeps exactly the added" 0 $rc "$out" \
    "CapPrm:\s+0+420$" "CapEff:\s+0+420$" "CapBnd:\s+0+420$"

  out=$(r -- grep -E "NoNewPrivs|Seccomp:" /proc/self/status); rc=$?
  check "$who: no_new_privs and a seccomp filter" 0 $rc "$out" "NoNewPrivs:\s+1" "Seccomp:\s+2"
  out=$("${AS[@]}" "$BIN" run -- sh -c 'grep -E "NoNewPrivs|Seccomp:" /proc/self/status | cat' 2>&1); rc=$?
  check "$who: default (runtime-default) filter allows a shell pipeline" 0 $rc "$out" "NoNewPrivs:\s+1" "Seccomp:\s+2"
  out=$(r --allow-privilege-escalation --cap-drop ALL --seccomp unconfined -- grep NoNewPrivs /proc/self/status); rc=$?
  check "$who: --allow-privilege-escalation leaves no_new_privs off" 0 $rc "$out" "NoNewPrivs:\s+0"

  out=$(r --read-only -- touch /confine-x); rc=$?
  check "$who: --read-only: touch / fails with EROFS" 1 $rc "$out" "Read-only file system"
  out=$(r --read-only --tmpfs /mnt:16m -- sh -c 'touch /mnt/x && echo made && grep " /mnt " /proc/self/mounts'); rc=$?
  check "$who: --tmpfs gives a writable tmpfs on a read-only root" 0 $rc "$out" "^made$" "tmpfs /mnt tmpfs rw.*size=16384k"
  mkdir -p "$T/src" "$T/dst"; echo hello > "$T/src/f"; chmod -R a+rwX "$T"
  out=$(r --read-only --bind "$T/src:$T/dst:ro" -- sh -c "cat $T/dst/f; touch $T/dst/g"); rc=$?
  check "$who: --bind SRC:DST:ro is readable, not writable" 1 $rc "$out" "^hello$" "Read-only file system"
  out=$(r --read-only --bind "$T/src:$T/dst" -- sh -c "touch $T/dst/made-$who && echo rw"); rc=$?
  check "$who: --bind SRC:DST is writable under --read-only" 0 $rc "$out" "^rw$"
  [ -e "$T/src/made-$who" ] && pass=$((pass + 1)) || { fails=$((fails + 1)); echo "FAIL $who: bind write did not reach the host"; }
  out=$(r --read-only -- sh -c 'echo x > /dev/null && echo devnull-ok'); rc=$?
  check "$who: /dev usable on a read-only root" 0 $rc "$out" "devnull-ok"

  out=$(r --unshare-all -- ps -e -o pid=,comm=); rc=$?
  n=$(echo "$out" | wc -l)
  check "$who: --unshare-all: ps sees only the sandbox (init + ps)" 0 $rc "$out" "^\s*1 confine$" "^\s*2 ps$"
  [ "$n" = 2 ] && pass=$((pass + 1)) || { fails=$((fails + 1)); echo "FAIL $who: ps saw $n processes"; }
  out=$(r --unshare-all -- cat /proc/net/dev); rc=$?
  check "$who: --unshare-all: only loopback, and it is up" 0 $rc "$out" "lo:"
  [ "$(echo "$out" | grep -c ':')" = 1 ] && pass=$((pass + 1)) || { fails=$((fails + 1)); echo "FAIL $who: more than lo in new netns"; }
  out=$(r --unshare-all -- sh -c 'cat /sys/class/net/lo/operstate /sys/class/net/lo/flags; hostname'); rc=$?
  check "$who: loopback IFF_UP, hostname in new uts" 0 $rc "$out" "^0x9$|^0x49$" "^confine$"
  out=$(r --share pid -- sh -c 'ps -e | wc -l'); rc=$?
  [ "$out" -gt 5 ] 2>/dev/null && pass=$((pass + 1)) || { fails=$((fails + 1)); echo "FAIL $who: --share pid should see host processes ($out)"; }
  hostnet=$(ls /sys/class/net | wc -l)
  out=$(r -- sh -c 'ls /sys/class/net | wc -l'); rc=$?
  check "$who: network shared by default" 0 $rc "$out" "^$hostnet$"

  out=$(r -- sh -c 'ls /proc/self/fd | wc -l' 7</dev/null 9</dev/null); rc=$?
  # ls's own fds: 0 1 2 + the directory it reads = 4
  check "$who: fds other than 0,1,2 are closed" 0 $rc "$out" "^4$"
  out=$(r --keep-fd 9 -- sh -c 'cat <&9' 9<"$T/src/f"); rc=$?
  check "$who: --keep-fd 9 passes fd 9" 0 $rc "$out" "^hello$"
  out=$(r -- sh -c 'ps -o sid=,pid= -p $$; echo tty=$(tty)'); rc=$?
  check "$who: new session, no controlling terminal" 0 $rc "$out" "tty=not a tty"
  out=$(FOO=bar r --clear-env -e A=b -- env); rc=$?
  check "$who: --clear-env" 0 $rc "$out" "^A=b$" "^PATH="
  echo "$out" | grep -q FOO && { fails=$((fails + 1)); echo "FAIL $who: FOO leaked through --clear-env"; } || pass=$((pass + 1))

  out=$(r -- sh -c 'exit 42'); rc=$?
  check "$who: exit status is the command's" 42 $rc "$out"
  out=$(r -- sh -c 'kill -TERM $$'); rc=$?
  check "$who: 128+N for a signal" 143 $rc "$out"
  out=$(r -- /nonexistent/cmd); rc=$?
  check "$who: 127 not found" 127 $rc "$out" "confine: .*No such file"
  out=$(r -- /etc/passwd); rc=$?
  check "$who: 126 not executable" 126 $rc "$out" "confine: .*Permission denied"
  out=$(r --timeout 300ms -- sleep 5); rc=$?
  check "$who: --timeout kills the sandbox, exit 124" 124 $rc "$out" "timeout"

  # Landlock allow-lists
  out=$(r --exec / --rw "$T" --rw /dev/null -- sh -c "cat /etc/hostname >/dev/null && touch $T/ll-$who && echo wrote; touch /tmp/ll-$$-$who"); rc=$?
  check "$who: Landlock --exec / --rw DIR: writes elsewhere denied" 1 $rc "$out" "^wrote$" "Permission denied"
  out=$(r --ro / -- cat /etc/hostname); rc=$?
  check "$who: Landlock --ro / without --exec: exec denied (126)" 126 $rc "$out" "Permission denied"

  # runAsUser / runAsNonRoot
  out=$(r --user 1234:2345 --cap-drop ALL -- id -u); rc=$?
  check "$who: --user UID" 0 $rc "$out" "^1234$"
  out=$(r --no-root --user 0 -- touch "$T/should-not-exist"); rc=$?
  check "$who: --no-root refuses uid 0 (exit 125)" 125 $rc "$out" "no-root"
  [ -e "$T/should-not-exist" ] && { fails=$((fails + 1)); echo "FAIL $who: command ran despite --no-root"; } || pass=$((pass + 1))
  out=$(r --user 1000 --cap-add NET_BIND_SERVICE --cap-drop ALL -- grep CapEff /proc/self/status); rc=$?
  check "$who: non-root keeps added caps through ambient" 0 $rc "$out" "CapEff:\s+0+400$"
done

# Limits: cgroups as root (v1/v2 whichever is usable); without one, --memory and
# --cpu are refused and --pids uses RLIMIT_NPROC only where the kernel applies it
# (tests/integration/escape_netcaps.sh: root without a usable cgroup is refused).
out=$("$BIN" run "${SEC[@]}" --memory 64m -- sh -c 'cat /proc/self/cgroup | grep -E "memory|^0::"; head -c 200m /dev/zero | tail -c 1 >/dev/null; echo survived' 2>&1); rc=$?
check "root: --memory 64m: command in its own memory cgroup" 0 $rc "$out" "confine-"
out=$("$BIN" run "${SEC[@]}" --pids 5 -- sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait' 2>&1); rc=$?
check "root: --pids 5: fork fails beyond the limit" 2 $rc "$out" "Cannot fork"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN" run "${SEC[@]}" --memory 64m -- touch "$T/mem-ran" 2>&1); rc=$?
check "nobody: --memory without a usable cgroup is refused (fail closed)" 125 $rc "$out" "--memory: no usable memory cgroup"
[ -e "$T/mem-ran" ] && { fails=$((fails + 1)); echo "FAIL: command ran without its --memory limit"; } || pass=$((pass + 1))
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN" run "${SEC[@]}" --pids 5 -- sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait' 2>&1); rc=$?
check "nobody: --pids 5 without a usable cgroup: RLIMIT_NPROC binds a non-root uid" 2 $rc "$out" "Cannot fork"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN" run "${SEC[@]}" --cpu 0.5 -- touch "$T/cpu-ran" 2>&1); rc=$?
check "nobody: --cpu without a usable cgroup is refused (fail closed)" 125 $rc "$out" "cpu"
[ -e "$T/cpu-ran" ] && { fails=$((fails + 1)); echo "FAIL: command ran without its --cpu limit"; } || pass=$((pass + 1))
out=$("$BIN" run "${SEC[@]}" --share cgroup --cpu 0.5 -- sh -c 'p=$(grep -E "^[0-9]+:cpu:" /proc/self/cgroup | cut -d: -f3); cat /sys/fs/cgroup/cpu$p/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup$(grep "^0::" /proc/self/cgroup | cut -d: -f3)/cpu.max' 2>&1); rc=$?
check "root: --cpu 0.5 sets a 50% CFS quota" 0 $rc "$out" "^50000"

# Signals sent to confine reach the command (through pid 1 of the sandbox).
"$BIN" run "${SEC[@]}" -- sh -c 'trap "echo got-term; exit 3" TERM; sleep 5 & wait' >"$T/sig.out" 2>&1 &
cpid=$!
sleep 0.5
kill -TERM $cpid
wait $cpid; rc=$?
check "root: SIGTERM to confine is forwarded to the command" 3 $rc "$(cat "$T/sig.out")" "^got-term$"

# Dry run prints every facet and runs nothing.
out=$("$BIN" run "${SEC[@]}" --dry-run --unshare-all --read-only --cap-drop ALL -- touch "$T/dry" 2>&1); rc=$?
check "--dry-run prints the plan" 0 $rc "$out" "namespaces +CLONE_NEWPID" "mounts .*read-only" "capabilities +keep none" "seccomp" "exec +touch"
[ -e "$T/dry" ] && { fails=$((fails + 1)); echo "FAIL: --dry-run ran the command"; } || pass=$((pass + 1))

echo "run_facets: $pass passed, $fails failed"
[ $fails = 0 ]
