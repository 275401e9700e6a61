// Tests for autograd/ops_shape.h.
#include "autograd/ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

using namespace hd;
using test::random_input;
using test::require_gradcheck;

TEST_CASE("reshape is a view with one inferred size", "[shape]") {
    Tensor x = Tensor::arange(12);
    Tensor y = reshape(x, {3, -1});
    CHECK(y.shape() == Shape{3, 4});
    CHECK(y.data() == x.data());
    CHECK(flatten(reshape(x, {2, 2, 3})).shape() == Shape{2, 6});
    CHECK(unsqueeze(x, 0).shape() == Shape{1, 12});
    CHECK_THROWS_WITH(reshape(x, {5, -1}), Catch::Contains("cannot view (12) (12 elements) as (5,-1)"));
    CHECK_THROWS_WITH(reshape(x, {-1, -1}), Catch::Contains("more than one -1"));
}

TEST_CASE("permute and transpose move axes", "[shape]") {
    Tensor x = reshape(Tensor::arange(24), {2, 3, 4});
    Tensor p = permute(x, {2, 0, 1});
    CHECK(p.shape() == Shape{4, 2, 3});
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 3; ++j)
            for (int64_t k = 0; k < 4; ++k) CHECK(p.at({k, i, j}) == x.at({i, j, k}));
    Tensor t = transpose(x, 0, -1);
    CHECK(t.shape() == Shape{4, 3, 2});
    CHECK(t.at({3, 1, 0}) == x.at({0, 1, 3}));
    CHECK_THROWS_WITH(permute(x, {0, 0, 1}), Catch::Contains("listed twice"));
}

TEST_CASE("concat joins along an axis and checks the other sizes", "[shape]") {
    Tensor a = Tensor::from_vector({1, 2, 3, 4}, {2, 2});
    Tensor b = Tensor::from_vector({5, 6}, {2, 1});
    test::require_close(concat({a, b}, 1), Tensor::from_vector({1, 2, 5, 3, 4, 6}, {2, 3}));
    test::require_close(concat({a, a}, 0), Tensor::from_vector({1, 2, 3, 4, 1, 2, 3, 4}, {4, 2}));
    CHECK_THROWS_WITH(concat({a, b}, 0), Catch::Contains("concat: shapes (2,2) and (2,1) differ outside axis 0"));
}

TEST_CASE("slice copies a range and rejects a bad one", "[shape]") {
    Tensor x = reshape(Tensor::arange(12), {3, 4});
    test::require_close(slice(x, 1, 1, 3), Tensor::from_vector({1, 2, 5, 6, 9, 10}, {3, 2}));
    test::require_close(slice(x, 0, -1, 3), Tensor::from_vector({8, 9, 10, 11}, {1, 4}));
    CHECK_THROWS_WITH(slice(x, 0, 2, 5), Catch::Contains("out of range for axis 0 of size 3"));
}

TEST_CASE("shape op gradients match finite differences", "[shape][gradcheck]") {
    Tensor x = random_input({2, 3, 4}, 21);
    Tensor y = random_input({2, 1, 4}, 22);
    SECTION("reshape") { require_gradcheck([](auto& in) { return reshape(in[0], {4, 6}); }, {x}); }
    SECTION("permute") { require_gradcheck([](auto& in) { return permute(in[0], {1, 2, 0}); }, {x}); }
    SECTION("transpose") { require_gradcheck([](auto& in) { return transpose(in[0], 1, 2); }, {x}); }
    SECTION("concat") { require_gradcheck([](auto& in) { return concat({in[0], in[1], in[0]}, 1); }, {x, y}); }
    SECTION("slice") { require_gradcheck([](auto& in) { return slice(in[0], 2, 1, 3); }, {x}); }
}

TEST_CASE("index_select picks rows, and repeated picks add their gradients", "[shape][gradcheck]") {
    Tensor x = reshape(Tensor::arange(6), {3, 2});
    test::require_close(index_select(x, 0, {2, 0, 2}), Tensor::from_vector({4, 5, 0, 1, 4, 5}, {3, 2}));
    CHECK_THROWS_WITH(index_select(x, 0, {3}), Catch::Contains("index 3 is out of range for axis 0 of size 3"));
    Tensor y = random_input({3, 4}, 23);
    require_gradcheck([](auto& in) { return index_select(in[0], 1, {3, 0, 3, 1}); }, {y});
}
