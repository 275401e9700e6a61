// Tests for nn/optim.h: each optimizer against steps computed by hand, clipping, EMA.
#include "autograd/ops.h"
#include "nn/layers.h"
#include "nn/optim.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace hd;

namespace {
// A parameter p with a fixed gradient g.
Tensor parameter_with_grad(std::vector<float> p, std::vector<float> g) {
    Tensor t = Tensor::from_vector(p, {int64_t(p.size())}, true);
    t.backward(Tensor::from_vector(g, {int64_t(g.size())}));
    return t;
}
}  // namespace

TEST_CASE("Adam's first two steps match the hand-computed formula", "[optim]") {
    Tensor p = parameter_with_grad({1.0f, -2.0f}, {0.5f, -1.0f});
    Adam adam({p}, {.learning_rate = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f});
    adam.step();
    // Step 1: m̂ = g, v̂ = g², so the update is lr · g/|g| = ±0.1.
    test::require_close(p, Tensor::from_vector({0.9f, -1.9f}, {2}), 1e-6f, 0.0f);
    // Step 2 with gradient g2 = (1, 1):
    p.zero_grad();
    p.backward(Tensor::from_vector({1.0f, 1.0f}, {2}));
    adam.step();
    std::vector<float> expected;
    for (auto [g1, g2, p1] : {std::tuple{0.5, 1.0, 0.9}, std::tuple{-1.0, 1.0, -1.9}}) {
        double m = 0.9 * (0.1 * g1) + 0.1 * g2, v = 0.999 * (0.001 * g1 * g1) + 0.001 * g2 * g2;
        double m_hat = m / (1 - 0.81), v_hat = v / (1 - 0.998001);
        expected.push_back(float(p1 - 0.1 * m_hat / (std::sqrt(v_hat) + 1e-8)));
    }
    test::require_close(p, Tensor::from_vector(expected, {2}), 1e-6f, 1e-6f);
    CHECK(adam.step_count() == 2);
}

TEST_CASE("Adam adds weight decay to the gradient, AdamW shrinks the weight", "[optim]") {
    Tensor a = parameter_with_grad({2.0f}, {0.0f});
    Tensor b = parameter_with_grad({2.0f}, {0.0f});
    Adam adam({a}, {.learning_rate = 0.1f, .weight_decay = 0.5f});
    AdamW adamw({b}, {.learning_rate = 0.1f, .weight_decay = 0.5f});
    adam.step();
    adamw.step();
    // Adam: g = 0 + 0.5·2 = 1 -> normalised step of lr = 0.1
    CHECK(a.item() == Approx(1.9f).margin(1e-6));
    // AdamW: p -= lr·wd·p = 0.1; the Adam part sees g = 0 and does nothing
    CHECK(b.item() == Approx(1.9f).margin(1e-6));
    a.zero_grad(), b.zero_grad();
    a.backward(Tensor::from_vector({1.0f}, {1}));
    b.backward(Tensor::from_vector({1.0f}, {1}));
    adam.step();
    adamw.step();
    CHECK(a.item() != Approx(b.item()).margin(1e-4)); // the two rules differ once the gradient is non-zero
}

TEST_CASE("SGD with momentum follows v = μv + g, p -= lr·v", "[optim]") {
    Tensor p = parameter_with_grad({1.0f}, {2.0f});
    SGD sgd({p}, {.learning_rate = 0.1f, .momentum = 0.5f});
    sgd.step(); // v = 2, p = 1 - 0.2
    CHECK(p.item() == Approx(0.8f).margin(1e-6));
    sgd.step(); // v = 0.5·2 + 2 = 3, p = 0.8 - 0.3
    CHECK(p.item() == Approx(0.5f).margin(1e-6));
}

TEST_CASE("restoring optimizer state resumes exactly where it stopped", "[optim]") {
    const std::vector<float> start{1.0f, 2.0f}, gradient{0.3f, -0.2f};
    auto step_with_gradient = [&](Optimizer& opt, Tensor& p) {
        p.zero_grad();
        p.backward(Tensor::from_vector(gradient, {2}));
        opt.step();
    };
    // Uninterrupted: three steps.
    Tensor p = Tensor::from_vector(start, {2}, true);
    Adam straight({p});
    for (int i = 0; i < 3; ++i) step_with_gradient(straight, p);
    // Interrupted after one step: a new parameter and optimizer take over the state.
    Tensor q = Tensor::from_vector(start, {2}, true);
    Adam first({q});
    step_with_gradient(first, q);
    Tensor resumed_q = Tensor::from_vector(q.to_vector(), {2}, true);
    Adam resumed({resumed_q});
    resumed.load_state(first.state());
    for (int i = 0; i < 2; ++i) step_with_gradient(resumed, resumed_q);
    CHECK(resumed_q.to_vector() == p.to_vector());
    CHECK(resumed.step_count() == 3);

    Adam other({Tensor::zeros({3}, true)});
    CHECK_THROWS_WITH(other.load_state(first.state()), Catch::Contains("'exp_avg.0' has shape (2), expected (3)"));
    CHECK_THROWS_WITH(other.load_state({}), Catch::Contains("'step' is missing"));
}

TEST_CASE("optimizer state is keyed by parameter name, and index-keyed state still loads", "[optim]") {
    Tensor weight = parameter_with_grad({1.0f, 2.0f}, {0.5f, -0.5f});
    Tensor bias = parameter_with_grad({3.0f}, {1.0f});
    Adam named(NamedParameters{{"layer.weight", weight}, {"layer.bias", bias}});
    named.step();
    std::vector<std::string> keys;
    for (const auto& [key, tensor] : named.state()) keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"step", "exp_avg.layer.weight", "exp_avg_sq.layer.weight",
                                           "exp_avg.layer.bias", "exp_avg_sq.layer.bias"});

    // An older checkpoint stored the same state by index: it loads into the named optimizer.
    Adam by_index({weight, bias});
    by_index.step();
    Adam restored(NamedParameters{{"layer.weight", Tensor::zeros({2}, true)}, {"layer.bias", Tensor::zeros({1}, true)}});
    restored.load_state(by_index.state());
    CHECK(restored.step_count() == 1);
    for (size_t k = 1; k < 5; ++k) CHECK(restored.state()[k].second.to_vector() == by_index.state()[k].second.to_vector());

    Adam renamed(NamedParameters{{"other.weight", Tensor::zeros({2}, true)}, {"other.bias", Tensor::zeros({1}, true)}});
    CHECK_THROWS_WITH(renamed.load_state(named.state()), Catch::Contains("'exp_avg.other.weight' is missing"));
    SGD momentum(NamedParameters{{"w", weight}}, {.momentum = 0.9f});
    CHECK(momentum.state()[1].first == "velocity.w");
}

TEST_CASE("clip_grad_norm scales gradients to the maximum norm and reports the original", "[optim]") {
    Tensor a = parameter_with_grad({0.0f, 0.0f}, {3.0f, 0.0f});
    Tensor b = parameter_with_grad({0.0f}, {4.0f});
    float norm = clip_grad_norm({a, b}, 1.0f);
    CHECK(norm == Approx(5.0f).margin(1e-5));
    CHECK(a.grad().at({0}) == Approx(0.6f).margin(1e-5));
    CHECK(b.grad().at({0}) == Approx(0.8f).margin(1e-5));
    CHECK(clip_grad_norm({a, b}, 10.0f) == Approx(1.0f).margin(1e-4)); // under the limit: unchanged
    CHECK(a.grad().at({0}) == Approx(0.6f).margin(1e-5));
}

TEST_CASE("EMA averages weights and swaps them in and out", "[optim]") {
    Generator gen(0);
    Linear layer(1, 1, gen, false);
    layer.weight.fill_(0.0f);
    EMA ema(layer, 0.9f);
    layer.weight.fill_(1.0f);
    ema.update(layer); // 0.9·0 + 0.1·1
    ema.update(layer); // 0.9·0.1 + 0.1·1 = 0.19
    CHECK(ema.shadow()[0].item() == Approx(0.19f).margin(1e-6));
    {
        EmaSwapGuard guard(ema, layer);
        CHECK(layer.weight.item() == Approx(0.19f).margin(1e-6));
    }
    CHECK(layer.weight.item() == 1.0f);
    CHECK_THROWS_WITH(EMA(layer, 1.0f), Catch::Contains("decay must be in [0, 1)"));
}
