#!/usr/bin/env python3
"""liftlab's bootstrap against scipy and numpy on 1,000,000 units, all in one run.

Data: n units, 10% control / 90% treatment (exact counts, shuffled), each unit converts
with probability 2.5%, order values lognormal with mean $80 and CV 1 (sigma^2 = ln 2,
mu = ln 80 - sigma^2/2) rounded to cents, revenue 0 without a conversion. Fixed seed.
It is written to a temporary CSV (arm,revenue) for liftlab; Python gets the same values
as numpy arrays already in memory.

Every contender gives the 95% CI of the difference in mean revenue (treatment - control)
from B resamples:
- liftlab: `liftlab analyze CSV ... --format json` as a whole process, with and without
  --bootstrap B (median of --runs each, after one untimed warm-up, runs interleaved); the
  bootstrap's own time is the difference of the medians. Also --bootstrap-ci bca,
  --poisson-bootstrap and --threads 1.
- scipy.stats.bootstrap(method="percentile", vectorized, in batches of --batch resamples):
  one run (it is slow). BCa only if its O(n^2) jackknife is estimated under 60 s.
- numpy dense: index matrices from rng.integers in batches of --batch resamples, mean of
  the fancy-indexed values.
- numpy sparse: per arm and resample, the count of non-zero units K ~ Binomial(n, m/n),
  then K draws among the m non-zero values (all draws at once, summed by np.add.reduceat).
- numpy random-number floor: drawing just the sparse method's sum of K uniform indices.
Python times cover the bootstrap and its percentiles only (no start-up, imports or I/O).
"""

import os
import sys

# The folder of this script holds `timeit.py`, which would shadow the standard-library
# module of that name (scipy.signal imports it): take the folder off the import path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy import stats  # noqa: E402

# The benchmark's helper timeit.py (process timing, same as run.sh), loaded by path.
_spec = importlib.util.spec_from_file_location("vs_python_timeit", os.path.join(_HERE, "timeit.py"))
bench_timeit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_timeit)

CONTROL_SHARE = 0.10
CONVERSION = 0.025
ORDER_MEAN = 80.0
ORDER_CV = 1.0
ALPHA = 0.05
SCIPY_BCA_BUDGET = 60.0  # seconds
BCA_PROBE_UNITS = 20_000
DENSE_MAX_RUNS = 3
# scipy >= 1.15 takes `rng`, older versions `random_state`
SCIPY_RNG_KW = "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"


def progress(msg):
    print(f">> {msg}", file=sys.stderr, flush=True)


def make_data(n, seed):
    """Revenue of the control and treatment units, and the CSV text of all units."""
    rng = np.random.default_rng(seed)
    is_control = np.zeros(n, dtype=bool)
    is_control[: round(CONTROL_SHARE * n)] = True
    rng.shuffle(is_control)
    sigma2 = np.log1p(ORDER_CV**2)
    mu = np.log(ORDER_MEAN) - sigma2 / 2
    converts = rng.random(n) < CONVERSION
    revenue = np.zeros(n)
    revenue[converts] = np.round(rng.lognormal(mu, np.sqrt(sigma2), converts.sum()), 2)
    lines = ["arm,revenue"] + [
        f"{'control' if c else 'treatment'},{r:.2f}" for c, r in zip(is_control.tolist(), revenue.tolist())
    ]
    return revenue[is_control], revenue[~is_control], "\n".join(lines) + "\n"


def percentile_ci(diffs):
    lo, hi = np.percentile(diffs, [100 * ALPHA / 2, 100 * (1 - ALPHA / 2)])
    return lo, hi


def diff_of_means(t, c, axis):
    return t.mean(axis=axis) - c.mean(axis=axis)


def scipy_bootstrap(t, c, b, seed, batch, method):
    res = stats.bootstrap(
        (t, c),
        diff_of_means,
        vectorized=True,
        paired=False,
        n_resamples=b,
        batch=batch,
        method=method,
        confidence_level=1 - ALPHA,
        **{SCIPY_RNG_KW: np.random.default_rng(seed)},
    )
    return res.confidence_interval.low, res.confidence_interval.high


def dense_bootstrap(t, c, b, seed, batch):
    rng = np.random.default_rng(seed)
    diffs = np.empty(b)
    for start in range(0, b, batch):
        k = min(batch, b - start)
        mt = t[rng.integers(0, len(t), size=(k, len(t)))].mean(axis=1)
        mc = c[rng.integers(0, len(c), size=(k, len(c)))].mean(axis=1)
        diffs[start : start + k] = mt - mc
    return percentile_ci(diffs)


def nonzero_counts(y, b, rng):
    """The non-zero values of an arm and, per resample, how many of the n draws hit one."""
    nonzero = y[y != 0]
    return nonzero, rng.binomial(len(y), len(nonzero) / len(y), size=b)


def sparse_means(y, b, rng):
    nonzero, k = nonzero_counts(y, b, rng)
    # A trailing 0 keeps every segment start a valid index; empty segments are set to 0.
    picks = np.append(nonzero[rng.integers(0, len(nonzero), size=k.sum())], 0.0)
    sums = np.add.reduceat(picks, np.cumsum(k) - k)
    sums[k == 0] = 0.0
    return sums / len(y)


def sparse_bootstrap(t, c, b, seed):
    rng = np.random.default_rng(seed)
    mt = sparse_means(t, b, rng)
    mc = sparse_means(c, b, rng)
    return percentile_ci(mt - mc)


def median_seconds(fn, runs):
    """Median wall-clock seconds of `runs` calls of fn, and fn's (last) result."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def estimate_scipy_bca(t, c, b, seed, batch):
    """Seconds scipy's BCa would take on the full data: its jackknife costs ~n^2, measured as
    BCa minus percentile on a same-split subsample of BCA_PROBE_UNITS units and scaled by n^2,
    plus the percentile bootstrap time added by the caller."""
    share = len(c) / (len(c) + len(t))
    nc = round(share * BCA_PROBE_UNITS)
    ts, cs = t[: BCA_PROBE_UNITS - nc], c[:nc]
    pct, _ = median_seconds(lambda: scipy_bootstrap(ts, cs, b, seed, batch, "percentile"), 1)
    bca, _ = median_seconds(lambda: scipy_bootstrap(ts, cs, b, seed, batch, "BCa"), 1)
    return max(bca - pct, 0.0) * ((len(c) + len(t)) / BCA_PROBE_UNITS) ** 2


def time_liftlab(liftlab, csv, b, runs):
    """Whole-process median seconds and the JSON output of each liftlab variant."""
    base = [liftlab, "analyze", csv, "--variant-col", "arm", "--control", "control", "--metric", "revenue",
            "--expected-split", "control=1,treatment=9", "--format", "json"]
    boot = ["--bootstrap", str(b)]
    variants = {
        "no bootstrap": [],
        "percentile": boot,
        "bca": boot + ["--bootstrap-ci", "bca"],
        "poisson": boot + ["--poisson-bootstrap"],
        "no bootstrap, 1 thread": ["--threads", "1"],
        "percentile, 1 thread": ["--threads", "1"] + boot,
    }
    outputs = {key: json.loads(bench_timeit.run_once(base + extra)[1]) for key, extra in variants.items()}
    walls = {key: [] for key in variants}
    for _ in range(runs):  # interleaved, so drifts hit every variant alike
        for key, extra in variants.items():
            walls[key].append(bench_timeit.run_once(base + extra)[0])
    return {key: statistics.median(w) for key, w in walls.items()}, outputs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--liftlab", default=os.path.join(_HERE, "..", "..", "target", "release", "liftlab"))
    ap.add_argument("--resamples", type=int, default=2000, metavar="B")
    ap.add_argument("--runs", type=int, default=5, help="timed runs of liftlab and the fast numpy contenders")
    ap.add_argument("--batch", type=int, default=10,
                    help="resamples per batch for scipy and numpy dense (10 beat 50 on a 2-core box)")
    ap.add_argument("--units", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    b, runs = args.resamples, args.runs
    liftlab = os.path.abspath(args.liftlab)
    load_before = os.getloadavg()[0]

    progress(f"making {args.units:,} units and their CSV")
    yc, yt, csv_text = make_data(args.units, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        csv = os.path.join(tmp, "units.csv")
        with open(csv, "w") as f:
            f.write(csv_text)
        progress(f"timing liftlab ({runs} runs of 6 variants, interleaved)")
        ll_wall, ll_out = time_liftlab(liftlab, csv, b, runs)

    ll = {key: out["results"][0] for key, out in ll_out.items()}
    if not np.isclose(ll["no bootstrap"]["effect_size"], yt.mean() - yc.mean(), rtol=1e-9, atol=1e-12):
        sys.exit("liftlab read different data than Python holds: "
                 f"{ll['no bootstrap']['effect_size']} vs {yt.mean() - yc.mean()}")

    def ll_boot(key, base):
        bs = ll[key]["bootstrap"]
        return ll_wall[key] - ll_wall[base], (bs["effect_size_ci_lower"], bs["effect_size_ci_upper"])

    rows = [
        (f"liftlab --bootstrap {b} (percentile, all cores)", *ll_boot("percentile", "no bootstrap"), runs),
        (f"liftlab --bootstrap {b} --threads 1", *ll_boot("percentile, 1 thread", "no bootstrap, 1 thread"), runs),
        (f"liftlab --bootstrap {b} --bootstrap-ci bca", *ll_boot("bca", "no bootstrap"), runs),
        (f"liftlab --bootstrap {b} --poisson-bootstrap", *ll_boot("poisson", "no bootstrap"), runs),
    ]
    notes = []

    progress(f"timing scipy.stats.bootstrap percentile (1 run, batch={args.batch})")
    sec, ci = median_seconds(lambda: scipy_bootstrap(yt, yc, b, args.seed, args.batch, "percentile"), 1)
    rows.append((f"scipy.stats.bootstrap percentile, batch={args.batch}", sec, ci, 1))
    progress("estimating scipy.stats.bootstrap BCa")
    bca_estimate = sec + estimate_scipy_bca(yt, yc, b, args.seed, args.batch)
    if bca_estimate < SCIPY_BCA_BUDGET:
        progress("timing scipy.stats.bootstrap BCa (1 run)")
        sec, ci = median_seconds(lambda: scipy_bootstrap(yt, yc, b, args.seed, args.batch, "BCa"), 1)
        rows.append((f"scipy.stats.bootstrap BCa, batch={args.batch}", sec, ci, 1))
    else:
        notes.append(f"scipy.stats.bootstrap BCa: skipped, estimated {bca_estimate:,.0f} s (its jackknife "
                     f"evaluates the statistic on all n leave-one-out samples, ~n^2 work: BCa minus percentile "
                     f"measured on {BCA_PROBE_UNITS:,} units, scaled by n^2, plus the percentile time).")

    dense_runs = min(runs, DENSE_MAX_RUNS)
    progress(f"timing numpy dense ({dense_runs} runs, batch={args.batch})")
    sec, ci = median_seconds(lambda: dense_bootstrap(yt, yc, b, args.seed, args.batch), dense_runs)
    rows.append((f"numpy dense, batch={args.batch}", sec, ci, dense_runs))

    progress(f"timing numpy sparse ({runs} runs)")
    sec, ci = median_seconds(lambda: sparse_bootstrap(yt, yc, b, args.seed), runs)
    rows.append(("numpy sparse (binomial count + draws among non-zeros)", sec, ci, runs))

    rng = np.random.default_rng(args.seed)
    (nz_t, k_t), (nz_c, k_c) = nonzero_counts(yt, b, rng), nonzero_counts(yc, b, rng)
    progress(f"timing numpy random-number floor ({runs} runs)")
    sec, _ = median_seconds(lambda: (rng.integers(0, len(nz_t), size=k_t.sum()),
                                     rng.integers(0, len(nz_c), size=k_c.sum())), runs)
    draws = k_t.sum() + k_c.sum()
    rows.append((f"numpy floor: {draws:,} rng.integers draws only", sec, None, runs))

    # --- report ---------------------------------------------------------------------------------
    ref_sec, (ref_lo, ref_hi) = rows[0][1], rows[0][2]
    se = (ref_hi - ref_lo) / (2 * stats.norm.ppf(1 - ALPHA / 2))
    # SD of one percentile bound from B resamples: sqrt(p(1-p)/B) / phi(z_p) bootstrap SEs;
    # two independent bounds differ by sqrt(2) times that; tolerate 4 SDs.
    p = ALPHA / 2
    bound_sd = np.sqrt(p * (1 - p) / b) / stats.norm.pdf(stats.norm.ppf(p))
    tol = 4 * np.sqrt(2) * bound_sd
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    welch = ll["no bootstrap"]
    version = subprocess.run([liftlab, "--version"], capture_output=True, text=True).stdout.strip()

    print(f"Bootstrap of the difference in mean revenue (treatment - control), B = {b}, 95% CI, "
          "all timed in this one run.")
    print(f"Data: {args.units:,} units ({len(yc):,} control, {len(yt):,} treatment), conversion {CONVERSION:.1%}, "
          f"order value lognormal mean ${ORDER_MEAN:.0f} CV {ORDER_CV:g}, seed {args.seed}; "
          f"non-zero units: {np.count_nonzero(yc):,} control, {np.count_nonzero(yt):,} treatment.")
    print(f"Means: control {yc.mean():.4f}, treatment {yt.mean():.4f}, difference {yt.mean() - yc.mean():+.4f}; "
          f"Welch 95% CI (liftlab) [{welch['effect_size_ci_lower']:+.4f}, {welch['effect_size_ci_upper']:+.4f}].")
    print(f"Machine: os.cpu_count() = {cpus}, usable by this process = {usable}; 1-minute load average "
          f"{load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end (other work on the machine skews "
          "times). liftlab uses all cores (rayon) unless --threads 1; numpy and scipy draw and index on 1 thread.")
    print(f"{version}; Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__} "
          f"(stats.bootstrap seeded through `{SCIPY_RNG_KW}=`).")
    print(f"liftlab seconds = median whole-process time minus that of the same command without --bootstrap "
          f"({runs} runs each); Python seconds = in-process median of the bootstrap alone, data already in "
          "numpy arrays.")
    print(f"Agreement: every bound within {tol:.2f} x the bootstrap SE ({tol * se:.4f}; "
          f"SE = (hi - lo)/3.92 = {se:.4f} from liftlab's percentile CI) of liftlab's percentile CI: "
          f"4 SDs of the difference of two independent percentile bounds from {b} resamples "
          f"({np.sqrt(2) * bound_sd:.3f} SE). BCa and Poisson (other interval, other scheme) are held "
          "to it too: at this n they should differ from percentile by much less.")
    print()
    print("| method | runs | seconds | ratio to liftlab bootstrap | 95% CI of difference "
          "| max bound gap (SE) | agrees |")
    print("| --- | ---: | ---: | ---: | --- | ---: | --- |")
    all_agree = True
    for label, sec, ci, n_runs in rows:
        if ci is None:
            ci_col, gap_col, ok_col = "n/a", "", ""
        else:
            gap = max(abs(ci[0] - ref_lo), abs(ci[1] - ref_hi)) / se
            all_agree &= gap <= tol
            ci_col = f"[{ci[0]:+.4f}, {ci[1]:+.4f}]"
            gap_col, ok_col = f"{gap:.3f}", "yes" if gap <= tol else "NO"
        print(f"| {label} | {n_runs} | {sec:.3f} | {sec / ref_sec:.1f}x | {ci_col} | {gap_col} | {ok_col} |")
    print()
    print("liftlab whole-process medians (seconds): "
          + ", ".join(f"{key} {sec:.3f}" for key, sec in ll_wall.items()) + ".")
    for note in notes:
        print(note)
    print("All CIs agree with liftlab's within Monte Carlo error." if all_agree
          else "SOME CIs DIFFER from liftlab's by more than Monte Carlo error.")


if __name__ == "__main__":
    main()
