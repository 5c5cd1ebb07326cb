#!/bin/bash
# confine run --apparmor: the seeds' deny-write profile enforced through
# Landlock on the real kernel (no AppArmor LSM needed). A program may read
# anywhere and write nowhere; the same command without the profile writes
# (so the test can fail); a broken profile fails closed (exit 125, not run).
# usage: bash run_apparmor.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
PROFILE=$SRC/tests/fixtures/apparmor/deny-write.profile
T=$(mktemp -d /tmp/confine-aa-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fails=0
check() {  # check NAME CONDITION-RESULT(0=ok) DETAIL
  if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"; else fails=$((fails + 1)); echo "FAIL $1: $3"; fi
}

out=$("$BIN" run --apparmor "$PROFILE" -- sh -c "echo x > $T/written" 2>&1); rc=$?
[ $rc != 0 ] && [ ! -e "$T/written" ] && echo "$out" | grep -q "Permission denied"
check "write under /tmp is denied" $? "rc=$rc out=$out"

out=$("$BIN" run --apparmor "$PROFILE" -- sh -c "echo x > /dev/shm/confine-aa-$$" 2>&1); rc=$?
[ $rc != 0 ] && [ ! -e "/dev/shm/confine-aa-$$" ]
check "write under /dev/shm is denied" $? "rc=$rc out=$out"
rm -f "/dev/shm/confine-aa-$$"

out=$("$BIN" run --apparmor "$PROFILE" -- cat /etc/hostname 2>/dev/null); rc=$?
[ $rc = 0 ] && [ "$out" = "$(cat /etc/hostname)" ]
check "read of /etc/hostname works" $? "rc=$rc out=$out"

out=$("$BIN" run --apparmor "$PROFILE" -- ls /usr/bin 2>/dev/null | wc -l)
[ "$out" -gt 10 ]
check "directory listing works" $? "listed $out entries"

"$BIN" run -- sh -c "echo x > $T/control" 2>/dev/null
[ -e "$T/control" ]
check "control: the same write without --apparmor succeeds" $? "no file written"

out=$("$BIN" run --dry-run --apparmor "$PROFILE" -- true 2>&1)
echo "$out" | grep -q -- "--apparmor $PROFILE as its own layer"
check "--dry-run shows the AppArmor layer" $? "$out"

printf 'profile broken {\n  /etc/** rq,\n}\n' > "$T/broken.profile"
out=$("$BIN" run --apparmor "$T/broken.profile" -- touch "$T/ran" 2>&1); rc=$?
[ $rc = 125 ] && [ ! -e "$T/ran" ] && echo "$out" | grep -q "broken.profile:2:"
check "broken profile: exit 125 with position, command not run" $? "rc=$rc out=$out"

out=$("$BIN" run --apparmor "$T/missing.profile" -- touch "$T/ran2" 2>&1); rc=$?
[ $rc = 125 ] && [ ! -e "$T/ran2" ]
check "missing profile: exit 125, command not run" $? "rc=$rc out=$out"

echo "run --apparmor: $pass passed, $fails failed"
[ $fails = 0 ]
