// judge.cpp — see judge.h.
#include "experiment/judge.h"

#include "diffusion/dataset.h"
#include "diffusion/image_io.h"
#include "experiment/errors.h"
#include "experiment/evaluation.h"
#include "nn/files.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <sstream>

namespace hd {

namespace {

constexpr size_t kMaxLabelBytes = size_t{1} << 20; // a million characters: thousands of grids of tiles

}  // namespace

std::vector<int> read_labels(const std::string& path) {
    std::istringstream in([&] {
        try {
            return read_file_bounded(path, kMaxLabelBytes);
        } catch (const FileError&) {
            throw UsageError(fmt::format("cannot read labels file {}", path));
        }
    }());
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

Tensor read_grid_tiles(const std::string& path, int64_t count, int size) {
    const RgbImage grid = read_png(path);
    // The slots after the last of `count` tiles must be empty (the grid's background, the
    // colour of its corner): a grid of 8 tiles in 2 columns has the size 7 tiles would.
    auto slots_after_count_blank = [&](int c, int s) {
        const int rows = int((count + c - 1) / c);
        for (int64_t k = count; k < int64_t{c} * rows; ++k) {
            const int left = 2 + int(k % c) * (size * s + 2), top = 2 + int(k / c) * (size * s + 2);
            for (int y = 0; y < size * s; ++y)
                for (int x = 0; x < size * s; ++x) {
                    const Rgb8 p = grid.at(left + x, top + y), corner = grid.at(0, 0);
                    if (p.r != corner.r || p.g != corner.g || p.b != corner.b) return false;
                }
        }
        return true;
    };
    int columns = 0, scale = 0;
    bool too_many_tiles = false;
    for (int s = 1; s <= 16 && !columns; ++s)
        for (int c = 1; c <= count && !columns; ++c)
            if (2 + c * (size * s + 2) == grid.width && 2 + int((count + c - 1) / c) * (size * s + 2) == grid.height) {
                if (slots_after_count_blank(c, s)) columns = c, scale = s;
                else too_many_tiles = true;
            }
    if (!columns && too_many_tiles)
        throw UsageError(fmt::format("{} holds more than {} tiles, but its labels file has {} labels (valid: one label "
                                     "per tile, row by row)", path, count, count));
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

namespace {

// The hand labels of every grid, in order, and the grids' tiles; prints what the eye saw.
struct HandLabelled {
    std::vector<int> human;    // one label per tile over all grids
    std::vector<Tensor> grids; // (count, 3, S, S) each
};

HandLabelled read_hand_labels(const JudgeOptions& o) {
    HandLabelled in;
    for (size_t g = 0; g < o.grids.size(); ++g) {
        std::vector<int> labels = read_labels(o.labels[g]);
        if (labels.empty()) throw UsageError(fmt::format("{} holds no labels", o.labels[g]));
        in.grids.push_back(read_grid_tiles(o.grids[g], static_cast<int64_t>(labels.size()), o.image_size));
        int64_t seen = 0;
        for (int label : labels) seen += label != kNoneClass;
        fmt::print("{}: {} tiles, {} recognisable by eye ({:.0f} %)\n", o.grids[g], labels.size(), seen,
                   100.0 * seen / labels.size());
        in.human.insert(in.human.end(), labels.begin(), labels.end());
    }
    return in;
}

// The classifier's verdict on every tile of every grid, after loading (or training) it.
std::vector<Verdict> classifier_verdicts(const JudgeOptions& o, const std::vector<Tensor>& grids) {
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
    check_classifier_cache(cache);
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
    return machine;
}

int verdict_at(const Verdict& v, float threshold) { return v.recognisable(threshold) ? v.label : kNoneClass; }

void print_threshold_table(const JudgeOptions& o, const std::vector<int>& human, const std::vector<Verdict>& machine) {
    const auto n = static_cast<double>(human.size());
    int64_t seen = 0;
    for (int label : human) seen += label != kNoneClass;
    fmt::print("\n{} tiles, {:.1f} % recognisable by eye\n", human.size(), 100.0 * seen / n);
    fmt::print("threshold | classifier recognises | agrees with eye | false accept | false reject | wrong mode\n");
    for (float threshold : o.thresholds) {
        int64_t recognised = 0, agree = 0, false_accept = 0, false_reject = 0, wrong_mode = 0;
        for (size_t i = 0; i < human.size(); ++i) {
            const int verdict = verdict_at(machine[i], threshold);
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
}

// Per grid and where eye and classifier disagree, at one threshold.
void print_at_threshold(const JudgeOptions& o, const HandLabelled& in, const std::vector<Verdict>& machine, float shown) {
    fmt::print("\nat threshold {:.2f}:\n", shown);
    size_t first = 0;
    for (size_t g = 0; g < in.grids.size(); ++g) {
        const auto count = static_cast<size_t>(in.grids[g].size(0));
        int64_t by_eye = 0, by_classifier = 0, agree = 0;
        for (size_t i = first; i < first + count; ++i) {
            const int verdict = verdict_at(machine[i], shown);
            by_eye += in.human[i] != kNoneClass;
            by_classifier += verdict != kNoneClass;
            agree += verdict == in.human[i];
        }
        fmt::print("  {}: recognisable by eye {:.0f} %, by the classifier {:.0f} %, same verdict {:.0f} %\n",
                   o.grids[g], 100.0 * by_eye / count, 100.0 * by_classifier / count, 100.0 * agree / count);
        first += count;
    }
    std::array<std::array<int64_t, kClassifierClasses>, kClassifierClasses> confusion{};
    for (size_t i = 0; i < in.human.size(); ++i) ++confusion[in.human[i]][verdict_at(machine[i], shown)];
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

void run_judge(const JudgeOptions& o) {
    if (o.grids.empty() || o.grids.size() != o.labels.size())
        throw UsageError("give one --labels file for each --grid (as many of each, in the same order)");
    for (float t : o.thresholds)
        if (!(t > 0.0f && t <= 1.0f)) throw UsageError(fmt::format("--thresholds {} is impossible (valid: 0 < p <= 1)", t));
    if (o.thresholds.empty()) throw UsageError("--thresholds: give at least one (valid: 0 < p <= 1)");
    if (!(o.confidence > 0.0f && o.confidence <= 1.0f))
        throw UsageError(fmt::format("--confidence {} is impossible (valid: a probability, 0 < p <= 1)", o.confidence));
    if (o.classifier.steps < 1)
        throw UsageError(fmt::format("--classifier_steps {} is impossible (valid: 1 or more)", o.classifier.steps));
    if (o.image_size < 16 || o.image_size % 4 != 0 || o.image_size > ModelLimits::image_size)
        throw UsageError(fmt::format("--image_size {} is impossible (valid: a multiple of 4 from 16 to {}, e.g. 32 or 64)",
                                     o.image_size, ModelLimits::image_size));
    // Every input is read and checked before the classifier (maybe trained now) is loaded.
    const HandLabelled in = read_hand_labels(o);
    const std::vector<Verdict> machine = classifier_verdicts(o, in.grids);
    print_threshold_table(o, in.human, machine);
    // The threshold hd evaluate uses, or the nearest one given.
    float shown = o.thresholds.front();
    for (float t : o.thresholds)
        if (std::abs(t - o.confidence) < std::abs(shown - o.confidence)) shown = t;
    print_at_threshold(o, in, machine, shown);
}

}  // namespace hd
