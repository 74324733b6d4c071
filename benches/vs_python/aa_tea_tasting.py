#!/usr/bin/env python3
"""A/A simulation: `liftlab power --from` against tea-tasting's `Experiment.simulate`.

One table of --users synthetic users from `tea_tasting.make_users_data(covariates=True)`
(columns user, sessions, orders, revenue and their pre-period *_covariate; the variant column
is dropped) is written as CSV to a temporary folder. Both tools then re-randomize its rows
--simulations times into control and treatment, each row independently with probability 1/2,
and test every split for:
- revenue: Welch t-test of the means (tt.Mean("revenue"))
- revenue per session: delta-method ratio of means (tt.RatioOfMeans("revenue", "sessions"))
- revenue with CUPED on revenue_covariate (tt.Mean("revenue", covariate="revenue_covariate"))

The A/A false-positive rate of a metric is the share of splits with p < 0.05; its Monte Carlo
SE is sqrt(p(1 - p) / K). The two tools draw their splits from different random streams, so
their rates are independent estimates of the same quantity: they agree when they differ by
less than 3 combined SEs, sqrt(se1^2 + se2^2).

Timing, whole process (interpreter or binary start-up, imports, CSV parsing all included):
- liftlab: `liftlab power --from CSV ... --holdout 0.5 --lift 0 --replicates K`, median of
  --runs runs after one untimed warm-up (through timeit.py, as in run.sh).
- tea-tasting: this script with --tea-worker CSV in a child process, ONE run (it takes tens of
  seconds). The child also reports analysis_seconds, the time of `simulate` alone.

Usage:
  aa_tea_tasting.py --liftlab PATH [--runs 5] [--simulations 1000] [--users 100000] [--seed 1]
  aa_tea_tasting.py --tea-worker CSV [--simulations 1000] [--seed 1]   (the tea-tasting side)
"""

import os
import sys

# The folder of this script holds `timeit.py`, which would shadow the standard-library
# module of that name (scipy.signal imports it): take the folder off the import path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import time  # noqa: E402

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

ALPHA = 0.05

# (tea-tasting metric name, liftlab metric name, what it is)
METRICS = [
    ("revenue", "revenue (Welch)", "revenue, Welch"),
    ("revenue_per_session", "revenue/sessions (delta)", "revenue/session, delta"),
    ("revenue_cuped", "revenue (CUPED)", "revenue, CUPED"),
]


def mc_se(p: float, k: int) -> float:
    return math.sqrt(p * (1.0 - p) / k)


# --- tea-tasting side (child process) -------------------------------------------------


def tea_worker(args):
    import pandas as pd
    import tea_tasting as tt

    t_imported = time.perf_counter()
    data = pd.read_csv(args.tea_worker)
    t_read = time.perf_counter()
    experiment = tt.Experiment(
        revenue=tt.Mean("revenue"),
        revenue_per_session=tt.RatioOfMeans("revenue", "sessions"),
        revenue_cuped=tt.Mean("revenue", covariate="revenue_covariate"),
    )
    # ratio=1: each row to treatment with probability 1/(1+1); treat=None: an A/A test.
    results = experiment.simulate(data, n_simulations=args.simulations, rng=args.seed)
    t_sim = time.perf_counter()
    df = results.to_pandas()
    fpr = {}
    for name in df["metric"].unique():
        p = df.loc[df["metric"] == name, "pvalue"].to_numpy()
        fpr[name] = {"k": int(len(p)), "rejections": int((p < ALPHA).sum())}
    print(json.dumps({
        "version": tt.__version__,
        "units": int(len(data)),
        "fpr": fpr,
        "import_seconds": t_imported - T_START,
        "read_csv_seconds": t_read - t_imported,
    }))
    print(f"analysis_seconds={t_sim - t_read:.4f}")


# --- driver -------------------------------------------------------------------------


def make_data(path, users, seed):
    import tea_tasting as tt

    data = tt.make_users_data(n_users=users, rng=seed, covariates=True, return_type="pandas")
    data.drop(columns=["variant"]).to_csv(path, index=False)


def run_tea(csv, args):
    cmd = [sys.executable, os.path.abspath(__file__), "--tea-worker", csv,
           "--simulations", str(args.simulations), "--seed", str(args.seed)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"tea-tasting side failed with exit code {proc.returncode}")
    lines = proc.stdout.strip().splitlines()
    out = json.loads(lines[0])
    out["analysis_seconds"] = float(lines[-1].split("=", 1)[1])
    out["wall_seconds"] = wall
    return out


def run_liftlab(csv, args, extra=()):
    cmd = [args.liftlab, "power", *extra, "--from", csv,
           "--metric", "revenue", "--metric", "revenue/sessions", "--covariate", "revenue_covariate",
           "--holdout", "0.5", "--lift", "0", "--replicates", str(args.simulations),
           "--seed", str(args.seed), "--format", "json"]
    timer = [sys.executable, os.path.join(_HERE, "timeit.py"), "-n", str(args.runs), "--show-output", "--", *cmd]
    proc = subprocess.run(timer, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"liftlab side failed (timeit.py exit code {proc.returncode})")
    fields = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    report = json.loads(proc.stderr)  # --show-output: liftlab's first stdout (the JSON) on stderr
    version = subprocess.run([args.liftlab, "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
    return {
        "cmd": cmd,
        "median_seconds": float(fields["median_seconds"]),
        "runs": fields["runs"],
        "report": report,
        "version": version,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--liftlab", help="path to the liftlab binary")
    ap.add_argument("--runs", type=int, default=5, help="timed liftlab runs (default 5)")
    ap.add_argument("--simulations", type=int, default=1000, help="A/A splits per tool (default 1000)")
    ap.add_argument("--users", type=int, default=100_000, help="rows of the table (default 100,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tea-worker", metavar="CSV", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.tea_worker:
        tea_worker(args)
        return
    if not args.liftlab:
        ap.error("--liftlab is required")

    import numpy
    import pandas
    import scipy

    k = args.simulations
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "users.csv")
        t0 = time.perf_counter()
        make_data(csv, args.users, args.seed)
        print(f">> data: {args.users} users, tea_tasting.make_users_data(covariates=True, rng={args.seed}), "
              f"{time.perf_counter() - t0:.1f} s, {os.path.getsize(csv) / 1e6:.1f} MB CSV", file=sys.stderr)
        print(f">> timing liftlab ({args.runs} runs after 1 warm-up)", file=sys.stderr)
        ll = run_liftlab(csv, args)
        print(f">> timing liftlab --threads 1 ({args.runs} runs after 1 warm-up)", file=sys.stderr)
        ll1 = run_liftlab(csv, args, ("--threads", "1"))
        print(">> timing tea-tasting (1 run)", file=sys.stderr)
        tea = run_tea(csv, args)

    ll_metrics = {m["metric"]: m for m in ll["report"]["metrics"]}
    ll_cmd = " ".join(os.path.basename(c) if i == 0 else ("users.csv" if c.endswith("users.csv") else c)
                      for i, c in enumerate(ll["cmd"]))

    print(f"A/A simulation on {args.users:,} users ({ll['report']['units']:,} rows read by liftlab, "
          f"{tea['units']:,} by tea-tasting), {k} random splits per tool, alpha = {ALPHA}")
    print(f"{ll['version']}; tea-tasting {tea['version']}; Python {platform.python_version()}, "
          f"numpy {numpy.__version__}, scipy {scipy.__version__}, pandas {pandas.__version__}; "
          f"os.cpu_count() = {os.cpu_count()}")
    print(f"liftlab:     {ll_cmd}")
    print(f"tea-tasting: Experiment(revenue=Mean('revenue'), revenue_per_session=RatioOfMeans('revenue', 'sessions'),")
    print(f"             revenue_cuped=Mean('revenue', covariate='revenue_covariate'))"
          f".simulate(data, n_simulations={k}, rng={args.seed})")
    print()
    print("Whole-process wall-clock seconds (start-up, imports, CSV parsing included)")
    print()
    print("| tool | seconds | ratio (tea-tasting / liftlab) | notes |")
    print("| --- | ---: | ---: | --- |")
    w_ll, w_tea = ll["median_seconds"], tea["wall_seconds"]
    print(f"| liftlab power | {w_ll:.3f} | 1.0x | median of {args.runs} runs after 1 warm-up: {ll['runs']} |")
    w_ll1 = ll1["median_seconds"]
    print(f"| liftlab power --threads 1 | {w_ll1:.3f} | {w_tea / w_ll1:.1f}x | median of {args.runs} runs after "
          f"1 warm-up: {ll1['runs']} (ratio: tea-tasting / this row) |")
    print(f"| tea-tasting simulate | {w_tea:.3f} | {w_tea / w_ll:.1f}x | one run; of which simulate() alone "
          f"{tea['analysis_seconds']:.3f} s, imports {tea['import_seconds']:.2f} s, "
          f"read_csv {tea['read_csv_seconds']:.2f} s |")
    print()
    print(f"A/A false-positive rate (p < {ALPHA}) +- Monte Carlo SE sqrt(p(1-p)/{k})")
    print()
    print("| metric | liftlab | tea-tasting | difference / combined SE | agree (< 3 SE) |")
    print("| --- | ---: | ---: | ---: | --- |")
    disagreements = []
    for tea_name, ll_name, label in METRICS:
        t = tea["fpr"].get(tea_name)
        m = ll_metrics.get(ll_name)
        if t is None or m is None:
            print(f"| {label} | {'missing' if m is None else ''} | {'missing' if t is None else ''} | | |")
            disagreements.append(label)
            continue
        p_tea = t["rejections"] / t["k"]
        se_tea = mc_se(p_tea, t["k"])
        p_ll, se_ll = m["aa_false_positive_rate"], m["aa_false_positive_rate_se"]
        se = math.hypot(se_tea, se_ll)
        z = (p_ll - p_tea) / se if se > 0 else float("nan")
        ok = abs(z) < 3
        if not ok:
            disagreements.append(label)
        print(f"| {label} | {p_ll:.3f} +- {se_ll:.3f} | {p_tea:.3f} +- {se_tea:.3f} | {z:+.2f} | "
              f"{'yes' if ok else 'NO'} |")
    print()
    if disagreements:
        print(f"DISAGREEMENT beyond 3 combined MC SEs for: {', '.join(disagreements)}")
    else:
        print("All A/A false-positive rates agree within 3 combined Monte Carlo SEs.")
    print(f"(Nominal rate {ALPHA}; one tool's SE at p = {ALPHA} is {mc_se(ALPHA, k):.4f}, so a single rate "
          f"within about {ALPHA - 2 * mc_se(ALPHA, k):.3f}-{ALPHA + 2 * mc_se(ALPHA, k):.3f} is unremarkable. "
          "tea-tasting's three metrics share each split, so its rates are correlated; liftlab re-randomizes "
          "each metric column independently, so its rates are not.)")
    print()
    print("What each tool does per split (not identical work):")
    print("- Both assign every row independently, with probability 1/2 (tea-tasting: numpy rng.binomial(1, 0.5);")
    print("  liftlab: Bernoulli(--holdout 0.5) from its own counter-based stream), so arm sizes vary;")
    print("  neither forces an exact 50/50 split. Different random streams: the rates are independent estimates.")
    print("- tea-tasting (Experiment.simulate, default map = built-in map): one split at a time on one core;")
    print("  per split it appends a variant column to the Arrow table and runs Experiment.analyze on it")
    print("  (group-by aggregation, then t-tests with Welch degrees of freedom).")
    print("- liftlab: splits run in parallel on all cores (rayon); per split and metric column, rows with")
    print("  identical values are assigned as one binomial count and the others one Bernoulli draw each, then")
    print("  Welch / delta / CUPED from the arm sums (each column has its own split). With --lift 0 the A/B")
    print("  twin is the A/A test itself, so no test is run twice. Under the default --method auto it also runs")
    print("  the permutation test where analyze would (an arm below n >= 355*skew^2); here no column needs it.")
    print("  With --lift 0 its `power` is 0 by definition (it counts significant results in the direction of")
    print("  a nonzero lift), which is why only the A/A rate is compared.")
    print(f"- The ratio {w_tea / w_ll:.1f}x compares whole processes on {os.cpu_count()} cores, so liftlab's parallelism is")
    print(f"  part of it; with --threads 1 (one core, like tea-tasting's default) it is {w_tea / w_ll1:.1f}x.")
    print("  tea-tasting could be given a process pool through simulate(map_=...): not done here.")
    same = all(ll_metrics[n]["aa_false_positive_rate"] == m["aa_false_positive_rate"]
               for n, m in ((m["metric"], m) for m in ll1["report"]["metrics"]) if n in ll_metrics)
    print(f"- liftlab's rates with --threads 1 are {'identical' if same else 'DIFFERENT (unexpected)'} "
          "(its output does not depend on the thread count).")


if __name__ == "__main__":
    main()
