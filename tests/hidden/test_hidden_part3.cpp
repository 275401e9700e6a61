// test_hidden_part3.cpp — instructor tests of Part 3 (not in the student release).
#include "tests/homework/part_support.h"

#include <stdexcept>

using namespace hd;
using namespace hd::part_test;

TEST_CASE("Part 3 (hidden): 32x32 images of all four modes give full coverage for each z2", "[hidden][part3]") {
    const SyntheticDataset dataset(tiny_dataset_options(0.5, 0.5, /*image_size=*/32));
    const Tensor images = images_of(dataset, {{Mode::truck, 2}, {Mode::dog, 1}, {Mode::car, 3}, {Mode::cat, 1}}, 0.1f, 5);
    for (Category z2 : {Category::animal, Category::vehicle}) {
        const ModeCoverage coverage = compute_mode_coverage(images, z2, dataset);
        CAPTURE(to_string(z2), coverage.num_modes_found, coverage.total_possible_modes, coverage.coverage_ratio);
        CHECK(coverage.num_modes_found == 2);
        CHECK(coverage.total_possible_modes == 2);
        CHECK(coverage.coverage_ratio == Approx(1.0).margin(1e-12));
    }
}

TEST_CASE("Part 3 (hidden): a large batch of one mode with a few strays", "[hidden][part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const Tensor images = images_of(dataset, {{Mode::car, 40}, {Mode::cat, 3}}, 0.1f, 6);
    const ModeCoverage coverage = compute_mode_coverage(images, Category::vehicle, dataset);
    CAPTURE(coverage.num_modes_found, coverage.total_possible_modes, coverage.coverage_ratio);
    CHECK(coverage.num_modes_found == 1);
    CHECK(coverage.total_possible_modes == 2);
    CHECK(coverage.coverage_ratio == Approx(0.5).margin(1e-12));
}

TEST_CASE("Part 3 (hidden): a batch with no sample of z2 has coverage 0, not an error", "[hidden][part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const ModeCoverage coverage =
        compute_mode_coverage(images_of(dataset, {{Mode::truck, 1}}), Category::animal, dataset);
    CHECK(coverage.num_modes_found == 0);
    CHECK(coverage.coverage_ratio == Approx(0.0).margin(1e-12));
}

TEST_CASE("Part 3 (hidden): an empty 32x32 batch throws std::invalid_argument", "[hidden][part3]") {
    const SyntheticDataset dataset(tiny_dataset_options(0.5, 0.5, 32));
    REQUIRE_THROWS_AS(compute_mode_coverage(Tensor::zeros({0, 3, 32, 32}), Category::vehicle, dataset),
                      std::invalid_argument);
}
