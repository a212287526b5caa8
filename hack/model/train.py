#!/usr/bin/python3
"""Train the k8s-serving lab's model and write it as data for the Go fixtures.

Run once with Debian's python3-sklearn (make model); the outputs are committed:
  fixtures/model/v1.0.json, v1.1.json  scaler + logistic regression weights,
                                        feature schema, and test vectors
                                        (sklearn's own predict_proba)
  fixtures/model/reference.csv          the reference dataset (drift baseline)
Dataset: Wisconsin diagnostic breast cancer (sklearn.datasets, shipped with
the package: no download), the ten "mean" features.
"""
import csv
import json

import numpy as np
import sklearn
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = load_breast_cancer()
cols = [i for i, n in enumerate(data.feature_names) if n.startswith("mean ")]
names = [data.feature_names[i].replace("mean ", "mean_").replace(" ", "_") for i in cols]
X, y = data.data[:, cols], data.target
classes = [str(c) for c in data.target_names]  # 0 = malignant, 1 = benign

def export(version, C, seed):
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=5000))
    model.fit(Xtr, ytr)
    scaler, lr = model[0], model[1]
    probe = Xte[:8]
    out = {
        "name": "breast-cancer-logreg", "version": version,
        "sklearn": sklearn.__version__,
        "features": names, "classes": classes,
        "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
        "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0]),
        "testAccuracy": float(model.score(Xte, yte)),
        "vectors": [{"features": row.tolist(), "probability": float(p)}
                    for row, p in zip(probe, model.predict_proba(probe)[:, 1])],
    }
    with open(f"fixtures/model/v{version}.json", "w") as f:
        json.dump(out, f, indent=1)
    print(version, "accuracy", out["testAccuracy"])

export("1.0", C=1.0, seed=1)
export("1.1", C=0.3, seed=2)  # retrained: other split, more regularisation
with open("fixtures/model/reference.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(names)
    for row in X:
        w.writerow([repr(float(v)) for v in row])
