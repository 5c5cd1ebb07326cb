#!/bin/bash
# confine logs over every fixture form, through the CLI: valid JSON (also for
# binary and non-UTF-8 input), stable counts, stdin, and the text summary.
# usage: bash logs_fixtures.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=${1:?confine binary}
SRC=${2:?source dir}
F="$SRC/tests/fixtures/logs"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: no python3 (make deps-test installs it)"; exit 1; }

check() {  # file events skipped
  local out
  out=$("$CONFINE" logs "$F/$1" -o json) || fail "$1: exit $?"
  python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
s = d["stats"]
assert s["events"] == int(sys.argv[1]) and len(d["events"]) == s["events"], (sys.argv[3], s)
assert s["skipped"] == int(sys.argv[2]), (sys.argv[3], s)
assert s["records"] == s["events"] + s["other"] + s["skipped"], s
for e in d["events"]:
    assert e["kind"] in ("seccomp", "apparmor", "selinux", "landlock"), e
    if e["kind"] == "seccomp":
        assert isinstance(e["syscall_nr"], int) and e["audit_arch"], e
' "$2" "$3" "$1" <<<"$out" || fail "$1: JSON check"
}
check seccomp_seeds_syslog.log 2 0
check seccomp_kernel.log 8 0
check auditd.log 8 0
check apparmor.log 17 0
check landlock.log 8 0
check journal.export 3 0
check journal.json 3 0
check malformed.log 0 11
check kernel_6.18_real.log 5 0

# All fixtures concatenated through stdin (journal export is a stream format of its own: left out).
cat "$F"/seccomp_*.log "$F"/apparmor.log "$F"/auditd.log "$F"/landlock.log "$F"/malformed.log |
  "$CONFINE" logs - -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["stats"]["events"] == 43 and d["stats"]["skipped"] == 11, d["stats"]
assert d["summary"]["by_syscall"]["mkdir"] == 4, d["summary"]["by_syscall"]
' || fail "stdin mix"
"$CONFINE" logs -s "$F/seccomp_seeds_syslog.log" | grep -q "by syscall: futex(1) getpid(1)" || fail "summary text"
"$CONFINE" logs "$F/seccomp_seeds_syslog.log" | grep -q "^seccomp x86_64 futex(202) LOG pid=801989" || fail "event text"
journalctl --version >/dev/null 2>&1 && { journalctl -k -o export -n 200 2>/dev/null | "$CONFINE" logs - >/dev/null || fail "live journal export"; }
"$CONFINE" logs -o yaml "$F/auditd.log" >/dev/null 2>&1; [ $? -eq 2 ] || fail "-o yaml must exit 2"
"$CONFINE" logs a b >/dev/null 2>&1; [ $? -eq 2 ] || fail "two files must exit 2"
echo "PASS logs_fixtures"
