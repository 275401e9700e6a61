// test_part5.cpp — public tests of Part 5, compute_kl_divergence (homework/metrics.cpp).
//
// Run them alone with   ./build/tests/hd_tests "[part5]"
//
// The expected values are written out from the pinned formula (homework/provided/metrics.h):
//   KL(p_data ‖ p_model) = Σ_m p_data(m|z2) ln(p_data(m|z2) / p̃_model(m)),
//   p̃_model(m) = (p_model(m) + ε) / (1 + 4ε),  ε = kKlEpsilon,
// and the hints compare a wrong answer with the usual mistakes (reversed direction,
// bits, the smoothing left out or done otherwise, ignoring p_data).
#include "tests/homework/part_support.h"

#include <array>
#include <numbers>
#include <stdexcept>

using namespace hd;
using namespace hd::part_test;

namespace {

using Distribution = std::array<double, kNumModes>; // indexed by Mode: dog, cat, car, truck

Distribution frequencies(const std::vector<std::pair<Mode, int>>& counts) {
    Distribution p{};
    double total = 0.0;
    for (auto [mode, count] : counts) total += count;
    for (auto [mode, count] : counts) p[static_cast<int>(mode)] += count / total;
    return p;
}

Distribution data_distribution(const SyntheticDataset& dataset, Category z2) {
    Distribution p{};
    for (Mode mode : all_modes()) p[static_cast<int>(mode)] = dataset.p_data(mode, z2);
    return p;
}

/// Σ p ln(p / q̃) over p > 0, with q̃ = (q + ε) / (1 + 4ε).
double smoothed_kl(const Distribution& p, const Distribution& q, double epsilon = kKlEpsilon) {
    double kl = 0.0;
    for (int m = 0; m < kNumModes; ++m)
        if (p[m] > 0.0) kl += p[m] * std::log(p[m] / ((q[m] + epsilon) / (1.0 + kNumModes * epsilon)));
    return kl;
}

/// Σ over p_data > 0 of p_data ln(p_data / q̃(m)), with each mode's q̃ given by `smoothed`
/// (the pinned formula and its near-misses differ only there).
template <typename Smoothing>
double kl_smoothed_as(const Distribution& p_data, const Distribution& p_model, Smoothing smoothed) {
    double kl = 0.0;
    for (int m = 0; m < kNumModes; ++m)
        if (p_data[m] > 0.0) kl += p_data[m] * std::log(p_data[m] / smoothed(p_model[m]));
    return kl;
}

/// Runs Part 5 on points built from `counts` and compares with the pinned formula.
///
/// The margin is 1e-9: a right answer in double is exact to about 1e-15, while the
/// near-misses of the smoothing (no division by 1 + 4ε, only missing modes smoothed)
/// are off by 1.5e-6 or more — a thousand margins.
void check_kl(const SyntheticDataset& dataset, const std::vector<std::pair<Mode, int>>& counts, Category z2,
              double margin = 1e-9) {
    const Distribution p_model = frequencies(counts), p_data = data_distribution(dataset, z2);
    const double expected = smoothed_kl(p_data, p_model);
    INFO(fmt::format("samples: {} (generated for z2 = {}); p_data = ({:g}, {:g}, {:g}, {:g}) over dog, cat, car, truck",
                     describe_counts(counts), to_string(z2), p_data[0], p_data[1], p_data[2], p_data[3]));
    const double kl = compute_kl_divergence(z1_points(dataset, counts), z2, dataset);

    // The reversed direction comes with its smoothing on either side, or none; the
    // tolerance takes all three (they are a few 1e-6 apart). Where the reversed value is
    // close to the right one (p_model = p_data) it explains nothing and only the exact
    // match counts.
    Distribution smoothed_model{};
    for (int m = 0; m < kNumModes; ++m) smoothed_model[m] = (p_model[m] + kKlEpsilon) / (1.0 + kNumModes * kKlEpsilon);
    double swapped = 0.0; // Σ p̃_model ln(p̃_model / p_data) over p_data > 0
    for (int m = 0; m < kNumModes; ++m)
        if (p_data[m] > 0.0) swapped += smoothed_model[m] * std::log(smoothed_model[m] / p_data[m]);
    const double reversed = smoothed_kl(p_model, p_data);
    const std::string swapped_roles =
        "that is KL(p_model ‖ p_data): the roles of p_data and p_model are swapped. Weight each term by "
        "p_data(m | z2) and take ln(p_data(m | z2) / p̃_model(m)).";
    const double reversed_tolerance = std::abs(reversed - expected) > 1e-3 ? 1e-5 : 0.0;
    std::vector<Hint> hints = {
        {reversed, swapped_roles, reversed_tolerance},
        {swapped, swapped_roles, reversed_tolerance},
        {expected / std::numbers::ln2, "that looks like bits (log2): use the natural log (std::log)"},
        {-expected, "that is minus the answer: the log is ln(p_data / p̃_model), not ln(p̃_model / p_data)"},
        {kl_smoothed_as(p_data, p_model, [](double p) { return p + kKlEpsilon; }),
         "that smooths as p_model + kKlEpsilon without dividing by (1 + 4 kKlEpsilon): the smoothed values must "
         "sum to 1, p̃ = (p + kKlEpsilon) / (1 + 4 kKlEpsilon)"},
        {kl_smoothed_as(p_data, p_model, [](double p) { return p > 0.0 ? p : kKlEpsilon; }),
         "that smooths only the missing modes: every mode gets p̃ = (p + kKlEpsilon) / (1 + 4 kKlEpsilon), also "
         "those the model draws"},
    };
    // A student who renormalises over z2's own modes drops the off-category samples.
    Distribution within_z2{};
    double mass = 0.0;
    for (Mode mode : dataset.modes_of(z2)) mass += p_model[static_cast<int>(mode)];
    if (mass > 0.0 && mass < 1.0) {
        for (Mode mode : dataset.modes_of(z2)) within_z2[static_cast<int>(mode)] = p_model[static_cast<int>(mode)] / mass;
        hints.push_back({smoothed_kl(p_data, within_z2),
                         "that ignores the samples nearest another category's anchor: p_model is over ALL FOUR modes"});
    }
    Distribution uniform{};
    for (Mode mode : dataset.modes_of(z2)) uniform[static_cast<int>(mode)] = 0.5;
    if (uniform != p_data)
        hints.push_back({smoothed_kl(uniform, p_model), "that assumes p_data = 1/2: read dataset.p_data(mode, z2)"});
    if (std::isfinite(smoothed_kl(p_data, p_model, 0.0)))
        hints.push_back({smoothed_kl(p_data, p_model, 0.0),
                         "that is the unsmoothed value: use p̃ = (p + kKlEpsilon) / (1 + 4 kKlEpsilon) for every mode, "
                         "as homework/provided/metrics.h documents"});
    else
        hints.push_back({smoothed_kl(p_data, p_model, 1e-10),
                         "that uses a smoothing other than kKlEpsilon: p̃ = (p + kKlEpsilon) / (1 + 4 kKlEpsilon)"});
    check_value("KL(p_data ‖ p_model) in nats", kl, expected, margin, hints);
}

}  // namespace

TEST_CASE("Part 5: samples that match p_data give a KL divergence of 0", "[part5]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    INFO("with the smoothing the value is not exactly 0: p̃_model(m) = (1/2 + ε) / (1 + 4ε) is a little below 1/2, "
         "and the KL is ln((1 + 4ε) / (1 + 2ε)) ≈ 2.0e-06");
    SECTION("an even dog/cat split for animal") { check_kl(dataset, {{Mode::dog, 10}, {Mode::cat, 10}}, Category::animal); }
    SECTION("an even car/truck split for vehicle") {
        check_kl(dataset, {{Mode::car, 6}, {Mode::truck, 6}}, Category::vehicle);
    }
}

TEST_CASE("Part 5: a missing mode gives a large but finite value, about 0.5 ln(0.5 / kKlEpsilon)", "[part5]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    INFO("only dogs for animal: p_model(cat) = 0, so ln(p_data / p_model) needs the documented smoothing "
         "p̃ = (p + kKlEpsilon) / (1 + 4 kKlEpsilon) to stay finite (≈ 6.21 nats)");
    check_kl(dataset, {{Mode::dog, 12}}, Category::animal);
}

TEST_CASE("Part 5: the divergence is KL(p_data ‖ p_model), not the reverse", "[part5]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    INFO("an asymmetric case: p_data = (1/2, 1/2), p_model = (9/10, 1/10) over dog, cat; "
         "KL(p_data ‖ p_model) = Σ p_data ln(p_data / p̃_model) ≈ 0.511, the reverse KL(p_model ‖ p_data) ≈ 0.368");
    check_kl(dataset, {{Mode::dog, 18}, {Mode::cat, 2}}, Category::animal);
}

TEST_CASE("Part 5: the data distribution comes from the dataset (p_data 0.8/0.2)", "[part5]") {
    const SyntheticDataset dataset(tiny_dataset_options(0.8, 0.3));
    INFO("a match gives about 2.0e-06, not exactly 0: that is the smoothing");
    SECTION("an even split is now a mismatch") { check_kl(dataset, {{Mode::dog, 5}, {Mode::cat, 5}}, Category::animal); }
    SECTION("an 80/20 split matches") { check_kl(dataset, {{Mode::dog, 8}, {Mode::cat, 2}}, Category::animal); }
    SECTION("a 30/70 car/truck split matches for vehicle") {
        check_kl(dataset, {{Mode::car, 3}, {Mode::truck, 7}}, Category::vehicle);
    }
}

TEST_CASE("Part 5: samples nearest another category's anchor count against the model", "[part5]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    SECTION("dogs, cats and cars for animal") {
        INFO("p_model is over all four modes: half the samples being cars leaves only half for dog and cat");
        check_kl(dataset, {{Mode::dog, 5}, {Mode::cat, 5}, {Mode::car, 10}}, Category::animal);
    }
    SECTION("trucks and a dog for vehicle") {
        INFO("p_model is over all four modes: the dog takes a quarter, leaving truck 3/4 and car 0 (a large smoothed term)");
        check_kl(dataset, {{Mode::truck, 3}, {Mode::dog, 1}}, Category::vehicle);
    }
}

TEST_CASE("Part 5: a single sample gives the missing-mode value", "[part5]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    check_kl(dataset, {{Mode::cat, 1}}, Category::animal);
}

TEST_CASE("Part 5: the divergence is never negative and is finite for every split", "[part5]") {
    const SyntheticDataset dataset(tiny_dataset_options(0.3, 0.6));
    for (int dogs = 0; dogs <= 4; ++dogs) {
        const double kl = compute_kl_divergence(z1_points(dataset, {{Mode::dog, dogs}, {Mode::cat, 4 - dogs}, {Mode::car, 1}}),
                                                Category::animal, dataset);
        CAPTURE(dogs, kl);
        if (!std::isfinite(kl) || kl < -1e-9)
            FAIL(fmt::format("with {} dogs, {} cats and 1 car the KL divergence is {}: it must be finite and ≥ 0", dogs,
                             4 - dogs, kl));
    }
}

TEST_CASE("Part 5: no samples at all is an error (std::invalid_argument)", "[part5]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    INFO("with no samples p_model is 0/0: throw std::invalid_argument instead");
    REQUIRE_THROWS_AS(compute_kl_divergence(Tensor::zeros({0, 2}), Category::animal, dataset), std::invalid_argument);
}
