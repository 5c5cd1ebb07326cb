#!/bin/bash
# tests/corpus/verdict.py: a complain-pass finding is labelled by the enforcer that would
# deny it. An event with "enforcer": "landlock" (the AppArmor rules allow the access, their
# Landlock translation does not: src/apparmor/complain.cc) is "landlock would deny" with
# the missing Landlock rights, never "apparmor would deny" with an AppArmor rule to add.
# usage: bash corpus_verdict.sh CONFINE_BIN SRC_DIR
set -u
SRC=${2:?source dir}
command -v python3 >/dev/null || { echo "FAIL: no python3 (make deps-test installs it)"; exit 1; }
T=$(mktemp -d /tmp/confine-verdict.XXXXXX)
trap 'rm -rf "$T"' EXIT
cat >"$T/c.jsonl" <<'J'
{"kind":"apparmor","enforcer":"landlock","syscall":"unlinkat","comm":"rm","operation":"rmdir","path":"/w/out/uz","directory":true,"requested":"w","denied":"w","landlock":"remove_dir"}
{"kind":"apparmor","syscall":"openat","comm":"cat","operation":"open","path":"/w/secret/key.txt","requested":"r","denied":"r"}
{"kind":"seccomp","syscall":"fsync","comm":"redis"}
J
out=$(cd "$SRC/tests/corpus" && python3 -c 'import sys, verdict; print("\n".join(verdict.complain_events(sys.argv[1])))' "$T/c.jsonl") ||
  { echo "FAIL: verdict.complain_events: exit $?"; exit 1; }
echo "$out"
fails=0
want() { if echo "$out" | grep -qF -- "$1"; then echo "PASS: $1"; else echo "FAIL: missing: $1"; fails=$((fails + 1)); fi; }
want "landlock would deny rmdir /w/out/uz (remove_dir;"
want "apparmor would deny open /w/secret/key.txt (r) -> rule \`/w/secret/key.txt r,\`"
want "seccomp would deny fsync (redis) -> allow fsync"
if echo "$out" | grep -q "apparmor would deny rmdir"; then
  echo "FAIL: a Landlock-only denial labelled as AppArmor's"
  fails=$((fails + 1))
fi
[ $fails = 0 ]
