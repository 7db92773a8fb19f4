#!/usr/bin/python3
"""Run a command RUNS times and print "wall_s cpu_s peak_kb": the best
wall-clock time (time.perf_counter around fork, exec and wait, in
microseconds), the best CPU time (user + system of the child, from wait4's
rusage, which Linux keeps in nanoseconds rather than 10 ms ticks) and the
largest peak RSS (ru_maxrss, KiB) over the runs. Standard output and error
of the command are discarded; a failing run fails the measurement.
Usage: measure.py RUNS CMD [ARG...]"""
import os
import subprocess
import sys
import time

runs = int(sys.argv[1])
cmd = sys.argv[2:]
best_wall = best_cpu = float("inf")
peak = 0
for _ in range(runs):
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("measure: %s exited %d" % (" ".join(cmd), p.returncode))
    best_wall = min(best_wall, wall)
    best_cpu = min(best_cpu, ru.ru_utime + ru.ru_stime)
    peak = max(peak, ru.ru_maxrss)
print("%.6f %.6f %d" % (best_wall, best_cpu, peak))
