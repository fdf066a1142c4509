#!/usr/bin/env python3
"""`make bench`: AnomSynth's figures beside its peers', measured in the same run.

- nn: for every model and thread count, `anomsynth bench nn --json` and the PyTorch
  reference (`../shared/bench/torch_reference.py`) with the same batch, batch cap,
  warm-up and repeats, one after the other.
- csv: a generated 1,000,000 x 30 numeric CSV (about 255 MB) read by
  `anomsynth bench csv` and by `pandas.read_csv(dtype=float32)`, each in a fresh
  process (peak memory is the process's), median of 5; then a mixed one (25 numeric, 3
  categorical columns and a text label) against pandas with those columns as categories.
- archive: the same data written as a dataset archive (tar + zstd) by
  `anomsynth bench archive`, and as the same three .npy files packed by
  `tar --zstd` (and unpacked), each writing a new file, median of 5.

- cache: a fully cached re-run of `pipelines/default.json` (`anomsynth run`) and the
  same no-op check by DVC (`dvc repro` on an equivalent two-stage dvc.yaml), median of 5.
- adbench: ADBench's semi-supervised protocol (10% of the training anomalies labelled) on
  every `.npz` of `../shared/datasets/adbench`, 3 seeds, `pipelines/adbench.json` beside
  PyOD's IForest and XGBOD, CatBoost, scikit-learn's MLP, SMOTE + MLP and SDV's CTGAN and
  TVAE + MLP on the same splits (`scripts/adbench_peers.py`, in `.venv-adbench`).
- scaling: `pipelines/compare-generators.json` (4 generators x 5 folds, 92 stages) on a
  fraud-style CSV of 2,000 / 10,000 / 50,000 / 200,000 rows x 10 columns
  (`scripts/scaling_peers.py data`: ADBench's MAGIC rows, 1% anomalies), `--jobs 2`, each
  run from an empty cache: seconds, peak memory, the dominant stage type; and one training
  epoch of our VAE and GAN beside SDV 2.0's TVAE and CTGAN on a fold's rows (2k and 10k).
- quality: `pipelines/benchmark.json` on every KEEL dataset of `../shared/datasets/keel`,
  5 stratified splits each, against scikit-learn's MLPClassifier(64, 64) with no
  augmentation and with imbalanced-learn's SMOTE on the same splits
  (`scripts/quality_peers.py`): mean ROC-AUC, PR-AUC, F1 and G-mean per dataset.

Peers are installed into `.venv-torch` on first use (torch==2.13.0, numpy, pandas), DVC
into `.venv-dvc`, scikit-learn and imbalanced-learn into `.venv-peers`.
Prints Markdown tables with ratios.
"""
import argparse
import json
import os
import subprocess
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Every part adds its headline figures here: (what, AnomSynth, peer, peer's name, AnomSynth / peer
# as "better" (higher is better for AnomSynth)); `main` prints them as the one summary table.
SUMMARY = []
TORCH_VENV = os.path.join(ROOT, ".venv-torch")
TORCH_PYTHON = os.path.join(TORCH_VENV, "bin", "python")


def ensure_venv(folder, imports, packages):
    """A venv at `folder` where `imports` work, created with `packages` when missing; its python."""
    python = os.path.join(folder, "bin", "python")
    probe = subprocess.run([python, "-c", f"import {imports}"], capture_output=True) if os.path.exists(python) else None
    if probe is None or probe.returncode != 0:
        print(f"bench: installing {' '.join(packages)} into {os.path.basename(folder)} (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", folder], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q"] + packages, check=True)
    return python


def ensure_peers():
    ensure_venv(TORCH_VENV, "torch, numpy, pandas", ["torch==2.13.0", "numpy", "pandas"])


DVC_VENV = os.path.join(ROOT, ".venv-dvc")


def ensure_dvc():
    ensure_venv(DVC_VENV, "dvc", ["dvc"])
    return os.path.join(DVC_VENV, "bin", "dvc")


def cache_benchmark(anomsynth, repeats=5):
    folder = os.path.join(ROOT, ".bench", "cache")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    pipeline = os.path.join(ROOT, "pipelines", "default.json")
    ours = ["--out", os.path.join(folder, "runs"), "--cache-dir", os.path.join(folder, "anomsynth-cache"), "--quiet"]
    stages = len(last_json(subprocess.run([anomsynth, "run", pipeline, "--json"] + ours, check=True, capture_output=True,
                                          text=True).stdout)["stages"])
    our_times = [timed([anomsynth, "run", pipeline] + ours) for _ in range(repeats)]

    dvc = ensure_dvc()
    project = os.path.join(folder, "dvc")
    os.makedirs(project)
    shutil.copy(os.path.join(ROOT, "data", "kddcup-rootkit-imap_vs_back.dat"), os.path.join(project, "kdd.dat"))
    with open(os.path.join(project, "dvc.yaml"), "w") as f:
        f.write(f"""stages:
  ingest:
    cmd: {anomsynth} ingest kdd.dat --out raw.tar.zst
    deps: [kdd.dat]
    outs: [raw.tar.zst]
  prep:
    cmd: {anomsynth} export raw.tar.zst --csv prep.csv
    deps: [raw.tar.zst]
    outs: [prep.csv]
""")
    quiet = dict(capture_output=True, check=True, cwd=project)
    subprocess.run(["git", "init", "-q"], **quiet)
    subprocess.run([dvc, "init", "-q"], **quiet)
    subprocess.run([dvc, "repro", "-q"], **quiet)
    import time
    dvc_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([dvc, "repro", "-q"], **quiet)
        dvc_times.append(time.perf_counter() - start)
    print(f"\nFully cached re-run of pipelines/default.json ({stages} stages) vs a two-stage dvc.yaml (median of {repeats})\n")
    print("| tool | seconds |")
    print("|---|---|")
    print(f"| anomsynth run pipelines/default.json (all {stages} stages cached) | {median(our_times):.3f} |")
    print(f"| dvc repro (no-op, equivalent dvc.yaml) | {median(dvc_times):.3f} |")
    print(f"\nAnomSynth / DVC speed: {median(dvc_times) / median(our_times):.1f}x")
    SUMMARY.append(("fully cached re-run of default.json, s", f"{median(our_times):.3f}", f"{median(dvc_times):.3f}",
                    "dvc repro (no-op)", median(dvc_times) / median(our_times)))


PEERS_VENV = os.path.join(ROOT, ".venv-peers")
PEERS_PYTHON = os.path.join(PEERS_VENV, "bin", "python")
METRICS = ["roc_auc", "pr_auc", "f1", "gmean"]


def ensure_quality_peers():
    ensure_venv(PEERS_VENV, "sklearn, imblearn, pandas, xgboost", ["scikit-learn", "imbalanced-learn", "pandas", "xgboost==1.7.4"])


KNN_SCRIPT = """
import sys, time, numpy as np
from sklearn.neighbors import NearestNeighbors
rows, width, k, threads = map(int, sys.argv[1:5])
rng = np.random.default_rng(5)
centres = 3 * rng.normal(size=(16, width))
X = (centres[np.arange(rows) % 16] + rng.normal(size=(rows, width))).astype(np.float32)
X[49::50] = X[48::50]
start = time.perf_counter()
NearestNeighbors(n_neighbors=k + 1, algorithm="brute", n_jobs=threads).fit(X).kneighbors(X)
print(time.perf_counter() - start)
"""


def knn_benchmark(anomsynth, rows=30_000, k=5):
    """Exact k nearest neighbours of every row among the rows (SMOTE's search): ours by each
    strategy (`anomsynth bench knn`, which checks they agree) beside scikit-learn's brute
    force (BLAS distances, approximate ties) on rows of the same shape."""
    ensure_quality_peers()
    print("\nExact nearest neighbours (every row's k=5 among the rows; seconds)\n")
    print("| rows x columns | threads | scan | k-d tree | blocked products | scikit-learn brute | blocked vs scikit-learn |")
    print("|---|---|---|---|---|---|---|")
    for width in (20, 64):
        for threads in (1, 2):
            ours = last_json(subprocess.run([anomsynth, "bench", "knn", "--rows", str(rows), "--width", str(width), "--k", str(k),
                                             "--threads", str(threads), "--json"], check=True, capture_output=True, text=True).stdout)
            theirs = float(subprocess.run([PEERS_PYTHON, "-c", KNN_SCRIPT, str(rows), str(width), str(k), str(threads)],
                                          check=True, capture_output=True, text=True).stdout.split()[-1])
            ratio = theirs / ours["blocked_seconds"]
            print(f"| {rows:,} x {width} | {threads} | {ours['scan_seconds']:.2f} | {ours['tree_seconds']:.2f} | "
                  f"{ours['blocked_seconds']:.2f} | {theirs:.2f} | {ratio:.2f}x |")
            SUMMARY.append((f"exact k-NN, {rows:,} x {width}, {threads} thread{'s' if threads > 1 else ''}, s",
                            f"{ours['blocked_seconds']:.2f}", f"{theirs:.2f}", "scikit-learn brute", ratio))


SCORE_PEER_SCRIPT = r"""
import json, struct, sys, time
import numpy as np, pandas as pd
kind, model_path, csv_path, out_path = sys.argv[1:5]
raw = open(model_path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
meta = header.pop("__metadata__")
steps = json.loads(meta["transform"])["steps"]
names = [c["name"] for c in json.loads(meta["transform"])["inputColumns"]]
def tensor(name):
    info = header[name]
    start, end = info["data_offsets"]
    return np.frombuffer(raw[8 + n + start:8 + n + end], dtype=np.float32).reshape(info["shape"])
if kind == "xgboost":
    import xgboost
    model = xgboost.Booster(params={"nthread": 1})
    model.load_model(bytearray(meta["xgboost_model"].encode()))
    predict = lambda X: model.predict(xgboost.DMatrix(X, nthread=1))
else:
    from sklearn.neural_network import MLPClassifier
    layers = sorted({k.split(".")[0] for k in header if k[0].isdigit()}, key=int)
    model = MLPClassifier(hidden_layer_sizes=[tensor(f"{l}.weight").shape[0] for l in layers[:-1]], activation="relu")
    model.coefs_ = [tensor(f"{l}.weight").T.astype(np.float32) for l in layers]
    model.intercepts_ = [tensor(f"{l}.bias").astype(np.float32) for l in layers]
    model.n_layers_, model.n_outputs_, model.out_activation_ = len(layers) + 1, 1, "logistic"
    model.classes_ = np.array([0, 1])
    predict = lambda X: model.predict_proba(X)[:, 1]
start = time.perf_counter()
frame = pd.read_csv(csv_path, dtype=np.float32)
X = frame[names].to_numpy(copy=True)
for j, step in enumerate(steps):
    X[:, j] = (X[:, j] - np.float32(step["scale"]["center"])) / np.float32(step["scale"]["scale"])
read = time.perf_counter()
scores = predict(X)
predicted = time.perf_counter()
pd.DataFrame({"score": scores}).to_csv(out_path, index=False)
print(json.dumps({"rows": len(X), "predict_seconds": predicted - read, "total_seconds": time.perf_counter() - start}))
"""


def score_benchmark(anomsynth, rows=1_000_000, columns=10):
    """`anomsynth score` of a CSV of `rows` x `columns` numbers at one thread (read, preprocess,
    score, write), against the same model's own library doing the same (pandas read, the same
    standardization, XGBoost's predict / scikit-learn's MLP with our weights, CSV write), and
    its predict alone."""
    ensure_quality_peers()
    folder = os.path.join(ROOT, ".build", "bench", "score")
    os.makedirs(folder, exist_ok=True)
    big, small = os.path.join(folder, "score.csv"), os.path.join(folder, "train.csv")
    if not os.path.exists(big):
        import random
        rng = random.Random(7)
        header = ",".join(f"x{j}" for j in range(columns)) + ",label\n"
        for path, count in ((small, 50_000), (big, rows)):
            with open(path, "w") as f:
                f.write(header)
                for _ in range(count):
                    anomaly = rng.random() < 0.05
                    values = [rng.gauss(2.0 if anomaly and j < 3 else 0.0, 1.0) for j in range(columns)]
                    f.write(",".join(f"{v:.5f}" for v in values) + f",{int(anomaly)}\n")
    pipeline = os.path.join(folder, "p.json")
    with open(pipeline, "w") as f:
        json.dump({"name": "score", "seed": 1, "stages": [
            {"id": "raw", "type": "ingest", "params": {"path": small, "label": {"column": "label"}}},
            {"id": "prep", "type": "preprocess", "inputs": {"data": "raw"}, "params": {"split": {"test_fraction": 0.1}}},
            {"id": "xgboost", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "xgboost"}},
            {"id": "mlp", "type": "train_detector", "inputs": {"data": "prep.train"}, "params": {"model": "mlp", "epochs": 5}}]}, f)
    subprocess.run([anomsynth, "run", pipeline, "--quiet", "--out", os.path.join(folder, "runs"), "--cache-dir", os.path.join(folder, "cache")], check=True)
    print(f"\nScoring a {rows:,} x {columns} CSV at one thread (read, preprocess, score, write; rows/s, median of 3)\n")
    print("| model | AnomSynth score | peer (same model, same steps) | peer's predict alone | vs peer |")
    print("|---|---|---|---|---|")
    for kind, peer in (("xgboost", "XGBoost"), ("mlp", "scikit-learn")):
        model = os.path.join(folder, "runs", "score", kind, "detector.safetensors")
        ours = median([timed([anomsynth, "score", model, big, "--label", "label", "--threads", "1", "--out", os.path.join(folder, f"{kind}.csv")])
                       for _ in range(3)])
        runs = [json.loads(subprocess.run([PEERS_PYTHON, "-c", SCORE_PEER_SCRIPT, kind, model, big, os.path.join(folder, f"{kind}-peer.csv")],
                                          check=True, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1")).stdout.split("\n")[-2])
                for _ in range(3)]
        theirs, predict_only = median([r["total_seconds"] for r in runs]), median([r["predict_seconds"] for r in runs])
        print(f"| {kind} | {rows / ours:,.0f} | {rows / theirs:,.0f} | {rows / predict_only:,.0f} | {theirs / ours:.2f}x |")
        SUMMARY.append((f"score a {rows:,} x {columns} CSV, {kind}, 1 thread, rows/s", f"{rows / ours:,.0f}", f"{rows / theirs:,.0f}", peer, theirs / ours))


def mnist_benchmark(anomsynth):
    """`anomsynth run pipelines/mnist.json` as the README runs it: default settings (every core
    the process may use), empty cache; wall clock, peak memory and where the stage time went."""
    folder = os.path.join(ROOT, ".build", "bench", "mnist")
    for leftover in ("cache", "runs"):
        shutil.rmtree(os.path.join(folder, leftover), ignore_errors=True)
    os.makedirs(folder, exist_ok=True)
    summary_path = os.path.join(folder, "summary.json")
    status, seconds, peak = run_measured([anomsynth, "run", os.path.join(ROOT, "pipelines", "mnist.json"), "--json",
                                          "--cache-dir", os.path.join(folder, "cache"), "--out", os.path.join(folder, "runs")],
                                         summary_path, os.path.join(folder, "progress.jsonl"))
    with open(summary_path) as f:
        summary = last_json(f.read())
    if status not in (0, 3):
        raise SystemExit(f"bench: mnist.json failed: {[s.get('error') for s in summary['stages'] if s.get('error')]}")
    by_type = {}
    for stage in summary["stages"]:
        kind = stage["id"].split("@")[0]
        by_type[kind] = by_type.get(kind, 0) + stage["seconds"]
    print("\npipelines/mnist.json, default settings, empty cache\n")
    print("| wall clock, s | peak MiB | stage seconds by stage (largest first) |")
    print("|---|---|---|")
    print(f"| {seconds:.0f} | {peak:.0f} | " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])[:6]) + " |")
    SUMMARY.append(("pipelines/mnist.json, default settings, s", f"{seconds:.0f}", "180", "the goal", 180 / seconds))


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else float("nan")


QUALITY_SEEDS = (1, 2, 3)


ADBENCH_VENV = os.path.join(ROOT, ".venv-adbench")
ADBENCH_SEEDS = (0, 1, 2)


def ensure_adbench_venv():
    """The venv of the ADBench and scaling peers (PyOD, CatBoost, imbalanced-learn, XGBoost, SDV); its python."""
    return ensure_venv(ADBENCH_VENV, "pyod, catboost, imblearn, sdv, xgboost",
                       ["numpy", "scikit-learn", "pyod", "catboost", "imbalanced-learn", "xgboost==1.7.4", "sdv"])
ADBENCH_METRICS = ["roc_auc", "pr_auc"]


def adbench_benchmark(anomsynth, datasets):
    """ADBench's semi-supervised protocol (`scripts/adbench_peers.py`) on each `.npz` of
    `datasets` for every seed in `ADBENCH_SEEDS`: the split is written once and read by
    `pipelines/adbench.json` (pipeline seed = the split's seed) and by every peer."""
    from concurrent.futures import ThreadPoolExecutor
    python = ensure_adbench_venv()
    helper = os.path.join(ROOT, "scripts", "adbench_peers.py")
    folder = os.path.join(ROOT, ".bench", "adbench")
    names = [os.path.splitext(os.path.basename(dataset))[0] for dataset in datasets]

    def job(dataset, name, seed):
        split = os.path.join(folder, "splits", f"{name}-seed{seed}")
        os.makedirs(split, exist_ok=True)
        if not os.path.exists(os.path.join(split, "test.npz")):
            subprocess.run([python, helper, "split", dataset, str(seed), split], check=True)
        run = subprocess.run([anomsynth, "run", os.path.join(ROOT, "pipelines", "adbench.json"),
                              "--set", f"train.params.path={split}/train.npz", "--set", f"test.params.path={split}/test.npz",
                              "--set", f"seed={seed + 1}", "--quiet", "--json", "--cache-dir", os.path.join(folder, "cache"),
                              "--out", os.path.join(folder, "runs", f"{name}-seed{seed}")], capture_output=True, text=True)
        summary = last_json(run.stdout)
        if summary["status"] != "succeeded":
            raise SystemExit(f"bench: adbench.json failed on {name} seed {seed}: {run.stderr}")
        with open(summary["metrics"][0]) as f:
            document = json.load(f)
        ours = {("AnomSynth", "auto" if r["variant"] == "auto" else f"{r['variant']} + {r['detector']}"):
                {m: r[m] for m in ADBENCH_METRICS} for r in document["results"]}
        chosen = next(r["chosen"][0] for r in document["results"] if r["variant"] == "auto")
        # The peers' results are kept beside the split (they do not depend on AnomSynth): a rerun after a
        # change to AnomSynth measures only AnomSynth again. Delete .bench/adbench/splits to redo them.
        cached = os.path.join(split, "peers.json")
        if os.path.exists(cached):
            with open(cached) as f:
                peers = json.load(f)
        else:
            run = subprocess.run([python, helper, "peers", split, str(seed)], capture_output=True, text=True)
            if run.returncode != 0:
                raise SystemExit(f"bench: the ADBench peers failed on {name} seed {seed}: {run.stderr[-2000:]}")
            peers = last_json(run.stdout)  # XGBOD's XGBoost prints a warning of its own to stdout
            with open(cached, "w") as f:
                json.dump(peers, f)
        print(f"bench: adbench {name} seed {seed}: auto ({chosen}) PR-AUC {ours[('AnomSynth', 'auto')]['pr_auc']:.3f}, "
              f"CatBoost {peers['CatBoost']['pr_auc']:.3f}, XGBOD {peers['PyOD XGBOD']['pr_auc']:.3f}", file=sys.stderr)
        return name, seed, chosen, {**ours, **{("peer", method): values for method, values in peers.items()}}

    # Two jobs at a time (the machine's cores); the peers use one thread each.
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda args: job(*args), [(d, n, s) for d, n in zip(datasets, names) for s in ADBENCH_SEEDS]))
    methods = sorted({key for *_, scores in results for key in scores}, key=lambda k: (k[0] != "AnomSynth", k[1] != "auto", k[1]))
    # A method left out of a dataset (SDV on the 512-column sets) has no value there (None).
    table = {name: {key: {m: (mean([scores[key][m] for n, _, _, scores in results if n == name and key in scores])
                              if any(n == name and key in scores for n, _, _, scores in results) else None)
                          for m in ADBENCH_METRICS} for key in methods} for name in names}
    with open(os.path.join(folder, "results.json"), "w") as f:
        json.dump([{"dataset": n, "seed": s, "chosen": c, "scores": {f"{who}: {what}": v for (who, what), v in scores.items()}}
                   for n, s, c, scores in results], f, indent=1)
    short = [name.split("_", 1)[-1] for name in names]
    print(f"\nADBench semi-supervised protocol (10% labelled anomalies), {len(ADBENCH_SEEDS)} seeds, mean; "
          "`auto`: the ensemble of the five variants and detectors best on validation rows\n")
    for metric in ADBENCH_METRICS:
        print(f"\n| {metric} | " + " | ".join(short) + " | **mean** |")
        print("|---" * (len(names) + 2) + "|")
        for key in methods:
            values = [table[name][key][metric] for name in names]
            present = [v for v in values if v is not None]
            note = "" if len(present) == len(values) else f" ({len(present)} sets)"
            print(f"| {key[0]} {key[1]} | " + " | ".join("–" if v is None else f"{v:.3f}" for v in values)
                  + f" | **{mean(present):.3f}**{note} |")
    auto = mean([table[name][("AnomSynth", "auto")]["pr_auc"] for name in names])
    for peer in ("CatBoost", "PyOD XGBOD"):
        theirs = mean([table[name][("peer", peer)]["pr_auc"] for name in names])
        SUMMARY.append((f"ADBench mean PR-AUC, auto vs {peer}", f"{auto:.3f}", f"{theirs:.3f}", peer, auto / theirs))
    for detector in ("xgboost", "mlp"):
        deep = sum(1 for name in names if table[name][("AnomSynth", f"vae + {detector}")]["pr_auc"] > table[name][("AnomSynth", f"smote + {detector}")]["pr_auc"])
        print(f"\nVAE synthesis beats SMOTE (PR-AUC, {detector}) on {deep} of {len(names)} datasets")


SCALING_ROWS = (2_000, 10_000, 50_000, 200_000)
SDV_SCALING_ROWS = (2_000, 10_000)


def run_measured(command, stdout, stderr):
    """Runs `command` with its output in files; its seconds and its own peak memory (MiB)."""
    import time
    with open(stdout, "w") as out, open(stderr, "w") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, seconds, usage.ru_maxrss / 1024


def generator_epochs(rows, epochs=150, batch=128, max_steps=20_000):
    """Epochs compare-generators' train_generator runs on `rows` (its epochs, capped by the
    default max_steps), counting a cut last epoch in part."""
    per_epoch = -(-rows // batch)
    return min(epochs * per_epoch, max_steps) / per_epoch


def scaling_benchmark(anomsynth, magic):
    python = ensure_adbench_venv()
    helper = os.path.join(ROOT, "scripts", "scaling_peers.py")
    folder = os.path.join(ROOT, ".bench", "scaling")
    os.makedirs(folder, exist_ok=True)
    runs, epochs = [], []
    for rows in SCALING_ROWS:
        csv = os.path.join(folder, f"rows-{rows}.csv")
        if not os.path.exists(csv):
            subprocess.run([python, helper, "data", magic, str(rows), csv], check=True)
        for leftover in ("cache", "runs"):
            shutil.rmtree(os.path.join(folder, leftover), ignore_errors=True)
        status, seconds, peak = run_measured(
            [anomsynth, "run", os.path.join(ROOT, "pipelines", "compare-generators.json"), "--set", f"raw.params.path={csv}",
             "--set", "raw.params.label.column=is_fraud", "--set", 'raw.params.label.positive=["yes"]', "--json",
             "--cache-dir", os.path.join(folder, "cache"), "--out", os.path.join(folder, "runs")],
            os.path.join(folder, f"summary-{rows}.json"), os.path.join(folder, f"progress-{rows}.jsonl"))
        with open(os.path.join(folder, f"summary-{rows}.json")) as f:
            summary = last_json(f.read())
        if status != 0 or summary["status"] != "succeeded":
            raise SystemExit(f"bench: compare-generators failed on {rows} rows: {[s.get('error') for s in summary['stages'] if s.get('error')]}")
        by_type = {}
        for stage in summary["stages"]:
            kind = stage["id"].split("@")[0]
            by_type[kind] = by_type.get(kind, 0) + stage["seconds"]
        dominant = max(by_type, key=by_type.get)
        runs.append((rows, seconds, peak, dominant, by_type[dominant] / sum(by_type.values())))
        fold_rows = rows - rows // 5
        per_model = {model: mean([s["seconds"] for s in summary["stages"] if s["id"].startswith(f"gen@model={model},")])
                     / generator_epochs(fold_rows) for model in ("vae", "gan")}
        print(f"bench: scaling {rows} rows: {seconds:.0f} s, peak {peak:.0f} MiB, {dominant} {by_type[dominant]:.0f} s", file=sys.stderr)
        if rows in SDV_SCALING_ROWS:
            sdv = last_json(subprocess.run([python, helper, "sdv", csv, str(fold_rows)], check=True, capture_output=True, text=True).stdout)
            epochs.append((fold_rows, per_model, sdv))
    print("\ncompare-generators (4 generators x 5 folds, 92 stages) on a fraud-style CSV, 10 numeric columns, 1% anomalies, "
          "default settings (no --jobs or --threads: every core the process may use), empty cache\n")
    print("| rows | seconds | per 1,000 rows | peak MiB | dominant stage type (share of stage time) |")
    print("|---|---|---|---|---|")
    for rows, seconds, peak, dominant, share in runs:
        print(f"| {rows:,} | {seconds:.0f} | {seconds / rows * 1000:.2f} | {peak:.0f} | {dominant} ({share:.0%}) |")
    print("\nOne training epoch on a fold's rows (seconds; SDV fitted with 5 and 1 epochs, the difference over 4; one thread)\n")
    print("| rows | our VAE | SDV TVAE | VAE advantage | our GAN | SDV CTGAN | GAN advantage |")
    print("|---|---|---|---|---|---|---|")
    for rows, ours, sdv in epochs:
        print(f"| {rows:,} | {ours['vae']:.3f} | {sdv['tvae']:.2f} | {sdv['tvae'] / ours['vae']:.0f}x | "
              f"{ours['gan']:.3f} | {sdv['ctgan']:.2f} | {sdv['ctgan'] / ours['gan']:.0f}x |")
    largest = runs[-1]
    SUMMARY.append((f"compare-generators on {largest[0]:,} rows, s (goal < 600)", f"{largest[1]:.0f}", "600", "the goal", 600 / largest[1]))
    if epochs:
        rows, ours, sdv = epochs[-1]
        SUMMARY.append((f"VAE epoch on {rows:,} rows, s", f"{ours['vae']:.3f}", f"{sdv['tvae']:.2f}", "SDV TVAE", sdv["tvae"] / ours["vae"]))


def quality_benchmark(anomsynth, datasets, overrides=()):
    """Per dataset and split, each metric is the mean over `QUALITY_SEEDS` pipeline seeds
    (`--set seed=N`: generators, synthetic rows and detectors all change) and, for the
    peers, over as many random states; then the mean over the 5 splits."""
    from concurrent.futures import ThreadPoolExecutor
    ensure_quality_peers()
    folder = os.path.join(ROOT, ".bench", "quality")
    pipeline = os.path.join(ROOT, "pipelines", "benchmark.json")
    ours_variants = ["none", "smote", "gan", "vae", "flow"]
    names = [os.path.splitext(os.path.basename(dataset))[0] for dataset in datasets]

    def peer(dataset, name):
        return json.loads(subprocess.run([PEERS_PYTHON, os.path.join(ROOT, "scripts", "quality_peers.py"), dataset,
                                          os.path.join(folder, name)], check=True, capture_output=True, text=True).stdout)

    def ours(name, k, fold, seed):
        run = subprocess.run([anomsynth, "run", pipeline, "--set", f"train.params.path={fold['train']}",
                              "--set", f"test.params.path={fold['test']}", "--set", f"seed={seed}", "--quiet", "--json",
                              *[argument for override in overrides for argument in ("--set", override)],
                              "--cache-dir", os.path.join(folder, "cache"), "--out", os.path.join(folder, "runs", f"{name}-{k}-seed{seed}")],
                             capture_output=True, text=True)
        summary = last_json(run.stdout)
        if summary["status"] != "succeeded":
            raise SystemExit(f"bench: benchmark.json failed on {name} fold {k} seed {seed}: {run.stderr}")
        with open(summary["metrics"][0]) as f:
            return [result for result in json.load(f)["results"] if result["detector"] == "mlp"]

    # Two processes at a time (the machine's cores); each run is single-threaded enough.
    with ThreadPoolExecutor(2) as pool:
        peers = dict(zip(names, pool.map(peer, datasets, names)))
        jobs = [(name, k, fold, seed) for name in names for k, fold in enumerate(peers[name]["folds"]) for seed in QUALITY_SEEDS]
        runs = list(pool.map(lambda job: ours(*job), jobs))
    table = {}
    for name in names:
        scores = {("peer", "none"): [fold["none"] for fold in peers[name]["folds"]],
                  ("peer", "smote"): [fold["smote"] for fold in peers[name]["folds"]]}
        for k in range(len(peers[name]["folds"])):
            for variant in ours_variants:
                per_seed = [result for job, results in zip(jobs, runs) if job[:2] == (name, k)
                            for result in results if result["variant"] == variant]
                scores.setdefault(("anomsynth", variant), []).append({m: mean([r[m] for r in per_seed]) for m in METRICS})
        table[name] = {key: {m: mean([fold[m] for fold in folds]) for m in METRICS} for key, folds in scores.items()}
        print(f"bench: quality {name}: PR-AUC none {table[name][('peer', 'none')]['pr_auc']:.3f}, "
              f"SMOTE {table[name][('peer', 'smote')]['pr_auc']:.3f}, ours "
              + ", ".join(f"{v} {table[name][('anomsynth', v)]['pr_auc']:.3f}" for v in ours_variants), file=sys.stderr)
    columns = [("peer", "none"), ("peer", "smote")] + [("anomsynth", v) for v in ours_variants]
    print(f"\nDetection quality: MLP(64, 64), 5 stratified splits per dataset x {len(QUALITY_SEEDS)} seeds, mean\n")
    for metric in METRICS:
        print(f"\n{metric} | " + " | ".join(f"{who} {v}" for who, v in columns))
        print("|---" * (len(columns) + 1) + "|")
        for name, row in table.items():
            print(f"| {name} | " + " | ".join(f"{row[c][metric]:.3f}" for c in columns) + " |")
        print("| **mean** | " + " | ".join(f"**{mean([row[c][metric] for row in table.values()]):.3f}**" for c in columns) + " |")
    generators = [("anomsynth", v) for v in ours_variants if v != "none"]
    best = max(generators, key=lambda c: mean([row[c]["pr_auc"] for row in table.values()]))

    def wins(column, metric):
        return sum(1 for row in table.values()
                   if row[column][metric] > row[("peer", "none")][metric] and row[column][metric] > row[("peer", "smote")][metric])
    def beats_own_none(column, metric):
        return sum(1 for row in table.values() if row[column][metric] > row[("anomsynth", "none")][metric])
    print(f"\nDatasets (of {len(table)}) where an AnomSynth variant beats both peers (no augmentation and SMOTE),"
          " and where it beats AnomSynth's own detector without augmentation\n")
    print("| variant | PR-AUC: beats both peers | G-mean: beats both peers | PR-AUC: beats own none | G-mean: beats own none |")
    print("|---|---|---|---|---|")
    for column in [("anomsynth", v) for v in ours_variants]:
        print(f"| {column[1]} | {wins(column, 'pr_auc')} | {wins(column, 'gmean')} | "
              f"{beats_own_none(column, 'pr_auc') if column[1] != 'none' else '–'} | {beats_own_none(column, 'gmean') if column[1] != 'none' else '–'} |")
    print(f"\nBest AnomSynth generator by mean PR-AUC: {best[1]}.")
    print("(F1 and G-mean at the classifiers' own boundary, probability 0.5: the peers' predict(), benchmark.json's `decision` rule.)")
    for metric, label in (("pr_auc", "PR-AUC"), ("gmean", "G-mean")):
        ours = mean([row[best][metric] for row in table.values()])
        for peer in ("none", "smote"):
            theirs = mean([row[("peer", peer)][metric] for row in table.values()])
            SUMMARY.append((f"mean {label}, {len(table)} KEEL sets x 5 splits, MLP(64, 64) + {best[1]}", f"{ours:.3f}",
                            f"{theirs:.3f}", "sklearn MLP" + (" + imblearn SMOTE" if peer == "smote" else ", no augmentation"),
                            ours / theirs))


def median(values):
    return sorted(values)[len(values) // 2]


PANDAS_READ = """
import json, resource, sys, time
import pandas as pd
# Numbers as float32 and text columns as pandas categories: the same result as ours.
mixed = {"proto": "category", "service": "category", "flag": "category", "label": "category"}
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1], dtype=mixed if sys.argv[2] == "mixed" else "float32")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": frame.shape[0]}))
"""

MAKE_MIXED_CSV = """
import sys, numpy as np, pandas as pd
rng = np.random.default_rng(1)
n = 1_000_000
frame = pd.DataFrame(rng.standard_normal((n, 25)).astype(np.float32), columns=[f"f{i}" for i in range(25)])
frame["proto"] = rng.choice(["tcp", "udp", "icmp"], n)
frame["service"] = rng.choice([f"svc{i}" for i in range(60)], n)
frame["flag"] = rng.choice(["SF", "S0", "REJ", "RSTO"], n)
frame["label"] = np.where(rng.random(n) < 0.05, "attack", "normal")
frame.to_csv(sys.argv[1], index=False, float_format="%.5f")
"""

MAKE_CSV = """
import sys, numpy as np
rng = np.random.default_rng(0)
x = rng.standard_normal((1_000_000, 30)).astype(np.float32)
np.savetxt(sys.argv[1], x, fmt="%.5f", delimiter=",", header=",".join(f"f{i}" for i in range(30)), comments="")
"""

SAVE_NPY = """
import sys, numpy as np, pandas as pd
x = pd.read_csv(sys.argv[1], dtype="float32").to_numpy()
np.save(sys.argv[2] + "/features.npy", x)
np.save(sys.argv[2] + "/labels.npy", np.zeros(len(x), np.uint8))
np.save(sys.argv[2] + "/provenance.npy", np.zeros(len(x), np.int32))
"""


def timed(command):
    import time
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def csv_benchmark(anomsynth, csv, kind, repeats):
    """Our reader and pandas on one CSV, alternately in fresh processes; prints the table."""
    megabytes = os.path.getsize(csv) / 1e6
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(last_json(subprocess.run([anomsynth, "bench", "csv", csv, "--json"], check=True,
                                             capture_output=True, text=True).stdout))
        theirs.append(last_json(subprocess.run([TORCH_PYTHON, "-c", PANDAS_READ, csv, kind], check=True,
                                               capture_output=True, text=True).stdout))
    our_seconds, their_seconds = median([r["seconds"] for r in ours]), median([r["seconds"] for r in theirs])
    matrix = ours[0]["matrix_mib"]
    what = "25 numeric + 3 categorical columns and a text label" if kind == "mixed" else "30 numeric columns"
    print(f"\nCSV ingest, {megabytes:.0f} MB, 1,000,000 rows of {what} (median of {repeats}; float32 matrix {matrix:.0f} MiB)\n")
    print("| reader | MB/s | seconds | peak MiB | peak / matrix |")
    print("|---|---|---|---|---|")
    pandas = "pandas.read_csv(dtype=float32" + (" / category)" if kind == "mixed" else ")")
    for name, seconds, runs in (("anomsynth bench csv", our_seconds, ours), (pandas, their_seconds, theirs)):
        peak = median([r["peak_rss_mib"] for r in runs])
        print(f"| {name} | {megabytes / seconds:,.0f} | {seconds:.2f} | {peak:.0f} | {peak / matrix:.2f}x |")
    print(f"\nAnomSynth / pandas speed: {their_seconds / our_seconds:.2f}x")
    SUMMARY.append((f"CSV ingest ({kind}), MB/s", f"{megabytes / our_seconds:,.0f}", f"{megabytes / their_seconds:,.0f}",
                    "pandas.read_csv", their_seconds / our_seconds))


def data_benchmarks(anomsynth, repeats):
    ensure_peers()
    folder = os.path.join(ROOT, ".bench")
    os.makedirs(folder, exist_ok=True)
    csv, mixed = os.path.join(folder, "numeric-1m-x30.csv"), os.path.join(folder, "mixed-1m.csv")
    for path, script in ((csv, MAKE_CSV), (mixed, MAKE_MIXED_CSV)):
        if not os.path.exists(path):
            print(f"bench: generating {os.path.basename(path)}", file=sys.stderr)
            subprocess.run([TORCH_PYTHON, "-c", script, path], check=True)
    csv_benchmark(anomsynth, csv, "numeric", repeats)
    csv_benchmark(anomsynth, mixed, "mixed", repeats)

    archive = os.path.join(folder, "bench.tar.zst")
    npy_folder = os.path.join(folder, "npy")
    os.makedirs(npy_folder, exist_ok=True)
    subprocess.run([TORCH_PYTHON, "-c", SAVE_NPY, csv, npy_folder], check=True)
    tarball = os.path.join(folder, "peer.tar.zst")
    extract = os.path.join(folder, "extract")
    os.makedirs(extract, exist_ok=True)
    ours, tar_write, tar_read = [], [], []
    def fresh(path):
        # Each writer writes a new file (as the cache does), after the last one's pages are on
        # disk: replacing a file, or dirty pages left by the one before, make the file system
        # charge whoever writes next (on ext4 mounted with `discard`, 30-75 ms to either side).
        if os.path.exists(path):
            os.remove(path)
        os.sync()

    for _ in range(repeats):
        fresh(archive)
        ours.append(last_json(subprocess.run([anomsynth, "bench", "archive", csv, "--out", archive, "--json"], check=True,
                                             capture_output=True, text=True).stdout))
        fresh(tarball)
        tar_write.append(timed(["tar", "--zstd", "-cf", tarball, "-C", npy_folder, "features.npy", "labels.npy", "provenance.npy"]))
        os.sync()
        tar_read.append(timed(["tar", "--zstd", "-xf", tarball, "-C", extract]))
    print(f"\nDataset archive of the same data, zstd (median of {repeats})\n")
    print("| writer | write s | read s | MB |")
    print("|---|---|---|---|")
    our_write, our_read = median([r["write_seconds"] for r in ours]), median([r["read_seconds"] for r in ours])
    print(f"| AnomSynth archive (+ manifest, SHA-256 of every member) | {our_write:.2f} | "
          f"{our_read:.2f} | {ours[0]['bytes'] / 1e6:.1f} |")
    print(f"| tar --zstd of the three .npy files | {median(tar_write):.2f} | {median(tar_read):.2f} | "
          f"{os.path.getsize(tarball) / 1e6:.1f} |")
    print(f"\nAnomSynth / tar+zstd write speed: {median(tar_write) / our_write:.2f}x")
    print(f"AnomSynth / tar+zstd read speed: {median(tar_read) / our_read:.2f}x")
    SUMMARY.append(("dataset archive write, s", f"{our_write:.2f}", f"{median(tar_write):.2f}", "tar --zstd",
                    median(tar_write) / our_write))
    SUMMARY.append(("dataset archive read, s", f"{our_read:.2f}", f"{median(tar_read):.2f}", "tar --zstd -x",
                    median(tar_read) / our_read))


def last_json(output):
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"bench: no JSON in output:\n{output}")
    return json.loads(lines[-1])


def print_summary():
    if not SUMMARY:
        return
    print("\nSummary: each figure beside its peer's, measured in this run\n")
    print("| figure | AnomSynth | peer | peer figure | AnomSynth advantage |")
    print("|---|---|---|---|---|")
    for what, ours, theirs, peer, ratio in SUMMARY:
        print(f"| {what} | {ours} | {peer} | {theirs} | {ratio:.2f}x |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--anomsynth", default=os.path.join(ROOT, ".build/release/anomsynth"))
    parser.add_argument("--torch-reference", default=os.path.join(ROOT, "..", "shared", "bench", "torch_reference.py"))
    parser.add_argument("--models", default="ae,gan,vae,realnvp,dcgan,conv_ae")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--max-batches", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["mnist", "score", "knn", "scaling", "adbench", "quality", "cache", "data", "nn"], help="run one part")
    parser.add_argument("--adbench", default=os.path.join(ROOT, "..", "shared", "datasets", "adbench"),
                        help="the folder of ADBench .npz files for the adbench part")
    parser.add_argument("--datasets", default=os.path.join(ROOT, "..", "shared", "datasets", "keel"),
                        help="the folder of KEEL .dat files for the quality part")
    parser.add_argument("--set", action="append", default=[], metavar="STAGE.params.KEY=VALUE",
                        help="quality part: an override for pipelines/benchmark.json (repeatable)")
    args = parser.parse_args()
    args.anomsynth = os.path.abspath(args.anomsynth)  # the DVC stages run in another folder
    try:
        run_parts(args)
    finally:
        print_summary()


def run_parts(args):
    """Every part in order, or the one `--only` names."""
    adbench = lambda: sorted(os.path.join(args.adbench, f) for f in os.listdir(args.adbench) if f.endswith(".npz"))
    keel = lambda: sorted(os.path.join(args.datasets, f) for f in os.listdir(args.datasets) if f.endswith(".dat"))
    parts = [
        ("mnist", lambda: mnist_benchmark(args.anomsynth)),
        ("score", lambda: score_benchmark(args.anomsynth)),
        ("knn", lambda: knn_benchmark(args.anomsynth)),
        ("scaling", lambda: scaling_benchmark(args.anomsynth, os.path.join(args.adbench, "22_magic.gamma.npz"))),
        ("adbench", lambda: adbench_benchmark(args.anomsynth, adbench())),
        ("quality", lambda: quality_benchmark(args.anomsynth, keel(), args.set)),
        ("cache", lambda: cache_benchmark(args.anomsynth)),
        ("data", lambda: data_benchmarks(args.anomsynth, max(5, args.repeats))),
        ("nn", lambda: nn_benchmark(args)),
    ]
    for name, run in parts:
        if args.only in (None, name):
            run()


def nn_benchmark(args):
    """Training speed against PyTorch (`torch_reference.py`, `scripts/torch_conv_ae.py`), same
    batches and threads, and the flow's sampling."""
    ensure_peers()
    common = ["--max-batches", str(args.max_batches), "--warmup", str(args.warmup), "--repeats", str(args.repeats)]
    rows, sampling = [], []
    for model in args.models.split(","):
        for threads in [int(t) for t in args.threads.split(",")]:
            ours = last_json(subprocess.run(
                [args.anomsynth, "bench", "nn", "--model", model, "--threads", str(threads), "--json"] + common,
                check=True, capture_output=True, text=True).stdout)
            env = dict(os.environ)
            # conv_ae has no model in the shared reference: scripts/torch_conv_ae.py adds it to the same harness.
            reference = [os.path.join(ROOT, "scripts", "torch_conv_ae.py")] if model == "conv_ae" else [args.torch_reference, model]
            env["TORCH_REFERENCE_DIR"] = os.path.dirname(os.path.abspath(args.torch_reference))
            theirs = last_json(subprocess.run(
                [TORCH_PYTHON] + reference + ["--threads", str(threads)] + common,
                check=True, capture_output=True, text=True, env=env).stdout)
            ratio = ours["samples_per_second"] / theirs["samples_per_sec"]["median"]
            rows.append((model, threads, ours["samples_per_second"], theirs["samples_per_sec"]["median"], ratio,
                         ours["peak_rss_mib"], theirs["peak_rss_mib"]))
            if "sample_seconds" in ours and "sample_sec" in theirs:
                sampling.append((model, threads, ours["sample_seconds"], theirs["sample_sec"]["median"], theirs["sample_rows"]))
            print(f"bench: {model} threads={threads}: {ratio:.2f}x PyTorch", file=sys.stderr)
            SUMMARY.append((f"{model} training, samples/s, {threads} thread{'s' if threads > 1 else ''}",
                            f"{ours['samples_per_second']:,.0f}", f"{theirs['samples_per_sec']['median']:,.0f}", "PyTorch", ratio))

    print("\nTraining speed (samples/s, median of repeats)\n")
    print("| model | threads | AnomSynth samples/s | PyTorch samples/s | ratio | peak MiB (AnomSynth / PyTorch) |")
    print("|---|---|---|---|---|---|")
    for model, threads, ours, theirs, ratio, rss, torch_rss in rows:
        print(f"| {model} | {threads} | {ours:,.0f} | {theirs:,.0f} | {ratio:.2f}x | {rss:.0f} / {torch_rss:.0f} |")
    if sampling:
        print("\nSampling from the trained flow (seconds for the whole training set's row count, chunks of 10,000)\n")
        print("| model | threads | rows | AnomSynth s | PyTorch s | ratio |")
        print("|---|---|---|---|---|---|")
        for model, threads, ours, theirs, count in sampling:
            print(f"| {model} | {threads} | {count:,} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.2f}x |")


if __name__ == "__main__":
    main()
