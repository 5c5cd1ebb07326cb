#!/usr/bin/env bash
# make demo: a seccomp demonstration until `confine harden` exists (issue 4 replaces it).
set -euo pipefail
CONFINE=${1:-build/confine}
echo "confine demo: $($CONFINE --version)"
$CONFINE --help
