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
umask 077   # the generated inputs and outputs hold seeds
dir="$BENCHDIR/convert"
mkdir -p "$dir"

echo "Go benchmarks (csvfmt readers: own splitter vs encoding/csv vs gocsv; the whole pipeline):"
go test -run '^$' -bench 'Entra|DuoWriter' -benchtime 2s ./csvfmt ./convert | grep -E '^Benchmark'
echo

# run CMD... : prints "wall_seconds cpu_seconds peak_kb" of one run
measure() {
  /usr/bin/time -o "$dir/time" -f '%e %U %S %M' "$@" >/dev/null 2>&1
  tail -1 "$dir/time" | awk '{ print $1, $2 + $3, $4 }'
}

echo "Both write a 0600 temporary file, fsync it and rename it into place. Machine load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-9s %8s %8s %12s %10s   %s\n' rows tool wall_s cpu_s rows/s peak_RSS ratio
# (times: the best of 3 runs; peak RSS: the largest of the 3)
# Best of three runs each, alternating, to damp the noise of a shared machine.
for n in 10000 100000 1000000; do
  in="$dir/entra-$n.csv"
  [ -s "$in" ] || $PY scripts/bench/gen_entra.py "$n" >"$in"
  gs=999 gc=999 gk=0 ps=999 pc=999 pk=0
  for _ in 1 2 3; do
    read -r s c k < <(measure "$TOKENCTL" convert --force --from entra --to duo -o "$dir/duo-$n.csv" "$in")
    gs=$(awk -v a="$gs" -v b="$s" 'BEGIN { print (b < a ? b : a) }'); gc=$(awk -v a="$gc" -v b="$c" 'BEGIN { print (b < a ? b : a) }')
    gk=$(( k > gk ? k : gk ))
    read -r s c k < <(measure $PY scripts/bench/entra2duo.py "$in" "$dir/py-$n.csv")
    ps=$(awk -v a="$ps" -v b="$s" 'BEGIN { print (b < a ? b : a) }'); pc=$(awk -v a="$pc" -v b="$c" 'BEGIN { print (b < a ? b : a) }')
    pk=$(( k > pk ? k : pk ))
  done
  cmp -s "$dir/duo-$n.csv" "$dir/py-$n.csv" || { echo "outputs differ for $n rows" >&2; exit 1; }
  awk -v n="$n" -v gs="$gs" -v gc="$gc" -v gk="$gk" -v ps="$ps" -v pc="$pc" -v pk="$pk" 'BEGIN {
    if (gs < 0.01) gs = 0.01; if (ps < 0.01) ps = 0.01; if (gc < 0.01) gc = 0.01;
    printf "%-8d %-9s %8.2f %8.2f %12.0f %7.1f MB\n", n, "tokenctl", gs, gc, n/gs, gk/1024;
    printf "%-8d %-9s %8.2f %8.2f %12.0f %7.1f MB   tokenctl %.1fx faster (wall), %.1fx less CPU\n", n, "python", ps, pc, n/ps, pk/1024, ps/gs, pc/gc }'
done
rm -f "$dir"/duo-*.csv "$dir"/py-*.csv
