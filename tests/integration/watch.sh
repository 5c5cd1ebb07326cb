#!/bin/bash
# confine watch on the real kernel (docs/watch.md): the escape suite's attacks (harmless
# forms: run as uid 65534, or tests/escape/watch.c's variants) under the stock rules each
# alert exactly once, with the right rule and fields; corpus workloads alert 0 times; a
# rules file with an error is rejected with line:col; deviation mode alerts on a syscall
# outside a recorded profile; JSON alerts have falcosidekick's shape.
# usage: bash watch.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
BUILD=$(dirname "$BIN")
. "$SRC/tests/platform/results.sh"
. "$SRC/tests/integration/lib/watch_attacks.sh"
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (runs attacks as uid 65534 through setpriv)"; exit 77; fi
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) not installed"; exit 77; }
T=$(mktemp -d /var/tmp/confine-watch-XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; t_result fail "watch/$1" "${*:2}"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; t_result pass "watch/$1"; }
for p in escape_attacks escape_watch; do
  [ -x "$BUILD/$p" ] || { echo "FAIL: $BUILD/$p not built (ninja $p)"; exit 1; }
  cp "$BUILD/$p" "$T/$p" && chmod 755 "$T/$p"
done
ATT=$T/escape_attacks WAT=$T/escape_watch
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# watch_one NAME RULE FIELD_REGEX -- CMD...: exactly one alert, from RULE, whose JSON matches FIELD_REGEX.
watch_one() {
  local name=$1 rule=$2 re=$3
  shift 4
  rm -f "$T/alerts"
  "$BIN" watch -o json --alerts "$T/alerts" -- "$@" >"$T/out" 2>"$T/err"
  local rc=$? n
  n=$(grep -c . "$T/alerts" 2>/dev/null || true)
  if [ "$name" != memfd-exec ] && ! grep -q '^RESULT ' "$T/out"; then  # memfd-exec: the exec succeeds
    fail "$name" "the attack did not run (rc $rc): $(head -c 400 "$T/out" "$T/err")"
  elif [ "${n:-0}" != 1 ]; then
    fail "$name" "$n alerts, expected 1: $(cat "$T/alerts" 2>/dev/null | head -c 1500)"
  elif ! grep -qF "\"rule\":\"$rule\"" "$T/alerts"; then
    fail "$name" "wrong rule: $(cat "$T/alerts")"
  elif ! grep -qE "$re" "$T/alerts" || grep -q '\\n"' "$T/alerts"; then
    fail "$name" "fields do not match /$re/: $(cat "$T/alerts")"
  else
    pass "$name" "$rule"
  fi
}

# The shared attack list (tests/integration/lib/watch_attacks.sh), one alert each.
watch_attacks watch_one
# symlink-ro makes the link and then writes /etc/passwd through it: two attacks, one alert each.
rm -f "$T/alerts"
"$BIN" watch -o json --alerts "$T/alerts" -- "${NOBODY[@]}" "$ATT" symlink-ro >"$T/out" 2>"$T/err"
if [ "$(grep -c . "$T/alerts")" = 2 ] &&
   grep -q '"rule":"Symlink over sensitive file".*' "$T/alerts" && grep -q '"evt.arg.target":"/etc/passwd"' "$T/alerts" &&
   grep '"rule":"Write below etc"' "$T/alerts" | grep -q '"fd.name":"/etc/passwd"'; then
  pass symlink "Symlink over sensitive file + Write below etc through the link"
else
  fail symlink "expected a symlink alert and a write-below-etc alert on /etc/passwd: $(head -c 2000 "$T/alerts")"
fi
# Evasions of the stock rules: each must still alert once (links followed as the kernel follows them,
# a rename into /etc, a memfd run through /proc/self/fd, /dev/shm through a link or the loader).
ln -s /etc/shadow "$T/shadow-link"
watch_one read-via-link "Read sensitive file" '"fd.name":"/etc/shadow".*"user.name":"nobody"' -- \
  "${NOBODY[@]}" "$WAT" read-via-link "$T/shadow-link"
LDSO=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null || true)
if [ -n "$LDSO" ]; then
  watch_one devshm-ldso "Execution from /dev/shm" '"proc.cmdline":"ld-linux-x86-64 /dev/shm/confine-watch-[0-9]+"' -- \
    "${NOBODY[@]}" "$WAT" devshm-ldso "$LDSO"
else
  fail devshm-ldso "no /lib64/ld-linux-x86-64.so.2 on an x86_64 Debian"
fi
# A program without a listening socket starting a shell: no alert (proc.pis_server).
rm -f "$T/alerts"
"$BIN" watch -o json --alerts "$T/alerts" -- "${NOBODY[@]}" "$WAT" plain-shell >"$T/out" 2>"$T/err"
if grep -q '^RESULT ok' "$T/out" && [ ! -s "$T/alerts" ]; then pass plain-shell "no listener, no alert"
else fail plain-shell "a shell started by a program without a listening socket: $(cat "$T/out" "$T/alerts" 2>/dev/null | head -c 1500)"; fi
# Text output: one line with the priority and <NA> for what a source cannot see.
"$BIN" watch -- "${NOBODY[@]}" "$WAT" module-load >"$T/out" 2>"$T/err"
if grep -qE '^[0-9T:.-]+Z: Critical Kernel module load attempted \(syscall=finit_module proc=escape_watch' "$T/err" &&
   grep -qE '^confine watch: [0-9]+ syscalls, [0-9]+ events evaluated, 1 alerts, 0 dropped' "$T/err"; then
  pass text-output
else
  fail text-output "$(cat "$T/err")"
fi

# Corpus workloads under the stock rules: no alert.
for prog in grep sort tar diff jq; do
  D=$SRC/tests/corpus/$prog
  [ -d "$D" ] || continue
  pkgbin=$(sed -n 's/^programs=//p' "$D/meta" | awk '{print $1}')
  if [ -n "$pkgbin" ] && [ ! -x "$pkgbin" ]; then
    echo "skip: corpus $prog ($pkgbin not installed)"; t_result skip "watch/corpus-$prog" "$pkgbin not installed"; continue
  fi
  W=$T/corpus-$prog && mkdir -p "$W/data"
  sh "$D/prepare" "$W/data" train >/dev/null 2>&1 || { fail "corpus-$prog" "prepare failed"; continue; }
  rm -f "$T/alerts"
  "$BIN" watch --alerts "$T/alerts" -- sh "$D/workload" "$W/data" >"$W/out" 2>"$W/err"
  rc=$?
  if [ "$rc" != 0 ]; then fail "corpus-$prog" "workload exit $rc: $(tail -c 500 "$W/err")"
  elif [ -s "$T/alerts" ]; then fail "corpus-$prog" "alerts: $(head -c 1500 "$T/alerts")"
  else pass "corpus-$prog"; fi
done

# A rules file with an error: rejected with file:line:col, exit 125, the command never runs.
cat >"$T/bad.yaml" <<'YAML'
- rule: Bad
  desc: a typo in a field name
  condition: evt.type = openat and proc.nmae = sh
  output: x
  priority: WARNING
YAML
"$BIN" watch --rules "$T/bad.yaml" -- touch "$T/ran" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" = 125 ] && grep -qF "bad.yaml:3:36: unknown field \"proc.nmae\"" "$T/err" && [ ! -e "$T/ran" ]; then
  pass bad-rules
else
  fail bad-rules "rc $rc: $(cat "$T/err")"
fi
"$BIN" watch --check --rules "$T/bad.yaml" >/dev/null 2>&1 && fail bad-rules-check "--check accepted a bad file" || pass bad-rules-check
"$BIN" watch --check >"$T/out" 2>&1 && grep -q 'rules enabled' "$T/out" && pass stock-check || fail stock-check "$(cat "$T/out")"

# Deviation mode: a profile recorded from one run; a syscall that run never made alerts (once).
"$BIN" record -o "$T/prof" -- "$ATT" no-such-attack >/dev/null 2>&1
[ -f "$T/prof/behavior.json" ] || fail deviation "record wrote no behavior.json"
: >"$T/none.yaml"
rm -f "$T/alerts"
"$BIN" watch --rules "$T/none.yaml" --profile "$T/prof" --alerts "$T/alerts" -- "$ATT" keyctl >"$T/out" 2>"$T/err"
if grep -q 'Deviation from the recorded profile (syscall keyctl (x86_64) not in' "$T/alerts" &&
   [ "$(grep -c 'syscall keyctl' "$T/alerts")" = 1 ] && grep -q 'RESULT' "$T/out"; then
  pass deviation
else
  fail deviation "$(cat "$T/alerts" "$T/err" 2>/dev/null | head -c 2000)"
fi
# ... and the recorded run itself deviates in nothing.
rm -f "$T/alerts"
"$BIN" watch --rules "$T/none.yaml" --profile "$T/prof" --alerts "$T/alerts" -- "$ATT" no-such-attack >/dev/null 2>&1
[ ! -s "$T/alerts" ] && pass deviation-none || fail deviation-none "$(cat "$T/alerts")"

# SIGHUP reloads the rules files (the command goes on: SIGHUP is not forwarded as a stop request);
# a reload that fails keeps the old rules. Rule A before, rule B after the reload, on the same open.
rule() { printf -- '- rule: %s\n  desc: d\n  condition: evt.type in (open, openat) and fd.name = /etc/hostname\n  output: %s %%proc.name\n  priority: NOTICE\n' "$1" "$1"; }
rule RuleA >"$T/hup.yaml"; rule RuleB >"$T/hup-b.yaml"; printf -- '- rule: [\n' >"$T/hup-bad.yaml"
rm -f "$T/alerts"
# The reload is applied by the supervisor at the next event: the command opens the file until B fired
# or 100 tries (10 s) passed; HUP first with a broken file (kept A), then with B.
"$BIN" watch --rules "$T/hup.yaml" --alerts "$T/alerts" -- sh -c '
  cat /etc/hostname >/dev/null
  cp "$1/hup-bad.yaml" "$1/hup.yaml"; kill -HUP $PPID; sleep 0.3; cat /etc/hostname >/dev/null
  cp "$1/hup-b.yaml" "$1/hup.yaml"; kill -HUP $PPID
  i=0; while [ $i -lt 100 ] && ! grep -q RuleB "$1/alerts"; do sleep 0.1; cat /etc/hostname >/dev/null; i=$((i+1)); done
  echo done' sh "$T" >"$T/out" 2>"$T/err"
rc=$?
if [ "$rc" = 0 ] && grep -q done "$T/out" && grep -q '^.*Notice RuleA' "$T/alerts" && grep -q 'Notice RuleB' "$T/alerts" &&
   grep -q 'SIGHUP: rules reloaded' "$T/err" && ! sed -n '/RuleB/,$p' "$T/alerts" | grep -q RuleA; then
  pass sighup-reload
else
  fail sighup-reload "rc $rc: $(cat "$T/out" "$T/err" "$T/alerts" 2>/dev/null | head -c 2000)"
fi
grep -q 'SIGHUP: rules not reloaded' "$T/err" && pass sighup-bad-kept || fail sighup-bad-kept "$(head -c 1000 "$T/err")"

# --cgroup/--all watch running processes (the eBPF source: watch_ebpf.sh): not with a command.
"$BIN" watch --all -- true 2>"$T/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'no command' "$T/err" && pass all-no-command || fail all-no-command "rc $rc $(cat "$T/err")"

echo "watch: $fails failure(s)"
[ "$fails" = 0 ]
