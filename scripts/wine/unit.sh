#!/usr/bin/env bash
# Runs the Windows-only code's unit tests under Wine. Every package with a
# *_windows.go or *_windows_test.go file is found (so new ones are picked up
# without editing this), its tests are compiled for windows/amd64 as the
# release is (cgo through mingw-w64) with go test -c, and the test binary is
# run under wine64 from the package's directory.
#
# Only the tests written for Windows run: those in *_windows_test.go files
# (or test files built only for windows). The rest of a package's tests are
# Linux tests: many need pcscd, ykman or other Linux peers, which
# testpeer.Missing turns into failures under CI=true. Each selected test must
# PASS: a Windows test that skips fails the run, under CI or not. Verdicts
# come from scripts/wine/verdict.py, which also forgives (and says so) one
# Wine 8 gap: t.TempDir's cleanup cannot delete files there.
set -euo pipefail
cd "$(dirname "$0")/../.."
GO=${GO:-go}
export PATH="$PATH:/usr/lib/wine"
if [ -z "${WINEPREFIX:-}" ]; then WINEPREFIX=$(scripts/wine/prefix.sh build/wine); fi
export WINEPREFIX WINEDEBUG=-all DISPLAY= WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n"
out=$(mkdir -p build/wine-unit && cd build/wine-unit && pwd)

fail=0 ran=0
for dir in $("$GO" list -f '{{.Dir}}' ./...); do
  compgen -G "$dir/*_windows.go" >/dev/null || compgen -G "$dir/*_windows_test.go" >/dev/null || continue
  pkg=$("$GO" list "$dir")
  rel=${dir#"$PWD"/}
  tests=()
  for f in "$dir"/*_test.go; do
    [ -e "$f" ] || continue
    case $f in
      *_windows_test.go) ;;
      *) grep -qE '^//go:build windows$' "$f" || continue ;;
    esac
    while read -r t; do tests+=("$t"); done < <(sed -n 's/^func \(Test[A-Za-z0-9_]*\)(t \*testing\.T).*/\1/p' "$f")
  done
  if [ ${#tests[@]} -eq 0 ]; then
    echo "wine unit: $rel has Windows code but no Windows tests"
    continue
  fi
  exe=$out/$(echo "$rel" | tr / _).test.exe
  CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc "$GO" test -c -trimpath -o "$exe" "$pkg"
  re="^($(IFS='|'; echo "${tests[*]}"))\$"
  log=$out/$(basename "$exe" .exe).json
  set +e
  (cd "$dir" && wine64 "$exe" -test.run "$re" -test.v=test2json -test.count=1 -test.timeout 60s </dev/null 2>&1 |
    "$GO" tool test2json -t >"$log")
  verdict=$(python3 scripts/wine/verdict.py "${tests[@]}" <"$log")
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    fail=$((fail+1))
    echo "wine unit: FAIL $rel:" >&2
    echo "$verdict" >&2
  else
    echo "wine unit: ok   $rel: ${tests[*]}"
    [ -z "$verdict" ] || echo "$verdict"
  fi
  ran=$((ran+${#tests[@]}))
done
[ $fail -eq 0 ] || { echo "wine unit: $fail packages failed under Wine" >&2; exit 1; }
echo "wine unit: $ran Windows tests passed under Wine"
