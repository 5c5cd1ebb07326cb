#!/bin/bash
# confine syscalls: the outputs users rely on, from the built binary, plus a
# live cross-check against strace (an independent syscall decoder): every
# "[ N] name(" strace prints for real programs must round-trip through us.
# usage: bash syscalls_cli.sh CONFINE_BIN SRC_DIR
set -u
BIN=${1:?confine binary}
SRC=${2:?source dir}
T=$(mktemp -d /tmp/confine-syscalls-it.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect WANT_RC WANT_STDOUT ARGS...  (stdout compared exactly)
expect() {
  local want_rc=$1 want_out=$2
  shift 2
  local out rc
  out=$("$BIN" syscalls "$@" 2>"$T/err")
  rc=$?
  if [ "$rc" != "$want_rc" ]; then fail "syscalls $* -> rc $rc, want $want_rc ($(cat "$T/err"))"; return; fi
  if [ "$out" != "$want_out" ]; then fail "syscalls $* -> '${out:0:200}', want '$want_out'"; return; fi
  pass=$((pass + 1))
}
# expect_err WANT_RC REGEX ARGS...  (stderr must match)
expect_err() {
  local want_rc=$1 re=$2
  shift 2
  "$BIN" syscalls "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ "$rc" != "$want_rc" ]; then fail "syscalls $* -> rc $rc, want $want_rc"; return; fi
  if ! grep -Eq -- "$re" "$T/err"; then fail "syscalls $* stderr '$(cat "$T/err")' !~ /$re/"; return; fi
  pass=$((pass + 1))
}

expect 0 nanosleep 35
expect 0 nanosleep 0x23
expect 0 101 nanosleep --arch aarch64
expect 0 101 --arch=arm64 nanosleep
expect 0 2 open
expect 0 read --arch x32 0x40000000
expect 0 1073741824 --arch x32 read
expect 0 4003 --arch mipsel read
expect 0 set_tls --arch arm 0xf0005
expect 0 file_setattr 469
expect 0 uprobe 336
expect 0 "$(printf '0\n1\n2')" read write open
out=$("$BIN" syscalls --arch x86 --all --output text)
[ "$(echo "$out" | head -3)" = "$(printf '0 restart_syscall\n1 exit\n2 fork')" ] || fail "--arch x86 --all head"
[ "$(echo "$out" | tail -1)" = "469 file_setattr" ] || fail "--arch x86 --all tail"
[ "$(echo "$out" | wc -l)" = 459 ] || fail "--arch x86 --all: $(echo "$out" | wc -l) lines, want 459"
out=$("$BIN" syscalls -a SCMP_ARCH_X86_64 --all)
[ "$(echo "$out" | head -2)" = "$(printf '0 read\n1 write')" ] || fail "SCMP_ARCH_X86_64 --all head"
echo "$out" | grep -qx '336 uprobe' || fail "x86_64 --all lacks 336 uprobe"
pass=$((pass + 1))

# --all-arches: one line per arch, number or "-".
out=$("$BIN" syscalls open --all-arches)
[ "$(echo "$out" | head -1)" = "ARCH         open" ] || fail "--all-arches header: $(echo "$out" | head -1)"
[ "$(echo "$out" | wc -l)" = 19 ] || fail "--all-arches: want 18 arches + header"
echo "$out" | grep -Eq '^aarch64 +-$' || fail "--all-arches: aarch64 should be -"
echo "$out" | grep -Eq '^mips64 +5002$' || fail "--all-arches: mips64 open should be 5002"
echo "$out" | grep -Eq '^x32 +1073741826 \(0x40000002\)$' || fail "--all-arches: x32 open"
pass=$((pass + 1))

# JSON, parsed by an independent parser.
if command -v python3 >/dev/null; then
  check_json() {
    local py=$1
    shift
    "$BIN" syscalls "$@" >"$T/j" 2>"$T/err" || { fail "syscalls $* failed: $(cat "$T/err")"; return; }
    python3 -c "import json,sys; d=json.load(open('$T/j')); sys.exit(0 if ($py) else 1)" ||
      fail "json check ($py) on: syscalls $*: $(head -c 300 "$T/j")"
    pass=$((pass + 1))
  }
  check_json 'd == {"arch": "x86_64", "name": "nanosleep", "nr": 35}' -o json 35
  check_json 'd == {"arch": "aarch64", "name": "nanosleep", "nr": 101}' -o json nanosleep --arch aarch64
  check_json '[x["nr"] for x in d] == [0, 1]' -o json read write
  check_json 'd["arches"]["aarch64"] is None and d["arches"]["x86_64"] == 2 and len(d["arches"]) == 18' \
    -o json open --all-arches
  check_json 'd["arches"]["x86_64"] == "nanosleep" and d["arches"]["mips"] is None' -o json 35 --all-arches
  check_json 'd["arch"] == "x86" and d["linux"] == "6.18" and d["syscalls"][0] == {"nr": 0, "name": "restart_syscall"}' \
    -o json --arch x86 --all
  check_json 'len(d) == 18 and d[0]["audit_arch"] == "0xc000003e"' -o json --list-arches
fi

# Errors: not found -> 1 with a useful message; usage -> 2.
expect_err 1 'unknown syscall "mkdri" \(did you mean: .*mkdir' mkdri
expect_err 1 '"open" does not exist on aarch64 \(it exists on: x86_64' open --arch aarch64
expect_err 1 'no syscall number 99999' 99999
expect_err 1 'no syscall number 99999 \(0x1869f\) on any architecture' 99999 --all-arches
expect_err 1 'no syscall number 1 on x32 \(x32 numbers start at 1073741824 \(0x40000000\); 1073741825 \(0x40000001\) is write\)' --arch x32 1
expect_err 1 'mips numbers start at 4000; 4003 is read' --arch mips 3
expect_err 2 'unknown architecture "sparc"' --arch sparc read
expect_err 2 'is not a syscall number' 12abc
expect_err 2 'is not a syscall number' 0x100000000
expect_err 2 'nothing to look up' 
expect_err 2 'unknown option --bogus' --bogus
expect_err 2 'exclude each other' --all --all-arches
expect_err 2 'text or json' -o yaml read
"$BIN" syscalls --help | grep -q 'confine syscalls nanosleep --arch aarch64' || fail "--help lacks examples"

# Live peer: strace -n prints the number the kernel saw next to its own name.
if command -v strace >/dev/null && strace -n -e trace=none true 2>/dev/null; then
  strace -f -n -o "$T/trace" sh -c 'ls / >/dev/null; cat /proc/self/status >/dev/null; sleep 0.01' 2>/dev/null
  sed -nE 's/^([0-9]+ +)?\[ *([0-9]+)\] ([a-z0-9_]+)\(.*/\2 \3/p' "$T/trace" | sort -u >"$T/pairs"
  n=$(wc -l <"$T/pairs")
  # One invocation for all numbers: names come back in query order.
  "$BIN" syscalls $(cut -d' ' -f1 "$T/pairs") >"$T/names" 2>&1 || fail "strace numbers: $(head -3 "$T/names")"
  paste -d' ' <(cut -d' ' -f1 "$T/pairs") "$T/names" | diff "$T/pairs" - >"$T/diff" ||
    fail "strace and confine disagree (strace < > confine): $(cat "$T/diff")"
  [ "$n" -ge 10 ] || fail "strace cross-check saw only $n syscalls"
  echo "strace cross-check: $n distinct syscalls agree"
  pass=$((pass + 1))
fi

echo "syscalls_cli: $pass passed, $fails failed"
[ "$fails" = 0 ]
