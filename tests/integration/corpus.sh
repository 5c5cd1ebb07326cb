#!/bin/bash
# Issue 12's acceptance on the corpus (tests/corpus/, README there): every program is recorded on its
# training input with the default generator and must run its check input under the generated profile
# (seccomp + the AppArmor file rules through Landlock) with no false denial (same exit, output and
# files as unconfined, no denial message, no kernel record, nothing the complain pass would deny), and
# its near miss must be denied. Reads the kernel log (RUN_SERIAL).
#
# A program listed in tests/corpus/known-false-denials (NAME: reason) still runs and its false denials
# are printed as KNOWN (a skip with that reason in the ledger); any other false denial, any near miss
# not denied and any broken entry fails. A listed program that passes is reported: take it off the list.
#   bash corpus.sh CONFINE_BIN SRC_DIR
set -uo pipefail
CONFINE=$(readlink -f "${1:?confine binary}")
SRC=$(readlink -f "${2:?source dir}")
. "$SRC/tests/platform/results.sh"
W=$(mktemp -d /var/tmp/confine-corpus.XXXXXX)
trap 'rm -rf "$W"' EXIT
KNOWN=$SRC/tests/corpus/known-false-denials
fails=0
grep -qw errno /proc/sys/kernel/seccomp/actions_logged ||
  { echo "FAIL: this kernel does not log seccomp errno actions (actions_logged: $(cat /proc/sys/kernel/seccomp/actions_logged))"; exit 1; }
for p in $(sed -n 's/^packages=//p' "$SRC"/tests/corpus/*/meta | tr ' ' '\n' | sort -u); do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    { echo "FAIL: package $p of the corpus is not installed (make deps-test installs it)"; exit 1; }
done
sleep 6  # a fresh printk rate-limit window (10 records per 5 s): the records of the tests before are not ours
bash "$SRC/tests/corpus/run.sh" --confine "$CONFINE" --work "$W" >"$W/run.log" 2>&1
echo "corpus runner exit $?"
cur=
while IFS= read -r line; do
  case $line in
    PASS:* | FAIL:*)
      cur=${line#*: }; cur=${cur%% *}; cur=${cur%:}
      reason=$(sed -n "s/^$cur: //p" "$KNOWN" 2>/dev/null | head -1)
      if [ "${line%%:*}" = PASS ]; then
        echo "$line"
        t_result pass "corpus/$cur"
        [ -n "$reason" ] && echo "NOTE: $cur passes now: take it off tests/corpus/known-false-denials"
      elif [ -n "$reason" ] && ! grep -q '"near_miss": "denied' "$W/$cur/result.json" 2>/dev/null; then
        echo "$line (and its near miss was not denied)"; fails=$((fails + 1))
        t_result fail "corpus/$cur" "near miss not denied"
      elif [ -n "$reason" ]; then
        echo "KNOWN ${line#FAIL: }   [tests/corpus/known-false-denials: $reason]"
        t_result skip "corpus/$cur" "KNOWN FALSE DENIAL (not a pass): $reason"
      else
        echo "$line"; fails=$((fails + 1))
        t_result fail "corpus/$cur" "false denial or near miss not denied"
      fi
      ;;
    *) echo "$line" ;;
  esac
done <"$W/run.log"
grep -q "^corpus: " "$W/run.log" || { echo "FAIL: the runner did not finish"; fails=$((fails + 1)); }
echo "corpus: $fails failure(s)"
[ $fails = 0 ]
