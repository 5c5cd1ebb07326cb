#!/bin/bash
# confine run: bad input gives a clear error, exit 125, and the command does
# not run (each case would create a marker file if it ran). A failing setup
# syscall is reported with its arguments and errno.
# usage: bash run_badinput.sh CONFINE_BIN SRC_DIR
set -u
BIN=$(readlink -f "$1")
[ -x "$BIN" ] || { echo "no binary $BIN"; exit 1; }
T=$(mktemp -d "$(dirname "$BIN")/badinput-XXXXXX")
chmod 777 "$T"
trap 'rm -rf "$T"' EXIT
DOCKER=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
fails=0; pass=0; n=0
case_() {  # case_ NAME MESSAGE_REGEX CONFINE_ARGS... (the command is appended)
  local name=$1 msg=$2; shift 2
  n=$((n + 1))
  local marker="$T/ran-$n"
  local out rc
  out=$("${AS[@]}" "$BIN" run "$@" -- touch "$marker" 2>&1); rc=$?
  local ok=1
  [ $rc = 125 ] || ok=0
  echo "$out" | grep -Eq -- "$msg" || ok=0
  [ -e "$marker" ] && ok=0
  if [ $ok = 1 ]; then pass=$((pass + 1)); echo "ok   $who: $name: $(echo "$out" | head -1)"; else
    fails=$((fails + 1)); echo "FAIL $who: $name (rc $rc, ran: $([ -e "$marker" ] && echo yes || echo no))"; echo "$out" | sed 's/^/   | /'; fi
}
echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_BOGUS"}]}' > "$T/bad.json"
printf '{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [ }' > "$T/broken.json"
mkdir -p "$T/emptydir"
chmod -R a+rX "$T"
for who in root nobody; do
  if [ $who = root ]; then AS=(); else AS=(setpriv --reuid 65534 --regid 65534 --clear-groups); fi
  case_ "unknown capability" 'unknown capability "CAP_FLY"' --cap-drop ALL --cap-add CAP_FLY
  case_ "unknown capability in drop" 'unknown capability "bogus"' --cap-drop net_raw,bogus
  case_ "--network bad mode" '--network slirp: expected none or host' --network slirp
  case_ "--network none with --share net" '--network none contradicts --share net' --network none --share pid,net
  case_ "--network host with --unshare net" '--network host contradicts --unshare net' --unshare net --network host
  case_ "missing profile" 'no-such\.json.*ENOENT' --seccomp "$T/no-such.json"
  case_ "invalid profile action (with position)" 'bad\.json:1:[0-9]+: .*SCMP_ACT_BOGUS' --seccomp "$T/bad.json"
  case_ "broken profile JSON (with position)" 'broken\.json:2:[0-9]+' --seccomp "$T/broken.json"
  case_ "--profile DIR without seccomp.json" 'emptydir.*seccomp\.json.*ENOENT' --profile "$T/emptydir"
  case_ "--bind missing source" '--bind /nonexistent.*ENOENT' --bind /nonexistent:/mnt
  case_ "--bind relative path" 'must be absolute' --bind relative:/mnt
  case_ "--tmpfs missing mount point" '--tmpfs /nonexistent.*ENOENT' --tmpfs /nonexistent
  case_ "--tmpfs bad size" 'bad size "12q"' --tmpfs /mnt:12q
  case_ "--tmpfs zero size" 'size must be positive' --tmpfs /mnt:0
  case_ "--memory bad size" 'bad size "lots"' --memory lots
  case_ "--ro missing path (Landlock)" 'stat\("/nonexistent"\).*ENOENT' --ro /nonexistent
  case_ "--user not a number" 'bad uid "root"' --user root
  case_ "--no-root with uid 0" 'no-root' --no-root --user 0
  case_ "unknown namespace" 'unknown namespace "time"' --share time
  case_ "bad --mode" 'expected enforce or complain' --mode audit
  case_ "bad --timeout" 'bad duration' --timeout soon
  case_ "--keep-fd not open" 'keep-fd 42.*EBADF' --keep-fd 42
  case_ "unknown option" 'unknown option --frobnicate' --frobnicate
  case_ "--suggest without complain" 'need --mode complain' --seccomp "$DOCKER" --suggest "$T/x.json"
  # a failing setup syscall inside the sandbox, reported with arguments and errno
  case_ "sethostname fails (syscall, args, errno)" 'uts namespace: sethostname\("x{70}"\): EINVAL' --hostname "$(printf 'x%.0s' $(seq 70))"
  case_ "Landlock rule on a missing path" 'ENOENT' --exec /nonexistent/bin
done
echo "run_badinput: $pass passed, $fails failed"
[ $fails = 0 ]
