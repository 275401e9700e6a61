// pipeline.cpp — see pipeline.h.
#include "diffusion/pipeline.h"

#include <algorithm>

namespace hd {

Tensor one_hot_condition(Category z2, int64_t count) {
    Tensor c = Tensor::zeros({count, kNumCategories});
    for (int64_t i = 0; i < count; ++i) c.data()[i * kNumCategories + static_cast<int>(z2)] = 1.0f;
    return c;
}

Tensor drop_condition(const Tensor& condition, float p, Generator& gen) {
    if (p <= 0.0f) return condition;
    Tensor dropped = condition.clone();
    const int64_t rows = condition.size(0), width = condition.numel() / std::max<int64_t>(rows, 1);
    for (int64_t b = 0; b < rows; ++b)
        if (gen.uniform() < p) std::fill_n(dropped.data() + b * width, width, 0.0f);
    return dropped;
}

FlatLosses flat_losses(NoisePredictor& denoiser, const NoiseSchedule& schedule, const SyntheticDataset::Batch& batch,
                       Generator& gen, const LossWeighting& image_weighting, const ConditionDropout& dropout) {
    const Tensor z2 = drop_condition(batch.z2_onehot, dropout.image, gen);
    return {diffusion_loss(denoiser, schedule, batch.images, z2, gen, image_weighting)};
}

HierarchicalLosses hierarchical_losses(NoisePredictor& prior, NoisePredictor& decoder, const NoiseSchedule& schedule,
                                       const SyntheticDataset::Batch& batch, Generator& gen,
                                       const LossWeighting& image_weighting, const ConditionDropout& dropout) {
    // The prior's target is always the example's true z1; only the conditions are dropped.
    const Tensor z2 = drop_condition(batch.z2_onehot, dropout.prior, gen);
    Tensor prior_loss = diffusion_loss(prior, schedule, batch.z1, z2, gen);
    const Tensor z1 = drop_condition(batch.z1, dropout.image, gen);
    return {prior_loss, diffusion_loss(decoder, schedule, batch.images, z1, gen, image_weighting)};
}

Tensor sample_flat(NoisePredictor& denoiser, const NoiseSchedule& schedule, Category z2, int64_t count,
                   int64_t image_size, Generator& gen, const SamplerOptions& options, const SamplerProgress& progress) {
    return sample(denoiser, schedule, one_hot_condition(z2, count), {3, image_size, image_size}, gen, options, progress);
}

HierarchicalSamples sample_hierarchical(NoisePredictor& prior, NoisePredictor& decoder, const NoiseSchedule& schedule,
                                        Category z2, int64_t count, int64_t image_size, Generator& gen,
                                        const SamplerOptions& image_options, const SamplerOptions& prior_options,
                                        const SamplerProgress& progress, std::vector<Tensor>* prior_trajectory) {
    HierarchicalSamples out;
    SamplerOptions latent = prior_options;
    latent.clip_x0 = false; // anchors are not images: nothing to clip to
    latent.batch_size = std::max<int64_t>(latent.batch_size, count); // 2-D points: one batch
    out.z1 = sample(prior, schedule, one_hot_condition(z2, count), {kAnchorDim}, gen, latent, {}, prior_trajectory);
    if (image_size > 0)
        out.images = sample(decoder, schedule, out.z1, {3, image_size, image_size}, gen, image_options, progress);
    return out;
}

}  // namespace hd
