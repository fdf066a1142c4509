#!/usr/bin/env python3
"""The ADBench part of `make bench` (run in .venv-adbench).

`split DATASET.npz SEED OUT`: ADBench's semi-supervised protocol (Han et al., NeurIPS
2022) on one dataset: at most 10,000 rows (a stratified sample), a stratified 70/30
train/test split, and in the training part only 10% of the anomalies keep their label
(at least 2, so that SMOTE has neighbours); the rest stay in as unlabelled rows with label
0. Writes OUT/train.npz and OUT/test.npz (`X`, `y`), the files every method reads.

`peers OUT SEED`: the peers on those files, printed as one JSON object of
{method: {"roc_auc": ..., "pr_auc": ...}} on the test part: PyOD's IForest
(unsupervised) and XGBOD (semi-supervised), CatBoost and scikit-learn's MLP (64, 64)
on the partial labels, imbalanced-learn's SMOTE + the same MLP, and SDV's CTGAN and TVAE
fitted to the labelled anomalies + the same MLP (not on sets of more than SDV_MAX_COLUMNS
columns). Synthesis adds anomalies up to 30% of the
training rows, as `pipelines/adbench.json` does.
"""
import json
import sys
import warnings

import numpy as np

CAP, TEST_SHARE, LABELLED_SHARE, ANOMALY_RATIO = 10_000, 0.3, 0.1, 0.3
# SDV's CTGAN and TVAE fit one mode model per column: on the 512-column MVTec embeddings one
# fit took over 20 minutes here, so they are left out of sets that wide.
SDV_MAX_COLUMNS = 100


def split(path, seed, out):
    data = np.load(path)
    x, y = data["X"].astype(np.float64), data["y"].astype(np.int64)
    rng = np.random.default_rng(seed)
    if len(y) > CAP:
        keep = np.concatenate([rng.choice(np.flatnonzero(y == c), int(round(CAP * np.mean(y == c))), replace=False) for c in (0, 1)])
        x, y = x[np.sort(keep)], y[np.sort(keep)]
    test = np.concatenate([rng.choice(np.flatnonzero(y == c), int(round(TEST_SHARE * np.sum(y == c))), replace=False) for c in (0, 1)])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[test] = True
    train_y = y[~is_test].copy()
    anomalies = np.flatnonzero(train_y == 1)
    labelled = rng.choice(anomalies, max(2, int(LABELLED_SHARE * len(anomalies))), replace=False)
    partial = np.zeros_like(train_y)
    partial[labelled] = 1
    np.savez(f"{out}/train.npz", X=x[~is_test], y=partial)
    np.savez(f"{out}/test.npz", X=x[is_test], y=y[is_test])


def metrics(y, scores):
    from sklearn.metrics import average_precision_score, roc_auc_score
    return {"roc_auc": float(roc_auc_score(y, scores)), "pr_auc": float(average_precision_score(y, scores))}


def synthetic_count(y):
    """Anomalies to add so that they make ANOMALY_RATIO of the rows."""
    return max(0, int(np.ceil((ANOMALY_RATIO * len(y) - y.sum()) / (1 - ANOMALY_RATIO))))


def peers(out, seed):
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler
    train, test = np.load(f"{out}/train.npz"), np.load(f"{out}/test.npz")
    scaler = StandardScaler().fit(train["X"])
    x, y = scaler.transform(train["X"]), train["y"]
    x_test, y_test = scaler.transform(test["X"]), test["y"]
    results = {}

    def mlp(features, labels):
        model = MLPClassifier((64, 64), max_iter=200, random_state=seed).fit(features, labels)
        return model.predict_proba(x_test)[:, 1]

    from pyod.models.iforest import IForest
    results["PyOD IForest"] = metrics(y_test, IForest(random_state=seed).fit(x).decision_function(x_test))
    from pyod.models.xgbod import XGBOD
    results["PyOD XGBOD"] = metrics(y_test, XGBOD(random_state=seed, n_jobs=1).fit(x, y).decision_function(x_test))
    from catboost import CatBoostClassifier
    boosted = CatBoostClassifier(verbose=0, random_seed=seed, thread_count=1, allow_writing_files=False).fit(x, y)
    results["CatBoost"] = metrics(y_test, boosted.predict_proba(x_test)[:, 1])
    results["scikit-learn MLP"] = metrics(y_test, mlp(x, y))
    from imblearn.over_sampling import SMOTE
    k = min(5, int(y.sum()) - 1)
    x_smote, y_smote = SMOTE(sampling_strategy=ANOMALY_RATIO / (1 - ANOMALY_RATIO), k_neighbors=k, random_state=seed).fit_resample(x, y)
    results["imbalanced-learn SMOTE + MLP"] = metrics(y_test, mlp(x_smote, y_smote))
    if x.shape[1] > SDV_MAX_COLUMNS:
        print(json.dumps(results))
        return
    import pandas as pd
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, TVAESynthesizer
    anomalies = pd.DataFrame(x[y == 1], columns=[f"x{i}" for i in range(x.shape[1])])
    metadata = Metadata.detect_from_dataframes({"anomalies": anomalies})
    for name, kind in [("SDV CTGAN + MLP", CTGANSynthesizer), ("SDV TVAE + MLP", TVAESynthesizer)]:
        import torch
        torch.manual_seed(seed)
        np.random.seed(seed)
        synthesizer = kind(metadata, batch_size=max(10, (len(anomalies) // 10) * 10), verbose=False)
        synthesizer.fit({"anomalies": anomalies})
        drawn = synthesizer.sample(synthetic_count(y))["anomalies"].to_numpy(dtype=np.float64)
        results[name] = metrics(y_test, mlp(np.vstack([x, drawn]), np.concatenate([y, np.ones(len(drawn), dtype=y.dtype)])))
    print(json.dumps(results))


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    if sys.argv[1] == "split":
        split(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        peers(sys.argv[2], int(sys.argv[3]))
