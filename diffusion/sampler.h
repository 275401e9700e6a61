// sampler.h — generating samples by running the reverse process.
//
// Ancestral DDPM sampling (the handout's update), from t = T-1 down to 0:
//   x_{t-1} = 1/√α_t · (x_t - β_t/√(1-ᾱ_t) · ε_θ(x_t, t, c)) + σ_t z,   σ_t² = β_t,
// with z ~ N(0, I), and no noise on the last step (t = 0).
// With clip_x0 the same step is taken through the predicted clean sample
//   x̂_0 = (x_t - √(1-ᾱ_t) ε_θ) / √ᾱ_t, clipped to [-1, 1],
//   x_{t-1} = (β_t √ᾱ_{t-1} x̂_0 + (1-ᾱ_{t-1}) √α_t x_t) / (1-ᾱ_t) + σ_t z,
// which is the same update when nothing is clipped.
//
// DDIM (Song et al. 2021) visits only N evenly spaced timesteps τ_N > … > τ_1:
//   x_prev = √ᾱ_prev x̂_0 + √(1-ᾱ_prev-σ²) ε_θ + σ z,
//   σ = η √((1-ᾱ_prev)/(1-ᾱ_t)) √(1-ᾱ_t/ᾱ_prev);  η = 0 is deterministic.
//
// Classifier-free guidance (Ho & Salimans 2022) with weight w mixes a conditional and an
// unconditional (all-zero condition) prediction: ε = ε_∅ + w (ε_c - ε_∅); w = 1 is off.
#pragma once

#include "autograd/generator.h"
#include "diffusion/noise_predictor.h"
#include "diffusion/schedule.h"

#include <functional>
#include <string>
#include <vector>

namespace hd {

struct SamplerOptions {
    enum class Kind { ddpm, ddim };
    Kind kind = Kind::ddpm;
    int64_t ddim_steps = 50;     // DDIM only
    float eta = 0.0f;            // DDIM only: 0 deterministic, 1 ≈ DDPM's noise
    bool clip_x0 = false;        // clip the predicted x̂_0 to [-1, 1] (images; not latents)
    float guidance = 1.0f;       // classifier-free guidance weight; 1 = plain conditional sampling
    int64_t batch_size = 64;     // samples denoised together (memory vs speed)
};

/// "ddpm" or "ddim"; anything else throws naming the valid choices.
SamplerOptions::Kind parse_sampler_kind(const std::string& name);
/// A short label for reports: "DDPM (1000 steps)", "DDIM-50 (eta 0)".
std::string describe(const SamplerOptions& options, const NoiseSchedule& schedule);

/// Called after each denoising step with (steps done, steps in total).
using SamplerProgress = std::function<void(int64_t done, int64_t total)>;

/// Draws one sample per row of `condition` (N, condition_dim), each of shape
/// `sample_shape` (e.g. {3,64,64} or {2}) -> (N, sample_shape…). Runs without autograd.
/// If `trajectory` is given, it receives x at every visited timestep (from noise to the
/// result), for pictures of the denoising paths.
Tensor sample(NoisePredictor& model, const NoiseSchedule& schedule, const Tensor& condition, const Shape& sample_shape,
              Generator& gen, const SamplerOptions& options = {}, const SamplerProgress& progress = {},
              std::vector<Tensor>* trajectory = nullptr);

/// The timesteps a sampler visits, from the noisiest down to 0.
std::vector<int64_t> sampling_timesteps(const SamplerOptions& options, int64_t steps);

}  // namespace hd
