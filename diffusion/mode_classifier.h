// mode_classifier.h — the evaluation classifier: a small CNN, trained with hdiff itself,
// that names the mode of an image (dog, cat, car, truck) or answers "none".
//
// Why it exists: the students' metrics assign every sample its nearest reference image,
// so pure noise still gets "a mode" and colour drift pushes good samples far from every
// reference (SPEC: what the pilot run showed). This classifier is trained to be robust to
// colour shifts (colour augmentation) and to reject what is not an object (negatives:
// backgrounds without an object, smooth noise, see-through hybrids of two modes, and
// images whose blocks were shuffled). `hd evaluate` reports its verdicts beside the
// students' metrics; it never replaces them.
//
// What it does not do: judge image quality beyond "is one recognisable object there".
#pragma once

#include "autograd/generator.h"
#include "diffusion/dataset.h"
#include "nn/layers.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hd {

inline constexpr int kNoneClass = kNumModes; // class 4: no recognisable object
inline constexpr int kClassifierClasses = kNumModes + 1;

/// "dog", "cat", "car", "truck" for a Mode index, "none" for kNoneClass.
std::string class_name(int label);

/// conv 3×3 (3→C) → [GN → SiLU → conv 3×3 stride 2] ×3 (C→2C→4C→4C) → GN → SiLU
/// → mean over H×W → Linear(4C → 5).  images (N,3,S,S) -> logits (N,5)
class ModeClassifier : public Module {
public:
    ModeClassifier(int64_t image_size, int64_t channels, Generator& gen);
    Tensor forward(const Tensor& images);

    int64_t image_size, channels;
    std::shared_ptr<Conv2d> conv_in, down1, down2, down3;
    std::shared_ptr<GroupNorm> norm1, norm2, norm3, norm_out;
    std::shared_ptr<Linear> head;
};

struct ClassifierOptions {
    int64_t channels = 16;
    int64_t steps = 3000; // the blur/speckle augmentation makes the task harder and slower to learn (docs/lab_notes.md)
    int64_t batch_size = 64;
    float learning_rate = 2e-3f;
    float negative_share = 0.25f; // of each batch: "none" examples
    uint64_t seed = 0;
};

/// One verdict: the most likely class and its probability.
struct Verdict {
    int label = kNoneClass; // a Mode index, or kNoneClass
    float probability = 0.0f;
    /// A mode (not "none") with probability >= threshold.
    bool recognisable(float threshold) const { return label != kNoneClass && probability >= threshold; }
};

/// Classifies a (N,3,S,S) batch (no autograd; batches of 256).
std::vector<Verdict> classify(ModeClassifier& classifier, const Tensor& images);

/// How the classifier did on held-out data it never trained on.
struct ClassifierValidation {
    double real_accuracy = 0.0;      // real images given their own mode
    double negative_rejection = 0.0; // negatives called "none"
    int64_t real_count = 0, negative_count = 0;
};

/// Trains from scratch on `dataset` (fresh images each step, augmented); reports progress
/// as (step, total, loss). Returns its held-out validation.
ClassifierValidation train_mode_classifier(ModeClassifier& classifier, const SyntheticDataset& dataset,
                                           const ClassifierOptions& options,
                                           const std::function<void(int64_t, int64_t, float)>& progress = {});

/// Validation on held-out real images and negatives (index ranges training never draws).
ClassifierValidation validate_mode_classifier(ModeClassifier& classifier, const SyntheticDataset& dataset,
                                              int64_t per_mode = 64);

/// `count` negatives for the "none" class, (count,3,S,S), cycling through the four kinds.
Tensor make_negatives(const SyntheticDataset& dataset, int64_t count, Generator& gen);
/// Random per-image colour changes in place: channel gains and offsets, saturation, noise.
void augment_colours(Tensor& images, Generator& gen);
/// Random per-image blur and pixel noise in place, the two artifacts generated samples
/// show most (the classifier is trained on clean renders and must not call a slightly
/// soft or speckled car "none").
void augment_sampling_artifacts(Tensor& images, Generator& gen);

/// The classifier cached at `path` if it matches (image size, dataset seed, options);
/// otherwise trains one and saves it there. `trained` tells which happened.
std::unique_ptr<ModeClassifier> load_or_train_mode_classifier(const std::string& path, const SyntheticDataset& dataset,
                                                              const ClassifierOptions& options, bool& trained,
                                                              const std::function<void(int64_t, int64_t, float)>& progress = {});

}  // namespace hd
