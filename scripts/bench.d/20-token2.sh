#!/usr/bin/env bash
# Token2 burn cost end to end on the emulator: the Go benchmarks (a burn
# through scard → pcscd → vpcd → emulator, and the same protocol work in
# process), then the whole command: `tokenctl token2 burn --generate -o
# FILE --to duo` as a process, timed over 20 runs against one emulated
# token in vpcd's first reader. Figures are milliseconds per burn.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOKENCTL:?set by scripts/bench.sh}" "${BENCHDIR:?}"
dir="$BENCHDIR/token2"
mkdir -p "$dir"

runs=200
out=$(go test -v -run '^$' -bench 'Burn' -benchtime ${runs}x ./sim/token2 2>&1) || { echo "$out"; exit 1; }
# ms is the ns/op of benchmark $1 in milliseconds, or empty when it did not run.
ms() { awk -v b="$1" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") printf "%.3f", $i / 1e6 }' <<<"$out"; }
pcsc=$(ms BenchmarkBurnThroughPCSC)
inproc=$(ms BenchmarkBurnInProcess)
echo "Go benchmarks, $runs burns each (one burn = connect, get info, challenge, authenticate, write config, write seed, release):"
if [ -n "$pcsc" ]; then
  echo "  burn end to end through scard → pcscd → vpcd → emulator: $pcsc ms per burn"
else
  # go test -v prints the skip reason indented under the benchmark's name.
  why=$(awk '/^BenchmarkBurnThroughPCSC$/ { on = 1; next } on && /^[ \t]/ { sub(/^[ \t]+[^ ]+: /, ""); print; next } { on = 0 }' <<<"$out")
  echo "  burn end to end through PC/SC: SKIPPED, not measured: ${why:-the benchmark did not run}"
fi
echo "  the same protocol work in process (SM4, MAC, parsing; no PC/SC): ${inproc:-?} ms per burn"
echo

if [ -z "$pcsc" ]; then
  echo "tokenctl token2 burn as a process: SKIPPED, not measured (needs pcscd and vsmartcard-vpcd: make deps pcscd)"
  exit 0
fi
exec 9>"${TMPDIR:-/tmp}/tokenctl-vpcd-35963.lock"
flock 9
"$TOKENCTL_SIM" token2 --serial 86596120001 2>"$dir/sim.log" &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
"$TOKENCTL" token2 info --reader 'Virtual PCD 00 00' --wait=15s >/dev/null
n=20
rm -f "$dir"/duo-*.csv
start=$(date +%s%N)
for i in $(seq $n); do
  "$TOKENCTL" token2 burn --reader 'Virtual PCD 00 00' --generate -o "$dir/duo-$i.csv" --to duo >/dev/null 2>&1
done
end=$(date +%s%N)
echo "tokenctl token2 burn as a process (start, PC/SC, 5 APDUs, append to a Duo file): $(awk -v d=$((end - start)) -v n=$n 'BEGIN { printf "%.1f", d / n / 1e6 }') ms per burn over $n runs"
