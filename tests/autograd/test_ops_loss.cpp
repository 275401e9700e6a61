// Tests for autograd/ops_loss.h.
#include "autograd/ops.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace hd;
using test::random_input;
using test::require_gradcheck;

TEST_CASE("softmax rows sum to one and survive huge logits", "[loss]") {
    Tensor x = Tensor::from_vector({1, 2, 3, 1000, 1000, 1000}, {2, 3});
    Tensor p = softmax(x, 1);
    test::require_close(sum(p, {1}), Tensor::ones({2}), 1e-6f, 0.0f);
    CHECK(p.at({1, 0}) == Approx(1.0 / 3.0).margin(1e-6));
    const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    CHECK(p.at({0, 2}) == Approx(std::exp(3.0) / z).margin(1e-6));
    Tensor lp = log_softmax(x, 1);
    CHECK(lp.at({0, 2}) == Approx(3.0 - std::log(z)).margin(1e-5));
    CHECK(std::isfinite(lp.at({1, 1})));
}

TEST_CASE("cross_entropy of a one-hot target is minus the log-probability of the class", "[loss]") {
    Tensor logits = Tensor::from_vector({2, 0, 0, 1, 1, 1}, {2, 3});
    Tensor targets = Tensor::from_vector({1, 0, 0, 0, 0, 1}, {2, 3});
    const double p_first = std::exp(2.0) / (std::exp(2.0) + 2.0);
    CHECK(cross_entropy(logits, targets).item() == Approx(-(std::log(p_first) + std::log(1.0 / 3.0)) / 2.0).margin(1e-6));
    CHECK_THROWS_WITH(cross_entropy(logits, Tensor::zeros({2, 2})), Catch::Contains("must both be (N, K)"));
}

TEST_CASE("mse_loss is the mean squared difference", "[loss]") {
    Tensor a = Tensor::from_vector({1, 2, 3, 4}, {2, 2}), b = Tensor::from_vector({1, 0, 3, 0}, {2, 2});
    CHECK(mse_loss(a, b).item() == Approx(5.0).margin(1e-6));
    CHECK_THROWS_WITH(mse_loss(a, Tensor::zeros({4})), Catch::Contains("mse_loss: prediction (2,2) and target (4)"));
}

TEST_CASE("loss gradients match finite differences", "[loss][gradcheck]") {
    Tensor x = random_input({3, 5}, 1), y = random_input({3, 5}, 2);
    SECTION("softmax") { require_gradcheck([](auto& in) { return softmax(in[0], 1); }, {x}); }
    SECTION("softmax over axis 0") { require_gradcheck([](auto& in) { return softmax(in[0], 0); }, {x}); }
    SECTION("log_softmax") { require_gradcheck([](auto& in) { return log_softmax(in[0], -1); }, {x}); }
    SECTION("cross_entropy") {
        Tensor targets = softmax(random_input({3, 5}, 3).detach(), 1); // any distribution per row
        require_gradcheck([targets](auto& in) { return cross_entropy(in[0], targets); }, {x});
    }
    SECTION("mse_loss") { require_gradcheck([](auto& in) { return mse_loss(in[0], in[1]); }, {x, y}); }
}
