#!/bin/bash
# Integration test of `confine seccomp check|fmt|diff|merge` on Docker's and podman's real
# profiles, on broken profiles (messages with file:line:col, exit codes), and against moby's
# own Go resolution code (setupSeccomp) as an oracle when the Go toolchain is available.
# usage: bash seccomp_check.sh CONFINE_BIN SRC_DIR
set -u
BIN=${1:?confine binary}
SRC=${2:?source dir}
MOBY=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp
DOCKER=$MOBY/default.json
PODMAN=/usr/share/containers/seccomp.json
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
pass=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { pass=$((pass + 1)); }

# run NAME WANT_RC CMD... : runs CMD, stdout -> $T/out, stderr -> $T/err, checks the exit code.
run() {
  local name=$1 want=$2
  shift 2
  "$@" >"$T/out" 2>"$T/err"
  local rc=$?
  if [ "$rc" != "$want" ]; then
    fail "$name: exit $rc, want $want: $*"
    sed 's/^/    /' "$T/err" | head -5 >&2
    return 1
  fi
  ok
}
# has NAME FILE REGEX
has() {
  if grep -Eq -- "$3" "$T/$2"; then ok; else
    fail "$1: /$3/ not in $2"
    sed 's/^/    /' "$T/$2" | head -5 >&2
  fi
}

[ -f "$DOCKER" ] || { echo "FAIL: Docker profiles not installed (golang-github-docker-docker-dev, make deps-test)"; exit 1; }

# --- usage ------------------------------------------------------------------
run usage-none 2 "$BIN" seccomp check
run usage-opt 2 "$BIN" seccomp check --bogus "$DOCKER"
run usage-caps 2 "$BIN" seccomp check --caps CAP_NOPE "$DOCKER"
has usage-caps err 'unknown capability "CAP_NOPE"'
run usage-arch 2 "$BIN" seccomp check --arch vax "$DOCKER"
run usage-kernel 2 "$BIN" seccomp check --kernel five "$DOCKER"
for sub in check fmt diff merge; do
  run "help-$sub" 0 "$BIN" seccomp "$sub" --help
  has "help-$sub" out 'examples:'
done

# --- real profiles ------------------------------------------------------------
run docker 0 "$BIN" seccomp check "$DOCKER" --arch x86_64 --kernel 6.1
has docker out '^/.*default.json: valid \([0-9]+ rule groups'
has docker out '^default action: ERRNO\(1 EPERM\)'
has docker out '^x86_64 +[0-9]{3} +[0-9]+ +[0-9]+ +[0-9]+'
has docker out '^x86 +[0-9]{3}'
has docker out '^x32 +[0-9]{3}'
run docker-aarch64 0 "$BIN" seccomp check "$DOCKER" --arch aarch64
has docker-aarch64 out '^aarch64 +[0-9]{3}'
has docker-aarch64 out '^arm +[0-9]{3}'
run docker-json 0 "$BIN" seccomp check "$DOCKER" -o json --caps all
python3 - "$T/out" <<'PY' && ok || fail "docker-json: bad JSON summary"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is True and d["defaultAction"] == "ERRNO(1 EPERM)", d
a = {x["arch"]: x for x in d["arches"]}
assert set(a) >= {"x86_64", "x86", "x32"}, a.keys()
assert a["x86_64"]["allowed"] > 300
PY
# more capabilities never allow fewer syscalls (Docker's includes/excludes are monotone in that sense)
n_none=$("$BIN" seccomp check "$DOCKER" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["arches"][0]["allowed"])')
n_all=$("$BIN" seccomp check "$DOCKER" -o json --caps all | python3 -c 'import json,sys; print(json.load(sys.stdin)["arches"][0]["allowed"])')
[ "$n_all" -gt "$n_none" ] && ok || fail "caps all ($n_all) should allow more than none ($n_none)"
# --caps default = confine run's default set, spelled out (podman's default_capabilities)
d1=$("$BIN" seccomp check "$DOCKER" -o json --caps default)
d2=$("$BIN" seccomp check "$DOCKER" -o json --caps CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,NET_BIND_SERVICE,SETFCAP,SETGID,SETPCAP,SETUID,SYS_CHROOT)
[ -n "$d1" ] && [ "$(echo "$d1" | grep -v '"caps"')" = "$(echo "$d2" | grep -v '"caps"')" ] && ok || fail "--caps default differs from the spelled-out podman set"

run podman 0 "$BIN" seccomp check "$PODMAN"
has podman out 'default action: ERRNO\(38 ENOSYS\)'
has podman err "^$PODMAN:4:2: warning: unknown key \"defaultErrno\" in the profile is ignored by runtimes"
has podman err "^$PODMAN:[0-9]+:[0-9]+: warning: unknown key \"errno\" in a syscall rule"
run podman-strict 1 "$BIN" seccomp check --strict "$PODMAN"
for f in "$MOBY"/fixtures/*.json; do run "fixture-$(basename "$f")" 0 "$BIN" seccomp check "$f"; done

# OCI config.json
python3 - "$DOCKER" >"$T/config.json" <<'PY'
import json, sys
print(json.dumps({"ociVersion": "1.0.2", "process": {"args": ["sh"]}, "linux": {"seccomp": json.load(open(sys.argv[1]))}}))
PY
run oci-config 0 "$BIN" seccomp check "$T/config.json"
echo '{"ociVersion":"1.0.2","linux":{"namespaces":[]}}' >"$T/noseccomp.json"
run oci-none 1 "$BIN" seccomp check "$T/noseccomp.json"
has oci-none err 'noseccomp.json:1:31: OCI config has no linux.seccomp profile'

# bundled profile by name
"$BIN" seccomp check runtime-default >"$T/out" 2>"$T/err"
case $? in
  0) has runtime-default out 'runtime-default: valid' ;;
  1) has runtime-default-missing err 'bundled profile "runtime-default" (is not installed|.*)' ;;
  *) fail "runtime-default: unexpected exit code" ;;
esac

# --- fmt ----------------------------------------------------------------------
run fmt1 0 "$BIN" seccomp fmt "$DOCKER"
cp "$T/out" "$T/a.json"
run fmt2 0 "$BIN" seccomp fmt "$T/a.json"
cmp -s "$T/out" "$T/a.json" && ok || fail "fmt is not a fixpoint"
run fmt-check-canonical 0 "$BIN" seccomp fmt --check "$T/a.json"
run fmt-check-docker 1 "$BIN" seccomp fmt --check "$DOCKER"
cp "$PODMAN" "$T/p.json"
run fmt-w 0 "$BIN" seccomp fmt -w "$T/p.json"
run fmt-w-check 0 "$BIN" seccomp fmt --check "$T/p.json"
run fmt-w-bundled 2 "$BIN" seccomp fmt -w runtime-default
run fmt-stdin 0 "$BIN" seccomp fmt - <"$MOBY/fixtures/example.json"
has fmt-stdin out '"names": \["clone"\]'
# the canonical form behaves exactly like the original
run fmt-same 0 "$BIN" seccomp diff "$DOCKER" "$T/a.json" --caps all
run fmt-same-podman 0 "$BIN" seccomp diff "$PODMAN" "$T/p.json"

# --- diff ---------------------------------------------------------------------
run diff-same 0 "$BIN" seccomp diff "$DOCKER" "$DOCKER"
has diff-same out '^same behaviour'
run diff-docker-podman 1 "$BIN" seccomp diff "$DOCKER" "$PODMAN"
has diff-docker-podman out '^default action: A ERRNO\(1 EPERM\), B ERRNO\(38 ENOSYS\)'
has diff-docker-podman out '^x86_64: [0-9]+ only in A, [0-9]+ only in B, [0-9]+ changed'
run diff-quiet 1 "$BIN" seccomp diff -q "$DOCKER" "$PODMAN"
[ -s "$T/out" ] && fail "diff -q printed something" || ok
run diff-bad 2 "$BIN" seccomp diff "$DOCKER" /nonexistent.json
# the canonical form keeps includes/excludes, so it resolves the same way: -o json says "same"
run diff-caps-same 0 "$BIN" seccomp diff "$DOCKER" "$T/a.json" -o json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["same"] is True' "$T/out" && ok || fail "diff json same"

# --- merge --------------------------------------------------------------------
run merge 0 "$BIN" seccomp merge "$DOCKER" "$PODMAN" -o "$T/m.json"
has merge err 'conflict: default actions differ'
run merge-check 0 "$BIN" seccomp check "$T/m.json"
for caps in none all CAP_SYS_ADMIN; do
  for input in "$DOCKER" "$PODMAN"; do
    # nothing an input allows may be missing from the merge
    "$BIN" seccomp diff "$T/m.json" "$input" --caps "$caps" -o json >"$T/d.json"
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = [(a["arch"], a["onlyB"]) for a in d["arches"] if a["onlyB"]]
assert not bad, bad
' "$T/d.json" && ok || fail "merge misses syscalls of $input with caps $caps"
  done
done
run merge-strict 1 "$BIN" seccomp merge --strict "$DOCKER" "$PODMAN" -o "$T/m2.json"
[ -e "$T/m2.json" ] && fail "merge --strict wrote output" || ok
run merge-one 2 "$BIN" seccomp merge "$DOCKER"

# --- broken profiles: messages with positions, exit 1 ---------------------------
head -c 1500 "$DOCKER" >"$T/trunc.json"
run truncated 1 "$BIN" seccomp check "$T/trunc.json"
has truncated err "trunc.json:[0-9]+:[0-9]+: (unexpected end of input|expected)"
printf '{\n  "defaultAction": 1,\n  "syscalls": []\n}\n' >"$T/type.json"
run wrong-type 1 "$BIN" seccomp check "$T/type.json"
has wrong-type err 'type.json:2:20: "defaultAction" must be a string, got number'
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":"read","action":"SCMP_ACT_ALLOW"}]}' >"$T/type2.json"
run wrong-type2 1 "$BIN" seccomp check "$T/type2.json"
has wrong-type2 err 'type2.json:1:56: "names" must be an array of strings, got string'
printf '{"defaultAction":"SCMP_ACT_ERRNO",\n"syscalls":[{"names":["read","opne"],"action":"SCMP_ACT_ALLOW"}]}' >"$T/name.json"
run unknown-name 1 "$BIN" seccomp check "$T/name.json"
has unknown-name err 'name.json:2:30: unknown syscall "opne" \(did you mean "open"'
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALOW"}]}' >"$T/act.json"
run unknown-action 1 "$BIN" seccomp check "$T/act.json"
has unknown-action err 'act.json:1:74: unknown action "SCMP_ACT_ALOW"'
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":7,"op":"SCMP_CMP_EQ"}]}]}' >"$T/idx.json"
run arg-index 1 "$BIN" seccomp check "$T/idx.json"
has arg-index err 'idx.json:1:[0-9]+: argument index 7 is out of range'
python3 -c 'print("[" * 100000 + "]" * 100000)' >"$T/deep.json"
run deep 1 timeout 10 "$BIN" seccomp check "$T/deep.json"
has deep err 'deep.json:1:129: nesting too deep \(limit 128\)'
truncate -s 70M "$T/huge.json"
run huge 1 timeout 20 "$BIN" seccomp check "$T/huge.json"
has huge err 'too large'
run missing 1 "$BIN" seccomp check "$T/does-not-exist.json"
has missing err 'ENOENT'
run fmt-broken 1 "$BIN" seccomp fmt "$T/trunc.json"
run merge-broken 1 "$BIN" seccomp merge "$DOCKER" "$T/type.json"
run check-json-invalid 1 "$BIN" seccomp check -o json "$T/type.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["valid"] is False and "2:20" in d["error"]' "$T/out" && ok || fail "check -o json on invalid"

# --- moby's own resolution (setupSeccomp) as the oracle -------------------------------
if command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/github.com/opencontainers/runtime-spec ]; then
  mkdir -p "$T/go/src/mobyoracle"
  cat >"$T/go/src/mobyoracle/main.go" <<'GO'
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/docker/docker/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// usage: mobyoracle PROFILE CAPS  -> the OCI linux.seccomp Docker would hand to runc
func main() {
	body, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	caps := []string{}
	if os.Args[2] != "" {
		caps = strings.Split(os.Args[2], ",")
	}
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	p, err := seccomp.LoadProfile(string(body), rs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, _ := json.Marshal(p)
	fmt.Println(string(out))
}
GO
  if (cd "$T/go/src/mobyoracle" && GOPATH="$T/go:/usr/share/gocode" GO111MODULE=off GOCACHE="$T/gocache" \
      go build -o "$T/mobyoracle" . 2>"$T/gobuild.err"); then
    allcaps=$("$BIN" seccomp check "$DOCKER" -o json --caps all | python3 -c 'import json,sys; print(json.load(sys.stdin)["context"].split("caps: ")[1])')
    for prof in "$DOCKER" "$MOBY/fixtures/conditional_include.json" "$MOBY/fixtures/example.json"; do
      for caps in "" CAP_SYS_ADMIN CAP_SYSLOG,CAP_SYS_PTRACE CAP_SYS_BOOT,CAP_DAC_READ_SEARCH,CAP_SYS_NICE; do
        "$T/mobyoracle" "$prof" "$caps" >"$T/moby.json" || { fail "moby oracle failed on $prof"; continue; }
        c=${caps:-none}
        # moby's output is already resolved (no includes/excludes): the two must behave identically.
        run "moby-oracle $(basename "$prof") caps=$c" 0 "$BIN" seccomp diff "$prof" "$T/moby.json" --caps "$c"
      done
    done
  else
    fail "moby oracle did not build: $(head -1 "$T/gobuild.err")"
  fi
else
  fail "go toolchain or Go sources missing (golang-go, golang-github-docker-docker-dev: make deps-test)"
fi

# x86 socketcall/ipc: fail-closed by default, libseccomp's widening only with --compat libseccomp,
# and `check` names each argument-filtered socket rule with what it does on i386.
RD=$SRC/profiles/runtime-default.json
run socketcall-check 0 "$BIN" seccomp check "$RD"
has socketcall-check-warns err 'runtime-default.json:[0-9]+:[0-9]+: warning: x86 \(i386\): socket rule ALLOW with argument conditions.*socketcall\(1\).*fail-closed'
run socketcall-check-compat 0 "$BIN" seccomp check "$RD" --compat libseccomp
has socketcall-check-compat-warns err 'compat libseccomp makes it ALLOW for socketcall\(1\) with any arguments'
run socketcall-check-strict 1 "$BIN" seccomp check "$RD" --strict
run socketcall-test-default 0 "$BIN" seccomp test "$RD" socketcall 1 0xffffd000 --arch x86
has socketcall-test-default-denied out '^ERRNO\(1'
run socketcall-test-compat 0 "$BIN" seccomp test "$RD" socketcall 1 0xffffd000 --arch x86 --compat libseccomp
has socketcall-test-compat-allowed out '^ALLOW'
run socketcall-test-direct 0 "$BIN" seccomp test "$RD" socket 1 --arch x86
has socketcall-test-direct-allowed out '^ALLOW'
run compat-bad-value 2 "$BIN" seccomp check "$RD" --compat runc
has compat-bad-value-msg err 'expected libseccomp'
# Docker's profile allows socketcall outright: no remark, same program either way.
"$BIN" seccomp compile "$DOCKER" -q -f bpf -o "$T/d1.bpf" && "$BIN" seccomp compile "$DOCKER" -q -f bpf -o "$T/d2.bpf" --compat libseccomp
cmp -s "$T/d1.bpf" "$T/d2.bpf" && ok || fail "Docker profile: --compat libseccomp changed the program"

echo "seccomp_check: $pass passed, $fails failed"
[ "$fails" = 0 ]
