#!/bin/bash
# Row self-proc (docs/generalisation.md, "Landlock translation"): a generated AppArmor
# profile's `/proc/@{pid}/task/@{tid}/comm w` (threads naming themselves, as
# pthread_setname_np and memcached -t 4 do) enforced through Landlock on the real kernel.
# The sandboxed process opens its own /proc/self/task when it applies the ruleset and
# confine holds that directory until it exits: threads created later write their names,
# also after `echo 2 > /proc/sys/vm/drop_caches` between the start and the threads (an
# unheld /proc/PID/task dentry is evicted and the rule with it: the writes were denied).
# With the sandbox's own /proc (row sandbox-proc) a child process's threads name themselves too;
# with the host's /proc (--share pid), near misses denied (EACCES) although AppArmor's @{pid}
# would allow them: the same write from a thread of a child process, a write to another
# process's comm (pid 1). Complain mode (always its own /proc) agrees.
# usage: bash apparmor_self_proc.sh CONFINE_BIN SRC_DIR
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib/record.sh"
CONFINE=$(readlink -f "$1")
PY=/usr/bin/python3  # Debian's (DEPS_TEST), not one on PATH
W=$(mktemp -d /tmp/confine-selfproc.XXXXXX)
trap 'exec 3>&- 2>/dev/null; rm -rf "$W"' EXIT
pass=0; fails=0
check() {  # check NAME STATUS(0=ok) DETAIL
  if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"; else fails=$((fails + 1)); echo "FAIL $1: $3"; fi
}
if [ ! -w /proc/sys/vm/drop_caches ]; then  # root in the initial user namespace
  echo "SKIP: /proc/sys/vm/drop_caches is not writable (needs root): the dentry-eviction check cannot run"
  exit 77
fi
cat > "$W/threads.py" <<'PY'
import os, sys, threading
def name_self(i, out):
    p = "/proc/self/task/%d/comm" % threading.get_native_id()
    try:
        with open(p, "w") as f:
            f.write("worker%d" % i)
        with open(p) as f:
            out.append(f.read().strip())
    except OSError as e:
        out.append("%s: %s" % (p, e.strerror))
def threads(n):
    out = []
    for i in range(n):
        t = threading.Thread(target=name_self, args=(i, out))
        t.start()
        t.join()
    return out
mode = sys.argv[1]
if mode == "train":
    print(" ".join(threads(2)))
elif mode == "check":
    print("started", flush=True)
    sys.stdin.readline()  # the test drops the dentry cache meanwhile
    print(" ".join(threads(4)), flush=True)
elif mode == "near":
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # a child process: its /proc/PID/task is not the sandboxed process's own
        os.write(w, " ".join(threads(1)).encode())
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    print("child:", os.read(r, 4096).decode())
    try:
        with open("/proc/1/comm", "w") as f:
            f.write("x")
        print("pid1: written")
    except OSError as e:
        print("pid1:", e.strerror)
PY
# 1. Record the training run (2 threads) and take the generated profile.
record_workload train "$W/prof" $PY "$W/threads.py" train
[ "$rec_rc" = 0 ] && [ "$(cat "$W/train.rec.out")" = "worker0 worker1" ]
check "training run recorded (threads named)" $? "rc=$rec_rc out=$(cat "$W/train.rec.out") err=$(tail -3 "$W/train.rec.err")"
PROF=$W/prof/apparmor.profile
grep -q '^ */proc/@{pid}/task/@{tid}/comm [rw]*,' "$PROF"
check "the generated profile has the thread-name rule (row proc-pid)" $? "$(grep -n comm "$PROF")"
out=$("$CONFINE" apparmor to-landlock "$PROF" 2>&1)
echo "$out" | grep -q "^/proc/self/task  write_file|read_file|truncate  # opened by the sandboxed process" &&
  echo "$out" | grep -q "widening row self-proc" && ! echo "$out" | grep -q "comm (creating in /proc)"
check "to-landlock: /proc/self/task with the row printed, no longer narrowed" $? "$(echo "$out" | grep -i "self\|comm")"

# 2. The check run: 4 threads created after the dentry cache was dropped. --seccomp unconfined:
# the Landlock layer is under test (the near miss forks, which training did not).
# With the sandbox's own namespaces (init holds nothing; confine does) and with --share all
# (the command is confine's own child, host /proc).
for mode in "" "--share all"; do
  rm -f "$W/in" && mkfifo "$W/in"
  # shellcheck disable=SC2086
  timeout -k 5 120 "$CONFINE" run $mode --seccomp unconfined --apparmor "$PROF" -- $PY "$W/threads.py" check \
    <"$W/in" >"$W/check.out" 2>"$W/check.err" &
  cpid=$!
  exec 3>"$W/in"
  for _ in $(seq 600); do grep -q started "$W/check.out" 2>/dev/null && break; sleep 0.1; done
  grep -q started "$W/check.out"
  check "${mode:-own namespaces}: the sandboxed program started" $? "$(cat "$W/check.err")"
  sync
  echo 2 >/proc/sys/vm/drop_caches
  echo go >&3
  exec 3>&-
  wait $cpid; rc=$?
  [ $rc = 0 ] && [ "$(tail -1 "$W/check.out")" = "worker0 worker1 worker2 worker3" ]
  check "${mode:-own namespaces}: threads created after drop_caches write their names" $? \
    "rc=$rc out=$(cat "$W/check.out") err=$(tail -3 "$W/check.err")"
done

# 3. A child process's thread. With the sandbox's own /proc (the default: a new pid namespace,
# kernel knobs read-only) the task rule is on that /proc's root (row sandbox-proc): the child
# names its thread, while another process's comm stays the kernel's to refuse (EINVAL: only
# the own thread group). With the host's /proc (--share pid) only the command's own task
# directory is granted (row self-proc): the child's write is denied (EACCES), and pid 1's too.
out=$(timeout -k 5 60 "$CONFINE" run --seccomp unconfined --apparmor "$PROF" -- $PY "$W/threads.py" near 2>"$W/near.err"); rc=$?
echo "$out" | grep -qx "child: worker0"
check "own /proc (row sandbox-proc): a child process's thread writes its name" $? "rc=$rc out=$out"
echo "$out" | grep -q "^pid1: " && ! echo "$out" | grep -qx "pid1: written"
check "own /proc: another process's comm (pid 1) is not written" $? "rc=$rc out=$out"
grep -q "sandbox-proc" "$W/near.err" || timeout -k 5 60 "$CONFINE" run --dry-run --seccomp unconfined --apparmor "$PROF" -- true 2>&1 | grep -q "widening row sandbox-proc"
check "own /proc: the widening row sandbox-proc is printed" $? "$(grep -i proc "$W/near.err" | head -3)"
out=$(timeout -k 5 60 "$CONFINE" run --share pid --seccomp unconfined --apparmor "$PROF" -- $PY "$W/threads.py" near 2>"$W/near.err"); rc=$?
echo "$out" | grep -q "^child: /proc/self/task/[0-9]*/comm: Permission denied$"
check "near miss, host /proc (--share pid): a child process's thread cannot write its comm" $? "rc=$rc out=$out"
echo "$out" | grep -qx "pid1: Permission denied"
check "near miss, host /proc: another process's comm (pid 1) is denied" $? "rc=$rc out=$out"
# Control: unconfined, the child's write succeeds (so the near miss can fail).
out=$($PY "$W/threads.py" near 2>&1)
echo "$out" | grep -qx "child: worker0"
check "control: the child's write succeeds unconfined" $? "$out"

# 4. Complain mode models the same: no report for the threads, none for the child's write
# (AppArmor complain mode always has a pid namespace, so the sandbox's own /proc).
out=$(echo go | timeout -k 5 120 "$CONFINE" run --seccomp unconfined --apparmor "$PROF" --apparmor-mode complain \
  -- $PY "$W/threads.py" check 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -qx "worker0 worker1 worker2 worker3" && ! echo "$out" | grep -q "would deny.*comm"
check "complain mode: no landlock would deny for the threads' comm" $? "rc=$rc $(echo "$out" | grep 'would deny' | head -3)"
out=$(timeout -k 5 60 "$CONFINE" run --seccomp unconfined --apparmor "$PROF" --apparmor-mode complain \
  -- $PY "$W/threads.py" near 2>&1)
! echo "$out" | grep -q "landlock would deny openat /proc/[0-9]*/task/[0-9]*/comm"
check "complain mode, own /proc: no landlock would deny for the child's write" $? "$(echo "$out" | grep 'would deny' | head -3)"

echo "apparmor self-proc: $pass passed, $fails failed"
[ $fails = 0 ]
