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

}  // namespace hd::kernels
