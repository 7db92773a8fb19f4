#!/usr/bin/env bash
# make bench: Go benchmarks plus the side-by-side comparisons with reference
# tools. Each part lives in scripts/bench.d/NN-name.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export TOKENCTL="$PWD/bin/tokenctl"
export TOKENCTL_SIM="$PWD/bin/tokenctl-sim"
export BENCHDIR="${BENCHDIR:-$(mktemp -d /tmp/tokenctl-bench.XXXXXX)}"
for part in scripts/bench.d/*.sh; do
  [ -e "$part" ] || continue
  printf '\n==== %s ====\n' "$(basename "$part" .sh)"
  bash "$part"
done
