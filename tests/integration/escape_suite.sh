#!/bin/bash
# Escape suite: known container-escape attacks (tests/escape/attacks.c), each
# run under `confine run` with the default hardening (plus the facet the
# attack targets, e.g. --read-only), as root and as uid 65534. Each must fail
# in the expected way (errno or signal); controls show the same attack
# succeeding without the protection, so the checks can fail.
# An attack that needs a platform feature (NEEDS=int80 attack ...) whose
# unconfined probe fails (tests/platform/probe.h) is "not applicable here
# (reason)": counted as skipped, never as blocked nor escaped. A confined
# attack killed by a signal its expectation does not name is CRASHED (a
# failure, not an escape). ESCAPE_ONLY=REGEX runs only the attacks whose name
# matches (and no controls).
# usage: bash escape_suite.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
[ -x "$BIN" ] || { echo "no binary $BIN"; exit 1; }
# Not under /tmp: several attacks mount a tmpfs there (and use /tmp as the only
# writable path), which would hide the attack program or make the "outside"
# target writable. A build tree under /tmp (e.g. a fresh clone in /tmp) uses /var/tmp.
BASE=$(dirname "$BIN")
case "$BASE/" in /tmp/*) BASE=/var/tmp ;; esac
T=$(mktemp -d "$BASE/escape-XXXXXX")
chmod 755 "$T"
trap 'rm -rf "$T"; [ -n "${SLEEPER:-}" ] && kill $SLEEPER 2>/dev/null' EXIT
ATT=$(dirname "$BIN")/escape_attacks
if [ ! -x "$ATT" ]; then  # not built by CMake (e.g. a tree without the glue): build it here
  cc -O1 -o "$T/escape_attacks" "$SRC/tests/escape/attacks.c" || exit 1
  ATT=$T/escape_attacks
fi
. "$SRC/tests/platform/results.sh"
platform_probe_init "$(dirname "$BIN")" "$SRC" || exit 1
cp "$ATT" "$T/attacks" && chmod 755 "$T/attacks" && ATT=$T/attacks
# setuid-root and file-capability copies of the attack program (its "whoami" mode)
cp "$ATT" "$T/suid" && chown root:root "$T/suid" && chmod 4755 "$T/suid"
# setcap is libcap2-bin (installed by `make test`): without it the file-caps row could not fail, so stop here.
cp "$ATT" "$T/fcap" && chmod 755 "$T/fcap" && setcap cap_net_bind_service+ep "$T/fcap" ||
  { echo "FAIL: setcap cap_net_bind_service+ep failed (is libcap2-bin installed?): the file-caps attack cannot be set up"; exit 1; }
sleep 300 >/dev/null 2>&1 </dev/null & SLEEPER=$!

declare -A names=()
tried=0; blocked=0; failed=0; crashed=0; notapplicable=0; controls_ok=0; controls_bad=0; int80_why=
# attack NAME EXPECT HOW -- CONFINE_FLAGS... -- ATTACK_ARGS...
# EXPECT is a regex over "rc=<exit> <output>"; HOW is printed.
attack() {
  local who=$1 name=$2 expect=$3 how=$4
  shift 4
  [ "$1" = "--" ] && shift
  local flags=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  local out rc
  [ -n "${ESCAPE_ONLY:-}" ] && ! [[ $name =~ $ESCAPE_ONLY ]] && return 0
  if [ -n "${NEEDS:-}" ]; then
    platform_absent "$NEEDS"
    case $? in
      0) notapplicable=$((notapplicable + 1)); [ "$NEEDS" = int80 ] && int80_why=$PLATFORM_WHY
         printf 'n/a      %-7s %-26s not applicable here (%s)\n' "$who" "$name" "$PLATFORM_WHY"
         t_result skip "escape_suite/$who/$name" "not applicable here ($PLATFORM_WHY)"; return 0 ;;
      2) failed=$((failed + 1)); printf 'FAILED   %-7s %-26s %s\n' "$who" "$name" "$PLATFORM_WHY"
         t_result fail "escape_suite/$who/$name" "$PLATFORM_WHY"; return 0 ;;
    esac
  fi
  if [ "${TTY:-0}" = 1 ]; then
    out=$(script -qec "$(printf '%q ' "${AS[@]}" "$BIN" run "${flags[@]}" -- "$ATT" "$@")" /dev/null 2>&1 </dev/null | tr -d '\r')
    rc=$(echo "$out" | grep -q "RESULT" && echo 0 || echo 1)
  else
    out=$("${AS[@]}" "$BIN" run "${flags[@]}" -- "$ATT" "$@" 2>&1 7</etc/hostname); rc=$?
  fi
  tried=$((tried + 1)); names[$name]=1
  if echo "rc=$rc $out" | grep -Eq -- "$expect"; then
    blocked=$((blocked + 1)); printf 'blocked  %-7s %-26s %s\n' "$who" "$name" "$how"
    t_result pass "escape_suite/$who/$name"
  elif [ "$rc" -gt 128 ] && [ "$rc" -le 192 ]; then  # killed by a signal the expectation does not name
    failed=$((failed + 1)); crashed=$((crashed + 1))
    printf 'CRASHED  %-7s %-26s killed by SIG%s (rc=%s), expected %s: neither blocked nor escaped %s\n' "$who" "$name" \
      "$(kill -l $((rc - 128)) 2>/dev/null)" "$rc" "$expect" "$out"
    t_result fail "escape_suite/$who/$name" "crashed: killed by SIG$(kill -l $((rc - 128)) 2>/dev/null) (rc=$rc), expected $expect"
  else
    failed=$((failed + 1)); printf 'ESCAPED  %-7s %-26s expected %s; got rc=%s %s\n' "$who" "$name" "$expect" "$rc" "$out"
    t_result fail "escape_suite/$who/$name" "ESCAPED: expected $expect; got rc=$rc $out"
  fi
}
control() {  # the same attack without the protection must succeed
  local name=$1 expect=$2
  shift 2
  local out
  [ -n "${ESCAPE_ONLY:-}" ] && return 0
  out=$("$BIN" run "$@" 2>&1)
  if echo "$out" | grep -Eq -- "$expect"; then controls_ok=$((controls_ok + 1)); t_result pass "escape_suite/control/$name"
  else
    controls_bad=$((controls_bad + 1)); echo "CONTROL FAILED $name: $out"
    t_result fail "escape_suite/control/$name" "unprotected attack did not succeed: $out"
  fi
}

for who in root nobody; do
  if [ $who = root ]; then AS=(); else AS=(setpriv --reuid 65534 --regid 65534 --clear-groups); fi
  attack $who blocked-syscall "RESULT EPERM" "kexec_load -> EPERM (seccomp ERRNO)" -- -- blocked-syscall
  NEEDS=int80 attack $who int80-blocked "RESULT EPERM" "kexec_load via int \$0x80 -> EPERM (i386 table filtered too)" -- -- int80-blocked
  NEEDS=int80 attack $who int80-mount "RESULT EPERM" "mount via int \$0x80 -> EPERM" -- -- int80-mount
  attack $who x32-blocked "^rc=159" "kexec_load|0x40000000 -> killed by SIGSYS (x32 closed)" -- -- x32-blocked
  attack $who x32-allowed-call "^rc=159" "getpid|0x40000000 -> killed by SIGSYS (x32 closed even for allowed calls)" -- -- x32-allowed-call
  TTY=1 attack $who tiocsti "RESULT EPERM" "TIOCSTI on the caller's tty -> EPERM (new session, no ctty, no CAP_SYS_ADMIN)" -- -- tiocsti
  TTY=1 attack $who dev-tty "RESULT ENXIO" "open(/dev/tty) -> ENXIO (no controlling terminal)" -- -- dev-tty
  TTY=1 attack $who tioclinux "RESULT (ENOTTY|EPERM|EINVAL)" "TIOCLINUX paste -> ENOTTY (not a VT; needs CAP_SYS_ADMIN on one)" -- -- tioclinux
  TTY=1 attack $who ioctl-highbits "RESULT EPERM" "TIOCSTI|1<<32 -> EPERM (request compared on 32 bits)" -- -- ioctl-highbits
  attack $who personality-highbits "RESULT EPERM" "personality(1<<32|READ_IMPLIES_EXEC) -> EPERM (low 32 bits compared)" -- -- personality-highbits
  if [ $who = root ]; then
    attack $who setuid-binary "RESULT EPERM euid=65534" "setuid-root binary as uid 65534 -> euid stays 65534 (no_new_privs)" -- --user 65534 -- exec "$T/suid" whoami
    attack $who file-caps "RESULT EPERM( execv|.*capeff=0+$)" "cap_net_bind_service+ep binary (a capability of the default set) as uid 65534 -> no capabilities (no_new_privs)" -- --user 65534 -- exec "$T/fcap" whoami
  fi
  attack $who ptrace-supervisor "RESULT EPERM" "PTRACE_ATTACH to pid 1 (init/supervisor) -> EPERM" -- -- ptrace-supervisor
  attack $who ptrace-confine "RESULT (EPERM|ESRCH)" "PTRACE_ATTACH to confine (--share pid) -> EPERM" -- --share pid -- ptrace-supervisor $$
  attack $who process-vm-writev "RESULT EPERM" "process_vm_writev into pid 1 -> EPERM" -- -- process-vm-writev
  attack $who mount "RESULT EPERM" "mount(tmpfs) -> EPERM" -- -- mount
  attack $who unshare "RESULT EPERM" "unshare(CLONE_NEWNS) -> EPERM" -- -- unshare-mount
  attack $who setns "RESULT (EPERM|EACCES)" "setns into pid 1's mount ns -> EACCES on open" -- -- setns
  attack $who userns-unshare "RESULT EPERM" "unshare(CLONE_NEWUSER) -> EPERM" -- -- userns-unshare
  attack $who userns-clone "RESULT EPERM" "clone(CLONE_NEWUSER) -> EPERM (clone flags filtered)" -- -- userns-clone
  attack $who clone3 "RESULT ENOSYS" "clone3 -> ENOSYS (libc falls back to filtered clone)" -- -- clone3
  attack $who open-by-handle "RESULT EPERM" "open_by_handle_at (shocker) -> EPERM" -- -- open-by-handle
  attack $who keyctl "RESULT EPERM" "keyctl -> EPERM" -- -- keyctl
  attack $who bpf "RESULT EPERM" "bpf(BPF_MAP_CREATE) -> EPERM" -- -- bpf
  attack $who perf-event-open "RESULT EPERM" "perf_event_open -> EPERM" -- -- perf-event-open
  attack $who io-uring "RESULT EPERM" "io_uring_setup -> EPERM" -- -- io-uring
  attack $who write-outside-ro "RESULT EROFS" "create /etc/x under --read-only -> EROFS" -- --read-only --tmpfs /tmp -- write-outside /etc/confine-escape
  attack $who write-outside-landlock "RESULT EACCES" "create $T/x outside --rw /tmp -> EACCES (Landlock)" -- --exec / --rw /tmp -- write-outside "$T/x"
  attack $who leaked-fd "RESULT EBADF" "read the caller's fd 7 -> EBADF (closed)" -- -- leaked-fd 7
  attack $who init-fd "RESULT (ENOENT|EACCES)" "the caller's fd 7 is not open in the sandbox's pid 1 (confine's init closes it too)" -- -- init-fd 7
  attack $who init-keep-fd "RESULT (ENOENT|EACCES)" "--keep-fd 7: the command's, not also pid 1's" -- --keep-fd 7 -- init-fd 7
  attack $who proc-exe-overwrite "RESULT EACCES" "open(/proc/1/exe, O_WRONLY) -> EACCES (CVE-2019-5736)" -- -- proc-exe-overwrite
  attack $who kill-outside "RESULT ESRCH" "kill(host pid) -> ESRCH (pid namespace)" -- -- kill-outside $SLEEPER
  attack $who kill-outside-sharedpid "RESULT EPERM" "kill(host pid) with --share pid -> EPERM (Landlock signal scope)" -- --share pid -- kill-outside $SLEEPER
  attack $who signal-parent "RESULT EPERM" "kill(parent) -> EPERM (Landlock signal scope)" -- -- signal-parent
  attack $who signal-parent-sharedpid "RESULT EPERM" "kill(confine) with --share pid -> EPERM" -- --share pid -- signal-parent
  attack $who chroot-escape "RESULT EPERM" "chroot escape with --cap-drop ALL -> EPERM" -- --cap-drop ALL -- chroot-escape
  attack $who memfd-exec "RESULT EPERM" "exec an unlisted memfd with --exec -> memfd_create EPERM" -- --exec / -- memfd-exec
  if [ $who = root ]; then sym="RESULT EROFS"; else sym="RESULT (EROFS|EACCES)"; fi
  attack $who symlink-ro "$sym" "write through /tmp symlink into ro tree -> EROFS" -- --read-only --tmpfs /tmp -- symlink-ro
  attack $who core-pattern "RESULT (EROFS|EACCES)" "open(/proc/sys/kernel/core_pattern, W) -> EROFS" -- -- core-pattern
  attack $who core-pattern-sharedpid "RESULT (EROFS|EACCES)" "same on the host /proc (--share pid) -> EROFS" -- --share pid -- core-pattern
  attack $who sysfs-write "RESULT (EROFS|EACCES)" "open(/sys knob, W) -> EROFS (/sys read-only)" -- -- sysfs-write
  attack $who setuid-root "RESULT (EPERM|EINVAL)" "setuid(0) as uid 65534 -> EPERM (EINVAL: 0 unmapped in a user ns)" -- --user 65534 -- setuid-root
done
kill -0 $SLEEPER 2>/dev/null || { failed=$((failed + 1)); echo "ESCAPED: the host sleeper was killed"; t_result fail escape_suite/host-sleeper "the host sleeper was killed"; }

# Controls: without the protection the attacks work (so the checks above can fail).
control setuid-binary "ESCALATED euid=0" --allow-privilege-escalation --user 65534 -- "$ATT" exec "$T/suid" whoami
control file-caps "ESCALATED" --allow-privilege-escalation --user 65534 -- "$ATT" exec "$T/fcap" whoami
control write-outside "RESULT ok" --seccomp unconfined -- "$ATT" write-outside "$T/control-x"
control memfd-exec "^$" --seccomp unconfined -- "$ATT" memfd-exec
control clone3 "RESULT ok" --seccomp unconfined -- "$ATT" clone3

kill $SLEEPER 2>/dev/null; SLEEPER=

# Where this kernel lacks int $0x80 the int80 attacks still run, confined, inside Debian's cloud kernel under
# qemu (tools/int80-vm): by default when the absence is real; ESCAPE_INT80_VM=1 also when forced, 0 never.
if [ -n "$int80_why" ]; then
  vm=${ESCAPE_INT80_VM:-auto}
  [ "$vm" = auto ] && { [[ $int80_why == "forced absent"* ]] && vm=0 || vm=1; }
  if [ "$vm" = 1 ]; then
    echo "int \$0x80 absent here ($int80_why): the int80 attacks in qemu with Debian's cloud kernel:"
    "$SRC/tools/int80-vm" "$BIN" "$SRC" || failed=$((failed + 1))
  fi
fi
echo "escape suite: $tried attacks tried, $blocked blocked, $crashed crashed, $((failed - crashed)) not blocked (${#names[@]} distinct attacks as root and as uid 65534); $notapplicable not applicable here; controls: $controls_ok/$((controls_ok + controls_bad)) succeeded unprotected"
[ $failed = 0 ] && [ $controls_bad = 0 ]
