// interpolation.h — model B's decoder on a z1 the user chooses: `hd sample --z1 x,y`
// decodes one point, `hd interpolate` walks the unit circle from one mode's anchor to
// another's and decodes every point from the same noise, so that only z1 changes from
// tile to tile ("a continuous space allows blending between modes").
//
// The anchors are L2-normalised 2-D points (dataset.h: dog at 0°, cat 90°, car 180°,
// truck 270°). The path interpolates the angle, the shorter way round:
//   θ_i = θ_from + i/(steps−1) · Δ,  Δ = θ_to − θ_from wrapped into (−180°, 180°],
//   z1_i = (cos θ_i, sin θ_i),  i = 0 … steps−1,
// so its ends are the two anchors. Opposite anchors (Δ = 180°) go counter-clockwise.
//
// What it does not do: leave the unit circle (use --z1 for any other point), or use the
// prior — the point is to see what the decoder makes of a z1 nobody trained on.
#pragma once

#include "diffusion/mode_classifier.h"
#include "diffusion/sampler.h"
#include "experiment/model.h"
#include "experiment/sampling.h"

#include <array>
#include <string>
#include <vector>

namespace hd {

/// "x,y" -> the point; UsageError for anything but two finite numbers of size ≤ 100.
std::array<float, 2> parse_z1(const std::string& text);

/// UsageError unless `model` is model B (`flag` names what needed it, e.g. "--z1").
void require_hierarchical(const DiffusionModel& model, const std::string& model_path, const std::string& flag);

/// Model B's decoder on the rows of `z1` (N, 2) -> images (N, 3, S, S), each from its own
/// noise drawn from `gen` (what sampling N images for one z1 wants).
Tensor decode_z1(DiffusionModel& model, const Tensor& z1, const SamplerOptions& options, Generator& gen,
                 const SamplerProgress& progress = {});

/// The same, but every row from the same noise: row i is what a fresh Generator(seed)
/// gives for z1[i] alone — the same x_T and, for a stochastic sampler, the same noise at
/// every step — so images differ only because their z1 differ.
Tensor decode_with_shared_noise(DiffusionModel& model, const Tensor& z1, const SamplerOptions& options, uint64_t seed,
                                const SamplerProgress& progress = {});

/// The points of the path from `from`'s anchor to `to`'s along the unit circle.
struct CirclePath {
    Tensor z1;                  // (steps, 2)
    std::vector<double> angles; // degrees, θ_from + i/(steps−1)·Δ (may leave [0, 360))
};
/// UsageError for steps outside 2 … kMaxInterpolationSteps or from == to.
CirclePath circle_path(Mode from, Mode to, int64_t steps, const SyntheticDataset& dataset);
inline constexpr int64_t kMaxInterpolationSteps = 64;

/// What `hd interpolate` does.
struct InterpolateOptions {
    std::string model_path;
    std::string from = "dog", to = "cat";
    int64_t steps = 8;
    uint64_t seed = 0;
    std::string output; // default samples/<checkpoint stem>_<from>_to_<to>.png
    SamplerOptions sampler = default_sampling();
    float confidence = 0.8f;           // as hd evaluate: a verdict at this probability or more is recognised
    ClassifierOptions classifier = {}; // how the evaluation classifier is trained (if not cached)
    std::string classifier_cache = {}; // default: beside the checkpoint, as hd evaluate
    bool quiet = false;
};
struct InterpolateResult {
    std::string strip;            // the PNG written
    std::string data;             // the samples file beside it (sample_data.h)
    std::string sampler;          // describe() of the sampler
    std::string classifier_cache;
    float confidence = 0.0f;
    Mode from = Mode::dog, to = Mode::cat;
    CirclePath path;
    std::vector<Mode> nearest_mode; // per tile
    std::vector<Verdict> verdicts;  // per tile
};
/// Validates everything (modes, steps, sampler, the checkpoint and its kind) before any
/// work, then decodes the path, labels each tile with the classifier's verdict and writes
/// the strip and its samples file.
InterpolateResult write_interpolation(const InterpolateOptions& options);

/// The printed table: one line per tile (angle, z1, nearest reference, verdict) and where
/// the classifier's verdict changes.
std::string format_interpolation(const InterpolateResult& result);

}  // namespace hd
