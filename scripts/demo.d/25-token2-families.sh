#!/usr/bin/env bash
# Token2's other two families: a box of FIDO2 keys whose button types an
# HOTP code (Duo's HOTP import), and a Molto2 v2 whose 100 TOTP profiles
# are filled from an Entra file (emulated, in vpcd's first reader).
set -euo pipefail
T=$TOKENCTL
D=$DEMO/token2-families
mkdir -p "$D"
cd "$D"
READER="Virtual PCD 00 00"
exec 9>"${TMPDIR:-/tmp}/tokenctl-vpcd-35963.lock"
flock 9
say() { printf '\n$ %s\n' "$*"; }

echo "# three emulated Token2 FIDO2 keys, one after another"
"$TOKENCTL_SIM" fido --count 3 --idle 1s 2>fido.log &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
rm -f fido-duo.csv
for n in 1 2 3; do
  # the operator takes the next key: wait until the emulator put it in
  while [ "$(grep -c ' in Virtual' fido.log || true)" -lt "$n" ]; do sleep 0.1; done
  say "$T token2 fido hotp --reader '$READER' --wait=15s --serial T2F2-000$n --generate --digits 6 -o fido-duo.csv --to duo-hotp"
  $T token2 fido hotp --reader "$READER" --wait=15s --serial "T2F2-000$n" --generate --digits 6 -o fido-duo.csv --to duo-hotp
done
wait $SIM || true
say "cat fido-duo.csv   # Duo's HOTP import: serial, hex seed, counter"
sed -E 's/,[0-9A-F]{40},/,<seed>,/' fido-duo.csv
echo "# what each key's button types first, as the emulator logged it (never the seed):"
grep ' out: ' fido.log

echo
echo "# an emulated Molto2 v2 (100 profiles), filled from a 100-row Entra file"
"$TOKENCTL_SIM" molto2 --profiles 100 2>molto.log &
SIM=$!
$T seed generate --count 100 --serial-prefix ACME- --to entra --manufacturer Token2 --model Molto2 -o molto-entra.csv 2>/dev/null
sleep 1
say "$T token2 molto2 burn --reader '$READER' --wait=15s --seeds molto-entra.csv"
$T token2 molto2 burn --reader "$READER" --wait=15s --seeds molto-entra.csv | sed -n '1,3p;98,100p'
say "$T token2 molto2 burn --reader '$READER' --seeds molto-entra.csv   # again: profiles in use are refused"
$T token2 molto2 burn --reader "$READER" --seeds molto-entra.csv && exit 1 || echo "(exit $?)"
say "$T token2 molto2 list --reader '$READER' | head -4"
$T token2 molto2 list --reader "$READER" | head -4
kill $SIM; wait $SIM 2>/dev/null || true
cat molto.log
