#!/usr/bin/env python3
"""The `liftlab analyze` job on the Hillstrom data, done in Python as an analyst would.

Each treatment arm is compared with the control:
- Welch t-test: scipy.stats.ttest_ind(equal_var=False) and its confidence_interval()
- relative lift, delta method (normal quantile), in numpy
- CUPED: theta = cov(y, x) / var(x) pooled over the two arms' units, y' = y - theta (x - mean x),
  then Welch on y' (and the delta-method lift of the adjusted means)
- SRM: scipy.stats.chisquare over all arms (equal expected split)
- with --bootstrap B: scipy.stats.bootstrap(method="percentile"), one vectorized statistic
  returning both the difference in means and the relative lift, so both intervals come from
  the same B resamples (as in liftlab). With --numpy-bootstrap, a hand-written numpy bootstrap
  in batches of --batch resamples (rng.integers indices) instead.
- with --tea-tasting: the same comparisons through tea_tasting.Experiment (no bootstrap).

Prints the numbers and, last, `analysis_seconds=...`: the in-process time of the job
(CSV parsing included), without interpreter start-up and imports.

Usage:
  analyze_hillstrom.py CSV [--bootstrap B [--numpy-bootstrap]] [--tea-tasting]
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

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy import stats  # noqa: E402

T_IMPORTED = time.perf_counter()


def fmt(x: float) -> str:
    return f"{x:+.6g}"


def pct(x: float) -> str:
    return f"{100 * x:+.4g}%"


def delta_lift(mc, vmc, mt, vmt, alpha):
    """Relative lift mt/mc - 1 and its delta-method CI (vm* = variance of the mean)."""
    rel = mt / mc - 1.0
    se = np.sqrt(vmt / mc**2 + mt**2 * vmc / mc**4)
    z = stats.norm.ppf(1 - alpha / 2)
    return rel, rel - z * se, rel + z * se


def welch(yc, yt, alpha):
    res = stats.ttest_ind(yt, yc, equal_var=False)
    ci = res.confidence_interval(confidence_level=1 - alpha)
    return yt.mean() - yc.mean(), ci.low, ci.high, res.pvalue


def cuped(yc, xc, yt, xt, alpha):
    y = np.concatenate([yc, yt])
    x = np.concatenate([xc, xt])
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    xbar = x.mean()
    ac = yc - theta * (xc - xbar)
    at = yt - theta * (xt - xbar)
    diff, lo, hi, p = welch(ac, at, alpha)
    lift = delta_lift(ac.mean(), ac.var(ddof=1) / len(ac), at.mean(), at.var(ddof=1) / len(at), alpha)
    return theta, diff, lo, hi, p, lift


def diff_and_lift(t, c, axis=-1):
    mt = t.mean(axis=axis)
    mc = c.mean(axis=axis)
    return np.stack([mt - mc, mt / mc - 1.0])


def scipy_bootstrap(yc, yt, b, alpha, rng):
    res = stats.bootstrap(
        (yt, yc),
        diff_and_lift,
        n_resamples=b,
        vectorized=True,
        paired=False,
        confidence_level=1 - alpha,
        method="percentile",
        rng=rng,
    )
    lo, hi = res.confidence_interval
    return (lo[0], hi[0]), (lo[1], hi[1])


def numpy_bootstrap(yc, yt, b, alpha, rng, batch):
    means_c = np.empty(b)
    means_t = np.empty(b)
    nc, nt = len(yc), len(yt)
    for start in range(0, b, batch):
        k = min(batch, b - start)
        means_c[start : start + k] = yc[rng.integers(0, nc, size=(k, nc))].mean(axis=1)
        means_t[start : start + k] = yt[rng.integers(0, nt, size=(k, nt))].mean(axis=1)
    q = [100 * alpha / 2, 100 * (1 - alpha / 2)]
    d = np.percentile(means_t - means_c, q)
    r = np.percentile(means_t / means_c - 1.0, q)
    return (d[0], d[1]), (r[0], r[1])


def run_scipy(df, args):
    alpha = args.alpha
    rng = np.random.default_rng(args.seed)
    arms = df[args.variant_col]
    labels = sorted(arms.unique())
    if args.control not in labels:
        sys.exit(f"control {args.control!r} not among the arms {labels}")
    counts = arms.value_counts().reindex(labels).to_numpy()
    srm = stats.chisquare(counts)
    y_all = df[args.metric].to_numpy(dtype=float)
    x_all = df[args.covariate].to_numpy(dtype=float) if args.covariate else None
    is_arm = {lab: (arms == lab).to_numpy() for lab in labels}
    yc = y_all[is_arm[args.control]]
    xc = x_all[is_arm[args.control]] if x_all is not None else None

    out = []
    for lab in labels:
        if lab == args.control:
            continue
        yt = y_all[is_arm[lab]]
        r = {"arm": lab, "n": (len(yc), len(yt)), "means": (yc.mean(), yt.mean())}
        r["welch"] = welch(yc, yt, alpha)
        r["lift"] = delta_lift(yc.mean(), yc.var(ddof=1) / len(yc), yt.mean(), yt.var(ddof=1) / len(yt), alpha)
        if x_all is not None:
            r["cuped"] = cuped(yc, xc, yt, x_all[is_arm[lab]], alpha)
        if args.bootstrap:
            if args.numpy_bootstrap:
                r["boot"] = numpy_bootstrap(yc, yt, args.bootstrap, alpha, rng, args.batch)
            else:
                r["boot"] = scipy_bootstrap(yc, yt, args.bootstrap, alpha, rng)
        out.append(r)
    return (srm, labels, counts), out


def print_scipy(srm_info, results, args):
    (srm, labels, counts) = srm_info
    print(f"SRM: chi2 = {srm.statistic:.4f}, df = {len(labels) - 1}, p = {srm.pvalue:.4f}  "
          + ", ".join(f"{lab}={n}" for lab, n in zip(labels, counts)))
    for r in results:
        print(f"\n{args.metric}: {r['arm']} vs {args.control} (control)")
        print(f"  units    control {r['n'][0]}  treatment {r['n'][1]}")
        print(f"  mean     control {r['means'][0]:.6g}  treatment {r['means'][1]:.6g}")
        d, lo, hi, p = r["welch"]
        print(f"  difference (Welch)  {fmt(d)}  CI [{fmt(lo)}, {fmt(hi)}]  p = {p:.4g}")
        rel, rlo, rhi = r["lift"]
        print(f"  relative lift       {pct(rel)}  CI [{pct(rlo)}, {pct(rhi)}]  (delta method)")
        if "cuped" in r:
            theta, d, lo, hi, p, (rel, rlo, rhi) = r["cuped"]
            print(f"  CUPED ({args.covariate})     {fmt(d)}  CI [{fmt(lo)}, {fmt(hi)}]  p = {p:.4g}  theta = {theta:.4g}")
            print(f"  CUPED relative lift {pct(rel)}  CI [{pct(rlo)}, {pct(rhi)}]")
        if "boot" in r:
            (dlo, dhi), (rlo, rhi) = r["boot"]
            how = f"numpy batched, batch={args.batch}" if args.numpy_bootstrap else "scipy.stats.bootstrap"
            print(f"  bootstrap difference   CI [{fmt(dlo)}, {fmt(dhi)}]  (percentile, B = {args.bootstrap}, {how})")
            print(f"  bootstrap lift         CI [{pct(rlo)}, {pct(rhi)}]")


def run_tea_tasting(df, args):
    import tea_tasting as tt

    t_tt = time.perf_counter()
    metrics = {
        args.metric: tt.Mean(args.metric, confidence_level=1 - args.alpha),
        "sample_ratio": tt.SampleRatio(),
    }
    if args.covariate:
        metrics[f"{args.metric}_cuped"] = tt.Mean(args.metric, covariate=args.covariate, confidence_level=1 - args.alpha)
    experiment = tt.Experiment(metrics, variant=args.variant_col)
    results = experiment.analyze(df, control=args.control, all_variants=True)
    return results, t_tt


def print_tea_tasting(results, args):
    import tea_tasting as tt

    print(f"tea-tasting {tt.__version__}: SRM is pairwise (binomial/normal test per pair), "
          "relative-lift CIs are log-scale (not the linear delta method)")
    for (contr, treat), res in results.items():
        print(f"\n{args.metric}: {treat} vs {contr} (control)")
        sr = res["sample_ratio"]
        print(f"  units    control {sr.control:.0f}  treatment {sr.treatment:.0f}  pairwise SRM p = {sr.pvalue:.4f}")
        m = res[args.metric]
        print(f"  mean     control {m.control:.6g}  treatment {m.treatment:.6g}")
        print(f"  difference (Welch)  {fmt(m.effect_size)}  CI [{fmt(m.effect_size_ci_lower)}, "
              f"{fmt(m.effect_size_ci_upper)}]  p = {m.pvalue:.4g}")
        print(f"  relative lift       {pct(m.rel_effect_size)}  CI [{pct(m.rel_effect_size_ci_lower)}, "
              f"{pct(m.rel_effect_size_ci_upper)}]  (log scale)")
        if args.covariate:
            c = res[f"{args.metric}_cuped"]
            print(f"  CUPED ({args.covariate})     {fmt(c.effect_size)}  CI [{fmt(c.effect_size_ci_lower)}, "
                  f"{fmt(c.effect_size_ci_upper)}]  p = {c.pvalue:.4g}")
            print(f"  CUPED relative lift {pct(c.rel_effect_size)}  CI [{pct(c.rel_effect_size_ci_lower)}, "
                  f"{pct(c.rel_effect_size_ci_upper)}]  (log scale)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("--variant-col", default="segment")
    ap.add_argument("--control", default="No E-Mail")
    ap.add_argument("--metric", default="spend")
    ap.add_argument("--covariate", default="history", help="pre-period covariate for CUPED ('' for none)")
    ap.add_argument("--alpha", type=float, default=0.05)
    ap.add_argument("--bootstrap", type=int, default=0, metavar="B", help="bootstrap resamples (0 = off)")
    ap.add_argument("--numpy-bootstrap", action="store_true",
                    help="hand-written batched numpy bootstrap instead of scipy.stats.bootstrap (B defaults to 2000)")
    ap.add_argument("--batch", type=int, default=100, help="resamples per batch for --numpy-bootstrap")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tea-tasting", action="store_true", help="analyse with tea_tasting instead (no bootstrap)")
    args = ap.parse_args()
    if args.numpy_bootstrap and args.bootstrap == 0:
        args.bootstrap = 2000
    if args.tea_tasting and args.bootstrap:
        ap.error("--tea-tasting runs without bootstrap")

    t0 = time.perf_counter()
    df = pd.read_csv(args.csv)
    t_read = time.perf_counter() - t0
    extra = 0.0
    if args.tea_tasting:
        t_before_import = time.perf_counter()
        results, t_after_import = run_tea_tasting(df, args)
        extra = t_after_import - t_before_import  # importing tea_tasting is not analysis time
        t1 = time.perf_counter()
        print(f"mode=tea-tasting  file={args.csv}  units={len(df)}")
        print_tea_tasting(results, args)
    else:
        srm_info, results = run_scipy(df, args)
        t1 = time.perf_counter()
        mode = "scipy" if not args.bootstrap else ("numpy-bootstrap" if args.numpy_bootstrap else "scipy-bootstrap")
        print(f"mode={mode}  file={args.csv}  units={len(df)}")
        print_scipy(srm_info, results, args)
    print()
    print(f"import_seconds={T_IMPORTED - T_START + extra:.4f}")
    print(f"read_csv_seconds={t_read:.4f}")
    print(f"analysis_seconds={t1 - t0 - extra:.4f}")


if __name__ == "__main__":
    main()
