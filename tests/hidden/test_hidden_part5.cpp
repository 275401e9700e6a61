// test_hidden_part5.cpp — instructor tests of Part 5 (not in the student release).
#include "tests/homework/part_support.h"

#include <stdexcept>

using namespace hd;
using namespace hd::part_test;

namespace {

/// The pinned formula for two modes of z2 with data probabilities (a, 1-a) and model
/// frequencies q (over all four modes, the first two being z2's).
double pinned_kl(double a, double q0, double q1) {
    auto smooth = [](double q) { return (q + kKlEpsilon) / (1.0 + kNumModes * kKlEpsilon); };
    double kl = 0.0;
    if (a > 0.0) kl += a * std::log(a / smooth(q0));
    if (a < 1.0) kl += (1.0 - a) * std::log((1.0 - a) / smooth(q1));
    return kl;
}

}  // namespace

TEST_CASE("Part 5 (hidden): p_data 0.9/0.1 for vehicle, samples from all four modes", "[hidden][part5]") {
    const SyntheticDataset dataset(tiny_dataset_options(0.5, 0.9));
    const Tensor points = z1_points(dataset, {{Mode::car, 5}, {Mode::truck, 2}, {Mode::dog, 2}, {Mode::cat, 1}}, 31);
    check_value("KL(p_data ‖ p_model) in nats", compute_kl_divergence(points, Category::vehicle, dataset),
                pinned_kl(0.9, 0.5, 0.2), 1e-6);
}

TEST_CASE("Part 5 (hidden): no sample of z2 at all gives twice the missing-mode penalty", "[hidden][part5]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const Tensor points = z1_points(dataset, {{Mode::car, 3}, {Mode::truck, 3}}, 32);
    const double kl = compute_kl_divergence(points, Category::animal, dataset);
    CHECK(std::isfinite(kl));
    check_value("KL(p_data ‖ p_model) in nats", kl, pinned_kl(0.5, 0.0, 0.0), 1e-6);
}

TEST_CASE("Part 5 (hidden): a mode with p_data = 0 contributes nothing", "[hidden][part5]") {
    // p(dog | animal) = 1: the cat term has p_data = 0 and must be skipped, not NaN.
    const SyntheticDataset dataset(tiny_dataset_options(1.0, 0.5));
    const Tensor points = z1_points(dataset, {{Mode::dog, 4}}, 33);
    const double kl = compute_kl_divergence(points, Category::animal, dataset);
    check_value("KL(p_data ‖ p_model) in nats", kl, pinned_kl(1.0, 1.0, 0.0), 1e-6);
}

TEST_CASE("Part 5 (hidden): a thousand samples split 450/550 against p_data 0.5", "[hidden][part5]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const Tensor points = z1_points(dataset, {{Mode::dog, 450}, {Mode::cat, 550}}, 34);
    check_value("KL(p_data ‖ p_model) in nats", compute_kl_divergence(points, Category::animal, dataset),
                pinned_kl(0.5, 0.45, 0.55), 1e-6);
}

TEST_CASE("Part 5 (hidden): an empty batch throws std::invalid_argument for vehicle too", "[hidden][part5]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    REQUIRE_THROWS_AS(compute_kl_divergence(Tensor::zeros({0, 2}), Category::vehicle, dataset), std::invalid_argument);
}
