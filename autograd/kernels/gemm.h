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

}  // namespace hd::kernels
