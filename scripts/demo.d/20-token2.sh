#!/usr/bin/env bash
# A box of Token2 programmable TOTP tokens burned one after another on an
# NFC reader (emulated OTPC-P1-i tokens in vpcd's first virtual reader),
# recorded for Duo and Entra as they are burned; then a restricted model
# (OTPC-P2-i) whose time sync is refused until its seed is re-burned.
set -euo pipefail
T=$TOKENCTL
D=$DEMO/token2
mkdir -p "$D"
cd "$D"
READER="Virtual PCD 00 00"
# Take the virtual reader the tests use, so a concurrent test run waits.
exec 9>"${TMPDIR:-/tmp}/tokenctl-vpcd-35963.lock"
flock 9

say() { printf '\n$ %s\n' "$*"; }
# next_token N waits until the emulator has put token N in the reader (an
# operator presses the next token's button and holds it on the reader).
next_token() {
  for _ in $(seq 150); do
    [ "$(grep -c ' inserted in ' sim.log 2>/dev/null || true)" -ge "$1" ] && return 0
    sleep 0.1
  done
  echo "token $1 did not arrive" >&2
  return 1
}

echo "# four emulated OTPC-P1-i tokens, serials 86596120001.., clocks 90 s fast;"
echo "# each leaves the reader once burned, and the next one goes in"
"$TOKENCTL_SIM" token2 --count 4 --serial 86596120001 --drift 90s 2>sim.log &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
rm -f token2-duo.csv token2-entra.csv

next_token 1
say "$T token2 info --reader '$READER' --wait=15s"
$T token2 info --reader "$READER" --wait=15s

for n in 1 2; do
  next_token $n
  say "$T token2 burn --reader '$READER' --wait=15s --generate -o token2-duo.csv --to duo"
  $T token2 burn --reader "$READER" --wait=15s --generate -o token2-duo.csv --to duo
done
next_token 3
say "$T token2 burn --reader '$READER' --wait=15s --generate --display 60 -o token2-entra.csv --to entra"
$T token2 burn --reader "$READER" --wait=15s --generate --display 60 -o token2-entra.csv --to entra
next_token 4
say "$T --json token2 burn --reader '$READER' --wait=15s --generate -o token2-entra.csv --to entra"
$T --json token2 burn --reader "$READER" --wait=15s --generate -o token2-entra.csv --to entra
wait $SIM || true
trap - EXIT

echo
echo "# what the emulator saw (it logs the code each token displays, never a seed)"
cat sim.log
echo
echo "# the Duo import (serial,hex seed,step) and the Entra import -- secrets masked"
sed -E 's/,[0-9A-Fa-f]{40},/,<seed>,/' token2-duo.csv
sed -E 's/,[A-Z2-7]{32},/,<seed>,/' token2-entra.csv
ls -l token2-duo.csv token2-entra.csv
echo
echo "# each token's display code (from the emulator log) against tokenctl code on the files, at the same instant"
shown() { sed -nE "s/.*: $1 taken out .*display shows ([0-9]{6}) at ([^)]*)\).*/\1 \2/p" sim.log; }
for s in 86596120001 86596120002 86596120003 86596120004; do
  read -r code at < <(shown $s)
  file=token2-duo.csv from=duo-totp
  case $s in 86596120003|86596120004) file=token2-entra.csv from=entra ;; esac
  printf '%s at %s: display %s, tokenctl code %s\n' "$s" "$at" "$code" "$($T code --seeds $file --from $from --serial $s --time "$at")"
done

echo
echo "# an OTPC-P2-i: restricted, a configuration write erases its seed"
"$TOKENCTL_SIM" token2 --serial 86596220001 --drift -40s 2>sim-p2.log &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
say "$T token2 burn --reader '$READER' --wait=15s --generate --hash sha256 --period 60 -o p2.pskc --to pskc"
$T token2 burn --reader "$READER" --wait=15s --generate --hash sha256 --period 60 -o p2.pskc --to pskc
say "$T token2 sync --reader '$READER'        # no --hash/--period: refused, the token cannot report them"
$T token2 sync --reader "$READER" && exit 1 || echo "(exit $?)"
say "$T token2 sync --reader '$READER' --seeds p2.pskc        # restricted: refused, nothing written"
$T token2 sync --reader "$READER" --seeds p2.pskc && exit 1 || echo "(exit $?)"
say "$T token2 sync --reader '$READER' --seeds p2.pskc --reburn"
$T token2 sync --reader "$READER" --seeds p2.pskc --reburn
echo
echo "# the same token listed in a Token2 PowerShell converter file (SERIAL HEX: no hash, no step)"
$T convert --from pskc --to hex --force -o p2.hex p2.pskc
(umask 077; sed -E 's/^([^,]+),([0-9A-Fa-f]+).*/\1 \U\2/' p2.hex >p2-token2.txt)
say "$T token2 sync --reader '$READER' --seeds p2-token2.txt --reburn        # the file cannot say SHA-256/60 s: refused"
$T token2 sync --reader "$READER" --seeds p2-token2.txt --reburn && exit 1 || echo "(exit $?)"
say "$T token2 sync --reader '$READER' --seeds p2-token2.txt --reburn --hash sha256 --period 60"
$T token2 sync --reader "$READER" --seeds p2-token2.txt --reburn --hash sha256 --period 60
say "$T token2 info --reader '$READER'"
$T token2 info --reader "$READER"
kill $SIM 2>/dev/null || true
wait $SIM 2>/dev/null || true
trap - EXIT
cat sim-p2.log
