// Tests for autograd/ops_linalg.h.
#include "autograd/ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

using namespace hd;
using test::random_input;
using test::require_gradcheck;

TEST_CASE("matmul multiplies matrices and batches of them", "[linalg]") {
    Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
    Tensor b = Tensor::from_vector({1, 0, 0, 1, 1, 1}, {3, 2});
    test::require_close(matmul(a, b), Tensor::from_vector({4, 5, 10, 11}, {2, 2}));
    // A (2,…) stack times one shared matrix: the batch axis broadcasts.
    Tensor stack = reshape(concat({a, a * 2.0f}, 0), {2, 2, 3});
    test::require_close(matmul(stack, b), Tensor::from_vector({4, 5, 10, 11, 8, 10, 20, 22}, {2, 2, 2}));
}

TEST_CASE("matmul names both shapes when they do not fit", "[linalg]") {
    CHECK_THROWS_WITH(matmul(Tensor::zeros({32, 130}), Tensor::zeros({128, 256})),
                      Catch::Equals("matmul: (32,130) @ (128,256): inner dimensions differ (130 vs 128)"));
    CHECK_THROWS_WITH(matmul(Tensor::zeros({3}), Tensor::zeros({3, 2})), Catch::Contains("at least 2 axes"));
    CHECK_THROWS_WITH(linear(Tensor::zeros({4, 5}), Tensor::zeros({3, 6}), Tensor()),
                      Catch::Contains("linear: input (4,5) does not fit weight (3,6)"));
}

TEST_CASE("matmul gradients match finite differences", "[linalg][gradcheck]") {
    SECTION("plain, odd sizes") {
        require_gradcheck([](auto& in) { return matmul(in[0], in[1]); }, {random_input({3, 5}, 1), random_input({5, 7}, 2)});
    }
    SECTION("batched") {
        require_gradcheck([](auto& in) { return matmul(in[0], in[1]); },
                          {random_input({2, 3, 4}, 3), random_input({2, 4, 2}, 4)});
    }
    SECTION("broadcast batch axes") {
        require_gradcheck([](auto& in) { return matmul(in[0], in[1]); },
                          {random_input({2, 1, 3, 4}, 5), random_input({3, 4, 2}, 6)});
    }
}

TEST_CASE("linear gradients match finite differences", "[linalg][gradcheck]") {
    Tensor x = random_input({2, 3, 5}, 7), w = random_input({4, 5}, 8), b = random_input({4}, 9);
    SECTION("with bias") { require_gradcheck([](auto& in) { return linear(in[0], in[1], in[2]); }, {x, w, b}); }
    SECTION("without bias") { require_gradcheck([](auto& in) { return linear(in[0], in[1], Tensor()); }, {x, w}); }
}

TEST_CASE("fused linear equals matmul with the transposed weight plus bias", "[linalg]") {
    Tensor x = random_input({6, 33}, 10), w = random_input({17, 33}, 11), b = random_input({17}, 12);
    Tensor fused = linear(x, w, b);
    sum(fused * fused).backward();
    Tensor gx = x.grad().clone(), gw = w.grad().clone(), gb = b.grad().clone();
    for (Tensor t : {x, w, b}) t.zero_grad();
    Tensor composed = matmul(x, transpose(w, 0, 1)) + b;
    sum(composed * composed).backward();
    test::require_close(fused, composed, 1e-5f, 1e-5f);
    test::require_close(gx, x.grad(), 1e-4f, 1e-5f);
    test::require_close(gw, w.grad(), 1e-4f, 1e-5f);
    test::require_close(gb, b.grad(), 1e-4f, 1e-5f);
}
