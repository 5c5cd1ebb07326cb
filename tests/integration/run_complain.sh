#!/bin/bash
# confine run --mode complain: a run under a too-small profile (Docker's default
# minus mkdir/mkdirat/uname) completes, reports exactly the missing syscalls
# (live, --log JSON lines, summary), and --suggest writes a profile under which
# the same run passes in enforce mode. As root and as uid 65534.
# usage: bash run_complain.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
[ -x "$BIN" ] || { echo "no binary $BIN"; exit 1; }
T=$(mktemp -d "$(dirname "$BIN")/complain-XXXXXX")
chmod 777 "$T"
trap 'rm -rf "$T"' EXIT
DOCKER=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
python3 - "$DOCKER" "$T/small.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["syscalls"]:
    r["names"] = [n for n in r["names"] if n not in ("mkdir", "mkdirat", "uname")]
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
chmod 644 "$T/small.json"
fails=0; pass=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fails=$((fails + 1)); echo "FAIL $1"; shift; printf '   | %s\n' "$@"; }
WORK='mkdir /tmp/d && uname -s && ls -d /tmp/d'

for who in root nobody; do
  if [ $who = root ]; then AS=(); else AS=(setpriv --reuid 65534 --regid 65534 --clear-groups); fi
  # enforce: the small profile breaks the run
  out=$("${AS[@]}" "$BIN" run --seccomp "$T/small.json" --tmpfs /tmp -- sh -c "$WORK" 2>&1); rc=$?
  [ $rc != 0 ] && echo "$out" | grep -q "Operation not permitted" && ok "$who: enforce: too-small profile fails the run" || bad "$who: enforce should fail" "$out"
  # complain: completes, reports exactly mkdir and uname
  rm -f "$T/log-$who" "$T/sugg-$who.json"
  out=$("${AS[@]}" "$BIN" run --seccomp "$T/small.json" --mode complain --log "$T/log-$who" --suggest "$T/sugg-$who.json" \
        --tmpfs /tmp -- sh -c "$WORK" 2>&1); rc=$?
  [ $rc = 0 ] && echo "$out" | grep -q "^Linux$" && echo "$out" | grep -q "^/tmp/d$" && ok "$who: complain: run completes" || bad "$who: complain run" "rc=$rc" "$out"
  echo "$out" | grep -Eq "confine: complain: pid [0-9]+ \(mkdir\) mkdir\(0x[0-9a-f]+, 0x1ff" && ok "$who: live line names syscall, args, pid, comm" || bad "$who: live line" "$out"
  echo "$out" | grep -q "complain summary: 2 event(s), 2 syscall(s) the profile would deny: mkdir uname$" && ok "$who: summary lists exactly mkdir uname" || bad "$who: summary" "$out"
  got=$(python3 -c 'import json,sys; print(" ".join(sorted({json.loads(l)["syscall"] for l in open(sys.argv[1])})))' "$T/log-$who" 2>&1)
  [ "$got" = "mkdir uname" ] && ok "$who: --log JSON lines: exactly mkdir, uname" || bad "$who: --log" "$got"
  # suggest: the suggested profile passes in enforce mode
  out=$("${AS[@]}" "$BIN" run --seccomp "$T/sugg-$who.json" --tmpfs /tmp -- sh -c "$WORK" 2>&1); rc=$?
  [ $rc = 0 ] && echo "$out" | grep -q "^Linux$" && ok "$who: --suggest profile passes in enforce mode" || bad "$who: suggested profile" "rc=$rc" "$out"
  out=$("${AS[@]}" "$BIN" run --seccomp "$T/sugg-$who.json" --mode complain --tmpfs /tmp -- sh -c "$WORK" 2>&1)
  echo "$out" | grep -q "complain summary: 0 event(s)" && ok "$who: complain under the suggested profile reports nothing" || bad "$who: re-complain" "$out"
done
# Pinning supervisor and command to one CPU vs not (measurement, not pass/fail):
# 20000 uname calls in one process, each a user notification answered with CONTINUE.
for pin in "" --pin-cpu; do
  us=$("$BIN" run --seccomp "$T/small.json" --mode complain $pin -- perl -MTime::HiRes=time \
       -e '$b = "\0" x 512; $t = time; syscall(63, $b) for 1..20000; printf "%.1f", (time - $t) / 20000 * 1e6' 2>/dev/null)
  echo "measure: notified syscall round trip ${pin:-unpinned}: ${us} us/call"
done
echo "run_complain: $pass passed, $fails failed"
[ $fails = 0 ]
