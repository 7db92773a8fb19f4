#!/usr/bin/env bash
# A batch against an encrypted ledger: a box of emulated Token2 tokens
# burned one after another (each verified with the code its display
# shows), one pulled away in the middle of its burn and resumed with the
# same secret, a box of emulated YubiKeys, factory seeds imported, then
# exports for Duo and Okta -- and a look at what the ledger file reveals.
set -euo pipefail
T=$TOKENCTL
D=$DEMO/batch
mkdir -p "$D"
cd "$D"
rm -f box.ledger box.ledger-* box.age ./*.csv ./*.log
# Take the virtual readers the tests use, so a concurrent test run waits.
exec 8>"${TMPDIR:-/tmp}/tokenctl-vpcd-35963.lock"
exec 9>"${TMPDIR:-/tmp}/tokenctl-vpcd-35964.lock"
flock 8
flock 9
R0="Virtual PCD 00 00"
R1="Virtual PCD 00 01"
say() { printf '\n$ %s\n' "$*"; }
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

export TOKENCTL_LEDGER=$D/box.ledger TOKENCTL_OPERATOR=demo
export LEDGER_PASS="correct horse battery staple"
say "$T ledger init --identity-out box.age --passphrase-env LEDGER_PASS box.ledger"
$T ledger init --identity-out box.age --passphrase-env LEDGER_PASS box.ledger

echo
echo "# five emulated OTPC-P1-i tokens; the operator types the code each one shows"
echo "# (here: read from the emulator's log as each token leaves the reader)"
"$TOKENCTL_SIM" token2 --count 5 --serial 86596120001 2>t2.log &
PIDS+=($!)
say "$T batch token2 --count 5 --batch box-17 --verify --reader '$R0'"
$T batch token2 --count 5 --batch box-17 --verify --reader "$R0" \
  < <(tail -n +1 -f --pid="${PIDS[-1]}" t2.log | grep --line-buffered -o 'display shows [0-9]*' | grep --line-buffered -o '[0-9]*$')
wait "${PIDS[-1]}" || true

echo
echo "# three more; the second is pulled off the reader right after its configuration"
echo "# write (a restricted OTPC-P2-i: that write erased its seed) and put back"
"$TOKENCTL_SIM" token2 --count 3 --serial 86596220001 --fail-after-apdu 4 --fault-token 2 2>t2b.log &
PIDS+=($!)
say "$T --json batch token2 --count 3 --batch box-18 --reader '$R0' --identity-file box.age"
$T --json batch token2 --count 3 --batch box-18 --reader "$R0" --identity-file box.age
wait "${PIDS[-1]}" || true
say "$T ledger show 86596220002"
$T ledger show 86596220002

echo
echo "# a token presented again is refused: its serial is in the ledger"
"$TOKENCTL_SIM" token2 --serial 86596120003 --idle 2s --count 1 2>t2c.log &
PIDS+=($!)
say "$T batch token2 --count 1 --reader '$R0'   # interrupted after the refusal"
timeout -s INT 6 $T batch token2 --count 1 --reader "$R0" || true
wait "${PIDS[-1]}" || true

echo
echo "# three emulated YubiKeys for Okta: Yubico OTP in slot 1, public ID from the serial,"
echo "# each slot locked with its own random access code (sealed in the ledger, exported for Okta)"
"$TOKENCTL_SIM" yubikey --count 3 --serial 20000001 --touch-out touched.csv 2>yk.log &
PIDS+=($!)
say "$T batch yubikey --count 3 --batch yk-1 --random-access-code --transport ccid --reader '$R1'"
$T batch yubikey --count 3 --batch yk-1 --random-access-code --transport ccid --reader "$R1"
wait "${PIDS[-1]}" || true

echo
echo "# factory-seeded tokens from a vendor file take part in uniqueness and exports"
$T seed generate --count 3 --serial-prefix 1122330 --serial-width 4 --to entra --manufacturer Token2 --model C202 -o vendor.csv 2>/dev/null
say "$T ledger import --batch po-4711 vendor.csv"
$T ledger import --batch po-4711 vendor.csv
say "$T ledger import vendor.csv   # again: every row refused, nothing recorded"
$T ledger import vendor.csv || echo "(exit code $?)"

say "$T ledger list"
$T ledger list

echo
echo "# exports need the key: identity file or passphrase"
say "$T ledger export --to duo -o duo.csv"
$T ledger export --to duo -o duo.csv || echo "(exit code $?)"
say "$T ledger export --family token2 --to duo -o duo.csv --identity-file box.age"
$T ledger export --family token2 --to duo -o duo.csv --identity-file box.age
say "$T ledger export --family yubikey --to yubico -o okta.csv --passphrase-env LEDGER_PASS"
$T ledger export --family yubikey --to yubico -o okta.csv --passphrase-env LEDGER_PASS
say "$T ledger export --batch po-4711 --to entra -o entra.csv --identity-file box.age"
$T ledger export --batch po-4711 --to entra -o entra.csv --identity-file box.age
ls -l duo.csv okta.csv entra.csv box.ledger box.age
echo "# duo.csv, seeds masked:"
sed -E 's/,[0-9A-F]{40},/,<seed>,/' duo.csv
echo "# okta.csv (Yubico format), private ID, AES key and access code masked:"
sed -E 's/^([0-9]+,[a-z]+),[0-9a-f]{12},[0-9a-f]{32},[0-9a-f]{12},/\1,<private id>,<aes key>,<access code>,/' okta.csv

echo
echo "# each key was touched once as it left the emulator: its OTP checks out against the Okta export"
while IFS=, read -r serial otp; do
  printf '%s: ' "$serial"
  $T yubikey verify-otp --log okta.csv "$otp" | head -1
done < touched.csv

echo
echo "# the ledger file holds no seed: search it (and its WAL) for every exported seed, hex and base32"
found=0
while IFS=, read -r serial hexseed _; do
  b32=$(printf '%s' "$hexseed" | xxd -r -p | base32 | tr -d '=')
  lower=$(printf '%s' "$hexseed" | tr 'A-F' 'a-f')
  for s in "$hexseed" "$lower" "$b32"; do
    if cat box.ledger box.ledger-* 2>/dev/null | grep -aqF "$s"; then found=1; echo "FOUND seed of $serial"; fi
  done
done < duo.csv
[ $found = 0 ] && echo "no seed found in $(cat box.ledger box.ledger-* 2>/dev/null | wc -c) bytes of ledger"
