#!/bin/bash
# confine run, AppArmor complain mode (no AppArmor LSM here): the seeds'
# deny-write profile with flags=(attach_disconnected, complain) lets the write
# happen and reports it (live, --log JSON, summary) without naming what the
# profile allows; the same profile without complain still blocks the write
# (Landlock); --apparmor-mode overrides the flag both ways; a profile that
# allows what the command does reports nothing; seccomp enforce + AppArmor
# complain: a syscall seccomp denies still fails and is not observed; both in
# complain mode: both verdicts reported; bad input fails closed (exit 125).
# usage: bash run_apparmor_complain.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
SEED=$SRC/tests/fixtures/apparmor/deny-write.profile
T=$(mktemp -d /tmp/confine-aac-XXXXXX)
trap 'rm -rf "$T"' EXIT
pass=0; fails=0
check() {  # check NAME STATUS(0=ok) DETAIL
  if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"; else fails=$((fails + 1)); echo "FAIL $1: $3"; fi
}
# The seed profile, with complain added to its flags.
sed 's/flags=(attach_disconnected)/flags=(attach_disconnected, complain)/' "$SEED" > "$T/complain.profile"
grep -q 'flags=(attach_disconnected, complain)' "$T/complain.profile" || { echo "could not derive the complain profile"; exit 1; }
CMD="echo x > $T/f; cat /etc/hostname"

# 1. complain: the write happens, the log names it with w, /etc/hostname is not named
out=$("$BIN" run --apparmor "$T/complain.profile" --log "$T/log" -- sh -c "$CMD" 2>&1); rc=$?
[ $rc = 0 ] && [ "$(cat "$T/f" 2>/dev/null)" = x ] && echo "$out" | grep -qx "$(cat /etc/hostname)"
check "complain: command succeeds and the file is written" $? "rc=$rc out=$out"
echo "$out" | grep -q "^confine: complain: apparmor would deny openat $T/f (w) \[pid [0-9]* sh; deny rule $T/complain.profile:9:3\]$"
check "complain: live line names openat $T/f (w) and the deny rule" $? "$out"
echo "$out" | grep -q "^confine: complain summary (apparmor): 1 access(es) the profile would deny: $T/f (w)$"
check "complain: summary lists exactly $T/f (w)" $? "$out"
got=$(python3 - "$T/log" "$T/f" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ok = len(lines) == 1 and all(l["kind"] == "apparmor" for l in lines)
l = lines[0] if lines else {}
ok = ok and l.get("path") == sys.argv[2] and l.get("requested") == "w" and l.get("denied") == "w" \
    and l.get("syscall") in ("openat", "open") and l.get("profile") == "apparmor-deny-write" \
    and l.get("arch") == "x86_64" and isinstance(l.get("pid"), int) and l.get("comm") == "sh" \
    and "c" in l.get("mask", "") and l.get("rule", "").endswith(":9:3")
ok = ok and not any("/etc/hostname" in json.dumps(x) for x in lines)
print("ok" if ok else "bad: %r" % lines)
PY
)
[ "$got" = ok ]
check "complain: --log has one JSON line {kind:apparmor, path, requested w, denied w, ...}, no /etc/hostname" $? "$got"

# 1b. the same as uid 65534 (unprivileged: user namespace; the supervisor reads the task as its owner)
chmod 755 "$T"; mkdir -m 777 "$T/nobody"; chmod 644 "$T/complain.profile"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$BIN" run --apparmor "$T/complain.profile" \
      -- sh -c "echo x > $T/nobody/f; cat /etc/hostname" 2>&1); rc=$?
[ $rc = 0 ] && [ -e "$T/nobody/f" ] && echo "$out" | grep -q "apparmor would deny openat $T/nobody/f (w)" &&
  ! echo "$out" | grep -q "/etc/hostname"
check "uid 65534: complain works unprivileged" $? "rc=$rc out=$out"

# 1c. --profile DIR picks up DIR/apparmor.profile with its complain flag
mkdir "$T/pdir"; cp /usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json "$T/pdir/seccomp.json"
cp "$T/complain.profile" "$T/pdir/apparmor.profile"; rm -f "$T/f"
out=$("$BIN" run --profile "$T/pdir" -- sh -c "$CMD" 2>&1); rc=$?
[ $rc = 0 ] && [ -e "$T/f" ] && echo "$out" | grep -q "apparmor would deny openat $T/f (w)"
check "--profile DIR: apparmor.profile in complain mode is observed" $? "rc=$rc out=$out"

# 2. the same profile in enforce mode still blocks the write (Landlock)
rm -f "$T/f"
out=$("$BIN" run --apparmor "$SEED" -- sh -c "$CMD" 2>&1); rc=$?
[ ! -e "$T/f" ] && echo "$out" | grep -q "Permission denied" && ! echo "$out" | grep -q "apparmor would deny"
check "enforce (no complain flag): write blocked, nothing observed" $? "rc=$rc out=$out"
out=$("$BIN" run --apparmor "$T/complain.profile" --apparmor-mode enforce -- sh -c "$CMD" 2>&1); rc=$?
[ ! -e "$T/f" ] && echo "$out" | grep -q "Permission denied"
check "--apparmor-mode enforce overrides flags=(complain)" $? "rc=$rc out=$out"
out=$("$BIN" run --apparmor "$SEED" --apparmor-mode complain -- sh -c "$CMD" 2>&1); rc=$?
[ $rc = 0 ] && [ -e "$T/f" ] && echo "$out" | grep -q "apparmor would deny openat $T/f (w)"
check "--apparmor-mode complain overrides a profile without the flag" $? "rc=$rc out=$out"

# 3. a profile that allows what the command does: zero events
cat > "$T/allow.profile" <<EOF
#include <tunables/global>
profile allow-etc-tmp flags=(complain) {
  #include <abstractions/base>
  /{usr/,}bin/* ix,
  /etc/** r,
  /tmp/** rw,
}
EOF
rm -f "$T/f"
out=$("$BIN" run --apparmor "$T/allow.profile" --log "$T/log2" -- sh -c "$CMD" 2>&1); rc=$?
[ $rc = 0 ] && [ -e "$T/f" ] && [ ! -s "$T/log2" ] && echo "$out" | grep -q "complain summary (apparmor): 0 access(es)"
check "allowing profile: zero events" $? "rc=$rc out=$out log=$(cat "$T/log2" 2>/dev/null)"
# control: without the /tmp rule the write is reported (the test can fail)
grep -v '/tmp/\*\* rw' "$T/allow.profile" > "$T/allow-no-tmp.profile"
out=$("$BIN" run --apparmor "$T/allow-no-tmp.profile" -- sh -c "$CMD" 2>&1)
echo "$out" | grep -q "apparmor would deny openat $T/f (w) \[pid [0-9]* sh; no rule allows it\]"
check "control: same profile minus /tmp/** rw reports the write (no rule allows it)" $? "$out"

# owner rules are decided with the file's owner and the task's fsuid
cat > "$T/owner.profile" <<EOF
#include <tunables/global>
profile owner-test flags=(complain) {
  #include <abstractions/base>
  /{usr/,}bin/* ix,
  owner $T/** rw,
}
EOF
touch "$T/theirs"; chown 65534 "$T/theirs"
out=$("$BIN" run --apparmor "$T/owner.profile" -- sh -c "echo a > $T/mine; echo b >> $T/theirs" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q "apparmor would deny openat $T/theirs (wa)" && ! echo "$out" | grep -q "$T/mine"
check "owner rule: own new file allowed, another uid's file reported" $? "rc=$rc out=$out"

# 4. seccomp enforce + AppArmor complain: seccomp's denial still happens, not observed
python3 - /usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json "$T/small.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["syscalls"]:
    r["names"] = [n for n in r["names"] if n not in ("mkdir", "mkdirat", "uname")]
json.dump(d, open(sys.argv[2], "w"))
PY
out=$("$BIN" run --seccomp "$T/small.json" --apparmor "$T/complain.profile" -- sh -c "mkdir $T/d; echo y > $T/g" 2>&1); rc=$?
[ ! -d "$T/d" ] && [ -e "$T/g" ] && echo "$out" | grep -q "Operation not permitted" &&
  ! echo "$out" | grep -q "would deny mkdir" && echo "$out" | grep -q "apparmor would deny openat $T/g (w)"
check "seccomp enforce + apparmor complain: mkdir fails (EPERM) unobserved, the write is observed" $? "rc=$rc out=$out"

# 5. both in complain mode: one listener, both verdicts
out=$("$BIN" run --seccomp "$T/small.json" --mode complain --apparmor "$T/complain.profile" --log "$T/log3" \
      -- sh -c "mkdir $T/d2; uname" 2>&1); rc=$?
[ $rc = 0 ] && [ -d "$T/d2" ] && echo "$out" | grep -Eq "confine: complain: pid [0-9]+ \(mkdir\) mkdir\(" &&
  echo "$out" | grep -q "apparmor would deny mkdir $T/d2/ (w)" &&
  echo "$out" | grep -q "complain summary: 2 event(s), 2 syscall(s) the profile would deny: mkdir uname$" &&
  echo "$out" | grep -q "complain summary (apparmor): 1 access(es) the profile would deny: $T/d2/ (w)$"
check "both complain: seccomp (mkdir, uname) and apparmor (mkdir $T/d2/) reported" $? "rc=$rc out=$out"
kinds=$(python3 -c 'import json,sys; print(" ".join(sorted(json.loads(l)["kind"] + ":" + json.loads(l)["syscall"] for l in open(sys.argv[1]))))' "$T/log3" 2>&1)
[ "$kinds" = "apparmor:mkdir seccomp:mkdir seccomp:uname" ]
check "both complain: --log kinds" $? "$kinds"

# 6. bad input: exit 125, command not run
out=$("$BIN" run --apparmor "$T/complain.profile" --apparmor-mode bogus -- touch "$T/ran" 2>&1); rc=$?
[ $rc = 125 ] && [ ! -e "$T/ran" ] && echo "$out" | grep -q -- "--apparmor-mode bogus: expected enforce or complain"
check "--apparmor-mode bogus: exit 125, clear message, not run" $? "rc=$rc out=$out"
out=$("$BIN" run --apparmor-mode complain -- touch "$T/ran" 2>&1); rc=$?
[ $rc = 125 ] && [ ! -e "$T/ran" ] && echo "$out" | grep -q "needs an AppArmor profile"
check "--apparmor-mode without a profile: exit 125, not run" $? "rc=$rc out=$out"
out=$("$BIN" run --apparmor "$T/complain.profile" --share pid -- touch "$T/ran" 2>&1); rc=$?
[ $rc = 125 ] && [ ! -e "$T/ran" ] && echo "$out" | grep -q "needs a pid namespace"
check "complain without a pid namespace: exit 125, not run" $? "rc=$rc out=$out"

out=$("$BIN" run --apparmor "$T/complain.profile" --share mount -- touch "$T/ran" 2>&1); rc=$?
[ $rc = 125 ] && [ ! -e "$T/ran" ] && echo "$out" | grep -q "needs a mount namespace"
check "complain without a mount namespace: exit 125, not run" $? "rc=$rc out=$out"

echo "run --apparmor complain: $pass passed, $fails failed"
[ $fails = 0 ]
