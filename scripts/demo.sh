#!/usr/bin/env bash
# make demo: a realistic run of every workflow on the emulators, no hardware.
# Each part lives in scripts/demo.d/NN-name.sh and runs in order, with
# TOKENCTL (the built binary) and DEMO (a scratch directory) set.
set -euo pipefail
cd "$(dirname "$0")/.."
export TOKENCTL="$PWD/bin/tokenctl"
export TOKENCTL_SIM="$PWD/bin/tokenctl-sim"
export DEMO="${DEMO:-$(mktemp -d /tmp/tokenctl-demo.XXXXXX)}"
umask 077
for part in scripts/demo.d/*.sh; do
  [ -e "$part" ] || continue
  printf '\n==== %s ====\n' "$(basename "$part" .sh)"
  bash "$part"
done
printf '\nDemo files are in %s\n' "$DEMO"
