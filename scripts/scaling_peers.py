#!/usr/bin/env python3
"""Helpers of `make bench`'s scaling part (run in .venv-adbench: numpy, pandas, SDV).

    scaling_peers.py data MAGIC_NPZ ROWS OUT_CSV
        A fraud-style CSV of ROWS rows x 10 numeric columns and an `is_fraud` yes/no label
        (1% yes): rows of ADBench's MAGIC gamma telescope set (its 10 features; normal rows
        from its normal class, fraud from its anomalies) drawn with replacement, each with
        Gaussian noise of 5% of the column's standard deviation, so no row repeats.
    scaling_peers.py sdv CSV ROWS
        SDV 2.0's TVAE and CTGAN on the first ROWS rows of CSV (what one fold of
        compare-generators trains on), one thread: each fitted with 1 and with 5 epochs, the
        difference over 4 is one epoch without the fixed preprocessing; prints
        {"tvae": s, "ctgan": s} per epoch.
"""
import json
import sys
import time

import numpy as np


def make_data(source, rows, out):
    data = np.load(source)
    x, y = data["X"].astype(np.float64), data["y"].astype(int)
    rng = np.random.default_rng(7)
    anomalies = max(2, rows // 100)
    spread = x.std(axis=0)

    def draw(pool, n):
        picked = pool[rng.integers(0, len(pool), n)]
        return picked + rng.normal(0, 0.05, picked.shape) * spread

    features = np.vstack([draw(x[y == 0], rows - anomalies), draw(x[y == 1], anomalies)])
    labels = ["no"] * (rows - anomalies) + ["yes"] * anomalies
    with open(out, "w") as f:
        f.write(",".join(f"f{i}" for i in range(x.shape[1])) + ",is_fraud\n")
        for i in rng.permutation(rows):
            f.write(",".join(f"{v:.5g}" for v in features[i]) + f",{labels[i]}\n")


def sdv_epoch_seconds(csv, rows):
    import pandas as pd
    import torch
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, TVAESynthesizer
    torch.set_num_threads(1)
    frame = pd.read_csv(csv, nrows=rows)
    metadata = Metadata.detect_from_dataframes({"rows": frame})

    def fit_seconds(kind, epochs):
        synthesizer = kind(metadata, epochs=epochs, verbose=False)  # SDV's default batch: 500 rows
        start = time.perf_counter()
        synthesizer.fit({"rows": frame})
        return time.perf_counter() - start

    return {name: (fit_seconds(kind, 5) - fit_seconds(kind, 1)) / 4
            for name, kind in (("tvae", TVAESynthesizer), ("ctgan", CTGANSynthesizer))}


def main():
    if sys.argv[1] == "data":
        make_data(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "sdv":
        print(json.dumps(sdv_epoch_seconds(sys.argv[2], int(sys.argv[3]))))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
