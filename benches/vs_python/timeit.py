#!/usr/bin/env python3
"""Run a command N times and print the median wall-clock seconds.

Usage: timeit.py [-n N] [--warmup W] [--show-output] -- COMMAND [ARGS...]

Wall clock is time.perf_counter() around subprocess.run, so process start-up,
imports and CSV parsing are all counted. Warm-up runs (default 1: warms the
page cache and Python's bytecode cache) are not timed. If the command prints
`analysis_seconds=X` lines, the median of those is reported too.

Prints (stdout, one per line):
  median_seconds=...
  median_analysis_seconds=...   (only if the command reported it)
  runs=...                      (the individual timings)
With --show-output, the first run's own output is printed to stderr first.
"""

import argparse
import re
import statistics
import subprocess
import sys
import time

ANALYSIS = re.compile(r"^analysis_seconds=([0-9.eE+-]+)\s*$", re.MULTILINE)


def run_once(cmd):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"timeit.py: command failed with exit code {proc.returncode}: {' '.join(cmd)}")
    return elapsed, proc.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=5, help="timed runs (default 5)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    ap.add_argument("--show-output", action="store_true", help="echo the first run's stdout to stderr")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd or args.n < 1:
        ap.error("need a command after -- and -n >= 1")

    shown = False
    for _ in range(args.warmup):
        _, out = run_once(cmd)
        if args.show_output and not shown:
            sys.stderr.write(out)
            shown = True
    walls, analysis = [], []
    for _ in range(args.n):
        wall, out = run_once(cmd)
        if args.show_output and not shown:
            sys.stderr.write(out)
            shown = True
        walls.append(wall)
        analysis += [float(m) for m in ANALYSIS.findall(out)]
    print(f"median_seconds={statistics.median(walls):.4f}")
    if analysis:
        print(f"median_analysis_seconds={statistics.median(analysis):.4f}")
    print("runs=" + ",".join(f"{w:.4f}" for w in walls))


if __name__ == "__main__":
    main()
