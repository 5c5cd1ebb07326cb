#!/bin/bash
# confine logs --comm/--exe/--pid/--cgroup/--since on real kernel records, and the
# attribution guard of --to-seccomp: a neighbour that names itself like the
# workload (same comm, another executable) must not change the workload's profile.
# Records come from SCMP_ACT_LOG rules (always logged: "log" is in
# /proc/sys/kernel/seccomp/actions_logged by default).
# usage: bash logs_filter.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=$(readlink -f "${1:?confine binary}")
T=$(mktemp -d /var/tmp/confine-logs-filter.XXXXXX)
CG=
cleanup() {
  [ -n "${BG:-}" ] && kill "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
  [ -n "$CG" ] && { for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done; sleep 0.2; rmdir "$CG"; }
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
grep -qw log /proc/sys/kernel/seccomp/actions_logged || { echo "FAIL: seccomp 'log' action not logged by this kernel"; exit 1; }
# A fresh printk rate-limit window (10 records per 5 s without auditd): records of the
# tests that ran just before must not use up the budget ours need (CMake: RUN_SERIAL).
sleep 6
START=$(date +%s)

# uname logs uname(2); the "forger" is mkdir renamed uname: same comm, other exe, logs mkdir(2).
cat >"$T/log.json" <<'EOF'
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["uname","mkdirat","mkdir","getppid"],"action":"SCMP_ACT_LOG"}]}
EOF
cat >"$T/base.json" <<'EOF'
{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","write","exit_group"],"action":"SCMP_ACT_ALLOW"}]}
EOF
mkdir -p "$T/forger" && cp /usr/bin/mkdir "$T/forger/uname"
"$CONFINE" run --seccomp "$T/log.json" -- uname -r >/dev/null || fail "victim run"
"$CONFINE" run --seccomp "$T/log.json" -- "$T/forger/uname" "$T/made" || fail "forger run"
sleep 0.3

# --comm alone on the live log: refused (any task can call itself uname).
out=$("$CONFINE" logs --since "@$START" --comm uname --to-seccomp "$T/base.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q -- "--comm alone is not enough" && pass "--comm alone cannot change a profile from the live log" ||
  fail "--comm alone: rc=$rc $out"
# ... and without any filter.
out=$("$CONFINE" logs --to-seccomp "$T/base.json" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "every process on this host" && pass "unfiltered live log refused for --to-seccomp" ||
  fail "unfiltered: rc=$rc $out"
# --comm shows both (the forgery is visible), --exe only the victim.
out=$("$CONFINE" logs --since "@$START" --comm uname -o json 2>/dev/null)
echo "$out" | grep -q '"syscall": *"uname"' && echo "$out" | grep -q '"syscall": *"mkdir' &&
  pass "--comm uname matches the victim and the forger" || fail "--comm: $out"
res=$("$CONFINE" logs --since "@$START" --exe /usr/bin/uname --to-seccomp "$T/base.json" 2>"$T/err"); rc=$?
[ $rc = 0 ] && echo "$res" | grep -q '"uname"' && ! echo "$res" | grep -q '"mkdir' &&
  pass "--exe /usr/bin/uname: the profile gains uname, not the forger's mkdir" ||
  fail "--exe: rc=$rc $res $(cat "$T/err")"
# --all-processes takes everything, explicitly.
res=$("$CONFINE" logs --since "@$START" --all-processes --to-seccomp "$T/base.json" 2>/dev/null)
echo "$res" | grep -q '"mkdir' && pass "--all-processes takes the forger's records too" || fail "--all-processes: $res"

# --since: records before the instant are dropped; records of a later instant none.
out=$("$CONFINE" logs --since "@$(($(date +%s) + 100))" -o json 2>/dev/null)
echo "$out" | grep -q '"syscall"' && fail "--since in the future still shows records: $out" ||
  pass "--since after the records shows none"

# --pid: the host pid of a process in a shared pid namespace.
"$CONFINE" run --share pid --seccomp "$T/log.json" -- sh -c 'echo $$ >"$0"; exec uname -r >/dev/null' "$T/pid" ||
  fail "pid run"
sleep 0.3
P=$(cat "$T/pid")
out=$("$CONFINE" logs --since "@$START" --pid "$P" -o json 2>/dev/null)
n=$(echo "$out" | grep -c '"syscall": *"uname"')
[ "$n" = 1 ] && ! echo "$out" | grep -q '"mkdir' && pass "--pid $P selects exactly its record" || fail "--pid: $out"

# --cgroup PATH and a container id: the pids of the processes now in the cgroup.
CGROOT=/sys/fs/cgroup
[ -d /sys/fs/cgroup/unified ] && CGROOT=/sys/fs/cgroup/unified
ID=$(head -c 32 /dev/urandom | sha256sum | cut -c1-64)
CG="$CGROOT/libpod-$ID.scope"
mkdir "$CG" || { echo "FAIL: cannot create a cgroup at $CG"; exit 1; }
sh -c 'echo $$ >"$0/cgroup.procs"; exec "$1" run --share pid --seccomp "$2" -- sh -c "echo \$PPID >/dev/null; sleep 30"' \
  "$CG" "$CONFINE" "$T/log.json" &
BG=$!
for _ in $(seq 50); do
  "$CONFINE" logs --since "@$START" --cgroup "$CG" -o json 2>/dev/null | grep -q '"getppid"' && break
  sleep 0.1
done
out=$("$CONFINE" logs --since "@$START" --cgroup "$CG" -o json 2>/dev/null)
echo "$out" | grep -q '"getppid"' && ! echo "$out" | grep -q '"uname"' && pass "--cgroup PATH selects the cgroup's records" ||
  fail "--cgroup: $out"
out=$("$CONFINE" logs --since "@$START" --cgroup "${ID:0:12}" -o json 2>/dev/null)
echo "$out" | grep -q '"getppid"' && pass "--cgroup CONTAINER-ID finds libpod-<id>.scope" || fail "--cgroup id: $out"
kill "$BG" 2>/dev/null; wait "$BG" 2>/dev/null; BG=

# Bad filters: clear usage errors.
out=$("$CONFINE" logs --since yesterday 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q -- "--since \"yesterday\"" && pass "--since yesterday: usage error" || fail "--since bad: rc=$rc $out"
out=$("$CONFINE" logs --cgroup /nonexistent/cg 2>&1); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "stat(\"/nonexistent/cg\")" && pass "--cgroup missing: usage error" || fail "--cgroup missing: rc=$rc $out"
out=$("$CONFINE" logs --exe uname 2>&1); rc=$?
[ $rc = 2 ] && pass "--exe relative: usage error" || fail "--exe relative: rc=$rc $out"

echo "logs_filter: $fails failure(s)"
[ $fails = 0 ]
