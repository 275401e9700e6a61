// gemm.cpp — see gemm.h. A BLIS-style SGEMM written from scratch.
//
// Shape legend: M rows of C, N columns of C, K the summed dimension;
//   MR x NR  the register tile one micro-kernel call computes,
//   MC, KC, NC  the cache blocks (an A block of MC x KC; a B panel of KC x NC).
//
// How it is fast:
//   1. The output C is split into one rectangle per OpenMP thread (over M and N only), so
//      every thread writes a disjoint slice of C and nothing is reduced across threads.
//   2. Inside a rectangle, for each KC-deep slab of K and MC-tall block of rows (usually
//      all of them), op(A) is packed once into MR-tall slivers; then for each NC-wide panel
//      of columns, op(B) is packed into NR-wide slivers (contiguous, zero-padded). Packing
//      turns every transpose and stride into unit-stride reads for the micro-kernel; the
//      transposes themselves go through registers 16 x 16 at a time.
//   3. The micro-kernel keeps an MR x NR tile of C in registers and runs KC rank-1 updates
//      (broadcast one A value, multiply by an NR-wide row of B). One A sliver (MR x KC)
//      stays in L1 while it sweeps the whole B panel, which stays in L2.
//   4. A caller can supply its own op(B) packer (sgemm_custom_b): conv2d packs image
//      patches straight from the image, so the im2col matrix is never written out.
// Determinism: K is walked in the same KC slabs and in the same order for every element,
// whoever computes it, so the result does not depend on the thread count.
//
// What it does not do: complex or double types, column-major C, or splitting K over threads.
#include "autograd/kernels/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__AVX512F__) || defined(__AVX2__)
// GCC 12's AVX-512 headers trip its own -Wmaybe-uninitialized (GCC bug 105593, fixed in 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace hd::kernels {

// ---------------------------------------------------------------------------------------
// Naive reference
// ---------------------------------------------------------------------------------------

// A: (M,K) or stored (K,M); B: (K,N) or stored (N,K) -> C: (M,N)
void sgemm_naive(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc) {
    for (int64_t i = 0; i < M; ++i) {
        for (int64_t j = 0; j < N; ++j) {
            double sum = 0.0;  // double so the oracle is more accurate than what it checks
            for (int64_t k = 0; k < K; ++k) {
                float a = trans_a ? A[k * lda + i] : A[i * lda + k];
                float b = trans_b ? B[j * ldb + k] : B[k * ldb + j];
                sum += double(a) * double(b);
            }
            float result = alpha * float(sum);
            // beta == 0 must not read C: 0 * NaN would be NaN.
            C[i * ldc + j] = beta == 0.0f ? result : result + beta * C[i * ldc + j];
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tile and block sizes
// ---------------------------------------------------------------------------------------

namespace {

#if defined(__AVX512F__)
// 8 x 48 tile = 24 zmm accumulators + 3 zmm rows of B + 1 broadcast: 28 of 32 registers.
// 24 independent FMA chains cover the FMA latency (4 cycles) times 2 pipes with room.
constexpr int64_t kMR = 8;
constexpr int64_t kNR = 48;
#elif defined(__AVX2__) && defined(__FMA__)
// 6 x 16 tile = 12 ymm accumulators + 2 ymm rows of B + 1 broadcast: 15 of 16 registers.
constexpr int64_t kMR = 6;
constexpr int64_t kNR = 16;
#else
constexpr int64_t kMR = 4;
constexpr int64_t kNR = 8;
#endif

// KC: an A sliver (MR x KC floats, 8 KiB with AVX-512) stays in L1 while it sweeps the B
// panel. NC: the packed B panel (KC x NC floats, 384 KiB) stays in the 1 MiB L2.
// MC: A is packed in blocks of up to MC rows (1 MiB), so for the usual M <= MC it is
// packed only once per call, however many B panels there are (conv GEMMs have M = Cout and
// thousands of columns); a very tall A costs only B repacks, not memory.
constexpr int64_t kKC = 256;
constexpr int64_t kNC = 8 * kNR;
constexpr int64_t kMC = 128 * kMR;

static_assert(kNC % kNR == 0 && kMC % kMR == 0, "blocks must hold whole tiles");

// ---------------------------------------------------------------------------------------
// Per-thread packing buffers: allocated on first use, grown if ever needed, reused by every
// later call on that thread, so the inner loops never allocate.
// ---------------------------------------------------------------------------------------

struct AlignedBuffer {
    float* data = nullptr;
    int64_t capacity = 0;

    float* reserve(int64_t count) {
        if (count > capacity) {
            std::free(data);
            // 64-byte alignment: aligned vector loads, no packed row split over cache lines.
            size_t bytes = (size_t(count) * sizeof(float) + 63) / 64 * 64;
            data = static_cast<float*>(std::aligned_alloc(64, bytes));
            if (!data) throw std::bad_alloc();
            capacity = count;
        }
        return data;
    }
    ~AlignedBuffer() { std::free(data); }
};

struct PackBuffers {
    AlignedBuffer a;  // one packed block of A: up to MC x KC
    AlignedBuffer b;  // one packed B panel: KC x NC
};

PackBuffers& thread_buffers() {
    thread_local PackBuffers buffers;
    return buffers;
}

// ---------------------------------------------------------------------------------------
// Packing
// ---------------------------------------------------------------------------------------

// Transposing copy: dst[k * dst_stride + r] = src[r * src_stride + k] for r < rows, k < cols.
// This is the heart of packing a matrix whose K axis is contiguous in memory; whole 16 x 16
// blocks go through registers, the ragged rest element by element.
void transpose_copy(const float* src, int64_t src_stride, int64_t rows, int64_t cols, float* dst,
                    int64_t dst_stride) {
    int64_t r0 = 0;
#if defined(__AVX512F__)
    for (; r0 + 16 <= rows; r0 += 16) {
        int64_t k0 = 0;
        for (; k0 + 16 <= cols; k0 += 16) {
            __m512 block[16];  // unrolled loops, so that block stays in registers
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i) block[i] = _mm512_loadu_ps(src + (r0 + i) * src_stride + k0);
            transpose_16x16(block);
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + (k0 + i) * dst_stride + r0, block[i]);
        }
        for (int64_t r = r0; r < r0 + 16; ++r)  // the columns past the last whole block
            for (int64_t k = k0; k < cols; ++k) dst[k * dst_stride + r] = src[r * src_stride + k];
    }
#endif
    for (int64_t r = r0; r < rows; ++r)  // the rows past the last whole block
        for (int64_t k = 0; k < cols; ++k) dst[k * dst_stride + r] = src[r * src_stride + k];
}

// op(A)[i0 : i0+mc, k0 : k0+kc] -> packed: ceil(mc/MR) slivers, each (kc, MR) row-major,
// rows past mc zero-filled (so edge tiles run the same micro-kernel on zeros).
void pack_a(bool trans_a, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0,
            int64_t kc, float* packed) {
    if (!trans_a && kMR == 8) {
        // stored (M,K): transpose 16 rows (two slivers) at a time; sliver s + 8 follows
        // sliver s, so 16 rows transpose into one (kc, 16) block split down the middle.
        int64_t s = 0;
#if defined(__AVX512F__)
        for (; s + 16 <= mc; s += 16) {
            const float* src = A + (i0 + s) * lda + k0;
            float* first = packed + s * kc;
            float* second = first + 8 * kc;
            int64_t k = 0;
            for (; k + 16 <= kc; k += 16) {
                __m512 block[16];  // unrolled loops, so that block stays in registers
#pragma GCC unroll 16
                for (int i = 0; i < 16; ++i) block[i] = _mm512_loadu_ps(src + i * lda + k);
                transpose_16x16(block);
#pragma GCC unroll 16
                for (int i = 0; i < 16; ++i) {
                    _mm256_storeu_ps(first + (k + i) * 8, _mm512_castps512_ps256(block[i]));
                    _mm256_storeu_ps(second + (k + i) * 8, _mm512_extractf32x8_ps(block[i], 1));
                }
            }
            for (; k < kc; ++k)
                for (int r = 0; r < 8; ++r) {
                    first[k * 8 + r] = src[r * lda + k];
                    second[k * 8 + r] = src[(r + 8) * lda + k];
                }
        }
#endif
        for (; s < mc; s += kMR) {
            int64_t rows = std::min(kMR, mc - s);
            float* dst = packed + s * kc;
            transpose_copy(A + (i0 + s) * lda + k0, lda, rows, kc, dst, kMR);
            for (int64_t k = 0; k < kc; ++k)
                for (int64_t r = rows; r < kMR; ++r) dst[k * kMR + r] = 0.0f;
        }
        return;
    }
    for (int64_t s = 0; s < mc; s += kMR) {
        int64_t rows = std::min(kMR, mc - s);
        float* dst = packed + s * kc;
        if (trans_a) {
            // stored (K,M): the MR values of one k are contiguous in memory
            for (int64_t k = 0; k < kc; ++k) {
                const float* src = A + (k0 + k) * lda + i0 + s;
                for (int64_t r = 0; r < rows; ++r) dst[k * kMR + r] = src[r];
                for (int64_t r = rows; r < kMR; ++r) dst[k * kMR + r] = 0.0f;
            }
        } else {
            // stored (M,K): each row becomes a column of the sliver
            transpose_copy(A + (i0 + s) * lda + k0, lda, rows, kc, dst, kMR);
            for (int64_t k = 0; k < kc; ++k)
                for (int64_t r = rows; r < kMR; ++r) dst[k * kMR + r] = 0.0f;
        }
    }
}

}  // namespace

// op(B)[k0 : k0+kc, j0 : j0+nc] -> packed: ceil(nc/NR) slivers, each (kc, NR) row-major,
// columns past nc zero-filled.
void sgemm_pack_b(bool trans_b, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0,
                  int64_t nc, float* packed) {
    for (int64_t s = 0; s < nc; s += kNR) {
        int64_t cols = std::min(kNR, nc - s);
        float* dst = packed + s * kc;
        if (!trans_b) {
            // stored (K,N): one k's NR values are contiguous
            for (int64_t k = 0; k < kc; ++k) {
                const float* src = B + (k0 + k) * ldb + j0 + s;
                std::memcpy(dst + k * kNR, src, size_t(cols) * sizeof(float));
                for (int64_t c = cols; c < kNR; ++c) dst[k * kNR + c] = 0.0f;
            }
        } else {
            // stored (N,K): each stored row becomes a column of the sliver
            transpose_copy(B + (j0 + s) * ldb + k0, ldb, cols, kc, dst, kNR);
            for (int64_t k = 0; k < kc; ++k)
                for (int64_t c = cols; c < kNR; ++c) dst[k * kNR + c] = 0.0f;
        }
    }
}

namespace {

// ---------------------------------------------------------------------------------------
// Micro-kernels: a: packed (kc, MR), b: packed (kc, NR) -> tile (MR, NR)
//   tile = a^T @ b, then C[0:MR, 0:NR] = alpha * tile + beta * C (C not read if beta == 0).
// Every variant stores through the same two formulas (alpha * t, then fma(beta, c, ...)),
// so a full tile written directly and an edge tile written through scratch give the same
// bits.
// ---------------------------------------------------------------------------------------

#if defined(__AVX512F__)

constexpr int kVectors = kNR / 16;  // zmm registers per row of the tile

void micro_kernel(int64_t kc, const float* a, const float* b, float alpha, float beta, float* C,
                  int64_t ldc) {
    __m512 acc[kMR][kVectors];
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < kVectors; ++v) acc[r][v] = _mm512_setzero_ps();

    for (int64_t k = 0; k < kc; ++k) {
        __m512 row[kVectors];
#pragma GCC unroll 4
        for (int v = 0; v < kVectors; ++v) row[v] = _mm512_load_ps(b + v * 16);
#pragma GCC unroll 8
        for (int r = 0; r < kMR; ++r) {
            __m512 a_value = _mm512_set1_ps(a[r]);
#pragma GCC unroll 4
            for (int v = 0; v < kVectors; ++v)
                acc[r][v] = _mm512_fmadd_ps(a_value, row[v], acc[r][v]);
        }
        a += kMR;
        b += kNR;
    }

    __m512 alpha_v = _mm512_set1_ps(alpha);
    __m512 beta_v = _mm512_set1_ps(beta);
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < kVectors; ++v) {
            float* c = C + r * ldc + v * 16;
            __m512 result = _mm512_mul_ps(alpha_v, acc[r][v]);
            if (beta != 0.0f) result = _mm512_fmadd_ps(beta_v, _mm512_loadu_ps(c), result);
            _mm512_storeu_ps(c, result);
        }
    }
}

#elif defined(__AVX2__) && defined(__FMA__)

constexpr int kVectors = kNR / 8;  // ymm registers per row of the tile

void micro_kernel(int64_t kc, const float* a, const float* b, float alpha, float beta, float* C,
                  int64_t ldc) {
    __m256 acc[kMR][kVectors];
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < kVectors; ++v) acc[r][v] = _mm256_setzero_ps();

    for (int64_t k = 0; k < kc; ++k) {
        __m256 row[kVectors];
#pragma GCC unroll 4
        for (int v = 0; v < kVectors; ++v) row[v] = _mm256_load_ps(b + v * 8);
#pragma GCC unroll 8
        for (int r = 0; r < kMR; ++r) {
            __m256 a_value = _mm256_broadcast_ss(a + r);
#pragma GCC unroll 4
            for (int v = 0; v < kVectors; ++v)
                acc[r][v] = _mm256_fmadd_ps(a_value, row[v], acc[r][v]);
        }
        a += kMR;
        b += kNR;
    }

    __m256 alpha_v = _mm256_set1_ps(alpha);
    __m256 beta_v = _mm256_set1_ps(beta);
#pragma GCC unroll 8
    for (int r = 0; r < kMR; ++r) {
#pragma GCC unroll 4
        for (int v = 0; v < kVectors; ++v) {
            float* c = C + r * ldc + v * 8;
            __m256 result = _mm256_mul_ps(alpha_v, acc[r][v]);
            if (beta != 0.0f) result = _mm256_fmadd_ps(beta_v, _mm256_loadu_ps(c), result);
            _mm256_storeu_ps(c, result);
        }
    }
}

#else

void micro_kernel(int64_t kc, const float* a, const float* b, float alpha, float beta, float* C,
                  int64_t ldc) {
    float acc[kMR][kNR] = {};
    for (int64_t k = 0; k < kc; ++k) {
        for (int r = 0; r < kMR; ++r)
            for (int c = 0; c < kNR; ++c) acc[r][c] = std::fma(a[r], b[c], acc[r][c]);
        a += kMR;
        b += kNR;
    }
    for (int r = 0; r < kMR; ++r) {
        for (int c = 0; c < kNR; ++c) {
            float result = alpha * acc[r][c];
            if (beta != 0.0f) result = std::fma(beta, C[r * ldc + c], result);
            C[r * ldc + c] = result;
        }
    }
}

#endif

// An edge tile (rows < MR or cols < NR): run the full micro-kernel into scratch, then
// copy the valid corner into C with the same alpha/beta formulas as the full-tile store.
void edge_kernel(int64_t kc, const float* a, const float* b, float alpha, float beta, float* C,
                 int64_t ldc, int64_t rows, int64_t cols) {
    alignas(64) float tile[kMR * kNR];
    // alpha = 1, beta = 0 leaves the raw sums in the tile (1 * t is exact).
    micro_kernel(kc, a, b, 1.0f, 0.0f, tile, kNR);
    for (int64_t r = 0; r < rows; ++r) {
        for (int64_t c = 0; c < cols; ++c) {
            float result = alpha * tile[r * kNR + c];
            if (beta != 0.0f) result = std::fma(beta, C[r * ldc + c], result);
            C[r * ldc + c] = result;
        }
    }
}

// ---------------------------------------------------------------------------------------
// One thread's rectangle: C[i0 : i0+m, j0 : j0+n] (serial; called once per thread)
// ---------------------------------------------------------------------------------------

// A as in sgemm, op(B) through pack_b -> C[i0 : i0+m, j0 : j0+n]
void gemm_rectangle(bool trans_a, int64_t i0, int64_t m, int64_t j0, int64_t n, int64_t K,
                    float alpha, const float* A, int64_t lda, const PackB& pack_b, float beta,
                    float* C, int64_t ldc) {
    PackBuffers& buffers = thread_buffers();
    int64_t mc_max = std::min(kMC, (m + kMR - 1) / kMR * kMR);
    float* packed_a = buffers.a.reserve(mc_max * kKC);
    float* packed_b = buffers.b.reserve(kKC * kNC);

    // 1. Walk K in KC-deep slabs, always from 0 upwards: the fixed summation order.
    //    The first slab applies the caller's beta; later slabs add onto it.
    for (int64_t pc = 0; pc < K; pc += kKC) {
        int64_t kc = std::min(kKC, K - pc);
        float slab_beta = pc == 0 ? beta : 1.0f;
        // 2. Walk the rows in MC-tall blocks (usually one: all our rows); pack each block of
        //    A once, to be reused by every panel of B.
        for (int64_t ic = i0; ic < i0 + m; ic += kMC) {
            int64_t mc = std::min(kMC, i0 + m - ic);
            pack_a(trans_a, A, lda, ic, mc, pc, kc, packed_a);
            // 3. Walk the columns in NC-wide panels; pack each panel of B (kc x nc, fits L2).
            for (int64_t jc = j0; jc < j0 + n; jc += kNC) {
                int64_t nc = std::min(kNC, j0 + n - jc);
                pack_b(pc, kc, jc, nc, packed_b);
                // 4. One A sliver (in L1) against every B sliver of the panel (in L2).
                for (int64_t ir = 0; ir < mc; ir += kMR) {
                    int64_t rows = std::min(kMR, mc - ir);
                    const float* a = packed_a + ir * kc;
                    for (int64_t jr = 0; jr < nc; jr += kNR) {
                        int64_t cols = std::min(kNR, nc - jr);
                        const float* b = packed_b + jr * kc;
                        float* c = C + (ic + ir) * ldc + jc + jr;
                        if (rows == kMR && cols == kNR)
                            micro_kernel(kc, a, b, alpha, slab_beta, c, ldc);
                        else
                            edge_kernel(kc, a, b, alpha, slab_beta, c, ldc, rows, cols);
                    }
                }
            }
        }
    }
}

// C (M,N) = beta * C, with beta == 0 writing zeros (the K == 0 case).
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
    for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------

// A: (M,K) or stored (K,M); op(B): (K,N) through pack_b -> C: (M,N)
void sgemm_custom_b(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const PackB& pack_b, float beta, float* C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_c(M, N, beta, C, ldc);
        return;
    }

    // 1. How many threads: below ~1 MFLOP the fork/join costs more than it saves, and a
    //    call from inside a parallel region (e.g. one image per thread) stays serial.
    int64_t row_tiles = (M + kMR - 1) / kMR;
    int64_t col_tiles = (N + kNR - 1) / kNR;
    int threads = 1;
    if (!omp_in_parallel() && double(M) * double(N) * double(K) >= 1.0e6)
        threads = int(std::min<int64_t>(omp_get_max_threads(), row_tiles * col_tiles));

    if (threads <= 1) {
        gemm_rectangle(trans_a, 0, M, 0, N, K, alpha, A, lda, pack_b, beta, C, ldc);
        return;
    }

    // 2. Split C into a grid_rows x grid_cols grid of rectangles, in whole tiles. Choose
    //    the grid that gives the busiest thread the fewest tiles; on a tie prefer fewer
    //    row splits (each row split repacks B, each column split repacks A, and B panels
    //    are usually the larger).
    int grid_rows = 1;
    int64_t best_load = INT64_MAX;
    for (int r = 1; r <= threads; ++r) {
        if (threads % r != 0) continue;
        int c = threads / r;
        int64_t load = ((row_tiles + r - 1) / r) * ((col_tiles + c - 1) / c);
        if (load < best_load) {
            best_load = load;
            grid_rows = r;
        }
    }
    int grid_cols = threads / grid_rows;

    // 3. Each thread computes its own rectangle of C: disjoint writes, no reduction.
#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num();
        int64_t gr = t / grid_cols, gc = t % grid_cols;
        int64_t tile_r0 = row_tiles * gr / grid_rows, tile_r1 = row_tiles * (gr + 1) / grid_rows;
        int64_t tile_c0 = col_tiles * gc / grid_cols, tile_c1 = col_tiles * (gc + 1) / grid_cols;
        int64_t i0 = tile_r0 * kMR, i1 = std::min(M, tile_r1 * kMR);
        int64_t j0 = tile_c0 * kNR, j1 = std::min(N, tile_c1 * kNR);
        if (i1 > i0 && j1 > j0)
            gemm_rectangle(trans_a, i0, i1 - i0, j0, j1 - j0, K, alpha, A, lda, pack_b, beta, C,
                           ldc);
    }
}

int64_t sgemm_pack_width() { return kNR; }

// A: (M,K) or stored (K,M); B: (K,N) or stored (N,K) -> C: (M,N)
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc) {
    PackB pack_b = [&](int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* packed) {
        sgemm_pack_b(trans_b, B, ldb, k0, kc, j0, nc, packed);
    };
    sgemm_custom_b(trans_a, M, N, K, alpha, A, lda, pack_b, beta, C, ldc);
}

}  // namespace hd::kernels
