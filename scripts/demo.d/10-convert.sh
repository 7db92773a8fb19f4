#!/usr/bin/env bash
# Seed-file conversion: a vendor's Entra CSV (Token2 style) to every
# server format, and the validation report on a damaged copy.
set -euo pipefail
: "${TOKENCTL:?set by scripts/demo.sh}" "${DEMO:?}"
umask 077   # every file made here holds seeds
dir="$DEMO/convert"
mkdir -p "$dir"
cd "$dir"
rm -f -- *   # a re-run starts afresh (convert never replaces files without --force)
say() { printf '\n$ %s\n' "$*"; }

# 1. A realistic vendor delivery: Token2 sends an "Azure MFA compatible"
#    CSV with the header spelled 'timeinterval', an empty upn column, CRLF
#    line ends, and a mix of 30 s and 60 s tokens. Generated, not copied.
vendor=token2-c202-seeds.csv
"$TOKENCTL" seed generate --count 6 --serial-prefix 865961200 --serial-width 2 --to entra \
  --manufacturer Token2 --model C202 --period 30 --force -o part30.csv
"$TOKENCTL" seed generate --count 4 --serial-prefix 865961200 --serial-width 2 --serial-start 7 --to entra \
  --manufacturer Token2 --model C202 --period 60 --force -o part60.csv
{ head -1 part30.csv | sed 's/time interval/timeinterval/'; tail -n +2 part30.csv; tail -n +2 part60.csv; } |
  sed 's/$/\r/' >"$vendor"
rm -f part30.csv part60.csv
chmod 600 "$vendor"
say "cat $vendor   # secrets shortened here"
sed 's/,\([A-Z2-7]\{6\}\)[A-Z2-7]*,/,\1…,/' "$vendor" | tr -d '\r'

say "$TOKENCTL formats"
"$TOKENCTL" formats

# 2. Convert to every format that can be written. Formats that cannot hold
#    these tokens (HOTP-only, YubiKey AES) refuse them, saying why.
say "$TOKENCTL convert --to duo -o duo-totp6.csv $vendor   # --from detected from the header"
"$TOKENCTL" convert --to duo -o duo-totp6.csv "$vendor"
cat duo-totp6.csv
for to in $("$TOKENCTL" formats | awk 'NR > 1 && $4 == "yes" { print $1 }'); do
  [ "$to" = duo ] && continue
  out="vendor.$to"
  say "$TOKENCTL convert --from entra --to $to -o $out $vendor"
  if "$TOKENCTL" convert --from entra --to "$to" -o "$out" "$vendor" 2>err.txt; then
    cat err.txt
    head -n 4 "$out"; echo "…"
  else
    echo "(exit $?: $to cannot take these tokens)"; head -3 err.txt
  fi
done
ls -l

# 3. A damaged copy, as it comes back from a spreadsheet: a serial in
#    scientific notation, a duplicate, a truncated secret, a 45 s step, a
#    lost column, lower-case padded base32 (repaired, not an error).
broken=token2-broken.csv
{
  head -4 "$vendor"
  sed -n 5p "$vendor" | sed 's/,86596120004,/,8.6596120004E+10,/'
  sed -n 3p "$vendor"
  sed -n 6p "$vendor" | awk -F, -v OFS=, '{ $3 = substr($3, 1, 30); print }'
  sed -n 7p "$vendor" | awk -F, -v OFS=, '{ $4 = 45; print }'
  sed -n 8p "$vendor" | cut -d, -f1-5
  sed -n 9p "$vendor" | awk -F, -v OFS=, '{ $3 = tolower($3) "===="; print }'
} >"$broken"
say "$TOKENCTL validate --to duo $broken"
"$TOKENCTL" validate --to duo "$broken" || echo "(exit $?: nothing would be written)"
say "$TOKENCTL convert --to duo -o fixed.csv $broken"
"$TOKENCTL" convert --to duo -o fixed.csv "$broken" 2>/dev/null || echo "(exit $?; fixed.csv exists: $([ -e fixed.csv ] && echo yes || echo no))"
say "$TOKENCTL convert --to duo --skip-invalid -o fixed.csv $broken"
"$TOKENCTL" convert --to duo --skip-invalid -o fixed.csv "$broken" 2>&1 | tail -1
cat fixed.csv.rejects | sed 's/,\([A-Za-z2-7]\{6\}\)[A-Za-z2-7=]*,/,\1…,/'
