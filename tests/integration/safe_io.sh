#!/usr/bin/env bash
# Safe input and output for every verb (issue 11, items 4-5): inputs that are
# not regular files are refused (never a hang), outputs go through the safe
# writer (no symlink followed into a host file, mode kept, a document that holds
# more than the profile updated in place, a failed run never replaces a good
# profile), output paths are checked before the command runs, unknown
# capability names are errors, and text from a task is escaped on the terminal.
# Each case failed on the binary before the change, except two kept as
# regressions: the stdin bound of seccomp check and --log to an unwritable path.
#   bash safe_io.sh CONFINE_BIN SRC_DIR
set -uo pipefail
CONFINE=$1
SRC=$2
W=$(mktemp -d /tmp/confine-safeio.XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
pass=0 fails=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# -------------------------------------------------------------- FIFO inputs
mkfifo "$W/fifo"
cp "$SRC/profiles/runtime-default.json" "$W/p.json"
printf 'profile t {\n  /etc/hosts r,\n}\n' >"$W/t.aa"
# fifo_case NAME ARGS... : refused quickly (not killed by timeout), message names the FIFO
fifo_case() {
  local name=$1
  shift
  timeout 10 "$CONFINE" "$@" >"$W/out" 2>"$W/err" </dev/null
  local rc=$?
  if [ $rc = 124 ] || [ $rc = 137 ]; then
    bad "FIFO input: $name hangs (killed by timeout)"
  elif [ $rc = 0 ]; then
    bad "FIFO input: $name succeeded"
  elif grep -q "is a FIFO" "$W/err"; then
    ok "FIFO input: $name refused (exit $rc): $(grep -m1 'is a FIFO' "$W/err" | cut -c1-90)"
  else
    bad "FIFO input: $name: exit $rc without naming the FIFO: $(tail -1 "$W/err")"
  fi
}
fifo_case "seccomp check" seccomp check "$W/fifo"
fifo_case "seccomp fmt" seccomp fmt "$W/fifo"
fifo_case "seccomp compile" seccomp compile "$W/fifo"
fifo_case "seccomp test" seccomp test "$W/fifo" read
fifo_case "seccomp diff" seccomp diff "$W/p.json" "$W/fifo"
fifo_case "seccomp merge" seccomp merge "$W/p.json" "$W/fifo"
fifo_case "apparmor check" apparmor check "$W/fifo"
fifo_case "apparmor fmt" apparmor fmt "$W/fifo"
fifo_case "apparmor to-landlock" apparmor to-landlock "$W/fifo"
fifo_case "logs FILE" logs "$W/fifo"
fifo_case "logs -f FILE" logs -f "$W/fifo"
: >"$W/empty.log"
fifo_case "logs --to-seccomp PROFILE" logs --to-seccomp "$W/fifo" "$W/empty.log"
fifo_case "logs --to-apparmor PROFILE" logs --to-apparmor "$W/fifo" "$W/empty.log"
fifo_case "run --seccomp" run --seccomp "$W/fifo" -- /bin/true
fifo_case "run --apparmor" run --apparmor "$W/fifo" -- /bin/true

# -------------------------------------------------------------- /dev/zero
for args in "logs /dev/zero" "seccomp check /dev/zero" "apparmor check /dev/zero"; do
  # shellcheck disable=SC2086
  timeout 10 "$CONFINE" $args >/dev/null 2>"$W/err"
  rc=$?
  if [ $rc != 124 ] && [ $rc != 0 ] && grep -q "character device" "$W/err"; then
    ok "/dev/zero refused: $args"
  else
    bad "/dev/zero: $args: exit $rc: $(tail -1 "$W/err" | cut -c1-100)"
  fi
done
# Standard input is read with a bound.
if head -c 100M /dev/zero | timeout 20 "$CONFINE" seccomp check - >/dev/null 2>"$W/err"; then
  bad "100 MB on stdin accepted"
elif grep -q "too large" "$W/err"; then
  ok "stdin is read with a bound: $(grep -m1 'too large' "$W/err" | cut -c1-90)"
else
  bad "100 MB on stdin: $(tail -1 "$W/err")"
fi

# -------------------------------------------------------------- fmt -w on an OCI config
cat >"$W/config.json" <<'EOF'
{
  "ociVersion": "1.0.2",
  "process": {"args": ["sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "box",
  "linux": {
    "namespaces": [{"type": "pid"}],
    "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"name": "read", "action": "SCMP_ACT_ALLOW"}]}
  },
  "zzz": 1.50
}
EOF
"$CONFINE" seccomp fmt -w "$W/config.json" 2>"$W/err"
if /usr/bin/python3 - "$W/config.json" <<'PY'; then
import json, sys
t = open(sys.argv[1]).read()
d = json.loads(t)
assert list(d) == ["ociVersion", "process", "root", "hostname", "linux", "zzz"], list(d)
assert d["process"]["args"] == ["sh"] and d["root"]["readonly"] is True and d["hostname"] == "box"
assert list(d["linux"]) == ["namespaces", "seccomp"] and d["linux"]["namespaces"] == [{"type": "pid"}]
assert d["linux"]["seccomp"]["syscalls"][0]["names"] == ["read"], d["linux"]["seccomp"]
assert "1.50" in t  # the number literal as read
PY
  ok "seccomp fmt -w config.json rewrites only linux.seccomp"
else
  bad "seccomp fmt -w config.json lost the rest of the document: $(head -c 200 "$W/config.json")"
fi

printf '{"ociVersion":"1.0.2","hostname":"kept","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"}}}' >"$W/config2.json"
"$CONFINE" seccomp merge "$W/p.json" "$W/p.json" -o "$W/config2.json" 2>"$W/err"
if grep -q '"hostname": "kept"' "$W/config2.json" && grep -q '"ociVersion"' "$W/config2.json" &&
  grep -q '"SCMP_ACT_ERRNO"' "$W/config2.json"; then
  ok "seccomp merge -o config.json updates only linux.seccomp"
else
  bad "seccomp merge -o config.json replaced the document: $(head -c 120 "$W/config2.json")"
fi

# -------------------------------------------------------------- -w keeps mode, symlinks, hard links
printf '{"defaultAction":"SCMP_ACT_ALLOW"}' >"$W/m.json"
chmod 600 "$W/m.json"
"$CONFINE" seccomp fmt -w "$W/m.json" 2>"$W/err"
rc=$?
if [ $rc = 0 ] && grep -q '"defaultAction": "SCMP_ACT_ALLOW"' "$W/m.json" && [ "$(stat -c %a "$W/m.json")" = 600 ]; then
  ok "-w keeps mode 0600"
else
  bad "-w: exit $rc, mode $(stat -c %a "$W/m.json") (want 600): $(tail -1 "$W/err")"
fi
printf '{"defaultAction":"SCMP_ACT_ALLOW"}' >"$W/real.json"
ln -s real.json "$W/link.json"
"$CONFINE" seccomp fmt -w "$W/link.json" 2>/dev/null
if [ -L "$W/link.json" ] && grep -q '"defaultAction": "SCMP_ACT_ALLOW"' "$W/real.json"; then
  ok "-w through a symlink in a safe directory updates the target, the link stays"
else
  bad "-w replaced the symlink $W/link.json by a file"
fi
mkdir "$W/open" && chmod 777 "$W/open"
printf '{"defaultAction":"SCMP_ACT_ALLOW"} ' >"$W/victim"  # a valid profile: the writer is what refuses
ln -s "$W/victim" "$W/open/p.json"
if "$CONFINE" seccomp fmt -w "$W/open/p.json" 2>"$W/err"; then
  bad "-w followed a symlink in a world-writable directory"
elif grep -q "writable by others" "$W/err" && [ "$(cat "$W/victim")" = '{"defaultAction":"SCMP_ACT_ALLOW"} ' ]; then
  ok "-w refuses a symlink in a world-writable directory: $(cut -c1-100 "$W/err")"
else
  bad "-w symlink in a world-writable directory: $(cat "$W/err")"
fi
printf '{"defaultAction":"SCMP_ACT_ALLOW"}' >"$W/h1.json"
ln "$W/h1.json" "$W/h2.json"
if "$CONFINE" seccomp fmt -w "$W/h1.json" 2>"$W/err"; then
  bad "-w silently broke a hard link"
elif grep -q "hard links" "$W/err"; then
  ok "-w reports a hard-linked target instead of breaking the link"
else
  bad "-w hard link: $(cat "$W/err")"
fi

# -------------------------------------------------------------- record -o on a failed command
"$CONFINE" record --format none -o "$W/prof" -- /bin/true 2>/dev/null
cp -a "$W/prof" "$W/prof.orig"
"$CONFINE" record --format none -o "$W/prof" -- /typo >/dev/null 2>"$W/err"
rc=$?
if [ $rc = 127 ] && diff -r "$W/prof" "$W/prof.orig" >/dev/null && ! ls -a "$W" | grep -q '^\.prof\.tmp-'; then
  ok "record -o DIR -- /typo leaves the existing DIR untouched (exit 127), no temp directory left"
else
  bad "record -o DIR -- /typo: exit $rc, DIR changed: $(diff -r "$W/prof" "$W/prof.orig" | head -3)"
fi

# -------------------------------------------------------------- outputs checked before the command runs
rm -f "$W/ran"
"$CONFINE" run --mode complain --suggest /nonexistent-dir/s.json -- /bin/touch "$W/ran" 2>"$W/err"
rc=$?
[ $rc = 125 ] && [ ! -e "$W/ran" ] && ok "--suggest to an unwritable path: 125, command not run" ||
  bad "--suggest unwritable: exit $rc, command ran: $([ -e "$W/ran" ] && echo yes || echo no)"
rm -f "$W/ran"
"$CONFINE" run --mode complain --log /nonexistent-dir/l.jsonl -- /bin/touch "$W/ran" 2>"$W/err"
rc=$?
[ $rc = 125 ] && [ ! -e "$W/ran" ] && ok "--log to an unwritable path: 125, command not run" ||
  bad "--log unwritable: exit $rc, command ran: $([ -e "$W/ran" ] && echo yes || echo no)"
rm -f "$W/ran"
ln -s "$W/victim" "$W/open/log"
"$CONFINE" run --mode complain --log "$W/open/log" -- /bin/touch "$W/ran" 2>"$W/err"
rc=$?
[ $rc = 125 ] && [ ! -e "$W/ran" ] && [ "$(cat "$W/victim")" = '{"defaultAction":"SCMP_ACT_ALLOW"} ' ] && ok "--log through a planted symlink: 125, command not run" ||
  bad "--log planted symlink: exit $rc: $(cat "$W/err" | tail -1)"

# -------------------------------------------------------------- --suggest and a symlink planted at OUT.tmp
printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}' >"$W/deny.json"
printf 'host file\n' >"$W/host0600"
chmod 600 "$W/host0600"
mkdir "$W/sug"
ln -s "$W/host0600" "$W/sug/out.json.tmp"
"$CONFINE" run --mode complain --seccomp "$W/deny.json" --suggest "$W/sug/out.json" -- /bin/mkdir "$W/sug/d" 2>/dev/null
if grep -q "host file" "$W/host0600" && [ "$(stat -c %a "$W/host0600")" = 600 ] && grep -q mkdir "$W/sug/out.json"; then
  ok "--suggest does not follow a symlink planted at OUT.tmp"
else
  bad "--suggest overwrote the host file through OUT.tmp: $(head -c 80 "$W/host0600")"
fi

# -------------------------------------------------------------- unknown capability names
printf '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO",\n "includes":{"caps":["CAP_BOGUS"]}}]}\n' >"$W/cap.json"
"$CONFINE" seccomp check "$W/cap.json" >/dev/null 2>"$W/err"
rc=$?
[ $rc = 1 ] && grep -q 'cap.json:2:.*unknown capability "CAP_BOGUS"' "$W/err" &&
  ok "includes.caps CAP_BOGUS is an error at file:line:col" || bad "CAP_BOGUS: exit $rc: $(cat "$W/err")"

# -------------------------------------------------------------- escape sequences from a task's comm
evil="$W/$(printf 'x\033]0;PWN\007y')"
cp /bin/mkdir "$evil"
"$CONFINE" run --mode complain --seccomp "$W/deny.json" -- "$evil" "$W/esc" 2>"$W/err" >/dev/null
if grep -q "would be denied" "$W/err" && ! grep -q "$(printf '\033')" "$W/err" && grep -qF 'x\x1b]0;PWN\x07y' "$W/err"; then
  ok "complain events escape the task's comm: $(grep -m1 'would be denied' "$W/err" | cut -c1-90)"
else
  bad "raw control bytes from the task reach the terminal: $(grep -m1 mkdir "$W/err" | od -c | head -2)"
fi

echo "safe_io: $pass passed, $fails failed"
[ $fails = 0 ]
