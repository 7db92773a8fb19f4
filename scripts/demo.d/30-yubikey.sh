#!/usr/bin/env bash
# A box of YubiKeys personalized one after another on an NFC reader
# (emulated YubiKey 5 NFC keys in vpcd's second virtual reader), logged for
# Okta (the Personalization Tool's "Yubico format") and Duo, then an OTP
# typed by one of them verified against the log.
set -euo pipefail
T=$TOKENCTL
D=$DEMO/yubikey
mkdir -p "$D"
cd "$D"
READER="Virtual PCD 00 01"
# Take the virtual reader the tests use, so a concurrent test run waits.
exec 9>"${TMPDIR:-/tmp}/tokenctl-vpcd-35964.lock"
flock 9

echo "# four emulated YubiKeys, serials 20000001.., presented one after another;"
echo "# each leaves the reader once programmed and is touched once on the way out"
"$TOKENCTL_SIM" yubikey --count 4 --serial 20000001 --port 35964 --touch-out typed.txt 2>sim.log &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT

ykflags=(--transport ccid --reader "$READER" --wait 15s)
# next_key N waits until the emulator has put key N in the reader (an
# operator picks the next key from the box).
next_key() {
  for _ in $(seq 100); do
    [ "$(grep -c ' in Virtual' sim.log 2>/dev/null || true)" -ge "$1" ] && { sleep 0.3; return 0; }
    sleep 0.1
  done
  echo "key $1 did not arrive" >&2; return 1
}
echo
echo "# keys 1 and 2: Yubico OTP in slot 1, generated AES key and private ID, public ID from the serial (vv...)"
next_key 1; $T yubikey otp 1 --generate --log okta.csv --log-format yubico "${ykflags[@]}"
next_key 2; $T yubikey otp 1 --generate --log okta.csv --log-format yubico "${ykflags[@]}"
echo "# key 3: Yubico OTP, random vv public ID, protected by an access code, logged as Duo YubiKey AES lines"
printf 'a1b2c3d4e5f6' > access.hex
next_key 3; $T yubikey otp 1 --generate --random-public-id --new-access-code-file access.hex --log duo-yubikey.csv --log-format duo "${ykflags[@]}"
echo "# key 4: OATH-HOTP (8 digits) in slot 2, logged as Duo HOTP lines"
next_key 4; $T --json yubikey hotp 2 --generate --digits 8 --log duo-hotp.csv --log-format duo "${ykflags[@]}"
wait $SIM || true
trap - EXIT

echo
echo "# the Okta upload (Yubico format: serial,public ID,private ID,AES key,access code,time,) -- secrets masked"
sed -E 's/,([0-9a-f]{12}),([0-9a-f]{32}),/,<private ID>,<AES key>,/' okta.csv
echo "# the Duo files (serial,private ID,AES key / serial,HOTP seed...)"
sed -E 's/,[0-9a-f]{12},[0-9a-f]{32}$/,<private ID>,<AES key>/' duo-yubikey.csv
sed -E 's/,[0-9A-Fa-f]{40}/,<seed>/' duo-hotp.csv
ls -l okta.csv duo-yubikey.csv duo-hotp.csv

echo
echo "# the Okta log converted for Duo as well"
$T convert --from yubico --to duo-yubikey -o okta-for-duo.csv okta.csv
wc -l okta-for-duo.csv

echo
echo "# what key 20000001 typed when touched, verified with the logged AES key and private ID"
otp=$(grep '^20000001,' typed.txt | cut -d, -f2)
echo "typed: $otp"
$T yubikey verify-otp --log okta.csv "$otp"
echo "# one changed character does not verify (exit 1)"
bad="${otp%?}c"; [ "$bad" != "$otp" ] || bad="${otp%?}b"
$T yubikey verify-otp --log okta.csv "$bad" || echo "(exit $?)"
