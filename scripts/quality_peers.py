#!/usr/bin/env python3
"""The quality peers of `make bench` (run in .venv-peers): 5 stratified splits of one KEEL
dataset, written as train/test CSVs (anomaly column `label`, 1 = anomaly) for
`pipelines/benchmark.json`, and scikit-learn's MLPClassifier(64, 64) on the same splits
without augmentation and with imbalanced-learn's SMOTE, each metric the mean over
`SEEDS` random states (as AnomSynth's figures are the mean over as many pipeline seeds).
Prints one JSON object."""
import json
import os
import sys

import numpy as np
import pandas as pd
from imblearn.over_sampling import SMOTE
from imblearn.pipeline import Pipeline as ImbalancedPipeline
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.metrics import average_precision_score, f1_score, recall_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def read_keel(path):
    names, nominal, rows, in_data = [], set(), [], False
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("%"):
            continue
        lower = line.lower()
        if lower.startswith("@attribute"):
            name = line.split()[1]
            names.append(name)
            if "{" in line:
                nominal.add(name)
        elif lower.startswith("@data"):
            in_data = True
        elif in_data:
            rows.append([value.strip() for value in line.split(",")])
    frame = pd.DataFrame(rows, columns=names)
    label = names[-1]
    y = (frame[label] == "positive").astype(int).to_numpy()
    x = frame.drop(columns=[label])
    for name in x.columns:
        if name not in nominal:
            x[name] = x[name].astype(float)
    return x, y, [n for n in x.columns if n in nominal]


SEEDS = (0, 1, 2)


def measure(probabilities, y):
    predicted = (probabilities >= 0.5).astype(int)
    recall = recall_score(y, predicted, zero_division=0)
    specificity = recall_score(1 - y, 1 - predicted, zero_division=0)
    return {"roc_auc": roc_auc_score(y, probabilities), "pr_auc": average_precision_score(y, probabilities),
            "f1": f1_score(y, predicted, zero_division=0), "gmean": float(np.sqrt(recall * specificity))}


def main():
    dataset, folder = sys.argv[1], sys.argv[2]
    x, y, nominal = read_keel(dataset)
    numeric = [n for n in x.columns if n not in nominal]
    encode = ColumnTransformer([("numeric", StandardScaler(), numeric)]
                               + ([("nominal", OneHotEncoder(handle_unknown="ignore", sparse_output=False), nominal)] if nominal else []))
    splits = StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(x, y)
    result = {"folds": [], "rows": len(y), "anomalies": int(y.sum())}
    for k, (train, test) in enumerate(splits):
        fold = os.path.join(folder, f"fold{k}")
        os.makedirs(fold, exist_ok=True)
        for part, rows in (("train", train), ("test", test)):
            frame = x.iloc[rows].copy()
            frame["label"] = y[rows]
            frame.to_csv(os.path.join(fold, f"{part}.csv"), index=False)
        runs = {"none": [], "smote": []}
        for seed in SEEDS:
            mlp = MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=500, random_state=seed)
            plain = Pipeline([("encode", encode), ("mlp", mlp)]).fit(x.iloc[train], y[train])
            smote = ImbalancedPipeline([("encode", encode), ("smote", SMOTE(random_state=seed, k_neighbors=min(5, int(y[train].sum()) - 1))),
                                        ("mlp", clone(mlp))]).fit(x.iloc[train], y[train])
            runs["none"].append(measure(plain.predict_proba(x.iloc[test])[:, 1], y[test]))
            runs["smote"].append(measure(smote.predict_proba(x.iloc[test])[:, 1], y[test]))
        result["folds"].append({"train": os.path.join(fold, "train.csv"), "test": os.path.join(fold, "test.csv"),
                                **{name: {metric: float(np.mean([run[metric] for run in measured])) for metric in measured[0]}
                                   for name, measured in runs.items()}})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
