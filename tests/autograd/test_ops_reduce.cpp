// Tests for autograd/ops_reduce.h.
#include "autograd/ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <omp.h>

using namespace hd;
using test::random_input;
using test::require_gradcheck;

TEST_CASE("sum and mean reduce the requested axes", "[reduce]") {
    Tensor x = reshape(Tensor::arange(24), {2, 3, 4});
    CHECK(sum(x).item() == 276.0f);
    CHECK(sum(x).dim() == 0);
    test::require_close(sum(x, {1}), Tensor::from_vector({12, 15, 18, 21, 48, 51, 54, 57}, {2, 4}));
    test::require_close(sum(x, {0, 2}), Tensor::from_vector({60, 92, 124}, {3}));
    CHECK(sum(x, {-1}, true).shape() == Shape{2, 3, 1});
    test::require_close(mean(x, {2}), Tensor::from_vector({1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f}, {2, 3}));
    CHECK(mean(x).item() == Approx(11.5f).margin(1e-6));
    CHECK_THROWS_WITH(sum(x, {3}), Catch::Contains("axis 3 is out of range for a tensor of rank 3"));
    CHECK_THROWS_WITH(sum(x, {1, -2}), Catch::Contains("listed twice"));
}

TEST_CASE("amax finds the largest value along an axis", "[reduce]") {
    Tensor x = Tensor::from_vector({1, 9, 3, -4, -2, -8}, {2, 3});
    test::require_close(amax(x, 1), Tensor::from_vector({9, -2}, {2}));
    test::require_close(amax(x, 0, true), Tensor::from_vector({1, 9, 3}, {1, 3}));
}

TEST_CASE("sum_to undoes broadcasting by summing", "[reduce]") {
    Tensor g = Tensor::ones({2, 3, 4});
    test::require_close(sum_to(g, {3, 1}), Tensor::full({3, 1}, 8.0f));
    test::require_close(sum_to(g, {}), Tensor::scalar(24.0f));
    CHECK_THROWS_AS(sum_to(g, {5}), ShapeError);
}

TEST_CASE("expand repeats size-1 axes", "[reduce]") {
    Tensor x = Tensor::from_vector({1, 2}, {2, 1});
    test::require_close(expand(x, {3, 2, 2}), Tensor::from_vector({1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2}, {3, 2, 2}));
    CHECK_THROWS_AS(expand(x, {3, 3}), ShapeError);
}

TEST_CASE("mean equals div(sum(x), n) bit for bit, forward and backward", "[reduce]") {
    struct Case {
        Shape shape;
        std::vector<int64_t> axes;
        bool keepdim;
    };
    for (const Case& c : {Case{{2, 3, 5}, {}, false}, Case{{2, 3, 5}, {-1}, false}, Case{{4, 6, 7, 9}, {2, 3}, true},
                          Case{{3, 70000}, {0}, false}, Case{{}, {}, false}}) {
        CAPTURE(shape_str(c.shape), c.axes, c.keepdim);
        Tensor x = random_input(c.shape, 12);
        Tensor fused = mean(x, c.axes, c.keepdim);
        Tensor weights = random_input(fused.shape(), 13).detach(); // a loss whose gradient differs per output
        const int64_t n = x.numel() / fused.numel();                // the elements averaged into each output
        sum(fused * weights).backward();
        Tensor grad_fused = x.grad();
        x.zero_grad();
        Tensor composed = div(sum(x, c.axes, c.keepdim), static_cast<float>(n));
        sum(composed * weights).backward();
        test::require_close(fused, composed, 0.0f, 0.0f);
        test::require_close(grad_fused, x.grad(), 0.0f, 0.0f);
    }
}

TEST_CASE("reduction gradients match finite differences", "[reduce][gradcheck]") {
    Tensor x = random_input({2, 3, 5}, 11);
    SECTION("sum over all") { require_gradcheck([](auto& in) { return sum(in[0]); }, {x}); }
    SECTION("sum over a middle axis") { require_gradcheck([](auto& in) { return sum(in[0], {1}); }, {x}); }
    SECTION("sum over two axes, kept") { require_gradcheck([](auto& in) { return sum(in[0], {0, 2}, true); }, {x}); }
    SECTION("mean over the last axis") { require_gradcheck([](auto& in) { return mean(in[0], {-1}); }, {x}); }
    SECTION("mean over all") { require_gradcheck([](auto& in) { return mean(in[0]); }, {x}); }
    SECTION("sum_to") { require_gradcheck([](auto& in) { return sum_to(in[0], {3, 1}); }, {x}); }
    SECTION("expand") {
        require_gradcheck([](auto& in) { return expand(in[0], {3, 2, 5, 4}); }, {random_input({2, 1, 4}, 22)});
    }
}

TEST_CASE("a long sum is accurate and identical for any thread count", "[reduce]") {
    // 1 + 1e-4 repeated: a float running sum would drift; the double accumulator does not.
    const int64_t n = 1 << 20;
    Tensor x = Tensor::full({n}, 1.0f + 1e-4f);
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    float one_thread = sum(x).item();
    omp_set_num_threads(2);
    float two_threads = sum(x).item();
    omp_set_num_threads(threads);
    CHECK(one_thread == two_threads);
    CHECK(one_thread == Approx(double(n) * double(1.0f + 1e-4f)).epsilon(1e-6));
}
