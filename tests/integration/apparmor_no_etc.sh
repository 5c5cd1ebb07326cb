#!/usr/bin/env bash
# confine does not need AppArmor installed: with /etc/apparmor.d hidden (an empty
# tmpfs in a private mount namespace, as on a host without the apparmor package)
#   - `confine harden` records, generates and replays its sample with 0 false denials,
#   - the generated profile is self-contained (no include) and byte-identical to the
#     one generated from the same behavior with /etc/apparmor.d present,
#   - its Landlock translation grants no write on /, /root, /home, /dev (never widens),
#   - a user's profile whose include is missing: exit 125, the command never runs, and
#     the error names the include, where it looked and the Debian package.
#   bash apparmor_no_etc.sh CONFINE_BIN SRC_DIR
set -uo pipefail
CONFINE=$(realpath "$1")
W=$(mktemp -d /tmp/confine-noetc.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0
check() { if eval "$2"; then echo "PASS: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }
# hidden CMD...: run CMD with /etc/apparmor.d an empty tmpfs
hidden() { timeout -k 5 300 unshare $([ "$(id -u)" = 0 ] || echo -r) -m sh -c 'mount --make-rprivate / && mount -t tmpfs none /etc/apparmor.d && exec "$@"' sh "$@"; }

[ -d /etc/apparmor.d/tunables ] || { echo "FAIL: this test hides /etc/apparmor.d; the build machine installs apparmor"; exit 1; }
check "the hiding works (no tunables inside)" "! hidden test -e /etc/apparmor.d/tunables/global"

# The acceptance check of the fresh-machine issue.
TMPDIR=$W hidden "$CONFINE" harden -o "$W/h" >"$W/h.out" 2>"$W/h.err"
rc=$?
sed 's/^/    /' "$W/h.out" | tail -8
[ $rc = 0 ] || sed 's/^/    /' "$W/h.err" | tail -20
check "harden without /etc/apparmor.d exits 0" "[ $rc = 0 ]"
check "... with 0 false denials" "grep -q '0 false denials' '$W/h.out'"
check "the profile is self-contained (no include)" "[ -s '$W/h/apparmor.profile' ] && ! grep -q '^ *include' '$W/h/apparmor.profile'"

# Same behavior -> same profile, with and without /etc/apparmor.d.
"$CONFINE" apparmor generate "$W/h/behavior.json" -n same --out "$W/with.profile" 2>/dev/null
hidden "$CONFINE" apparmor generate "$W/h/behavior.json" -n same --out "$W/without.profile" 2>/dev/null
check "byte-identical profile with and without /etc/apparmor.d" "[ -s '$W/with.profile' ] && cmp -s '$W/with.profile' '$W/without.profile'"
if command -v apparmor_parser >/dev/null; then
  apparmor_parser -Q -K "$W/with.profile" >"$W/aa.out" 2>&1
  check "apparmor_parser -Q -K accepts it" "[ $? = 0 ]" || sed 's/^/    /' "$W/aa.out" | head -5
fi

# Never widen: no write right on /, /root, /home, /dev in the Landlock translation.
"$CONFINE" apparmor to-landlock "$W/h/apparmor.profile" -o json >"$W/ll.json" 2>"$W/ll.err"
check "to-landlock of the generated profile" "[ $? = 0 ]"
python3 - "$W/ll.json" >"$W/ll.bad" 2>&1 <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rules = d.get("rules", [])
for r in rules:
    p, acc = r["path"], r["access"]
    acc = acc if isinstance(acc, list) else str(acc).split(",")
    w = [a for a in acc if any(k in a for k in ("write", "make_", "remove_", "truncate", "refer"))]
    if w and (p in ("/", "/root", "/home", "/dev", "/proc", "/sys", "/etc")):
        print(p, w)
PY
py=$?
check "no write right on /, /root, /home, /dev, /proc, /sys, /etc" "[ $py = 0 ] && [ ! -s '$W/ll.bad' ]" || cat "$W/ll.bad"

# A user's profile whose include is missing.
cat >"$W/user.profile" <<'AA'
include <tunables/global>
profile user {
  /** rwix,
}
AA
hidden "$CONFINE" run --apparmor "$W/user.profile" -- touch "$W/ran" >"$W/u.out" 2>"$W/u.err"
rc=$?
sed 's/^/    /' "$W/u.err"
check "missing include: exit 125" "[ $rc = 125 ]"
check "... the command never ran" "[ ! -e '$W/ran' ]"
check "... the error names the include, where it looked and the package" \
  "grep -q '<tunables/global>' '$W/u.err' && grep -q '/etc/apparmor.d/tunables/global' '$W/u.err' && grep -q 'Debian package apparmor' '$W/u.err'"

echo "apparmor_no_etc: $fails failure(s)"
[ $fails = 0 ]
