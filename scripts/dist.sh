#!/usr/bin/env bash
# Builds the release artifacts into dist/:
#   tokenctl_<version>_windows_amd64.zip   tokenctl.exe, README.md, LICENSE
#   tokenctl_<version>_linux_amd64.tar.gz  tokenctl, README.md, LICENSE
#   SHA256SUMS
# Both binaries have PC/SC and USB HID compiled in (cgo: pcsc-lite and
# hidapi/libusb on Linux; mingw-w64 on Windows, where winscard.dll, hid.dll
# and cfgmgr32.dll are loaded at run time).
#
# Reproducible: the same commit gives the same bytes. -trimpath and an
# empty build ID keep build paths and IDs out; the PE header's timestamp is
# left out (--no-insert-timestamp); archives list their files in a fixed
# order with the commit's time as mtime, owner 0 and fixed modes; gzip -n
# leaves out the name and time.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}

version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 315532800) # else 1980-01-01, zip's epoch
date=$(TZ=UTC git log -1 --date=format-local:%Y-%m-%d --format=%cd 2>/dev/null || true)
bi=github.com/tokenctl/tokenctl/internal/buildinfo
ldflags="-s -w -buildid= -X $bi.version=$version -X $bi.commit=$commit -X $bi.date=$date"
build=(build -trimpath -buildvcs=false)

stage=build/dist
rm -rf dist "$stage"
mkdir -p dist "$stage/linux_amd64" "$stage/windows_amd64"

echo "dist: tokenctl $version ($commit)"
CGO_ENABLED=1 GOOS=linux GOARCH=amd64 "$GO" "${build[@]}" -ldflags "$ldflags" \
  -o "$stage/linux_amd64/tokenctl" ./cmd/tokenctl
CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc "$GO" "${build[@]}" \
  -ldflags "$ldflags -extldflags=-Wl,--no-insert-timestamp" \
  -o "$stage/windows_amd64/tokenctl.exe" ./cmd/tokenctl

# The .exe must be a PE32+ x86-64 console program with both transports in:
# Go's scard loads winscard.dll by name, hidapi loads hid.dll (UTF-16 name,
# LoadLibraryW) and calls HidD_* and CM_* (cfgmgr32).
exe=$stage/windows_amd64/tokenctl.exe
head=$(x86_64-w64-mingw32-objdump -f -p "$exe")
grep -q 'file format pei-x86-64' <<<"$head" || { echo "dist: $exe is not PE32+ x86-64" >&2; exit 1; }
grep -q 'Subsystem.*(Windows CUI)' <<<"$head" || { echo "dist: $exe is not a console program" >&2; exit 1; }
LC_ALL=C grep -qa 'winscard\.dll' "$exe" || { echo "dist: $exe has no PC/SC (winscard.dll)" >&2; exit 1; }
LC_ALL=C grep -qaP 'h\x00i\x00d\x00\.\x00d\x00l\x00l\x00' "$exe" && LC_ALL=C grep -qa 'HidD_GetAttributes' "$exe" ||
  { echo "dist: $exe has no USB HID (hid.dll)" >&2; exit 1; }
if LC_ALL=C grep -qa -- "$PWD" "$exe" "$stage/linux_amd64/tokenctl"; then
  echo "dist: a build path is left in a binary" >&2; exit 1
fi

# Windows on arm64: no mingw-w64 toolchain for it in Debian 12; without cgo
# it would lose USB HID, so it is not built rather than built short.
if command -v aarch64-w64-mingw32-gcc >/dev/null; then
  mkdir -p "$stage/windows_arm64"
  CGO_ENABLED=1 GOOS=windows GOARCH=arm64 CC=aarch64-w64-mingw32-gcc "$GO" "${build[@]}" \
    -ldflags "$ldflags -extldflags=-Wl,--no-insert-timestamp" \
    -o "$stage/windows_arm64/tokenctl.exe" ./cmd/tokenctl
else
  echo "dist: no windows/arm64 build (no aarch64-w64-mingw32-gcc: USB HID needs cgo)" >&2
fi

for d in "$stage"/*/; do
  cp README.md LICENSE "$d"
  chmod 0644 "$d/README.md" "$d/LICENSE"
  chmod 0755 "$d"/tokenctl*
done

name() { echo "tokenctl_${version}_$1"; }
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=gnu \
  -C "$stage/linux_amd64" -cf - tokenctl README.md LICENSE | gzip -n -9 >"dist/$(name linux_amd64).tar.gz"
for d in "$stage"/windows_*/; do
  arch=$(basename "$d")
  python3 - "$d" "dist/$(name "$arch").zip" "$epoch" <<'PY'
import os, sys, time, zipfile
src, out, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
stamp = time.gmtime(max(epoch, 315532800))[:6]
with zipfile.ZipFile(out, "w") as z:
    for name in ("tokenctl.exe", "README.md", "LICENSE"):
        info = zipfile.ZipInfo(name, stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 0  # MS-DOS: no Unix owner or mode
        with open(os.path.join(src, name), "rb") as f:
            z.writestr(info, f.read(), compresslevel=9)
PY
done
(cd dist && sha256sum -- *.zip *.tar.gz >SHA256SUMS)
cat dist/SHA256SUMS
