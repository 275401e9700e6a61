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

/// Classifier-free guidance is trained by showing the network the null condition (all
/// zeros) for a share of the examples, so that the same network also learns the
/// unconditional prediction ε_∅ that guided sampling mixes in (sampler.h). The
/// probabilities, per network: A's denoiser (null z2), B's decoder (null z1) and B's prior
/// (null z2). 0 = never, the default.
struct ConditionDropout {
    float image = 0.0f; // A: z2 of the denoiser; B: z1 of the decoder
    float prior = 0.0f; // B: z2 of the prior
};

/// `condition` (B, D) with each row replaced by zeros with probability p. Draws one
/// uniform number per row from `gen` when p > 0 and none when p = 0, so a run without
/// dropout sees exactly the random stream it saw before dropout existed.
Tensor drop_condition(const Tensor& condition, float p, Generator& gen);

/// Losses of one training batch (the caller runs backward and the optimizer).
struct FlatLosses {
    Tensor image; // ε-MSE of the denoiser on images conditioned on z2
};
struct HierarchicalLosses {
    Tensor prior;   // ε-MSE of the prior on anchors z1 conditioned on z2
    Tensor decoder; // ε-MSE of the decoder on images conditioned on z1
};
/// `image_weighting` (see LossWeighting; default the plain ε-MSE) weights the image losses
/// only. With `dropout`, the networks see the null condition for a share of the examples
/// (B's prior still learns to produce every example's true z1: only its input is dropped).
FlatLosses flat_losses(NoisePredictor& denoiser, const NoiseSchedule& schedule, const SyntheticDataset::Batch& batch,
                       Generator& gen, const LossWeighting& image_weighting = {}, const ConditionDropout& dropout = {});
HierarchicalLosses hierarchical_losses(NoisePredictor& prior, NoisePredictor& decoder, const NoiseSchedule& schedule,
                                       const SyntheticDataset::Batch& batch, Generator& gen,
                                       const LossWeighting& image_weighting = {}, const ConditionDropout& dropout = {});

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
