// metrics.cpp — reference solutions of Parts 3–5 (instructor only; not in the student release).
#include "homework/provided/metrics.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace hd {

namespace {

void require_samples(const Tensor& samples, const char* function) {
    if (samples.dim() < 1 || samples.size(0) == 0)
        throw std::invalid_argument(fmt::format("{}: no samples to measure", function));
}

// The fraction of rows of z1 (N,2) whose nearest anchor, over all four, is each mode.
std::array<double, kNumModes> mode_frequencies(const Tensor& z1, const SyntheticDataset& dataset) {
    std::array<double, kNumModes> frequency{};
    const Tensor anchors = dataset.anchors();
    const int64_t n = z1.size(0);
    for (int64_t i = 0; i < n; ++i) {
        int best = 0;
        double best_distance = std::numeric_limits<double>::infinity();
        for (int m = 0; m < kNumModes; ++m) {
            double dx = z1.data()[2 * i] - anchors.data()[2 * m], dy = z1.data()[2 * i + 1] - anchors.data()[2 * m + 1];
            double distance = dx * dx + dy * dy;
            if (distance < best_distance) best_distance = distance, best = m;
        }
        frequency[best] += 1.0 / double(n);
    }
    return frequency;
}

}  // namespace

// samples: (N,3,S,S)
ModeCoverage compute_mode_coverage(const Tensor& samples, Category z2, const SyntheticDataset& dataset) {
    // BEGIN PART 3
    require_samples(samples, "compute_mode_coverage");
    const int64_t n = samples.size(0), per_image = samples.numel() / n;
    std::array<bool, kNumModes> seen{};
    for (int64_t i = 0; i < n; ++i) {
        const float* image = samples.data() + i * per_image;
        int best = 0;
        double best_distance = std::numeric_limits<double>::infinity();
        for (Mode mode : all_modes()) {
            const Tensor refs = dataset.references(mode);
            for (int64_t r = 0; r < refs.size(0); ++r) {
                const float* ref = refs.data() + r * per_image;
                double distance = 0.0;
                for (int64_t k = 0; k < per_image; ++k) distance += double(image[k] - ref[k]) * double(image[k] - ref[k]);
                if (distance < best_distance) best_distance = distance, best = static_cast<int>(mode);
            }
        }
        seen[best] = true;
    }
    ModeCoverage coverage;
    for (Mode mode : dataset.modes_of(z2)) {
        coverage.total_possible_modes += 1;
        if (seen[static_cast<int>(mode)]) coverage.num_modes_found += 1;
    }
    coverage.coverage_ratio = double(coverage.num_modes_found) / double(coverage.total_possible_modes);
    return coverage;
    // END PART 3
}

// z1_samples: (N,2). z2 does not enter H, which is over all four modes.
double compute_conditional_entropy(const Tensor& z1_samples, [[maybe_unused]] Category z2,
                                   const SyntheticDataset& dataset) {
    // BEGIN PART 4
    require_samples(z1_samples, "compute_conditional_entropy");
    double entropy = 0.0;
    for (double p : mode_frequencies(z1_samples, dataset))
        if (p > 0.0) entropy -= p * std::log(p);
    return entropy;
    // END PART 4
}

// z1_samples: (N,2)
double compute_kl_divergence(const Tensor& z1_samples, Category z2, const SyntheticDataset& dataset) {
    // BEGIN PART 5
    require_samples(z1_samples, "compute_kl_divergence");
    const std::array<double, kNumModes> p_model = mode_frequencies(z1_samples, dataset);
    double kl = 0.0;
    for (Mode mode : all_modes()) {
        const double p_data = dataset.p_data(mode, z2);
        if (p_data <= 0.0) continue;
        const double smoothed = (p_model[static_cast<int>(mode)] + kKlEpsilon) / (1.0 + kNumModes * kKlEpsilon);
        kl += p_data * std::log(p_data / smoothed);
    }
    return kl;
    // END PART 5
}

}  // namespace hd
