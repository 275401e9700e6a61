// cmd_sample.cpp — `hd sample --model_path … --z2 animal --num_samples 16` -> a PNG grid;
// for model B also the prior's z1 samples and their denoising paths over the anchors.
#include "apps/commands.h"
#include "apps/experiment.h"
#include "apps/plot.h"
#include "apps/progress.h"
#include "diffusion/image_io.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <optional>

namespace hd::cli {

namespace {

const Rgb8 kModeColours[kNumModes] = {{200, 120, 40}, {110, 110, 120}, {200, 40, 40}, {40, 140, 60}};

}  // namespace

void run_sample(const SampleOptions& o) {
    const Category z2 = [&] {
        try {
            return parse_category(o.z2);
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }();
    if (!std::filesystem::exists(o.model_path))
        throw UsageError(fmt::format("no checkpoint at {} (train one with hd train, or pass --model_path)", o.model_path));
    LoadedCheckpoint checkpoint = load_checkpoint(o.model_path);
    use_ema_weights(checkpoint);
    DiffusionModel& model = *checkpoint.model;
    SamplerOptions sampler = o.sampler_options;
    sampler.kind = parse_sampler_kind(o.sampler);

    const std::string output = o.output.empty() ? fmt::format("samples/{}_{}.png",
                                                              std::filesystem::path(o.model_path).stem().string(), o.z2)
                                                : o.output;
    Generator gen(o.seed);
    std::optional<Progress> progress;
    std::vector<Tensor> path;
    Generated samples = generate(model, z2, o.num_samples, sampler, gen,
                                 [&](int64_t done, int64_t total) {
                                     if (!progress) progress.emplace(fmt::format("sample {}", o.z2), total);
                                     progress->update(done, "denoising steps");
                                 },
                                 &path);
    if (progress) progress->finish();
    const auto columns = static_cast<int>(std::ceil(std::sqrt(double(o.num_samples))));
    const int scale = std::max<int>(1, 64 / static_cast<int>(model.config.image_size));
    std::filesystem::path out_path(output);
    if (out_path.has_parent_path()) std::filesystem::create_directories(out_path.parent_path());
    write_png_grid(output, samples.images, columns, {}, scale);
    fmt::print("wrote {} ({} samples for z2 = {}, {})\n", output, o.num_samples, o.z2, describe(sampler, model.schedule));

    if (samples.z1.defined()) {
        // The prior's samples and their paths from noise, coloured by nearest anchor.
        SyntheticDataset dataset(model.config.dataset_options());
        std::vector<Mode> modes = classify_by_nearest_anchor(samples.z1, dataset);
        std::vector<ScatterPoint> points;
        // A few paths only: with every sample's ancestral path drawn, the noise of the
        // early steps greys out the whole picture.
        const int64_t shown_paths = std::min<int64_t>(o.num_samples, 8);
        std::vector<std::vector<ScatterPoint>> paths(shown_paths);
        int counts[kNumModes] = {};
        for (int64_t i = 0; i < o.num_samples; ++i) {
            ++counts[static_cast<int>(modes[i])];
            const Rgb8 colour = kModeColours[static_cast<int>(modes[i])];
            points.push_back({samples.z1.data()[2 * i], samples.z1.data()[2 * i + 1], colour});
            if (i < shown_paths)
                for (const Tensor& step : path)
                    paths[i].push_back({step.data()[2 * i], step.data()[2 * i + 1], {200, 200, 220}});
        }
        std::vector<Anchor> anchors;
        for (Mode m : all_modes())
            anchors.push_back({dataset.anchor(m).data()[0], dataset.anchor(m).data()[1],
                               fmt::format("{} {}", to_string(m), counts[static_cast<int>(m)])});
        const std::string scatter = (out_path.parent_path() / (out_path.stem().string() + "_prior.png")).string();
        write_png(scatter, scatter_plot(points, paths, anchors, 3.0, fmt::format("PRIOR Z1, Z2 = {}: {} SAMPLES", o.z2, o.num_samples)));
        fmt::print("wrote {} (the prior's z1 samples, coloured by nearest anchor and counted per anchor, with the denoising paths of the first 8)\n", scatter);
    }
}

void add_sample_command(CLI::App& app) {
    auto* command = app.add_subcommand("sample", "draw samples from a trained model into a PNG grid");
    auto o = std::make_shared<SampleOptions>();
    command->add_option("--model_path,--model-path", o->model_path, "checkpoint to sample")->required();
    command->add_option("--z2", o->z2, "animal | vehicle")->capture_default_str();
    command->add_option("--num_samples,--num-samples", o->num_samples, "number of samples")->capture_default_str();
    command->add_option("--seed", o->seed, "sampling seed")->capture_default_str();
    command->add_option("--output", o->output, "PNG path (default samples/<checkpoint>_<z2>.png)");
    add_sampler_flags(*command, o->sampler_options, o->sampler);
    command->callback([o] { run_sample(*o); });
}

}  // namespace hd::cli
