#!/usr/bin/env bash
# The long part of make test, side by side: the Go tests spend most of
# their time waiting on emulated devices through pcscd (little CPU), so
# the CPU-bound parts run meanwhile: the Wine part (Windows build and its
# comparison, Windows unit tests) and a brief run of every fuzz target.
# Each part's output is kept and printed whole, the Go tests last; the
# exit status is non-zero when any part failed.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
start=$(date +%s)
make --no-print-directory test-go >"$logs/go" 2>&1 &
gopid=$!
side=0
make --no-print-directory test-windows >"$logs/side" 2>&1 || side=1
echo "test-windows done after $(( $(date +%s) - start )) s" >>"$logs/side"
make --no-print-directory fuzz-brief >>"$logs/side" 2>&1 || side=1
echo "fuzz-brief done after $(( $(date +%s) - start )) s" >>"$logs/side"
wait "$gopid"
gorc=$?
cat "$logs/side"
echo "test-go done after $(( $(date +%s) - start )) s"
cat "$logs/go"
[ "$side" -eq 0 ] || echo "make test: the Wine part or fuzzing failed (above)" >&2
exit $(( side || gorc ))
