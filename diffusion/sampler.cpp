// sampler.cpp — see sampler.h.
#include "diffusion/sampler.h"

#include "autograd/autograd.h"
#include "autograd/ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace hd {

SamplerOptions::Kind parse_sampler_kind(const std::string& name) {
    if (name == "ddpm") return SamplerOptions::Kind::ddpm;
    if (name == "ddim") return SamplerOptions::Kind::ddim;
    throw std::invalid_argument(fmt::format("unknown sampler '{}' (valid: ddpm, ddim)", name));
}

std::string describe(const SamplerOptions& options, const NoiseSchedule& schedule) {
    std::string text = options.kind == SamplerOptions::Kind::ddpm
                           ? fmt::format("DDPM ancestral ({} steps)", schedule.steps())
                           : fmt::format("DDIM-{} (eta {})", std::min(options.ddim_steps, schedule.steps()), options.eta);
    if (options.clip_x0) text += ", x0 clipped";
    if (options.guidance != 1.0f) text += fmt::format(", guidance {}", options.guidance);
    return text;
}

std::vector<int64_t> sampling_timesteps(const SamplerOptions& options, int64_t steps) {
    std::vector<int64_t> visited;
    if (options.kind == SamplerOptions::Kind::ddpm) {
        for (int64_t t = steps - 1; t >= 0; --t) visited.push_back(t);
        return visited;
    }
    if (options.ddim_steps < 1)
        throw std::invalid_argument(fmt::format("DDIM needs at least 1 step, got {}", options.ddim_steps));
    // N evenly spaced timesteps ending at 0: τ_i = floor(i·T/N), i = N-1 … 0.
    const int64_t n = std::min(options.ddim_steps, steps);
    for (int64_t i = n - 1; i >= 0; --i) visited.push_back(i * steps / n);
    return visited;
}

namespace {

// ε for one step, with classifier-free guidance when its weight is not 1.
Tensor predict_noise(NoisePredictor& model, const Tensor& x, const Tensor& t, const Tensor& condition, float guidance) {
    Tensor conditional = model.forward(x, t, condition);
    if (guidance == 1.0f) return conditional;
    Tensor unconditional = model.forward(x, t, Tensor::zeros(condition.shape()));
    return unconditional + (conditional - unconditional) * guidance;
}

// One denoising step on a batch, written on raw buffers: x ← update(x, ε, z).
void ddpm_step(const NoiseSchedule& s, int64_t t, bool clip_x0, const Tensor& eps, Tensor& x, Generator& gen) {
    const double beta = s.betas[t], alpha = s.alphas[t], alpha_bar = s.alpha_bars[t];
    const double alpha_bar_prev = t > 0 ? s.alpha_bars[t - 1] : 1.0;
    const double sigma = t > 0 ? std::sqrt(beta) : 0.0;
    float* px = x.data();
    const float* pe = eps.data();
    const int64_t n = x.numel();
    for (int64_t i = 0; i < n; ++i) {
        double mean;
        if (clip_x0) {
            double x0 = (px[i] - std::sqrt(1.0 - alpha_bar) * pe[i]) / std::sqrt(alpha_bar);
            x0 = std::clamp(x0, -1.0, 1.0);
            mean = (beta * std::sqrt(alpha_bar_prev) * x0 + (1.0 - alpha_bar_prev) * std::sqrt(alpha) * px[i]) /
                   (1.0 - alpha_bar);
        } else {
            mean = (px[i] - beta / std::sqrt(1.0 - alpha_bar) * pe[i]) / std::sqrt(alpha);
        }
        // The noise is drawn in element order even when σ = 0 would not need it, so the
        // random stream does not depend on the timestep.
        const double z = t > 0 ? gen.normal() : 0.0;
        px[i] = static_cast<float>(mean + sigma * z);
    }
}

void ddim_step(const NoiseSchedule& s, int64_t t, int64_t t_prev, float eta, bool clip_x0, const Tensor& eps, Tensor& x,
               Generator& gen) {
    const double alpha_bar = s.alpha_bars[t];
    const double alpha_bar_prev = t_prev >= 0 ? s.alpha_bars[t_prev] : 1.0;
    const double sigma = eta * std::sqrt((1.0 - alpha_bar_prev) / (1.0 - alpha_bar)) *
                         std::sqrt(std::max(0.0, 1.0 - alpha_bar / alpha_bar_prev));
    const double direction = std::sqrt(std::max(0.0, 1.0 - alpha_bar_prev - sigma * sigma));
    float* px = x.data();
    const float* pe = eps.data();
    for (int64_t i = 0; i < x.numel(); ++i) {
        double x0 = (px[i] - std::sqrt(1.0 - alpha_bar) * pe[i]) / std::sqrt(alpha_bar);
        if (clip_x0) {
            x0 = std::clamp(x0, -1.0, 1.0);
        }
        double eps_used = clip_x0 ? (px[i] - std::sqrt(alpha_bar) * x0) / std::sqrt(1.0 - alpha_bar) : pe[i];
        const double z = sigma > 0.0 ? gen.normal() : 0.0;
        px[i] = static_cast<float>(std::sqrt(alpha_bar_prev) * x0 + direction * eps_used + sigma * z);
    }
}

}  // namespace

Tensor sample(NoisePredictor& model, const NoiseSchedule& schedule, const Tensor& condition, const Shape& sample_shape,
              Generator& gen, const SamplerOptions& options, const SamplerProgress& progress,
              std::vector<Tensor>* trajectory) {
    if (condition.dim() != 2)
        throw ShapeError(fmt::format("sample: condition must be (N, condition_dim), got {}", shape_str(condition.shape())));
    if (options.batch_size < 1) throw std::invalid_argument("sample: batch_size must be >= 1");
    NoGradGuard no_grad;
    const bool was_training = model.is_training();
    model.eval();

    const int64_t total = condition.size(0);
    Shape full_shape{total};
    full_shape.insert(full_shape.end(), sample_shape.begin(), sample_shape.end());
    const int64_t per_sample = numel_of(sample_shape);
    Tensor x = Tensor::randn(full_shape, gen); // x_T ~ N(0, I), drawn for all samples up front
    const std::vector<int64_t> timesteps = sampling_timesteps(options, schedule.steps());
    if (trajectory) trajectory->assign(1, x.clone());

    const int64_t batches = (total + options.batch_size - 1) / options.batch_size;
    const int64_t total_steps = batches * static_cast<int64_t>(timesteps.size());
    int64_t done = 0;
    for (int64_t start = 0; start < total; start += options.batch_size) {
        const int64_t count = std::min(options.batch_size, total - start);
        Tensor xb = slice(x, 0, start, start + count);
        Tensor cb = slice(condition, 0, start, start + count);
        for (size_t i = 0; i < timesteps.size(); ++i) {
            const int64_t t = timesteps[i];
            Tensor eps = predict_noise(model, xb, Tensor::full({count}, float(t)), cb, options.guidance);
            if (options.kind == SamplerOptions::Kind::ddpm) {
                ddpm_step(schedule, t, options.clip_x0, eps, xb, gen);
            } else {
                const int64_t t_prev = i + 1 < timesteps.size() ? timesteps[i + 1] : -1;
                ddim_step(schedule, t, t_prev, options.eta, options.clip_x0, eps, xb, gen);
            }
            if (trajectory) {
                if (trajectory->size() < i + 2) trajectory->push_back(x.clone());
                std::copy(xb.data(), xb.data() + xb.numel(), (*trajectory)[i + 1].data() + start * per_sample);
            }
            if (progress) progress(++done, total_steps);
        }
        std::copy(xb.data(), xb.data() + xb.numel(), x.data() + start * per_sample);
    }
    model.train(was_training);
    return x;
}

}  // namespace hd
