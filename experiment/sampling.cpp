// sampling.cpp — see sampling.h.
#include "experiment/sampling.h"

#include "diffusion/image_io.h"
#include "experiment/errors.h"
#include "experiment/plot.h"
#include "experiment/progress.h"
#include "nn/files.h"

#include <fmt/format.h>

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
    if (!(o.guidance >= 0.0f && o.guidance <= 100.0f))
        throw UsageError(fmt::format("--guidance {} is impossible (valid: 0 … 100; 1 = off)", o.guidance));
}

Generated generate(DiffusionModel& model, Category z2, int64_t count, const SamplerOptions& options, Generator& gen,
                   const SamplerProgress& progress, std::vector<Tensor>* prior_trajectory) {
    if (count < 1 || count > kMaxSamples)
        throw UsageError(fmt::format("--num_samples {} is impossible (valid: 1 … {})", count, kMaxSamples));
    if (options.guidance != 1.0f && model.config.kind != ModelKind::flat)
        throw UsageError("--guidance applies to the flat model only");
    Generated out;
    if (model.config.kind == ModelKind::flat) {
        out.images = sample_flat(*model.image_model, model.schedule, z2, count, model.config.image_size, gen, options, progress);
    } else {
        HierarchicalSamples s = sample_hierarchical(*model.prior, *model.image_model, model.schedule, z2, count,
                                                    model.config.image_size, gen, options, {}, progress, prior_trajectory);
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

SampleResult write_samples(const SampleOptions& o) {
    const Category z2 = parse_z2(o.z2);
    validate_sampler(o.sampler);
    if (o.num_samples < 1 || o.num_samples > kMaxSamples)
        throw UsageError(fmt::format("--num_samples {} is impossible (valid: 1 … {})", o.num_samples, kMaxSamples));
    require_checkpoint(o.model_path);
    LoadedCheckpoint checkpoint = load_checkpoint(o.model_path);
    use_ema_weights(checkpoint);
    DiffusionModel& model = *checkpoint.model;

    SampleResult result;
    result.grid = o.output.empty()
                      ? fmt::format("samples/{}_{}.png", std::filesystem::path(o.model_path).stem().string(), o.z2)
                      : o.output;
    result.sampler = describe(o.sampler, model.schedule);
    const std::filesystem::path grid(result.grid);
    const std::string prior_plot = (grid.parent_path() / (grid.stem().string() + "_prior.png")).string();
    check_writable_path(result.grid); // a device, FIFO or folder is refused before sampling, not after
    if (model.config.kind == ModelKind::hierarchical) check_writable_path(prior_plot);
    Generator gen(o.seed);
    SamplingProgress progress(fmt::format("sample {}", o.z2));
    std::vector<Tensor> trajectory;
    Generated samples = generate(model, z2, o.num_samples, o.sampler, gen, progress.callback(), &trajectory);
    progress.finish();
    const auto columns = static_cast<int>(std::ceil(std::sqrt(double(o.num_samples))));
    const int scale = std::max<int>(1, 64 / static_cast<int>(model.config.image_size));
    write_png_grid(result.grid, samples.images, columns, {}, scale);

    if (samples.z1.defined()) {
        result.prior_plot = prior_plot;
        write_prior_scatter(result.prior_plot, samples.z1, trajectory, SyntheticDataset(model.config.dataset_options()), o.z2);
    }
    return result;
}

}  // namespace hd
