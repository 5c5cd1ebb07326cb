#!/bin/bash
# if/else conditionals and qualifier blocks from the CLI, against the real apparmor_parser:
# `confine apparmor fmt` output is accepted and compiles to the same binary policy (-S -K) as the
# original, `check` evaluates the conditions, and malformed input fails with file:line:col — where
# apparmor_parser fails too.
# usage: bash apparmor_blocks.sh CONFINE_BIN SRC_DIR
set -u
BIN=${1:?confine binary}
command -v apparmor_parser >/dev/null || { echo "FAIL: apparmor_parser missing (make deps-test)" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
aa() { apparmor_parser -S -K --base /etc/apparmor.d "$1" 2>/dev/null | sha1sum; }

cat >"$T/blocks" <<'P'
include <tunables/global>
$HAS_X = true
${NO_Y} = false
profile blocks /usr/bin/blocks {
  include <abstractions/base>
  if $HAS_X { # x
    /etc/x r,
  }  else {
     /etc/notx r,
  }
  if not $NO_Y {
    /etc/y r,
  } else if defined @{HOME} {
    @{HOME}/ r,
  } else {
    capability chown,
  }
  audit   owner {
    @{PROC}/@{pid}/status r,
    if not defined $Z {
      /tmp/z rw,
    }
  }
  allow other {
    /srv/** r,
  }
}
P
"$BIN" apparmor fmt "$T/blocks" >"$T/blocks.fmt" 2>"$T/err" || fail "fmt: $(cat "$T/err")"
"$BIN" apparmor fmt "$T/blocks.fmt" | cmp -s - "$T/blocks.fmt" || fail "fmt not idempotent"
grep -q '^  audit owner {$' "$T/blocks.fmt" || fail "canonical qualifier block missing"
grep -q '^  } else if defined @{HOME} {$' "$T/blocks.fmt" || fail "canonical else if missing"
apparmor_parser -Q -K --base /etc/apparmor.d "$T/blocks.fmt" 2>/dev/null || fail "apparmor_parser rejects fmt output"
a=$(aa "$T/blocks") b=$(aa "$T/blocks.fmt")
[ "$a" == "$b" ] || fail "formatted text compiles to a different policy"
out=$("$BIN" apparmor check "$T/blocks" 2>&1) || fail "check: $out"
# taken: /etc/x, /etc/y, status (audit owner), /tmp/z (audit owner), /srv/** (other) + abstractions/base
echo "$out" | grep -q "profile blocks: .* rules" || fail "check output: $out"
echo "$out" | grep -q "capability" && fail "capability of an untaken branch counted: $out"

# negative cases: our error (with position) and apparmor_parser's rejection agree
neg() {  # TEXT EXPECTED-MESSAGE
  printf '%s\n' "$1" >"$T/neg"
  if err=$("$BIN" apparmor check "$T/neg" 2>&1); then
    fail "accepted: $1"
  else
    echo "$err" | grep -q "$T/neg:[0-9]*:[0-9]*: .*$2" || fail "message for [$1]: $err"
  fi
  apparmor_parser -Q -K "$T/neg" >/dev/null 2>&1 && fail "apparmor_parser accepts: $1"
}
neg $'$A = true\nprofile t {\n  if $A and $A {\n  }\n}' "'and' is not supported"
neg $'profile t {\n  if $UNSET {\n  }\n}' 'unset boolean variable \$UNSET'
neg $'profile t {\n  deny {\n    /a r,\n  }\n}' "'deny' is not allowed on a qualifier block"
neg $'$A = true\nprofile t {\n  if $A /a r,\n}' "expected '{' after the if condition"
neg $'$A = true\nprofile t {\n  if $A {\n  } else /b r,\n}' "expected '{' or 'if' after 'else'"
neg $'profile t {\n  if ($A) {\n  }\n}' "no parentheses"
out=$("$BIN" apparmor check <(printf 'profile t {\n  if $U {\n  }\n}\n') 2>&1)
echo "$out" | grep -q ':2:6: unset boolean variable \$U used in if-expression' || fail "position: $out"

[ "$fails" = 0 ] || { echo "apparmor_blocks: $fails failure(s)" >&2; exit 1; }
echo "apparmor_blocks: ok"
