#!/usr/bin/env bash
# Token2 burn cost end to end on the emulator: the Go benchmarks (a burn
# through scard → pcscd → vpcd → emulator, and the same protocol work in
# process), then the whole command: `tokenctl token2 burn --generate -o
# FILE --to duo` as a process, timed over 20 runs against one emulated
# token in vpcd's first reader.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOKENCTL:?set by scripts/bench.sh}" "${BENCHDIR:?}"
dir="$BENCHDIR/token2"
mkdir -p "$dir"

echo "Go benchmarks (ns/op = one burn: connect, 5 APDUs, release):"
go test -run '^$' -bench 'Burn' -benchtime 200x ./sim/token2 | grep -E '^Benchmark'
echo

exec 9>"${TMPDIR:-/tmp}/tokenctl-vpcd-35963.lock"
flock 9
"$TOKENCTL" sim token2 --serial 86596120001 2>"$dir/sim.log" &
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
echo "tokenctl token2 burn as a process (start, PC/SC, 5 APDUs, append to a Duo file): $(( (end - start) / n / 1000000 )) ms per token over $n runs"
