# Sourced by the Kubernetes tests (after tests/platform/results.sh): the test-only npm packages
# `make deps-test` installs into NPM_TEST_DIR (kubernetes-models, @bufbuild/cel, @microsoft/jest-sarif).
#   npm_check PKG...   NPM_OK=1 when every package is installed. Otherwise NPM_OK=0 and NPM_WHY says
#                      why: when `make deps-test` recorded that the npm registry could not be reached
#                      (NPM_TEST_DIR/install-error: a TLS-intercepting proxy whose CA this machine does
#                      not trust, no route, no DNS), the checks that need the packages are skipped with
#                      that reason; any other cause (never installed, a package missing after a
#                      successful install) is a test failure: exit 1.
#   npm_skip LABEL     records one skipped check (t_result skip TEST/LABEL "$NPM_WHY").
NPM_TEST_DIR=${NPM_TEST_DIR:-/var/cache/confine-test/npm}
NM=${CONFINE_TEST_NODE_MODULES:-$NPM_TEST_DIR/node_modules}
npm_check() {
  local p missing=""
  for p in "$@"; do [ -d "$NM/$p" ] || missing="$missing $p"; done
  NPM_OK=1
  [ -z "$missing" ] && return 0
  NPM_OK=0
  local err=""
  [ -f "$NPM_TEST_DIR/install-error" ] && err=$(tail -c 600 "$NPM_TEST_DIR/install-error" | tr '\n' ' ')
  case $err in
    *SELF_SIGNED_CERT*|*UNABLE_TO_GET_ISSUER_CERT*|*UNABLE_TO_VERIFY_LEAF_SIGNATURE*|*CERT_UNTRUSTED*|\
    *ENOTFOUND*|*EAI_AGAIN*|*ECONNREFUSED*|*ETIMEDOUT*|*ECONNRESET*|*ENETUNREACH*)
      NPM_WHY="npm registry unreachable from this machine when make deps-test ran, so${missing} not installed: $err"
      echo "NOTE: $NPM_WHY"
      ;;
    *)
      echo "FAIL: npm package(s)${missing} not in $NM (make deps-test installs them${err:+; its npm said: $err})"
      exit 1
      ;;
  esac
}
npm_skip() {
  echo "SKIP: $1 (needs npm packages: $NPM_WHY)"
  t_result skip "${NPM_TEST_NAME:-k8s}/$1" "$NPM_WHY"
}
