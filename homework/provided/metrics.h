// metrics.h — the three metrics of the homework (Parts 3–5, homework/metrics.cpp).
//
// Pinned semantics (the tests check exactly these):
//   * A sample's mode is its nearest reference image (Part 3) or its nearest anchor
//     (Parts 4–5), searched over ALL FOUR modes — a "car" sampled for z2 = animal
//     counts against the model.
//   * Part 3 counts the distinct modes OF z2 that at least one sample was assigned to.
//   * Part 4: H = -Σ_m p(m) ln p(m) in nats over the four modes, with 0·ln 0 = 0.
//   * Part 5: KL(p_data ‖ p_model) = Σ_m p_data(m|z2) ln(p_data(m|z2) / p̃_model(m)),
//     the direction that punishes a missing mode, with p_model smoothed as
//     p̃_model(m) = (p_model(m) + kKlEpsilon) / (1 + 4·kKlEpsilon), so a missing mode
//     gives a large but finite value.
//   * No samples at all is an error: each function throws std::invalid_argument.
#pragma once

#include "autograd/tensor.h"
#include "diffusion/dataset.h"

namespace hd {

struct ModeCoverage {
    int64_t num_modes_found = 0;      // distinct modes of z2 that some sample was assigned to
    int64_t total_possible_modes = 0; // modes of z2 in the data (2)
    double coverage_ratio = 0.0;      // num_modes_found / total_possible_modes, in [0, 1]
};

/// The smoothing ε of Part 5.
inline constexpr double kKlEpsilon = 1e-6;

/// PART 3. samples: (N,3,S,S) images generated for z2.
ModeCoverage compute_mode_coverage(const Tensor& samples, Category z2, const SyntheticDataset& dataset);

/// PART 4. z1_samples: (N,2) latent samples for z2 -> H(ẑ1 | z2) in nats.
double compute_conditional_entropy(const Tensor& z1_samples, Category z2, const SyntheticDataset& dataset);

/// PART 5. z1_samples: (N,2) latent samples for z2 -> KL(p_data(z1|z2) ‖ p_model(z1|z2)) in nats.
double compute_kl_divergence(const Tensor& z1_samples, Category z2, const SyntheticDataset& dataset);

}  // namespace hd
