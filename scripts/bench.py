#!/usr/bin/env python3
"""`make bench`: AnomSynth's training speed beside PyTorch's, measured in the same run.

For every model and thread count, runs `anomsynth bench nn --json` and the PyTorch
reference (`../shared/bench/torch_reference.py`) with the same batch, batch cap,
warm-up and repeats, one after the other, and prints a Markdown table with ratios.
PyTorch is installed into `.venv-torch` on first use (torch==2.13.0, CPU wheel).
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TORCH_VENV = os.path.join(ROOT, ".venv-torch")
TORCH_PYTHON = os.path.join(TORCH_VENV, "bin", "python")


def ensure_torch():
    probe = subprocess.run([TORCH_PYTHON, "-c", "import torch, numpy"], capture_output=True) \
        if os.path.exists(TORCH_PYTHON) else None
    if probe is None or probe.returncode != 0:
        print("bench: installing torch==2.13.0 into .venv-torch (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", TORCH_VENV], check=True)
        subprocess.run([TORCH_PYTHON, "-m", "pip", "install", "-q", "torch==2.13.0", "numpy"], check=True)


def last_json(output):
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"bench: no JSON in output:\n{output}")
    return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--anomsynth", default=os.path.join(ROOT, ".build/release/anomsynth"))
    parser.add_argument("--torch-reference", default=os.path.join(ROOT, "..", "shared", "bench", "torch_reference.py"))
    parser.add_argument("--models", default="ae,gan")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--max-batches", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ensure_torch()

    common = ["--max-batches", str(args.max_batches), "--warmup", str(args.warmup), "--repeats", str(args.repeats)]
    rows = []
    for model in args.models.split(","):
        for threads in [int(t) for t in args.threads.split(",")]:
            ours = last_json(subprocess.run(
                [args.anomsynth, "bench", "nn", "--model", model, "--threads", str(threads), "--json"] + common,
                check=True, capture_output=True, text=True).stdout)
            env = dict(os.environ)
            theirs = last_json(subprocess.run(
                [TORCH_PYTHON, args.torch_reference, model, "--threads", str(threads)] + common,
                check=True, capture_output=True, text=True, env=env).stdout)
            ratio = ours["samples_per_second"] / theirs["samples_per_sec"]["median"]
            rows.append((model, threads, ours["samples_per_second"], theirs["samples_per_sec"]["median"], ratio,
                         ours["peak_rss_mib"], theirs["peak_rss_mib"]))
            print(f"bench: {model} threads={threads}: {ratio:.2f}x PyTorch", file=sys.stderr)

    print("| model | threads | AnomSynth samples/s | PyTorch samples/s | ratio | peak MiB (AnomSynth / PyTorch) |")
    print("|---|---|---|---|---|---|")
    for model, threads, ours, theirs, ratio, rss, torch_rss in rows:
        print(f"| {model} | {threads} | {ours:,.0f} | {theirs:,.0f} | {ratio:.2f}x | {rss:.0f} / {torch_rss:.0f} |")


if __name__ == "__main__":
    main()
