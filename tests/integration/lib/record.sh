# Sourced by integration tests that record a workload and compare it with its replay.
# record_workload NAME DIR CMD...: `confine record -o DIR -- CMD` with stdout/stderr in
# $W/NAME.rec.out / $W/NAME.rec.err; sets rec_rc. Needs $CONFINE and $W.
#
# The recorder's documented observer effect (docs/record.md): a notified fork that a signal
# interrupts before the supervisor has received it fails with EINTR, and dash gives up with
# "Cannot fork" (seen in 2 of 5 fresh-machine runs under make test's parallel load). That run
# recorded a different program run, not a profile bug: record again, and say so.
record_workload() {
  local name=$1 d=$2 try
  shift 2
  timeout -k 5 120 "$CONFINE" record --format none -o "$d" -- "$@" >"$W/$name.rec.out" 2>"$W/$name.rec.err" </dev/null
  rec_rc=$?
  for try in 2 3; do
    [ "$rec_rc" != 0 ] && grep -q "Cannot fork" "$W/$name.rec.err" || break
    echo "NOTE: $name: the recording hit the observer effect (dash: Cannot fork); recording again ($try/3)"
    timeout -k 5 120 "$CONFINE" record --format none -o "$d" -- "$@" >"$W/$name.rec.out" 2>"$W/$name.rec.err" </dev/null
    rec_rc=$?
  done
}
