// sampling.h — drawing samples from a trained model, with classifier-free guidance, and
// the pictures `hd sample` writes.
#pragma once

#include "diffusion/pipeline.h"
#include "diffusion/sampler.h"
#include "experiment/model.h"

#include <string>
#include <vector>

namespace hd {

/// "animal" / "vehicle"; anything else throws UsageError naming the valid choices.
Category parse_z2(const std::string& name);

/// The sampler `hd sample` and `hd evaluate` use unless told otherwise: DDIM, 100 steps,
/// η = 1, x̂0 clipped.
SamplerOptions default_sampling();

/// UsageError for impossible sampler settings (DDIM steps, η, guidance: finite and in
/// range), before any work.
void validate_sampler(const SamplerOptions& options);
/// describe() of the image sampler, plus ", prior guidance w" when B's prior is guided.
std::string describe_sampling(const SamplerOptions& options, float prior_guidance, const NoiseSchedule& schedule);
/// UsageError unless the guidance weight `w` of `flag` is in 0 … 100 (1 = off).
void validate_guidance_weight(const char* flag, float w);

/// UsageError unless a model of `config` can be sampled with these classifier-free
/// guidance weights: `guidance` steers A's denoiser or B's decoder, `prior_guidance` B's
/// prior (model A has none). A weight other than 1 mixes in the network's unconditional
/// prediction, which only a network trained with condition dropout has learnt; so it is
/// refused, naming the flag to train with, for a network trained without.
void check_guidance(const ModelConfig& config, float guidance, float prior_guidance);

/// Samples `count` images for z2 with either model (model B: prior, then decoder; its z1
/// samples come back too). `options.guidance` guides A's denoiser or B's decoder,
/// `prior_guidance` B's prior (sampled with DDPM); both are checked by check_guidance.
struct Generated {
    Tensor images; // (count, 3, S, S)
    Tensor z1;     // (count, 2) — model B only
};
Generated generate(DiffusionModel& model, Category z2, int64_t count, const SamplerOptions& options, Generator& gen,
                   const SamplerProgress& progress = {}, std::vector<Tensor>* prior_trajectory = nullptr,
                   float prior_guidance = 1.0f);

/// What `hd sample` does: a PNG grid of samples of one z2 and, for model B, a second
/// picture `<stem>_prior.png` of the prior's z1 samples over the four anchors; beside the
/// grid, `<stem>.safetensors` holds the samples with their labels (sample_data.h). With
/// `z1` ("x,y", model B only) the decoder draws every sample for that z1 instead (no
/// prior, no z2; default grid samples/<checkpoint stem>_z1_<x>_<y>.png).
struct SampleOptions {
    std::string model_path;
    std::string z2 = "animal";
    int64_t num_samples = 16;
    uint64_t seed = 0;
    std::string output; // default samples/<checkpoint stem>_<z2>.png
    SamplerOptions sampler = default_sampling();
    std::string z1 = {}; // model B: decode this "x,y"; empty: z1 comes from the prior
    float prior_guidance = 1.0f; // model B's prior (sampler.guidance guides the images)
};
struct SampleResult {
    std::string grid;       // the PNG written
    std::string prior_plot; // model B from the prior: the scatter written; otherwise empty
    std::string data;       // the samples file beside the grid
    std::string sampler;    // describe() of the sampler used
};
/// Validates everything (z2 or z1, sampler, count, output, the checkpoint and, for z1,
/// its kind) before sampling.
SampleResult write_samples(const SampleOptions& options);

/// The prior's z1 samples (N,2) as dots coloured by their nearest anchor, the first few
/// denoising paths (`trajectory`: z1 at every visited step), and the anchors labelled with
/// their counts, written to `path`.
void write_prior_scatter(const std::string& path, const Tensor& z1, const std::vector<Tensor>& trajectory,
                         const SyntheticDataset& dataset, const std::string& z2_name);

}  // namespace hd
