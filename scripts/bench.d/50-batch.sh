#!/usr/bin/env bash
# Batch provisioning: the time per token tokenctl itself adds on top of the
# device exchange (Go benchmarks: a device that costs nothing, and the
# Token2 session on an in-process emulator with the device time split
# out), then a whole 'tokenctl batch token2' of 20 emulated tokens through
# pcscd, where the pace is set by the emulated insertions.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOKENCTL:?set by scripts/bench.sh}" "${BENCHDIR:?}"
dir="$BENCHDIR/batch"
mkdir -p "$dir"
rm -f "$dir"/bench.ledger* "$dir"/bench.age

echo "Go benchmarks (ledger on $(df -T "${TMPDIR:-/tmp}" | awk 'NR==2 {print $2}'), every record fsync'd; goal: under 20 ms per token):"
go test -run '^$' -bench 'BatchOverhead|Token2BatchInProcess' -benchtime 300x ./batch | grep -E '^Benchmark'
echo

exec 9>"${TMPDIR:-/tmp}/tokenctl-vpcd-35963.lock"
flock 9
"$TOKENCTL" ledger init --identity-out "$dir/bench.age" "$dir/bench.ledger" >/dev/null
n=20
"$TOKENCTL_SIM" token2 --count $n --serial 86596120001 2>"$dir/sim.log" &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
start=$(date +%s%N)
"$TOKENCTL" --json batch token2 --ledger "$dir/bench.ledger" --count $n --reader 'Virtual PCD 00 00' >"$dir/batch.jsonl" 2>"$dir/batch.log"
end=$(date +%s%N)
wait $SIM || true
awk -v n=$n -v total=$(( (end - start) / 1000000 )) '
  /"outcome":"programmed"/ { match($0, /"ms":[0-9.]+/); s += substr($0, RSTART + 5, RLENGTH - 5); k++ }
  END {
    printf "tokenctl batch token2 through pcscd: %d tokens in %.1f s (%.0f ms per token, paced by the emulated insert/remove cycle)\n", k, total / 1000, total / n
    printf "  from serial read to final record (challenge, authenticate, configuration, seed APDUs and 2 fsync'\''d ledger commits): %.1f ms per token\n", s / k
  }' "$dir/batch.jsonl"
