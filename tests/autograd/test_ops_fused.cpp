// Tests for autograd/ops_fused.h: each fused op against the chain of primitives it
// replaces, forward and backward, at awkward shapes; and bitwise across thread counts.
#include "autograd/ops.h"
#include "autograd/ops_fused.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <omp.h>

using namespace hd;
using test::random_input;
using test::require_gradcheck;

TEST_CASE("upsample_concat equals concat(upsample_nearest(x), skip), forward and backward", "[fused]") {
    struct Case {
        Shape x_shape;
        int64_t skip_channels, factor;
    };
    for (const Case& c : {Case{{2, 3, 5, 7}, 4, 2}, Case{{1, 1, 1, 1}, 1, 2}, Case{{2, 5, 3, 2}, 2, 3},
                          Case{{3, 2, 4, 4}, 3, 1}, Case{{2, 16, 8, 8}, 8, 2}}) {
        const int64_t B = c.x_shape[0], f = c.factor;
        CAPTURE(shape_str(c.x_shape), c.skip_channels, f);
        Tensor x = random_input(c.x_shape, 81);
        Tensor skip = random_input({B, c.skip_channels, c.x_shape[2] * f, c.x_shape[3] * f}, 82);
        Tensor y = upsample_concat(x, f, skip);
        Tensor w = random_input(y.shape(), 83).detach();
        sum(y * w).backward();
        Tensor gx = x.grad().clone(), gs = skip.grad().clone();
        x.zero_grad(), skip.zero_grad();
        Tensor z = concat({upsample_nearest(x, f), skip}, 1);
        sum(z * w).backward();
        CHECK(y.to_vector() == z.to_vector()); // a copy: exactly equal
        test::require_close(gx, x.grad(), 1e-6f, 1e-5f);
        CHECK(gs.to_vector() == skip.grad().to_vector());
    }
}

TEST_CASE("upsample_concat gradients match finite differences", "[fused][gradcheck]") {
    require_gradcheck([](auto& in) { return upsample_concat(in[0], 2, in[1]); },
                      {random_input({2, 2, 3, 3}, 84), random_input({2, 3, 6, 6}, 85)});
}

TEST_CASE("upsample_concat checks its shapes and skips gradients nobody needs", "[fused]") {
    Tensor x = random_input({2, 3, 4, 4}, 86);
    CHECK_THROWS_WITH(upsample_concat(x, 2, Tensor::zeros({2, 1, 7, 8})), Catch::Contains("does not fit"));
    Tensor skip = Tensor::zeros({2, 1, 8, 8}); // a constant
    sum(upsample_concat(x, 2, skip)).backward();
    test::require_close(x.grad(), Tensor::full({2, 3, 4, 4}, 4.0f), 0.0f, 0.0f);
}

TEST_CASE("upsample_concat is bitwise identical with 1 and 2 threads", "[fused]") {
    Tensor x = random_input({4, 16, 16, 16}, 87), skip = random_input({4, 8, 32, 32}, 88);
    const int threads = omp_get_max_threads();
    auto run = [&](int n) {
        omp_set_num_threads(n);
        x.zero_grad(), skip.zero_grad();
        Tensor y = upsample_concat(x, 2, skip);
        sum(y * y).backward();
        return std::vector<std::vector<float>>{y.to_vector(), x.grad().to_vector(), skip.grad().to_vector()};
    };
    auto one = run(1), two = run(2);
    omp_set_num_threads(threads);
    CHECK(one == two);
}
