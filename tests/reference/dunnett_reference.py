"""Reference values for liftlab's Dunnett many-to-one adjustment (normal form).

Independent of liftlab's 1-D integral: the probability that every |Z_j| < c is
scipy's multivariate normal CDF (Genz's algorithm) over the box [-c, c]^k with
the correlation matrix Corr(Z_i, Z_j) = lambda_i * lambda_j (i != j).

Run from the repository root (the venv is the one tests/reference/run.sh makes):
    tests/reference/.venv/bin/python tests/reference/dunnett_reference.py
It writes tests/data/dunnett_reference.json.
"""
import json
from pathlib import Path

import numpy as np
from scipy.stats import multivariate_normal

CASES = [
    {"lambda": [0.5 ** 0.5, 0.5 ** 0.5], "z": [2.212, 1.0, 2.8]},
    {"lambda": [0.6, 0.3, 0.8], "z": [1.5, 2.4, 3.1]},
    {"lambda": [0.95, 0.95, 0.95, 0.95], "z": [2.0, 2.6]},
    {"lambda": [0.1, 0.9], "z": [1.96, 2.5]},
]


def adjusted(z, lam):
    lam = np.asarray(lam)
    k = len(lam)
    cov = np.outer(lam, lam)
    np.fill_diagonal(cov, 1.0)
    c = abs(z)
    mvn = multivariate_normal(mean=np.zeros(k), cov=cov, abseps=1e-9, releps=0)
    # P(-c < Z < c) by inclusion-exclusion over the box corners.
    total = 0.0
    for corner in range(2 ** k):
        upper = np.array([c if (corner >> j) & 1 else -c for j in range(k)])
        sign = (-1) ** (k - bin(corner).count("1"))
        total += sign * mvn.cdf(upper)
    return 1.0 - total


def main():
    out = []
    for case in CASES:
        out.append({**case, "pvalue": [adjusted(z, case["lambda"]) for z in case["z"]]})
    path = Path(__file__).resolve().parents[1] / "data" / "dunnett_reference.json"
    path.write_text(json.dumps({"generator": "tests/reference/dunnett_reference.py", "cases": out}, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
