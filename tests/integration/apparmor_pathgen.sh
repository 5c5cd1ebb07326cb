#!/usr/bin/env bash
# Path-side generalisation (docs/generalisation.md, "Path side"): a program recorded on a
# training input, then enforced on a check input that reads other files of the same data
# directory (and of a new sub-directory of it), includes other system headers and creates
# other output names, must pass under `confine run --profile DIR` (seccomp + the Landlock
# translation of DIR/apparmor.profile), with the same exit status and output as
# unconfined. Near misses
# must be denied under the same profile: a sibling directory of the data directory, a file
# of its parent, a write into a directory only read (or its sub-directory), a write outside
# the directories written (writes reach the written directory's sub-directories, never a
# dot-directory directly beneath, rows data-dir and work-tree: the unit tests check the
# AppArmor side). With
# --tightness strict (the exact trace) the check input is denied: the rows are what makes
# it pass. Every generated profile passes apparmor_parser -Q -K.
# Enforcer: seccomp + Landlock (this host has no AppArmor LSM).
#   bash apparmor_pathgen.sh CONFINE_BIN SRC_DIR
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/record.sh"
CONFINE=$1
W=$(mktemp -d /tmp/confine-pathgen.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
if ! command -v apparmor_parser >/dev/null; then # make deps-test installs it: missing is a failure
  echo "FAIL: apparmor_parser not installed (package apparmor, make deps-test)"
  exit 1
fi
if ! command -v cpp >/dev/null || [ ! -e /usr/include/zlib.h ]; then
  echo "FAIL: cpp or /usr/include/zlib.h missing (packages cpp, zlib1g-dev, make deps-test)"
  exit 1
fi
D=$W/data # the same absolute path for training and check (production: same directory, other files)

# The workload: concatenate the inputs, copy each to the output directory (new names on
# other inputs), preprocess a C file (other headers on other inputs).
cat >"$W/workload.sh" <<'EOF'
set -e
D=$1
for f in "$D"/in/*.txt; do cat "$f"; done
for f in "$D"/in/*/*.txt; do if [ -e "$f" ]; then cat "$f"; fi; done
cp "$D"/in/*.txt "$D"/out/
cpp -P "$D/src/main.c" -o "$D/out/main.i"
grep -c . "$D/out/main.i" >/dev/null
ls "$D/out"
EOF

prepare() { # prepare train|check: a fresh data directory
  rm -rf "$D" "$W/sibling"
  mkdir -p "$D/in" "$D/out" "$D/src" "$W/sibling"
  echo secret >"$W/sibling/secret"
  echo alpha >"$D/in/a.txt"
  echo beta >"$D/in/b.txt"
  if [ "$1" = train ]; then
    printf '#include <stdio.h>\nint main(void) { return 0; }\n' >"$D/src/main.c"
  else
    mkdir "$D/in/sub" && echo other >"$D/in/sub/f.txt" # a sub-directory of a data directory read
    echo top >"$D/top.txt"                               # beside the data directories: other data
    echo gamma >"$D/in/c.txt"
    echo delta >"$D/in/d.txt"
    printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <zlib.h>\nint main(void) { return 0; }\n' >"$D/src/main.c"
  fi
}

# record TIGHTNESS PROFDIR
record() {
  prepare train
  record_workload "rec-$1" "$2" sh "$W/workload.sh" "$D" --tightness "$1"
}
# record_workload puts options after "--": record with the option in front instead.
record_workload() {
  local name=$1 d=$2
  shift 2
  local args=("$@") tight=${args[-1]}
  unset 'args[-1]'
  unset 'args[-1]'
  timeout -k 5 120 "$CONFINE" record --format none --tightness "$tight" -o "$d" -- "${args[@]}" \
    >"$W/$name.rec.out" 2>"$W/$name.rec.err" </dev/null
  rec_rc=$?
  if [ "$rec_rc" != 0 ] && grep -q "Cannot fork" "$W/$name.rec.err"; then
    echo "NOTE: $name: the recording hit the observer effect (dash: Cannot fork); recording again"
    timeout -k 5 120 "$CONFINE" record --format none --tightness "$tight" -o "$d" -- "${args[@]}" \
      >"$W/$name.rec.out" 2>"$W/$name.rec.err" </dev/null
    rec_rc=$?
  fi
}

P=$W/prof
record default "$P"
if [ "$rec_rc" != 0 ] || [ ! -s "$P/apparmor.profile" ]; then
  fail "record (default) exit $rec_rc"
  sed 's/^/    /' "$W/rec-default.rec.err" | tail -20
  exit 1
fi
if apparmor_parser -Q -K --base /etc/apparmor.d "$P/apparmor.profile" >"$W/aa.out" 2>&1; then
  pass "apparmor_parser -Q -K accepts the generated profile"
else
  fail "apparmor_parser -Q -K rejects the generated profile"
  sed 's/^/    /' "$W/aa.out" | head -5
fi
for row in "system-headers" "data-dir"; do
  if grep -q "generalised: .*(row $row:" "$W/rec-default.rec.err"; then
    pass "record prints the widening of row $row"
  else
    fail "record does not print row $row"
    grep generalis "$W/rec-default.rec.err" | sed 's/^/    /'
  fi
done
for rule in "$D/in/\*\* r," "$D/out/\* r\?w," "/usr/include/\*\* r,"; do
  if grep -q "^  $rule" "$P/apparmor.profile"; then pass "profile has ${rule//\\/}"; else fail "profile lacks ${rule//\\/}"; fi
done
# The output first, then grep: with pipefail, `confine ... | grep -q` fails when grep exits at its match
# before confine has written the rest (SIGPIPE, 141): a flake seen on a fresh machine.
dry=$("$CONFINE" run --dry-run --profile "$P" -- true 2>&1)
if grep -q "widening row tree-dir (.*): .*$D/in/\*\* -> $D/in" <<<"$dry"; then
  pass "run --dry-run shows the Landlock grant of DIR/** (row tree-dir)"
else
  fail "run --dry-run does not show row tree-dir"
fi

# The check input, unconfined and confined.
prepare check
sh "$W/workload.sh" "$D" >"$W/free.out" 2>"$W/free.err"
free_rc=$?
(cd "$D/out" && cat ./*) >"$W/free.files"
prepare check
timeout -k 5 60 "$CONFINE" run --profile "$P" -- sh "$W/workload.sh" "$D" >"$W/conf.out" 2>"$W/conf.err" </dev/null
conf_rc=$?
(cd "$D/out" && cat ./*) >"$W/conf.files"
if [ "$free_rc" = 0 ] && [ "$conf_rc" = 0 ] && cmp -s "$W/free.out" "$W/conf.out" && cmp -s "$W/free.files" "$W/conf.files"; then
  pass "check input (new files in the data directory, other headers, new output names) runs confined as unconfined [seccomp + Landlock]"
else
  fail "check input: unconfined exit $free_rc, confined exit $conf_rc"
  diff "$W/free.out" "$W/conf.out" | head -10 | sed 's/^/    /'
  grep -v "^confine: .*file rules enforced" "$W/conf.err" | head -10 | sed 's/^/    /'
fi

# Near misses under the same profile: each must be denied.
near() { # near NAME SH-COMMAND
  timeout -k 5 60 "$CONFINE" run --profile "$P" -- sh -c "$2" >"$W/near.out" 2>"$W/near.err" </dev/null
  local rc=$?
  if [ "$rc" != 0 ] && grep -q "Permission denied" "$W/near.err"; then
    pass "near miss denied: $1 [seccomp + Landlock]"
  else
    fail "near miss allowed: $1 (exit $rc)"
    sed 's/^/    /' "$W/near.err" | head -5
  fi
}
prepare check
near "a sibling directory of the data directory" "cat $W/sibling/secret"
near "a write into a directory only read" "echo x > $D/in/new.txt"
near "a write outside the directories written" "echo x > $D/new.txt"
near "a file beside the data directories (their parent)" "cat $D/top.txt"
near "a write into a sub-directory of a directory only read" "echo x > $D/in/sub/new.txt"
near "a sibling directory of the data directory, by listing" "ls $W/sibling"

# --tightness strict: the exact trace; the check input reads files the training did not.
S=$W/strict
record strict "$S"
if [ "$rec_rc" != 0 ]; then
  fail "record --tightness strict exit $rec_rc"
else
  if grep -q "generalisation data-dir\|generalisation system-headers" "$S/apparmor.profile"; then
    fail "--tightness strict still generalises"
  else
    pass "--tightness strict writes the exact paths"
  fi
  prepare check
  timeout -k 5 60 "$CONFINE" run --profile "$S" -- sh "$W/workload.sh" "$D" >"$W/strict.out" 2>"$W/strict.err" </dev/null
  if [ $? != 0 ]; then
    pass "the strict profile denies the check input (the rows are what makes it pass) [seccomp + Landlock]"
  else
    fail "the strict profile lets the check input pass: this test would not see a missing row"
  fi
fi
[ "$fails" = 0 ] || exit 1
