#!/usr/bin/env bash
# confine harden: the bundled sample workload end to end; a workload that does
# more in the replay than in the recording (false denial found in complain
# mode, fixed, replay retried); the profile blocks what the sample never did.
#   bash harden_sample.sh CONFINE_BIN SRC_DIR
set -uo pipefail
CONFINE=$1
W=$(mktemp -d /tmp/confine-harden.XXXXXX)
trap 'rm -rf "$W"' EXIT
export TMPDIR=$W
fails=0
check() { if eval "$2"; then echo "PASS: $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi; }

timeout 120 "$CONFINE" harden -o "$W/sample" >"$W/sample.out" 2>"$W/sample.err"
rc=$?
sed 's/^/    /' "$W/sample.out"
check "harden (sample workload) exits 0" "[ $rc = 0 ]"
check "replay had the same stdout" "grep -q 'same stdout' '$W/sample.out'"
check "no false denial" "grep -q '0 false denials' '$W/sample.out'"
check "compared with runtime-default" "grep -q 'vs runtime-default' '$W/sample.out'"
check "sample output recorded" "grep -q 'reply: PING OVER LOOPBACK' '$W/sample/record.stdout'"
check "loopback TCP in behavior.json" "grep -q '\"AF_INET\"' '$W/sample/behavior.json'"
check "securityContext has an emptyDir for the data dir" "grep -q 'emptyDir' '$W/sample/securityContext.yaml'"
# Two layers: the AppArmor profile (Landlock) does not let the sample's profile
# execute ln at all; python3 (which the sample ran) may run, but seccomp denies
# symlinkat, which the sample never called.
"$CONFINE" run --profile "$W/sample" -- ln -s /etc/passwd "$W/link" 2>"$W/ln.err"
check "the AppArmor profile blocks executing ln (never run by the sample)" "[ $? = 126 ] && grep -q 'EACCES' '$W/ln.err' && [ ! -L '$W/link' ]"
"$CONFINE" run --profile "$W/sample" -- /usr/bin/python3 -c "import os; os.symlink('/etc/passwd', '$W/link')" 2>"$W/py.err"
check "the seccomp profile blocks symlinkat (never done by the sample)" "[ $? != 0 ] && grep -q 'Operation not permitted' '$W/py.err' && [ ! -L '$W/link' ]"
"$CONFINE" run --seccomp "$W/sample/seccomp.json" -- /usr/bin/python3 -c "import os; os.symlink('/etc/passwd', '$W/link')" 2>"$W/py2.err"
check "... and without the AppArmor layer still (seccomp alone)" "[ $? != 0 ] && grep -q 'Operation not permitted' '$W/py2.err'"

# Replay does more than the recording: symlinkat only from the 2nd run on.
cat >"$W/grow.sh" <<SH
if [ -e "$W/flag" ]; then ln -sf /etc/hostname "$W/lnk"; fi
touch "$W/flag"
echo ok
SH
timeout 120 "$CONFINE" harden -o "$W/grow" -- sh "$W/grow.sh" >"$W/grow.out" 2>"$W/grow.err"
rc=$?
sed 's/^/    /' "$W/grow.out" "$W/grow.err" | grep -v "^    $" | head -20
check "false denial found and fixed (symlinkat), exit 0" "[ $rc = 0 ] && grep -q 'false denial: .*symlink' '$W/grow.out'"
check "fixed profile allows symlinkat" "grep -q symlink '$W/grow/seccomp.json'"

# A replay that cannot be fixed fails loudly: exit differs and nothing is denied.
cat >"$W/flaky.sh" <<SH
if [ -e "$W/flag2" ]; then exit 3; fi
touch "$W/flag2"
SH
timeout 120 "$CONFINE" harden -o "$W/flaky" -- sh "$W/flaky.sh" >"$W/flaky.out" 2>"$W/flaky.err"
rc=$?
check "unfixable mismatch: exit 1 with a message" "[ $rc = 1 ] && grep -q 'instead of 0' '$W/flaky.err'"

# harden calls the recorder and the sandbox launcher (src/harden), it does not re-execute its
# own binary: a confine whose file is removed while it runs still replays. (Before, the replays
# ran /proc/self/exe, "... (deleted)": exit 127, a mismatch.)
ln "$CONFINE" "$W/cbin" 2>/dev/null || cp "$CONFINE" "$W/cbin"
for mode in batch train; do
  if [ $mode = batch ]; then
    timeout 120 "$W/cbin" harden -o "$W/gone-$mode" -- sh -c "rm -f '$W/cbin'; echo hi" </dev/null \
      >"$W/gone-$mode.out" 2>"$W/gone-$mode.err"
  else
    ln "$CONFINE" "$W/cbin" 2>/dev/null || cp "$CONFINE" "$W/cbin"
    timeout 120 "$W/cbin" harden -o "$W/gone-$mode" --train "rm -f '$W/cbin'; echo hi" --check "echo hi" \
      </dev/null >"$W/gone-$mode.out" 2>"$W/gone-$mode.err"
  fi
  rc=$?
  check "$mode: no re-execution of the binary (it is gone, the replay still runs): exit $rc" \
    "[ $rc = 0 ] && [ ! -e '$W/cbin' ] && grep -q '0 false denials' '$W/gone-$mode.out'"
done
[ $fails = 0 ] && echo "harden_sample: all passed" || echo "harden_sample: $fails failure(s)"
[ $fails = 0 ]
