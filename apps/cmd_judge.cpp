// cmd_judge.cpp — `hd judge --grid samples.png --labels samples.txt`: checks the evaluation
// classifier against a person's eyes.
//
// The classifier is trained on real images only, so its verdicts on *generated* samples
// need a check of their own. A person looks at an unlabelled grid of samples (`hd sample`
// writes one), writes down for each tile what they see — dog, cat, car, truck or none —
// one grid row per line, and this command compares the classifier with those labels at a
// range of confidence thresholds. docs/judge/ holds the grids and labels behind the
// figures in the README.
#include "apps/commands.h"
#include "apps/evaluate.h"
#include "diffusion/image_io.h"
#include "diffusion/mode_classifier.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <fstream>
#include <sstream>

namespace hd::cli {

namespace {

struct JudgeOptions {
    std::vector<std::string> grids, labels;
    std::string classifier_cache;
    int image_size = 32;
    uint64_t dataset_seed = 0;
    ClassifierOptions classifier;
    std::vector<float> thresholds{0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 0.95f};
    float confidence = EvaluateOptions{}.confidence; // the threshold of the per-grid figures and the confusion table
};

/// One label per tile, row by row: "dog", "cat", "car", "truck" or "none".
std::vector<int> read_labels(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError(fmt::format("cannot read labels file {}", path));
    std::vector<int> labels;
    std::string word;
    while (in >> word) {
        if (word == "none") {
            labels.push_back(kNoneClass);
            continue;
        }
        try {
            labels.push_back(static_cast<int>(parse_mode(word)));
        } catch (const std::invalid_argument&) {
            throw UsageError(fmt::format("{}: label '{}' is not one of dog, cat, car, truck, none", path, word));
        }
    }
    return labels;
}

/// Cuts a make_grid picture without tile labels (2-pixel gaps, tiles S·scale wide) back
/// into `count` images (count,3,S,S) in [-1, 1]; the scale follows from the width.
Tensor read_grid_tiles(const std::string& path, int64_t count, int size) {
    const RgbImage grid = read_png(path);
    int columns = 0, scale = 0;
    for (int s = 1; s <= 16 && !columns; ++s)
        for (int c = 1; c <= count && !columns; ++c)
            if (2 + c * (size * s + 2) == grid.width && 2 + int((count + c - 1) / c) * (size * s + 2) == grid.height)
                columns = c, scale = s;
    if (!columns)
        throw UsageError(fmt::format("{} ({}x{}) is not an unlabelled grid of {} tiles of {}x{} pixels "
                                     "(write one with hd sample)", path, grid.width, grid.height, count, size, size));
    Tensor images = Tensor::empty({count, 3, size, size});
    const int64_t plane = int64_t{size} * size;
    for (int64_t k = 0; k < count; ++k) {
        const int left = 2 + int(k % columns) * (size * scale + 2), top = 2 + int(k / columns) * (size * scale + 2);
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                // The tile is nearest-neighbour enlarged: any pixel of the block is the sample's pixel.
                const Rgb8 p = grid.at(left + x * scale, top + y * scale);
                const std::array<uint8_t, 3> rgb{p.r, p.g, p.b};
                for (int c = 0; c < 3; ++c) images.data()[(k * 3 + c) * plane + y * size + x] = rgb[c] / 127.5f - 1.0f;
            }
    }
    return images;
}

void run_judge(const JudgeOptions& o) {
    if (o.grids.empty() || o.grids.size() != o.labels.size())
        throw UsageError("give one --labels file for each --grid (as many of each, in the same order)");
    // Every input is read and checked before the classifier (maybe trained now) is loaded.
    std::vector<int> human;
    std::vector<Tensor> grids;
    for (size_t g = 0; g < o.grids.size(); ++g) {
        std::vector<int> labels = read_labels(o.labels[g]);
        if (labels.empty()) throw UsageError(fmt::format("{} holds no labels", o.labels[g]));
        grids.push_back(read_grid_tiles(o.grids[g], static_cast<int64_t>(labels.size()), o.image_size));
        int64_t seen = 0;
        for (int label : labels) seen += label != kNoneClass;
        fmt::print("{}: {} tiles, {} recognisable by eye ({:.0f} %)\n", o.grids[g], labels.size(), seen,
                   100.0 * seen / labels.size());
        human.insert(human.end(), labels.begin(), labels.end());
    }

    const SyntheticDataset dataset = [&] {
        try {
            return SyntheticDataset(DatasetOptions{.image_size = o.image_size, .seed = o.dataset_seed});
        } catch (const std::invalid_argument& e) {
            throw UsageError(e.what());
        }
    }();
    const std::string cache = o.classifier_cache.empty()
        ? fmt::format("checkpoints/mode_classifier_s{}_d{}.safetensors", o.image_size, o.dataset_seed)
        : o.classifier_cache;
    bool trained = false;
    auto classifier = load_or_train_mode_classifier(cache, dataset, o.classifier, trained);
    const ClassifierValidation validation = validate_mode_classifier(*classifier, dataset);
    fmt::print("classifier: {} ({}); held-out real images {:.1f} % right, held-out negatives {:.1f} % called none\n",
               cache, trained ? "trained now" : "cached", 100.0 * validation.real_accuracy,
               100.0 * validation.negative_rejection);
    std::vector<Verdict> machine;
    for (const Tensor& tiles : grids) {
        std::vector<Verdict> verdicts = classify(*classifier, tiles);
        machine.insert(machine.end(), verdicts.begin(), verdicts.end());
    }

    const auto n = static_cast<double>(human.size());
    int64_t seen = 0;
    for (int label : human) seen += label != kNoneClass;
    fmt::print("\n{} tiles, {:.1f} % recognisable by eye\n", human.size(), 100.0 * seen / n);
    fmt::print("threshold | classifier recognises | agrees with eye | false accept | false reject | wrong mode\n");
    for (float threshold : o.thresholds) {
        int64_t recognised = 0, agree = 0, false_accept = 0, false_reject = 0, wrong_mode = 0;
        for (size_t i = 0; i < human.size(); ++i) {
            const int verdict = machine[i].recognisable(threshold) ? machine[i].label : kNoneClass;
            recognised += verdict != kNoneClass;
            agree += verdict == human[i];
            false_accept += verdict != kNoneClass && human[i] == kNoneClass;
            false_reject += verdict == kNoneClass && human[i] != kNoneClass;
            wrong_mode += verdict != kNoneClass && human[i] != kNoneClass && verdict != human[i];
        }
        fmt::print("{:>9.2f} | {:>20.1f}% | {:>14.1f}% | {:>11.1f}% | {:>11.1f}% | {:>9.1f}%\n", threshold,
                   100.0 * recognised / n, 100.0 * agree / n, 100.0 * false_accept / n, 100.0 * false_reject / n,
                   100.0 * wrong_mode / n);
    }
    // Per grid and where eye and classifier disagree, at the threshold hd evaluate uses
    // (or the nearest one given).
    float shown = o.thresholds.front();
    for (float t : o.thresholds)
        if (std::abs(t - o.confidence) < std::abs(shown - o.confidence)) shown = t;
    fmt::print("\nat threshold {:.2f}:\n", shown);
    size_t first = 0;
    for (size_t g = 0; g < grids.size(); ++g) {
        const auto count = static_cast<size_t>(grids[g].size(0));
        int64_t by_eye = 0, by_classifier = 0, agree = 0;
        for (size_t i = first; i < first + count; ++i) {
            const int verdict = machine[i].recognisable(shown) ? machine[i].label : kNoneClass;
            by_eye += human[i] != kNoneClass;
            by_classifier += verdict != kNoneClass;
            agree += verdict == human[i];
        }
        fmt::print("  {}: recognisable by eye {:.0f} %, by the classifier {:.0f} %, same verdict {:.0f} %\n",
                   o.grids[g], 100.0 * by_eye / count, 100.0 * by_classifier / count, 100.0 * agree / count);
        first += count;
    }
    std::array<std::array<int64_t, kClassifierClasses>, kClassifierClasses> confusion{};
    for (size_t i = 0; i < human.size(); ++i)
        ++confusion[human[i]][machine[i].recognisable(shown) ? machine[i].label : kNoneClass];
    fmt::print("rows = eye, columns = classifier\n{:>6}", "");
    for (int c = 0; c < kClassifierClasses; ++c) fmt::print(" {:>6}", class_name(c));
    fmt::print("\n");
    for (int r = 0; r < kClassifierClasses; ++r) {
        fmt::print("{:>6}", class_name(r));
        for (int c = 0; c < kClassifierClasses; ++c) fmt::print(" {:>6}", confusion[r][c]);
        fmt::print("\n");
    }
}

}  // namespace

void add_judge_command(CLI::App& app) {
    auto* command = app.add_subcommand("judge", "compare the evaluation classifier with hand labels of sample grids");
    auto o = std::make_shared<JudgeOptions>();
    command->add_option("--grid", o->grids, "unlabelled sample grid PNG (from hd sample); repeat for more")->required();
    command->add_option("--labels", o->labels,
                        "text file: one of dog cat car truck none per tile, row by row; one per --grid")->required();
    command->add_option("--classifier_cache,--classifier-cache", o->classifier_cache,
                        "evaluation classifier file (default checkpoints/mode_classifier_s<S>_d<seed>.safetensors)");
    command->add_option("--image_size,--image-size", o->image_size, "size S of the samples in the grid")
        ->capture_default_str();
    command->add_option("--dataset_seed,--dataset-seed", o->dataset_seed, "seed of the synthetic dataset")
        ->capture_default_str();
    command->add_option("--classifier_steps,--classifier-steps", o->classifier.steps,
                        "training steps of the evaluation classifier (when it is not cached yet)")->capture_default_str();
    command->add_option("--thresholds", o->thresholds, "confidence thresholds to compare")->capture_default_str();
    command->add_option("--confidence", o->confidence, "threshold of the per-grid figures and the confusion table")
        ->capture_default_str();
    command->callback([o] { run_judge(*o); });
}

}  // namespace hd::cli
