#!/usr/bin/python3
"""Write the data-versioning lab's raw batches for fixtures/dataversion.

Run once from the repository root (python3 hack/data-versioning/make_batches.py);
the outputs are committed under fixtures/dataversion/batches. Input: the
training-pipeline lab's clean training data, fixtures/training/data/2026-11.csv,
itself written by hack/training-data/make_datasets.py from scikit-learn's
Wisconsin diagnostic breast-cancer set (the ten "mean" features). The rows are
cut into three weekly exports as a source system would land them:
  2026-11-02.csv  rows 0-149, clean
  2026-11-09.csv  rows 150-299, clean
  2026-11-16.csv  rows 300-425 with nine rows broken the way exports break:
                  a lost cell, a NaN, a unit pasted into a number, an "n/a",
                  an unknown diagnosis, an empty diagnosis, a row with a cell
                  too many, one cut short, and an infinity
The schema (the header, finite numbers, a diagnosis of malignant or benign) is
fixtures/training's: the same validation the trainer applies.
"""
import csv

SRC = "fixtures/training/data/2026-11.csv"
OUT = "fixtures/dataversion/batches/"

with open(SRC, newline="") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
assert len(rows) == 426, len(rows)


def write(name, batch):
    with open(OUT + name, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(batch)


write("2026-11-02.csv", rows[0:150])
write("2026-11-09.csv", rows[150:300])

third = [list(r) for r in rows[300:426]]
breaks = {
    4: lambda r: r.__setitem__(3, ""),
    17: lambda r: r.__setitem__(6, "NaN"),
    29: lambda r: r.__setitem__(0, r[0] + " mm"),
    41: lambda r: r.__setitem__(2, "n/a"),
    58: lambda r: r.__setitem__(10, "unknown"),
    66: lambda r: r.__setitem__(10, ""),
    80: lambda r: r.append("1"),
    97: lambda r: r.pop(5),
    112: lambda r: r.__setitem__(8, "inf"),
}
for i, brk in breaks.items():
    brk(third[i])
write("2026-11-16.csv", third)
print("2026-11-16:", len(third) - len(breaks), "valid,", len(breaks), "broken")
