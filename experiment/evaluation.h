// evaluation.h — measuring a trained model: `hd evaluate` and the demo's evaluation.
//
// For each z2 the model draws N samples. Then:
//   * the students' metrics exactly as the handout defines them: mode coverage on the
//     images (Part 3, nearest reference over all four modes), and entropy and KL
//     (Parts 4–5) of the modes the images were assigned — each image stands for the
//     anchor of its nearest-reference mode;
//   * for model B also entropy and KL of the prior's own z1 samples (nearest anchor);
//   * the mode histogram, and the share of samples that lie as close to some reference
//     image as real images do ("near a mode") — pixel nearest-reference assigns every
//     sample a mode, even pure noise, so coverage alone can mislead;
//   * the evaluation classifier's verdicts (diffusion/mode_classifier.h): the share of
//     samples it recognises with confidence, and coverage, entropy and KL computed on
//     those samples only; and, to validate it on generated samples, how often it agrees
//     with a second, independent judge — nearest reference on colour-normalised images.
#pragma once

#include "diffusion/mode_classifier.h"
#include "diffusion/sampler.h"
#include "experiment/sampling.h"
#include "homework/provided/metrics.h"

#include <nlohmann/json.hpp>

#include <array>
#include <optional>
#include <string>

namespace hd {

struct EvaluateOptions {
    std::string model_path;
    int64_t num_samples = 64;    // per z2
    uint64_t seed = 1;
    SamplerOptions sampler = default_sampling(); // its guidance: A's denoiser or B's decoder
    float prior_guidance = 1.0f; // model B's prior (sampling.h, check_guidance)
    std::string output_dir;      // default evaluation/<checkpoint stem>
    // The classifier "recognises" a sample at this probability or more: the threshold at
    // which it recognises as many hand-labelled generated samples as a person does
    // (docs/judge/).
    float confidence = 0.8f;
    ClassifierOptions classifier; // how the evaluation classifier is trained (if not cached)
    std::string classifier_cache; // default <checkpoint folder>/mode_classifier_s<S>_d<dataset seed>.safetensors
    bool quiet = false;

    /// UsageError for impossible values, before any work.
    void validate() const;
};

using ModeCounts = std::array<int64_t, kNumModes>; // indexed by Mode

/// The evaluation classifier's view of one z2's samples.
struct ClassifierFigures {
    std::array<int64_t, kClassifierClasses> labels{}; // every verdict's label, whatever its confidence
    ModeCounts recognised_modes{};                    // the verdicts at or above the confidence threshold
    int64_t recognisable = 0;                         // their number: the sum of recognised_modes
    double recognisable_share = 0.0;
    double second_judge_agreement = 0.0;              // of the recognised samples; 0 when none
    // Of the recognised samples, the share whose nearest-reference mode (the students'
    // Part 3 rule) is the classifier's: whether the students' metric can be trusted.
    double students_agreement = 0.0;
    // Coverage, entropy and KL of the recognised samples only (when there are any).
    struct Recognised {
        int64_t num_modes_found = 0, total_possible_modes = 0;
        double entropy_nats = 0.0, kl_nats = 0.0;
    };
    std::optional<Recognised> recognised;
};

/// Model B's prior: where its own z1 samples land (nearest anchor).
struct PriorFigures {
    ModeCounts modes{};
    double entropy_nats = 0.0, kl_nats = 0.0;
};

/// Everything measured for one z2.
struct Z2Figures {
    ModeCounts image_modes{}; // nearest-reference mode of each sample
    ModeCoverage coverage;    // Part 3
    double entropy_nats = 0.0, kl_nats = 0.0; // Parts 4–5 on the images' modes
    double near_mode_share = 0.0;
    ClassifierFigures classifier;
    std::optional<PriorFigures> prior; // model B only
};

struct Evaluation {
    std::string checkpoint;
    ModelKind model_kind = ModelKind::flat;
    int64_t trained_steps = 0;
    double trained_seconds = 0.0; // the checkpoint's training wall-clock time (0: not recorded)
    int64_t image_size = 0;
    std::string sampler; // describe_sampling() of the sampler
    float guidance = 1.0f, prior_guidance = 1.0f;             // sampled with: A's denoiser / B's decoder; B's prior
    float condition_dropout = 0.0f, prior_condition_dropout = 0.0f; // trained with (the checkpoint's)
    // p_data(mode | its z2) of the checkpoint's data, indexed by Mode: what every KL here
    // is measured against.
    std::array<double, kNumModes> p_data{0.5, 0.5, 0.5, 0.5};
    int64_t num_samples_per_z2 = 0;
    uint64_t seed = 0;
    float near_mode_threshold = 0.0f;
    struct Classifier {
        std::string cache;
        float confidence = 0.0f;
        double held_out_real_accuracy = 0.0, held_out_negative_rejection = 0.0;
    } classifier;
    std::array<Z2Figures, kNumCategories> per_z2; // indexed by Category
    std::string output_dir; // where metrics.json and the grids were written (not in the JSON)
};

/// Samples, measures, writes metrics.json (to_json) and labelled sample grids; prints
/// only progress lines (unless quiet).
Evaluation evaluate_model(const EvaluateOptions& options);

/// The metrics.json of an Evaluation (the keys `hd summarize` and the scripts read).
nlohmann::json to_json(const Evaluation& evaluation);

/// The printed table.
std::string format_metrics_table(const Evaluation& evaluation);

/// The distinct modes of z2 among `modes` (Part 3's count, for modes already assigned).
int64_t count_modes_found(const std::vector<Mode>& modes, Category z2, const SyntheticDataset& dataset);

/// Where hd evaluate and hd interpolate cache the evaluation classifier unless told:
/// <checkpoint folder>/mode_classifier_s<S>_d<dataset seed>.safetensors.
std::string default_classifier_cache(const std::string& model_path, const SyntheticDataset& dataset);

/// The evaluation classifier cached at `cache`, or trained and cached there. Training
/// first prints (on stderr) one line saying why it takes a while — once per image size
/// and dataset seed, cached at `cache` — and then, unless `quiet`, a progress line.
std::unique_ptr<ModeClassifier> load_evaluation_classifier(const std::string& cache, const SyntheticDataset& dataset,
                                                           const ClassifierOptions& options, bool quiet);

/// `path` may take the evaluation classifier: it does not exist, or already holds a mode
/// classifier. Anything else (a trained model, a folder) is refused with a UsageError.
void check_classifier_cache(const std::string& path);

}  // namespace hd
