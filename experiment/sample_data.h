// sample_data.h — generated samples as data: the safetensors file that `hd sample`,
// `hd evaluate` and `hd interpolate` write beside their PNGs, so that samples can be
// analysed in Python (the handout shows a standard-library reader) or in C++.
//
// The file (format "hdiff-samples-1"), N samples of size S:
//   images                  (N, 3, S, S)  the samples, values in [-1, 1]
//   z1                      (N, 2)        model B only: the z1 each image was decoded from
//                                         (the prior's samples, or the z1 the user chose)
//   nearest_mode            (N)           the nearest-reference mode, 0 dog 1 cat 2 car 3 truck
//   classifier_label        (N)           evaluate/interpolate only: the evaluation
//                                         classifier's verdict, 0–3 as above or 4 = none
//   classifier_probability  (N)           its probability
// Labels are stored as F32 holding whole numbers (safetensors files from hdiff are F32
// only). Metadata: format, modes ("dog,cat,car,truck": label i is the i-th name),
// classes (the same and "none"), model_kind, z1_source (prior | chosen | interpolation;
// model B), z2 (when sampled for a z2), sampler, seed, checkpoint, count, image_size,
// and, with classifier labels, confidence (the probability at which a verdict counts as
// recognised).
//
// What it does not do: hold several z2 in one file (evaluate writes one file per z2).
#pragma once

#include "diffusion/dataset.h"
#include "diffusion/mode_classifier.h"

#include <map>
#include <string>
#include <vector>

namespace hd {

inline constexpr const char* kSampleDataFormat = "hdiff-samples-1";

struct SampleData {
    Tensor images;                               // (N, 3, S, S)
    Tensor z1;                                   // (N, 2) or undefined (model A)
    std::vector<Mode> nearest_mode;              // N
    std::vector<Verdict> verdicts;               // N, or empty (no classifier)
    std::map<std::string, std::string> metadata; // model_kind, z2, sampler, seed, checkpoint, …
};

/// Checks the shapes and label counts agree and writes `data` to `path` through
/// save_safetensors (atomically); format, modes, classes, count and image_size are added
/// to the metadata. Throws std::invalid_argument on inconsistent data.
void write_sample_data(const std::string& path, const SampleData& data);

/// Reads and checks a file write_sample_data wrote (format, shapes, labels in range);
/// CheckpointError naming the file and the problem otherwise.
SampleData read_sample_data(const std::string& path);

/// Where the data of a picture go: `png_path` with its extension replaced by
/// ".safetensors" (samples/model_b_animal.png -> samples/model_b_animal.safetensors).
std::string sample_data_path(const std::string& png_path);

}  // namespace hd
