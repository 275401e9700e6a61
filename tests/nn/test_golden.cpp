// The models against PyTorch: the UNet at both widths hd uses, the four-level UNet with
// its colour path (hd train's at 64x64), and the latent prior's MLP,
// forward and the gradients of a fixed loss, compared with a reference computed by
// PyTorch and checked in as data (STYLE point 9). The file is
// tests/data/golden_models.safetensors, written by bench/make_golden_data.py (which says
// what it holds); this test reads it with hdiff's own loader and never needs Python.
//
// Weights are not in the file: both sides make them from each parameter's name with the
// same integer hash (set_golden_weights below mirrors the script's golden_weights).
//
// Tolerance. error(a, b) = max |a - b| / max |b| over one tensor. PyTorch's own float32
// run differs from its float64 reference by at most 2.2e-6 (unet16), 9.8e-7 (unet32),
// 3.5e-6 (unet16_l4c, its gradients that are not zero in exact arithmetic) and
// 1.0e-6 (prior) over every stored tensor (make_golden_data.py prints these); hdiff's
// float32 differs by at most 1.9e-6, 2.1e-6 and 1.1e-6 (measured 2026-12-01). Every
// tensor must be within kTolerance = 5e-5, about 20x the largest of those. The wrong
// variants at the end miss by 1.7 (GroupNorm with 4 groups), 1.6e-2 and 3.6e-3 (one
// weight moved by 5 % of its range): 70x to 35,000x the tolerance.
#include "autograd/ops.h"
#include "nn/mlp.h"
#include "nn/safetensors.h"
#include "nn/unet.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <string>

using namespace hd;

namespace {

constexpr double kTolerance = 5e-5;

const NamedTensors& golden() {
    static const NamedTensors file = load_safetensors(HD_SOURCE_DIR "/tests/data/golden_models.safetensors");
    return file;
}

const Tensor& stored(const std::string& name) {
    const Tensor* t = golden().find(name);
    if (!t) FAIL("tests/data/golden_models.safetensors has no tensor '" << name
                 << "': rerun /usr/bin/python3 bench/make_golden_data.py");
    return *t;
}

// ---- the weights, as bench/make_golden_data.py makes them -------------------------------

uint32_t fnv1a32(const std::string& text) {
    uint32_t h = 0x811C9DC5u;
    for (unsigned char byte : text) h = (h ^ byte) * 0x01000193u;
    return h;
}

// Element i of parameter `name`: u in [-1, 1), a multiple of 2^-23.
double hashed_uniform(uint32_t name_hash, int64_t i) {
    uint32_t x = static_cast<uint32_t>(i) * 0x9E3779B1u + name_hash;
    x ^= x >> 16;
    x *= 0x85EBCA6Bu;
    x ^= x >> 13;
    x *= 0xC2B2AE35u;
    x ^= x >> 16;
    return double(x >> 8) / double(1 << 23) - 1.0;
}

// Weights (2+ axes) u / √fan_in; 1-D "weight" (GroupNorm's gamma) 1 + u/4; biases u/10.
void set_golden_weights(Module& model) {
    for (auto& [name, p] : model.named_parameters()) {
        const uint32_t h = fnv1a32(name);
        const int64_t n = p.numel();
        const bool is_gamma = name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
        float* values = p.data();
        for (int64_t i = 0; i < n; ++i) {
            const double u = hashed_uniform(h, i);
            double v = u * 0.1;
            if (p.dim() >= 2) v = u * (1.0 / std::sqrt(double(n / p.size(0))));
            else if (is_gamma) v = 1.0 + u * 0.25;
            values[i] = static_cast<float>(v);
        }
    }
}

// ---- running a model and comparing -------------------------------------------------------

struct Run {
    Tensor output, loss;
    std::map<std::string, Tensor> grads; // "input/x", "input/emb", and every parameter's name
};

// loss = mse_loss(forward(inputs), target), then backward.
template <class Forward>
Run run(Module& model, const std::string& key, const std::vector<std::string>& input_names, Forward forward) {
    std::vector<Tensor> inputs;
    for (const std::string& n : input_names) inputs.push_back(stored(key + "/input/" + n).clone().set_requires_grad());
    Run r;
    r.output = forward(inputs);
    r.loss = mse_loss(r.output, stored(key + "/target"));
    r.loss.backward();
    for (size_t i = 0; i < inputs.size(); ++i) r.grads["input/" + input_names[i]] = inputs[i].grad();
    for (auto& [name, p] : model.named_parameters()) r.grads[name] = p.grad();
    return r;
}

Run run_unet(UNet& unet, const std::string& key) {
    return run(unet, key, {"x", "emb"}, [&](const std::vector<Tensor>& in) { return unet.forward(in[0], in[1]); });
}

Run run_prior(MLP& mlp) {
    return run(mlp, "prior", {"x"}, [&](const std::vector<Tensor>& in) { return mlp.forward(in[0]); });
}

double max_abs(const Tensor& t) {
    double m = 0.0;
    for (float v : t.to_vector()) m = std::max(m, std::fabs(double(v)));
    return m;
}

// max |actual - expected| / max |expected|
double error(const Tensor& actual, const Tensor& expected) {
    REQUIRE(actual.shape() == expected.shape());
    double worst = 0.0;
    for (int64_t i = 0; i < actual.numel(); ++i)
        worst = std::max(worst, std::fabs(double(actual.data()[i]) - double(expected.data()[i])));
    return worst / std::max(max_abs(expected), 1e-30);
}

// Passes when error(actual, expected) <= kTolerance; otherwise the compare helper lists
// the mismatches.
void require_matches(const Tensor& actual, const Tensor& expected, const std::string& what) {
    INFO(what << ": error " << error(actual, expected) << " (tolerance " << kTolerance << ")");
    test::require_close(actual, expected, static_cast<float>(kTolerance * max_abs(expected)), 0.0f);
}

// The entries of grad that bench/make_golden_data.py sampled: k·n/m for k < m = min(n, 256).
Tensor sampled(const Tensor& grad) {
    const int64_t n = grad.numel(), m = std::min<int64_t>(n, 256);
    std::vector<float> values(m);
    for (int64_t k = 0; k < m; ++k) values[k] = grad.data()[k * n / m];
    return Tensor::from_vector(values, {m});
}

Tensor l2_norm(const Tensor& grad) {
    double sum = 0.0;
    for (float g : grad.to_vector()) sum += double(g) * g;
    return Tensor::from_vector({static_cast<float>(std::sqrt(sum))}, {1});
}

// The largest error of a run over the output and every stored full gradient.
double worst_error(const Run& r, const std::string& key) {
    double worst = error(r.output, stored(key + "/output"));
    for (const auto& [name, grad] : r.grads) worst = std::max(worst, error(grad, stored(key + "/grad/" + name)));
    return worst;
}

}  // namespace

TEST_CASE("the golden file is format 1 and made with this test's weight rule", "[golden]") {
    const auto& metadata = golden().metadata;
    REQUIRE(metadata.count("format_version") == 1);
    CHECK(metadata.at("format_version") == "1");
    CHECK(metadata.at("weights") == "fnv1a32(name) + murmur3 fmix32, v1");
}

TEST_CASE("UNet C=16 E=64 matches PyTorch: output, loss and every gradient", "[golden][unet]") {
    Generator gen(0);
    UNet unet({.base_channels = 16, .embedding_dim = 64, .groups = 8}, gen);
    set_golden_weights(unet);
    Run r = run_unet(unet, "unet16");
    require_matches(r.output, stored("unet16/output"), "output");
    require_matches(reshape(r.loss, {1}), stored("unet16/loss"), "loss");
    for (const auto& [name, grad] : r.grads) {
        CAPTURE(name);
        require_matches(grad, stored("unet16/grad/" + name), "gradient");
    }
}

TEST_CASE("UNet C=16 E=64 with four levels and the colour path (hd train's net at 64x64) matches PyTorch",
          "[golden][unet]") {
    Generator gen(0);
    UNet unet({.base_channels = 16, .embedding_dim = 64, .groups = 8, .levels = 4, .colour_path = true}, gen);
    set_golden_weights(unet); // colour_gain too: a trained net's gain is not zero
    Run r = run_unet(unet, "unet16_l4c");
    require_matches(r.output, stored("unet16_l4c/output"), "output");
    require_matches(reshape(r.loss, {1}), stored("unet16_l4c/loss"), "loss");
    // At the 8-channel top level GroupNorm(8) normalises each channel alone, so a
    // per-channel constant added before it (res1's and up1's conv biases and embedding
    // projection, up1's output biases before norm_out) cannot change the output: those
    // gradients are zero in exact arithmetic, and float32 leaves rounding only (PyTorch
    // 1.2e-7 of the largest gradient entry).
    double largest = 0.0;
    for (const auto& [name, grad] : r.grads) largest = std::max(largest, max_abs(stored("unet16_l4c/grad/" + name)));
    int exact_zeros = 0;
    for (const auto& [name, grad] : r.grads) {
        CAPTURE(name);
        const Tensor& expected = stored("unet16_l4c/grad/" + name);
        if (max_abs(expected) < 1e-9 * largest) {
            ++exact_zeros;
            CHECK(max_abs(grad) <= 1e-6 * largest);
        } else {
            require_matches(grad, expected, "gradient");
        }
    }
    CHECK(exact_zeros == 8);
    CHECK(r.grads.count("colour_gain.weight") == 1);
}

TEST_CASE("UNet C=32 E=128 matches PyTorch: output, loss, input gradients, sampled parameter gradients and norms",
          "[golden][unet]") {
    Generator gen(0);
    UNet unet({.base_channels = 32, .embedding_dim = 128, .groups = 8}, gen);
    set_golden_weights(unet);
    Run r = run_unet(unet, "unet32");
    require_matches(r.output, stored("unet32/output"), "output");
    require_matches(reshape(r.loss, {1}), stored("unet32/loss"), "loss");
    for (const std::string input : {"input/x", "input/emb"}) {
        CAPTURE(input);
        require_matches(r.grads.at(input), stored("unet32/grad/" + input), "input gradient");
    }
    for (auto& [name, p] : unet.named_parameters()) {
        CAPTURE(name);
        require_matches(sampled(p.grad()), stored("unet32/grad_sample/" + name), "sampled gradient");
        require_matches(l2_norm(p.grad()), stored("unet32/grad_norm/" + name), "gradient norm");
    }
}

TEST_CASE("the latent prior's MLP (2+64+64 -> 256 x3 -> 2) matches PyTorch: output, loss and every gradient",
          "[golden][mlp]") {
    Generator gen(0);
    MLP mlp({.in_features = 130, .hidden_features = 256, .hidden_layers = 3, .out_features = 2}, gen);
    set_golden_weights(mlp);
    Run r = run_prior(mlp);
    require_matches(r.output, stored("prior/output"), "output");
    require_matches(reshape(r.loss, {1}), stored("prior/loss"), "loss");
    for (const auto& [name, grad] : r.grads) {
        CAPTURE(name);
        require_matches(grad, stored("prior/grad/" + name), "gradient");
    }
}

TEST_CASE("a deliberately wrong model misses the golden data by far more than the tolerance", "[golden]") {
    Generator gen(0);
    SECTION("GroupNorm with 4 groups instead of 8") {
        UNet unet({.base_channels = 16, .embedding_dim = 64, .groups = 4}, gen); // same parameter shapes
        set_golden_weights(unet);
        const double e = worst_error(run_unet(unet, "unet16"), "unet16");
        CAPTURE(e);
        CHECK(e > 100 * kTolerance);
    }
    SECTION("one UNet weight moved by 5 % of its range") {
        UNet unet({.base_channels = 16, .embedding_dim = 64, .groups = 8}, gen);
        set_golden_weights(unet);
        unet.conv_in->weight.data()[0] += 0.05f / std::sqrt(27.0f); // bound 1/√(3·3·3)
        const double e = worst_error(run_unet(unet, "unet16"), "unet16");
        CAPTURE(e);
        CHECK(e > 10 * kTolerance);
    }
    SECTION("one prior weight moved by 5 % of its range") {
        MLP mlp({.in_features = 130, .hidden_features = 256, .hidden_layers = 3, .out_features = 2}, gen);
        set_golden_weights(mlp);
        mlp.named_parameters().front().second.data()[0] += 0.05f / std::sqrt(130.0f);
        const double e = worst_error(run_prior(mlp), "prior");
        CAPTURE(e);
        CHECK(e > 10 * kTolerance);
    }
}
