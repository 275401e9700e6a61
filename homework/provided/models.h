// models.h — the two networks of the homework. Everything here is provided except the
// two forward() functions, which are Parts 1 and 2:
//   Part 1  ImageDenoiser::forward   homework/image_denoiser.cpp
//   Part 2  LatentPrior::forward     homework/latent_prior.cpp
//
// Shapes: B batch, S image size, E embedding width, D condition width (2: one-hot z2,
// or a z1 anchor), L latent width (2).
#pragma once

#include "autograd/generator.h"
#include "diffusion/noise_predictor.h"
#include "nn/layers.h"
#include "nn/mlp.h"
#include "nn/unet.h"

#include <memory>

namespace hd {

struct ImageDenoiserOptions {
    int64_t image_channels = 3;
    int64_t base_channels = 16;  // C of the UNet (what hd train uses)
    int64_t embedding_dim = 64;  // E
    int64_t condition_dim = 2;   // D
    int64_t groups = 8;          // GroupNorm groups in the UNet
    int64_t unet_levels = 3;     // levels of the UNet (nn/unet.h)
    bool colour_path = false;    // the UNet's learned gain on x_t's mean colour (nn/unet.h)
};

/// ε_θ(x_t, t, c) for images: model A conditions on one-hot z2, model B's decoder on z1.
class ImageDenoiser : public NoisePredictor {
public:
    ImageDenoiser(const ImageDenoiserOptions& options, Generator& gen);

    /// PART 1. x_t: (B,3,S,S), t: (B), condition: (B,D) -> predicted noise (B,3,S,S).
    Tensor forward(const Tensor& x_t, const Tensor& t, const Tensor& condition) override;

    ImageDenoiserOptions options;
    std::shared_ptr<Sequential> time_embed;  // t (B) -> (B,E): sinusoidal(E) → Linear → SiLU → Linear
    std::shared_ptr<Linear> condition_embed; // (B,D) -> (B,E)
    std::shared_ptr<UNet> unet;              // (x (B,3,S,S), emb (B,E)) -> (B,3,S,S)
};

struct LatentPriorOptions {
    int64_t latent_dim = 2;      // L
    int64_t condition_dim = 2;   // D
    int64_t embedding_dim = 64;  // E (what hd train uses)
    int64_t hidden_features = 256;
    int64_t hidden_layers = 3;
};

/// ε_prior(z1_t, t, c): the prior p(z1 | z2) of model B, a diffusion over 2-D anchors.
class LatentPrior : public NoisePredictor {
public:
    LatentPrior(const LatentPriorOptions& options, Generator& gen);

    /// PART 2. z1_t: (B,L), t: (B), condition: (B,D) -> predicted noise (B,L).
    Tensor forward(const Tensor& z1_t, const Tensor& t, const Tensor& condition) override;

    LatentPriorOptions options;
    std::shared_ptr<Sequential> time_embed;  // t (B) -> (B,E)
    std::shared_ptr<Linear> condition_embed; // (B,D) -> (B,E)
    std::shared_ptr<MLP> mlp;                // (B, L+E+E) -> (B,L)
};

/// sinusoidal(E) → Linear(E,E) → SiLU → Linear(E,E): how both models embed a timestep.
std::shared_ptr<Sequential> make_time_embedding(int64_t embedding_dim, Generator& gen);

}  // namespace hd
