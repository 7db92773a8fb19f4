#!/usr/bin/env python3
"""Reads a go test2json stream from a Windows test binary run under Wine
and says whether every test named on the command line passed.

One Wine 8 limitation is not counted as a failure: Go's os.RemoveAll
(used by t.TempDir's cleanup, never by tokenctl itself) deletes files with
FileDispositionInformationEx (POSIX semantics, Windows 10 1607+), which
Wine 8 answers with "Invalid function"; Go falls back only for the status
codes Windows gives. A test whose only failure is that cleanup message
passes, and is reported as such. A skipped test fails: Windows tests must
run.

Usage: verdict.py TEST... < events.json
"""
import json
import re
import sys

want = sys.argv[1:]
artifact = re.compile(r"TempDir RemoveAll cleanup: unlinkat .*: Invalid function\.\s*$")
header = re.compile(r"^\s*(=== (RUN|PAUSE|CONT|NAME)|--- (FAIL|PASS|SKIP)|(PASS|FAIL)$|ok\s|exit status)")
action, real, wine = {}, {}, {}
for line in sys.stdin:
    line = line.strip()
    if not line.startswith("{"):
        continue
    ev = json.loads(line)
    t = ev.get("Test")
    if not t:
        continue
    a = ev.get("Action")
    if a in ("pass", "fail", "skip"):
        action[t] = a
    elif a == "output":
        out = ev.get("Output", "")
        if artifact.search(out):
            wine[t] = True
        elif out.strip() and not header.match(out):
            real.setdefault(t, []).append(out.rstrip())


def failed_for_real(t):
    if action.get(t) == "pass":
        return False
    if action.get(t) != "fail":
        return True
    subs = [s for s in action if s.startswith(t + "/")]
    if real.get(t) and not subs:
        return True
    return any(action[s] == "fail" and failed_for_real(s) for s in subs) or (not subs and not wine.get(t))


bad = 0
for t in want:
    a = action.get(t, "not run")
    if a == "pass":
        continue
    if a == "fail" and not failed_for_real(t):
        print("  %s: passed (its only failure is Wine's missing POSIX delete in t.TempDir cleanup)" % t)
        continue
    bad += 1
    print("  %s: %s" % (t, a.upper()))
    for s in [t] + sorted(s for s in action if s.startswith(t + "/")):
        for o in real.get(s, []):
            print("    " + o)
sys.exit(1 if bad else 0)
