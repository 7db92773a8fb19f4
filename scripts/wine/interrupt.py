#!/usr/bin/env python3
"""Ctrl-C on a conversion: start tokenctl (or, with --wine, tokenctl.exe
under wine64, where SIGINT becomes the console's CTRL_C_EVENT, as Ctrl-C
in a Windows console), feed it one row on standard input, interrupt it,
then end its input. Prints the exit code, standard error and whether the
output file exists: the same on both sides, and nothing written.

Usage: interrupt.py [--wine] TOKENCTL DIR
"""
import os
import signal
import subprocess
import sys
import time

args = sys.argv[1:]
wine = args[0] == "--wine"
if wine:
    args = args[1:]
exe, workdir = args
cmd = (["wine64", exe] if wine else [exe]) + ["convert", "--from", "duo-totp", "--to", "duo", "-o", "out.csv", "-"]
p = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
p.stdin.write(b"T1,3132333435363738393031323334353637383930,30\n")
p.stdin.flush()
time.sleep(2)  # the row is read and the program waits for more
p.send_signal(signal.SIGINT)
time.sleep(1)
p.stdin.close()
try:
    err = p.stderr.read()
    rc = p.wait(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    print("did not stop after Ctrl-C")
    sys.exit(0)
print("exit %d" % rc)
sys.stdout.write(err.decode())
print("out.csv written: %s" % os.path.exists(os.path.join(workdir, "out.csv")))
