#!/usr/bin/env python3
"""Writes Tests/NeuralNetTests/Fixtures/conv-reference.safetensors: PyTorch's conv2d and
conv_transpose2d outputs and gradients for fixed inputs, weights and output gradients.

Run with the benchmark's torch venv: `.venv-torch/bin/python scripts/conv_reference.py`
(torch==2.13.0, CPU). The safetensors file is written by hand (the format is a length,
a JSON header and raw little-endian float32), so only torch and numpy are needed.
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "NeuralNetTests", "Fixtures", "conv-reference.safetensors")

# kind, input shape, weight shape, stride, padding
CASES = [
    ("conv2d", (2, 3, 7, 6), (4, 3, 3, 2), 2, 1),      # non-square kernel and image, stride 2
    ("conv2d", (2, 1, 9, 9), (3, 1, 5, 5), 2, 2),      # the DCGAN discriminator's first layer, small
    ("conv2d", (1, 2, 5, 4), (2, 2, 1, 1), 1, 0),      # 1x1 kernel
    ("conv_transpose2d", (2, 4, 3, 5), (4, 2, 4, 4), 2, 1),  # the DCGAN generator's upsampling
    ("conv_transpose2d", (1, 2, 6, 6), (2, 1, 7, 7), 1, 3),  # its last layer ("same", kernel 7)
    ("conv_transpose2d", (2, 3, 2, 3), (3, 2, 3, 2), 3, 0),  # stride above the kernel width
]


def main():
    torch.manual_seed(2026)
    tensors, meta = {}, {"made_by": f"torch {torch.__version__}"}
    for i, (kind, xs, ws, stride, padding) in enumerate(CASES):
        x = torch.randn(xs, requires_grad=True)
        w = torch.randn(ws, requires_grad=True)
        b = torch.randn(ws[1] if kind == "conv_transpose2d" else ws[0], requires_grad=True)
        op = F.conv2d if kind == "conv2d" else F.conv_transpose2d
        y = op(x, w, b, stride=stride, padding=padding)
        gy = torch.randn(y.shape)
        y.backward(gy)
        for name, t in [("x", x), ("w", w), ("b", b), ("y", y), ("gy", gy), ("dx", x.grad), ("dw", w.grad), ("db", b.grad)]:
            tensors[f"case{i}.{name}"] = t.detach().numpy().astype(np.float32)
        meta[f"case{i}"] = json.dumps({"kind": kind, "stride": stride, "padding": padding})
    header, offset, blobs = {"__metadata__": meta}, 0, []
    for name in sorted(tensors):
        data = np.ascontiguousarray(tensors[name]).tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    encoded = json.dumps(header, sort_keys=True).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(OUT, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))
    print(f"wrote {OUT}: {len(CASES)} cases")


if __name__ == "__main__":
    main()
