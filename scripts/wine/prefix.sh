#!/usr/bin/env bash
# Prepares (once) a private Wine prefix with the ProcessPrng shim and prints
# its path. Usage: scripts/wine/prefix.sh DIR
# The prefix is reused while the shim and Wine's version are unchanged.
set -euo pipefail
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# Debian's wine64 package puts its loader outside PATH.
PATH="$PATH:/usr/lib/wine"
command -v wine64 >/dev/null && command -v x86_64-w64-mingw32-gcc >/dev/null || { echo "wine64 or mingw-w64 missing (make deps)" >&2; exit 1; }
export WINEPREFIX="$dir/prefix" WINEDEBUG=-all DISPLAY= WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n"
stamp="$(wine64 --version) $(sha256sum "$here/bcryptprimitives.c" | cut -c1-16)"
if [ ! -f "$dir/stamp" ] || [ "$(cat "$dir/stamp")" != "$stamp" ]; then
  rm -rf "$WINEPREFIX"
  x86_64-w64-mingw32-gcc -shared -O2 -s -Wl,--no-insert-timestamp \
    -o "$dir/bcryptprimitives.dll" "$here/bcryptprimitives.c" -ladvapi32
  wine64 wineboot -i >/dev/null 2>&1 || true
  wineserver -w
  cp "$dir/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
  echo "$stamp" >"$dir/stamp"
fi
echo "$WINEPREFIX"
