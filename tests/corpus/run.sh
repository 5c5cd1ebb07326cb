#!/bin/bash
# The corpus runner (tests/corpus/README.md): for each program, record its workload on the
# training input with the default generator, then run the check input unconfined and confined
# under the generated profile (seccomp + the AppArmor profile's file rules through Landlock) and
# compare exit status, output and files written; collect denial records (kernel seccomp records
# of the run, and a second pass in complain mode that names every access the profile would deny);
# run the near miss under the same profile: it must be denied.
#
#   bash tests/corpus/run.sh [--confine BIN] [--work DIR] [--report FILE] [--keep] [NAME...]
#
# Prints one PASS/FAIL line per program, writes WORK/NAME/result.json and, with --report, the
# markdown report (docs/profile-quality.md). Exit 0 when every program passed, 1 when any had a
# false denial or a near miss that was not denied, 2 on a usage error.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
CONFINE=$SRC/build/confine
WORK=/var/tmp/confine-corpus
REPORT=
KEEP=0
NAMES=()
while [ $# -gt 0 ]; do
  case $1 in
    --confine) CONFINE=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --report) REPORT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) NAMES+=("$1"); shift ;;
  esac
done
CONFINE=$(readlink -f "$CONFINE")
[ -x "$CONFINE" ] || { echo "run.sh: $CONFINE is not an executable (build it: ninja -C build confine)" >&2; exit 2; }
PY=/usr/bin/python3
[ -x $PY ] || { echo "run.sh: $PY missing (make deps-test installs python3)" >&2; exit 2; }
if [ ${#NAMES[@]} = 0 ]; then
  for d in "$HERE"/*/; do [ -f "$d/meta" ] && NAMES+=("$(basename "$d")"); done
fi
mkdir -p "$WORK" || exit 2
WORK=$(readlink -f "$WORK")
# services drop privileges (nginx's workers run as nobody, memcached as memcache): they must reach DATA
chmod go+rx "$WORK" || exit 2
# `make quality` runs this under make: the corpus' own make must not inherit its jobserver
unset MAKEFLAGS MFLAGS MAKELEVEL MAKE_TERMOUT MAKE_TERMERR
TMO=${CORPUS_TIMEOUT:-180}   # per step; a step that hangs is a failure, not a stuck test

meta() { sed -n "s/^$2=//p" "$HERE/$1/meta" | head -1; }

# fresh_data PHASE: an empty DATA (same absolute path every time), prepared for PHASE
fresh_data() {
  rm -rf "$DATA" && mkdir -p "$DATA" || return 1
  sh "$E/prepare" "$DATA" "$1" >"$R/prepare.$1.out" 2>&1 || { echo "prepare $1 failed: $(tail -3 "$R/prepare.$1.out")"; return 1; }
  [ "$KIND" = service ] && echo "$PORT" >"$DATA/port"
  return 0
}

# workload TAG PHASE PREFIX...: run the workload (and for a service: ready, load PHASE, stop) with
# the command prefix (empty: unconfined). Leaves R/TAG.out (stdout: workload, then load),
# R/TAG.err and R/TAG.rc.
workload() {
  local tag=$1 phase=$2 rc
  shift 2
  if [ "$KIND" = batch ]; then
    timeout -k 5 "$TMO" "$@" sh "$E/workload" "$DATA" >"$R/$tag.out" 2>"$R/$tag.err" </dev/null
    rc=$?
  else
    rm -f "$DATA/stop"
    timeout -k 5 "$TMO" "$@" sh "$E/workload" "$DATA" >"$R/$tag.wout" 2>"$R/$tag.err" </dev/null &
    local bg=$! up=0 i
    for i in $(seq 300); do  # 30 s
      if sh "$E/ready" "$DATA" >/dev/null 2>&1; then up=1; break; fi
      kill -0 $bg 2>/dev/null || break
      sleep 0.1
    done
    if [ $up = 1 ]; then
      timeout -k 5 "$TMO" sh "$E/load" "$DATA" "$phase" >"$R/$tag.lout" 2>"$R/$tag.lerr" </dev/null
      echo "load exit $?" >>"$R/$tag.lout"
    else
      echo "service never became ready" >"$R/$tag.lout"
    fi
    touch "$DATA/stop"
    wait $bg
    rc=$?
    cat "$R/$tag.wout" "$R/$tag.lout" >"$R/$tag.out"
  fi
  echo $rc >"$R/$tag.rc"
}

# manifest TAG: the files under DATA (type, and content hash but for the meta volatile= globs)
manifest() {
  $PY - "$DATA" "$(meta "$NAME" volatile)" >"$R/$1.files" <<'EOF'
import fnmatch, hashlib, os, sys
root, volatile = sys.argv[1], sys.argv[2].split()
out = []
for d, dirs, files in os.walk(root):
    for n in sorted(dirs + files):
        p = os.path.join(d, n); rel = os.path.relpath(p, root)
        if rel in ("stop", "port"):
            continue
        if os.path.islink(p):
            out.append(f"{rel} link {os.readlink(p)}")
        elif os.path.isdir(p):
            out.append(f"{rel} dir")
        elif any(fnmatch.fnmatch(rel, g) for g in volatile):
            out.append(f"{rel} file (volatile: content not compared)")
        else:
            with open(p, "rb") as f:
                out.append(f"{rel} file {hashlib.sha256(f.read()).hexdigest()[:16]}")
print("\n".join(sorted(out)))
EOF
}

# kernel_records TAG SINCE: seccomp/Landlock records of the corpus program's executables since SINCE
kernel_records() {
  local args=() p
  for p in /usr/bin/dash $(meta "$NAME" programs); do args+=(--exe "$(readlink -f "$p")"); done
  sleep 0.3
  "$CONFINE" logs --since "@$2" -o json "${args[@]}" >"$R/$1.klog" 2>"$R/$1.klog.err"
}

fails=0
for NAME in "${NAMES[@]}"; do
  E=$HERE/$NAME
  [ -f "$E/meta" ] || { echo "FAIL: $NAME: no $E/meta"; fails=$((fails + 1)); continue; }
  KIND=$(meta "$NAME" kind)
  R=$WORK/$NAME
  DATA=$R/data
  P=$R/profile
  rm -rf "$R" && mkdir -p "$R" || exit 2
  PORT=
  [ "$KIND" = service ] && PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  t0=$(date +%s)
  problems=()
  # 1. record on the training input (again, if the recorder's documented observer effect hit: dash "Cannot fork")
  for try in 1 2 3; do
    msg=$(fresh_data train) || { problems+=("$msg"); break; }
    rm -rf "$P"
    workload record train "$CONFINE" record --format none -o "$P" --
    [ "$(cat "$R/record.rc")" != 0 ] && grep -q "Cannot fork" "$R/record.err" || break
    echo "NOTE: $NAME: the recording hit the observer effect (dash: Cannot fork); recording again"
  done
  if [ ! -s "$P/seccomp.json" ]; then
    echo "FAIL: $NAME: no profile recorded (exit $(cat "$R/record.rc" 2>/dev/null)): $(tail -3 "$R/record.err" 2>/dev/null)"
    fails=$((fails + 1)); continue
  fi
  [ "$(cat "$R/record.rc")" = 0 ] || problems+=("the training run exited $(cat "$R/record.rc") under record")
  # 2. the check input, unconfined
  fresh_data check || { echo "FAIL: $NAME: prepare check"; fails=$((fails + 1)); continue; }
  workload plain check
  manifest plain
  # 3. the check input under the profile (enforced), and the kernel's records of it
  fresh_data check
  S=$(date +%s.%N)
  workload enforce check "$CONFINE" run --profile "$P" --
  manifest enforce
  kernel_records enforce "$S"
  # 4. the check input in complain mode: names what the profile would deny
  fresh_data check
  rm -f "$R/complain.jsonl"
  workload complain check "$CONFINE" run --profile "$P" --mode complain --apparmor-mode complain --log "$R/complain.jsonl" --
  # 5. the near miss under the same profile (and unconfined: it must work there)
  # (its script on stdin: the profile lets sh read the workload's script, not near_miss's)
  # (world-writable, like /tmp: a service that drops privileges could use it unconfined)
  sibling() { rm -rf "$R/sibling" && mkdir -p "$R/sibling" && chmod 1777 "$R/sibling" && echo "sibling secret" >"$R/sibling/secret"; }
  sibling; fresh_data check
  timeout -k 5 60 sh -s "$DATA" <"$E/near_miss" >"$R/nm_plain.out" 2>&1
  echo $? >"$R/nm_plain.rc"
  sibling; fresh_data check
  S=$(date +%s.%N)
  timeout -k 5 60 "$CONFINE" run --profile "$P" -- sh -s "$DATA" <"$E/near_miss" >"$R/nm.out" 2>&1
  echo $? >"$R/nm.rc"
  kernel_records nm "$S"
  echo $(($(date +%s) - t0)) >"$R/seconds"
  # 6. verdict
  line=$($PY "$HERE/verdict.py" "$R" "$NAME" "$KIND" "${problems[@]}")
  vrc=$?
  echo "$line"
  [ $vrc = 0 ] || fails=$((fails + 1))
  [ $KEEP = 1 ] || rm -rf "$DATA" "$R/sibling"
done
if [ -n "$REPORT" ]; then
  $PY "$HERE/verdict.py" --report "$WORK" "$REPORT" "${NAMES[@]}" || fails=$((fails + 1))
fi
echo "corpus: ${#NAMES[@]} program(s), $fails failing"
[ $fails = 0 ]
