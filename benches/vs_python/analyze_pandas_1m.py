#!/usr/bin/env python3
"""`liftlab.analyze` (the Python package) against tea-tasting's `Experiment.analyze` on
the same in-memory pandas DataFrame of 1,000,000 users.

The frame is `tea_tasting.make_users_data(n_users=N, covariates=True, seed=1)`: columns
user, variant (0 = control, 1 = treatment, about 50/50), sessions, orders, revenue and
their pre-period *_covariate. Both tools analyse, in one call on the frame:
- revenue per user (Welch; tt.Mean("revenue")),
- orders per user (Welch; tt.Mean("orders")),
- revenue per session (delta method, ratio of means; tt.RatioOfMeans("revenue", "sessions")),
then again with CUPED on revenue_covariate for revenue (tt.Mean("revenue",
covariate="revenue_covariate"); liftlab's `covariate=` applies to every metric it can).
liftlab runs `method="welch"` (what tea-tasting computes; liftlab's default would first
check the skew rule, and also gives skewness, the log-scale lift CI and the SRM check).

Timing is in-process (imports and the frame's construction excluded): each call is run
once untimed, then --runs times; the median is reported, with the ratio tea-tasting /
liftlab. The two tools' effect sizes and p-values are printed side by side and must agree
(differences of means to 1e-9 relative, CUPED's to 1e-4: tea-tasting pools theta over both
arms, liftlab uses Lin's regression adjustment; p-values to 1e-4 absolute).

Usage: analyze_pandas_1m.py [--users 1000000] [--runs 3] [--threads N]
"""

import argparse
import os
import platform
import statistics
import sys
import time

# This folder holds `timeit.py`, which would shadow the standard library's module.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import liftlab  # noqa: E402
import pandas as pd  # noqa: E402
import tea_tasting as tt  # noqa: E402


def timed(fn, runs):
    fn()  # warm-up, untimed
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()

    df = tt.make_users_data(n_users=args.users, covariates=True, rng=1, return_type="pandas")
    assert isinstance(df, pd.DataFrame)

    cases = {
        "3 metrics": (
            dict(metrics=["revenue", "orders", "revenue/sessions"]),
            tt.Experiment(revenue=tt.Mean("revenue"), orders=tt.Mean("orders"),
                          revenue_per_session=tt.RatioOfMeans("revenue", "sessions")),
        ),
        "revenue with CUPED": (
            dict(metrics=["revenue"], covariate="revenue_covariate"),
            tt.Experiment(revenue=tt.Mean("revenue", covariate="revenue_covariate")),
        ),
    }
    print(f"{args.users:,} users in a pandas DataFrame; median of {args.runs} runs after a warm-up, in-process")
    print(f"Python {platform.python_version()}, pandas {pd.__version__}, tea-tasting {tt.__version__}, "
          f"liftlab {liftlab.__version__}; {os.cpu_count()} cores")
    print()
    print("| work | liftlab.analyze s | tea-tasting Experiment.analyze s | ratio tea-tasting / liftlab |")
    print("| --- | ---: | ---: | ---: |")
    checks = []
    for name, (kwargs, experiment) in cases.items():
        t_ll, ours = timed(lambda: liftlab.analyze(df, variant="variant", control="0", method="welch",
                                                   threads=args.threads, **kwargs), args.runs)
        t_tt, theirs = timed(lambda: experiment.analyze(df, control=0), args.runs)
        print(f"| {name} | {t_ll:.3f} | {t_tt:.3f} | {t_tt / t_ll:.1f}x |")
        checks.append((name, kwargs, ours, theirs))

    print()
    print("Agreement (liftlab vs tea-tasting):")
    names = {"revenue": "revenue", "orders": "orders", "revenue/sessions": "revenue_per_session"}
    worst = 0.0
    for name, kwargs, ours, theirs in checks:
        tea = {row["metric"]: row for row in theirs.to_dicts()}
        for r in ours.to_dict()["results"]:
            t = tea[names[r["metric"]]]
            cuped = "covariate" in kwargs
            effect = r["cuped"]["effect_size"] if cuped else r["effect_size"]
            pvalue = r["cuped"]["pvalue"] if cuped else r["pvalue"]
            rel = abs(effect - t["effect_size"]) / abs(t["effect_size"])
            worst = max(worst, rel)
            print(f"  {name} / {r['metric']}: effect {effect:.6g} vs {t['effect_size']:.6g} "
                  f"(rel. diff {rel:.1e}), p {pvalue:.4f} vs {t['pvalue']:.4f}")
            # Without a covariate both compute the same difference of means. CUPED's
            # estimators differ slightly: tea-tasting's theta pools both arms, liftlab's is
            # Lin's (2013) regression adjustment (statsmodels' OLS with interaction).
            assert rel < (1e-4 if cuped else 1e-9), "the effect sizes disagree"
            assert abs(pvalue - t["pvalue"]) < 1e-4, "the p-values disagree"
    print(f"  largest relative difference of effect sizes: {worst:.1e}")


if __name__ == "__main__":
    main()
