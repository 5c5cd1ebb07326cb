#!/bin/bash
# confine inspect on the real kernel: a child confined by this test (new
# namespaces via unshare, dropped capabilities, no_new_privs, a libseccomp
# filter) must be reported as such; `--probe` must list exactly the syscalls
# the test filter blocks; bad input gives exit 1/2.
# usage: bash inspect_kernel.sh CONFINE_BIN SRC_DIR
set -u
CONFINE=${1:?confine binary}
SRC=${2:?source dir}
T=$(mktemp -d /tmp/confine-inspect-it.XXXXXX)
PIDS=()
# SIGKILL: a sleeper that is pid 1 of its own pid namespace ignores SIGTERM, and a
# survivor would hold ctest's output pipe open until it exits.
cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
missing() { echo "FAIL: $* (this machine kind has it; make deps-test installs the tools)" >&2; exit 1; }
command -v cc >/dev/null || missing "no C compiler"
command -v python3 >/dev/null || missing "no python3"
[ "$(id -u)" = 0 ] || missing "needs root (unshare of pid/net/mnt namespaces)"
# The LeakSanitizer of ASan builds needs ptrace, which the test filter blocks.
export ASAN_OPTIONS=detect_leaks=0

# confine_child [--ns] [--drop CAPNR,...] [--nnp] [ACT=name,...]... -- CMD: prints the
# confined child's pid, then waits for it.
cat >"$T/child.c" <<'EOF'
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static uint32_t act(const char* a) {
  if (!strcmp(a, "kill_process")) return SCMP_ACT_KILL_PROCESS;
  if (!strcmp(a, "errno")) return SCMP_ACT_ERRNO(EPERM);
  if (!strcmp(a, "eacces")) return SCMP_ACT_ERRNO(EACCES);
  if (!strcmp(a, "trap")) return SCMP_ACT_TRAP;
  if (!strcmp(a, "log")) return SCMP_ACT_LOG;
  exit(120);
}
int main(int argc, char** argv) {
  int ns = 0, nnp = 0, i = 1;
  unsigned long long drop = 0;
  scmp_filter_ctx ctx = NULL;
  for (; i < argc && strcmp(argv[i], "--"); i++) {
    if (!strcmp(argv[i], "--ns")) ns = 1;
    else if (!strcmp(argv[i], "--nnp")) nnp = 1;
    else if (!strcmp(argv[i], "--drop")) {
      for (char* c = strtok(argv[++i], ","); c; c = strtok(NULL, ",")) drop |= 1ULL << atoi(c);
    } else {
      char* eq = strchr(argv[i], '=');
      if (!eq) return 121;
      *eq = 0;
      if (!ctx) ctx = seccomp_init(SCMP_ACT_ALLOW);
      uint32_t a = act(argv[i]);
      for (char* n = strtok(eq + 1, ","); n; n = strtok(NULL, ",")) {
        int nr = seccomp_syscall_resolve_name(n);
        if (nr == __NR_SCMP_ERROR || seccomp_rule_add(ctx, a, nr, 0)) return 122;
      }
    }
  }
  if (i >= argc - 1) return 125;
  if (ns && unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWCGROUP)) {
    perror("unshare");
    return 123;
  }
  pid_t c = fork();
  if (c < 0) return 124;
  if (c > 0) {
    printf("%d\n", c);
    fflush(stdout);
    int st;
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  for (int cap = 0; cap < 64; cap++)
    if (drop & (1ULL << cap)) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d)) return 126;
  for (int k = 0; k < 2; k++) {
    unsigned m = (unsigned)(drop >> (32 * k));
    d[k].effective &= ~m;
    d[k].permitted &= ~m;
    d[k].inheritable &= ~m;
  }
  if (syscall(SYS_capset, &h, d)) return 127;
  if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) return 128;
  if (ctx && seccomp_load(ctx)) return 129;
  execvp(argv[i + 1], argv + i + 1);
  return 127;
}
EOF
cc -O -o "$T/confine_child" "$T/child.c" -lseccomp || fail "cannot build the helper"

# 1. A confined sleeper: new namespaces, CAP_SYS_ADMIN(21) and CAP_NET_RAW(13) dropped, nnp, filter.
"$T/confine_child" --ns --drop 21,13 --nnp errno=mkdir,unshare -- sleep 300 >"$T/pid" &
PIDS+=($!)
for _ in $(seq 50); do [ -s "$T/pid" ] && break; sleep 0.05; done
CHILD=$(head -1 "$T/pid")
[ -n "$CHILD" ] || fail "helper did not start the child"
PIDS+=("$CHILD")
sleep 0.1
"$CONFINE" inspect "$CHILD" -o json >"$T/child.json" || fail "inspect $CHILD failed"
"$CONFINE" inspect "$CHILD" >"$T/child.txt" || fail "inspect $CHILD (text) failed"
python3 - "$T/child.json" <<'EOF' || fail "inspect JSON of the confined child"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["seccomp"]["mode"] == 2 and d["seccomp"]["mode_name"] == "filter", d["seccomp"]
assert d["seccomp"]["filters"] >= 1, d["seccomp"]
assert d["no_new_privs"] == 1, d["no_new_privs"]
caps = d["capabilities"]
for s in ("effective", "permitted", "bounding"):
    assert "cap_sys_admin" not in caps[s]["names"], (s, caps[s])
    assert "cap_net_raw" not in caps[s]["names"], (s, caps[s])
    assert "cap_chown" in caps[s]["names"], (s, caps[s])
ns = {n["type"]: n for n in d["namespaces"]}
for t in ("uts", "ipc", "net", "mnt", "pid", "cgroup"):
    n = ns[t]
    differs = n["differs_from_pid1"] if n["differs_from_pid1"] is not None else n["differs_from_inspector"]
    assert differs is True, (t, n)
for t in ("user", "time"):
    n = ns[t]
    differs = n["differs_from_pid1"] if n["differs_from_pid1"] is not None else n["differs_from_inspector"]
    assert differs is False, (t, n)
assert d["comm"] == "sleep", d["comm"]
assert "CAP_SYS_ADMIN in the effective set" not in d["exposures"], d["exposures"]
assert d["landlock"]["supported"] in (True, False)
EOF
grep -q "^Seccomp: 2 (filter), filters: 1" "$T/child.txt" || fail "text: seccomp line"
grep -q "^NoNewPrivs: 1" "$T/child.txt" || fail "text: NoNewPrivs line"
grep -Eq "^  net +[0-9]+  differs" "$T/child.txt" || fail "text: net namespace should differ"
grep -q "cap_sys_admin" "$T/child.txt" && fail "text: cap_sys_admin should be gone"

# The unconfined test shell for contrast (the test can fail: these differ from the child).
"$CONFINE" inspect $$ -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["seccomp"]["mode"] == 0 and d["no_new_privs"] == 0, d["seccomp"]
assert "cap_sys_admin" in d["capabilities"]["effective"]["names"]
' || fail "inspect of the unconfined shell"

# 2. --all lists the child with its seccomp mode and nnp.
"$CONFINE" inspect --all -o json | python3 -c '
import json, sys
procs = {p["pid"]: p for p in json.load(sys.stdin)["processes"]}
c = procs[int(sys.argv[1])]
assert c["seccomp"] == 2 and c["no_new_privs"] == 1 and c["comm"] == "sleep", c
assert "sys_admin" not in c["caps"], c
' "$CHILD" || fail "inspect --all"
"$CONFINE" inspect --all | grep -Eq "^ *$CHILD +sleep +[0-9]+ +filter/1 +1 " || fail "inspect --all text"

# 3. --probe lists exactly what the filter blocks (EPERM, EACCES, KILL and TRAP actions; LOG is not a block).
BLOCK_EPERM="mkdir,unshare,ptrace,swapon,kexec_load"
BLOCK_EACCES="setns,mount"
"$T/confine_child" --nnp errno=$BLOCK_EPERM eacces=$BLOCK_EACCES kill_process=reboot trap=acct log=getppid -- \
  "$CONFINE" inspect --probe -o json >"$T/probe.out" || fail "inspect --probe under the filter failed"
tail -n +2 "$T/probe.out" >"$T/probe.json"
python3 - "$T/probe.json" <<'EOF' || fail "probe result"
import json, sys
d = json.load(open(sys.argv[1]))
got = {b["name"]: b for b in d["probe"]["blocked"]}
want = {"mkdir": "EPERM", "unshare": "EPERM", "ptrace": "EPERM", "swapon": "EPERM", "kexec_load": "EPERM",
        "setns": "EACCES", "mount": "EACCES", "reboot": "SIGSYS", "acct": "SIGSYS"}
assert set(got) == set(want), ("extra", sorted(set(got) - set(want)), "missing", sorted(set(want) - set(got)))
for n, how in want.items():
    b = got[n]
    assert b.get("errno", b.get("signal")) == how, b
assert d["probe"]["probed"] > 300, d["probe"]["probed"]
assert d["seccomp"]["mode"] == 2 and d["no_new_privs"] == 1
EOF
# Unconfined: nothing blocked.
"$CONFINE" inspect --probe -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["probe"]["blocked"] == [], d["probe"]["blocked"]' || fail "unconfined probe must block nothing"

# 3b. A real peer: firejail's default seccomp filter (the documented @default group).
if command -v firejail >/dev/null && firejail --quiet --noprofile --seccomp -- true >/dev/null 2>&1; then
  firejail --quiet --noprofile --seccomp -- "$CONFINE" inspect --probe -o json 2>/dev/null >"$T/fj.out" ||
    fail "probe under firejail failed"
  python3 - "$T/fj.out" <<'EOF' || fail "probe under firejail's filter"
import json, sys
text = open(sys.argv[1]).read()
d = json.loads(text[text.index("{"):])
blocked = {b["name"] for b in d["probe"]["blocked"]}
must = {"mount", "umount2", "ptrace", "kexec_load", "init_module", "delete_module", "reboot", "swapon",
        "swapoff", "pivot_root", "open_by_handle_at", "iopl", "ioperm", "settimeofday", "acct"}
never = {"read", "write", "openat", "close", "getpid", "mkdir", "execve", "mmap", "exit_group", "futex"}
assert must <= blocked, sorted(must - blocked)
assert not (never & blocked), sorted(never & blocked)
assert d["seccomp"]["mode"] == 2 and d["no_new_privs"] == 1
EOF
fi

# 4. Errors and usage.
"$CONFINE" inspect 999999999 >/dev/null 2>&1; [ $? -eq 2 ] || fail "out-of-range pid must exit 2"
"$CONFINE" inspect 4194000 >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing pid must exit 1"
"$CONFINE" inspect abc >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad pid must exit 2"
"$CONFINE" inspect 1 --probe >/dev/null 2>&1; [ $? -eq 2 ] || fail "--probe of another pid must exit 2"
"$CONFINE" inspect --bogus >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown option must exit 2"
echo "PASS inspect_kernel"
