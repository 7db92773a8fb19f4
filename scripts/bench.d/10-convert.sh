#!/usr/bin/env bash
# Seed-file conversion: Entra CSV → Duo TOTP lines for 10k, 100k and 1M
# generated rows, with the built tokenctl (streaming) and with the same
# conversion written with Python's csv and base64 modules, side by side.
# Prints rows/s and peak RSS for each, and the speed ratio.
# Goals: RSS under 50 MB at 1M rows, flat as the input grows; ≥10× Python.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TOKENCTL:?set by scripts/bench.sh}" "${BENCHDIR:?}"
PY=/usr/bin/python3
umask 077   # the generated inputs and outputs hold seeds
dir="$BENCHDIR/convert"
mkdir -p "$dir"

echo "Go benchmarks (csvfmt readers: own splitter vs encoding/csv vs gocsv; the whole pipeline):"
go test -run '^$' -bench 'Entra|DuoWriter' -benchtime 2s ./csvfmt ./convert | grep -E '^Benchmark'
echo

# Timing: scripts/bench/measure.py runs a command several times and gives
# its best wall time (perf_counter, microseconds), best CPU time (wait4's
# rusage, not 10 ms ticks) and largest peak RSS. Small inputs run more
# often, so that their best run is a stable figure (the 10k row used to
# floor at /usr/bin/time's 0.01 s, printing 1000000 rows/s and a made-up
# ratio). Rounds alternate tokenctl and Python, to damp the noise of a
# shared machine.
M=scripts/bench/measure.py
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (b < a ? b : a) }'; }

echo "Both write a 0600 temporary file, fsync it and rename it into place. Machine load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-9s %5s %10s %9s %12s %10s   %s\n' rows tool runs wall_ms cpu_ms rows/s peak_RSS ratio
for n in 10000 100000 1000000; do
  in="$dir/entra-$n.csv"
  [ -s "$in" ] || $PY scripts/bench/gen_entra.py "$n" >"$in"
  case $n in 10000) per=10 ;; 100000) per=3 ;; *) per=1 ;; esac
  gs=999 gc=999 gk=0 ps=999 pc=999 pk=0
  for _ in 1 2 3; do
    read -r s c k < <($PY $M "$per" "$TOKENCTL" convert --force --from entra --to duo -o "$dir/duo-$n.csv" "$in")
    gs=$(best "$gs" "$s"); gc=$(best "$gc" "$c"); gk=$(( k > gk ? k : gk ))
    read -r s c k < <($PY $M "$per" $PY scripts/bench/entra2duo.py "$in" "$dir/py-$n.csv")
    ps=$(best "$ps" "$s"); pc=$(best "$pc" "$c"); pk=$(( k > pk ? k : pk ))
  done
  cmp -s "$dir/duo-$n.csv" "$dir/py-$n.csv" || { echo "outputs differ for $n rows" >&2; exit 1; }
  awk -v n="$n" -v r=$((3 * per)) -v gs="$gs" -v gc="$gc" -v gk="$gk" -v ps="$ps" -v pc="$pc" -v pk="$pk" 'BEGIN {
    printf "%-8d %-9s %5d %10.1f %9.1f %12.0f %7.1f MB\n", n, "tokenctl", r, gs*1000, gc*1000, n/gs, gk/1024;
    printf "%-8d %-9s %5d %10.1f %9.1f %12.0f %7.1f MB   tokenctl %.1fx faster (wall), %.1fx less CPU\n", n, "python", r, ps*1000, pc*1000, n/ps, pk/1024, ps/gs, pc/gc }'
done
echo "(wall and CPU: the best of the runs; peak RSS: the largest)"
rm -f "$dir"/duo-*.csv "$dir"/py-*.csv
