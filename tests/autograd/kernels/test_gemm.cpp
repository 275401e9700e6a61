// test_gemm.cpp — the packed SGEMM against the naive triple loop, at shapes that hit every
// edge tile and block boundary, every transpose, alpha/beta, and across thread counts.
#include "autograd/kernels/gemm.h"

#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using hd::test::random_buffer;

using hd::kernels::sgemm;
using hd::kernels::sgemm_naive;

// Runs sgemm and sgemm_naive on the same random problem and compares every element of C.
// The stored matrices get a row stride larger than needed (pad) so that the lda/ldb/ldc
// handling is checked too. C starts as random values (or NaN when nan_c).
void check_against_naive(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                         float alpha, float beta, int64_t pad = 0, bool nan_c = false) {
    CAPTURE(trans_a, trans_b, M, N, K, alpha, beta, pad);
    // stored A is (M,K) or (K,M); stored B is (K,N) or (N,K)
    int64_t a_rows = trans_a ? K : M, a_cols = trans_a ? M : K;
    int64_t b_rows = trans_b ? N : K, b_cols = trans_b ? K : N;
    int64_t lda = a_cols + pad, ldb = b_cols + pad, ldc = N + pad;
    auto A = random_buffer(std::max<int64_t>(a_rows * lda, 1), 1);
    auto B = random_buffer(std::max<int64_t>(b_rows * ldb, 1), 2);
    auto C = random_buffer(std::max<int64_t>(M * ldc, 1), 3);
    if (nan_c) std::fill(C.begin(), C.end(), std::numeric_limits<float>::quiet_NaN());
    auto expected = C;

    sgemm(trans_a, trans_b, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
    sgemm_naive(trans_a, trans_b, M, N, K, alpha, A.data(), lda, B.data(), ldb, beta,
                expected.data(), ldc);

    // float32 sums of K products of values in [-1,1]: allow the rounding of a K-long sum
    float atol = 1e-5f * float(std::max<int64_t>(K, 1)) * std::max(1.0f, std::fabs(alpha));
    for (int64_t i = 0; i < M; ++i)
        hd::test::require_close(C.data() + i * ldc, expected.data() + i * ldc, N, atol, 1e-4f,
                                "row " + std::to_string(i) + " of C");
    // the padding between rows of C must be untouched
    if (pad > 0 && !nan_c)
        for (int64_t i = 0; i < M; ++i)
            for (int64_t j = N; j < ldc; ++j) REQUIRE(C[size_t(i * ldc + j)] == expected[size_t(i * ldc + j)]);
}

}  // namespace

TEST_CASE("sgemm matches the naive loop at sizes that are not multiples of any block", "[gemm]") {
    const int64_t sizes[] = {1, 7, 17, 33, 65, 130};
    for (int64_t M : sizes)
        for (int64_t N : sizes)
            for (int64_t K : {int64_t(1), int64_t(17), int64_t(130)}) check_against_naive(false, false, M, N, K, 1.0f, 0.0f);
}

TEST_CASE("sgemm handles all four transpose combinations with strided storage", "[gemm]") {
    for (bool trans_a : {false, true})
        for (bool trans_b : {false, true}) {
            check_against_naive(trans_a, trans_b, 33, 65, 17, 1.0f, 0.0f, 3);
            check_against_naive(trans_a, trans_b, 130, 7, 300, 1.0f, 0.0f, 5);
        }
}

TEST_CASE("sgemm applies alpha and beta", "[gemm]") {
    for (bool trans_a : {false, true})
        for (bool trans_b : {false, true}) {
            check_against_naive(trans_a, trans_b, 17, 65, 33, 0.5f, 1.0f, 2);
            check_against_naive(trans_a, trans_b, 65, 130, 7, -2.0f, 0.25f, 0);
        }
}

TEST_CASE("sgemm with beta zero overwrites C without reading the NaN in it", "[gemm]") {
    check_against_naive(false, false, 33, 65, 130, 1.0f, 0.0f, 1, true);
    check_against_naive(true, true, 7, 17, 1, 2.0f, 0.0f, 0, true);
}

TEST_CASE("sgemm with K zero scales C by beta", "[gemm]") {
    check_against_naive(false, false, 17, 33, 0, 1.0f, 0.5f, 1);
    check_against_naive(false, false, 17, 33, 0, 1.0f, 0.0f, 0, true);
}

TEST_CASE("sgemm handles a single row or a single column", "[gemm]") {
    check_against_naive(false, false, 1, 1000, 257, 1.0f, 0.0f);
    check_against_naive(false, true, 1000, 1, 257, 1.0f, 0.0f);
    check_against_naive(true, false, 1, 1, 1000, 1.0f, 0.0f);
}

TEST_CASE("sgemm matches the naive loop on conv-shaped and multi-block problems", "[gemm]") {
    // K above one KC slab, N above one NC panel, M above one MC block: every loop wraps.
    check_against_naive(false, false, 64, 1100, 288, 1.0f, 0.0f);
    check_against_naive(true, false, 300, 520, 64, 1.0f, 0.0f);
    check_against_naive(false, true, 32, 288, 1030, 1.0f, 1.0f);
    check_against_naive(false, false, 257, 401, 513, 1.0f, 0.0f);
}

TEST_CASE("sgemm gives bitwise identical results with 1 and 2 threads", "[gemm]") {
    struct Shape { bool trans_a, trans_b; int64_t M, N, K; };
    const Shape shapes[] = {{false, false, 300, 500, 600}, {true, false, 130, 1000, 300},
                            {false, true, 64, 288, 2000}, {true, true, 513, 65, 257},
                            {false, false, 1100, 130, 300}};
    int saved_threads = omp_get_max_threads();
    for (const Shape& s : shapes) {
        CAPTURE(s.trans_a, s.trans_b, s.M, s.N, s.K);
        int64_t lda = s.trans_a ? s.M : s.K, ldb = s.trans_b ? s.K : s.N;
        auto A = random_buffer(s.M * s.K, 4), B = random_buffer(s.K * s.N, 5);
        auto C1 = random_buffer(s.M * s.N, 6);
        auto C2 = C1;
        omp_set_num_threads(1);
        sgemm(s.trans_a, s.trans_b, s.M, s.N, s.K, 0.75f, A.data(), lda, B.data(), ldb, 0.5f, C1.data(), s.N);
        omp_set_num_threads(2);
        sgemm(s.trans_a, s.trans_b, s.M, s.N, s.K, 0.75f, A.data(), lda, B.data(), ldb, 0.5f, C2.data(), s.N);
        REQUIRE(std::memcmp(C1.data(), C2.data(), C1.size() * sizeof(float)) == 0);
    }
    omp_set_num_threads(saved_threads);
}

TEST_CASE("sgemm handles an A taller than one row block", "[gemm]") {
    // M above MC (1024 rows with AVX-512): A is packed block by block, B once per block
    check_against_naive(false, false, 2100, 33, 40, 1.0f, 0.5f, 1);
    check_against_naive(true, true, 1500, 50, 300, 1.0f, 0.0f);
}
