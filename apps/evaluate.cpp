// evaluate.cpp — see evaluate.h.
#include "apps/evaluate.h"

#include "apps/commands.h"
#include "apps/files.h"
#include "apps/progress.h"
#include "autograd/ops.h"
#include "diffusion/image_io.h"
#include "diffusion/mode_classifier.h"
#include "homework/provided/metrics.h"

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

// Each image shifted and scaled per channel to mean 0 and standard deviation 1: what is
// left is shape and contrast, not colour — so a colour-drifted sample still finds the
// reference with its shape.
Tensor colour_normalised(const Tensor& images) {
    Tensor out = images.clone();
    const int64_t n = images.size(0), plane = images.size(2) * images.size(3);
    for (int64_t k = 0; k < n * 3; ++k) {
        float* v = out.data() + k * plane;
        double sum = 0.0, sum_sq = 0.0;
        for (int64_t i = 0; i < plane; ++i) sum += v[i], sum_sq += double(v[i]) * v[i];
        const double mu = sum / plane, sd = std::sqrt(std::max(sum_sq / plane - mu * mu, 1e-8));
        for (int64_t i = 0; i < plane; ++i) v[i] = static_cast<float>((v[i] - mu) / sd);
    }
    return out;
}

// The second judge: the mode of the nearest colour-normalised reference.
class ColourFreeJudge {
public:
    explicit ColourFreeJudge(const SyntheticDataset& dataset) {
        std::vector<Tensor> all;
        for (Mode m : all_modes()) {
            all.push_back(dataset.references(m));
            labels_.insert(labels_.end(), dataset.references(m).size(0), m);
        }
        references_ = colour_normalised(concat(all, 0));
    }
    std::vector<Mode> judge(const Tensor& images) const {
        Tensor normalised = colour_normalised(images);
        const int64_t n = images.size(0), numel = images.numel() / std::max<int64_t>(n, 1), refs = references_.size(0);
        std::vector<Mode> out(n);
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t i = 0; i < n; ++i) {
            const float* x = normalised.data() + i * numel;
            float best = INFINITY;
            for (int64_t r = 0; r < refs; ++r) {
                const float* y = references_.data() + r * numel;
                float distance = 0.0f;
#pragma omp simd reduction(+ : distance)
                for (int64_t k = 0; k < numel; ++k) distance += (x[k] - y[k]) * (x[k] - y[k]);
                if (distance < best) best = distance, out[i] = labels_[r];
            }
        }
        return out;
    }

private:
    Tensor references_;
    std::vector<Mode> labels_;
};

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

    // The evaluation classifier, trained once per image size and dataset seed, then cached.
    const std::string cache = !o.classifier_cache.empty()
        ? o.classifier_cache
        : (std::filesystem::path(o.model_path).parent_path() /
           fmt::format("mode_classifier_s{}_d{}.safetensors", dataset.image_size(), dataset.options().seed)).string();
    bool classifier_trained = false;
    std::optional<Progress> classifier_progress;
    auto classifier = load_or_train_mode_classifier(cache, dataset, o.classifier, classifier_trained,
                                                    [&](int64_t step, int64_t total, float loss) {
        if (o.quiet) return;
        if (!classifier_progress) classifier_progress.emplace("train evaluation classifier (once, then cached)", total);
        classifier_progress->update(step, fmt::format("loss {:.3f}", loss));
    });
    if (classifier_progress) classifier_progress->finish();
    const ClassifierValidation validation = validate_mode_classifier(*classifier, dataset);
    const ColourFreeJudge second_judge(dataset);

    nlohmann::json& m = result.metrics;
    m["checkpoint"] = o.model_path;
    m["model_kind"] = to_string(model.config.kind);
    m["trained_steps"] = checkpoint.state.step;
    m["sampler"] = describe(o.sampler, model.schedule);
    m["num_samples_per_z2"] = o.num_samples;
    m["seed"] = o.seed;
    m["near_mode_threshold"] = threshold;
    m["classifier"] = {{"cache", cache},
                       {"confidence", o.confidence},
                       {"held_out_real_accuracy", validation.real_accuracy},
                       {"held_out_negative_rejection", validation.negative_rejection}};

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

        // The evaluation classifier's view: only samples it recognises with confidence count.
        std::vector<Verdict> verdicts = classify(*classifier, samples.images);
        std::vector<Mode> second_opinion = second_judge.judge(samples.images);
        std::vector<Mode> recognised;
        nlohmann::json labels;
        for (int c = 0; c < kClassifierClasses; ++c) labels[class_name(c)] = 0;
        int64_t agreements = 0;
        for (size_t i = 0; i < verdicts.size(); ++i) {
            labels[class_name(verdicts[i].label)] = labels[class_name(verdicts[i].label)].get<int64_t>() + 1;
            if (!verdicts[i].recognisable(o.confidence)) continue;
            recognised.push_back(static_cast<Mode>(verdicts[i].label));
            agreements += second_opinion[i] == recognised.back();
        }
        nlohmann::json judged{{"labels", labels},
                              {"recognisable", static_cast<int64_t>(recognised.size())},
                              {"recognisable_share", double(recognised.size()) / double(o.num_samples)},
                              {"second_judge_agreement", recognised.empty() ? 0.0 : double(agreements) / double(recognised.size())}};
        if (!recognised.empty()) {
            Tensor recognised_z1 = anchors_of(recognised, dataset);
            int64_t found = 0;
            for (Mode mode : dataset.modes_of(z2)) found += std::count(recognised.begin(), recognised.end(), mode) > 0;
            judged["coverage"] = {{"num_modes_found", found}, {"total_possible_modes", dataset.modes_of(z2).size()}};
            judged["entropy_nats"] = compute_conditional_entropy(recognised_z1, z2, dataset);
            judged["kl_nats"] = compute_kl_divergence(recognised_z1, z2, dataset);
        }
        entry["classifier"] = judged;

        if (samples.z1.defined()) {
            std::vector<Mode> prior_modes = classify_by_nearest_anchor(samples.z1, dataset);
            entry["prior"] = {{"modes", histogram(prior_modes)},
                              {"entropy_nats", compute_conditional_entropy(samples.z1, z2, dataset)},
                              {"kl_nats", compute_kl_divergence(samples.z1, z2, dataset)}};
        }
        m["per_z2"][name] = entry;

        // Tile labels: the students' nearest-reference mode, then the classifier's verdict
        // ("-" when it does not recognise the sample with confidence).
        std::vector<std::string> tile_labels;
        for (size_t i = 0; i < modes.size(); ++i)
            tile_labels.push_back(to_string(modes[i]) + "/" +
                                  (verdicts[i].recognisable(o.confidence) ? class_name(verdicts[i].label) : "-"));
        write_png_grid((std::filesystem::path(result.output_dir) / fmt::format("samples_{}.png", name)).string(),
                       samples.images, 8, tile_labels, std::max<int>(1, 64 / dataset.image_size()));
    }
    write_file_atomic((std::filesystem::path(result.output_dir) / "metrics.json").string(), m.dump(2) + "\n");
    return result;
}

std::string format_metrics_table(const nlohmann::json& m) {
    std::string text = fmt::format("{} model ({} steps), {} samples per z2, {}\n", m["model_kind"].get<std::string>(),
                                   m["trained_steps"].get<int64_t>(), m["num_samples_per_z2"].get<int64_t>(),
                                   m["sampler"].get<std::string>());
    text += fmt::format("{:<8} | {:^31} | {:^38}", "", "students' metrics (nearest reference)",
                        "evaluation classifier (recognised only)");
    const bool has_prior = m["per_z2"]["animal"].contains("prior");
    if (has_prior) text += " | prior z1";
    text += "\n";
    text += fmt::format("{:<8} | {:>5} {:>7} {:>7} {:>9} | {:>6} {:>5} {:>7} {:>7} {:>9}", "z2", "cover", "H", "KL",
                        "near-mode", "recog", "cover", "H", "KL", "agree");
    if (has_prior) text += fmt::format(" | {:>6} {:>6}", "H", "KL");
    text += "\n";
    for (const char* z2 : {"animal", "vehicle"}) {
        const nlohmann::json& e = m["per_z2"][z2];
        const nlohmann::json& c = e["classifier"];
        text += fmt::format("{:<8} | {:>3}/{} {:>7.3f} {:>7.3f} {:>8.0f}% | {:>5.0f}%", z2,
                            e["coverage"]["num_modes_found"].get<int64_t>(), e["coverage"]["total_possible_modes"].get<int64_t>(),
                            e["entropy_nats"].get<double>(), e["kl_nats"].get<double>(),
                            100.0 * e["near_mode_share"].get<double>(), 100.0 * c["recognisable_share"].get<double>());
        if (c.contains("coverage"))
            text += fmt::format(" {:>3}/{} {:>7.3f} {:>7.3f} {:>8.0f}%", c["coverage"]["num_modes_found"].get<int64_t>(),
                                c["coverage"]["total_possible_modes"].get<int64_t>(), c["entropy_nats"].get<double>(),
                                c["kl_nats"].get<double>(), 100.0 * c["second_judge_agreement"].get<double>());
        else
            text += fmt::format(" {:>5} {:>7} {:>7} {:>9}", "-", "-", "-", "-");
        if (has_prior)
            text += fmt::format(" | {:>6.3f} {:>6.3f}", e["prior"]["entropy_nats"].get<double>(), e["prior"]["kl_nats"].get<double>());
        text += "\n";
    }
    for (const char* z2 : {"animal", "vehicle"}) {
        const nlohmann::json& e = m["per_z2"][z2];
        std::string modes, judged;
        for (const auto& [name, count] : e["image_modes"].items()) modes += fmt::format(" {} {}", name, count.get<int64_t>());
        for (const auto& [name, count] : e["classifier"]["labels"].items()) judged += fmt::format(" {} {}", name, count.get<int64_t>());
        text += fmt::format("{:<8} nearest reference:{} | classifier:{}\n", z2, modes, judged);
    }
    return text;
}

}  // namespace hd::cli
