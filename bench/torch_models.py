#!/usr/bin/python3
"""torch_models.py — PyTorch's speed on the steps hd_bench_models measures.

Run with Debian's python3-torch; a benchmark aid only, never a dependency of hdiff.
The networks mirror nn/unet.cpp, nn/mlp.cpp and homework/provided/models.cpp layer for layer:
  ImageDenoiser: emb = time_embed(t) + condition_embed(c), with time_embed =
    sinusoidal(E) -> Linear(E,E) -> SiLU -> Linear(E,E); then the UNet of nn/unet.h
    (ResBlocks with GroupNorm(8) + SiLU, emb projection added over H×W, 1×1 skip when
    the width changes, stride-2 convs down, nearest ×2 up, concat skips, norm_out ->
    SiLU -> conv_out).
  LatentPrior: MLP(concat(z, time_embed(t), condition_embed(c))).
Steps: train = forward + mse_loss + backward + Adam step; sample = forward under no_grad.
Prints one CSV row per step: name, median ms, items/s, minor page faults per step.

Usage: /usr/bin/python3 bench/torch_models.py [--threads 2] [--reps 7] [--label default]
       [unet16] [unet32] [prior]
The "tuned" setting is this script run with OpenBLAS and glibc tunables in its
environment (bench/compare.sh does that).
"""
import argparse
import math
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Sinusoidal(nn.Module):
    def __init__(self, dim):
        super().__init__()
        half = dim // 2
        freqs = [math.exp(-math.log(10000.0) * i / half) for i in range(half)]
        self.register_buffer("freqs", torch.tensor(freqs, dtype=torch.float32).reshape(1, half))

    def forward(self, t):
        angles = t.reshape(-1, 1) * self.freqs
        return torch.cat([torch.sin(angles), torch.cos(angles)], 1)


def time_embedding(E):
    return nn.Sequential(Sinusoidal(E), nn.Linear(E, E), nn.SiLU(), nn.Linear(E, E))


class ResBlock(nn.Module):
    def __init__(self, cin, cout, E, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb_proj = nn.Linear(E, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        e = self.emb_proj(F.silu(emb))
        h = h + e.reshape(e.shape[0], e.shape[1], 1, 1)
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (self.skip(x) if self.skip is not None else x)


class UNet(nn.Module):
    """L levels: the bottom three are C, 2C, 4C wide, each level above has half the width
    of the one below (nn/unet.h); colour_path adds g(emb) * mean_HW(x), g = Linear(E, cout)(SiLU(emb))."""

    def __init__(self, C, E, G=8, cin=3, cout=3, levels=3, colour_path=False):
        super().__init__()
        L = levels
        w = [C << (k - (L - 3)) if k >= L - 3 else C >> (L - 3 - k) for k in range(L)]
        self.levels = L
        self.conv_in = nn.Conv2d(cin, w[0], 3, padding=1)
        for k in range(L):
            setattr(self, f"res{k + 1}", ResBlock(w[0] if k == 0 else w[k - 1], w[k], E, G))
            if k + 1 < L:
                setattr(self, f"down{k + 1}", nn.Conv2d(w[k], w[k], 3, stride=2, padding=1))
        self.mid = ResBlock(w[L - 1], w[L - 1], E, G)
        for k in range(L - 2, -1, -1):
            setattr(self, f"up{k + 1}", ResBlock(w[k + 1] + w[k], w[k], E, G))
        self.norm_out = nn.GroupNorm(G, w[0])
        self.conv_out = nn.Conv2d(w[0], cout, 3, padding=1)
        self.colour_gain = nn.Linear(E, cout) if colour_path else None

    def forward(self, x, emb):
        L = self.levels
        h = self.conv_in(x)
        skips = []
        for k in range(L):
            h = getattr(self, f"res{k + 1}")(h if k == 0 else getattr(self, f"down{k}")(h), emb)
            if k + 1 < L:
                skips.append(h)
        h = self.mid(h, emb)
        for k in range(L - 2, -1, -1):
            h = getattr(self, f"up{k + 1}")(torch.cat([F.interpolate(h, scale_factor=2, mode="nearest"), skips[k]], 1), emb)
        out = self.conv_out(F.silu(self.norm_out(h)))
        if self.colour_gain is None:
            return out
        gain = self.colour_gain(F.silu(emb))
        return out + gain.reshape(gain.shape[0], gain.shape[1], 1, 1) * x.mean(dim=(2, 3), keepdim=True)


class ImageDenoiser(nn.Module):
    def __init__(self, C, E, D=2):
        super().__init__()
        self.time_embed = time_embedding(E)
        self.condition_embed = nn.Linear(D, E)
        self.unet = UNet(C, E)

    def forward(self, x, t, c):
        return self.unet(x, self.time_embed(t) + self.condition_embed(c))


class LatentPrior(nn.Module):
    def __init__(self, L=2, D=2, E=128, hidden=256, layers=3):
        super().__init__()
        self.time_embed = time_embedding(E)
        self.condition_embed = nn.Linear(D, E)
        mods = [nn.Linear(L + 2 * E, hidden), nn.SiLU()]
        for _ in range(layers - 1):
            mods += [nn.Linear(hidden, hidden), nn.SiLU()]
        mods.append(nn.Linear(hidden, L))
        self.mlp = nn.Sequential(*mods)

    def forward(self, z, t, c):
        return self.mlp(torch.cat([z, self.time_embed(t), self.condition_embed(c)], 1))


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def measure(warmup, reps, fn):
    for _ in range(warmup):
        fn()
    times = []
    faults0 = minor_faults()
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), (minor_faults() - faults0) / reps


def train_step_fn(model, opt, inputs, target):
    def step():
        opt.zero_grad()
        loss = F.mse_loss(model(*inputs), target)
        loss.backward()
        opt.step()
    return step


def row(label, name, result, items):
    seconds, faults = result
    print(f"{label},{name},{seconds * 1e3:.3f},{items / seconds:.1f},{faults:.0f}", flush=True)


def bench_unet(label, C, E, reps):
    torch.manual_seed(0)
    model = ImageDenoiser(C, E)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    B, S = 32, 64
    x, noise = torch.randn(B, 3, S, S), torch.randn(B, 3, S, S)
    t, c = torch.rand(B) * 999, torch.randn(B, 2)
    row(label, f"unet C={C} train b{B}", measure(2, reps, train_step_fn(model, opt, (x, t, c), noise)), B)
    Bs = 64
    xs, ts, cs = torch.randn(Bs, 3, S, S), torch.rand(Bs) * 999, torch.randn(Bs, 2)

    def sample():
        with torch.no_grad():
            model(xs, ts, cs)
    row(label, f"unet C={C} sample b{Bs}", measure(2, reps, sample), Bs)


def bench_prior(label, reps):
    torch.manual_seed(0)
    model = LatentPrior()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    B = 256
    z, noise, t, c = torch.randn(B, 2), torch.randn(B, 2), torch.rand(B) * 999, torch.randn(B, 2)
    row(label, f"prior train b{B}", measure(20, reps * 20, train_step_fn(model, opt, (z, t, c), noise)), B)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--label", default="torch")
    parser.add_argument("sections", nargs="*", default=["prior", "unet16", "unet32"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, label {args.label}", flush=True)
    if "prior" in args.sections:
        bench_prior(args.label, args.reps)
    if "unet16" in args.sections:
        bench_unet(args.label, 16, 64, args.reps)
    if "unet32" in args.sections:
        bench_unet(args.label, 32, 128, args.reps)


if __name__ == "__main__":
    main()
