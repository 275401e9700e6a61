// test_hidden_part4.cpp — instructor tests of Part 4 (not in the student release).
#include "tests/homework/part_support.h"

#include <numbers>
#include <stdexcept>

using namespace hd;
using namespace hd::part_test;

TEST_CASE("Part 4 (hidden): a 7:1:1:1 split over all four modes", "[hidden][part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const Tensor points = z1_points(dataset, {{Mode::truck, 7}, {Mode::dog, 1}, {Mode::cat, 1}, {Mode::car, 1}}, 21);
    const double expected = -(0.7 * std::log(0.7) + 3 * 0.1 * std::log(0.1));
    check_value("H(z1 | z2) in nats", compute_conditional_entropy(points, Category::vehicle, dataset), expected, 1e-9);
}

TEST_CASE("Part 4 (hidden): a thousand points split 600/400 between car and truck", "[hidden][part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const Tensor points = z1_points(dataset, {{Mode::car, 600}, {Mode::truck, 400}}, 22);
    const double expected = -(0.6 * std::log(0.6) + 0.4 * std::log(0.4));
    check_value("H(z1 | z2) in nats", compute_conditional_entropy(points, Category::vehicle, dataset), expected, 1e-9);
}

TEST_CASE("Part 4 (hidden): points exactly on the anchors", "[hidden][part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const Tensor anchors = dataset.anchors(); // (4,2): one point per mode
    check_value("H(z1 | z2) in nats", compute_conditional_entropy(anchors, Category::animal, dataset),
                std::log(4.0), 1e-9);
}

TEST_CASE("Part 4 (hidden): the entropy never exceeds ln 4", "[hidden][part4]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    Generator gen(23);
    const Tensor points = Tensor::randn({257, 2}, gen) * 3.0f;
    const double entropy = compute_conditional_entropy(points, Category::animal, dataset);
    CAPTURE(entropy);
    CHECK(entropy >= 0.0);
    CHECK(entropy <= std::log(4.0) + 1e-12);
}
