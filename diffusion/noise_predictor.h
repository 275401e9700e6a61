// noise_predictor.h — what the diffusion code needs from a model: ε_θ(x_t, t, c).
//
// Both homework models (ImageDenoiser, Part 1; LatentPrior, Part 2) are
// NoisePredictors, so one training step and one sampler serve them both.
#pragma once

#include "nn/module.h"

namespace hd {

class NoisePredictor : public Module {
public:
    /// x_t: (B, …) noisy input, t: (B) timesteps as floats in [0, T-1],
    /// condition: (B, condition_dim) -> predicted noise, the shape of x_t.
    virtual Tensor forward(const Tensor& x_t, const Tensor& t, const Tensor& condition) = 0;
};

}  // namespace hd
