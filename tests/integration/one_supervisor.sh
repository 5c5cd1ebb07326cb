#!/usr/bin/env bash
# One supervisor (issue 15): only src/supervise/ installs a seccomp notify filter
# (SECCOMP_FILTER_FLAG_NEW_LISTENER) or receives/answers notifications
# (SECCOMP_IOCTL_NOTIF_RECV/SEND/ID_VALID/SET_FLAGS), and only its loop
# (supervise::Supervisor, loop.h) calls the shared recv()/send_continue()/id_valid():
# a second loop built on them elsewhere fails here too. The recorder, the sandbox's
# pid 1 and the AppArmor complain observer plug observers into that loop. And only
# src/supervise/event.cc reads a complain event line (supervise::parse_event):
# no other file looks up the event line's "syscall" member by hand.
#   bash one_supervisor.sh CONFINE_BIN SRC_DIR
set -uo pipefail
SRC=$(readlink -f "$2")
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ -d "$SRC/src/supervise" ] || { echo "FAIL: no $SRC/src/supervise"; exit 1; }
for sym in SECCOMP_IOCTL_NOTIF_RECV SECCOMP_IOCTL_NOTIF_SEND SECCOMP_IOCTL_NOTIF_ID_VALID \
  SECCOMP_IOCTL_NOTIF_SET_FLAGS 'SECCOMP_IOW(4' SECCOMP_FILTER_FLAG_NEW_LISTENER; do
  # Comments and string literals (error messages, profile flag names) do not count.
  hits=$(grep -rnF --include='*.cc' --include='*.h' -- "$sym" "$SRC/src" | grep -v "^$SRC/src/supervise/" |
    awk -v s="$sym" -F: '{ line = $0; sub(/^[^:]*:[^:]*:/, "", line); code = line; gsub(/"([^"\\]|\\.)*"/, "", code); sub(/\/\/.*/, "", code);
      if (index(code, s)) print }')
  if [ -z "$hits" ]; then
    pass "$sym only in src/supervise/"
  else
    fail "$sym outside src/supervise/:"
    echo "$hits" | sed 's/^/    /'
  fi
done
# Code only (comments and string literals stripped): the loop's primitives called, or
# brought into scope, outside src/supervise/.
hits=$(grep -rnE --include='*.cc' --include='*.h' -- '(recv|send_continue|id_valid|handle_one)\b|namespace confine::supervise' "$SRC/src" |
  grep -v "^$SRC/src/supervise/" |
  awk '{ line = $0; sub(/^[^:]*:[^:]*:/, "", line); code = line; gsub(/"([^"\\]|\\.)*"/, "", code); sub(/\/\/.*/, "", code);
    if (code ~ /supervise::(recv|send_continue|id_valid|notif_id_valid)[ \t]*\(/ || code ~ /handle_one[ \t]*\(/ ||
        code ~ /using[ \t]+(namespace[ \t]+)?(confine::)?supervise(::(recv|send_continue|id_valid))?[ \t]*;/ ||
        code ~ /namespace[ \t]+confine::supervise/) print }')
if [ -z "$hits" ]; then
  pass "recv()/send_continue()/id_valid() called only by the loop in src/supervise/"
else
  fail "the notification primitives used outside src/supervise/ (a second loop?):"
  echo "$hits" | sed 's/^/    /'
fi
hits=$(grep -rn --include='*.cc' --include='*.h' -e 'find("\\"syscall\\"")' -e "find(\"syscall\")" "$SRC/src" |
  grep -v "^$SRC/src/supervise/")
if [ -z "$hits" ]; then
  pass "the event line's \"syscall\" member is read only by supervise::parse_event"
else
  fail "event line members read outside src/supervise/:"
  echo "$hits" | sed 's/^/    /'
fi
[ $fails = 0 ]
