#!/usr/bin/env bash
# Seed-file conversion: Entra CSV → Duo TOTP lines for 10k, 100k and 1M
# generated rows, with the built tokenctl (streaming) and with the same
# conversion written with Python's csv and base64 modules, side by side.
# Prints rows/s and peak RSS for each, and the speed ratio.
# Goals: RSS under 50 MB at 1M rows, flat as the input grows; ≥10× Python.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOKENCTL:?set by scripts/bench.sh}" "${BENCHDIR:?}"
[ -x /usr/bin/time ] || scripts/deps.sh time
PY=/usr/bin/python3
dir="$BENCHDIR/convert"
mkdir -p "$dir"

echo "Go benchmarks (csvfmt readers: own splitter vs encoding/csv vs gocsv; the whole pipeline):"
go test -run '^$' -bench 'Entra|DuoWriter' -benchtime 20x ./csvfmt ./convert | grep -E '^Benchmark'
echo

# run CMD... : prints "seconds peak_kb" of one run
measure() {
  /usr/bin/time -o "$dir/time" -f '%e %M' "$@" >/dev/null 2>&1
  tail -1 "$dir/time"
}

printf '%-8s %-9s %8s %12s %10s   %s\n' rows tool seconds rows/s peak_RSS ratio
for n in 10000 100000 1000000; do
  in="$dir/entra-$n.csv"
  [ -s "$in" ] || $PY scripts/bench/gen_entra.py "$n" >"$in"
  read -r gs gk < <(measure "$TOKENCTL" convert --from entra --to duo -o "$dir/duo-$n.csv" "$in")
  read -r ps pk < <(measure $PY scripts/bench/entra2duo.py "$in" "$dir/py-$n.csv")
  cmp -s "$dir/duo-$n.csv" "$dir/py-$n.csv" || { echo "outputs differ for $n rows" >&2; exit 1; }
  awk -v n="$n" -v gs="$gs" -v gk="$gk" -v ps="$ps" -v pk="$pk" 'BEGIN {
    if (gs < 0.01) gs = 0.01; if (ps < 0.01) ps = 0.01;
    printf "%-8d %-9s %8.2f %12.0f %7.1f MB\n", n, "tokenctl", gs, n/gs, gk/1024;
    printf "%-8d %-9s %8.2f %12.0f %7.1f MB   tokenctl %.1fx faster\n", n, "python", ps, n/ps, pk/1024, ps/gs }'
done
rm -f "$dir"/duo-*.csv "$dir"/py-*.csv
