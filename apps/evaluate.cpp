// evaluate.cpp — see evaluate.h.
#include "apps/evaluate.h"

#include "apps/commands.h"
#include "apps/files.h"
#include "apps/progress.h"
#include "autograd/ops.h"
#include "diffusion/image_io.h"
#include "homework/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>

namespace hd::cli {

namespace {

// Calls each student metric once on a tiny valid input, so a stubbed Part fails at
// once — not after minutes of sampling.
void check_parts_implemented(const SyntheticDataset& dataset) {
    Tensor one_reference = slice(dataset.references(Mode::dog), 0, 0, 1); // (1,3,S,S)
    Tensor one_anchor = reshape(dataset.anchor(Mode::dog), {1, kAnchorDim});
    compute_mode_coverage(one_reference, Category::animal, dataset);
    compute_conditional_entropy(one_anchor, Category::animal, dataset);
    compute_kl_divergence(one_anchor, Category::animal, dataset);
}

// The largest nearest-reference distance among held-out real images: a generated sample
// closer than this to some reference is "near a mode". Real images come from an index
// range that neither training (random indices below 2^62 are possible, but these
// specific ones are vanishingly unlikely) nor the references use.
float near_mode_threshold(const SyntheticDataset& dataset) {
    constexpr int64_t kPerMode = 32;
    const int64_t size = dataset.image_size();
    Tensor real = Tensor::empty({kNumModes * kPerMode, 3, size, size});
    for (Mode mode : all_modes())
        for (int64_t i = 0; i < kPerMode; ++i)
            dataset.render_into(mode, (uint64_t{1} << 61) + i,
                                real.data() + (static_cast<int64_t>(mode) * kPerMode + i) * 3 * size * size);
    float threshold = 0.0f;
    for (const ReferenceMatch& match : match_nearest_references(real, dataset)) threshold = std::max(threshold, match.distance);
    return threshold;
}

// Each image stands for the anchor of its nearest-reference mode: the z1 it "shows".
Tensor anchors_of(const std::vector<Mode>& modes, const SyntheticDataset& dataset) {
    Tensor z1 = Tensor::empty({static_cast<int64_t>(modes.size()), kAnchorDim});
    const Tensor anchors = dataset.anchors();
    for (size_t i = 0; i < modes.size(); ++i)
        for (int d = 0; d < kAnchorDim; ++d) z1.data()[i * kAnchorDim + d] = anchors.data()[static_cast<int>(modes[i]) * kAnchorDim + d];
    return z1;
}

nlohmann::json histogram(const std::vector<Mode>& modes) {
    nlohmann::json counts;
    for (Mode m : all_modes()) counts[to_string(m)] = std::count(modes.begin(), modes.end(), m);
    return counts;
}

}  // namespace

EvaluateResult evaluate_model(const EvaluateOptions& o) {
    if (o.num_samples < 1) throw UsageError(fmt::format("--num_samples {} is impossible (valid: 1 or more)", o.num_samples));
    if (!std::filesystem::exists(o.model_path))
        throw UsageError(fmt::format("no checkpoint at {} (train one with hd train, or pass --model_path)", o.model_path));
    LoadedCheckpoint checkpoint = load_checkpoint(o.model_path);
    use_ema_weights(checkpoint);
    DiffusionModel& model = *checkpoint.model;
    SyntheticDataset dataset(model.config.dataset_options());
    check_parts_implemented(dataset);

    EvaluateResult result;
    result.output_dir = o.output_dir.empty()
                            ? (std::filesystem::path("evaluation") / std::filesystem::path(o.model_path).stem()).string()
                            : o.output_dir;
    make_directory(result.output_dir);
    const float threshold = near_mode_threshold(dataset);

    nlohmann::json& m = result.metrics;
    m["checkpoint"] = o.model_path;
    m["model_kind"] = to_string(model.config.kind);
    m["trained_steps"] = checkpoint.state.step;
    m["sampler"] = describe(o.sampler, model.schedule);
    m["num_samples_per_z2"] = o.num_samples;
    m["seed"] = o.seed;
    m["near_mode_threshold"] = threshold;

    Generator gen(o.seed);
    for (Category z2 : {Category::animal, Category::vehicle}) {
        const std::string name = to_string(z2);
        std::optional<Progress> progress; // made at the first report, when the total is known
        Generated samples = generate(model, z2, o.num_samples, o.sampler, gen, [&](int64_t done, int64_t total) {
            if (o.quiet) return;
            if (!progress) progress.emplace(fmt::format("sample {} {}", to_string(model.config.kind), name), total);
            progress->update(done, "denoising steps");
        });
        if (progress) progress->finish();

        std::vector<ReferenceMatch> matches = match_nearest_references(samples.images, dataset);
        std::vector<Mode> modes;
        int64_t near = 0;
        for (const ReferenceMatch& match : matches) {
            modes.push_back(match.mode);
            near += match.distance <= threshold ? 1 : 0;
        }
        ModeCoverage coverage = compute_mode_coverage(samples.images, z2, dataset);
        Tensor shown_z1 = anchors_of(modes, dataset);
        nlohmann::json entry;
        entry["image_modes"] = histogram(modes);
        entry["coverage"] = {{"num_modes_found", coverage.num_modes_found},
                             {"total_possible_modes", coverage.total_possible_modes},
                             {"coverage_ratio", coverage.coverage_ratio}};
        entry["entropy_nats"] = compute_conditional_entropy(shown_z1, z2, dataset);
        entry["kl_nats"] = compute_kl_divergence(shown_z1, z2, dataset);
        entry["near_mode_share"] = double(near) / double(o.num_samples);
        if (samples.z1.defined()) {
            std::vector<Mode> prior_modes = classify_by_nearest_anchor(samples.z1, dataset);
            entry["prior"] = {{"modes", histogram(prior_modes)},
                              {"entropy_nats", compute_conditional_entropy(samples.z1, z2, dataset)},
                              {"kl_nats", compute_kl_divergence(samples.z1, z2, dataset)}};
        }
        m["per_z2"][name] = entry;

        std::vector<std::string> labels;
        for (size_t i = 0; i < modes.size(); ++i)
            labels.push_back(to_string(modes[i]) + (matches[i].distance <= threshold ? "" : "?"));
        write_png_grid((std::filesystem::path(result.output_dir) / fmt::format("samples_{}.png", name)).string(),
                       samples.images, 8, labels, std::max<int>(1, 64 / dataset.image_size()));
    }
    write_file_atomic((std::filesystem::path(result.output_dir) / "metrics.json").string(), m.dump(2) + "\n");
    return result;
}

std::string format_metrics_table(const nlohmann::json& m) {
    std::string text = fmt::format("{} model, {} samples per z2, {}\n", m["model_kind"].get<std::string>(),
                                   m["num_samples_per_z2"].get<int64_t>(), m["sampler"].get<std::string>());
    text += fmt::format("{:<8} {:>9} {:>8} {:>8} {:>9} {:>5} {:>5} {:>5} {:>5}", "z2", "coverage", "H nats", "KL nats",
                        "near-mode", "dog", "cat", "car", "truck");
    const bool has_prior = m["per_z2"]["animal"].contains("prior");
    if (has_prior) text += fmt::format(" | {:>8} {:>8}", "prior H", "prior KL");
    text += "\n";
    for (const char* z2 : {"animal", "vehicle"}) {
        const nlohmann::json& e = m["per_z2"][z2];
        const nlohmann::json& h = e["image_modes"];
        text += fmt::format("{:<8} {:>4}/{:<4} {:>8.3f} {:>8.3f} {:>8.0f}% {:>5} {:>5} {:>5} {:>5}", z2,
                            e["coverage"]["num_modes_found"].get<int64_t>(), e["coverage"]["total_possible_modes"].get<int64_t>(),
                            e["entropy_nats"].get<double>(), e["kl_nats"].get<double>(),
                            100.0 * e["near_mode_share"].get<double>(), h["dog"].get<int64_t>(), h["cat"].get<int64_t>(),
                            h["car"].get<int64_t>(), h["truck"].get<int64_t>());
        if (has_prior) text += fmt::format(" | {:>8.3f} {:>8.3f}", e["prior"]["entropy_nats"].get<double>(),
                                           e["prior"]["kl_nats"].get<double>());
        text += "\n";
    }
    return text;
}

}  // namespace hd::cli
