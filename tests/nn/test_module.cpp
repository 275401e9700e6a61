// Tests for nn/module.h and nn/layers.h: registration, names, shapes, gradients.
#include "autograd/ops.h"
#include "nn/layers.h"
#include "nn/mlp.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

using namespace hd;
using test::random_input;
using test::require_gradcheck;

namespace {
// Runs gradcheck with respect to the layer input and every parameter of `layer`.
template <class Forward>
void require_layer_gradcheck(Module& layer, const Tensor& input, Forward forward) {
    std::vector<Tensor> inputs{input};
    for (const Tensor& p : layer.parameters()) inputs.push_back(p);
    require_gradcheck([&](const std::vector<Tensor>& in) { return forward(in[0]); }, inputs);
}
}  // namespace

TEST_CASE("named_parameters lists nested parameters with dotted names in a stable order", "[module]") {
    Generator gen(0);
    MLP mlp({.in_features = 3, .hidden_features = 4, .hidden_layers = 2, .out_features = 2}, gen);
    std::vector<std::string> names;
    for (auto& [name, tensor] : mlp.named_parameters()) names.push_back(name);
    CHECK(names == std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias",
                                            "layers.4.weight", "layers.4.bias"});
    CHECK(mlp.parameter_count() == (3 * 4 + 4) + (4 * 4 + 4) + (4 * 2 + 2));
    for (const Tensor& p : mlp.parameters()) CHECK(p.requires_grad());
}

TEST_CASE("train and eval reach every sub-module, and zero_grad clears every gradient", "[module]") {
    Generator gen(1);
    Sequential net({std::make_shared<Linear>(2, 3, gen), std::make_shared<SiLU>(), std::make_shared<Linear>(3, 1, gen)});
    net.eval();
    CHECK_FALSE(net.is_training());
    sum(net.forward(Tensor::ones({4, 2}))).backward();
    for (const Tensor& p : net.parameters()) CHECK(p.grad().defined());
    net.zero_grad();
    for (const Tensor& p : net.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("layer initialisation follows PyTorch's bounds", "[module]") {
    Generator gen(2);
    Linear lin(100, 50, gen);
    const float bound = 1.0f / std::sqrt(100.0f);
    float largest = 0.0f;
    for (float v : lin.weight.to_vector()) largest = std::max(largest, std::fabs(v));
    CHECK(largest <= bound);
    CHECK(largest > 0.9f * bound); // 5000 draws come close to the edge
    Conv2d conv({.in_channels = 4, .out_channels = 2, .kernel_size = 3}, gen);
    for (float v : conv.bias.to_vector()) CHECK(std::fabs(v) <= 1.0f / 6.0f); // 1/√(4·3·3)
    GroupNorm gn(2, 4);
    CHECK(gn.weight.to_vector() == std::vector<float>(4, 1.0f));
    CHECK(gn.bias.to_vector() == std::vector<float>(4, 0.0f));
}

TEST_CASE("layers produce the documented shapes", "[module]") {
    Generator gen(3);
    CHECK(Linear(5, 7, gen).forward(Tensor::zeros({2, 3, 5})).shape() == Shape{2, 3, 7});
    CHECK(Conv2d({.in_channels = 3, .out_channels = 8, .kernel_size = 3, .stride = 2, .padding = 1}, gen)
              .forward(Tensor::zeros({2, 3, 9, 9})).shape() == Shape{2, 8, 5, 5});
    CHECK(GroupNorm(4, 8).forward(Tensor::ones({2, 8, 3, 3})).shape() == Shape{2, 8, 3, 3});
    CHECK(SinusoidalTimeEmbedding(6).forward(Tensor::from_vector({0, 5, 999}, {3})).shape() == Shape{3, 6});
    CHECK(MLP({.in_features = 6, .hidden_features = 8, .hidden_layers = 3, .out_features = 2}, gen)
              .forward(Tensor::zeros({5, 6})).shape() == Shape{5, 2});
    CHECK_THROWS_WITH(GroupNorm(3, 8), Catch::Contains("8 channels cannot be split into 3 groups"));
    CHECK_THROWS_WITH(SinusoidalTimeEmbedding(5), Catch::Contains("must be even"));
}

TEST_CASE("GroupNormSiLU is SiLU(GroupNorm) under GroupNorm's parameter names", "[module]") {
    GroupNorm norm(4, 8);
    GroupNormSiLU fused(4, 8);
    const Tensor gamma = random_input({8}, 61), beta = random_input({8}, 62);
    for (GroupNorm* layer : {&norm, static_cast<GroupNorm*>(&fused)}) {
        std::copy(gamma.data(), gamma.data() + 8, layer->weight.data());
        std::copy(beta.data(), beta.data() + 8, layer->bias.data());
    }
    std::vector<std::string> norm_names, fused_names;
    for (const auto& [name, p] : norm.named_parameters()) norm_names.push_back(name);
    for (const auto& [name, p] : fused.named_parameters()) fused_names.push_back(name);
    CHECK(fused_names == norm_names);

    Tensor x = random_input({2, 8, 5, 3}, 63);
    // The fused kernel and the two-op chain round differently: margins as in test_ops_norm_fused.cpp.
    test::require_close(fused.forward(x), silu(norm.forward(x)), 1e-6f, 1e-5f);
}

TEST_CASE("the sinusoidal embedding has the transformer's values", "[module]") {
    SinusoidalTimeEmbedding embed(4);
    Tensor e = embed.forward(Tensor::from_vector({0.0f, 3.0f}, {2}));
    // dim 4: frequencies 1 and 10000^(-1/2) = 0.01; layout [sin f0 t, sin f1 t, cos f0 t, cos f1 t]
    test::require_close(e, Tensor::from_vector({0, 0, 1, 1, std::sin(3.0f), std::sin(0.03f), std::cos(3.0f), std::cos(0.03f)},
                                               {2, 4}), 1e-6f, 1e-5f);
}

TEST_CASE("layer gradients match finite differences", "[module][gradcheck]") {
    Generator gen(4);
    SECTION("Linear") {
        Linear layer(3, 2, gen);
        require_layer_gradcheck(layer, random_input({4, 3}, 1), [&](const Tensor& x) { return layer.forward(x); });
    }
    SECTION("Conv2d, stride 2") {
        Conv2d layer({.in_channels = 2, .out_channels = 3, .kernel_size = 3, .stride = 2, .padding = 1}, gen);
        require_layer_gradcheck(layer, random_input({2, 2, 5, 5}, 2), [&](const Tensor& x) { return layer.forward(x); });
    }
    SECTION("GroupNorm") {
        GroupNorm layer(2, 4);
        require_layer_gradcheck(layer, random_input({2, 4, 3, 3}, 3), [&](const Tensor& x) { return layer.forward(x); });
    }
    SECTION("MLP") {
        MLP layer({.in_features = 3, .hidden_features = 5, .hidden_layers = 2, .out_features = 2}, gen);
        require_layer_gradcheck(layer, random_input({4, 3}, 4), [&](const Tensor& x) { return layer.forward(x); });
    }
}
