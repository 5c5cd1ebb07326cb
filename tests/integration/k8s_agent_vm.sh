#!/bin/bash
# `confine k8s agent --apparmor` under a real AppArmor kernel (issue 13, "Real parts"): ONE boot of Debian's
# cloud kernel under qemu (tools/aa-vm). The bundles are written here (tests/integration/lib/k8s_bundle.py) and
# laid out as the kubelet lays out a ConfigMap volume; inside the VM the agent
#   - loads every valid AppArmor profile of bundle v1 with the VM's apparmor_parser; `confine k8s status`
#     reports them Installed; the kernel lists them in /sys/kernel/security/apparmor/profiles (enforce);
#   - refuses a file that defines another profile name than the bundle says (reported, never loaded), and
#     reports a profile the parser rejects (state failed, the parser's message) while the others load;
#     a second pass reloads nothing that is loaded and reports the parser failure again (no crash loop);
#   - on bundle v2 (web changed, a complain-mode profile added) loads the new web profile, keeps the old one
#     while a process is confined by it (/proc/PID/attr), and removes it (apparmor_parser -R) once unused;
#     the complain profile is loaded in complain mode.
# Skips (77) only when the kernel package cannot be downloaded (tools/aa-vm).
#   bash k8s_agent_vm.sh CONFINE_BIN SRC_DIR
set -uo pipefail
CONFINE=$(readlink -f "${1:?confine binary}")
SRC=$(readlink -f "${2:?source dir}")
KB="python3 $SRC/tests/integration/lib/k8s_bundle.py"
for c in python3 apparmor_parser qemu-system-x86_64 busybox; do
  command -v $c >/dev/null || { echo "FAIL: $c not installed (make deps-test)"; exit 1; }
done
W=$(mktemp -d /var/tmp/confine-k8svm.XXXXXX)
[ -n "${AA_VM_KEEP:-}" ] && echo "work directory: $W" || trap 'rm -rf "$W"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
BB=$(readlink -f "$(command -v busybox)")

# --- profiles: a seccomp file (the bundle needs one), an AppArmor profile, a behaviour ---
mkprof() {  # mkprof DIR EXTRA_APPARMOR_LINES
  mkdir -p "$1"
  cat >"$1/seccomp.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
 "syscalls": [{"names": ["read", "write", "exit_group", "nanosleep", "clock_nanosleep"], "action": "SCMP_ACT_ALLOW"}]}
EOF
  printf 'profile x {\n  %s mrix,\n  /tmp/** r,\n%b}\n' "$BB" "$2" >"$1/apparmor.profile"
  echo '{}' >"$1/behavior.json"
}
# web's profile lets the test's shell (unconfined) stop its sleeper below: AppArmor checks the receiver's
# profile for every signal, so without this the kill was denied and `wait` sat out the whole sleep 600.
mkprof "$W/p/web" '  signal (receive) peer=unconfined,\n'
mkprof "$W/p/web2" '  /etc/hostname r,\n'
mkprof "$W/p/cat" '  /etc/passwd r,\n'
mkprof "$W/p/logger" '  /var/log/** w,\n'
mkprof "$W/p/wrongname" ''
printf '\nprofile other-name {\n  /tmp/** r,\n}\n' >>"$W/p/wrongname/apparmor.profile"
# A profile confine's checks accept but apparmor_parser rejects: it includes an abstraction that does not exist.
mkprof "$W/p/parsefail" '  #include <abstractions/confine-test-does-not-exist>\n'
# A profile that pulls another one in through an #include of a file on the node: confine's own parser sees one
# profile; the parser that loads it sees two (apparmor_parser -N): refused before loading.
printf 'profile sneaky {\n  /tmp/** r,\n}\n' >"$W/extra.profile"
mkprof "$W/p/include" ''
{ echo "#include \"$W/extra.profile\""; cat "$W/p/include/apparmor.profile"; } >"$W/p/include/ap" &&
  mv "$W/p/include/ap" "$W/p/include/apparmor.profile"
B1=$($KB build "$W/v1" web="$W/p/web" cat="$W/p/cat" wrongname="$W/p/wrongname" parsefail="$W/p/parsefail" include="$W/p/include") ||
  { echo "FAIL: k8s_bundle.py build v1"; exit 1; }
B2=$($KB build "$W/v2" web="$W/p/web2" cat="$W/p/cat" logger="$W/p/logger:complain") ||
  { echo "FAIL: k8s_bundle.py build v2"; exit 1; }
$KB kubelet-write "$W/cm1" "$W/v1/part-1" && $KB kubelet-write "$W/cm2" "$W/v2/part-1" ||
  { echo "FAIL: k8s_bundle.py kubelet-write"; exit 1; }
name() { python3 -c "import json,sys; print([p['apparmor']['profile'] for p in json.load(open(sys.argv[1]))['profiles'] if p['name']==sys.argv[2]][0])" "$1/bundle.json" "$2"; }
WEB1=$(name "$W/v1/part-1" web) WEB2=$(name "$W/v2/part-1" web) CAT=$(name "$W/v1/part-1" cat)
PF=$(name "$W/v1/part-1" parsefail) WN=$(name "$W/v1/part-1" wrongname) INC=$(name "$W/v1/part-1" include) LOG=$(name "$W/v2/part-1" logger)
# The premises, checked here with the host's parser (no kernel needed): parsefail is rejected, wrongname
# defines other-name too.
apparmor_parser -Q -K "$W/v1/part-1/${PF#confine-}.apparmor" >/dev/null 2>&1 && fail "premise: apparmor_parser accepts $PF"
apparmor_parser -Q -K -N "$W/v1/part-1/${WN#confine-}.apparmor" 2>/dev/null | grep -qx other-name ||
  fail "premise: $WN does not define other-name"

# --- the VM: everything in one boot; outputs dumped between markers, judged here ---
cat >"$W/vm.sh" <<'EOF'
C=$1 W=$2 WEB1=$3
KR=/tmp/kr
dump() { echo "@@BEGIN $1"; cat "$2"; echo; echo "@@END $1"; }
agent() { "$C" k8s agent --kubelet-root $KR --once --apparmor "$@" >/tmp/out 2>&1; echo "rc=$?" >>/tmp/out; }
snap() {  # snap N: status.json, the kernel's profiles, k8s status, the agent's output
  dump status$1 $KR/confine-agent/status.json
  dump kernel$1 /sys/kernel/security/apparmor/profiles
  "$C" k8s status --kubelet-root $KR >/tmp/ks 2>&1; echo "rc=$?" >>/tmp/ks
  dump k8sstatus$1 /tmp/ks
  dump out$1 /tmp/out
}
# No container runtime here: an empty runc root (it exists, no containers).
mkdir -p /run/runc
agent --profiles $W/cm1 --runtime-state /run/runc; snap 1
agent --profiles $W/cm1 --runtime-state /run/runc; snap 2
# A process confined by the old web profile (it allows the busybox binary, nothing else needed to sleep).
/aa-vm/bin/busybox sh -c 'printf %s "exec $0" >/proc/self/attr/apparmor/exec && exec '"$(readlink -f "$(command -v busybox)")"' sleep 600' "$WEB1" &
SP=$!
i=0; until grep -q "^$WEB1 " /proc/$SP/attr/current 2>/dev/null; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.1; done
echo "sleeper $(cat /proc/$SP/attr/current)" >/tmp/sl; dump sleeper /tmp/sl
agent --profiles $W/cm2 --runtime-state /run/runc --grace 0; snap 3
kill $SP; wait $SP 2>/dev/null
# Without any runtime state to judge created-but-not-started containers by, the unused profile is kept.
agent --profiles $W/cm2 --runtime-state /run/none --grace 0; snap 5
agent --profiles $W/cm2 --runtime-state /run/runc --grace 0; snap 4
EOF
AA_VM_TIMEOUT=${AA_VM_TIMEOUT:-900} bash "$SRC/tools/aa-vm" --bin "$BB" --add "$CONFINE" --add "$W/extra.profile" --add "$W/cm1" --add "$W/cm2" \
  -- "$W/vm.sh" "$CONFINE" "$W" "$WEB1" >"$W/console" 2>&1
rc=$?
if [ $rc = 77 ]; then grep '^SKIP' "$W/console"; exit 77; fi
[ $rc = 0 ] || { fail "the VM script: exit $rc"; tail -30 "$W/console"; }
python3 - "$W/console" "$W/d" <<'PY'
import os, re, sys
os.makedirs(sys.argv[2], exist_ok=True)
cur = None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"@@(BEGIN|END) (\S+)", line)
    if m:
        cur = open(os.path.join(sys.argv[2], m.group(2)), "w") if m.group(1) == "BEGIN" else None
        continue
    if cur and not line.startswith("aa-vm-audit:"):
        cur.write(line)
PY
D=$W/d
grep -q '^aa-vm-kernel .*apparmor=Y' "$W/console" && pass "the VM's kernel has AppArmor: $(grep -m1 '^aa-vm-kernel' "$W/console")" ||
  fail "VM kernel: $(grep -m1 '^aa-vm-kernel' "$W/console")"
st() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$D/status$1" "$2" 2>&1; }
aa() { st "$1" "[(p['apparmor']['state'], p['apparmor'].get('detail', p.get('error', ''))) for p in d['profiles'] if p['name']=='$2'][0]"; }
loaded() { grep -qx "$2 ($3)" "$D/kernel$1"; }

# pass 1: bundle v1
grep -qx "rc=1" "$D/out1" && grep -q "not ready: 2 of 5 profiles installed" "$D/out1" &&
  grep -q "parsefail: AppArmor failed: .*confine-test-does-not-exist" "$D/out1" &&
  pass "v1: not ready (2 of 5): the wrong-name, include-smuggling and parser-rejected profiles are reported ($(head -1 "$D/out1"))" ||
  fail "v1 agent output: $(cat "$D/out1" 2>/dev/null)"
for n in web cat; do
  p=$WEB1; [ $n = cat ] && p=$CAT
  [ "$(st 1 "[p['apparmor']['state'] for p in d['profiles'] if p['name']=='$n'][0]")" = loaded ] && loaded 1 "$p" enforce &&
    pass "v1: $p loaded by the agent, listed by the kernel as $p (enforce)" || fail "v1 $n: $(aa 1 $n); kernel: $(grep confine- "$D/kernel1")"
  grep -q "^  $p  Installed (enforce)" "$D/k8sstatus1" && pass "k8s status: $p Installed (enforce)" ||
    fail "k8s status: $(cat "$D/k8sstatus1")"
done
e=$(aa 1 wrongname)
[[ "$e" == *"defines profile \"other-name\""* ]] && ! grep -q -e other-name -e "$WN" "$D/kernel1" &&
  pass "v1: $WN (it also defines other-name) refused and reported, never loaded: $e" || fail "wrongname: $e; $(grep -e other -e "$WN" "$D/kernel1")"
e=$(aa 1 include)
[[ "$e" == *"('refused', "*"defines profile \"sneaky\""* ]] && ! grep -q -e sneaky -e "$INC" "$D/kernel1" &&
  pass "v1: $INC includes a file defining sneaky: refused by the apparmor_parser -N check, never loaded: $e" ||
  fail "include: $e; $(grep -e sneaky -e "$INC" "$D/kernel1")"
e=$(aa 1 parsefail)
[[ "$e" == *"('failed', "*"confine-test-does-not-exist"* ]] && ! grep -q "$PF" "$D/kernel1" &&
  pass "v1: $PF rejected by the VM's apparmor_parser: reported failed with its message, not loaded" || fail "parsefail: $e"
[ "$(st 1 "d['labels']['confine.dev/apparmor']")" = unsupported ] && pass "v1 not ready: node label apparmor=unsupported" ||
  fail "v1 label: $(st 1 "d['labels']")"
# pass 2: the same bundle again
[[ "$(aa 2 web)" == *"in the kernel (enforce)"* ]] && [[ "$(aa 2 parsefail)" == *"('failed', "*"confine-test-does-not-exist"* ]] &&
  grep -qx "rc=1" "$D/out2" &&
  pass "second pass: $WEB1 not reloaded (already in the kernel), the parser failure reported again, exit 1 (no crash)" ||
  fail "pass 2: web $(aa 2 web); parsefail $(aa 2 parsefail); $(cat "$D/out2")"
# pass 3: v2 while a process is confined by the old web profile
grep -q "^sleeper $WEB1 (enforce)" "$D/sleeper" && pass "a process runs confined by $WEB1" || fail "sleeper: $(cat "$D/sleeper")"
grep -qx "rc=0" "$D/out3" && loaded 3 "$WEB2" enforce && loaded 3 "$LOG" complain && loaded 3 "$CAT" enforce &&
  pass "v2: ready; $WEB2 loaded (enforce), $LOG loaded (complain), $CAT kept" ||
  fail "v2: $(cat "$D/out3"); $(grep confine- "$D/kernel3")"
[ "$(st 3 "d['labels']['confine.dev/apparmor']")" = enforced ] && pass "v2 ready: node label apparmor=enforced" ||
  fail "v2 label: $(st 3 "d['labels']")"
s=$(st 3 "[(s['state'], s.get('users')) for s in d['apparmor_stale'] if s['profile']=='$WEB1']")
[[ "$s" == "[('in-use', ['pid "* ]] && loaded 3 "$WEB1" enforce &&
  pass "the old $WEB1 is kept while the process uses it: $s" || fail "old web in use: $s; $(grep confine- "$D/kernel3")"
grep -q "^  $LOG  Installed (complain)" "$D/k8sstatus3" && pass "k8s status: $LOG Installed (complain)" ||
  fail "k8s status v2: $(cat "$D/k8sstatus3")"
# the process gone, no runtime state: kept in doubt
s=$(st 5 "[(s['state'], s.get('reason')) for s in d['apparmor_stale'] if s['profile']=='$WEB1']")
[[ "$s" == "[('kept', 'no container runtime state found"* ]] && loaded 5 "$WEB1" enforce &&
  pass "no container runtime state to judge by: the unused $WEB1 is kept, with the reason" || fail "doubt: $s"
# pass 4: the process gone, an (empty) runc root
s=$(st 4 "[s['state'] for s in d['apparmor_stale'] if s['profile']=='$WEB1']")
[ "$s" = "['removed']" ] && ! grep -q "^$WEB1 " "$D/kernel4" && loaded 4 "$WEB2" enforce &&
  pass "unused, $WEB1 is removed (apparmor_parser -R): no longer in the kernel's list; $WEB2 stays" ||
  fail "removal: $s; $(grep confine- "$D/kernel4")"
# The parser-rejected and wrong-name profiles were never loaded: nothing of theirs to remove.
[ "$(st 4 "len(d['apparmor_stale'])")" = 1 ] && pass "only the profile the agent loaded was a removal candidate" ||
  fail "apparmor_stale: $(st 4 "d['apparmor_stale']")"
echo "k8s_agent_vm: $fails failure(s)"
[ $fails = 0 ]
