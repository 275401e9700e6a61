// Tests for autograd/ops_conv.h: values against the naive kernel, and gradients
// against finite differences at the awkward shapes (odd sizes, stride 2, padding 0
// and 1, 1×1 kernels).
#include "autograd/kernels/conv2d.h"
#include "autograd/ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

using namespace hd;
using test::random_input;
using test::require_gradcheck;

TEST_CASE("conv2d of a known kernel gives the known answer", "[conv2d]") {
    // A 3×3 box filter with padding 1 over a 3×3 image of ones counts each pixel's neighbours.
    Tensor x = Tensor::ones({1, 1, 3, 3});
    Tensor w = Tensor::ones({1, 1, 3, 3});
    Tensor y = conv2d(x, w, Tensor::from_vector({0.5f}, {1}), 1, 1);
    test::require_close(y, Tensor::from_vector({4.5f, 6.5f, 4.5f, 6.5f, 9.5f, 6.5f, 4.5f, 6.5f, 4.5f}, {1, 1, 3, 3}));
    CHECK(conv2d(Tensor::ones({2, 3, 8, 7}), Tensor::ones({5, 3, 3, 3}), Tensor(), 2, 1).shape() == Shape{2, 5, 4, 4});
}

TEST_CASE("conv2d rejects shapes that do not fit, naming them", "[conv2d]") {
    CHECK_THROWS_WITH(conv2d(Tensor::zeros({1, 3, 8, 8}), Tensor::zeros({4, 2, 3, 3}), Tensor()),
                      Catch::Contains("input (1,3,8,8) and weight (4,2,3,3) do not fit"));
    CHECK_THROWS_WITH(conv2d(Tensor::zeros({1, 1, 2, 2}), Tensor::zeros({1, 1, 3, 3}), Tensor()),
                      Catch::Contains("does not fit input (1,1,2,2) with padding 0"));
    CHECK_THROWS_WITH(conv2d(Tensor::zeros({1, 1, 4, 4}), Tensor::zeros({1, 1, 3, 3}), Tensor(), 0),
                      Catch::Contains("stride 0"));
}

TEST_CASE("conv2d gradients match finite differences", "[conv2d][gradcheck]") {
    struct Case { int64_t batch, cin, cout, h, w, k, stride, padding; };
    for (Case c : {Case{2, 3, 4, 5, 5, 3, 1, 1}, Case{1, 2, 3, 7, 6, 3, 2, 1}, Case{2, 3, 2, 5, 5, 3, 1, 0},
                   Case{1, 4, 3, 5, 3, 1, 1, 0}, Case{2, 1, 1, 6, 6, 3, 2, 0}}) {
        CAPTURE(c.batch, c.cin, c.cout, c.h, c.w, c.k, c.stride, c.padding);
        Tensor x = random_input({c.batch, c.cin, c.h, c.w}, 1);
        Tensor w = random_input({c.cout, c.cin, c.k, c.k}, 2, 0.5f);
        Tensor b = random_input({c.cout}, 3);
        require_gradcheck([&](auto& in) { return conv2d(in[0], in[1], in[2], c.stride, c.padding); }, {x, w, b});
    }
}

TEST_CASE("upsample_nearest repeats pixels and sums gradients over each block", "[conv2d][gradcheck]") {
    Tensor x = Tensor::from_vector({1, 2, 3, 4}, {1, 1, 2, 2});
    test::require_close(upsample_nearest(x, 2),
                        Tensor::from_vector({1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, {1, 1, 4, 4}));
    require_gradcheck([](auto& in) { return upsample_nearest(in[0], 2); }, {random_input({2, 3, 3, 5}, 4)});
    require_gradcheck([](auto& in) { return upsample_nearest(in[0], 3); }, {random_input({1, 2, 2, 3}, 5)});
}
