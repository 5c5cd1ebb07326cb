#!/usr/bin/env bash
# Sockets and fifos a program creates (issue 12, "profiles that hold"): a program that
# binds a unix socket (python3, redis-server --unixsocket) or makes a fifo, recorded with
# `confine record`, must run under `confine run --profile DIR` (seccomp + the Landlock
# translation of DIR/apparmor.profile): the path does not exist at translation time (the
# program removes it at exit), and binding needs Landlock's make_sock on its directory
# (row created-node, docs/generalisation.md). A stale socket left at the path (it exists at
# translation time) must not matter either. The same profile with the "[created: unix
# socket]" mark removed (a hand-written `PATH w,`) is denied the bind under Landlock, and
# `--apparmor-mode complain` reports exactly that: complain and enforce agree.
# Enforcer: seccomp + Landlock (this host has no AppArmor LSM).
#   bash apparmor_unix_socket.sh CONFINE_BIN SRC_DIR
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/record.sh"
CONFINE=$1
W=$(mktemp -d /tmp/confine-unixsock.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for p in /usr/bin/python3 redis-server; do # make deps-test installs them: missing is a failure
  command -v "$p" >/dev/null || {
    echo "FAIL: $p not installed (make deps-test)"
    exit 1
  }
done
PY=$(readlink -f /usr/bin/python3)

cat >"$W/node.py" <<'EOF'
import os, socket, sys
kind, path = sys.argv[1], sys.argv[2]
if os.path.lexists(path):
    os.unlink(path)
if kind == "sock":
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()
else:
    os.mkfifo(path, 0o600)
    fd = os.open(path, os.O_RDWR)
    os.write(fd, b"x")
    assert os.read(fd, 1) == b"x"
    os.close(fd)
os.unlink(path)
print("ok", kind)
EOF
mkdir -p "$W/run" "$W/q"

record_workload sock "$W/p-sock" "$PY" "$W/node.py" sock "$W/run/app.sock"
[ "$rec_rc" = 0 ] || fail "record sock: exit $rec_rc ($(tail -3 "$W/sock.rec.err"))"
if grep -q "\"path\": \"$W/run/app.sock\"" "$W/p-sock/behavior.json" &&
  grep -A1 "\"path\": \"$W/run/app.sock\"" "$W/p-sock/behavior.json" | grep -q '"access": "[a-z]*s'; then
  pass "behavior.json records the bound socket with its kind (s)"
else
  fail "behavior.json: no socket entry for $W/run/app.sock"
fi
grep -qF "$W/run/app.sock w, # [created: unix socket]" "$W/p-sock/apparmor.profile" &&
  pass "apparmor.profile marks the socket rule" || fail "apparmor.profile: socket rule not marked"
apparmor_parser -Q -K "$W/p-sock/apparmor.profile" >/dev/null 2>&1 || ! command -v apparmor_parser >/dev/null ||
  fail "apparmor_parser rejects the generated profile"

run_node() { # run_node PROFDIR KIND PATH [extra run options]: sets out/rc
  local d=$1 k=$2 p=$3
  shift 3
  out=$(timeout -k 5 120 "$CONFINE" run --profile "$d" "$@" -- "$PY" "$W/node.py" "$k" "$p" 2>&1 </dev/null)
  rc=$?
}
run_node "$W/p-sock" sock "$W/run/app.sock"
[ "$rc" = 0 ] && pass "enforce: the recorded bind runs" || fail "enforce: bind denied (exit $rc): $(echo "$out" | tail -3)"
"$PY" -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$W/run/app.sock" # stale socket
run_node "$W/p-sock" sock "$W/run/app.sock"
[ "$rc" = 0 ] && pass "enforce: a stale socket at the path (exists at translation time) is replaced" ||
  fail "enforce with a stale socket: exit $rc: $(echo "$out" | tail -3)"
out=$("$CONFINE" apparmor to-landlock "$W/p-sock/apparmor.profile" 2>&1)
echo "$out" | grep -q "widening row created-node" && pass "to-landlock prints row created-node" ||
  fail "to-landlock does not print row created-node"

# Without the mark (a hand-written rule): Landlock denies the bind, complain mode says so.
cp -r "$W/p-sock" "$W/p-plain"
sed -i 's/ # \[created: unix socket\]//' "$W/p-plain/apparmor.profile"
rm -f "$W/run/app.sock"
run_node "$W/p-plain" sock "$W/run/app.sock"
if [ "$rc" != 0 ] && echo "$out" | grep -q "Permission denied"; then
  pass "enforce without the mark: bind denied (no make_sock granted silently)"
else
  fail "enforce without the mark: exit $rc (expected EACCES): $(echo "$out" | tail -2)"
fi
rm -f "$W/run/app.sock"
run_node "$W/p-plain" sock "$W/run/app.sock" --apparmor-mode complain
if [ "$rc" = 0 ] && echo "$out" | grep -q "landlock would deny bind $W/run/app.sock (make_sock)"; then
  pass "complain mode reports the bind enforce mode denies"
else
  fail "complain mode: exit $rc, no landlock report: $(echo "$out" | tail -3)"
fi
run_node "$W/p-sock" sock "$W/run/app.sock" --apparmor-mode complain
if [ "$rc" = 0 ] && ! echo "$out" | grep -q "complain: .*would deny"; then
  pass "complain mode reports nothing for the marked profile (enforce allows it)"
else
  fail "complain mode on the marked profile: exit $rc: $(echo "$out" | grep 'would deny' | head -3)"
fi

# A fifo: make_fifo (and its read/write) on its directory.
record_workload fifo "$W/p-fifo" "$PY" "$W/node.py" fifo "$W/q/f.fifo"
[ "$rec_rc" = 0 ] || fail "record fifo: exit $rec_rc"
grep -qF "$W/q/f.fifo rw, # [created: fifo]" "$W/p-fifo/apparmor.profile" &&
  pass "apparmor.profile marks the fifo rule" || fail "apparmor.profile: fifo rule not marked: $(grep f.fifo "$W/p-fifo/apparmor.profile")"
run_node "$W/p-fifo" fifo "$W/q/f.fifo"
[ "$rc" = 0 ] && pass "enforce: the recorded mkfifo runs" || fail "enforce: mkfifo denied (exit $rc): $(echo "$out" | tail -3)"

# redis-server with a unix socket (the reported case), recorded for a few seconds.
mkdir -p "$W/redis"
cat >"$W/redis/redis.conf" <<EOF
port 0
unixsocket $W/redis/redis.sock
unixsocketperm 700
save ""
appendonly no
dir $W/redis
daemonize no
EOF
timeout -k 5 120 "$CONFINE" record --format none --duration 6 -o "$W/p-redis" -- redis-server "$W/redis/redis.conf" \
  >"$W/redis.rec.out" 2>"$W/redis.rec.err" </dev/null
grep -q "ready to accept connections" "$W/redis.rec.out" ||
  fail "redis did not start while recorded: $(tail -3 "$W/redis.rec.out" "$W/redis.rec.err")"
grep -qF "$W/redis/redis.sock w, # [created: unix socket]" "$W/p-redis/apparmor.profile" &&
  pass "redis: the socket rule is marked" || fail "redis: socket rule not marked: $(grep redis.sock "$W/p-redis/apparmor.profile")"
rm -f "$W/redis/redis.sock"
"$CONFINE" run --profile "$W/p-redis" -- redis-server "$W/redis/redis.conf" >"$W/redis.run.out" 2>&1 </dev/null &
rpid=$!
for _ in $(seq 1 120); do # up to 60 s on a loaded machine
  grep -q "ready to accept connections\|Failed opening Unix socket" "$W/redis.run.out" && break
  kill -0 "$rpid" 2>/dev/null || break
  sleep 0.5
done
if grep -q "ready to accept connections" "$W/redis.run.out" && ! grep -q "Failed opening Unix socket" "$W/redis.run.out"; then
  pass "redis: confine run --profile binds its unix socket"
else
  fail "redis under the profile: $(tail -3 "$W/redis.run.out")"
fi
kill -TERM "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null

[ "$fails" = 0 ] || exit 1
echo "all passed"
