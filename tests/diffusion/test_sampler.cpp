// Tests for diffusion/sampler.h on problems with a known answer: when the data is a
// Gaussian N(μ, s²), the best possible noise predictor is known in closed form,
//   ε*(x_t, t) = √(1-ᾱ_t) (x_t - √ᾱ_t μ) / (ᾱ_t s² + 1 - ᾱ_t),
// so a correct sampler driven by it must reproduce N(μ, s²).
#include "autograd/ops.h"
#include "diffusion/sampler.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace hd;

namespace {

// The exact ε-predictor for data ~ N(mu, spread²) in every coordinate; ignores the condition.
class GaussianOracle : public NoisePredictor {
public:
    GaussianOracle(const NoiseSchedule& s, double mu, double spread) : schedule_(s), mu_(mu), var_(spread * spread) {}
    Tensor forward(const Tensor& x_t, const Tensor& t, const Tensor&) override {
        ++calls;
        Tensor eps = Tensor::empty(x_t.shape());
        const int64_t per = x_t.numel() / x_t.size(0);
        for (int64_t b = 0; b < x_t.size(0); ++b) {
            const double ab = schedule_.alpha_bars[static_cast<int64_t>(t.data()[b])];
            for (int64_t i = 0; i < per; ++i) {
                const double x = x_t.data()[b * per + i];
                eps.data()[b * per + i] = float(std::sqrt(1 - ab) * (x - std::sqrt(ab) * mu_) / (ab * var_ + 1 - ab));
            }
        }
        return eps;
    }
    int64_t calls = 0;

private:
    const NoiseSchedule& schedule_;
    double mu_, var_;
};

std::pair<double, double> mean_and_spread(const Tensor& x) {
    double m = mean(x).item();
    return {m, std::sqrt(mean(square(x - float(m))).item())};
}

}  // namespace

TEST_CASE("DDPM ancestral sampling reproduces a Gaussian data distribution", "[sampler]") {
    NoiseSchedule schedule = NoiseSchedule::linear(1000);
    GaussianOracle oracle(schedule, 0.7, 0.2);
    Generator gen(1);
    Tensor x = sample(oracle, schedule, Tensor::zeros({4000, 2}), {1}, gen, {.batch_size = 4000});
    auto [m, sd] = mean_and_spread(x);
    CAPTURE(m, sd);
    CHECK(m == Approx(0.7).margin(0.01));
    CHECK(sd == Approx(0.2).epsilon(0.05));
}

TEST_CASE("DDIM with eta 0 is deterministic and reproduces the Gaussian in 50 steps", "[sampler]") {
    NoiseSchedule schedule = NoiseSchedule::linear(1000);
    GaussianOracle oracle(schedule, -0.3, 0.5);
    SamplerOptions ddim{.kind = SamplerOptions::Kind::ddim, .ddim_steps = 50, .eta = 0.0f};
    Generator a(2), b(2);
    Tensor x = sample(oracle, schedule, Tensor::zeros({4000, 1}), {1}, a, ddim);
    CHECK(oracle.calls == 50 * 63); // 50 steps × ⌈4000/64⌉ batches
    auto [m, sd] = mean_and_spread(x);
    CAPTURE(m, sd);
    CHECK(m == Approx(-0.3).margin(0.02));
    // 50 Euler-like steps of the probability-flow ODE shrink the spread a little (measured
    // 0.470); with every timestep the discretisation error vanishes.
    CHECK(sd == Approx(0.5).epsilon(0.08));
    CHECK(sample(oracle, schedule, Tensor::zeros({4000, 1}), {1}, b, ddim).to_vector() == x.to_vector());
    Generator c(2);
    ddim.ddim_steps = 1000;
    auto [m_full, sd_full] = mean_and_spread(sample(oracle, schedule, Tensor::zeros({4000, 1}), {1}, c, ddim));
    CAPTURE(m_full, sd_full);
    CHECK(sd_full == Approx(0.5).epsilon(0.02));
}

TEST_CASE("clipping x0 keeps samples of a point mass at the edge inside [-1, 1]", "[sampler]") {
    NoiseSchedule schedule = NoiseSchedule::linear(200);
    GaussianOracle oracle(schedule, 1.0, 0.01);
    Generator gen(3);
    for (auto kind : {SamplerOptions::Kind::ddpm, SamplerOptions::Kind::ddim}) {
        Tensor x = sample(oracle, schedule, Tensor::zeros({500, 1}), {1}, gen, {.kind = kind, .clip_x0 = true});
        auto [m, sd] = mean_and_spread(x);
        CAPTURE(int(kind), m, sd);
        CHECK(m == Approx(1.0).margin(0.02));
    }
}

TEST_CASE("sampling visits the documented timesteps and records the trajectory", "[sampler]") {
    auto ddim = sampling_timesteps({.kind = SamplerOptions::Kind::ddim, .ddim_steps = 50}, 1000);
    REQUIRE(ddim.size() == 50);
    CHECK(ddim.front() == 980);
    CHECK(ddim.back() == 0);
    for (size_t i = 1; i < ddim.size(); ++i) REQUIRE(ddim[i] < ddim[i - 1]);
    CHECK(sampling_timesteps({}, 7) == std::vector<int64_t>{6, 5, 4, 3, 2, 1, 0});

    NoiseSchedule schedule = NoiseSchedule::linear(10);
    GaussianOracle oracle(schedule, 0.0, 1.0);
    Generator gen(4);
    std::vector<Tensor> path;
    int64_t last_done = 0, last_total = 0;
    Tensor x = sample(oracle, schedule, Tensor::zeros({5, 2}), {2}, gen, {.batch_size = 2},
                      [&](int64_t done, int64_t total) { last_done = done, last_total = total; }, &path);
    CHECK(path.size() == 11);
    CHECK(path.back().to_vector() == x.to_vector());
    CHECK(last_done == 30); // 3 batches × 10 steps
    CHECK(last_total == 30);
    CHECK(describe({.kind = SamplerOptions::Kind::ddim, .ddim_steps = 50}, NoiseSchedule::linear()) == "DDIM-50 (eta 0)");
    CHECK_THROWS_WITH(parse_sampler_kind("euler"), Catch::Contains("(valid: ddpm, ddim)"));
}
