#!/usr/bin/env bash
# confine record on bad input: clear message, right exit status; nothing
# written when the command did not start; a partial recording (marked partial)
# written when the command ran, to a new directory only.
#   bash record_bad_input.sh CONFINE_BIN SRC_DIR
set -uo pipefail
CONFINE=$1
W=$(mktemp -d /tmp/confine-bad.XXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0
# expect NAME WANT_RC MESSAGE_REGEX -- ARGS...
expect() {
  local name=$1 want=$2 re=$3
  shift 4
  timeout 60 "$CONFINE" "$@" >"$W/out" 2>"$W/err" </dev/null
  local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL: $name: exit $rc, want $want"; sed 's/^/    /' "$W/err" | tail -3; fails=$((fails + 1)); return 1
  fi
  if ! grep -Eq "$re" "$W/err"; then
    echo "FAIL: $name: stderr lacks /$re/"; sed 's/^/    /' "$W/err" | tail -3; fails=$((fails + 1)); return 1
  fi
  echo "PASS: $name (exit $rc: $(grep -E "$re" "$W/err" | head -1 | cut -c1-110))"
}
partial() {  # DIR REASON_REGEX
  if /usr/bin/python3 -c 'import json,sys,re; b=json.load(open(sys.argv[1]+"/behavior.json")); assert b["partial"] and re.search(sys.argv[2], b["partial_reason"]), b["partial_reason"]' "$1" "$2" &&
    [ -s "$1/seccomp.json" ]; then
    echo "PASS:   ... partial recording written and marked partial"
  else
    echo "FAIL:   ... no partial recording in $1"; fails=$((fails + 1))
  fi
}

expect "missing command" 2 "no command given" -- record -o "$W/a"
expect "unknown option" 2 "unknown option|unknown" -- record --bogus -- true
expect "bad --args" 125 "expected none, sensitive or strict" -- record --args loose -o "$W/a" -- true
nothing() {  # DIR
  if [ ! -e "$1" ] && ! ls -a "$(dirname "$1")" | grep -q "^\.$(basename "$1")\.tmp-"; then
    echo "PASS:   ... nothing written"
  else
    echo "FAIL:   ... $1 (or its temp directory) exists"; fails=$((fails + 1))
  fi
}
expect "not found" 127 "not found" -- record -o "$W/nf" -- /nonexistent/cmd
nothing "$W/nf"
expect "not executable" 126 "not executable" -- record -o "$W/nx" -- /etc/passwd
nothing "$W/nx"
expect "directory as command" 126 "is a directory" -- record -o "$W/nd" -- /usr
expect "output dir not writable" 125 "cannot create directory|not writable|not a directory" -- record -o /proc/confine-x -- true
expect "output is a file" 125 "cannot create|not a directory" -- record -o /etc/passwd -- true
expect "exit status passes through" 7 "recorded" -- record -o "$W/e7" -- sh -c 'exit 7'
expect "crash (SIGSEGV)" 139 "partial recording: the command was killed by signal 11" -- record -o "$W/segv" -- sh -c 'kill -SEGV $$'
partial "$W/segv" "signal 11"
expect "killed (SIGKILL)" 137 "killed by signal 9" -- record -o "$W/kill" -- sh -c 'kill -KILL $$'
partial "$W/kill" "signal 9"
# A partial recording never replaces an existing set.
cp "$W/e7/seccomp.json" "$W/e7.seccomp"
expect "partial keeps an existing DIR" 137 "kept as it was" -- record -o "$W/e7" -- sh -c 'kill -KILL $$'
cmp -s "$W/e7/seccomp.json" "$W/e7.seccomp" && echo "PASS:   ... $W/e7 unchanged" || { echo "FAIL:   ... $W/e7 changed"; fails=$((fails + 1)); }
# A program that installs its own seccomp filter (allow-all, via prctl).
cat >"$W/ownfilter.py" <<'PY'
import ctypes, struct
libc = ctypes.CDLL(None, use_errno=True)
insn = struct.pack("HBBI", 0x06, 0, 0, 0x7fff0000)  # BPF_RET|BPF_K SECCOMP_RET_ALLOW
buf = ctypes.create_string_buffer(insn)
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = Prog(1, ctypes.cast(buf, ctypes.c_void_p))
assert libc.prctl(38, 1, 0, 0, 0) == 0  # PR_SET_NO_NEW_PRIVS
assert libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0, ctypes.get_errno()  # PR_SET_SECCOMP FILTER
print("filtered")
raise SystemExit(5)
PY
expect "own seccomp filter" 5 "installed its own seccomp filter" -- record -o "$W/own" -- /usr/bin/python3 "$W/ownfilter.py"
# Nested recording: the inner supervisor cannot get a listener.
expect "nested record" 125 "EBUSY|already under a seccomp user-notification" -- record -o "$W/outer" -- "$CONFINE" record -o "$W/inner" -- true
# stdin passes through
out=$(echo "through stdin" | "$CONFINE" record --format none -o "$W/cat" -- cat 2>/dev/null)
[ "$out" = "through stdin" ] && echo "PASS: stdin/stdout pass through" || { echo "FAIL: stdin/stdout: '$out'"; fails=$((fails + 1)); }
# --merge: union of two runs
"$CONFINE" record --format none -o "$W/m" -- true 2>/dev/null
"$CONFINE" record --format none -o "$W/m" --merge -- ls / >/dev/null 2>&1
grep -q '"getdents64"' "$W/m/behavior.json" && grep -q '"getdents64"' "$W/m/seccomp.json" &&
  echo "PASS: --merge keeps the union" || { echo "FAIL: --merge"; fails=$((fails + 1)); }
echo '{"version": 1, "arches": {"vax": {}}}' >"$W/m/behavior.json"
expect "--merge with a broken behavior.json" 125 "behavior.json:1:27: arches: unknown architecture" -- record -o "$W/m" --merge -- true
# Non-root: the child sets no_new_privs itself; the listener is still fetched.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  mkdir -p "$W/nonroot" && chmod 777 "$W" "$W/nonroot"
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CONFINE" record --format none -o "$W/nonroot/p" -- sh -c 'id -u; grep NoNewPrivs /proc/self/status' 2>/dev/null)
  echo "$out" | grep -q "^65534" && echo "$out" | grep -q "NoNewPrivs:.*1" && grep -q '"getuid"' "$W/nonroot/p/behavior.json" &&
    echo "PASS: records as non-root (no_new_privs set)" || { echo "FAIL: non-root recording: $out"; fails=$((fails + 1)); }
fi
[ $fails = 0 ] && echo "record_bad_input: all passed" || echo "record_bad_input: $fails failure(s)"
[ $fails = 0 ]
