// sampling.cpp — see sampling.h.
#include "experiment/sampling.h"

#include "diffusion/image_io.h"
#include "experiment/errors.h"
#include "experiment/interpolation.h"
#include "experiment/plot.h"
#include "experiment/progress.h"
#include "experiment/sample_data.h"
#include "nn/files.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <stdexcept>

namespace hd {

namespace {

const Rgb8 kModeColours[kNumModes] = {{200, 120, 40}, {110, 110, 120}, {200, 40, 40}, {40, 140, 60}};

// A few paths only: with every sample's ancestral path drawn, the noise of the early
// steps greys out the whole picture.
constexpr int64_t kShownPaths = 8;

// More samples than any grid or measurement needs; the bound keeps the shape product of
// (count, 3, S, S) far from overflowing.
constexpr int64_t kMaxSamples = 100000;

}  // namespace

Category parse_z2(const std::string& name) {
    try {
        return parse_category(name);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
}

SamplerOptions default_sampling() {
    return {.kind = SamplerOptions::Kind::ddim, .ddim_steps = 100, .eta = 1.0f, .clip_x0 = true};
}

void validate_sampler(const SamplerOptions& o) {
    if (o.ddim_steps < 1 || o.ddim_steps > 100000)
        throw UsageError(fmt::format("--ddim_steps {} is impossible (valid: 1 … 100000)", o.ddim_steps));
    if (!(o.eta >= 0.0f && o.eta <= 1.0f))
        throw UsageError(fmt::format("--eta {} is impossible (valid: 0 … 1)", o.eta));
    validate_guidance_weight("--guidance", o.guidance);
}

std::string describe_sampling(const SamplerOptions& options, float prior_guidance, const NoiseSchedule& schedule) {
    std::string text = describe(options, schedule);
    if (prior_guidance != 1.0f) text += fmt::format(", prior guidance {}", prior_guidance);
    return text;
}

void validate_guidance_weight(const char* flag, float w) {
    if (!(w >= 0.0f && w <= 100.0f)) throw UsageError(fmt::format("{} {} is impossible (valid: 0 … 100; 1 = off)", flag, w));
}

void check_guidance(const ModelConfig& config, float guidance, float prior_guidance) {
    validate_guidance_weight("--guidance", guidance);
    validate_guidance_weight("--prior_guidance", prior_guidance);
    const bool flat = config.kind == ModelKind::flat;
    if (prior_guidance != 1.0f && flat)
        throw UsageError("--prior_guidance applies to model B (hierarchical) only: model A has no prior (guide its "
                         "denoiser with --guidance)");
    if (guidance != 1.0f && config.condition_dropout == 0.0f)
        throw UsageError(fmt::format("--guidance {} needs {} trained with condition dropout, and this one had none: "
                                     "train it with --cond_dropout (e.g. 0.1), or sample with --guidance 1",
                                     guidance, flat ? "model A's denoiser" : "model B's decoder"));
    if (prior_guidance != 1.0f && config.prior_condition_dropout == 0.0f)
        throw UsageError(fmt::format("--prior_guidance {} needs model B's prior trained with condition dropout, and "
                                     "this one had none: train it with --prior_cond_dropout (e.g. 0.1), or sample "
                                     "with --prior_guidance 1", prior_guidance));
}

Generated generate(DiffusionModel& model, Category z2, int64_t count, const SamplerOptions& options, Generator& gen,
                   const SamplerProgress& progress, std::vector<Tensor>* prior_trajectory, float prior_guidance) {
    if (count < 1 || count > kMaxSamples)
        throw UsageError(fmt::format("--num_samples {} is impossible (valid: 1 … {})", count, kMaxSamples));
    check_guidance(model.config, options.guidance, prior_guidance);
    Generated out;
    if (model.config.kind == ModelKind::flat) {
        out.images = sample_flat(*model.image_model, model.schedule, z2, count, model.config.image_size, gen, options, progress);
    } else {
        // The prior keeps its default sampler (DDPM over every step); only its weight is set.
        const SamplerOptions prior_options{.guidance = prior_guidance};
        HierarchicalSamples s = sample_hierarchical(*model.prior, *model.image_model, model.schedule, z2, count,
                                                    model.config.image_size, gen, options, prior_options, progress,
                                                    prior_trajectory);
        out.images = s.images;
        out.z1 = s.z1;
    }
    return out;
}

void write_prior_scatter(const std::string& path, const Tensor& z1, const std::vector<Tensor>& trajectory,
                         const SyntheticDataset& dataset, const std::string& z2_name) {
    const int64_t count = z1.size(0);
    const std::vector<Mode> modes = classify_by_nearest_anchor(z1, dataset);
    std::vector<ScatterPoint> points;
    std::vector<std::vector<ScatterPoint>> paths(std::min(count, kShownPaths));
    int counts[kNumModes] = {};
    for (int64_t i = 0; i < count; ++i) {
        ++counts[static_cast<int>(modes[i])];
        points.push_back({z1.data()[2 * i], z1.data()[2 * i + 1], kModeColours[static_cast<int>(modes[i])]});
        if (i < kShownPaths)
            for (const Tensor& step : trajectory) paths[i].push_back({step.data()[2 * i], step.data()[2 * i + 1], {200, 200, 220}});
    }
    std::vector<Anchor> anchors;
    for (Mode m : all_modes())
        anchors.push_back({dataset.anchor(m).data()[0], dataset.anchor(m).data()[1],
                           fmt::format("{} {}", to_string(m), counts[static_cast<int>(m)])});
    write_png(path, scatter_plot(points, paths, anchors, 3.0, fmt::format("PRIOR Z1, Z2 = {}: {} SAMPLES", z2_name, count)));
}

namespace {

// Where `hd sample` writes: the grid (a .png), the samples file beside it and, for the
// prior's samples of model B, `<stem>_prior.png`.
SampleResult sample_paths(const SampleOptions& o, const std::array<float, 2>& z1) {
    const std::string stem = std::filesystem::path(o.model_path).stem().string();
    SampleResult result;
    result.grid = !o.output.empty() ? o.output
                  : !o.z1.empty()   ? fmt::format("samples/{}_z1_{}_{}.png", stem, z1[0], z1[1])
                                    : fmt::format("samples/{}_{}.png", stem, o.z2);
    if (std::filesystem::path(result.grid).extension() != ".png")
        throw UsageError(fmt::format("--output {} is not a PNG path (valid: a path ending in .png; the samples file "
                                     "goes beside it)", result.grid));
    result.data = sample_data_path(result.grid);
    const std::filesystem::path grid(result.grid);
    result.prior_plot = (grid.parent_path() / (grid.stem().string() + "_prior.png")).string();
    return result;
}

// The images (and z1) of `hd sample`: from the prior for z2, or decoded from one chosen z1.
Generated draw_samples(DiffusionModel& model, const SampleOptions& o, const std::array<float, 2>& z1,
                       std::vector<Tensor>& trajectory) {
    Generator gen(o.seed);
    SamplingProgress progress(o.z1.empty() ? fmt::format("sample {}", o.z2) : fmt::format("sample z1 = {}", o.z1));
    Generated samples;
    if (o.z1.empty()) {
        samples = generate(model, parse_z2(o.z2), o.num_samples, o.sampler, gen, progress.callback(), &trajectory,
                           o.prior_guidance);
    } else {
        samples.z1 = Tensor::empty({o.num_samples, kAnchorDim});
        for (int64_t i = 0; i < o.num_samples; ++i) std::copy(z1.begin(), z1.end(), samples.z1.data() + i * kAnchorDim);
        samples.images = decode_z1(model, samples.z1, o.sampler, gen, progress.callback());
    }
    progress.finish();
    return samples;
}

}  // namespace

SampleResult write_samples(const SampleOptions& o) {
    const bool chosen_z1 = !o.z1.empty();
    if (!chosen_z1) parse_z2(o.z2);
    const std::array<float, 2> z1 = chosen_z1 ? parse_z1(o.z1) : std::array<float, 2>{};
    validate_sampler(o.sampler);
    validate_guidance_weight("--prior_guidance", o.prior_guidance);
    if (o.num_samples < 1 || o.num_samples > kMaxSamples)
        throw UsageError(fmt::format("--num_samples {} is impossible (valid: 1 … {})", o.num_samples, kMaxSamples));
    SampleResult result = sample_paths(o, z1);
    require_checkpoint(o.model_path);
    LoadedCheckpoint checkpoint = load_checkpoint(o.model_path);
    use_ema_weights(checkpoint);
    DiffusionModel& model = *checkpoint.model;
    if (chosen_z1) require_hierarchical(model, o.model_path, "--z1");
    check_guidance(model.config, o.sampler.guidance, o.prior_guidance);
    result.sampler = describe_sampling(o.sampler, o.prior_guidance, model.schedule);
    const bool prior_samples = model.config.kind == ModelKind::hierarchical && !chosen_z1;
    if (!prior_samples) result.prior_plot.clear();
    // A device, FIFO or folder in the way is refused before sampling, not after.
    for (const std::string& path : {result.grid, result.data, result.prior_plot})
        if (!path.empty()) check_writable_path(path);

    std::vector<Tensor> trajectory;
    const Generated samples = draw_samples(model, o, z1, trajectory);
    const int scale = std::max<int>(1, 64 / static_cast<int>(model.config.image_size));
    write_png_grid(result.grid, samples.images, static_cast<int>(std::ceil(std::sqrt(double(o.num_samples)))), {}, scale);
    const SyntheticDataset dataset(model.config.dataset_options());
    if (prior_samples) write_prior_scatter(result.prior_plot, samples.z1, trajectory, dataset, o.z2);

    std::map<std::string, std::string> metadata{{"model_kind", to_string(model.config.kind)},
                                                {"sampler", result.sampler},
                                                {"seed", std::to_string(o.seed)},
                                                {"checkpoint", o.model_path}};
    if (chosen_z1) metadata["z1_source"] = "chosen", metadata["z1"] = o.z1;
    else metadata["z2"] = o.z2;
    if (prior_samples) metadata["z1_source"] = "prior";
    write_sample_data(result.data, {.images = samples.images,
                                    .z1 = samples.z1,
                                    .nearest_mode = classify_by_nearest_reference(samples.images, dataset),
                                    .verdicts = {},
                                    .metadata = std::move(metadata)});
    return result;
}

}  // namespace hd
