#!/usr/bin/python3
"""Write N generated Entra (Azure MFA) CSV rows, Token2 style: header
'timeinterval', empty upn, a mix of 30 and 60 s tokens, random 20-byte
seeds. Usage: gen_entra.py N > file.csv"""
import base64
import os
import sys

n = int(sys.argv[1])
out = sys.stdout
out.write("upn,serial number,secret key,timeinterval,manufacturer,model\r\n")
rand = os.urandom(20 * n)
buf = []
for i in range(n):
    secret = base64.b32encode(rand[20 * i:20 * i + 20]).decode()
    buf.append(",%011d,%s,%d,Token2,C202\r\n" % (86500000000 + i, secret, 60 if i % 4 == 3 else 30))
    if len(buf) == 10000:
        out.write("".join(buf))
        buf = []
out.write("".join(buf))
