#!/usr/bin/env bash
# One supervisor (issue 15): only src/supervise/ installs a seccomp notify filter
# (SECCOMP_FILTER_FLAG_NEW_LISTENER) or receives/answers notifications
# (SECCOMP_IOCTL_NOTIF_RECV/SEND/ID_VALID/SET_FLAGS); the recorder, the sandbox's
# pid 1 and the AppArmor complain observer call supervise/listener.h. And only
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
hits=$(grep -rn --include='*.cc' --include='*.h' -e 'find("\\"syscall\\"")' -e "find(\"syscall\")" "$SRC/src" |
  grep -v "^$SRC/src/supervise/")
if [ -z "$hits" ]; then
  pass "the event line's \"syscall\" member is read only by supervise::parse_event"
else
  fail "event line members read outside src/supervise/:"
  echo "$hits" | sed 's/^/    /'
fi
[ $fails = 0 ]
