#!/bin/bash
# confine watch on the eBPF source (docs/watch.md "The eBPF source"): `--cgroup PATH` watches
# the processes of a cgroup v2 subtree that confine did not start, `--all` the whole host.
#  1. the escape suite's watch attacks (tests/integration/watch.sh's harmless forms), each run
#     in a fresh cgroup while `confine watch --cgroup` watches it: exactly one alert each, from
#     the right rule, with the right fields (as with the unotify source);
#  2. the same attack outside the cgroup does not alert; `--all` sees it;
#  3. evt.res is the call's real return value (a failing and a succeeding open), evt.dir '<';
#  4. the corpus workloads (as watch.sh) give 0 alerts under --cgroup;
#  5. deviation mode (--profile) and SIGHUP reload work on this source; the summary reports
#     dropped events, and a ring buffer too small for them says how many it dropped;
#  6. a runc container watched by its cgroup (created before the container starts), and a running
#     podman container watched by the cgroup podman made for it.
# Skips (77, with the reason) only when the kernel has no BTF, the caller is not root, the
# cgroup2 mount is read-only, or confine was built without the eBPF source.
# usage: bash watch_ebpf.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
BUILD=$(dirname "$BIN")
. "$SRC/tests/platform/results.sh"
. "$SRC/tests/integration/lib/watch_attacks.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: the eBPF source needs root (CAP_BPF, CAP_PERFMON); the attacks run as uid 65534"; exit 77; }
[ -r /sys/kernel/btf/vmlinux ] || { echo "SKIP: the kernel has no BTF (/sys/kernel/btf/vmlinux): no eBPF source"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) not installed"; exit 77; }
CG2=$(awk '$9 == "cgroup2" && $4 == "/" {print $5; exit}' /proc/self/mountinfo)
[ -n "$CG2" ] || { echo "FAIL: no cgroup2 mount (--cgroup selects a cgroup v2)"; exit 1; }
if ! mkdir "$CG2/confine-watch-probe-$$" 2>/dev/null; then
  echo "SKIP: cannot create a cgroup under $CG2 (read-only cgroup2 mount here)"
  exit 77
fi
rmdir "$CG2/confine-watch-probe-$$"
T=$(mktemp -d /var/tmp/confine-watch-ebpf-XXXXXX)
chmod 755 "$T"
CGS=()
W=
cleanup() {
  [ -n "$W" ] && kill "$W" 2>/dev/null
  for c in "${CGS[@]}"; do
    [ -d "$c" ] || continue
    while read -r p; do echo "$p" >"$CG2/cgroup.procs" 2>/dev/null; done <"$c/cgroup.procs"
    rmdir "$c" 2>/dev/null
  done
  rm -rf "$T"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; t_result fail "watch_ebpf/$1" "${*:2}"; fails=$((fails + 1)); }
pass() { echo "ok: $*"; t_result pass "watch_ebpf/$1"; }
for p in escape_attacks escape_watch; do
  [ -x "$BUILD/$p" ] || { echo "FAIL: $BUILD/$p not built (ninja $p)"; exit 1; }
  cp "$BUILD/$p" "$T/$p" && chmod 755 "$T/$p"
done
ATT=$T/escape_attacks WAT=$T/escape_watch
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
REL=/confine-watch-ebpf-$$
CG=$CG2$REL
mkdir "$CG" && CGS+=("$CG")

# start_watch ARGS...: confine watch ARGS in the background ($W), alerts to $T/alerts, stderr to
# $T/werr; returns once the program is attached (its "watching" line), 1 when it is not.
start_watch() {
  rm -f "$T/alerts" "$T/werr"
  "$BIN" watch --alerts "$T/alerts" "$@" 2>"$T/werr" &
  W=$!
  local i
  for i in $(seq 300); do
    grep -q '^confine watch: watching' "$T/werr" 2>/dev/null && return 0
    kill -0 "$W" 2>/dev/null || break
    sleep 0.1
  done
  wait "$W" 2>/dev/null
  W=
  return 1
}
# stop_watch: SIGINT, wait (the summary line ends $T/werr); the exit status.
stop_watch() {
  kill -INT "$W"
  wait "$W"
  local rc=$?
  W=
  return $rc
}
# in_cg CMD...: CMD run in the test cgroup.
in_cg() { sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }

# The eBPF source must load here, else skip (with confine's reason) or fail.
if ! start_watch --cgroup "$REL"; then
  if grep -q 'built without the eBPF source' "$T/werr"; then
    echo "SKIP: $(cat "$T/werr")"
    exit 77
  fi
  echo "FAIL: confine watch --cgroup does not start: $(cat "$T/werr")"
  exit 1
fi
stop_watch

# --- 1. the attacks, each in the cgroup under its own watcher
# ebpf_one NAME RULE FIELD_REGEX -- CMD...: exactly one alert, from RULE, whose JSON matches FIELD_REGEX.
ebpf_one() {
  local name=$1 rule=$2 re=$3
  shift 4
  if ! start_watch -o json --cgroup "$REL"; then
    fail "$name" "watch did not start: $(cat "$T/werr")"
    return
  fi
  in_cg "$@" >"$T/out" 2>&1
  local crc=$? rc n
  stop_watch
  rc=$?
  n=$(grep -c . "$T/alerts" 2>/dev/null || true)
  if [ "$rc" != 0 ]; then
    fail "$name" "watch exit $rc: $(tail -c 600 "$T/werr")"
  elif [ "$name" != memfd-exec ] && ! grep -q '^RESULT ' "$T/out"; then
    fail "$name" "the attack did not run (rc $crc): $(head -c 400 "$T/out")"
  elif [ "${n:-0}" != 1 ]; then
    fail "$name" "$n alerts, expected 1: $(head -c 1500 "$T/alerts" 2>/dev/null)"
  elif ! grep -qF "\"rule\":\"$rule\"" "$T/alerts"; then
    fail "$name" "wrong rule: $(cat "$T/alerts")"
  elif ! grep -qE "$re" "$T/alerts"; then
    fail "$name" "fields do not match /$re/: $(cat "$T/alerts")"
  elif ! grep -qE '^confine watch: [0-9]+ kernel events, [0-9]+ events evaluated, 1 alerts, 0 dropped' "$T/werr"; then
    fail "$name" "summary: $(tail -2 "$T/werr")"
  else
    pass "$name" "$rule"
  fi
}

# The shared attack list (tests/integration/lib/watch_attacks.sh), one alert each.
watch_attacks ebpf_one
# symlink-ro makes the link, then writes /etc/passwd through it (main's watch.sh: two alerts); the
# symlink alert must be there once (the write through the link: see "links" below).
if start_watch -o json --cgroup "$REL"; then
  in_cg "${NOBODY[@]}" "$ATT" symlink-ro >"$T/out" 2>&1
  stop_watch
  [ "$(grep -c '"rule":"Symlink over sensitive file"' "$T/alerts")" = 1 ] && grep -q '"evt.arg.target":"/etc/passwd"' "$T/alerts" &&
    pass symlink || fail symlink "$(head -c 2000 "$T/alerts")"
else
  fail symlink "watch did not start: $(cat "$T/werr")"
fi

# The evasions and the third set of stock rules (tests/integration/watch.sh).
LDSO=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null || true)
[ -z "$LDSO" ] && fail devshm-ldso "no /lib64/ld-linux-x86-64.so.2 on an x86_64 Debian"
[ -n "$LDSO" ] && ebpf_one devshm-ldso "Execution from /dev/shm" '"proc.cmdline":"ld-linux-x86-64 /dev/shm/confine-watch-[0-9]+"' -- \
  "${NOBODY[@]}" "$WAT" devshm-ldso "$LDSO"
# proc.pis_server: the parent's listening socket, seen by the program at exec.
if start_watch -o json --cgroup "$REL"; then
  in_cg "${NOBODY[@]}" "$WAT" plain-shell >"$T/out" 2>&1
  stop_watch
  grep -q '^RESULT ok' "$T/out" && [ ! -s "$T/alerts" ] && pass plain-shell "no listener, no alert" ||
    fail plain-shell "$(cat "$T/out" "$T/alerts" 2>/dev/null | head -c 1500)"
else
  fail plain-shell "watch did not start: $(cat "$T/werr")"
fi
# Links in a path are followed from /proc when the event is read (at most ~10 ms after the call):
# a read of /etc/shadow through a link alerts when the task is still there then. Not guaranteed
# for a task that ends at once (docs/watch.md "The eBPF source"): reported, not failed.
ln -s /etc/shadow "$T/shadow-link"
if start_watch -o json --cgroup "$REL"; then
  in_cg "${NOBODY[@]}" "$WAT" read-via-link "$T/shadow-link" >/dev/null 2>&1
  stop_watch
  if grep -q '"fd.name":"/etc/shadow"' "$T/alerts"; then echo "note: read-via-link: the link was followed"
  else echo "note: read-via-link: the task was gone before its event was read: fd.name is the link ($(grep -c . "$T/alerts") alerts)"; fi
fi

# --- 2. outside the cgroup: no alert under --cgroup; --all sees it
OUTF=/etc/confine-watch-ebpf-outside-$$
if start_watch -o json --cgroup "$REL"; then
  "${NOBODY[@]}" "$ATT" write-outside "$OUTF" >/dev/null 2>&1
  stop_watch
  [ ! -s "$T/alerts" ] && pass outside-cgroup || fail outside-cgroup "alerts: $(head -c 1000 "$T/alerts")"
else
  fail outside-cgroup "watch did not start: $(cat "$T/werr")"
fi
if start_watch -o json --all; then
  "${NOBODY[@]}" "$ATT" write-outside "$OUTF" >/dev/null 2>&1
  stop_watch
  rc=$?
  n=$(grep -cF "\"fd.name\":\"$OUTF\"" "$T/alerts" 2>/dev/null || true)
  [ "$rc" = 0 ] && [ "${n:-0}" = 1 ] && grep -F "\"fd.name\":\"$OUTF\"" "$T/alerts" | grep -q '"rule":"Write below etc"' &&
    pass all-host || fail all-host "rc $rc, $n alerts on $OUTF: $(head -c 1500 "$T/alerts") $(tail -2 "$T/werr")"
else
  fail all-host "watch --all did not start: $(cat "$T/werr")"
fi

# --- 3. evt.res: the real return value, on a failing and a succeeding open
cat >"$T/res.yaml" <<YAML
- rule: Failed open
  desc: an open that failed with ENOENT
  condition: evt.type in (open, openat) and fd.name = /etc/confine-watch-no-such-$$ and evt.res = -2 and evt.dir = <
  output: failed open (file=%fd.name res=%evt.res)
  priority: NOTICE
- rule: Open that worked
  desc: an open that returned a descriptor
  condition: evt.type in (open, openat) and fd.name = /etc/hostname and evt.res >= 0 and proc.name = cat
  output: open (file=%fd.name res=%evt.res)
  priority: NOTICE
YAML
if start_watch -o json --rules "$T/res.yaml" --cgroup "$REL"; then
  in_cg cat "/etc/confine-watch-no-such-$$" >/dev/null 2>&1
  in_cg cat /etc/hostname >/dev/null 2>&1
  stop_watch
  if [ "$(grep -c '"rule":"Failed open"' "$T/alerts")" = 1 ] && grep -q '"evt.res":-2[,}]' "$T/alerts" &&
     [ "$(grep -c '"rule":"Open that worked"' "$T/alerts")" = 1 ] && grep -qE '"evt.res":[0-9]+[,}]' "$T/alerts"; then
    pass evt-res
  else
    fail evt-res "$(cat "$T/alerts" "$T/werr" | head -c 2000)"
  fi
else
  fail evt-res "watch did not start: $(cat "$T/werr")"
fi

# --- 4. corpus workloads under --cgroup: no alert
if start_watch --cgroup "$REL"; then
  ran=
  for prog in grep sort tar diff jq; do
    D=$SRC/tests/corpus/$prog
    [ -d "$D" ] || continue
    pkgbin=$(sed -n 's/^programs=//p' "$D/meta" | awk '{print $1}')
    if [ -n "$pkgbin" ] && [ ! -x "$pkgbin" ]; then
      echo "skip: corpus $prog ($pkgbin not installed)"; continue
    fi
    WD=$T/corpus-$prog && mkdir -p "$WD/data"
    sh "$D/prepare" "$WD/data" train >/dev/null 2>&1 || { fail "corpus-$prog" "prepare failed"; continue; }
    in_cg sh "$D/workload" "$WD/data" >"$WD/out" 2>"$WD/err" || fail "corpus-$prog" "workload failed: $(tail -c 500 "$WD/err")"
    ran="$ran $prog"
  done
  stop_watch
  rc=$?
  if [ "$rc" = 0 ] && [ ! -s "$T/alerts" ] && grep -qE 'events evaluated, 0 alerts, 0 dropped' "$T/werr"; then
    pass corpus "$ran"
  else
    fail corpus "rc $rc ($ran): $(head -c 1500 "$T/alerts") $(tail -2 "$T/werr")"
  fi
else
  fail corpus "watch did not start: $(cat "$T/werr")"
fi

# --- 5. deviation mode, SIGHUP, dropped events
# The profile: the same launcher shape as in_cg (sh, a redirection, exec), without the cgroup.
"$BIN" record -o "$T/prof" -- sh -c 'echo $$ >/dev/null && exec "$0" no-such-attack' "$ATT" >/dev/null 2>&1
: >"$T/none.yaml"
if [ ! -f "$T/prof/behavior.json" ]; then
  fail deviation "record wrote no behavior.json"
elif start_watch --rules "$T/none.yaml" --profile "$T/prof" --cgroup "$REL"; then
  in_cg "$ATT" keyctl >/dev/null 2>&1
  stop_watch
  if [ "$(grep -c 'Deviation from the recorded profile (syscall keyctl (x86_64) not in' "$T/alerts")" = 1 ]; then
    pass deviation
  else
    fail deviation "$(head -c 2000 "$T/alerts") $(tail -2 "$T/werr")"
  fi
else
  fail deviation "watch did not start: $(cat "$T/werr")"
fi

rule() { printf -- '- rule: %s\n  desc: d\n  condition: evt.type in (open, openat) and fd.name = /etc/hostname\n  output: %s %%proc.name\n  priority: NOTICE\n' "$1" "$1"; }
rule RuleA >"$T/hup.yaml"
if start_watch --rules "$T/hup.yaml" --cgroup "$REL"; then
  in_cg cat /etc/hostname >/dev/null
  printf -- '- rule: [\n' >"$T/hup.yaml"
  kill -HUP "$W"
  for i in $(seq 100); do grep -q 'SIGHUP: rules not reloaded' "$T/werr" && break; sleep 0.1; done
  in_cg cat /etc/hostname >/dev/null
  rule RuleB >"$T/hup.yaml"
  kill -HUP "$W"
  for i in $(seq 100); do grep -q 'SIGHUP: rules reloaded' "$T/werr" && break; sleep 0.1; done
  in_cg cat /etc/hostname >/dev/null
  stop_watch
  rc=$?
  if [ "$rc" = 0 ] && [ "$(grep -c 'Notice RuleA' "$T/alerts")" = 2 ] && [ "$(grep -c 'Notice RuleB' "$T/alerts")" = 1 ] &&
     grep -q 'SIGHUP: rules not reloaded' "$T/werr" && grep -q 'SIGHUP: rules reloaded' "$T/werr" &&
     [ "$(tail -1 "$T/alerts" | grep -c RuleB)" = 1 ]; then
    pass sighup-reload
  else
    fail sighup-reload "rc $rc: $(cat "$T/alerts" "$T/werr" | head -c 2000)"
  fi
else
  fail sighup-reload "watch did not start: $(cat "$T/werr")"
fi

# A ring buffer of one page cannot hold one event with its strings: every one is dropped,
# counted, and reported (as it happens and in the summary), never silently.
if start_watch --ebpf-ring-bytes 4096 --cgroup "$REL"; then
  in_cg sh -c 'for i in 1 2 3 4 5; do cat /etc/hostname; done' >/dev/null
  stop_watch
  if grep -qE 'events dropped \(the ring buffer was full' "$T/werr" &&
     grep -qE '^confine watch: .* [1-9][0-9]* dropped \(the ring buffer was full' "$T/werr"; then
    pass dropped-reported
  else
    fail dropped-reported "$(tail -c 1000 "$T/werr")"
  fi
else
  fail dropped-reported "watch did not start: $(cat "$T/werr")"
fi

# Usage errors.
"$BIN" watch --cgroup "$REL" -- true 2>"$T/err"; rc=$?
[ "$rc" = 2 ] && grep -q 'no command' "$T/err" && pass cgroup-and-command || fail cgroup-and-command "rc $rc $(cat "$T/err")"
"$BIN" watch --cgroup / 2>"$T/err"; rc=$?
[ "$rc" = 125 ] && grep -q 'use --all' "$T/err" && pass cgroup-root || fail cgroup-root "rc $rc $(cat "$T/err")"
"$BIN" watch --cgroup /confine-watch-no-such-$$ 2>"$T/err"; rc=$?
[ "$rc" = 125 ] && grep -q 'confine-watch-no-such' "$T/err" && pass cgroup-missing || fail cgroup-missing "rc $rc $(cat "$T/err")"

# --- 6. a runc container watched by its cgroup (created first: the container's first exec is seen)
if ! command -v runc >/dev/null || ! command -v busybox >/dev/null; then
  fail runc "runc or busybox not installed (make test installs runc busybox-static)"
else
  B=$T/bundle
  mkdir -p "$B/rootfs"/{bin,proc,sys,dev,etc,tmp}
  cp "$(command -v busybox)" "$B/rootfs/bin/busybox"
  for a in sh cat echo; do ln -s busybox "$B/rootfs/bin/$a"; done
  (cd "$B" && runc spec)
  HEX=$(printf '%s' "confine-watch-$$" | sha256sum | cut -c1-64)
  RCG=/confine-watch-libpod-$HEX
  mkdir "$CG2$RCG" && CGS+=("$CG2$RCG")
  python3 - "$B/config.json" "$RCG" <<'EOF'
import json, sys
path, cg = sys.argv[1:3]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", "echo x >/bin/confine-dropped; cat /etc/hostname; echo done"]
c["root"]["readonly"] = False
c["linux"]["cgroupsPath"] = cg
c["linux"].pop("seccomp", None)
json.dump(c, open(path, "w"))
EOF
  if start_watch -o json --cgroup "$RCG"; then
    out=$(cd "$B" && timeout 60 runc run "ctr-watch-$$" 2>&1 </dev/null)
    crc=$?
    stop_watch
    rc=$?
    if [ "$crc" = 0 ] && [[ "$out" == *done* ]] && [ "$rc" = 0 ] && [ "$(grep -c . "$T/alerts")" = 1 ] &&
       grep -q '"rule":"Write below binary dir"' "$T/alerts" && grep -q '"fd.name":"/bin/confine-dropped"' "$T/alerts" &&
       grep -q "\"container.id\":\"${HEX:0:12}\"" "$T/alerts"; then
      pass runc "a write below /bin inside the container alerts once, with its container.id"
    else
      fail runc "runc rc $crc ($out), watch rc $rc: $(head -c 1500 "$T/alerts") $(tail -2 "$T/werr")"
    fi
  else
    fail runc "watch did not start: $(cat "$T/werr")"
  fi
fi

# A podman container (runc, a local busybox rootfs) started first and watched by the cgroup podman
# made for it, as `confine watch --help` shows; it waits for a file before its write below /bin.
if ! command -v podman >/dev/null; then
  fail podman "podman not installed (make test installs podman runc busybox-static)"
else
  PR=$T/prootfs
  mkdir -p "$PR"/{bin,proc,sys,dev,etc,tmp} "$T/go"
  cp "$(command -v busybox)" "$PR/bin/busybox"
  for a in sh echo sleep; do ln -s busybox "$PR/bin/$a"; done
  echo "root:x:0:0:root:/:/bin/sh" >"$PR/etc/passwd"
  NAME=confine-watch-$$
  id=$(timeout 120 podman --runtime runc run -d --name "$NAME" --network none --ulimit nofile=20000:20000 \
    --ulimit nproc=32768:32768 -v "$T/go:/go" --rootfs "$PR" \
    /bin/sh -c 'while [ ! -e /go/go ]; do sleep 0.1; done; echo x >/bin/confine-dropped; echo done' 2>"$T/perr")
  pid=$(podman inspect -f '{{.State.Pid}}' "$NAME" 2>/dev/null)
  pcg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
  if [ -z "$id" ] || [ -z "$pcg" ]; then
    fail podman "the container did not start: $(cat "$T/perr")"
  elif start_watch -o json --cgroup "$pcg"; then
    touch "$T/go/go"
    timeout 60 podman wait "$NAME" >/dev/null
    stop_watch
    rc=$?
    if [ "$rc" = 0 ] && [ "$(grep -c . "$T/alerts")" = 1 ] && grep -q '"fd.name":"/bin/confine-dropped"' "$T/alerts" &&
       grep -q "\"container.id\":\"${id:0:12}\"" "$T/alerts"; then
      pass podman "a running podman container watched by its cgroup: one alert, its container.id"
    else
      fail podman "watch rc $rc: $(head -c 1500 "$T/alerts") $(tail -2 "$T/werr")"
    fi
  else
    fail podman "watch did not start: $(cat "$T/werr")"
  fi
  podman rm -f "$NAME" >/dev/null 2>&1
fi

echo "watch_ebpf: $fails failure(s)"
[ "$fails" = 0 ]
