#!/bin/bash
# `confine apparmor check|fmt|to-landlock`: exit codes, file:line:col messages,
# fmt -w, JSON output, and the seeds' deny-write profile run for real under the
# translated Landlock ruleset (via `confine apparmor to-landlock` + unit API in tests/apparmor).
# usage: bash apparmor_cli.sh CONFINE_BIN SRC_DIR
set -u
BIN=${1:?confine binary}
SRC=${2:?source dir}
FIX=$SRC/tests/fixtures/apparmor
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
run() {  # NAME WANT_RC CMD...
  local name=$1 want=$2
  shift 2
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  [ "$rc" = "$want" ] || fail "$name: exit $rc, want $want; stderr: $(head -3 "$T/err")"
}
expect_err() { grep -qF -- "$2" "$T/err" || fail "$1: stderr lacks '$2': $(head -3 "$T/err")"; }
expect_out() { grep -qF -- "$2" "$T/out" || fail "$1: stdout lacks '$2': $(head -3 "$T/out")"; }

run generate-root 2 "$BIN" apparmor generate /dev/null --root /etc/apparmor.d
expect_err generate-root "a generated profile includes nothing"
run check-features 0 "$BIN" apparmor check "$FIX/features.profile"
expect_out check-features "4 profile(s)"
run check-perms 1 "$BIN" apparmor check "$FIX/bad/perms.profile"
expect_err check-perms "bad/perms.profile:2:17: bad permissions \"rq\": unknown permission 'q'"
run check-unterminated 1 "$BIN" apparmor check "$FIX/bad/unterminated.profile"
expect_err check-unterminated "unterminated.profile:1:11: unterminated profile \"x\""
run check-undefined 1 "$BIN" apparmor check "$FIX/bad/undefined.profile"
expect_err check-undefined "undefined.profile:2:3: undefined variable @{NOPE}"
run check-cycle 1 "$BIN" apparmor check "$FIX/bad/cycle-a"
expect_err check-cycle "include cycle"
run check-missing 1 "$BIN" apparmor check /nonexistent/profile
run usage 2 "$BIN" apparmor frob "$FIX/features.profile"
run usage-noarg 2 "$BIN" apparmor check

# fmt: canonical text the real validator accepts; -w rewrites; idempotent.
cp "$FIX/features.profile" "$T/p"
run fmt-w 0 "$BIN" apparmor fmt -w "$T/p"
run fmt-again 0 "$BIN" apparmor fmt "$T/p"
cmp -s "$T/out" "$T/p" || fail "fmt not idempotent after -w"
grep -q "flags=(complain, attach_disconnected)" "$T/p" || fail "fmt -w did not canonicalise flags"
apparmor_parser -Q -K --base /etc/apparmor.d "$T/p" >/dev/null 2>&1 || fail "apparmor_parser rejects fmt -w output"
[ "$(apparmor_parser -N "$T/p" 2>/dev/null)" == "$(apparmor_parser -N "$FIX/features.profile" 2>/dev/null)" ] ||
  fail "-N names changed by fmt"

# to-landlock: the seed profile -> one rule on / without write rights
printf 'profile apparmor-deny-write flags=(attach_disconnected) { file, deny /** w, }\n' >"$T/seed"
run ll-json 0 "$BIN" apparmor to-landlock "$T/seed" -o json
expect_out ll-json '"path": "/", "access": "execute|read_file|read_dir|ioctl_dev"'
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["abi"] >= 1 and d["rules"][0]["path"] == "/"' "$T/out" ||
  fail "to-landlock -o json is not valid JSON"
run ll-text 0 "$BIN" apparmor to-landlock "$FIX/features.profile" -p confine-features
expect_err ll-text "network rule(s) not expressible in Landlock"
expect_err ll-text "widening row append"
run ll-noprof 1 "$BIN" apparmor to-landlock "$FIX/features.profile" -p nope

[ "$fails" = 0 ] || { echo "apparmor_cli: $fails failure(s)" >&2; exit 1; }
echo "apparmor_cli: ok"
