// Tests for diffusion/schedule.h.
#include "autograd/ops.h"
#include "diffusion/schedule.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace hd;

TEST_CASE("the linear schedule has DDPM's endpoints and a decreasing alpha-bar", "[schedule]") {
    NoiseSchedule s = NoiseSchedule::linear();
    REQUIRE(s.steps() == 1000);
    CHECK(s.betas.front() == Approx(1e-4).margin(1e-12));
    CHECK(s.betas.back() == Approx(0.02).margin(1e-12));
    for (int64_t t = 1; t < s.steps(); ++t) {
        CAPTURE(t);
        REQUIRE(s.alpha_bars[t] < s.alpha_bars[t - 1]);
    }
    CHECK(s.alpha_bars.front() == Approx(1.0 - 1e-4).margin(1e-12));
    CHECK(s.alpha_bars.back() == Approx(4.04e-5).epsilon(0.01)); // x_T is almost pure noise
    CHECK(s.sqrt_one_minus_alpha_bars[500] == Approx(std::sqrt(1.0 - s.alpha_bars[500])).margin(1e-12));
}

TEST_CASE("the cosine schedule starts near 1, ends near 0, and caps beta", "[schedule]") {
    NoiseSchedule s = NoiseSchedule::cosine(1000);
    CHECK(s.alpha_bars.front() > 0.9999);
    CHECK(s.alpha_bars.back() < 1e-4);
    for (int64_t t = 1; t < s.steps(); ++t) REQUIRE(s.alpha_bars[t] <= s.alpha_bars[t - 1]);
    for (double beta : s.betas) REQUIRE(beta <= 0.999);
    // Halfway the cosine schedule keeps far more signal than the linear one.
    CHECK(s.alpha_bars[500] > NoiseSchedule::linear().alpha_bars[500]);
}

TEST_CASE("schedules reject bad names and sizes with the valid choices", "[schedule]") {
    CHECK_THROWS_WITH(NoiseSchedule::by_name("quadratic"), Catch::Contains("unknown noise schedule 'quadratic' (valid: linear, cosine)"));
    CHECK_THROWS_WITH(NoiseSchedule::linear(0), Catch::Contains("steps must be >= 1"));
    CHECK(NoiseSchedule::by_name("cosine", 10).steps() == 10);
}

TEST_CASE("q_sample has mean sqrt(alpha_bar) x0 and standard deviation sqrt(1 - alpha_bar)", "[schedule]") {
    NoiseSchedule s = NoiseSchedule::linear();
    Generator gen(3);
    const int64_t n = 20000;
    for (int64_t step : {0, 250, 999}) {
        CAPTURE(step);
        Tensor x0 = Tensor::full({n, 1}, 0.5f);
        Tensor t = Tensor::full({n}, float(step));
        Tensor x_t = q_sample(s, x0, t, Tensor::randn({n, 1}, gen));
        double m = mean(x_t).item();
        double sd = std::sqrt(mean(square(x_t - float(m))).item());
        CHECK(m == Approx(0.5 * std::sqrt(s.alpha_bars[step])).margin(0.03 * std::sqrt(1 - s.alpha_bars[step]) + 1e-4));
        CHECK(sd == Approx(std::sqrt(1.0 - s.alpha_bars[step])).epsilon(0.03));
    }
    CHECK_THROWS_WITH(q_sample(s, Tensor::zeros({2, 3}), Tensor::zeros({3}), Tensor::zeros({2, 3})),
                      Catch::Contains("do not fit"));
    CHECK_THROWS_WITH(q_sample(s, Tensor::zeros({1, 3}), Tensor::full({1}, 1000.0f), Tensor::zeros({1, 3})),
                      Catch::Contains("timestep 1000 is not an integer in [0, 999]"));
}

TEST_CASE("random timesteps cover 0..T-1 uniformly", "[schedule]") {
    Generator gen(4);
    Tensor t = random_timesteps(40000, 4, gen);
    std::vector<int> counts(4, 0);
    for (float v : t.to_vector()) counts.at(int(v))++;
    for (int c : counts) CHECK(c == Approx(10000).margin(400));
}

namespace {
// Predicts no noise at all: the loss is then the mean square of the true noise.
class ZeroPredictor : public NoisePredictor {
public:
    Tensor forward(const Tensor& x_t, const Tensor&, const Tensor&) override { return Tensor::zeros(x_t.shape()); }
};
}  // namespace

TEST_CASE("the Min-SNR weighted loss weights each sample by min(SNR, gamma)/SNR", "[schedule]") {
    NoiseSchedule s = NoiseSchedule::linear(100);
    ZeroPredictor zero;
    Tensor x0 = Tensor::zeros({6, 2, 3});
    Tensor condition = Tensor::zeros({6, 2});
    Generator a(5), b(5), c(5);
    // Replay the same draws the loss makes: the timesteps, then the noise.
    Tensor t = random_timesteps(6, 100, c);
    Tensor noise = Tensor::randn({6, 2, 3}, c);
    double expected_weighted = 0.0, expected_plain = 0.0;
    for (int64_t i = 0; i < 6; ++i) {
        double square_mean = 0.0;
        for (int64_t k = 0; k < 6; ++k) square_mean += double(noise.data()[i * 6 + k]) * noise.data()[i * 6 + k] / 6.0;
        const double ab = s.alpha_bars[static_cast<int64_t>(t.data()[i])], snr = ab / (1.0 - ab);
        expected_weighted += std::min(snr, 5.0) / snr * square_mean / 6.0;
        expected_plain += square_mean / 6.0;
    }
    CHECK(diffusion_loss(zero, s, x0, condition, a, {.min_snr_gamma = 5.0f}).item() == Approx(expected_weighted).epsilon(1e-5));
    CHECK(diffusion_loss(zero, s, x0, condition, b).item() == Approx(expected_plain).epsilon(1e-5));
    CHECK(expected_weighted < expected_plain); // low-noise samples (SNR > 5) are shrunk
}

TEST_CASE("the colour term adds lambda times the squared error of each channel's mean", "[schedule]") {
    NoiseSchedule s = NoiseSchedule::linear(100);
    ZeroPredictor zero;
    const int64_t batch = 4, channels = 3, pixels = 5;
    Tensor x0 = Tensor::zeros({batch, channels, 1, pixels});
    Tensor condition = Tensor::zeros({batch, 2});
    Generator a(9), b(9), c(9);
    random_timesteps(batch, 100, c);
    Tensor noise = Tensor::randn(x0.shape(), c);
    const float lambda = 7.0f;
    double plain = 0.0, colour = 0.0;
    for (int64_t i = 0; i < batch; ++i)
        for (int64_t ch = 0; ch < channels; ++ch) {
            double channel_mean = 0.0;
            for (int64_t p = 0; p < pixels; ++p) {
                const double e = noise.data()[(i * channels + ch) * pixels + p];
                plain += e * e / double(batch * channels * pixels);
                channel_mean += e / double(pixels);
            }
            colour += channel_mean * channel_mean / double(batch * channels);
        }
    CHECK(diffusion_loss(zero, s, x0, condition, a, {.colour_weight = lambda}).item() ==
          Approx(plain + lambda * colour).epsilon(1e-5));
    CHECK(diffusion_loss(zero, s, x0, condition, b).item() == Approx(plain).epsilon(1e-5));
    // Not an image (B, C, H, W): the term does not apply (the latent prior's loss).
    Tensor z = Tensor::zeros({batch, 2});
    Generator e(9), f(9);
    CHECK(diffusion_loss(zero, s, z, condition, e, {.colour_weight = lambda}).item() ==
          Approx(diffusion_loss(zero, s, z, condition, f).item()).epsilon(1e-6));
    CHECK(colour > 0.0);
}
