#!/usr/bin/python3
"""The bench's reference: Entra CSV to Duo TOTP lines (serial,HEX,step)
with Python's csv and base64 modules, with the same core checks tokenctl
makes (header mapped by name, base32 decoded, step 30/60, unique serials,
secret length) and the same output discipline (a 0600 temporary file,
fsync, rename into place only when every row is valid).
Usage: entra2duo.py IN OUT"""
import base64
import binascii
import csv
import os
import sys
import tempfile

src, dst = sys.argv[1], sys.argv[2]
seen = set()
errors = 0
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(dst)), prefix=".entra2duo-")
with open(src, newline="", encoding="utf-8-sig") as f, os.fdopen(fd, "w", newline="") as out:
    r = csv.reader(f)
    header = [h.strip().lower().replace(" ", "") for h in next(r)]
    i_serial, i_secret, i_step = header.index("serialnumber"), header.index("secretkey"), header.index("timeinterval")
    w = csv.writer(out, lineterminator="\n")
    for n, row in enumerate(r, start=2):
        serial = row[i_serial].strip()
        text = row[i_secret].strip().upper().replace(" ", "").replace("-", "").rstrip("=")
        try:
            secret = base64.b32decode(text + "=" * (-len(text) % 8))
        except binascii.Error:
            errors += 1
            continue
        step = int(row[i_step])
        if step not in (30, 60) or len(secret) < 10 or not serial or len(serial) > 128 or serial in seen:
            errors += 1
            continue
        seen.add(serial)
        w.writerow([serial, secret.hex().upper(), step])
    out.flush()
    os.fsync(out.fileno())
if errors:
    os.unlink(tmp)
    sys.exit(1)
os.replace(tmp, dst)
