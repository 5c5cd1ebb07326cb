#!/usr/bin/env bash
# Generated AppArmor profiles, validated by the real apparmor_parser and replayed:
# for real programs, `confine record -o DIR -- CMD`, then the profile
# (DIR/apparmor.profile when record writes it, else `confine apparmor generate
# DIR/behavior.json`) must
#   - pass `apparmor_parser -Q -K` (the AppArmor project's own compiler, against
#     the real /etc/apparmor.d abstractions and tunables),
#   - be a fixed point of `confine apparmor fmt`,
#   - replay the same command enforced (`confine run --seccomp unconfined
#     --apparmor PROFILE`, file rules as a Landlock ruleset) with the same exit
#     status and stdout and no denial.
# A profile with a recorded path removed must make the replay fail (the test can fail).
#   bash apparmor_generated.sh CONFINE_BIN SRC_DIR
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/record.sh"
CONFINE=$1
W=$(mktemp -d /tmp/confine-aagen.XXXXXX)
trap 'rm -rf "$W"' EXIT
PY=/usr/bin/python3
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
if ! command -v apparmor_parser >/dev/null; then  # make deps-test installs it: missing is a failure
  echo "FAIL: apparmor_parser not installed (package apparmor, make deps-test)"
  exit 1
fi

# profile_of NAME DIR: the generated profile path
profile_of() {
  local name=$1 d=$2
  if [ -s "$d/apparmor.profile" ]; then
    echo "$d/apparmor.profile"
  else
    "$CONFINE" apparmor generate "$d/behavior.json" -n "gen-$name" --out "$W/$name.profile" 2>"$W/$name.gen.err" ||
      { sed 's/^/    /' "$W/$name.gen.err" >&2; return 1; }
    echo "$W/$name.profile"
  fi
}

# check NAME [--nondet] -- CMD...
check() {
  local name=$1 nondet=0
  shift
  [ "$1" = --nondet ] && { nondet=1; shift; }
  [ "$1" = -- ] && shift
  local d=$W/$name
  record_workload "$name" "$d" "$@"
  local rc1=$rec_rc
  local prof
  prof=$(profile_of "$name" "$d") || { fail "$name: no profile generated"; return; }
  if ! apparmor_parser -Q -K --base /etc/apparmor.d "$prof" >"$W/$name.aa.out" 2>&1; then
    fail "$name: apparmor_parser -Q -K rejects the profile"; sed 's/^/    /' "$W/$name.aa.out" | head -5; return
  fi
  "$CONFINE" apparmor fmt "$prof" >"$W/$name.fmt" 2>&1
  if ! cmp -s "$prof" "$W/$name.fmt"; then
    fail "$name: apparmor fmt is not a fixed point"; diff "$prof" "$W/$name.fmt" | head -5; return
  fi
  timeout -k 5 60 "$CONFINE" run --seccomp unconfined --apparmor "$prof" -- "$@" \
    >"$W/$name.rep.out" 2>"$W/$name.rep.err" </dev/null
  local rc2=$?
  if [ "$rc1" != "$rc2" ]; then
    fail "$name: recorded exit $rc1, replay exit $rc2"
    echo "    recording's stderr:"; grep -v '^confine: ' "$W/$name.rec.err" | tail -5 | sed 's/^/    | /'
    echo "    replay's stderr:"; grep -v 'warning:' "$W/$name.rep.err" | tail -5 | sed 's/^/    /'
    sed 's/^/    | /' "$prof"; return
  fi
  if [ $nondet = 0 ] && ! cmp -s "$W/$name.rec.out" "$W/$name.rep.out"; then
    fail "$name: replay stdout differs"; diff "$W/$name.rec.out" "$W/$name.rep.out" | head -5; return
  fi
  if grep -qiE "permission denied|operation not permitted" "$W/$name.rep.err"; then
    fail "$name: a denial in the replay: $(grep -iE 'permission denied|operation not permitted' "$W/$name.rep.err" | head -1)"
    return
  fi
  printf 'PASS: %-11s exit %-3s %3s rules, includes: %s  (%s)\n' "$name" "$rc1" \
    "$(grep -cE '^  [^ #i].*,' "$prof")" "$(grep -oE 'abstractions/[a-z_-]+' "$prof" | sed 's|abstractions/||' | tr '\n' ' ')" "$*"
}

mkdir -p "$W/data/sub"
for i in $(seq 1 50); do echo "line $((i * 7919 % 101))" >>"$W/data/lines.txt"; done
cp "$W/data/lines.txt" "$W/data/sub/copy.txt"

check ls -- ls -la /usr
check sort -- sort "$W/data/lines.txt"
check tar -- tar czf "$W/data.tgz" -C "$W" data
cat >"$W/pipes.sh" <<'SH'
set -e
echo start
( cd /usr/share && ls | head -3 ) | sort -r
x=$( (echo a; echo b) | wc -l )
echo "subshell lines: $x"
t=$(mktemp)
echo tmp >"$t"; cat "$t"; rm -f "$t"
for f in 1 2 3; do echo "$f" ; done | tr '\n' ' ' ; echo
SH
check sh-pipes -- sh "$W/pipes.sh"
cat >"$W/threads.py" <<'PY'
import subprocess, threading
results = [0] * 4
def work(i):
    results[i] = sum(range(20000 * (i + 1)))
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("threads:", results)
print("subprocess:", subprocess.run(["echo", "from child"], capture_output=True, text=True).stdout.strip())
PY
check py-threads -- "$PY" "$W/threads.py"
mkdir -p "$W/www" && echo "hello over http" >"$W/www/index.txt"
PORT=$((20000 + RANDOM % 20000))
cat >"$W/http.sh" <<SH
cd "$W/www"
$PY -m http.server --bind 127.0.0.1 $PORT >/dev/null 2>&1 &
srv=\$!
sleep 0.2
for i in \$(seq 1 100); do curl -sf http://127.0.0.1:$PORT/index.txt && break; sleep 0.05; done
kill \$srv
echo done
SH
check http -- sh "$W/http.sh"
grep -qE '^  network inet stream,' "$W/http.profile" "$W/http/apparmor.profile" 2>/dev/null &&
  pass "http: network inet stream rule from the recorded socket(AF_INET, SOCK_STREAM)" ||
  fail "http: no 'network inet stream,' rule"

# The test can fail: without the rule for the data file, sort's replay is denied.
sp=$(profile_of sort "$W/sort")
# (the data file's rule: lines.txt itself, or $W/data/* by the path row data-dir)
grep -v "lines.txt\|$W/data/\*" "$sp" >"$W/sort-cut.profile"
if ! cmp -s "$sp" "$W/sort-cut.profile" && ! "$CONFINE" run --seccomp unconfined --apparmor "$W/sort-cut.profile" -- \
  sort "$W/data/lines.txt" >/dev/null 2>"$W/sort-cut.err"; then
  pass "sort without its data-file rule: replay denied ($(grep -v warning: "$W/sort-cut.err" | head -1))"
else
  fail "sort without its data-file rule still replays (or the rule was missing)"
fi

# Deterministic: record's DIR/apparmor.profile and `apparmor generate` of the same behavior.json
# (another process, later) are the same text.
if [ -s "$W/sort/apparmor.profile" ]; then
  n=$(sed -n 's/^profile \([^ ]*\) .*/\1/p' "$W/sort/apparmor.profile")
  "$CONFINE" apparmor generate "$W/sort/behavior.json" -n "$n" 2>/dev/null | cmp -s - "$W/sort/apparmor.profile" &&
    pass "deterministic: record's apparmor.profile == apparmor generate of its behavior.json" ||
    fail "record's apparmor.profile differs from apparmor generate: $(diff <("$CONFINE" apparmor generate "$W/sort/behavior.json" -n "$n" 2>/dev/null) "$W/sort/apparmor.profile" | head -5)"
fi

# Complain mode: flags=(complain), still valid.
"$CONFINE" apparmor generate "$W/ls/behavior.json" -n gen-ls-complain --mode complain --out "$W/lsc.profile" 2>/dev/null
grep -q 'profile gen-ls-complain /usr/bin/ls flags=(complain) {' "$W/lsc.profile" &&
  apparmor_parser -Q -K "$W/lsc.profile" >/dev/null 2>&1 && pass "--mode complain: flags=(complain), parser ok" ||
  fail "--mode complain profile: $(head -c 300 "$W/lsc.profile")"
# Bad input: clear errors, exit codes.
"$CONFINE" apparmor generate "$W/nope.json" >/dev/null 2>"$W/e1"
rc=$?
[ $rc = 1 ] && grep -q "nope.json" "$W/e1" && pass "missing behavior.json: exit 1, names the file" ||
  fail "missing behavior.json: exit $rc: $(cat "$W/e1")"
"$CONFINE" apparmor generate "$W/ls/behavior.json" --mode strict >/dev/null 2>"$W/e2"
rc=$?
[ $rc = 2 ] && grep -q "enforce or complain" "$W/e2" && pass "--mode strict: exit 2" || fail "--mode strict: exit $rc"
"$CONFINE" apparmor generate "$W/ls/behavior.json" -n "bad name" >/dev/null 2>"$W/e3"
rc=$?
[ $rc = 1 ] && grep -q "bad profile name" "$W/e3" && pass "bad profile name: exit 1" || fail "bad name: exit $rc"

echo "$fails failure(s)"
[ $fails = 0 ]
