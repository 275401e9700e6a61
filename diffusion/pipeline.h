// pipeline.h — the two generative pipelines of the experiment, over any NoisePredictor.
//
// Model A (flat):          x ~ p(x | z2)                one image denoiser, condition = one-hot z2
// Model B (hierarchical):  z1 ~ p(z1 | z2), x ~ p(x | z1)   a latent prior (condition = one-hot z2)
//                                                       and an image decoder (condition = z1)
// Training draws fresh batches from the synthetic dataset; every loss is DDPM's
// ε-prediction MSE (schedule.h). Sampling runs the samplers of sampler.h.
#pragma once

#include "diffusion/dataset.h"
#include "diffusion/sampler.h"
#include "diffusion/schedule.h"

namespace hd {

/// (N, 2) one-hot rows for a category.
Tensor one_hot_condition(Category z2, int64_t count);

/// Losses of one training batch (the caller runs backward and the optimizer).
struct FlatLosses {
    Tensor image; // ε-MSE of the denoiser on images conditioned on z2
};
struct HierarchicalLosses {
    Tensor prior;   // ε-MSE of the prior on anchors z1 conditioned on z2
    Tensor decoder; // ε-MSE of the decoder on images conditioned on z1
};
/// `image_weighting` (see LossWeighting; default the plain ε-MSE) weights the image losses only.
FlatLosses flat_losses(NoisePredictor& denoiser, const NoiseSchedule& schedule, const SyntheticDataset::Batch& batch,
                       Generator& gen, const LossWeighting& image_weighting = {});
HierarchicalLosses hierarchical_losses(NoisePredictor& prior, NoisePredictor& decoder, const NoiseSchedule& schedule,
                                       const SyntheticDataset::Batch& batch, Generator& gen,
                                       const LossWeighting& image_weighting = {});

/// Model A: `count` images for z2 -> (count, 3, S, S).
Tensor sample_flat(NoisePredictor& denoiser, const NoiseSchedule& schedule, Category z2, int64_t count,
                   int64_t image_size, Generator& gen, const SamplerOptions& options = {},
                   const SamplerProgress& progress = {});

/// Model B: first z1 from the prior, then images from the decoder conditioned on them.
struct HierarchicalSamples {
    Tensor z1;     // (count, 2)
    Tensor images; // (count, 3, S, S); undefined when only the prior was sampled
};
/// Samples the prior; the prior always uses DDPM ancestral sampling (it is cheap) unless
/// `prior_options` says otherwise. With image_size 0 only z1 is sampled.
HierarchicalSamples sample_hierarchical(NoisePredictor& prior, NoisePredictor& decoder, const NoiseSchedule& schedule,
                                        Category z2, int64_t count, int64_t image_size, Generator& gen,
                                        const SamplerOptions& image_options = {},
                                        const SamplerOptions& prior_options = {},
                                        const SamplerProgress& progress = {},
                                        std::vector<Tensor>* prior_trajectory = nullptr);

}  // namespace hd
