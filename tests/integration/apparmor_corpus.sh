#!/bin/bash
# Real corpus: every file of Debian's apparmor, apparmor-profiles and apparmor-profiles-extra
# (/etc/apparmor.d: profiles, abstractions, tunables, local; /usr/share/apparmor/extra-profiles)
# parses and formats (`confine apparmor fmt`), formatting is idempotent, and the formatted tree
# still passes the real validator (`apparmor_parser -Q -K`, includes resolved in the formatted
# tree) and gives the same `apparmor_parser -N` profile names as the original.
# usage: bash apparmor_corpus.sh CONFINE_BIN SRC_DIR
set -u
BIN=${1:?confine binary}
ROOT=/etc/apparmor.d
EXTRA=/usr/share/apparmor/extra-profiles
command -v apparmor_parser >/dev/null || { echo "FAIL: apparmor_parser missing (make deps-test)" >&2; exit 1; }
[ -d "$EXTRA" ] || { echo "FAIL: $EXTRA missing (apt-get install apparmor-profiles-extra)" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

cp -a "$ROOT" "$T/root"
mkdir -p "$T/extra"
files=0 rt=0
fmt_one() {  # SRC DST
  files=$((files + 1))
  if ! "$BIN" apparmor fmt "$1" >"$2" 2>"$T/err"; then
    fail "fmt $1: $(cat "$T/err")"
    cp "$1" "$2"
    return
  fi
  if ! "$BIN" apparmor fmt "$2" >"$T/again" 2>"$T/err"; then
    fail "formatted $1 does not re-parse: $(cat "$T/err")"
    return
  fi
  cmp -s "$2" "$T/again" || { fail "fmt not idempotent on $1"; return; }
  rt=$((rt + 1))
}
profiles=()
while IFS= read -r f; do
  rel=${f#"$ROOT"/}
  fmt_one "$f" "$T/root/$rel"
  case "$rel" in */*) ;; *) profiles+=("$rel") ;; esac
done < <(find "$ROOT" -type f ! -path "$ROOT/abi/*" | sort)
extras=()
for f in "$EXTRA"/*; do
  [ -f "$f" ] && [ "$(basename "$f")" != README ] || continue
  fmt_one "$f" "$T/extra/$(basename "$f")"
  extras+=("$(basename "$f")")
done

# Same profile names (-N) before and after formatting (one batch per side; per file on mismatch).
orig=() new=()
for p in "${profiles[@]}"; do orig+=("$ROOT/$p"); new+=("$T/root/$p"); done
for p in "${extras[@]}"; do orig+=("$EXTRA/$p"); new+=("$T/extra/$p"); done
nprof=${#orig[@]}
if [ "$(apparmor_parser -N --base "$ROOT" "${orig[@]}" 2>/dev/null)" != \
     "$(apparmor_parser -N --base "$T/root" "${new[@]}" 2>/dev/null)" ]; then
  for i in "${!orig[@]}"; do
    [ "$(apparmor_parser -N --base "$ROOT" "${orig[$i]}" 2>/dev/null)" == \
      "$(apparmor_parser -N --base "$T/root" "${new[$i]}" 2>/dev/null)" ] || fail "-N names differ for ${orig[$i]}"
  done
fi
[ "$(apparmor_parser -N --base "$ROOT" "${orig[@]}" 2>/dev/null | wc -l)" -gt 150 ] || fail "apparmor_parser -N lists too few names"

# The formatted texts pass the real validator and compile to the very same binary policy as the
# originals: `apparmor_parser -S -K` (full parse and compile, like -Q -K, binary on stdout), original
# against /etc/apparmor.d, formatted against the formatted tree; batches of 16, two in parallel.
printf '%s\n' "${orig[@]}" >"$T/orig.list"
printf '%s\n' "${new[@]}" >"$T/new.list"
printf '%s\0' "${!orig[@]}" | xargs -0 -P 2 -n 16 bash -c '
  root=$1 base=$2 T=$3; shift 3
  mapfile -t ORIG <"$T/orig.list"
  mapfile -t NEW <"$T/new.list"
  o=() n=()
  for i in "$@"; do o+=("${ORIG[$i]}"); n+=("${NEW[$i]}"); done
  set -o pipefail
  a=$(apparmor_parser -S -K --base "$base" "${o[@]}" 2>/dev/null | sha1sum)
  if ! b=$(apparmor_parser -S -K --base "$root" "${n[@]}" 2>/dev/null | sha1sum) || [ "$a" != "$b" ]; then
    for i in "$@"; do
      apparmor_parser -Q -K --base "$root" "${NEW[$i]}" >/dev/null 2>&1 || { echo "INVALID ${NEW[$i]}"; continue; }
      [ "$(apparmor_parser -S -K --base "$base" "${ORIG[$i]}" 2>/dev/null | sha1sum)" == \
        "$(apparmor_parser -S -K --base "$root" "${NEW[$i]}" 2>/dev/null | sha1sum)" ] || echo "DIFFERENT ${NEW[$i]}"
    done
  fi
' _ "$T/root" "$ROOT" "$T" >"$T/invalid"
while IFS= read -r l; do
  case "$l" in
    INVALID*) fail "apparmor_parser rejects formatted ${l#INVALID }" ;;
    *) fail "formatted ${l#DIFFERENT } compiles to a different policy than the original" ;;
  esac
done <"$T/invalid"
valid=$((nprof - $(wc -l <"$T/invalid")))

# Every profile translates to Landlock without error.
ll=0
for f in "${orig[@]}"; do
  if "$BIN" apparmor to-landlock "$f" >/dev/null 2>"$T/err"; then ll=$((ll + 1)); else fail "to-landlock $f: $(grep error "$T/err")"; fi
done

echo "apparmor corpus: $files files ($nprof profiles), $rt round-tripped, $valid formatted profiles accepted by apparmor_parser (-S -K), compiling to the same binary policy, with the same -N names, $ll translated to Landlock"
[ "$fails" = 0 ] || { echo "apparmor_corpus: $fails failure(s)" >&2; exit 1; }
echo "apparmor_corpus: ok"
