// Tests for autograd/ops_elementwise.h: values, broadcasting, and every backward
// against central finite differences.
#include "autograd/ops.h"
#include "autograd/tensor_loops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace hd;
using test::random_input;
using test::require_gradcheck;

namespace {
Tensor positive_input(const Shape& shape, uint64_t seed) {
    Tensor x = random_input(shape, seed).detach();
    for (int64_t i = 0; i < x.numel(); ++i) x.data()[i] = 0.5f + std::fabs(x.data()[i]);
    return x.set_requires_grad(true);
}
}  // namespace

TEST_CASE("broadcast shapes follow NumPy's rules", "[elementwise]") {
    CHECK(broadcast_shapes({2, 3, 4, 5}, {3, 1, 1}, "t") == Shape{2, 3, 4, 5});
    CHECK(broadcast_shapes({4}, {3, 1}, "t") == Shape{3, 4});
    CHECK(broadcast_shapes({}, {2, 2}, "t") == Shape{2, 2});
    CHECK(broadcast_shapes({1, 5}, {7, 1}, "t") == Shape{7, 5});
    CHECK_THROWS_WITH(broadcast_shapes({2, 3}, {4}, "add"),
                      Catch::Contains("add: shapes (2,3) and (4) cannot be broadcast"));
    CHECK_THROWS_AS(Tensor::ones({2, 3}) + Tensor::ones({2}), ShapeError);
}

TEST_CASE("binary ops compute the right values under broadcasting", "[elementwise]") {
    Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
    Tensor row = Tensor::from_vector({10, 20, 30}, {3});
    Tensor column = Tensor::from_vector({100, 200}, {2, 1});
    test::require_close(a + row, Tensor::from_vector({11, 22, 33, 14, 25, 36}, {2, 3}));
    test::require_close(a - column, Tensor::from_vector({-99, -98, -97, -196, -195, -194}, {2, 3}));
    test::require_close(row * column, Tensor::from_vector({1000, 2000, 3000, 2000, 4000, 6000}, {2, 3}));
    test::require_close(a / 2.0f, Tensor::from_vector({0.5f, 1, 1.5f, 2, 2.5f, 3}, {2, 3}));
    test::require_close(10.0f - a, Tensor::from_vector({9, 8, 7, 6, 5, 4}, {2, 3}));
    // A middle axis broadcast, as a ResBlock adds a (B,C,1,1) embedding to (B,C,H,W).
    Tensor image = Tensor::arange(2 * 3 * 2 * 2);
    Tensor bias = Tensor::from_vector({0, 100, 200, 300, 400, 500}, {2, 3, 1, 1});
    Tensor sum_image = reshape(image, {2, 3, 2, 2}) + bias;
    for (int64_t b = 0; b < 2; ++b)
        for (int64_t c = 0; c < 3; ++c)
            for (int64_t i = 0; i < 4; ++i) {
                CAPTURE(b, c, i);
                CHECK(sum_image.data()[(b * 3 + c) * 4 + i] == float((b * 3 + c) * 4 + i + 100 * (b * 3 + c)));
            }
}

TEST_CASE("unary ops compute the right values", "[elementwise]") {
    Tensor x = Tensor::from_vector({-2.0f, -0.5f, 0.0f, 0.5f, 3.0f}, {5});
    auto expect = [&](const Tensor& got, float (*f)(float)) {
        std::vector<float> want;
        for (float v : x.to_vector()) want.push_back(f(v));
        test::require_close(got, Tensor::from_vector(want, {5}), 1e-6f, 1e-5f);
    };
    expect(neg(x), [](float v) { return -v; });
    expect(exp(x), [](float v) { return std::exp(v); });
    expect(sin(x), [](float v) { return std::sin(v); });
    expect(cos(x), [](float v) { return std::cos(v); });
    expect(relu(x), [](float v) { return v > 0 ? v : 0.0f; });
    expect(sigmoid(x), [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
    expect(silu(x), [](float v) { return v / (1.0f + std::exp(-v)); });
    expect(pow(x, 2.0f), [](float v) { return v * v; });
    Tensor p = Tensor::from_vector({0.25f, 1.0f, 4.0f}, {3});
    test::require_close(sqrt(p), Tensor::from_vector({0.5f, 1.0f, 2.0f}, {3}));
    test::require_close(log(p), Tensor::from_vector({std::log(0.25f), 0.0f, std::log(4.0f)}, {3}));
}

TEST_CASE("binary op gradients match finite differences, with and without broadcasting", "[elementwise][gradcheck]") {
    struct Case { Shape a, b; };
    for (auto [sa, sb] : {Case{{3, 4}, {3, 4}}, Case{{2, 3, 5}, {5}}, Case{{2, 3, 1, 1}, {2, 3, 2, 3}},
                          Case{{4, 1}, {1, 3}}, Case{{}, {2, 3}}, Case{{7}, {1}}}) {
        CAPTURE(shape_str(sa), shape_str(sb));
        Tensor a = random_input(sa, 1), b = random_input(sb, 2);
        SECTION("add") { require_gradcheck([](auto& in) { return add(in[0], in[1]); }, {a, b}); }
        SECTION("sub") { require_gradcheck([](auto& in) { return sub(in[0], in[1]); }, {a, b}); }
        SECTION("mul") { require_gradcheck([](auto& in) { return mul(in[0], in[1]); }, {a, b}); }
        SECTION("div") {
            Tensor positive_b = positive_input(sb, 3);
            require_gradcheck([](auto& in) { return div(in[0], in[1]); }, {a, positive_b});
        }
    }
}

TEST_CASE("unary op gradients match finite differences", "[elementwise][gradcheck]") {
    Tensor x = random_input({3, 5}, 4);
    Tensor positive = positive_input({3, 5}, 5);
    SECTION("neg") { require_gradcheck([](auto& in) { return neg(in[0]); }, {x}); }
    SECTION("exp") { require_gradcheck([](auto& in) { return exp(in[0]); }, {x}); }
    SECTION("log") { require_gradcheck([](auto& in) { return log(in[0]); }, {positive}); }
    SECTION("sqrt") { require_gradcheck([](auto& in) { return sqrt(in[0]); }, {positive}); }
    SECTION("pow") { require_gradcheck([](auto& in) { return pow(in[0], 2.5f); }, {positive}); }
    SECTION("pow with an integer exponent on negative values") {
        require_gradcheck([](auto& in) { return pow(in[0], 3.0f); }, {x});
    }
    SECTION("sin") { require_gradcheck([](auto& in) { return sin(in[0]); }, {x}); }
    SECTION("cos") { require_gradcheck([](auto& in) { return cos(in[0]); }, {x}); }
    SECTION("relu") { require_gradcheck([](auto& in) { return relu(in[0]); }, {x}); } // N(0,1) values avoid the kink at 0
    SECTION("sigmoid") { require_gradcheck([](auto& in) { return sigmoid(in[0]); }, {x}); }
    SECTION("silu") { require_gradcheck([](auto& in) { return silu(in[0]); }, {x}); }
}

TEST_CASE("fused silu equals the composed x * sigmoid(x), forward and backward", "[elementwise]") {
    Tensor x = random_input({4, 33}, 6, 3.0f);
    Tensor y_fused = silu(x);
    sum(y_fused * y_fused).backward();
    Tensor grad_fused = x.grad().clone();
    x.zero_grad();
    Tensor y_composed = mul(x, sigmoid(x));
    sum(y_composed * y_composed).backward();
    test::require_close(y_fused, y_composed, 1e-6f, 1e-5f);
    test::require_close(grad_fused, x.grad(), 1e-6f, 1e-5f);
}

TEST_CASE("large tensors take the parallel path and give the same numbers", "[elementwise]") {
    Tensor a = random_input({3, 70000}, 7).detach();
    Tensor b = random_input({70000}, 8).detach();
    Tensor c = a * b;
    for (int64_t i : {0L, 69999L, 70000L, 209999L}) {
        CAPTURE(i);
        CHECK(c.data()[i] == a.data()[i] * b.data()[i % 70000]);
    }
}

TEST_CASE("in-place add accumulates and refuses to change the shape", "[elementwise]") {
    Tensor a = Tensor::ones({2, 3});
    add_(a, Tensor::from_vector({1, 2, 3}, {3}));
    test::require_close(a, Tensor::from_vector({2, 3, 4, 2, 3, 4}, {2, 3}));
    CHECK_THROWS_WITH(add_(a, Tensor::ones({4, 2, 3})), Catch::Contains("change the shape"));
    mul_(a, 0.5f);
    CHECK(a.at({0, 2}) == 2.0f);
}
