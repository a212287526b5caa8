#!/usr/bin/python3
"""Write the training-pipeline lab's dataset versions for the Go fixtures.

Run once with Debian's python3-sklearn (python3 hack/training-data/make_datasets.py
from the repository root); the outputs are committed under fixtures/training/data:
  eval.csv      the registry's evaluation set: a fixed, clean quarter of the data
                every model version is scored on, so their metrics compare
  2026-10.csv   last month's training data: the first 40 rows of 2026-11, what
                the model in production (the registry's version 1) was trained on
  2026-11.csv   the current training data: the other three quarters, clean
  2026-12.csv   the same rows after a labelling batch went wrong: most malignant
                cases were labelled benign (a model trained on it is worse)
  2027-01.csv   a broken export: cells lost, a unit column pasted in, NaNs
  sklearn-2026-11.json  scikit-learn's own fit of 2026-11 (StandardScaler +
                LogisticRegression, C=1) and the accuracies on eval.csv of the
                fits of 2026-10, 2026-11 and 2026-12: the Go trainer is tested
                against them
Dataset: Wisconsin diagnostic breast cancer (sklearn.datasets, shipped with the
package: no download), the ten "mean" features, as in hack/model/train.py.
"""
import csv
import json

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = "fixtures/training/data/"
data = load_breast_cancer()
cols = [i for i, n in enumerate(data.feature_names) if n.startswith("mean ")]
names = [data.feature_names[i].replace("mean ", "mean_").replace(" ", "_") for i in cols]
X, y = data.data[:, cols], data.target
classes = [str(c) for c in data.target_names]  # 0 = malignant, 1 = benign
Xtr, Xev, ytr, yev = train_test_split(X, y, test_size=0.25, random_state=7, stratify=y)


def write(name, rows, labels):
    with open(OUT + name, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names + ["diagnosis"])
        for row, label in zip(rows, labels):
            cells = row if isinstance(row, list) else [repr(float(v)) for v in row]
            w.writerow(cells + [classes[label] if isinstance(label, (int, np.integer)) else label])


write("eval.csv", Xev, yev)
write("2026-10.csv", Xtr[:40], ytr[:40])
write("2026-11.csv", Xtr, ytr)

rng = np.random.default_rng(2026)
bad_labels = ytr.copy()
malignant = np.flatnonzero(ytr == 0)
flip = rng.choice(malignant, size=int(0.6 * len(malignant)), replace=False)
bad_labels[flip] = 1
write("2026-12.csv", Xtr, bad_labels)

broken_rows, broken_labels = [], []
for i, (row, label) in enumerate(zip(Xtr, ytr)):
    cells = [repr(float(v)) for v in row]
    if i % 17 == 5:
        cells[3] = ""  # a lost cell
    if i % 23 == 11:
        cells[6] = "NaN"
    if i % 41 == 2:
        cells[0] = cells[0] + " mm"  # a unit pasted into a number
    broken_rows.append(cells)
    broken_labels.append(int(label))
write("2027-01.csv", broken_rows, broken_labels)

model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
model.fit(Xtr, ytr)
degraded = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000)).fit(Xtr, bad_labels)
older = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000)).fit(Xtr[:40], ytr[:40])
with open(OUT + "sklearn-2026-11.json", "w") as f:
    json.dump({
        "mean": model[0].mean_.tolist(), "scale": model[0].scale_.tolist(),
        "coef": model[1].coef_[0].tolist(), "intercept": float(model[1].intercept_[0]),
        "evalAccuracy": float(model.score(Xev, yev)),
        "degradedEvalAccuracy": float(degraded.score(Xev, yev)),
        "olderEvalAccuracy": float(older.score(Xev, yev)),
    }, f, indent=1)
print("eval accuracy: 2026-10", older.score(Xev, yev), "2026-11", model.score(Xev, yev), "2026-12", degraded.score(Xev, yev))
