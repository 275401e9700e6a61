// judge.h — checking the evaluation classifier against a person's eyes (`hd judge`).
//
// The classifier is trained on real images only, so its verdicts on *generated* samples
// need a check of their own. A person looks at an unlabelled grid of samples (`hd sample`
// writes one), writes down for each tile what they see — dog, cat, car, truck or none —
// one grid row per line, and run_judge compares the classifier with those labels at a
// range of confidence thresholds. docs/judge/ holds the grids and labels behind the
// README's figures.
#pragma once

#include "autograd/tensor.h"
#include "diffusion/mode_classifier.h"

#include <string>
#include <vector>

namespace hd {

struct JudgeOptions {
    std::vector<std::string> grids, labels; // one labels file per grid, in the same order
    std::string classifier_cache;           // default checkpoints/mode_classifier_s<S>_d<seed>.safetensors
    int image_size = 32;
    uint64_t dataset_seed = 0;
    ClassifierOptions classifier;
    std::vector<float> thresholds{0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 0.95f};
    float confidence = 0.8f; // the threshold of the per-grid figures and the confusion table (hd evaluate's)
};

/// Reads and checks every input, loads (or trains and caches) the classifier, and prints
/// the comparison to stdout.
void run_judge(const JudgeOptions& options);

/// One label per tile, row by row: kNoneClass for "none", else the Mode's index; a
/// UsageError names the file and any word that is not a label.
std::vector<int> read_labels(const std::string& path);

/// Cuts a make_grid picture without tile labels (2-pixel gaps, tiles S·scale wide) back
/// into `count` images (count,3,S,S) in [-1, 1]; the scale follows from the width.
Tensor read_grid_tiles(const std::string& path, int64_t count, int size);

}  // namespace hd
