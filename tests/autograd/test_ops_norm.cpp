// Tests for autograd/ops_norm.h.
#include "autograd/ops.h"
#include "tests/support/composed_ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <omp.h>

using namespace hd;
using test::group_norm_composed;
using test::random_input;
using test::require_gradcheck;

TEST_CASE("group_norm normalises each (sample, group) to mean 0 and variance 1", "[norm]") {
    Tensor x = random_input({2, 8, 4, 4}, 1, 3.0f).detach();
    Tensor y = group_norm(x, 4, Tensor::ones({8}), Tensor::zeros({8}));
    Tensor grouped = reshape(y, {2, 4, -1});
    test::require_close(mean(grouped, {2}), Tensor::zeros({2, 4}), 1e-5f, 0.0f);
    test::require_close(mean(grouped * grouped, {2}), Tensor::ones({2, 4}), 1e-3f, 0.0f);
    CHECK_THROWS_WITH(group_norm(x, 3, Tensor::ones({8}), Tensor::zeros({8})), Catch::Contains("divisible"));
    CHECK_THROWS_WITH(group_norm(x, 4, Tensor::ones({4}), Tensor::zeros({8})), Catch::Contains("should both have shape (8)"));
}

TEST_CASE("group_norm gradients match finite differences", "[norm][gradcheck]") {
    Tensor x = random_input({2, 6, 3, 3}, 2), gamma = random_input({6}, 3), beta = random_input({6}, 4);
    SECTION("3 groups") { require_gradcheck([](auto& in) { return group_norm(in[0], 3, in[1], in[2]); }, {x, gamma, beta}); }
    SECTION("one group per channel") { require_gradcheck([](auto& in) { return group_norm(in[0], 6, in[1], in[2]); }, {x, gamma, beta}); }
    SECTION("one group, (B,C) input") {
        require_gradcheck([](auto& in) { return group_norm(in[0], 1, in[1], in[2]); }, {random_input({3, 6}, 5), gamma, beta});
    }
}

TEST_CASE("fused group_norm equals the composed ops, forward and backward", "[norm]") {
    Tensor x = random_input({3, 16, 5, 7}, 6, 2.0f), gamma = random_input({16}, 7), beta = random_input({16}, 8);
    Tensor y = group_norm(x, 8, gamma, beta);
    Tensor w = random_input(y.shape(), 9).detach();
    sum(y * w).backward();
    Tensor gx = x.grad().clone(), gg = gamma.grad().clone(), gb = beta.grad().clone();
    for (Tensor t : {x, gamma, beta}) t.zero_grad();
    Tensor z = group_norm_composed(x, 8, gamma, beta, 1e-5f);
    sum(z * w).backward();
    test::require_close(y, z, 1e-4f, 1e-4f);
    test::require_close(gx, x.grad(), 1e-4f, 1e-3f);
    test::require_close(gg, gamma.grad(), 1e-4f, 1e-3f);
    test::require_close(gb, beta.grad(), 1e-4f, 1e-3f);
}

TEST_CASE("group_norm is bitwise identical with 1 and 2 threads", "[norm]") {
    Tensor x = random_input({4, 32, 16, 16}, 10), gamma = random_input({32}, 11), beta = random_input({32}, 12);
    int threads = omp_get_max_threads();
    auto run = [&](int n) {
        omp_set_num_threads(n);
        for (Tensor t : {x, gamma, beta}) t.zero_grad();
        Tensor y = group_norm(x, 8, gamma, beta);
        sum(y * y).backward();
        return std::vector<std::vector<float>>{y.to_vector(), x.grad().to_vector(), gamma.grad().to_vector()};
    };
    auto one = run(1), two = run(2);
    omp_set_num_threads(threads);
    CHECK(one == two);
}
