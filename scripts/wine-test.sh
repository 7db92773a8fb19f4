#!/usr/bin/env bash
# The Windows part of make test, under Wine (wine64, with the ProcessPrng
# shim in a private prefix: see scripts/wine/):
#   1. tokenctl.exe (cgo, mingw-w64: as make dist builds it) and the Linux
#      binary run the same commands on the same inputs; their stdout,
#      stderr, exit codes and output files must be identical byte for byte
#      (scripts/wine/compare.sh);
#   2. the Windows-only code's unit tests: every package with a
#      *_windows.go or *_windows_test.go file has its tests compiled for
#      windows (go test -c) and run under wine64 (scripts/wine/unit.sh).
# Without wine64 or mingw-w64 it is skipped, except under CI=true, where it
# fails: make deps installs both.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/lib/wine"
for t in wine64 wineserver x86_64-w64-mingw32-gcc; do
  if ! command -v "$t" >/dev/null; then
    if [ "${CI:-}" = true ]; then echo "wine-test: $t is missing (required under CI=true; make deps)" >&2; exit 1; fi
    echo "wine-test: SKIPPED: $t is missing (make deps installs wine64 and gcc-mingw-w64-x86-64)" >&2
    exit 0
  fi
done
start=$(date +%s)
WINEPREFIX=$(scripts/wine/prefix.sh build/wine)
export WINEPREFIX WINEDEBUG=-all DISPLAY= WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n"
scripts/wine/compare.sh "${1:-all}"
scripts/wine/unit.sh
echo "wine-test: passed in $(( $(date +%s) - start )) s"
