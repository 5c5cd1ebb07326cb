#!/usr/bin/env bash
# make demo: `confine harden` on the bundled sample workload, then the same
# profile blocking something the sample never did.
set -uo pipefail
CONFINE=${1:-build/confine}
WORK=$(mktemp -d /tmp/confine-demo.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK
echo "== confine harden (record the sample workload, generate, replay enforced, report)"
echo "\$ confine harden -o $WORK/profile"
"$CONFINE" harden -o "$WORK/profile" || { echo "demo: harden failed" >&2; exit 1; }
echo
echo "== the profiles it wrote allow only what the sample did."
echo "-- the AppArmor profile (enforced through Landlock) never let the sample run ln:"
echo "\$ confine run --profile $WORK/profile -- ln -s /etc/passwd $WORK/link"
"$CONFINE" run --profile "$WORK/profile" -- ln -s /etc/passwd "$WORK/link" 2>&1 | grep -v "^confine: warning"
echo "(exit ${PIPESTATUS[0]})"
echo "-- python3 may run (the sample used it), but the seccomp profile has no symlinkat:"
echo "\$ confine run --profile $WORK/profile -- /usr/bin/python3 -c 'import os; os.symlink(\"/etc/passwd\", \"$WORK/link\")'"
"$CONFINE" run --profile "$WORK/profile" -- /usr/bin/python3 -c "import os; os.symlink('/etc/passwd', '$WORK/link')" 2>&1 |
  grep -v "^confine: warning" | tail -1
echo "-- complain mode (both layers) names what would be denied and blocks nothing:"
echo "\$ confine run --profile $WORK/profile --mode complain --apparmor-mode complain -- ln -s /etc/passwd $WORK/link2"
"$CONFINE" run --profile "$WORK/profile" --mode complain --apparmor-mode complain -- ln -s /etc/passwd "$WORK/link2" 2>&1 |
  grep -E "summary"
echo
echo "== the Kubernetes securityContext it wrote:"
cat "$WORK/profile/securityContext.yaml"
echo
echo "== the AppArmor profile it wrote (apparmor_parser -Q -K accepts it):"
cat "$WORK/profile/apparmor.profile"
