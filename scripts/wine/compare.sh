#!/usr/bin/env bash
# Runs tokenctl.exe under Wine and the Linux tokenctl on the same commands
# and inputs, and fails on any difference in stdout, stderr, exit code or
# the files written. Only what must differ is normalised: the platform in
# --version, and values that are random by design (a new ledger's age
# recipient; the seeds 'seed generate' draws, whose files are compared with
# each secret replaced by its length and then cross-checked: each binary
# validates and computes codes from the other's file).
# Usage: scripts/wine/compare.sh [CASE-GROUP] (version, convert, validate,
# code, seed, ledger, interrupt; default all). Run by scripts/wine-test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/lib/wine"
if [ -z "${WINEPREFIX:-}" ]; then WINEPREFIX=$(scripts/wine/prefix.sh build/wine); fi
export WINEPREFIX WINEDEBUG=-all DISPLAY= WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n"
GO=${GO:-go}
out=build/wine-compare
rm -rf "$out"; mkdir -p "$out/in"
out=$(cd "$out" && pwd)

version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
ldflags="-buildid= -X github.com/tokenctl/tokenctl/internal/buildinfo.version=$version -X github.com/tokenctl/tokenctl/internal/buildinfo.commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)"
CGO_ENABLED=1 "$GO" build -trimpath -ldflags "$ldflags" -o "$out/tokenctl" ./cmd/tokenctl
CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc "$GO" build -trimpath \
  -ldflags "$ldflags -extldflags=-Wl,--no-insert-timestamp" -o "$out/tokenctl.exe" ./cmd/tokenctl
linux=$out/tokenctl exe=$out/tokenctl.exe

# Both sides see the same environment: UTC, a fixed operator, no colour.
export TZ=UTC TOKENCTL_OPERATOR=ci LANG=C.UTF-8
unset TOKENCTL_LEDGER NO_COLOR

# --- inputs (made here; no fixture is copied into the repository) ---
in=$out/in
cat >"$in/entra.csv" <<'CSV'
upn,serial number,secret key,time interval,manufacturer,model
alice@example.com,60234567,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,30,Token2,C202
,60234568,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,60,Token2,C202
bob@example.com,60234569,MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U,30,Token2,C302
CSV
cat >"$in/bad.csv" <<'CSV'
upn,serial number,secret key,time interval,manufacturer,model
alice@example.com,60234567,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP,30,Token2,C202
carol@example.com,60234567,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Token2,C202
dave@example.com,60234570,NOT-BASE32!,30,Token2,C202
erin@example.com,60234571,MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U,45,Token2,C202
,,GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ,30,Token2,C202
CSV
printf '000102030405060708090a0b0c0d0e0f\n' >"$in/psk.hex"
printf 'ffeeddccbbaa99887766554433221100\n' >"$in/wrong.hex"
printf 'correct horse battery staple\n' >"$in/pw.txt"
printf '3132333435363738393031323334353637383930\n' >"$in/seed.hex"
printf 'TK001\nTK002\nTK003\n' >"$in/serials.txt"
# A Yubico-format log (Okta's upload) of two YubiKey OTP slots and one
# OATH-HOTP slot, and the same in the Personalization Tool's traditional format.
cat >"$in/ykpers-yubico.csv" <<'CSV'
5012345,vvccccbhbnle,1a2b3c4d5e6f,00112233445566778899aabbccddeeff,000000000000,2026-03-01T10:00:00,
5012346,vvccccbhbnlf,6f5e4d3c2b1a,ffeeddccbbaa99887766554433221100,010203040506,2026-03-01T10:01:00,
CSV
(cd "$in" &&
  "$linux" convert --from entra --to pskc --pskc-key-file psk.hex -o delivery-psk.pskcxml entra.csv &&
  "$linux" convert --from entra --to pskc --pskc-password-file pw.txt -o delivery-pw.pskcxml entra.csv &&
  "$linux" convert --from yubico --to yubico-traditional -o ykpers-trad.csv ykpers-yubico.csv)

fail=0 n=0 known=0
# Known differences: a case named here is a Windows bug already found and
# reported; it still runs and its diff is shown, but does not fail the run,
# and fails it once it stops differing (so that this list stays true).
declare -A known_bug=(
)
# both NAME 'SED' FILES -- ARGS...: runs ARGS in a fresh copy of the inputs
# for each binary, with SED (a sed script, or '') applied to stdout and
# stderr of both, and compares them, the exit codes and FILES (space-separated
# names the command writes).
both() {
  local name=$1 norm=$2 files=$3; shift 4
  local side d
  n=$((n+1))
  for side in linux windows; do
    d=$out/$name/$side
    mkdir -p "$d" && cp -a "$in/." "$d/"
    set +e
    if [ $side = linux ]; then
      (cd "$d" && "$linux" "$@" </dev/null >"$d.stdout" 2>"$d.stderr")
    else
      (cd "$d" && wine64 "$exe" "$@" </dev/null >"$d.stdout" 2>"$d.stderr")
    fi
    echo $? >"$d.rc"
    # Wine's own diagnostics (its server socket, a fresh prefix) are not
    # tokenctl's output.
    sed -i -e '/^wine client error:/d' "$d.stderr"
    set -e
    if [ -n "$norm" ]; then sed -i -e "$norm" "$d.stdout" "$d.stderr"; fi
  done
  local bad=
  for x in rc stdout stderr; do
    cmp -s "$out/$name/linux.$x" "$out/$name/windows.$x" || bad="$bad $x"
  done
  for f in $files; do
    [ -e "$out/$name/linux/$f" ] || { bad="$bad $f(not written on Linux)"; continue; }
    cmp -s "$out/$name/linux/$f" "$out/$name/windows/$f" || bad="$bad $f"
  done
  if [ -n "${known_bug[$name]:-}" ]; then
    if [ -n "$bad" ]; then
      known=$((known+1)); echo "KNOWN   $name: differs:$bad: ${known_bug[$name]}" >&2
      for x in stdout stderr; do diff -u "$out/$name/linux.$x" "$out/$name/windows.$x" >&2 || true; done
    else
      fail=$((fail+1)); echo "FIXED   $name: now the same on both: remove it from known_bug" >&2
    fi
    return
  fi
  if [ -n "$bad" ]; then
    fail=$((fail+1))
    echo "DIFFER $name (tokenctl $*):$bad" >&2
    for x in rc stdout stderr; do diff -u "$out/$name/linux.$x" "$out/$name/windows.$x" >&2 || true; done
    for f in $files; do diff -u "$out/$name/linux/$f" "$out/$name/windows/$f" >&2 || true; done
  else
    echo "same    $name: exit $(cat "$out/$name/linux.rc")"
  fi
}

only=${1:-all}
case_on() { [ "$only" = all ] || [ "$only" = "$1" ]; }

if case_on version; then
  both version 's,for [a-z0-9]*/amd64,for OS/amd64,' '' -- --version
fi
if case_on convert; then
  both entra-duo '' 'duo.csv' -- convert --from entra --to duo -o duo.csv entra.csv
  both entra-duo-stdout '' '' -- convert --from entra --to duo-totp entra.csv
  both entra-pi-json '' 'pi.csv' -- convert --from entra --to privacyidea -o pi.csv --json entra.csv
  both pskc-psk-duo '' 'duo.csv' -- convert --from pskc --pskc-key-file psk.hex --to duo -o duo.csv delivery-psk.pskcxml
  both pskc-pw-duo '' '' -- convert --from pskc --pskc-password-file pw.txt --to duo-totp delivery-pw.pskcxml
  both pskc-wrong-key '' '' -- convert --from pskc --pskc-key-file wrong.hex --to duo -o duo.csv delivery-psk.pskcxml
  both yubico-okta '' 'okta.csv' -- convert --from yubico --to yubico -o okta.csv ykpers-yubico.csv
  both yubico-trad-okta '' '' -- convert --from yubico-traditional --to yubico -o okta.csv ykpers-trad.csv
  both yubico-trad-pskc '' '' -- convert --from yubico-traditional --to pskc ykpers-trad.csv
  both yubico-duo '' '' -- convert --from yubico --to duo-yubikey ykpers-yubico.csv
  both no-clobber '' 'entra.csv' -- convert --from entra --to duo -o entra.csv entra.csv
  both skip-invalid '' 'duo.csv duo.csv.rejects' -- convert --from entra --to duo --skip-invalid -o duo.csv bad.csv
fi
if case_on validate; then
  both validate-ok '' '' -- validate --to entra entra.csv
  both validate-bad '' '' -- validate --to duo bad.csv
  both validate-bad-json '' '' -- validate --to entra --json bad.csv
  both validate-usage '' '' -- validate --to nosuchformat entra.csv
  both usage-flag '' '' -- convert --no-such-flag
fi
if case_on code; then
  SEED=JBSWY3DPEHPK3PXP export SEED
  both code-totp '' '' -- code --secret-env SEED --time 2026-03-01T12:00:00Z
  both code-totp-json '' '' -- code --secret-env SEED --time 1700000000 --digits 8 --hash sha256 --json
  both code-hotp '' '' -- code --secret-file seed.hex --encoding hex --counter 5
  both code-seeds '' '' -- code --seeds entra.csv --serial 60234568 --time 2026-03-01T12:00:00Z
  both code-bad-secret '' '' -- code --secret-file psk.hex --time 0
  unset SEED
fi
if case_on seed; then
  # The seeds are random: compare the files with each secret (the 2nd
  # column) replaced by its length, then check them across.
  both seed-generate '' '' -- seed generate --serials serials.txt --to duo -o seeds.csv
  for side in linux windows; do
    f=$out/seed-generate/$side/seeds.csv
    [ "$(stat -c %a "$f" 2>/dev/null)" = 600 ] || [ $side = windows ] || { echo "DIFFER seed-generate: $f is not 0600" >&2; fail=$((fail+1)); }
    awk -F, -v OFS=, '{ $2 = length($2) " hex digits"; print }' "$f" >"$f.shape" 2>/dev/null || true
  done
  if ! cmp -s "$out/seed-generate/linux/seeds.csv.shape" "$out/seed-generate/windows/seeds.csv.shape"; then
    echo "DIFFER seed-generate: file shapes" >&2; diff -u "$out/seed-generate/"{linux,windows}/seeds.csv.shape >&2 || true; fail=$((fail+1))
  fi
  cp "$out/seed-generate/windows/seeds.csv" "$in/from-windows.csv" || true
  cp "$out/seed-generate/linux/seeds.csv" "$in/from-linux.csv" || true
  both seed-cross-validate '' '' -- validate --from duo-totp --to duo from-windows.csv
  both seed-cross-code '' '' -- code --seeds from-linux.csv --from duo-totp --serial TK002 --time 2026-03-01T12:00:00Z
  both seed-cross-code-w '' '' -- code --seeds from-windows.csv --from duo-totp --serial TK003 --time 1234567890
  rm -f "$in/from-windows.csv" "$in/from-linux.csv"
fi
if case_on ledger; then
  # Each side makes its own ledger (its key is random: the recipient is
  # normalised), imports and exports; the exports must be equal and give back
  # the imported file. Then each binary exports the ledger the other wrote.
  age='s/age1[a-z0-9]*/AGE-RECIPIENT/g'
  export LEDGER_PASS='ledger pass phrase for the wine test'
  both ledger-init "$age" '' -- ledger init --passphrase-env LEDGER_PASS --identity-out id.age tokens.ledger
  n=$((n+1)); bad=
  for side in linux windows; do
    d=$out/ledger-make/$side; mkdir -p "$d"; cp -a "$out/ledger-init/$side/." "$d/"
    if [ $side = linux ]; then run=("$linux"); else run=(wine64 "$exe"); fi
    set +e
    (cd "$d" && "${run[@]}" ledger import --ledger tokens.ledger --batch box-1 entra.csv >import.stdout 2>import.stderr; echo $? >import.rc)
    (cd "$d" && "${run[@]}" ledger export --ledger tokens.ledger --to duo --passphrase-env LEDGER_PASS -o export.csv >export.stdout 2>export.stderr; echo $? >export.rc)
    (cd "$d" && "${run[@]}" ledger export --ledger tokens.ledger --batch box-1 --to entra --passphrase-env LEDGER_PASS >export-entra.csv 2>>export.stderr; echo $? >>export.rc)
    set -e
  done
  for f in import.stdout import.stderr import.rc export.stdout export.stderr export.rc export.csv export-entra.csv; do
    cmp -s "$out/ledger-make/linux/$f" "$out/ledger-make/windows/$f" || bad="$bad $f"
  done
  cmp -s "$out/ledger-make/windows/export-entra.csv" "$in/entra.csv" || bad="$bad export-entra.csv(not the imported file)"
  [ "$(cat "$out/ledger-make/linux/export.rc" "$out/ledger-make/linux/import.rc" | tr -d '\n')" = 000 ] || bad="$bad (failed on Linux)"
  if [ -n "$bad" ]; then
    fail=$((fail+1)); echo "DIFFER ledger-roundtrip:$bad" >&2
    for f in $bad; do diff -u "$out/ledger-make/linux/${f%%(*}" "$out/ledger-make/windows/${f%%(*}" >&2 || true; done
  else
    echo "same    ledger-roundtrip: import, export to duo and entra (the imported file back)"
  fi
  cp "$out/ledger-make/windows/tokens.ledger" "$in/w.ledger"; cp "$out/ledger-make/windows/id.age" "$in/w.age"
  cp "$out/ledger-make/linux/tokens.ledger" "$in/l.ledger"; cp "$out/ledger-make/linux/id.age" "$in/l.age"
  chmod 600 "$in"/*.age
  both ledger-cross-w '' '' -- ledger export --ledger w.ledger --to duo --passphrase-env LEDGER_PASS
  both ledger-cross-l '' '' -- ledger export --ledger l.ledger --to duo --passphrase-env LEDGER_PASS
  both ledger-list-json '' '' -- ledger list --ledger l.ledger --json
  both ledger-identity-file '' '' -- ledger export --ledger l.ledger --to duo --identity-file l.age
  both ledger-wrong-identity '' '' -- ledger export --ledger l.ledger --to duo --identity-file w.age
  LEDGER_PASS=wrong both ledger-wrong-pass '' '' -- ledger export --ledger l.ledger --to duo --passphrase-env LEDGER_PASS
  unset LEDGER_PASS
  rm -f "$in"/[wl].ledger "$in"/[wl].age
fi

if case_on interrupt; then
  # Ctrl-C during a conversion stops it with nothing written (exit 1).
  n=$((n+1))
  mkdir -p "$out/interrupt/linux" "$out/interrupt/windows"
  python3 scripts/wine/interrupt.py "$linux" "$out/interrupt/linux" >"$out/interrupt/linux.txt"
  python3 scripts/wine/interrupt.py --wine "$exe" "$out/interrupt/windows" >"$out/interrupt/windows.txt"
  if cmp -s "$out/interrupt/linux.txt" "$out/interrupt/windows.txt" && grep -q '^exit 1$' "$out/interrupt/linux.txt" &&
    grep -q 'out.csv written: False' "$out/interrupt/linux.txt"; then
    echo "same    interrupt: exit 1, nothing written"
  else
    fail=$((fail+1)); echo "DIFFER interrupt (Ctrl-C during convert):" >&2
    diff -u "$out/interrupt/linux.txt" "$out/interrupt/windows.txt" >&2 || cat "$out/interrupt/linux.txt" >&2
  fi
fi

if [ "$fail" -ne 0 ]; then
  echo "wine compare: $fail of $n cases differ between tokenctl.exe under Wine and Linux (outputs in $out)" >&2
  exit 1
fi
echo "wine compare: $((n-known)) of $n cases identical on Windows (Wine) and Linux; $known known differences"
