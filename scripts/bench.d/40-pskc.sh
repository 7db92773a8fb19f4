#!/usr/bin/env bash
# PSKC → Duo: a 100,000-key container written by tokenctl (encrypted with a
# pre-shared key: AES-128-CBC + HMAC-SHA256; and plain), converted to Duo
# HOTP lines by tokenctl and by python-pskc's pskc2csv on the same file.
# Prints seconds, keys/s and peak RSS for each, the speed ratio, and checks
# that both produce the same serials, secrets and counters.
# PSKC_BENCH_KEYS overrides the key count.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOKENCTL:?set by scripts/bench.sh}" "${BENCHDIR:?}"
PY=/usr/bin/python3
n=${PSKC_BENCH_KEYS:-100000}
dir="$BENCHDIR/pskc"
mkdir -p "$dir"
umask 077

echo "Go benchmarks (pskc reader and writer, 10k keys; a 4 MB file of comments and small text nodes; whole pipeline PSKC → Duo, 100k keys):"
go test -run '^$' -bench 'Read10k|Write10k|ManyComments' -benchtime 3x ./pskc | grep -E '^Benchmark'
go test -run '^$' -bench 'PSKCToDuo100k' -benchtime 2x ./convert | grep -E '^Benchmark'
echo

# The seeds, as Duo HOTP lines; tokenctl writes the containers from them.
in="$dir/seeds-$n.csv"
[ -s "$in" ] || $PY -c '
import os, sys
n = int(sys.argv[1])
with open(sys.argv[2], "w") as f:
    for i in range(n):
        f.write("PSKC%08d,%s,%d\n" % (i, os.urandom(20).hex().upper(), i % 1000))
' "$n" "$in"
head -c 16 /dev/urandom >"$dir/key.bin"
od -An -tx1 "$dir/key.bin" | tr -d ' \n' >"$dir/key.hex"
"$TOKENCTL" convert --from duo-hotp --to pskc --pskc-key-file "$dir/key.hex" -o "$dir/encrypted.pskcxml" "$in" 2>/dev/null
"$TOKENCTL" convert --from duo-hotp --to pskc -o "$dir/plain.pskcxml" "$in" 2>/dev/null

# run CMD... : prints "seconds peak_kb" of one run, timed with a
# high-resolution clock (scripts/bench/measure.py; not /usr/bin/time's
# 10 ms steps)
measure() {
  local out
  out=$($PY scripts/bench/measure.py 1 "$@") || { echo "failed: $*" >&2; exit 1; }
  echo "$out" | awk '{ print $1, $3 }'
}

printf '%-10s %-9s %-9s %8s %10s %10s   %s\n' file keys tool seconds keys/s peak_RSS ratio
for kind in encrypted plain; do
  f="$dir/$kind.pskcxml"
  tk=(); pk=()
  if [ "$kind" = encrypted ]; then tk=(--pskc-key-file "$dir/key.hex"); pk=(-s "$dir/key.bin"); fi
  read -r gs gm < <(measure "$TOKENCTL" convert --from pskc --to duo-hotp "${tk[@]}" -o "$dir/duo-$kind.csv" "$f")
  read -r ps pm < <(measure pskc2csv "${pk[@]}" -c serial,secret,counter -o "$dir/py-$kind.csv" "$f")
  # Same serials, secrets (pskc2csv: lower-case hex, a header) and counters.
  tail -n +2 "$dir/py-$kind.csv" | tr -d '\r' | tr a-f A-F >"$dir/py-$kind.norm"
  cmp -s "$dir/duo-$kind.csv" "$dir/py-$kind.norm" ||
    { echo "tokenctl and pskc2csv disagree on $f" >&2; diff <(head -3 "$dir/duo-$kind.csv") <(head -3 "$dir/py-$kind.norm") >&2 || true; exit 1; }
  cmp -s "$dir/duo-$kind.csv" "$in" || { echo "tokenctl's Duo lines differ from the seeds written" >&2; exit 1; }
  size=$(( $(stat -c %s "$f") >> 20 ))
  awk -v k="$kind ($size MB)" -v n="$n" -v gs="$gs" -v gm="$gm" -v ps="$ps" -v pm="$pm" 'BEGIN {
    printf "%-10s %-9d %-9s %8.3f %10.0f %7.1f MB\n", k, n, "tokenctl", gs, n/gs, gm/1024;
    printf "%-10s %-9d %-9s %8.3f %10.0f %7.1f MB   tokenctl %.1fx faster\n", "", n, "pskc2csv", ps, n/ps, pm/1024, ps/gs }'
done
rm -f "$dir"/duo-*.csv "$dir"/py-*
