#!/usr/bin/env python3
"""The convolutional autoencoder that `anomsynth bench nn --model conv_ae` trains, in PyTorch,
timed by the shared reference's own harness (`../shared/bench/torch_reference.py`, imported,
not copied): same warm-up, repeats, batch cap and JSON output.

Encoder Conv(32, 5x5, s2, p2) -> Conv(64, 5x5, s2, p2) -> Dense(16); decoder Dense(128*7*7)
-> ConvT(64, 4x4, s2, p1) -> ConvT(32, 4x4, s2, p1) -> ConvT(1, 7x7, p3); LeakyReLU(0.2)
between; MSE, Adam(1e-3), batch 128 of uniform images in [-1, 1).

Usage: .venv-torch/bin/python scripts/torch_conv_ae.py [--threads T] [--max-batches M] ...
(the options of torch_reference.py; its model argument is filled in).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.environ.get("TORCH_REFERENCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench")))
import torch_reference  # noqa: E402


class ConvAE(nn.Module):
    def __init__(self, f=32, code=16):
        super().__init__()
        self.c1 = nn.Conv2d(1, f, 5, stride=2, padding=2)
        self.c2 = nn.Conv2d(f, 2 * f, 5, stride=2, padding=2)
        self.code = nn.Linear(2 * f * 49, code)
        self.fc = nn.Linear(code, 4 * f * 49)
        self.t1 = nn.ConvTranspose2d(4 * f, 2 * f, 4, stride=2, padding=1)
        self.t2 = nn.ConvTranspose2d(2 * f, f, 4, stride=2, padding=1)
        self.t3 = nn.ConvTranspose2d(f, 1, 7, stride=1, padding=3)
        self.f = f

    def forward(self, x):
        h = F.leaky_relu(self.c2(F.leaky_relu(self.c1(x), 0.2)), 0.2)
        h = F.leaky_relu(self.fc(self.code(h.flatten(1))), 0.2).view(-1, 4 * self.f, 7, 7)
        h = F.leaky_relu(self.t2(F.leaky_relu(self.t1(h), 0.2)), 0.2)
        return self.t3(h)


def make(model, rows, seed=0):
    g = torch.Generator().manual_seed(seed)
    data = torch.rand(rows, 1, 28, 28, generator=g) * 2 - 1
    torch.manual_seed(seed)
    net = ConvAE()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step(x):
        opt.zero_grad(set_to_none=True)
        F.mse_loss(net(x), x).backward()
        opt.step()
    return data, step, net


if __name__ == "__main__":
    torch_reference.make = make
    sys.argv[1:1] = ["ae"]  # the harness's batch 128 and 60,000 rows; make() builds the conv AE
    torch_reference.main()
