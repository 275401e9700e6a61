#!/usr/bin/python3
"""torch_reference.py — PyTorch's speed on the shapes hd_bench_kernels measures.

Run with Debian's python3-torch (`/usr/bin/python3 bench/torch_reference.py`); it is a
benchmark aid only, never a dependency of hdiff. Prints SGEMM 1024^3 and, for the ten
conv2d shapes (batch 32, 3x3, padding 1), the forward, grad-input and grad-weight times
and GFLOP/s, each the median of several repetitions, with 2 threads by default.

Usage: /usr/bin/python3 bench/torch_reference.py [--threads 2] [--reps 7]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F

SHAPES = [(3, 32, 64), (32, 32, 64), (32, 64, 32), (64, 64, 32), (64, 128, 16),
          (128, 128, 16), (16, 16, 64), (16, 32, 32), (32, 64, 16), (64, 64, 16)]


def median_seconds(reps, fn):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"mkldnn {torch.backends.mkldnn.is_available()}")

    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    t = median_seconds(args.reps, lambda: torch.mm(a, b))
    print(f"\nsgemm 1024^3: {t * 1e3:.3f} ms, {2 * 1024 ** 3 / t * 1e-9:.1f} GFLOP/s")

    print(f"\nconv2d, batch 32, 3x3, padding 1 (median of {args.reps}; GF = GFLOP/s)")
    print(f"{'Cin,Cout,H':<14} {'fwd ms':>8} {'GF':>7} {'bwdX ms':>8} {'GF':>7} "
          f"{'bwdW ms':>8} {'GF':>7} {'total ms':>8} {'GF':>7}")
    total = 0.0
    with torch.no_grad():
        for cin, cout, size in SHAPES:
            x = torch.randn(32, cin, size, size)
            w = torch.randn(cout, cin, 3, 3)
            bias = torch.randn(cout)
            grad_y = torch.randn(32, cout, size, size)
            flops = 2.0 * 32 * cout * size * size * cin * 9
            t_fwd = median_seconds(args.reps, lambda: F.conv2d(x, w, bias, padding=1))
            # the ATen op autograd calls for conv2d's gradients, one gradient at a time
            def backward(mask):
                return torch.ops.aten.convolution_backward(
                    grad_y, x, w, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, mask)
            t_bx = median_seconds(args.reps, lambda: backward([True, False, False]))
            t_bw = median_seconds(args.reps, lambda: backward([False, True, False]))
            t_all = t_fwd + t_bx + t_bw
            total += t_all
            print(f"{f'{cin},{cout},{size}':<14} {t_fwd * 1e3:8.2f} {flops / t_fwd * 1e-9:7.1f} "
                  f"{t_bx * 1e3:8.2f} {flops / t_bx * 1e-9:7.1f} {t_bw * 1e3:8.2f} "
                  f"{flops / t_bw * 1e-9:7.1f} {t_all * 1e3:8.2f} {3 * flops / t_all * 1e-9:7.1f}")
    print(f"all ten: {total * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
