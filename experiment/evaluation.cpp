// evaluation.cpp — see evaluation.h.
#include "experiment/evaluation.h"

#include "autograd/ops.h"
#include "diffusion/image_io.h"
#include "experiment/errors.h"
#include "experiment/progress.h"
#include "experiment/sample_data.h"
#include "nn/files.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

namespace hd {

namespace {

namespace fs = std::filesystem;

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

// Each image stands for the anchor of its assigned mode: the z1 it "shows".
Tensor anchors_of(const std::vector<Mode>& modes, const SyntheticDataset& dataset) {
    Tensor z1 = Tensor::empty({static_cast<int64_t>(modes.size()), kAnchorDim});
    const Tensor anchors = dataset.anchors();
    for (size_t i = 0; i < modes.size(); ++i)
        for (int d = 0; d < kAnchorDim; ++d) z1.data()[i * kAnchorDim + d] = anchors.data()[static_cast<int>(modes[i]) * kAnchorDim + d];
    return z1;
}

ModeCounts histogram(const std::vector<Mode>& modes) {
    ModeCounts counts{};
    for (Mode m : modes) ++counts[static_cast<int>(m)];
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

// The second judge: the dataset's nearest-reference search, on colour-normalised images
// against colour-normalised references.
class ColourFreeJudge {
public:
    explicit ColourFreeJudge(const SyntheticDataset& dataset) {
        for (Mode m : all_modes()) references_[static_cast<int>(m)] = colour_normalised(dataset.references(m));
    }
    std::vector<Mode> judge(const Tensor& images) const {
        std::vector<Mode> modes;
        for (const ReferenceMatch& match : match_nearest_references(colour_normalised(images), references_))
            modes.push_back(match.mode);
        return modes;
    }

private:
    ReferenceSet references_;
};

// What every z2's measurement needs besides the samples.
struct Judges {
    const SyntheticDataset& dataset;
    ModeClassifier& classifier;
    const ColourFreeJudge& second_judge;
    float confidence;
    float near_mode_threshold;
};

ClassifierFigures classifier_figures(const std::vector<Verdict>& verdicts, const Tensor& images,
                                     const std::vector<Mode>& nearest_modes, Category z2, const Judges& j) {
    ClassifierFigures f;
    const std::vector<Mode> second_opinion = j.second_judge.judge(images);
    std::vector<Mode> recognised;
    int64_t agreements = 0, students_agreements = 0;
    for (size_t i = 0; i < verdicts.size(); ++i) {
        ++f.labels[verdicts[i].label];
        if (!verdicts[i].recognisable(j.confidence)) continue;
        recognised.push_back(static_cast<Mode>(verdicts[i].label));
        agreements += second_opinion[i] == recognised.back();
        students_agreements += nearest_modes[i] == recognised.back();
    }
    f.recognised_modes = histogram(recognised);
    f.recognisable = static_cast<int64_t>(recognised.size());
    f.recognisable_share = double(recognised.size()) / double(verdicts.size());
    f.second_judge_agreement = recognised.empty() ? 0.0 : double(agreements) / double(recognised.size());
    f.students_agreement = recognised.empty() ? 0.0 : double(students_agreements) / double(recognised.size());
    if (!recognised.empty()) {
        const Tensor z1 = anchors_of(recognised, j.dataset);
        f.recognised = ClassifierFigures::Recognised{
            .num_modes_found = count_modes_found(recognised, z2, j.dataset),
            .total_possible_modes = static_cast<int64_t>(j.dataset.modes_of(z2).size()),
            .entropy_nats = compute_conditional_entropy(z1, z2, j.dataset),
            .kl_nats = compute_kl_divergence(z1, z2, j.dataset)};
    }
    return f;
}

// Measures one z2's samples and writes their labelled grid and, beside it, the samples
// with their labels as data (sample_data.h); `metadata` says where they came from.
Z2Figures measure(const Generated& samples, Category z2, const Judges& j, const std::string& grid_path,
                  std::map<std::string, std::string> metadata) {
    Z2Figures f;
    std::vector<Mode> modes;
    int64_t near = 0;
    for (const ReferenceMatch& match : match_nearest_references(samples.images, j.dataset)) {
        modes.push_back(match.mode);
        near += match.distance <= j.near_mode_threshold ? 1 : 0;
    }
    f.image_modes = histogram(modes);
    f.coverage = compute_mode_coverage(samples.images, z2, j.dataset);
    const Tensor shown_z1 = anchors_of(modes, j.dataset);
    f.entropy_nats = compute_conditional_entropy(shown_z1, z2, j.dataset);
    f.kl_nats = compute_kl_divergence(shown_z1, z2, j.dataset);
    f.near_mode_share = double(near) / double(modes.size());

    const std::vector<Verdict> verdicts = classify(j.classifier, samples.images);
    f.classifier = classifier_figures(verdicts, samples.images, modes, z2, j);
    if (samples.z1.defined())
        f.prior = PriorFigures{.modes = histogram(classify_by_nearest_anchor(samples.z1, j.dataset)),
                               .entropy_nats = compute_conditional_entropy(samples.z1, z2, j.dataset),
                               .kl_nats = compute_kl_divergence(samples.z1, z2, j.dataset)};

    // Tile labels: the students' nearest-reference mode, then the classifier's verdict
    // ("-" when it does not recognise the sample with confidence).
    std::vector<std::string> tile_labels;
    for (size_t i = 0; i < modes.size(); ++i)
        tile_labels.push_back(to_string(modes[i]) + "/" +
                              (verdicts[i].recognisable(j.confidence) ? class_name(verdicts[i].label) : "-"));
    write_png_grid(grid_path, samples.images, 8, tile_labels, std::max<int>(1, 64 / j.dataset.image_size()));

    metadata["z2"] = to_string(z2);
    metadata["confidence"] = fmt::format("{}", j.confidence);
    if (samples.z1.defined()) metadata["z1_source"] = "prior";
    write_sample_data(sample_data_path(grid_path),
                      {.images = samples.images, .z1 = samples.z1, .nearest_mode = modes, .verdicts = verdicts,
                       .metadata = std::move(metadata)});
    return f;
}

}  // namespace

void EvaluateOptions::validate() const {
    if (num_samples < 1 || num_samples > 100000)
        throw UsageError(fmt::format("--num_samples {} is impossible (valid: 1 … 100000)", num_samples));
    if (!(confidence > 0.0f && confidence <= 1.0f))
        throw UsageError(fmt::format("--confidence {} is impossible (valid: a probability, 0 < p <= 1)", confidence));
    if (classifier.steps < 1)
        throw UsageError(fmt::format("--classifier_steps {} is impossible (valid: 1 or more)", classifier.steps));
    validate_sampler(sampler);
    validate_guidance_weight("--prior_guidance", prior_guidance);
}

int64_t count_modes_found(const std::vector<Mode>& modes, Category z2, const SyntheticDataset& dataset) {
    int64_t found = 0;
    for (Mode mode : dataset.modes_of(z2)) found += std::count(modes.begin(), modes.end(), mode) > 0;
    return found;
}

std::string default_classifier_cache(const std::string& model_path, const SyntheticDataset& dataset) {
    return (fs::path(model_path).parent_path() /
            fmt::format("mode_classifier_s{}_d{}.safetensors", dataset.image_size(), dataset.options().seed))
        .string();
}

std::unique_ptr<ModeClassifier> load_evaluation_classifier(const std::string& cache, const SyntheticDataset& dataset,
                                                           const ClassifierOptions& options, bool quiet) {
    // It learns from balanced data (p_data 0.5/0.5) whatever the model's p_data: trained on
    // the model's own shares it would carry them as a prior into its verdicts, the very
    // figures it measures — and the cache, keyed by size and seed, would hold whichever
    // p_data trained it first.
    DatasetOptions balanced = dataset.options();
    balanced.p_dog_given_animal = balanced.p_car_given_vehicle = 0.5;
    std::optional<SyntheticDataset> balanced_dataset;
    if (balanced.p_dog_given_animal != dataset.options().p_dog_given_animal ||
        balanced.p_car_given_vehicle != dataset.options().p_car_given_vehicle)
        balanced_dataset.emplace(balanced);
    bool trained = false, announced = false;
    std::optional<Progress> progress;
    auto classifier = load_or_train_mode_classifier(cache, balanced_dataset ? *balanced_dataset : dataset, options, trained,
                                                    [&](int64_t step, int64_t total, float loss) {
        // The first report comes after the first of the training steps: say why the
        // wait is long, even when quiet, since it happens only once.
        if (!announced) {
            fmt::print(stderr,
                       "training the evaluation classifier: it is trained once per image size and dataset seed and "
                       "cached at {}; the first time takes a few minutes\n", cache);
            std::fflush(stderr);
            announced = true;
        }
        if (quiet) return;
        if (!progress) progress.emplace("train evaluation classifier (once, then cached)", total);
        progress->update(step, fmt::format("loss {:.3f}", loss));
    });
    if (progress) progress->finish();
    return classifier;
}

void check_classifier_cache(const std::string& path) {
    std::error_code error;
    if (!fs::exists(path, error)) return;
    std::string format;
    try {
        format = load_safetensors(path).metadata.at("format");
    } catch (const std::exception&) {
        // not a safetensors file, or one without a format: not ours to overwrite
    }
    if (format.rfind("hdiff-mode-classifier-", 0) != 0)
        throw UsageError(fmt::format("--classifier_cache {} exists and is not a mode-classifier file (it would be "
                                     "overwritten); pass a new path or remove it", path));
}

Evaluation evaluate_model(const EvaluateOptions& o) {
    o.validate();
    require_checkpoint(o.model_path);
    LoadedCheckpoint checkpoint = load_checkpoint(o.model_path);
    use_ema_weights(checkpoint);
    DiffusionModel& model = *checkpoint.model;
    check_guidance(model.config, o.sampler.guidance, o.prior_guidance);
    // The checkpoint's data, p_data included: the students' KL (Parts 4–5) and the
    // classifier's are measured against the distribution the model was trained on.
    SyntheticDataset dataset(model.config.dataset_options());
    const std::string cache = !o.classifier_cache.empty() ? o.classifier_cache : default_classifier_cache(o.model_path, dataset);
    check_classifier_cache(cache);

    Evaluation e;
    e.checkpoint = o.model_path, e.model_kind = model.config.kind, e.trained_steps = checkpoint.state.step;
    e.trained_seconds = checkpoint.state.seconds, e.image_size = model.config.image_size;
    e.sampler = describe_sampling(o.sampler, o.prior_guidance, model.schedule);
    e.guidance = o.sampler.guidance, e.prior_guidance = o.prior_guidance;
    e.condition_dropout = model.config.condition_dropout, e.prior_condition_dropout = model.config.prior_condition_dropout;
    for (Mode m : all_modes()) e.p_data[static_cast<int>(m)] = dataset.p_data(m, category_of(m));
    e.num_samples_per_z2 = o.num_samples, e.seed = o.seed;
    e.output_dir = o.output_dir.empty() ? (fs::path("evaluation") / fs::path(o.model_path).stem()).string() : o.output_dir;
    make_directory(e.output_dir);
    for (const char* name : {"metrics.json", "samples_animal.png", "samples_vehicle.png"}) // before any work
        check_writable_path((fs::path(e.output_dir) / name).string());
    check_parts_implemented(dataset); // after every check of the input, so bad input is named in any build
    e.near_mode_threshold = near_mode_threshold(dataset);
    auto classifier = load_evaluation_classifier(cache, dataset, o.classifier, o.quiet);
    const ClassifierValidation validation = validate_mode_classifier(*classifier, dataset);
    e.classifier = {cache, o.confidence, validation.real_accuracy, validation.negative_rejection};
    const ColourFreeJudge second_judge(dataset);
    const Judges judges{dataset, *classifier, second_judge, o.confidence, e.near_mode_threshold};

    Generator gen(o.seed);
    for (Category z2 : {Category::animal, Category::vehicle}) {
        SamplingProgress progress(fmt::format("sample {} {}", to_string(model.config.kind), to_string(z2)), o.quiet);
        const Generated samples =
            generate(model, z2, o.num_samples, o.sampler, gen, progress.callback(), nullptr, o.prior_guidance);
        progress.finish();
        e.per_z2[static_cast<int>(z2)] =
            measure(samples, z2, judges, (fs::path(e.output_dir) / fmt::format("samples_{}.png", to_string(z2))).string(),
                    {{"model_kind", to_string(model.config.kind)}, {"sampler", e.sampler},
                     {"seed", std::to_string(o.seed)}, {"checkpoint", o.model_path}});
    }
    write_file_atomic((fs::path(e.output_dir) / "metrics.json").string(), to_json(e).dump(2) + "\n");
    return e;
}

}  // namespace hd
