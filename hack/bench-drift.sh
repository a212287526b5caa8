#!/usr/bin/env bash
# bench-drift.sh: time grader/drift against scipy on the same data (two
# samples of 1e6 normal values), one run each on this machine, and print the
# ratios. Needs Debian's python3-scipy (apt-get install python3-scipy).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$PY" - "$dir" <<'PYEOF' > "$dir/scipy.txt"
import sys, time
import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon
d = sys.argv[1]
rng = np.random.default_rng(7)
a = rng.normal(0, 1, 1_000_000)
b = rng.normal(0.01, 1, 1_000_000)
a.astype("<f8").tofile(d + "/a.f64")
b.astype("<f8").tofile(d + "/b.f64")
def binned(ref, cur, bins=10):
    edges = np.unique(np.quantile(np.sort(ref), np.arange(1, bins) / bins))
    sh = lambda x: np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(edges) + 1) / len(x)
    return sh(ref), sh(cur)
def psi(ref, cur):
    r, c = binned(ref, cur)
    r, c = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    return np.sum((c - r) * np.log(c / r))
for name, fn in [("KS", lambda: stats.ks_2samp(a, b, method="auto")),
                 ("PSI", lambda: psi(a, b)),
                 ("JensenShannon", lambda: jensenshannon(*binned(a, b), base=2)),
                 ("Wasserstein", lambda: stats.wasserstein_distance(a, b))]:
    t = time.perf_counter(); fn(); print(name, time.perf_counter() - t)
PYEOF
LABGRADE_BENCH_DIR=$dir go test -run '^$' -bench . -benchtime 1x -count 1 ./grader/drift/ > "$dir/go.txt"
printf '%-15s %12s %12s %8s\n' statistic "scipy (s)" "Go (s)" "speed-up"
while read -r name secs; do
  ns=$(awk -v n="Benchmark$name" '$1 ~ "^"n"(-[0-9]+)?$" {print $3}' "$dir/go.txt")
  awk -v n="$name" -v s="$secs" -v g="$ns" 'BEGIN {printf "%-15s %12.4f %12.4f %7.1fx\n", n, s, g/1e9, s/(g/1e9)}'
done < "$dir/scipy.txt"
