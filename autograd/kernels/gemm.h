// gemm.h — single-precision matrix multiply on raw row-major buffers.
//
// Shape legend: M rows of op(A) and C, N columns of op(B) and C, K the summed dimension.
//   op(A): (M,K)   op(B): (K,N)   C: (M,N)
//   op(X) is X or its transpose; lda/ldb/ldc are the row strides of the matrices as
//   they are stored (so a transposed A is stored (K,M) with row stride lda >= M).
//
// sgemm is our own packed, cache-blocked, multithreaded GEMM (no BLAS); sgemm_naive is
// the plain triple loop it is tested against. Both are deterministic: every element of C
// sums its K products in the same order whatever the number of OpenMP threads, because
// the work is split over M and N only, never over K.
#pragma once

#include <cstdint>
#include <functional>

#if defined(__AVX512F__)
// GCC 12's AVX-512 headers trip its own -Wmaybe-uninitialized (GCC bug 105593, fixed in 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif

namespace hd::kernels {

/// C = alpha * op(A) @ op(B) + beta * C. With beta == 0, C is only written (never read),
/// so garbage (even NaN) already in C does not leak into the result.
// A: (M,K) or stored (K,M) if trans_a; B: (K,N) or stored (N,K) if trans_b -> C: (M,N)
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
           const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
           int64_t ldc);

/// The same contract as sgemm, as a plain triple loop: the test oracle.
void sgemm_naive(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc);

// ---------------------------------------------------------------------------------------
// For kernels that pack op(B) themselves (conv2d packs image patches straight from the
// input, so the im2col matrix is never written out).
// ---------------------------------------------------------------------------------------

/// Writes op(B)[k0 : k0+kc, j0 : j0+nc] into `packed` in the micro-kernel's layout:
/// ceil(nc / W) slivers one after another, W = sgemm_pack_width(); sliver s holds columns
/// j0 + s*W ... j0 + s*W + W-1 as kc rows of W floats (row-major), columns past nc zero.
/// Called from several threads at once (each with its own `packed`), so it must be
/// thread-safe.
using PackB = std::function<void(int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* packed)>;

/// The column count W of one packed sliver of op(B) (the micro-kernel's tile width).
int64_t sgemm_pack_width();

/// sgemm's own packer, for a PackB that stages a block of B in memory and packs it from
/// there: op(B)[k0 : k0+kc, j0 : j0+nc] of a stored B (as in sgemm) -> packed, as above.
// B: (K,N) or stored (N,K) -> packed: ceil(nc/W) slivers of (kc, W)
void sgemm_pack_b(bool trans_b, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0,
                  int64_t nc, float* packed);

/// C = alpha * op(A) @ op(B) + beta * C, with op(B) (K,N) supplied by pack_b. The same
/// blocking, threading and determinism as sgemm.
// A: (M,K) or stored (K,M); op(B): (K,N) through pack_b -> C: (M,N)
void sgemm_custom_b(bool trans_a, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const PackB& pack_b, float beta, float* C, int64_t ldc);

#if defined(__AVX512F__)
/// In-register transpose of a 16 x 16 block: rows[i] holds row i on entry, column i on
/// exit. Shared by the packers here and in conv2d (which transposes image patches and
/// gradient rows straight from the image, without staging them).
// Three rounds, each swapping ever larger sub-blocks: 1x1 pairs within 128-bit lanes, then
// 2x2 pairs, then 4x4 lanes across the register (two lane shuffles).
// Every loop is unrolled so that t and u live in registers (-O2 would otherwise keep the
// loops, and with them t and u on the stack).
__attribute__((always_inline)) inline void transpose_16x16(__m512 rows[16]) {
    __m512 t[16], u[16];
    // 1. interleave row pairs: t holds (a0 b0 a1 b1 | a4 b4 a5 b5 | ...) and the hi halves
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_ps(rows[2 * i], rows[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(rows[2 * i], rows[2 * i + 1]);
    }
    // 2. interleave pairs of pairs: u[4g + j] holds, in lane l, column 4l + j of rows 4g..4g+3
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) {
        __m512d lo = _mm512_castps_pd(t[4 * g]), hi = _mm512_castps_pd(t[4 * g + 1]);
        __m512d lo2 = _mm512_castps_pd(t[4 * g + 2]), hi2 = _mm512_castps_pd(t[4 * g + 3]);
        u[4 * g + 0] = _mm512_castpd_ps(_mm512_unpacklo_pd(lo, lo2));
        u[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(lo, lo2));
        u[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(hi, hi2));
        u[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(hi, hi2));
    }
    // 3. gather the four lanes of each column from the four row groups
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
        __m512 a = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88);       // cols j, j+8 of rows 0-7
        __m512 b = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xDD);       // cols j+4, j+12
        __m512 c = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88);  // same, rows 8-15
        __m512 d = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xDD);
        rows[j] = _mm512_shuffle_f32x4(a, c, 0x88);
        rows[j + 8] = _mm512_shuffle_f32x4(a, c, 0xDD);
        rows[j + 4] = _mm512_shuffle_f32x4(b, d, 0x88);
        rows[j + 12] = _mm512_shuffle_f32x4(b, d, 0xDD);
    }
}
#endif

}  // namespace hd::kernels
