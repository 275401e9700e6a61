#!/usr/bin/python3
"""make_golden_data.py — writes tests/data/golden_models.safetensors, the PyTorch
reference that tests/nn/test_golden.cpp checks hdiff's models against (STYLE point 9).

Run with Debian's python3-torch (1.13); the C++ test never needs Python:
    /usr/bin/python3 bench/make_golden_data.py [--out tests/data/golden_models.safetensors]

What it holds, for three networks built by bench/torch_models.py (the PyTorch twin of
nn/unet.cpp and nn/mlp.cpp):
  unet16  UNet C=16, E=64 (hd train's default), GroupNorm 8, input (2,3,16,16)
  unet32  UNet C=32, E=128 (homework/provided/models.h's default), same input
  prior   the latent prior's MLP: 2+64+64 -> 256 -> 256 -> 256 -> 2, input (8,130)
  unet16_l4c  UNet C=16, E=64 with four levels (widths 8, 16, 32, 64) and the colour
          path: hd train's network at 64x64, here on a (2,3,16,16) input
for each: the inputs, a target, the output, loss = mse_loss(output, target), and the
gradient of the loss with respect to every input and parameter. Gradients are stored
whole for unet16, unet16_l4c and the prior; unet32's (0.9 M floats, 3.6 MB) are stored as a
strided sample of at most 256 entries per parameter plus each parameter's gradient L2
norm, which keeps the file under 3 MB: unet32 runs the same code as unet16 at other
channel counts, and the samples and norms still see every parameter's whole gradient.

The weights are not stored: both sides regenerate them from the parameter's name with
the integer hash below (golden_weights), so they agree bit for bit. The reference is
computed in float64 from those float32 weights and inputs, then rounded to float32.

Noise floor: the same networks run in float32 PyTorch differ from the float64
reference by, at most over every output, loss and full gradient (error = max |a - b| /
max |b|, per tensor): unet16 2.2e-6, unet32 9.8e-7, prior 1.0e-6 (this script prints
them and writes them into the file's metadata). hdiff's float32 lands at 1.9e-6,
2.1e-6 and 1.1e-6; test_golden.cpp allows 5e-5 (about 20x) and says why.
"""
import argparse
import copy
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402  (the PyTorch twin of nn/unet.cpp and nn/mlp.cpp)

FORMAT_VERSION = "1"
WEIGHT_RULE = "fnv1a32(name) + murmur3 fmix32, v1"
SAMPLES_PER_PARAMETER = 256


def fnv1a32(text):
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def hashed_uniform(name, count):
    """count numbers in [-1, 1), each a multiple of 2^-23 (exact in float32).
    Element i: x = fmix32(i * 0x9E3779B1 + fnv1a32(name)), u = (x >> 8) / 2^23 - 1."""
    mask = np.uint64(0xFFFFFFFF)
    x = (np.arange(count, dtype=np.uint64) * np.uint64(0x9E3779B1) + np.uint64(fnv1a32(name))) & mask
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x85EBCA6B)) & mask
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(0xC2B2AE35)) & mask
    x ^= x >> np.uint64(16)
    return (x >> np.uint64(8)).astype(np.float64) / float(1 << 23) - 1.0


def golden_weights(name, shape):
    """The value of parameter `name`: weights (2+ axes) u / sqrt(fan_in); 1-D "weight"
    (GroupNorm's gamma) 1 + u / 4; biases u / 10. Computed in float64, rounded once."""
    count = int(np.prod(shape)) if len(shape) else 1
    u = hashed_uniform(name, count)
    if len(shape) >= 2:
        values = u * (1.0 / math.sqrt(count // shape[0]))
    elif name.endswith("weight"):
        values = 1.0 + u * 0.25
    else:
        values = u * 0.1
    return torch.from_numpy(values.astype(np.float32)).reshape(shape)


def hd_name(model_name, torch_name):
    # hdiff's MLP keeps its layers in a Sequential registered as "layers"
    return "layers." + torch_name if model_name == "prior" else torch_name


def build(model_name):
    if model_name == "unet16":
        return torch_models.UNet(16, 64, 8), 64
    if model_name == "unet32":
        return torch_models.UNet(32, 128, 8), 128
    if model_name == "unet16_l4c":
        return torch_models.UNet(16, 64, 8, levels=4, colour_path=True), 64
    return torch_models.LatentPrior(L=2, D=2, E=64, hidden=256, layers=3).mlp, None


def run(model, inputs, target):
    """output, loss and the gradients of the loss w.r.t. inputs and parameters."""
    inputs = [t.clone().requires_grad_(True) for t in inputs]
    model.zero_grad()
    output = model(*inputs)
    loss = F.mse_loss(output, target)
    loss.backward()
    grads = {"input/" + str(i): t.grad for i, t in enumerate(inputs)}
    grads.update({name: p.grad for name, p in model.named_parameters()})
    return output.detach(), loss.detach(), grads


def scaled_error(a, b):
    return float((a.double() - b.double()).abs().max() / max(b.double().abs().max(), 1e-30))


def sample_positions(count):
    m = min(count, SAMPLES_PER_PARAMETER)
    return [k * count // m for k in range(m)]


def golden_case(model_name, generator):
    model32, E = build(model_name)
    for name, p in model32.named_parameters():
        with torch.no_grad():
            p.copy_(golden_weights(hd_name(model_name, name), tuple(p.shape)))
    if E is None:
        inputs = [torch.randn(8, 130, generator=generator)]
        input_names = ["x"]
    else:
        inputs = [torch.randn(2, 3, 16, 16, generator=generator), torch.randn(2, E, generator=generator)]
        input_names = ["x", "emb"]
    model64 = copy.deepcopy(model32).double()
    out32_shape = model32(*inputs).shape
    target = torch.randn(*out32_shape, generator=generator)

    out64, loss64, grads64 = run(model64, [t.double() for t in inputs], target.double())
    out32, loss32, grads32 = run(model32, inputs, target)
    # A gradient that is zero in exact arithmetic (float64: below 1e-9 of the case's largest
    # entry) has no scale of its own; unet16_l4c has some: at its 8-channel top level
    # GroupNorm(8) normalises each channel alone, so a per-channel constant added before
    # it (a conv bias, the embedding's projection) cannot change the output. Those are
    # measured against the largest gradient entry instead, and the C++ test does the same.
    largest = max(float(g.abs().max()) for g in grads64.values())
    exact_zero = [k for k in grads64 if float(grads64[k].abs().max()) < 1e-9 * largest]
    noise = max([scaled_error(out32, out64), scaled_error(loss32.reshape(1), loss64.reshape(1))] +
                [scaled_error(grads32[k], grads64[k]) for k in grads64 if k not in exact_zero])
    if exact_zero:
        zero_noise = max(float(grads32[k].abs().max()) / largest for k in exact_zero)
        print(f"{model_name}: {len(exact_zero)} gradients zero in exact arithmetic "
              f"({', '.join(exact_zero)}); float32 gives at most {zero_noise:.3g} of the largest entry")

    tensors = {f"{model_name}/input/{n}": t for n, t in zip(input_names, inputs)}
    tensors[f"{model_name}/target"] = target
    tensors[f"{model_name}/output"] = out64.float()
    tensors[f"{model_name}/loss"] = loss64.float().reshape(1)
    for i, n in enumerate(input_names):
        tensors[f"{model_name}/grad/input/{n}"] = grads64["input/" + str(i)].float()
    for name, p in model64.named_parameters():
        g = grads64[name]
        key = hd_name(model_name, name)
        if model_name == "unet32":
            flat = g.reshape(-1)
            tensors[f"{model_name}/grad_sample/{key}"] = flat[sample_positions(flat.numel())].float()
            tensors[f"{model_name}/grad_norm/{key}"] = g.norm().float().reshape(1)
        else:
            tensors[f"{model_name}/grad/{key}"] = g.float()
    return tensors, noise


def write_safetensors(path, tensors, metadata):
    """The safetensors layout (see nn/safetensors.h), tensors sorted by name."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        data = tensors[name].detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "..", "tests", "data", "golden_models.safetensors"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(20261201)
    tensors, metadata = {}, {
        "format_version": FORMAT_VERSION,
        "weights": WEIGHT_RULE,
        "written_by": "bench/make_golden_data.py",
        "torch": torch.__version__,
        "unet16": "UNet C=16 E=64 groups=8, input (2,3,16,16), emb (2,64); full gradients",
        "unet32": f"UNet C=32 E=128 groups=8, input (2,3,16,16), emb (2,128); per parameter a strided "
                  f"sample of <= {SAMPLES_PER_PARAMETER} gradient entries (positions k*n//m) and the L2 norm",
        "prior": "MLP 130 -> 256 x3 (SiLU) -> 2, input (8,130); full gradients",
        "unet16_l4c": "UNet C=16 E=64 groups=8, 4 levels (widths 8,16,32,64), colour path, input (2,3,16,16), "
                      "emb (2,64); full gradients",
        "loss": "mse_loss(output, target); reference in float64, stored as float32",
    }
    # A new case goes last: the generator then draws the earlier cases' inputs as before.
    for model_name in ("unet16", "unet32", "prior", "unet16_l4c"):
        case, noise = golden_case(model_name, generator)
        tensors.update(case)
        metadata[f"{model_name}_torch_fp32_noise"] = f"{noise:.3g}"
        print(f"{model_name}: {len(case)} tensors, float32 torch vs float64 torch: {noise:.3g}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_safetensors(args.out, tensors, metadata)
    print(f"wrote {args.out}: {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
