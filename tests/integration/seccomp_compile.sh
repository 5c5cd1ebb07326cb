#!/bin/bash
# confine seccomp compile/test: Docker's documented verdicts on Docker's own
# default profile, exit codes, output formats, and the compiled program loaded
# into the real kernel (a C child installs the raw BPF and makes real calls).
# usage: bash seccomp_compile.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=${1:?confine binary}
SRC=${2:?source dir}
T=$(mktemp -d /tmp/confine-compile-it.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export ASAN_OPTIONS=detect_leaks=0
DOCKER=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
PODMAN=/usr/share/containers/seccomp.json
[ -f "$DOCKER" ] || { echo "FAIL: no Docker profile $DOCKER (golang-github-docker-docker-dev, make deps-test)"; exit 1; }

verdict() {  # verdict EXPECTED PROFILE ARGS...
  local want=$1; shift
  local got
  got=$("$CONFINE" seccomp test "$@" 2>"$T/err") || fail "seccomp test $* exited $?: $(cat "$T/err")"
  [ "$got" = "$want" ] || fail "seccomp test $*: got '$got', want '$want'"
}

# Docker's documented verdicts (docs.docker.com/engine/security/seccomp).
verdict "ALLOW" "$DOCKER" personality 0x0
verdict "ALLOW" "$DOCKER" personality 0x8
verdict "ALLOW" "$DOCKER" personality 0xffffffff
verdict "ERRNO(1 EPERM)" "$DOCKER" personality 0x10
verdict "ERRNO(1 EPERM)" "$DOCKER" clone 0x10000000          # CLONE_NEWUSER
verdict "ALLOW" "$DOCKER" clone 0x1200011                      # CLONE_CHILD_SETTID|CLEARTID|SIGCHLD
verdict "ALLOW" "$DOCKER" clone 0x10000000 --caps CAP_SYS_ADMIN
verdict "ERRNO(38 ENOSYS)" "$DOCKER" clone3
verdict "ALLOW" "$DOCKER" clone3 --caps CAP_SYS_ADMIN
verdict "ALLOW" "$DOCKER" socket 2
verdict "ERRNO(1 EPERM)" "$DOCKER" mount
verdict "ERRNO(1 EPERM)" "$DOCKER" personality 0x10 --arch x86
verdict "ALLOW" "$DOCKER" read --arch aarch64
# The installed moby (20.10) allows socket outright; newer Docker denies AF_VSOCK (40) with
# {"names":["socket"],"args":[{"index":0,"value":40,"op":"SCMP_CMP_NE"}]}: check that rule.
cat >"$T/vsock.json" <<'EOF'
{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
 "syscalls":[{"names":["socketcall","read"],"action":"SCMP_ACT_ALLOW"},
             {"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":40,"op":"SCMP_CMP_NE"}]}]}
EOF
verdict "ERRNO(1 EPERM)" "$T/vsock.json" socket 40
verdict "ALLOW" "$T/vsock.json" socket 2
verdict "ERRNO(1 EPERM)" "$T/vsock.json" socket 40 --arch x86,x86_64
verdict "ALLOW" "$T/vsock.json" 0x40000000 --arch x32       # x32 read: X32 listed
# podman: its own errno default, AF_NETLINK/NETLINK_AUDIT rule without CAP_AUDIT_WRITE.
verdict "ERRNO(22 EINVAL)" "$PODMAN" socket 16 3 9
verdict "ALLOW" "$PODMAN" socket 16 3 0
verdict "ERRNO(38 ENOSYS)" "$PODMAN" add_key
verdict "ERRNO(1 EPERM)" "$PODMAN" bpf

# Exit codes.
"$CONFINE" seccomp test "$DOCKER" no_such_call >/dev/null 2>&1; [ $? = 2 ] || fail "unknown syscall: want exit 2"
"$CONFINE" seccomp test "$DOCKER" read zz >/dev/null 2>&1; [ $? = 2 ] || fail "bad arg: want exit 2"
echo '{"defaultAction":"SCMP_ACT_NOPE"}' >"$T/bad.json"
"$CONFINE" seccomp compile "$T/bad.json" >/dev/null 2>&1; [ $? = 1 ] || fail "invalid profile: want exit 1"
cat >"$T/conflict.json" <<'EOF'
{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
 "syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"}]},
             {"names":["socket"],"action":"SCMP_ACT_KILL","args":[{"index":2,"value":9,"op":"SCMP_CMP_EQ"}]}]}
EOF
"$CONFINE" seccomp compile "$T/conflict.json" >/dev/null 2>"$T/err"; [ $? = 1 ] || fail "conflict: want exit 1"
grep -q "conflict.json:3:[0-9]*: conflicting rules for syscall socket.*overlaps.*conflict.json:2:[0-9]*" "$T/err" || fail "conflict message lacks both positions: $(cat "$T/err")"
"$CONFINE" seccomp compile "$DOCKER" --format bpf >/dev/null 2>&1; [ $? = 2 ] || fail "bpf without -o: want exit 2"
"$CONFINE" seccomp compile "$DOCKER" --format nope >/dev/null 2>&1; [ $? = 2 ] || fail "bad format: want exit 2"
"$CONFINE" seccomp compile --help | grep -q "examples:" || fail "compile --help"
"$CONFINE" seccomp test --help | grep -q "examples:" || fail "test --help"

# Formats and stats.
"$CONFINE" seccomp compile "$DOCKER" -q | grep -q "ret ALLOW" || fail "disasm output"
"$CONFINE" seccomp compile "$DOCKER" -q -f c | grep -q "BPF_STMT" || fail "C output"
"$CONFINE" seccomp compile "$DOCKER" --arch x86_64 -f bpf -o "$T/docker.bpf" 2>"$T/stats" || fail "bpf output"
grep -q "^compiled: [0-9]* instructions" "$T/stats" || fail "stats: $(cat "$T/stats")"
n=$(sed -n 's/^compiled: \([0-9]*\) instructions.*/\1/p' "$T/stats")
[ "$(stat -c %s "$T/docker.bpf")" = $((n * 8)) ] || fail "bpf size != 8 * $n"
"$CONFINE" seccomp compile "$DOCKER" --arch x86_64 -q --dump table | grep -q "personality" || fail "--dump table"
"$CONFINE" seccomp compile "$DOCKER" --arch x86_64 -q --dump tree | grep -q "^\*n" || fail "--dump tree"

# The real kernel: load our program and make real system calls under it.
command -v cc >/dev/null || fail "no C compiler (build-essential)"
cat >"$T/load.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
static int check(const char* what, long r, int want_errno) {
  int e = r < 0 ? errno : 0;
  if (e != want_errno) { printf("%s: errno %d, want %d\n", what, e, want_errno); return 1; }
  return 0;
}
int main(int argc, char** argv) {
  static struct sock_filter f[4096];
  FILE* fp = fopen(argv[1], "rb");
  size_t n = fread(f, sizeof f[0], 4096, fp);
  struct sock_fprog prog = {(unsigned short)n, f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return 90;
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) { perror("seccomp"); return 91; }
  if (argc > 2) { syscall(0x40000000 | 39); return 92; }  /* x32 getpid: must be killed */
  int bad = 0;
  bad |= check("personality(8)", syscall(SYS_personality, 8), 0);
  bad |= check("personality(0xffffffff)", syscall(SYS_personality, 0xffffffff), 0);
  bad |= check("personality(0x10)", syscall(SYS_personality, 0x10), EPERM);
  bad |= check("clone3", syscall(SYS_clone3, NULL, 0), ENOSYS);
  bad |= check("unshare(CLONE_NEWUSER)", syscall(SYS_unshare, 0x10000000), EPERM);
  bad |= check("getpid", syscall(SYS_getpid), 0);
  bad |= check("mount", syscall(SYS_mount, "x", "/nonexistent", "tmpfs", 0, 0), EPERM);
  return bad;
}
EOF
cc -O1 -o "$T/load" "$T/load.c" || fail "cannot build loader"
"$T/load" "$T/docker.bpf" || fail "real kernel: Docker profile compiled by confine misbehaves (exit $?)"
# Docker's profile lists x32 in its archMap; without it, x32 numbers must be killed (bad arch).
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d.pop("archMap"); d["architectures"]=["SCMP_ARCH_X86_64"]; json.dump(d,open(sys.argv[2],"w"))' \
  "$DOCKER" "$T/docker64.json" || fail "python3"
verdict "KILL_PROCESS" "$T/docker64.json" 0x40000027
"$CONFINE" seccomp compile "$T/docker64.json" -q -f bpf -o "$T/docker64.bpf" || fail "compile docker64"
"$T/load" "$T/docker64.bpf" || fail "real kernel: x86_64-only Docker profile misbehaves (exit $?)"
"$T/load" "$T/docker64.bpf" x32 2>/dev/null; rc=$?
[ $rc = $((128 + 31)) ] || fail "real kernel: x32 syscall not killed by SIGSYS (exit $rc)"
echo "PASS"
