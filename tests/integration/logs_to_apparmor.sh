#!/usr/bin/env bash
# `confine logs --to-apparmor PROFILE [-w] INPUT...` (aa-logprof without the LSM) on
# published AppArmor denial lines (tests/fixtures/apparmor-logs/audit.log cites them):
# the expected rules are added (letters merged per path, nothing already allowed, deny
# rules respected, other profiles ignored), the result passes the real apparmor_parser,
# -w is idempotent, nothing is written without -w, bad input gives clear errors.
#   bash logs_to_apparmor.sh CONFINE_BIN SRC_DIR
set -uo pipefail
CONFINE=$1
SRC=$2
FX=$SRC/tests/fixtures/apparmor-logs
W=$(mktemp -d /tmp/confine-l2aa.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
have_parser=0
command -v apparmor_parser >/dev/null && have_parser=1

cp "$FX/myapp.profile" "$W/p.profile"
"$CONFINE" logs --to-apparmor "$W/p.profile" "$FX/audit.log" >"$W/diff" 2>"$W/err"
rc=$?
[ $rc = 0 ] && pass "exit 0" || fail "exit $rc: $(cat "$W/err")"
cat >"$W/expected" <<'X'
@@ profile /usr/bin/myapp @@
-  /etc/myapp.conf r, # extended to rw by a logged write
+  /etc/myapp.conf rw, # extended to rw by a logged write
+  capability net_raw,
+  network inet6 dgram,
+  /etc/shadow r,
+  /home/user/.app/ w,
+  /home/user/.app/state rw,
+  /run/myapp/myapp.sock rw,
+  /usr/bin/curl ix,
+  owner @{PROC}/@{pid}/mounts r,
@@ profile /usr/sbin/mysqld @@
+  /data/mysql/ibdata1 r,
X
tail -n +3 "$W/diff" >"$W/diff.body"
if cmp -s "$W/expected" "$W/diff.body"; then
  pass "diff: the 11 expected rule changes, nothing for allowed/other-profile/signal records"
else
  fail "diff differs from expected"; diff "$W/expected" "$W/diff.body" | head -20
fi
grep -q "deny rule at .*p.profile:17:3; not added" "$W/err" && pass "explicit deny respected (noted with its position)" ||
  fail "no note about the deny rule: $(cat "$W/err")"
grep -q "profile docker-default (not in" "$W/err" && pass "other profiles ignored with a note" || fail "no docker-default note"
cmp -s "$FX/myapp.profile" "$W/p.profile" && pass "without -w nothing is written" || fail "profile changed without -w"

"$CONFINE" logs --to-apparmor "$W/p.profile" -w "$FX/audit.log" >/dev/null 2>"$W/err"
grep -q "^  /home/user/.app/state rw,$" "$W/p.profile" && grep -q "^  /etc/myapp.conf rw," "$W/p.profile" &&
  pass "-w wrote the rules" || fail "-w did not write: $(cat "$W/err")"
if [ $have_parser = 1 ]; then
  apparmor_parser -Q -K --base /etc/apparmor.d "$W/p.profile" >"$W/aa" 2>&1 && pass "apparmor_parser -Q -K accepts the result" ||
    { fail "apparmor_parser rejects the result"; cat "$W/aa"; }
fi
cp "$W/p.profile" "$W/p.before"
"$CONFINE" logs --to-apparmor "$W/p.profile" -w "$FX/audit.log" >"$W/diff2" 2>"$W/err2"
[ ! -s "$W/diff2" ] && cmp -s "$W/p.before" "$W/p.profile" && grep -q ": 0 rule(s) added" "$W/err2" &&
  pass "-w is idempotent (second run adds nothing)" || fail "second run changed something: $(cat "$W/diff2")"
"$CONFINE" apparmor fmt "$W/p.profile" | cmp -s - "$W/p.profile" && pass "written profile is canonical (fmt fixed point)" ||
  fail "written profile is not a fmt fixed point"

# Landlock denials for a one-profile file.
cp "$FX/tool.profile" "$W/t.profile"
"$CONFINE" logs --to-apparmor "$W/t.profile" -w "$FX/landlock.log" >"$W/tdiff" 2>"$W/terr"
grep -qx "+  /etc/hostname r," "$W/tdiff" && grep -qx "+  /var/lib/tool/db w," "$W/tdiff" &&
  grep -qx "+  /var/spool/tool/\* w," "$W/tdiff" && pass "Landlock records: read_file, write_file, make_reg -> rules" ||
  fail "Landlock records: $(cat "$W/tdiff" "$W/terr")"
[ $have_parser = 0 ] || apparmor_parser -Q -K "$W/t.profile" >/dev/null 2>&1 && pass "Landlock result passes apparmor_parser" ||
  fail "Landlock result rejected by apparmor_parser"

# End to end on the real kernel: `confine run` in AppArmor complain mode logs what the profile
# lacks (kind=apparmor JSON lines), --to-apparmor -w adds it, the enforced replay (Landlock) passes.
cat >"$W/cm.profile" <<'P'
include <tunables/global>
profile cm {
  include <abstractions/base>
  /usr/bin/cat mrix,
  /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 mrix,
}
P
echo data >"$W/cm-data.txt"
"$CONFINE" run --seccomp unconfined --apparmor "$W/cm.profile" -- cat /etc/hostname "$W/cm-data.txt" >/dev/null 2>&1
rc_before=$?
"$CONFINE" run --seccomp unconfined --apparmor "$W/cm.profile" --apparmor-mode complain --log "$W/cm.log" \
  -- cat /etc/hostname "$W/cm-data.txt" >/dev/null 2>"$W/cm.err"
"$CONFINE" logs --to-apparmor "$W/cm.profile" -w "$W/cm.log" >"$W/cm.diff" 2>>"$W/cm.err"
"$CONFINE" run --seccomp unconfined --apparmor "$W/cm.profile" -- cat /etc/hostname "$W/cm-data.txt" >"$W/cm.out" 2>>"$W/cm.err"
rc_after=$?
if [ $rc_before != 0 ] && [ $rc_after = 0 ] && grep -q '^data$' "$W/cm.out" && grep -qx '+  /etc/hostname r,' "$W/cm.diff"; then
  pass "complain run -> --to-apparmor -w -> enforced replay passes (before: exit $rc_before)"
else
  fail "complain loop: before $rc_before, after $rc_after: $(cat "$W/cm.diff"; tail -3 "$W/cm.err")"
fi

# Bad input.
"$CONFINE" logs --to-apparmor "$W/missing.profile" "$FX/audit.log" >/dev/null 2>"$W/e1"
rc=$?
[ $rc = 1 ] && grep -q "missing.profile.*No such file" "$W/e1" && pass "missing profile: exit 1, clear message" ||
  fail "missing profile: exit $rc: $(cat "$W/e1")"
cp "$FX/bad.profile" "$W/bad.profile"
"$CONFINE" logs --to-apparmor "$W/bad.profile" -w "$FX/audit.log" >/dev/null 2>"$W/e2"
rc=$?
[ $rc = 1 ] && grep -q "bad.profile:4:17: bad permissions" "$W/e2" && cmp -s "$FX/bad.profile" "$W/bad.profile" &&
  pass "syntax error: exit 1 with file:line:col, file untouched" || fail "syntax error: exit $rc: $(cat "$W/e2")"
"$CONFINE" logs --to-apparmor "$W/p.profile" "$W/nolog.txt" >/dev/null 2>"$W/e3"
rc=$?
[ $rc = 1 ] && grep -q "nolog.txt" "$W/e3" && pass "missing log input: exit 1" || fail "missing log: exit $rc"
"$CONFINE" logs --to-apparmor "$W/p.profile" --follow "$FX/audit.log" >/dev/null 2>"$W/e4"
rc=$?
[ $rc = 2 ] && pass "--follow with --to-apparmor: usage error (exit 2)" || fail "--follow: exit $rc"
"$CONFINE" logs --to-apparmor "$W/p.profile" --to-seccomp x.json "$FX/audit.log" >/dev/null 2>&1
rc=$?
[ $rc = 2 ] && pass "--to-seccomp with --to-apparmor: exit 2" || fail "both modes: exit $rc"
printf '{"kind":"apparmor","profile":"/usr/bin/myapp"}\nnot json {"apparmor"\n' >"$W/badjson.log"
"$CONFINE" logs --to-apparmor "$W/p.profile" "$W/badjson.log" >/dev/null 2>"$W/e5"
rc=$?
[ $rc = 0 ] && grep -q 'without "path"' "$W/e5" && pass "malformed complain JSON line: warned and skipped" ||
  fail "bad JSON line: exit $rc: $(cat "$W/e5")"

echo "$fails failure(s)"
[ $fails = 0 ]
