#!/bin/bash
# Denials of a generated profile are visible in production: the profile carries
# SECCOMP_FILTER_FLAG_LOG, `confine run` applies it, the kernel writes a type=1326
# record and `confine logs --comm NAME` shows it. The profile's deliberate ERRNO rule
# (clone3 -> ENOSYS, hit by every new thread under glibc 2.34+) must not reach the
# log: the kernel log is rate-limited (10 records per 5 s without auditd), so 200
# thread starts would otherwise hide the real denial that follows them.
# usage: bash seccomp_log.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
T=$(mktemp -d /var/tmp/confine-seclog.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
PY=/usr/bin/python3
[ -x $PY ] || { echo "FAIL: $PY missing (make test installs python3)"; exit 1; }
grep -qw errno /proc/sys/kernel/seccomp/actions_logged ||
  { echo "FAIL: this kernel does not log seccomp errno actions (actions_logged: $(cat /proc/sys/kernel/seccomp/actions_logged))"; exit 1; }
cat >"$T/thr.py" <<'EOF'
import os, sys, threading
for i in range(int(sys.argv[1])):
    t = threading.Thread(target=lambda: None); t.start(); t.join()
if len(sys.argv) > 2:
    try:
        os.symlink("/etc/hostname", sys.argv[2])
    except OSError as e:
        print("symlink:", e.strerror)
print("done")
EOF
"$CONFINE" record -o "$T/p" -- $PY "$T/thr.py" 3 >/dev/null 2>"$T/rec.err" || { echo "FAIL: record: $(cat "$T/rec.err")"; exit 1; }
grep -q '"flags": \["SECCOMP_FILTER_FLAG_LOG"\]' "$T/p/seccomp.json" && pass "generated profile asks for SECCOMP_FILTER_FLAG_LOG" ||
  fail "no LOG flag in the generated profile"
grep -q '"clone3"' "$T/p/seccomp.json" && pass "profile has the clone3 ENOSYS rule" || fail "no clone3 rule"
"$CONFINE" run --dry-run --profile "$T/p" -- true | grep -q "LOG: denials reach the kernel audit log; its ERRNO rules in an unlogged filter" &&
  pass "--dry-run shows the LOG flag and the unlogged ERRNO filter" || fail "dry-run: $("$CONFINE" run --dry-run --profile "$T/p" -- true)"
sleep 6  # a fresh printk rate-limit window (5 s)
S=$(date +%s.%N)
out=$("$CONFINE" run --profile "$T/p" -- $PY "$T/thr.py" 200 "$T/link" 2>/dev/null)
echo "$out" | grep -q "symlink: Operation not permitted" && pass "symlink (never recorded) denied" || fail "run: $out"
sleep 0.5
ev=$("$CONFINE" logs --since "@$S" --comm python3 -o json 2>/dev/null)
n_sym=$(echo "$ev" | grep -c '"syscall": *"symlink')
n_c3=$(echo "$ev" | grep -c '"syscall": *"clone3"')
[ "$n_sym" -ge 1 ] && pass "the denial is in the kernel log: confine logs --comm python3 shows symlink" ||
  fail "no symlink record (clone3 records: $n_c3): $ev"
[ "$n_c3" = 0 ] && pass "200 thread starts left no clone3 record (deliberate ENOSYS is not logged)" ||
  fail "$n_c3 clone3 records drowned the log"
echo "seccomp_log: $fails failure(s)"
[ $fails = 0 ]
