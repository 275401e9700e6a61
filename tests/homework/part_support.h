// part_support.h — what the Part tests share: small model sizes, constructed inputs, and
// checks whose failure messages say what is wrong in a student's words.
//
// The public tests (tests/homework) and the instructor tests (tests/hidden) both include
// this header as "tests/homework/part_support.h".
//
// A stubbed Part throws hd::NotImplemented; no helper here catches it, so the test fails
// with Catch2's "due to unexpected exception with message: not implemented yet: Part N: …".
#pragma once

#include "autograd/ops.h"
#include "diffusion/dataset.h"
#include "diffusion/sampler.h"
#include "diffusion/schedule.h"
#include "homework/provided/metrics.h"
#include "homework/provided/models.h"
#include "nn/optim.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hd::part_test {
// Internal linkage (an unnamed namespace): each test file gets its own copy of these
// helpers, so a submission that defines a function of the same name cannot replace them.
namespace {

// ---- sizes small enough that every Part's tests run in seconds ------------------------

/// A UNet with C = 8, E = 16 and 4 GroupNorm groups: the smallest that keeps every level.
inline ImageDenoiserOptions tiny_denoiser_options(int64_t condition_dim = 2) {
    return {.image_channels = 3, .base_channels = 8, .embedding_dim = 16, .condition_dim = condition_dim, .groups = 4};
}

/// A prior with E = 16 and two hidden layers of 32.
inline LatentPriorOptions tiny_prior_options() {
    return {.latent_dim = 2, .condition_dim = 2, .embedding_dim = 16, .hidden_features = 32, .hidden_layers = 2};
}

/// A 16×16 dataset with 16 references per mode (rendering 64 images is instant).
inline DatasetOptions tiny_dataset_options(double p_dog = 0.5, double p_car = 0.5, int image_size = 16) {
    return {.image_size = image_size, .seed = 3, .p_dog_given_animal = p_dog, .p_car_given_vehicle = p_car,
            .references_per_mode = 16};
}

// ---- constructed inputs ---------------------------------------------------------------

/// (B, 2) one-hot rows, one per category in `categories`.
inline Tensor one_hot(const std::vector<Category>& categories) {
    std::vector<float> values(2 * categories.size(), 0.0f);
    for (size_t i = 0; i < categories.size(); ++i) values[2 * i + static_cast<int>(categories[i])] = 1.0f;
    return Tensor::from_vector(values, {static_cast<int64_t>(categories.size()), 2});
}

/// (B) timesteps as floats.
inline Tensor timesteps(const std::vector<float>& values) {
    return Tensor::from_vector(values, {static_cast<int64_t>(values.size())});
}

/// `count` latent points per listed mode: each mode's anchor plus a small offset that
/// never moves it closer to another anchor (|offset| ≤ 0.2, anchors are 1.41 apart).
inline Tensor z1_points(const SyntheticDataset& dataset, const std::vector<std::pair<Mode, int>>& counts,
                        uint64_t seed = 11) {
    Generator gen(seed);
    std::vector<float> values;
    for (auto [mode, count] : counts) {
        const Tensor anchor = dataset.anchor(mode);
        for (int k = 0; k < count; ++k) {
            values.push_back(anchor.data()[0] + gen.uniform(-0.2f, 0.2f));
            values.push_back(anchor.data()[1] + gen.uniform(-0.2f, 0.2f));
        }
    }
    return Tensor::from_vector(values, {static_cast<int64_t>(values.size() / 2), 2});
}

/// `count` images per listed mode: reference image k of the mode plus N(0, noise²) pixel
/// noise — near its own reference, so its nearest-reference mode is certain.
inline Tensor images_of(const SyntheticDataset& dataset, const std::vector<std::pair<Mode, int>>& counts,
                        float noise = 0.05f, uint64_t seed = 12) {
    Generator gen(seed);
    const int64_t size = dataset.image_size(), per_image = 3 * size * size;
    int64_t total = 0;
    for (auto [mode, count] : counts) total += count;
    Tensor images = Tensor::empty({total, 3, size, size});
    int64_t row = 0;
    for (auto [mode, count] : counts) {
        const Tensor refs = dataset.references(mode);
        for (int k = 0; k < count; ++k, ++row) {
            const float* ref = refs.data() + (k % refs.size(0)) * per_image;
            for (int64_t i = 0; i < per_image; ++i) images.data()[row * per_image + i] = ref[i] + noise * gen.normal();
        }
    }
    return images;
}

// ---- checks with diagnostic messages --------------------------------------------------

/// One well-known wrong answer and what it suggests, e.g. {ln 2 / ln 2, "looks like bits"}.
/// `tolerance` widens the match for a mistake that comes in variants a little apart
/// (e.g. the reversed KL with its smoothing on either side); it never narrows it below
/// the check's margin.
struct Hint {
    double value;
    std::string explanation;
    double tolerance = 0.0;
};

/// Checks |actual - expected| ≤ margin. On failure the message names the quantity, both
/// values, and every hint whose value `actual` is within tolerance of (several when the
/// mistakes give the same number here). A hint whose value is within the margin of
/// `expected` cannot tell a mistake from the answer and is skipped.
inline void check_value(const std::string& what, double actual, double expected, double margin,
                        const std::vector<Hint>& hints = {}) {
    if (std::isfinite(actual) && std::abs(actual - expected) <= margin) {
        SUCCEED(fmt::format("{} = {} (expected {} ± {})", what, actual, expected, margin));
        return;
    }
    std::string message = fmt::format("{}: your value is {}, expected {} (± {}), off by {:+.2g}.", what, actual,
                                      expected, margin, actual - expected);
    if (std::isnan(actual)) message += "\n  It is NaN: is a 0 · ln 0 term or a division by zero left in?";
    else if (std::isinf(actual)) message += "\n  It is infinite: a ln(0) slipped through.";
    else if (margin < 1e-7 && std::abs(actual - expected) < 1e-7)
        message += "\n  That is off by rounding only, not by a wrong formula: compute in double (a float keeps "
                   "only about 7 digits).";
    std::vector<std::string> matches;
    for (const Hint& hint : hints) {
        const double tolerance = std::max({margin, hint.tolerance, 1e-9 * std::abs(hint.value)});
        if (std::abs(hint.value - expected) <= margin || !(std::abs(actual - hint.value) <= tolerance)) continue;
        if (std::find(matches.begin(), matches.end(), hint.explanation) == matches.end())
            matches.push_back(hint.explanation);
    }
    if (matches.size() == 1) message += "\n  " + matches[0];
    if (matches.size() > 1) {
        message += "\n  Here several mistakes give this same value; yours is one of them:";
        for (const std::string& explanation : matches) message += "\n  - " + explanation;
    }
    FAIL(message);
}

/// The tensor equals `x`'s shape, else a message "your output has shape … but … has shape …".
inline void check_shape(const Tensor& output, const Shape& expected, const std::string& expected_name) {
    if (output.shape() != expected)
        FAIL(fmt::format("your output has shape {} but {} has shape {}", shape_str(output.shape()), expected_name,
                         shape_str(expected)));
}

/// Largest |a - b| over two tensors of the same shape (infinity when shapes differ).
inline double max_difference(const Tensor& a, const Tensor& b) {
    if (a.shape() != b.shape()) return INFINITY;
    double largest = 0.0;
    for (int64_t i = 0; i < a.numel(); ++i)
        largest = std::max(largest, double(std::abs(a.data()[i] - b.data()[i])));
    return largest;
}

/// Every value is finite; else names the first NaN/infinity and where it is.
inline void check_finite(const Tensor& output, const std::string& what) {
    for (int64_t i = 0; i < output.numel(); ++i)
        if (!std::isfinite(output.data()[i]))
            FAIL(fmt::format("{} holds {} at flat index {} (of {}): every value should be finite", what,
                             output.data()[i], i, output.numel()));
}

/// A reference answer and what a student who produced it most likely did.
struct Candidate {
    Tensor output;
    std::string explanation;
};

/// Compares `output` with `expected` (element-wise, |diff| ≤ atol); on failure, tells which
/// known mistake the output matches, if any.
inline void check_matches(const Tensor& output, const Tensor& expected, const std::string& formula,
                          const std::vector<Candidate>& mistakes, double atol = 1e-5) {
    const double difference = max_difference(output, expected);
    if (difference <= atol) {
        SUCCEED("output matches " + formula);
        return;
    }
    std::string message =
        fmt::format("your output is not {}: the largest difference is {} (allowed {})", formula, difference, atol);
    for (const Candidate& mistake : mistakes)
        if (max_difference(output, mistake.output) <= atol) message += "\n  It matches " + mistake.explanation;
    FAIL(message);
}

/// The mode counts of a metric's input, for CAPTURE-style messages: "3 dog, 1 cat".
inline std::string describe_counts(const std::vector<std::pair<Mode, int>>& counts) {
    std::string text;
    for (auto [mode, count] : counts) text += fmt::format("{}{} {}", text.empty() ? "" : ", ", count, to_string(mode));
    return text;
}

// ---- Part 2's learning check -----------------------------------------------------------

/// Trains a small LatentPrior with Adam on the dataset's anchors (z2 uniform, z1 ~ p_data),
/// samples `samples` points per z2, classifies them by nearest anchor, prints the
/// frequencies and checks p(first mode of z2) against p_data within ±0.05 and that at
/// most 5 % land on the other category's anchors. About two seconds in Release.
inline void check_learned_prior(const SyntheticDataset& dataset, uint64_t seed, int64_t steps = 1500,
                                int64_t samples = 2000) {
    const auto start = std::chrono::steady_clock::now();
    // One thread: the result then depends on the seed only, not on the machine's core
    // count, and matrices this small gain nothing from threads.
    struct SingleThread {
        int previous = omp_get_max_threads();
        SingleThread() { omp_set_num_threads(1); }
        ~SingleThread() { omp_set_num_threads(previous); } // also when a stub throws
    } single_thread;
    Generator gen(seed);
    LatentPrior prior({.latent_dim = 2, .condition_dim = 2, .embedding_dim = 32, .hidden_features = 64,
                       .hidden_layers = 2},
                      gen);
    // 100 cosine steps are plenty for 2-D data, and ten times cheaper to sample than 1000.
    const NoiseSchedule schedule = NoiseSchedule::cosine(100);
    constexpr float kLearningRate = 2e-3f;
    Adam optimizer(prior.parameters(), {.learning_rate = kLearningRate});

    constexpr int64_t kBatch = 256;
    const Tensor anchors = dataset.anchors();
    for (int64_t step = 0; step < steps; ++step) {
        // z2 uniform, z1 ~ p_data(z1 | z2): what the training batches of model B's prior hold.
        std::vector<float> z1(2 * kBatch), condition(2 * kBatch, 0.0f);
        for (int64_t i = 0; i < kBatch; ++i) {
            const auto z2 = static_cast<Category>(gen.integer(2));
            const std::vector<Mode> modes = dataset.modes_of(z2);
            const Mode mode = gen.uniform() < dataset.p_data(modes[0], z2) ? modes[0] : modes[1];
            z1[2 * i] = anchors.data()[2 * static_cast<int>(mode)];
            z1[2 * i + 1] = anchors.data()[2 * static_cast<int>(mode) + 1];
            condition[2 * i + static_cast<int>(z2)] = 1.0f;
        }
        optimizer.zero_grad();
        diffusion_loss(prior, schedule, Tensor::from_vector(z1, {kBatch, 2}),
                       Tensor::from_vector(condition, {kBatch, 2}), gen)
            .backward();
        // Linear decay to zero: the mixture weights settle instead of jittering with the last batches.
        optimizer.set_learning_rate(kLearningRate * (1.0f - float(step) / float(steps)));
        optimizer.step();
    }

    for (Category z2 : {Category::animal, Category::vehicle}) {
        const Tensor points = sample(prior, schedule, one_hot(std::vector<Category>(samples, z2)), {2}, gen,
                                     {.batch_size = samples});
        int counts[kNumModes] = {};
        for (Mode mode : classify_by_nearest_anchor(points, dataset)) ++counts[static_cast<int>(mode)];
        const std::vector<Mode> modes = dataset.modes_of(z2);
        const double p_first = counts[static_cast<int>(modes[0])] / double(samples);
        const double off_category =
            1.0 - (counts[static_cast<int>(modes[0])] + counts[static_cast<int>(modes[1])]) / double(samples);
        std::cout << fmt::format("Part 2 learning: z2 = {:<7}  dog {:.3f}  cat {:.3f}  car {:.3f}  truck {:.3f}\n",
                                 to_string(z2), counts[0] / double(samples), counts[1] / double(samples),
                                 counts[2] / double(samples), counts[3] / double(samples));
        INFO(fmt::format("z2 = {}: p({}) = {:.3f} (data: {:.2f}); samples nearest another category's anchor: {:.3f}",
                         to_string(z2), to_string(modes[0]), p_first, dataset.p_data(modes[0], z2), off_category));
        INFO("if only this test fails, check the others first; they pin forward() exactly");
        CHECK(p_first == Approx(dataset.p_data(modes[0], z2)).margin(0.05));
        CHECK(off_category <= 0.05);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << fmt::format("Part 2 learning: trained and sampled in {:.1f} s\n", seconds);
}

}  // namespace
}  // namespace hd::part_test
