// test_part3.cpp — public tests of Part 3, compute_mode_coverage (homework/metrics.cpp).
//
// Run them alone with   ./build/tests/hd_tests "[part3]"
//
// The "generated" images are the dataset's own reference images plus a little pixel
// noise, so the nearest-reference mode of each one is known for certain.
#include "tests/homework/part_support.h"

#include <stdexcept>

using namespace hd;
using namespace hd::part_test;

namespace {

/// Runs Part 3 on images built from `counts` and checks all three fields.
void check_coverage(const SyntheticDataset& dataset, const std::vector<std::pair<Mode, int>>& counts, Category z2,
                    int64_t expected_found, const std::vector<Hint>& ratio_hints = {}) {
    INFO(fmt::format("samples: {} (generated for z2 = {})", describe_counts(counts), to_string(z2)));
    const ModeCoverage coverage = compute_mode_coverage(images_of(dataset, counts), z2, dataset);
    CAPTURE(coverage.num_modes_found, coverage.total_possible_modes, coverage.coverage_ratio);
    if (coverage.total_possible_modes != 2)
        FAIL(fmt::format("total_possible_modes is {}, but z2 = {} has 2 modes{}", coverage.total_possible_modes,
                         to_string(z2),
                         coverage.total_possible_modes == 4 ? ": count the modes OF z2 (dataset.modes_of), not all four"
                                                            : ""));
    if (coverage.num_modes_found != expected_found) {
        std::string why;
        if (coverage.num_modes_found > 2)
            why = ": it can be at most 2 — only modes of z2 count, and each counts once";
        FAIL(fmt::format("num_modes_found is {}, expected {}{}", coverage.num_modes_found, expected_found, why));
    }
    check_value("coverage_ratio", coverage.coverage_ratio, expected_found / 2.0, 1e-12,
                {{0.0, "Is num_modes_found / total_possible_modes an integer division? Convert to double first."}});
}

}  // namespace

TEST_CASE("Part 3: samples of both modes of z2 cover all of them", "[part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    SECTION("animal: dogs and cats") { check_coverage(dataset, {{Mode::dog, 3}, {Mode::cat, 2}}, Category::animal, 2); }
    SECTION("vehicle: cars and trucks") {
        check_coverage(dataset, {{Mode::car, 1}, {Mode::truck, 4}}, Category::vehicle, 2);
    }
}

TEST_CASE("Part 3: samples of one mode only give coverage 1/2", "[part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    SECTION("only dogs for animal") { check_coverage(dataset, {{Mode::dog, 6}}, Category::animal, 1); }
    SECTION("only trucks for vehicle") { check_coverage(dataset, {{Mode::truck, 6}}, Category::vehicle, 1); }
}

TEST_CASE("Part 3: many samples of the same mode count as one mode", "[part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    INFO("num_modes_found counts DISTINCT modes, not samples");
    check_coverage(dataset, {{Mode::cat, 20}}, Category::animal, 1);
}

TEST_CASE("Part 3: samples of the other category do not count as coverage", "[part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    INFO("a car drawn for z2 = animal is a failure of the model: search the references of ALL FOUR modes, "
         "then count only the modes of z2");
    SECTION("only cars and trucks for animal") {
        check_coverage(dataset, {{Mode::car, 3}, {Mode::truck, 3}}, Category::animal, 0);
    }
    SECTION("cats and cars for animal") { check_coverage(dataset, {{Mode::cat, 3}, {Mode::car, 3}}, Category::animal, 1); }
    SECTION("dogs and cats for vehicle") {
        check_coverage(dataset, {{Mode::dog, 2}, {Mode::cat, 2}}, Category::vehicle, 0);
    }
}

TEST_CASE("Part 3: a single sample covers exactly its own mode", "[part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    check_coverage(dataset, {{Mode::car, 1}}, Category::vehicle, 1);
}

TEST_CASE("Part 3: a noisy sample is assigned to its nearest reference, not only to an exact copy", "[part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    // Noise of 0.2 per pixel keeps each image far closer to its own reference than to any other.
    INFO("the samples are reference images plus N(0, 0.2²) noise per pixel: use the smallest squared distance");
    const Tensor images = images_of(dataset, {{Mode::dog, 2}, {Mode::cat, 2}}, 0.2f, 77);
    const ModeCoverage coverage = compute_mode_coverage(images, Category::animal, dataset);
    CAPTURE(coverage.num_modes_found, coverage.total_possible_modes, coverage.coverage_ratio);
    CHECK(coverage.num_modes_found == 2);
    CHECK(coverage.coverage_ratio == Approx(1.0).margin(1e-12));
}

TEST_CASE("Part 3: the total number of modes does not depend on p_data", "[part3]") {
    // Even with p(dog | animal) = 0.8 both modes of animal exist in the data.
    const SyntheticDataset dataset(tiny_dataset_options(0.8, 0.2));
    check_coverage(dataset, {{Mode::dog, 4}}, Category::animal, 1);
}

TEST_CASE("Part 3: no samples at all is an error (std::invalid_argument)", "[part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const Tensor none = Tensor::zeros({0, 3, 16, 16});
    INFO("with no samples the coverage is undefined: throw std::invalid_argument instead of dividing by zero");
    REQUIRE_THROWS_AS(compute_mode_coverage(none, Category::animal, dataset), std::invalid_argument);
}
