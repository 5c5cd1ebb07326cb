# Sourced by integration tests that record a workload and compare it with its replay.
# record_workload NAME DIR CMD...: `confine record -o DIR -- CMD` with stdout/stderr in
# $W/NAME.rec.out / $W/NAME.rec.err; sets rec_rc. Needs $CONFINE and $W.
#
# The recorder's remaining observer effect (docs/record.md, "The observer effect"): a
# notified syscall (openat, execve, ... -- no longer fork, which dash reported as "Cannot
# fork") that a signal interrupts before the supervisor has received it fails with EINTR.
# The recorder counts those and warns ("N notified syscalls ended before the recorder
# received them"). A recording that failed *and* carries that warning recorded a different
# program run, not a profile bug: record again, and say so. Any other failure is kept.
record_workload() {
  local name=$1 d=$2 try
  shift 2
  timeout -k 5 120 "$CONFINE" record --format none -o "$d" -- "$@" >"$W/$name.rec.out" 2>"$W/$name.rec.err" </dev/null
  rec_rc=$?
  for try in 2 3; do
    [ "$rec_rc" != 0 ] && grep -q "notified syscalls ended before the recorder received them" "$W/$name.rec.err" ||
      break
    echo "NOTE: $name: the recording hit the observer effect ($(grep -o '[0-9]* notified syscalls ended before' "$W/$name.rec.err" | head -1)); recording again ($try/3)"
    timeout -k 5 120 "$CONFINE" record --format none -o "$d" -- "$@" >"$W/$name.rec.out" 2>"$W/$name.rec.err" </dev/null
    rec_rc=$?
  done
}
