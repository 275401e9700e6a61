// bench_kernels.cpp — how fast are our kernels on this machine?
//
// Prints three tables:
//   1. peak FP32 FMA throughput, measured (independent FMA chains held in registers),
//      with 1 thread and with all threads: the ceiling the other numbers are compared to;
//   2. SGEMM at 1024^3 and at a few conv-shaped (skinny) sizes;
//   3. conv2d forward, backward-input, backward-weight and their total for the ten
//      reference shapes (batch 32, 3x3, padding 1), next to PyTorch's figures.
// Every timing is the median of several repetitions (the machine is shared and noisy).
//
// Usage: hd_bench_kernels [peak] [gemm] [conv] [--reps N] [--shape Cin,Cout,H]
//        (no section = all three; --shape runs one conv shape)
// The thread count is OpenMP's: set OMP_NUM_THREADS to change it.
#include "autograd/kernels/conv2d.h"
#include "autograd/kernels/gemm.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#if defined(__AVX512F__) || defined(__AVX2__)
// GCC 12's AVX-512 headers trip its own -Wmaybe-uninitialized (GCC bug 105593, fixed in 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace {

using hd::kernels::Conv2dShape;

double seconds_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median wall time of `reps` runs of fn, after one untimed warm-up run.
double median_seconds(int reps, const std::function<void()>& fn) {
    fn();
    std::vector<double> times;
    for (int r = 0; r < reps; ++r) {
        double start = seconds_now();
        fn();
        times.push_back(seconds_now() - start);
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

std::vector<float> random_buffer(int64_t count, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> v(static_cast<size_t>(count));
    for (float& f : v) f = dist(rng);
    return v;
}

// ---------------------------------------------------------------------------------------
// 1. Peak FMA: 12 independent chains per thread, so neither latency nor the loads limit
//    the rate; returns FLOPs done by one call (each FMA counts 2 per lane).
// ---------------------------------------------------------------------------------------
constexpr int kChains = 12;

#if defined(__AVX512F__)
__attribute__((noinline)) double fma_chains_512(int64_t iterations, float* sink) {
    __m512 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(float(c));
    __m512 scale = _mm512_set1_ps(0.999999f), shift = _mm512_set1_ps(1e-7f);
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], scale, shift);
    }
    __m512 total = acc[0];
    for (int c = 1; c < kChains; ++c) total = _mm512_add_ps(total, acc[c]);
    *sink = _mm512_reduce_add_ps(total);  // keeps the chains alive
    return double(iterations) * kChains * 16 * 2;
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
__attribute__((noinline)) double fma_chains_256(int64_t iterations, float* sink) {
    __m256 acc[kChains];
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(float(c));
    __m256 scale = _mm256_set1_ps(0.999999f), shift = _mm256_set1_ps(1e-7f);
    for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 12
        for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], scale, shift);
    }
    alignas(32) float lanes[8];
    __m256 total = acc[0];
    for (int c = 1; c < kChains; ++c) total = _mm256_add_ps(total, acc[c]);
    _mm256_store_ps(lanes, total);
    *sink = lanes[0] + lanes[7];
    return double(iterations) * kChains * 8 * 2;
}
#endif

// GFLOP/s of `threads` threads each running the chains.
double peak_gflops(int threads, double (*chains)(int64_t, float*), int reps) {
    const int64_t iterations = 20'000'000;
    double flops = 0.0;
    double t = median_seconds(reps, [&] {
        double total = 0.0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
        {
            float sink = 0.0f;
            total += chains(iterations, &sink);
            if (sink == 12345.0f) std::printf(" ");
        }
        flops = total;
    });
    return flops / t * 1e-9;
}

double measure_peak(int reps) {
    int max_threads = omp_get_max_threads();
    std::printf("\n== Peak FP32 FMA (independent chains in registers) ==\n");
    std::printf("%-22s %12s %12s\n", "", "1 thread", std::to_string(max_threads).append(" threads").c_str());
    double best = 0.0;
#if defined(__AVX2__) && defined(__FMA__)
    double p1 = peak_gflops(1, fma_chains_256, reps), pn = peak_gflops(max_threads, fma_chains_256, reps);
    std::printf("%-22s %9.1f GF %9.1f GF\n", "AVX2 (256-bit) FMA", p1, pn);
    best = std::max(best, pn);
#endif
#if defined(__AVX512F__)
    double q1 = peak_gflops(1, fma_chains_512, reps), qn = peak_gflops(max_threads, fma_chains_512, reps);
    std::printf("%-22s %9.1f GF %9.1f GF\n", "AVX-512 (512-bit) FMA", q1, qn);
    best = std::max(best, qn);
#endif
    std::printf("peak used for %% below: %.1f GFLOP/s (%d threads)\n", best, max_threads);
    return best;
}

// ---------------------------------------------------------------------------------------
// 2. GEMM
// ---------------------------------------------------------------------------------------
void bench_gemm(double peak, int reps) {
    struct Case { const char* name; bool ta, tb; int64_t M, N, K; };
    const Case cases[] = {
        {"square 1024^3", false, false, 1024, 1024, 1024},
        {"conv fwd  (32,32,64)", false, false, 32, 4096, 288},
        {"conv fwd  (64,128,16)", false, false, 128, 256, 576},
        {"conv bwdX (32,32,64)", true, false, 288, 4096, 32},
        {"conv bwdW (32,32,64)", false, true, 32, 288, 4096},
    };
    std::printf("\n== SGEMM (median of %d) ==\n", reps);
    std::printf("%-24s %5s %5s %5s %10s %10s %8s\n", "case", "M", "N", "K", "ms", "GFLOP/s", "%peak");
    for (const Case& c : cases) {
        auto A = random_buffer(c.M * c.K, 1), B = random_buffer(c.K * c.N, 2);
        std::vector<float> C(size_t(c.M * c.N));
        int64_t lda = c.ta ? c.M : c.K, ldb = c.tb ? c.K : c.N;
        // a skinny conv GEMM is run once per image: time 32 of them, as a batch would
        int calls = c.M * c.N * c.K < 100'000'000 ? 32 : 1;
        double t = median_seconds(reps, [&] {
            for (int i = 0; i < calls; ++i)
                hd::kernels::sgemm(c.ta, c.tb, c.M, c.N, c.K, 1.0f, A.data(), lda, B.data(), ldb,
                                   0.0f, C.data(), c.N);
        });
        double gflops = 2.0 * c.M * c.N * c.K * calls / t * 1e-9;
        std::printf("%-24s %5ld %5ld %5ld %10.3f %10.1f %7.1f%%\n", c.name, long(c.M), long(c.N),
                    long(c.K), t * 1e3, gflops, 100.0 * gflops / peak);
    }
}

// ---------------------------------------------------------------------------------------
// 3. conv2d
// ---------------------------------------------------------------------------------------
void bench_conv(double peak, int reps, const std::string& only) {
    // (Cin, Cout, H=W) and PyTorch's (oneDNN, 2 threads) GFLOP/s for fwd + both backwards
    struct Case { int64_t cin, cout, size; double torch_gflops; };
    const Case cases[] = {
        {3, 32, 64, 48},    {32, 32, 64, 173},  {32, 64, 32, 174},  {64, 64, 32, 195},
        {64, 128, 16, 200}, {128, 128, 16, 216}, {16, 16, 64, 124}, {16, 32, 32, 167},
        {32, 64, 16, 196},  {64, 64, 16, 208},
    };
    std::printf("\n== conv2d, batch 32, 3x3, stride 1, padding 1 (median of %d; GF = GFLOP/s) ==\n", reps);
    std::printf("%-14s %8s %7s %8s %7s %8s %7s %8s %7s %6s %8s %6s\n", "Cin,Cout,H", "fwd ms",
                "GF", "bwdX ms", "GF", "bwdW ms", "GF", "total ms", "GF", "%peak", "torch GF",
                "ratio");
    double sum_ratio_log = 0.0, total_time = 0.0, total_torch_time = 0.0;
    for (const Case& c : cases) {
        char name[32];
        std::snprintf(name, sizeof name, "%ld,%ld,%ld", long(c.cin), long(c.cout), long(c.size));
        if (!only.empty() && only != name) continue;
        Conv2dShape s{.batch = 32, .in_channels = c.cin, .out_channels = c.cout, .height = c.size,
                      .width = c.size, .kernel = 3, .stride = 1, .padding = 1};
        int64_t P = s.out_height() * s.out_width();
        auto x = random_buffer(s.batch * s.in_channels * s.height * s.width, 1);
        auto w = random_buffer(s.out_channels * s.in_channels * 9, 2);
        auto bias = random_buffer(s.out_channels, 3);
        auto grad_y = random_buffer(s.batch * s.out_channels * P, 4);
        std::vector<float> y(grad_y.size()), grad_x(x.size()), grad_w(w.size());
        double flops = 2.0 * s.batch * s.out_channels * P * s.in_channels * 9;

        double t_fwd = median_seconds(reps, [&] {
            hd::kernels::conv2d_forward(s, x.data(), w.data(), bias.data(), y.data());
        });
        double t_bx = median_seconds(reps, [&] {
            hd::kernels::conv2d_backward_input(s, grad_y.data(), w.data(), grad_x.data());
        });
        double t_bw = median_seconds(reps, [&] {
            hd::kernels::conv2d_backward_weight(s, x.data(), grad_y.data(), grad_w.data());
        });
        double t_total = t_fwd + t_bx + t_bw;
        double gf_total = 3.0 * flops / t_total * 1e-9;
        double ratio = gf_total / c.torch_gflops;
        sum_ratio_log += std::log(ratio);
        total_time += t_total;
        total_torch_time += 3.0 * flops / (c.torch_gflops * 1e9);
        std::printf("%-14s %8.2f %7.1f %8.2f %7.1f %8.2f %7.1f %8.2f %7.1f %5.1f%% %8.0f %6.2f\n",
                    name, t_fwd * 1e3, flops / t_fwd * 1e-9, t_bx * 1e3, flops / t_bx * 1e-9,
                    t_bw * 1e3, flops / t_bw * 1e-9, t_total * 1e3, gf_total,
                    100.0 * gf_total / peak, c.torch_gflops, ratio);
    }
    if (!only.empty()) return;
    int n = int(sizeof cases / sizeof cases[0]);
    std::printf("all ten: %.1f ms vs PyTorch %.1f ms -> time ratio %.2f; geometric-mean "
                "GFLOP/s ratio %.2f\n",
                total_time * 1e3, total_torch_time * 1e3, total_torch_time / total_time,
                std::exp(sum_ratio_log / n));
}

}  // namespace

int main(int argc, char** argv) {
    bool run_peak = false, run_gemm = false, run_conv = false;
    int reps = 7;
    std::string only;  // one conv shape, "Cin,Cout,H"
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "peak") run_peak = true;
        else if (arg == "gemm") run_gemm = true;
        else if (arg == "conv") run_conv = true;
        else if (arg == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
        else if (arg == "--shape" && i + 1 < argc) only = argv[++i];
        else {
            std::fprintf(stderr, "usage: %s [peak] [gemm] [conv] [--reps N] [--shape Cin,Cout,H]\n", argv[0]);
            return 2;
        }
    }
    if (!run_peak && !run_gemm && !run_conv) run_peak = run_gemm = run_conv = true;

    std::printf("hd_bench_kernels: %d OpenMP threads\n", omp_get_max_threads());
    // Without the peak section, fall back to the nominal figure (2 cores x 117 GFLOP/s).
    double peak = run_peak ? measure_peak(reps) : 117.0 * omp_get_max_threads();
    if (run_gemm) bench_gemm(peak, reps);
    if (run_conv) bench_conv(peak, reps, only);
    return 0;
}
