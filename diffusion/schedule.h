// schedule.h — DDPM's forward (noising) process and its training loss.
//
// Timesteps are 0-based, t = 0 … T-1, as in the handout:
//   β_t           the noise schedule,   α_t = 1 - β_t,   ᾱ_t = Π_{s≤t} α_s
//   q(x_t | x_0) = N(√ᾱ_t x_0, (1 - ᾱ_t) I)
// so x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε with ε ~ N(0, I)   (q_sample).
#pragma once

#include "autograd/generator.h"
#include "autograd/tensor.h"
#include "diffusion/noise_predictor.h"

#include <string>
#include <vector>

namespace hd {

class NoiseSchedule {
public:
    /// β_t spaced linearly from beta_start to beta_end (DDPM, Ho et al. 2020).
    static NoiseSchedule linear(int64_t steps = 1000, double beta_start = 1e-4, double beta_end = 0.02);
    /// ᾱ_t = f(t+1)/f(0) with f(u) = cos²((u/T + s)/(1 + s) · π/2) (Nichol & Dhariwal 2021),
    /// β_t = 1 - ᾱ_t/ᾱ_{t-1} clipped to at most 0.999.
    static NoiseSchedule cosine(int64_t steps = 1000, double offset = 0.008);
    /// "linear" or "cosine"; anything else throws naming the valid choices.
    static NoiseSchedule by_name(const std::string& name, int64_t steps = 1000);

    int64_t steps() const { return static_cast<int64_t>(betas.size()); }
    std::string name;
    std::vector<double> betas, alphas, alpha_bars; // index t = 0 … T-1
    std::vector<double> sqrt_alpha_bars;           // √ᾱ_t, the signal kept in x_t
    std::vector<double> sqrt_one_minus_alpha_bars; // √(1-ᾱ_t), the noise level of x_t
};

/// Draws t uniformly from {0, …, T-1} for each of `batch` samples, as floats (B).
Tensor random_timesteps(int64_t batch, int64_t steps, Generator& gen);

/// x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε.  x0, noise: (B, …), t: (B) -> (B, …)
Tensor q_sample(const NoiseSchedule& schedule, const Tensor& x0, const Tensor& t, const Tensor& noise);

/// How the ε-MSE of one sample is weighted. Neither weight moves the loss's minimiser —
/// ε_θ = E[ε | x_t] for every t and every image — they only change which errors the
/// gradient attends to first. Both zero is the handout's plain loss.
///
/// min_snr_gamma > 0: each sample's squared error is weighted by min(SNR_t, γ)/SNR_t,
/// SNR_t = ᾱ_t/(1-ᾱ_t) (Min-SNR-γ, Hang et al. 2023). Uniform t makes the nearly clean
/// timesteps — whose noise cannot be told from the image, so their error stays high —
/// dominate the gradient; the weight shrinks them and leaves the noisy timesteps, which
/// decide an image's layout and colours, at full weight.
///
/// colour_weight λ > 0 (images (B, C, H, W) only): adds λ·mean_c (mean_hw (ε_θ - ε))² — the
/// error of each channel's mean, the image's overall colour. That error is one of H·W
/// frequencies in the plain MSE, so the plain loss barely sees it, yet sampling divides it
/// by √ᾱ_t (×157 at t = 999 on the linear schedule) when it forms x̂_0: a small mean error
/// at large t becomes a colour cast of the whole sample. `hd probe` measures it.
struct LossWeighting {
    float min_snr_gamma = 0.0f;
    float colour_weight = 0.0f;
};

/// The ε-prediction loss of one batch: ‖ε - ε_θ(x_t, t, c)‖² averaged over every element
/// (weighted per `weighting`), with fresh t and ε drawn from `gen`.
/// x0: (B, …), condition: (B, condition_dim) -> shape ().
Tensor diffusion_loss(NoisePredictor& model, const NoiseSchedule& schedule, const Tensor& x0, const Tensor& condition,
                      Generator& gen, const LossWeighting& weighting = {});

/// (B) values picked from a per-timestep table at the timesteps t, shaped (B,1,…,1) to
/// broadcast against a (B, …) tensor of rank `rank`.
Tensor gather_per_sample(const std::vector<double>& table, const Tensor& t, int64_t rank);

}  // namespace hd
