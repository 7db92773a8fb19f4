#!/usr/bin/env bash
# Seeds for a box of tokens, the code a token shows (as oathtool computes
# it), and a token whose clock has drifted.
set -euo pipefail
T=$TOKENCTL
D=$DEMO/codes
mkdir -p "$D"
cd "$D"

echo "# serials printed on a box of 60-second tokens"
printf 'T2-%05d\n' 1 2 3 4 5 > box.txt
cat box.txt
echo "# fresh SHA-1 seeds for them (crypto/rand), kept as a password-protected PSKC master file"
printf 'demo password' > master.pw
$T seed generate --serials box.txt --period 60 --to pskc --pskc-password-file master.pw -o master.pskc
ls -l master.pskc
echo "# writing over it is refused: those seeds may already be in tokens"
$T seed generate --serials box.txt --period 60 --to pskc -o master.pskc || echo "(exit $?)"

echo
echo "# the same seeds for Duo (serial,HEX,step) and Entra"
$T convert --from pskc --pskc-password-file master.pw --to duo -o duo-totp6.csv master.pskc
$T convert --from pskc --pskc-password-file master.pw --to entra --manufacturer Token2 --model c202 -o entra.csv master.pskc
sed 's/,[0-9A-F]\{40\},/,<40 hex digits>,/' duo-totp6.csv

echo
echo "# the code token T2-00001 shows now: tokenctl and oathtool agree"
now=$(date +%s)
$T code --seeds entra.csv --serial T2-00001 --time "$now"
cut -d, -f2 duo-totp6.csv | head -1 > t1.hex
oathtool --totp -s 60s --now "@$now" @t1.hex
$T --json code --seeds entra.csv --serial T2-00001 --time "$now"

echo
echo "# a user reads 6 digits off a token whose clock is 2 minutes slow"
slow=$($T code --seeds duo-totp6.csv --from duo-totp --serial T2-00001 --time $((now - 120)))
echo "code on the display: $slow"
$T check --seeds duo-totp6.csv --from duo-totp --serial T2-00001 --time "$now" --code "$slow"
echo "# a mistyped code matches nothing (exit 1)"
$T check --seeds duo-totp6.csv --from duo-totp --serial T2-00001 --time "$now" --code 000000 || echo "(exit $?)"
rm -f t1.hex
