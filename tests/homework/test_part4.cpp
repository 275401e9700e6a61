// test_part4.cpp — public tests of Part 4, compute_conditional_entropy (homework/metrics.cpp).
//
// Run them alone with   ./build/tests/hd_tests "[part4]"
//
// The latent samples are the dataset's anchors plus small offsets, so each one's nearest
// anchor is known; the expected entropies are written out from the mode counts.
#include "tests/homework/part_support.h"

#include <numbers>
#include <stdexcept>

using namespace hd;
using namespace hd::part_test;

namespace {

/// -Σ p ln p over the given counts (zero counts skipped).
double entropy_of(const std::vector<int>& counts) {
    double total = 0.0, h = 0.0;
    for (int c : counts) total += c;
    for (int c : counts)
        if (c > 0) h -= (c / total) * std::log(c / total);
    return h;
}

/// Runs Part 4 on points built from `counts` and compares with `expected` (nats).
void check_entropy(const SyntheticDataset& dataset, const std::vector<std::pair<Mode, int>>& counts, Category z2,
                   double expected, std::vector<Hint> hints = {}) {
    INFO(fmt::format("samples: {} (generated for z2 = {})", describe_counts(counts), to_string(z2)));
    const double entropy = compute_conditional_entropy(z1_points(dataset, counts), z2, dataset);
    if (expected > 0.0) {
        hints.push_back({expected / std::numbers::ln2,
                         fmt::format("entropy {:.4f} looks like bits (log2): use the natural log (std::log)",
                                     expected / std::numbers::ln2)});
        hints.push_back({expected / std::numbers::ln10, "this looks like log10: use the natural log (std::log)"});
        hints.push_back({-expected, "the sign is flipped: H = -Σ p ln p is never negative"});
    }
    check_value("H(z1 | z2) in nats", entropy, expected, 1e-9, hints);
}

}  // namespace

TEST_CASE("Part 4: samples all of one mode have entropy 0", "[part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    INFO("p = (1, 0, 0, 0): the zero-probability modes must contribute 0 (0 · ln 0 = 0), not NaN");
    check_entropy(dataset, {{Mode::dog, 10}}, Category::animal, 0.0);
}

TEST_CASE("Part 4: an even dog/cat split has entropy ln 2 nats", "[part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    check_entropy(dataset, {{Mode::dog, 8}, {Mode::cat, 8}}, Category::animal, std::numbers::ln2);
}

TEST_CASE("Part 4: an uneven 3:1 split has entropy -(3/4 ln 3/4 + 1/4 ln 1/4)", "[part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    check_entropy(dataset, {{Mode::car, 9}, {Mode::truck, 3}}, Category::vehicle, entropy_of({9, 3}),
                  {{std::numbers::ln2, "that is ln 2: are the probabilities the sample fractions (count / N)?"}});
}

TEST_CASE("Part 4: samples nearest another category's anchor count as their own mode", "[part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    INFO("classify each sample by its nearest anchor among ALL FOUR modes; a car drawn for animal is a mode of its own");
    SECTION("cats and cars for animal") {
        check_entropy(dataset, {{Mode::cat, 5}, {Mode::car, 5}}, Category::animal, std::numbers::ln2,
                      {{0.0, "0 means every sample landed in one mode: were the cars assigned to cat or dropped?"}});
    }
    SECTION("all four modes equally often") {
        check_entropy(dataset, {{Mode::dog, 3}, {Mode::cat, 3}, {Mode::car, 3}, {Mode::truck, 3}}, Category::animal,
                      std::log(4.0),
                      {{std::numbers::ln2, "that is ln 2: the distribution is over all four modes, not only z2's two"}});
    }
    SECTION("dogs, cats and a truck for animal") {
        check_entropy(dataset, {{Mode::dog, 4}, {Mode::cat, 4}, {Mode::truck, 2}}, Category::animal,
                      entropy_of({4, 4, 2}),
                      {{std::numbers::ln2, "that is ln 2: the truck samples must count as a third mode"}});
    }
}

TEST_CASE("Part 4: points far from the unit circle go to their nearest anchor", "[part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    // (3, 0.5) is nearest dog (1,0); (-0.3, 4) nearest cat (0,1); (0.2, -0.6) nearest truck (0,-1).
    const Tensor points = Tensor::from_vector({3.0f, 0.5f, -0.3f, 4.0f, 0.2f, -0.6f, 2.5f, -0.4f}, {4, 2});
    const double entropy = compute_conditional_entropy(points, Category::animal, dataset);
    INFO("points (3,0.5) (-0.3,4) (0.2,-0.6) (2.5,-0.4) are nearest dog, cat, truck, dog: p = (1/2, 1/4, 0, 1/4)");
    check_value("H(z1 | z2) in nats", entropy, entropy_of({2, 1, 1}), 1e-9);
}

TEST_CASE("Part 4: a point exactly between two anchors goes to the lower mode index", "[part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    // (0.5, 0.5) is as near dog (1,0) as cat (0,1), and (-0.5, -0.5) as near car (-1,0) as
    // truck (0,-1); with the ties to dog and car the four points cover all four modes.
    const Tensor points = Tensor::from_vector({0.5f, 0.5f, 0.0f, 1.0f, -0.5f, -0.5f, 0.0f, -1.0f}, {4, 2});
    const double entropy = compute_conditional_entropy(points, Category::animal, dataset);
    INFO("points (0.5,0.5) (0,1) (-0.5,-0.5) (0,-1) are dog (a tie with cat), cat, car (a tie with truck), truck: "
         "p = (1/4, 1/4, 1/4, 1/4)");
    check_value("H(z1 | z2) in nats", entropy, std::log(4.0), 1e-9,
                {{std::numbers::ln2, "that is ln 2: the ties went to cat and truck. A tie goes to the lower mode index "
                                     "(dog, cat, car, truck): replace the best anchor only when one is strictly nearer."}});
}

TEST_CASE("Part 4: a single sample has entropy 0", "[part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    check_entropy(dataset, {{Mode::truck, 1}}, Category::vehicle, 0.0);
}

TEST_CASE("Part 4: the entropy is the same number whichever z2 the samples were drawn for", "[part4]") {
    // H is over the four modes' frequencies; z2 does not enter the formula.
    const SyntheticDataset dataset(tiny_dataset_options());
    const Tensor points = z1_points(dataset, {{Mode::dog, 6}, {Mode::car, 2}});
    const double as_animal = compute_conditional_entropy(points, Category::animal, dataset);
    const double as_vehicle = compute_conditional_entropy(points, Category::vehicle, dataset);
    CAPTURE(as_animal, as_vehicle);
    check_value("H for z2 = vehicle (versus z2 = animal)", as_vehicle, as_animal, 1e-12);
    check_value("H for 6 dog, 2 car", as_animal, entropy_of({6, 2}), 1e-9);
}

TEST_CASE("Part 4: no samples at all is an error (std::invalid_argument)", "[part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    INFO("with no samples p = count / N is 0/0: throw std::invalid_argument instead");
    REQUIRE_THROWS_AS(compute_conditional_entropy(Tensor::zeros({0, 2}), Category::animal, dataset),
                      std::invalid_argument);
}
