#!/usr/bin/python3
"""Reference values for grader/drift, computed with Debian's scipy.

Run once (make drift-reference) with python3-scipy 1.10 installed; the output,
grader/drift/testdata/reference.json.gz, is committed and read by the Go
tests. Nothing here runs at test time.
"""
import gzip
import json
import math
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon
from scipy.stats import _stats_py

assert scipy.__version__.startswith("1.10"), scipy.__version__
rng = np.random.default_rng(20261127)
BINS = 10


def shares(edges, x):
    # bin i = [e_(i-1), e_i): the number of edges <= x is the bin index
    idx = np.searchsorted(edges, x, side="right")
    return np.bincount(idx, minlength=len(edges) + 1) / len(x)


def binned(ref, cur, bins):
    edges = np.unique(np.quantile(np.sort(ref), np.arange(1, bins) / bins))
    return shares(edges, ref), shares(edges, cur)


def psi(ref, cur, bins=BINS):
    r, c = binned(ref, cur, bins)
    r, c = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    return float(np.sum((c - r) * np.log(c / r)))


def numeric_case(name, a, b, bins=BINS):
    ks = stats.ks_2samp(a, b, method="auto")
    r, c = binned(a, b, bins)
    return {
        "name": name, "a": [float(v) for v in a], "b": [float(v) for v in b], "bins": bins,
        "ksD": float(ks.statistic), "ksP": float(ks.pvalue),
        "psi": psi(a, b, bins),
        "js": float(jensenshannon(r, c, base=2)),
        "wasserstein": float(stats.wasserstein_distance(a, b)),
    }


numeric = []
# exact method (max(n1, n2) <= 10000), equal and unequal sizes, ties
for n1, n2, shift, scale, digits in [
    (20, 20, 0.0, 1.0, None), (50, 50, 0.5, 1.0, None), (30, 45, 0.3, 1.2, None),
    (200, 150, 0.1, 1.0, None), (1000, 800, 0.05, 1.0, None), (3000, 2000, 0.0, 1.0, None),
    (500, 700, 0.2, 1.0, 1), (2500, 10000, 0.02, 1.0, 3), (7, 13, 1.0, 1.0, None),
]:
    a = rng.normal(0, 1, n1)
    b = rng.normal(shift, scale, n2)
    if digits is not None:
        a, b = np.round(a, digits), np.round(b, digits)
    numeric.append(numeric_case(f"exact-{n1}x{n2}-shift{shift}", a, b))
# asymptotic method (max(n1, n2) > 10000), several branches of kstwo.sf
for n1, n2, shift in [(12000, 11000, 0.02), (12000, 11000, 0.0), (15000, 60, 0.3), (20000, 400, 0.1), (11000, 150, 0.0)]:
    a = np.round(rng.normal(0, 1, n1), 4)
    b = np.round(rng.normal(shift, 1, n2), 4)
    numeric.append(numeric_case(f"asymp-{n1}x{n2}-shift{shift}", a, b))
# skewed data and fewer bins
a = np.round(rng.lognormal(0, 1, 4000), 3)
b = np.round(rng.lognormal(0.1, 1.1, 3000), 3)
numeric.append(numeric_case("lognormal-5bins", a, b, bins=5))

# the one-sample Kolmogorov distribution over a grid covering every method
kstwo = []
for n in [1, 2, 3, 5, 10, 40, 100, 140, 141, 500, 1000, 5000, 20000, 100000, 100001, 500000]:
    for x in [0.001, 0.003, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.45, 0.5, 0.6, 0.8, 0.95, 0.999]:
        kstwo.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})

# the exact two-sample p-value on a grid of sizes and statistics
exact = []
for n1, n2 in [(5, 5), (10, 7), (25, 40), (100, 100), (100, 37), (1000, 999), (3000, 4500), (10000, 9000), (8000, 8000)]:
    g = math.gcd(n1, n2)
    for d in [0.01, 0.03, 0.05, 0.1, 0.2, 0.4, 0.7]:
        ok, dd, p = _stats_py._attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
        exact.append({"n1": n1, "n2": n2, "d": d, "ok": bool(ok), "dSnapped": float(dd), "p": float(p)})

# categorical samples
categorical = []
for name, cats, pr, pc, n1, n2 in [
    ("same", ["a", "b", "c"], [0.5, 0.3, 0.2], [0.5, 0.3, 0.2], 500, 400),
    ("shifted", ["a", "b", "c", "d"], [0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25], 1000, 800),
    ("two-categories", ["x", "y"], [0.7, 0.3], [0.6, 0.4], 300, 300),
    ("new-category", ["a", "b", "c"], [0.6, 0.4, 0.0], [0.5, 0.3, 0.2], 200, 200),
]:
    a = list(rng.choice(cats, size=n1, p=pr))
    b = list(rng.choice(cats, size=n2, p=pc))
    keys = sorted(set(a) | set(b))
    table = np.array([[a.count(k) for k in keys], [b.count(k) for k in keys]])
    chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
    categorical.append({"name": name, "a": [str(v) for v in a], "b": [str(v) for v in b],
                        "chi2": float(chi2), "p": float(p), "dof": int(dof)})

out = {"scipy": scipy.__version__, "numpy": np.__version__, "numeric": numeric,
       "kstwo": kstwo, "exact": exact, "categorical": categorical}
path = sys.argv[1] if len(sys.argv) > 1 else "grader/drift/testdata/reference.json.gz"
with gzip.open(path, "wt", compresslevel=9) as f:
    json.dump(out, f, separators=(",", ":"))
print("wrote", path)
