// schedule.cpp — see schedule.h.
#include "diffusion/schedule.h"

#include "autograd/ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace hd {

namespace {

NoiseSchedule from_betas(std::string name, std::vector<double> betas) {
    NoiseSchedule s;
    s.name = std::move(name);
    s.betas = std::move(betas);
    double product = 1.0;
    for (double beta : s.betas) {
        s.alphas.push_back(1.0 - beta);
        product *= 1.0 - beta;
        s.alpha_bars.push_back(product);
        s.sqrt_alpha_bars.push_back(std::sqrt(product));
        s.sqrt_one_minus_alpha_bars.push_back(std::sqrt(1.0 - product));
    }
    return s;
}

void check_steps(int64_t steps) {
    if (steps < 1) throw std::invalid_argument(fmt::format("noise schedule: steps must be >= 1, got {}", steps));
}

}  // namespace

NoiseSchedule NoiseSchedule::linear(int64_t steps, double beta_start, double beta_end) {
    check_steps(steps);
    if (!(beta_start > 0.0 && beta_start <= beta_end && beta_end < 1.0))
        throw std::invalid_argument(fmt::format("linear schedule: need 0 < beta_start <= beta_end < 1, got {} and {}",
                                                beta_start, beta_end));
    std::vector<double> betas(steps);
    for (int64_t t = 0; t < steps; ++t)
        betas[t] = steps == 1 ? beta_start : beta_start + (beta_end - beta_start) * double(t) / double(steps - 1);
    return from_betas("linear", std::move(betas));
}

NoiseSchedule NoiseSchedule::cosine(int64_t steps, double offset) {
    check_steps(steps);
    auto f = [&](double u) {
        double angle = (u / double(steps) + offset) / (1.0 + offset) * std::numbers::pi / 2.0;
        return std::cos(angle) * std::cos(angle);
    };
    std::vector<double> betas(steps);
    for (int64_t t = 0; t < steps; ++t) betas[t] = std::min(1.0 - f(double(t + 1)) / f(double(t)), 0.999);
    return from_betas("cosine", std::move(betas));
}

NoiseSchedule NoiseSchedule::by_name(const std::string& name, int64_t steps) {
    if (name == "linear") return linear(steps);
    if (name == "cosine") return cosine(steps);
    throw std::invalid_argument(fmt::format("unknown noise schedule '{}' (valid: linear, cosine)", name));
}

Tensor random_timesteps(int64_t batch, int64_t steps, Generator& gen) {
    Tensor t = Tensor::empty({batch});
    for (int64_t b = 0; b < batch; ++b) t.data()[b] = static_cast<float>(gen.integer(static_cast<uint32_t>(steps)));
    return t;
}

Tensor gather_per_sample(const std::vector<double>& table, const Tensor& t, int64_t rank) {
    const int64_t batch = t.numel();
    Shape shape(std::max<int64_t>(rank, 1), 1);
    shape[0] = batch;
    Tensor out = Tensor::empty(shape);
    for (int64_t b = 0; b < batch; ++b) {
        const auto index = static_cast<int64_t>(t.data()[b]);
        if (index < 0 || index >= static_cast<int64_t>(table.size()) || float(index) != t.data()[b])
            throw std::invalid_argument(fmt::format("timestep {} is not an integer in [0, {}]", t.data()[b], table.size() - 1));
        out.data()[b] = static_cast<float>(table[index]);
    }
    return out;
}

// x0, noise: (B, …), t: (B) -> (B, …)
Tensor q_sample(const NoiseSchedule& schedule, const Tensor& x0, const Tensor& t, const Tensor& noise) {
    if (t.dim() != 1 || t.size(0) != x0.size(0) || noise.shape() != x0.shape())
        throw ShapeError(fmt::format("q_sample: x0 {}, t {} and noise {} do not fit (expected (B,…), (B), (B,…))",
                                     shape_str(x0.shape()), shape_str(t.shape()), shape_str(noise.shape())));
    return gather_per_sample(schedule.sqrt_alpha_bars, t, x0.dim()) * x0 +
           gather_per_sample(schedule.sqrt_one_minus_alpha_bars, t, x0.dim()) * noise;
}

Tensor diffusion_loss(NoisePredictor& model, const NoiseSchedule& schedule, const Tensor& x0, const Tensor& condition,
                      Generator& gen, const LossWeighting& weighting) {
    Tensor t = random_timesteps(x0.size(0), schedule.steps(), gen);
    Tensor noise = Tensor::randn(x0.shape(), gen);
    Tensor x_t = q_sample(schedule, x0, t, noise);
    Tensor prediction = model.forward(x_t, t, condition);
    const bool colour_term = weighting.colour_weight > 0.0f && x0.dim() == 4;
    if (weighting.min_snr_gamma <= 0.0f && !colour_term) return mse_loss(prediction, noise);
    const int64_t batch = x0.size(0);
    Tensor error = sub(prediction, noise);
    // per-sample mean squared error (B)
    Tensor per_sample = mean(reshape(square(error), {batch, -1}), {1});
    if (colour_term) {
        // + λ · mean over channels of (the channel's mean error)²
        Tensor channel_means = mean(reshape(error, {batch, x0.size(1), -1}), {2});
        per_sample = add(per_sample, mul(mean(square(channel_means), {1}), weighting.colour_weight));
    }
    if (weighting.min_snr_gamma > 0.0f) {
        // × min(SNR, γ)/SNR
        std::vector<double> weight(schedule.steps());
        for (int64_t s = 0; s < schedule.steps(); ++s) {
            const double snr = schedule.alpha_bars[s] / (1.0 - schedule.alpha_bars[s]);
            weight[s] = std::min(snr, double(weighting.min_snr_gamma)) / snr;
        }
        per_sample = mul(per_sample, reshape(gather_per_sample(weight, t, 1), {batch}));
    }
    return mean(per_sample);
}

}  // namespace hd
