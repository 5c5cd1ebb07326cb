# Sourced by test scripts: sub-results for tools/test-results and the platform probes.
#   t_result pass|fail|skip NAME [REASON]   appends to $CONFINE_TEST_RESULTS (set by `tools/test-results run`)
#   platform_absent FEATURE                 returns 0 when FEATURE (int80, i386-exec) is absent, with the reason in
#                                           $PLATFORM_WHY; 1 when present; 2 when the probe cannot run
#                                           ($PLATFORM_WHY "probe error: ...": a test failure, never a skip).
#                                           Each probe runs once per script (call it outside $(...)).
# PLATFORM_PROBE (default: platform_probe next to $CONFINE_BUILD_DIR, built from tests/platform if missing).
t_result() {
  [ -n "${CONFINE_TEST_RESULTS:-}" ] || return 0
  printf '%s\t%s\t%s\n' "$1" "$(printf '%s' "$2" | tr '\t\n' '  ')" "$(printf '%s' "${3:-}" | tr '\t\n' '  ')" \
    >>"$CONFINE_TEST_RESULTS"
}

# platform_probe_init BUILD_DIR SRC_DIR: finds (or builds into a temp dir) the probe program.
platform_probe_init() {
  PLATFORM_PROBE=$1/platform_probe
  [ -x "$PLATFORM_PROBE" ] && return 0
  PLATFORM_PROBE=$(mktemp -d /tmp/confine-probe.XXXXXX)/platform_probe
  cc -O1 -o "$PLATFORM_PROBE" "$2/tests/platform/platform_probe.c" "$2/tests/platform/probe.c"
}

declare -A PLATFORM_ANSWER 2>/dev/null
platform_absent() {
  local f=$1 out rc
  if [ -z "${PLATFORM_ANSWER[$f]:-}" ]; then
    out=$("$PLATFORM_PROBE" "$f"); rc=$?
    PLATFORM_ANSWER[$f]="$rc|$out"
  fi
  rc=${PLATFORM_ANSWER[$f]%%|*}; out=${PLATFORM_ANSWER[$f]#*|}
  case $rc in
    0) PLATFORM_WHY=""; return 1 ;;
    1) PLATFORM_WHY=${out#absent: }; return 0 ;;
    *) PLATFORM_WHY="probe error: ${out#error: }"; return 2 ;;
  esac
}
