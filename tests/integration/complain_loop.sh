#!/usr/bin/env bash
# The whole complain -> fix -> enforce loop on the real kernel, without an
# AppArmor LSM: record a program, run a bigger task under both profiles in
# complain mode (nothing blocked, everything logged), feed the log to
# `logs --to-seccomp -w` and `logs --to-apparmor -w`, then enforce both
# profiles: the bigger task must now pass, and something neither run did must
# still be blocked.
#   bash complain_loop.sh CONFINE_BIN SRC_DIR
set -uo pipefail
CONFINE=$1
W=$(mktemp -d /tmp/confine-loop.XXXXXX)
[ "${W#/tmp/}" != "$W" ] || exit 1
trap 'rm -rf "$W"' EXIT
fails=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }

timeout -k 5 60 "$CONFINE" record --format none -o "$W/p" -- ls /usr >/dev/null 2>"$W/rec.err" ||
  { cat "$W/rec.err"; fail "record ls /usr"; }
big=(ls -la /etc/hostname /usr)
expected=$("${big[@]}" 2>&1)
# Enforced before the loop: the bigger task does not work (ls reports the
# denied getxattr/lstat, shows uids: no nsswitch files, but may still exit 0).
timeout -k 5 60 "$CONFINE" run --profile "$W/p" -- "${big[@]}" >"$W/before.out" 2>"$W/before.err"
rc=$?
if [ $rc != 0 ] || [ "$(cat "$W/before.out")" != "$expected" ]; then
  pass "enforced, the bigger task does not work before the loop (exit $rc, output differs)"
else
  fail "the recorded profiles already allow the bigger task (the test could not fail)"
fi
# Complain: nothing blocked, everything logged.
timeout -k 5 60 "$CONFINE" run --profile "$W/p" --mode complain --apparmor-mode complain --log "$W/ev.jsonl" \
  -- "${big[@]}" >"$W/complain.out" 2>"$W/complain.err"
rc=$?
[ $rc = 0 ] && [ "$(cat "$W/complain.out")" = "$expected" ] &&
  pass "complain run blocks nothing (exit 0, same output as plain)" || fail "complain run: exit $rc or output differs"
grep -q '"kind":"seccomp"' "$W/ev.jsonl" && pass "complain log has seccomp events" ||
  fail "no seccomp events in the complain log"
grep -q '"kind":"apparmor"' "$W/ev.jsonl" && pass "complain log has AppArmor events" ||
  fail "no AppArmor events in the complain log"
"$CONFINE" logs "$W/ev.jsonl" --to-seccomp "$W/p/seccomp.json" -w 2>"$W/ts.err" &&
  grep -q "allowed" "$W/ts.err" && pass "logs --to-seccomp -w added syscalls: $(grep allowed "$W/ts.err")" ||
  { cat "$W/ts.err"; fail "logs --to-seccomp -w"; }
"$CONFINE" logs "$W/ev.jsonl" --to-apparmor "$W/p/apparmor.profile" -w >"$W/ta.out" 2>"$W/ta.err" &&
  grep -q '^+' "$W/ta.out" && pass "logs --to-apparmor -w added rules: $(grep -c '^+ ' "$W/ta.out") line(s)" ||
  { cat "$W/ta.out" "$W/ta.err"; fail "logs --to-apparmor -w"; }
if command -v apparmor_parser >/dev/null; then
  apparmor_parser -Q -K "$W/p/apparmor.profile" >/dev/null 2>&1 && pass "the extended AppArmor profile passes apparmor_parser -Q -K" ||
    fail "apparmor_parser rejects the extended profile"
fi
# Enforced after the loop: same output as the plain run.
timeout -k 5 60 "$CONFINE" run --profile "$W/p" -- "${big[@]}" >"$W/after.out" 2>"$W/after.err"
rc=$?
[ $rc = 0 ] && [ "$(cat "$W/after.out")" = "$expected" ] && pass "enforced after the loop: exit 0, same output as plain" ||
  { cat "$W/after.err"; fail "enforced after the loop: exit $rc"; }
# Still tight: a write neither run did is blocked.
timeout -k 5 60 "$CONFINE" run --profile "$W/p" -- touch "$W/new-file" >/dev/null 2>&1
[ ! -e "$W/new-file" ] && pass "still blocked: touch of a new file" || fail "touch was allowed"
echo "complain_loop: $fails failure(s)"
[ $fails = 0 ]
