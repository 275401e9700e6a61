// Tests for the fused group_norm_silu (ops_norm.h) and for the vectorised group_norm
// kernels against their naive reference, at shapes that exercise every loop tail.
#include "autograd/ops.h"
#include "tests/support/composed_ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <omp.h>

using namespace hd;
using test::group_norm_composed;
using test::random_input;
using test::require_gradcheck;
using test::silu_composed;

namespace {

struct Case {
    Shape shape;
    int64_t groups;
};
// Spatial sizes that are not multiples of the 8 lanes (and 1), one group and one per channel.
const std::vector<Case> kAwkwardCases = {
    {{2, 6, 3, 3}, 3}, {{3, 16, 5, 7}, 8}, {{1, 4, 1, 1}, 2}, {{2, 8, 13, 11}, 1},
    {{3, 6}, 6},       {{2, 12, 4, 4}, 4}, {{1, 8, 9}, 8},     {{2, 16, 17, 3}, 8},
};
}  // namespace

TEST_CASE("group_norm and group_norm_silu match the naive reference kernel at awkward shapes", "[norm][fused]") {
    for (const Case& c : kAwkwardCases) {
        CAPTURE(shape_str(c.shape), c.groups);
        const int64_t C = c.shape[1];
        Tensor x = random_input(c.shape, 21, 2.5f).detach();
        Tensor gamma = random_input({C}, 22).detach(), beta = random_input({C}, 23).detach();
        test::require_close(group_norm(x, c.groups, gamma, beta), group_norm_reference(x, c.groups, gamma, beta, 1e-5f, false),
                            1e-5f, 1e-4f);
        test::require_close(group_norm_silu(x, c.groups, gamma, beta),
                            group_norm_reference(x, c.groups, gamma, beta, 1e-5f, true), 1e-5f, 1e-4f);
    }
}

TEST_CASE("fused group_norm_silu equals silu(group_norm) and the composed ops, forward and backward", "[norm][fused]") {
    for (const Case& c : kAwkwardCases) {
        CAPTURE(shape_str(c.shape), c.groups);
        const int64_t C = c.shape[1];
        Tensor x = random_input(c.shape, 31, 2.0f), gamma = random_input({C}, 32), beta = random_input({C}, 33);
        Tensor w = random_input(c.shape, 34).detach();

        Tensor y = group_norm_silu(x, c.groups, gamma, beta);
        sum(y * w).backward();
        Tensor gx = x.grad().clone(), gg = gamma.grad().clone(), gb = beta.grad().clone();

        SECTION("against silu(group_norm(...))") {
            for (Tensor t : {x, gamma, beta}) t.zero_grad();
            Tensor z = silu(group_norm(x, c.groups, gamma, beta));
            sum(z * w).backward();
            test::require_close(y, z, 1e-6f, 1e-5f);
            test::require_close(gx, x.grad(), 1e-5f, 1e-4f);
            test::require_close(gg, gamma.grad(), 1e-5f, 1e-4f);
            test::require_close(gb, beta.grad(), 1e-5f, 1e-4f);
        }
        SECTION("against the ops GroupNorm and SiLU are composed of") {
            for (Tensor t : {x, gamma, beta}) t.zero_grad();
            Tensor z = silu_composed(group_norm_composed(x, c.groups, gamma, beta, 1e-5f));
            sum(z * w).backward();
            test::require_close(y, z, 1e-4f, 1e-4f);
            test::require_close(gx, x.grad(), 1e-4f, 1e-3f);
            test::require_close(gg, gamma.grad(), 1e-4f, 1e-3f);
            test::require_close(gb, beta.grad(), 1e-4f, 1e-3f);
        }
    }
}

TEST_CASE("group_norm_silu gradients match finite differences", "[norm][fused][gradcheck]") {
    Tensor x = random_input({2, 6, 3, 3}, 41), gamma = random_input({6}, 42), beta = random_input({6}, 43);
    SECTION("3 groups") { require_gradcheck([](auto& in) { return group_norm_silu(in[0], 3, in[1], in[2]); }, {x, gamma, beta}); }
    SECTION("one group, (B,C) input") {
        require_gradcheck([](auto& in) { return group_norm_silu(in[0], 1, in[1], in[2]); }, {random_input({3, 6}, 44), gamma, beta});
    }
}

TEST_CASE("group_norm_silu gives the same gradients when only some inputs require grad", "[norm][fused]") {
    Tensor x = random_input({2, 8, 5, 5}, 51), gamma = random_input({8}, 52), beta = random_input({8}, 53);
    Tensor w = random_input(x.shape(), 54).detach();
    sum(group_norm_silu(x, 4, gamma, beta) * w).backward();
    Tensor gx = x.grad().clone(), gg = gamma.grad().clone();

    SECTION("x is a constant: gamma's gradient is unchanged") {
        Tensor xc = x.detach();
        gamma.zero_grad();
        sum(group_norm_silu(xc, 4, gamma, beta) * w).backward();
        CHECK(gamma.grad().to_vector() == gg.to_vector());
    }
    SECTION("gamma and beta are constants: x's gradient is unchanged") {
        x.zero_grad();
        sum(group_norm_silu(x, 4, gamma.detach(), beta.detach()) * w).backward();
        CHECK(x.grad().to_vector() == gx.to_vector());
    }
}

TEST_CASE("group_norm_silu is bitwise identical with 1 and 2 threads", "[norm][fused]") {
    Tensor x = random_input({4, 32, 16, 16}, 61), gamma = random_input({32}, 62), beta = random_input({32}, 63);
    int threads = omp_get_max_threads();
    auto run = [&](int n) {
        omp_set_num_threads(n);
        for (Tensor t : {x, gamma, beta}) t.zero_grad();
        Tensor y = group_norm_silu(x, 8, gamma, beta);
        sum(y * y).backward();
        return std::vector<std::vector<float>>{y.to_vector(), x.grad().to_vector(), gamma.grad().to_vector(),
                                               beta.grad().to_vector()};
    };
    auto one = run(1), two = run(2);
    omp_set_num_threads(threads);
    CHECK(one == two);
}
