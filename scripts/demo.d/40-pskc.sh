#!/usr/bin/env bash
# PSKC (RFC 6030): seeds delivered in an encrypted key container, read into
# Duo's import format; python-pskc, the reference implementation, reads the
# same values; a tampered file and a wrong key are refused.
set -euo pipefail
T=$TOKENCTL
D=$DEMO/pskc
mkdir -p "$D"
cd "$D"
umask 077
mask() { sed -E 's/,[0-9A-F]{40},/,<40 hex digits>,/'; }

echo "# the transport key agreed with the vendor (AES-128, hex) and five HOTP-8 tokens,"
echo "# delivered as a PSKC container encrypted with it (AES-128-CBC, HMAC-SHA256 MACs)"
head -c 16 /dev/urandom >transport.bin
od -An -tx1 transport.bin | tr -d ' \n' >transport.key
$T seed generate --count 5 --serial-prefix FT --serial-width 6 --kind hotp --digits 8 --counter 3 \
  --manufacturer Feitian --model c100 --to pskc --pskc-key-file transport.key -o delivery.pskc
sed -n '3,44p' delivery.pskc
echo "  ..."
echo "# the OATH Toolkit's schema check"
pskctool --validate delivery.pskc 2>/dev/null

echo
echo "# into Duo's HOTP-8 paste format"
$T convert --from pskc --pskc-key-file transport.key --to duo -o duo-hotp8.csv delivery.pskc
mask <duo-hotp8.csv

echo
echo "# python-pskc (pskc2csv) reads the same serials, secrets and counters"
pskc2csv -s transport.bin -c serial,secret,counter delivery.pskc | tail -n +2 | tr -d '\r' | tr a-f A-F >python.csv
if cmp -s duo-hotp8.csv python.csv; then echo "identical: $(wc -l <python.csv) tokens"; else diff duo-hotp8.csv python.csv; exit 1; fi

echo
echo "# a vendor file protected by a password (PBKDF2), as python-pskc writes one"
printf 'vendor passphrase' >vendor.pw
/usr/bin/python3 - <<'EOF'
import pskc
p = pskc.PSKC()
for i, secret in enumerate([b'12345678901234567890', b'abcdefghijabcdefghij']):
    p.add_key(id=str(i), serial='NG%05d' % i, secret=secret, manufacturer='NagraID',
              algorithm='urn:ietf:params:xml:ns:keyprov:pskc:totp', time_interval=60, response_length=6)
p.encryption.setup_pbkdf2('vendor passphrase')
p.write('vendor.pskc')
EOF
$T convert --pskc-password-file vendor.pw --to duo -o duo-totp6.csv vendor.pskc
mask <duo-totp6.csv

echo
echo "# one altered MAC: the import stops, nothing is written (exit 1)"
/usr/bin/python3 - <<'EOF'
import re
s = open('delivery.pskc').read()
macs = list(re.finditer(r'<pskc:ValueMAC>([^<]+)<', s))
m = macs[2]
v = m.group(1)
v = ('B' if v[0] == 'A' else 'A') + v[1:]
open('altered.pskc', 'w').write(s[:m.start(1)] + v + s[m.end(1):])
EOF
$T convert --from pskc --pskc-key-file transport.key --to duo -o altered.csv altered.pskc || echo "(exit $?)"
ls altered.csv 2>/dev/null || echo "altered.csv: not written"

echo "# the wrong key"
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >other.key
$T convert --from pskc --pskc-key-file other.key --to duo -o wrong.csv delivery.pskc || echo "(exit $?)"
echo "# no key at all"
$T validate --to duo delivery.pskc || echo "(exit $?)"
rm -f transport.bin python.csv
