// metrics.cpp — Parts 3, 4 and 5 of the homework: measuring mode collapse.
//
// Read homework/README.md (Parts 3–5) and the pinned semantics in homework/provided/metrics.h
// first. Run one Part's tests with
//     ./build/tests/hd_tests "[part3]"      (or "[part4]", "[part5]")
//
// This file compiles with warnings on (-Wall -Wextra -Wunused-parameter): read them.
// "unused parameter 'z2'" in Part 3 or 5 means that z2 never reaches your result.
#include "homework/provided/metrics.h"

#include "homework/provided/not_implemented.h"

#include <cmath>
#include <stdexcept>

namespace hd {

// -------------------------------------------------------------------------------------
// PART 3 — compute_mode_coverage                                        (★★☆, 2–3 hours)
//
// How many of the modes of z2 does a set of generated images cover? For z2 = animal a
// healthy model draws both dogs and cats (coverage 2/2 = 1.0); a collapsed one draws
// only one of them (1/2 = 0.5).
//
// Inputs:   samples  (N, 3, S, S)  images generated for z2, values in [-1, 1]
//           z2       the category they were generated for
//           dataset  knows the modes of z2 (modes_of) and R reference images per mode
//                    (references(mode): (R, 3, S, S))
// Output:   ModeCoverage{num_modes_found, total_possible_modes, coverage_ratio}
//
// What to do:
//   1. If there are no samples, throw std::invalid_argument.
//   2. Assign each sample the mode of its nearest reference image: the smallest
//      squared L2 distance Σ (sample - reference)² over the references of ALL FOUR
//      modes, every reference of each, every pixel of all three colour channels. Ties
//      go to the lower mode index (dog, cat, car, truck): replace the best only when a
//      reference is strictly nearer. (dataset.h also offers classify_by_nearest_reference,
//      which does exactly this — write the search yourself once; it is the heart of the
//      metric.)
//   3. num_modes_found = the number of distinct modes OF z2 among those assignments
//      (a "car" drawn for z2 = animal does not count).
//   4. total_possible_modes = the number of modes of z2; coverage_ratio = found / total.
// -------------------------------------------------------------------------------------
ModeCoverage compute_mode_coverage(const Tensor& samples, Category z2, const SyntheticDataset& dataset) {
    // BEGIN PART 3
    throw NotImplemented("Part 3: compute_mode_coverage (homework/metrics.cpp)", samples, z2, dataset);
    // END PART 3
}

// -------------------------------------------------------------------------------------
// PART 4 — compute_conditional_entropy                                  (★★☆, 2–3 hours)
//
// How uncertain is the model about the mode, given z2? With samples split 50/50
// between dog and cat the entropy is ln 2 ≈ 0.693 nats; all dogs give 0.
//
// Inputs:   z1_samples  (N, 2)  latent points sampled for z2 (the prior's output)
//           z2          not needed: H is over the frequencies of all four modes
//                       (hence [[maybe_unused]], so that it does not warn)
//           dataset     as in Part 3; dataset.anchors() is (4, 2)
// Output:   H(ẑ1 | z2) = -Σ_m p(m) ln p(m), in nats (natural log), with 0·ln 0 = 0
//
// What to do:
//   1. If there are no samples, throw std::invalid_argument.
//   2. Assign each sample the mode of its nearest anchor (L2) among ALL FOUR anchors
//      (ties, as in Part 3, go to the lower mode index).
//   3. p(m) = (samples assigned to m) / N, for each of the four modes.
//   4. Sum -p ln p over the modes with p > 0.
// -------------------------------------------------------------------------------------
double compute_conditional_entropy(const Tensor& z1_samples, [[maybe_unused]] Category z2,
                                   const SyntheticDataset& dataset) {
    // BEGIN PART 4
    throw NotImplemented("Part 4: compute_conditional_entropy (homework/metrics.cpp)", z1_samples, dataset);
    // END PART 4
}

// -------------------------------------------------------------------------------------
// PART 5 — compute_kl_divergence                                        (★★★, 2–3 hours)
//
// How far is the model's distribution over modes from the data's? We compute
//     KL(p_data ‖ p_model) = Σ_m p_data(m | z2) · ln( p_data(m | z2) / p̃_model(m) )
// — the direction that punishes a MISSING mode: if the data has cats and the model
// never draws one, the cat term is large. (The reverse, KL(p_model ‖ p_data), sums
// over the modes the model draws, so a missing mode adds nothing to it.)
//
// Inputs:   z1_samples  (N, 2), z2, dataset   as in Part 4; dataset.p_data(mode, z2)
// Output:   the KL divergence in nats (≥ 0; 0 when the two distributions agree)
//
// What to do:
//   1. If there are no samples, throw std::invalid_argument.
//   2. p_model(m) = the fraction of samples whose nearest anchor (over all four) is m.
//   3. Smooth it so a missing mode gives a large but finite value:
//          p̃_model(m) = (p_model(m) + kKlEpsilon) / (1 + 4 · kKlEpsilon)
//   4. Sum p_data(m|z2) · ln(p_data(m|z2) / p̃_model(m)) over the modes with p_data > 0
//      (terms with p_data = 0 contribute 0).
// -------------------------------------------------------------------------------------
double compute_kl_divergence(const Tensor& z1_samples, Category z2, const SyntheticDataset& dataset) {
    // BEGIN PART 5
    throw NotImplemented("Part 5: compute_kl_divergence (homework/metrics.cpp)", z1_samples, z2, dataset);
    // END PART 5
}

}  // namespace hd
