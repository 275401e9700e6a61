// Tests for diffusion/mode_classifier.h: its training data, that it learns, and its cache.
#include "autograd/ops.h"
#include "diffusion/mode_classifier.h"
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <iostream>

using namespace hd;

TEST_CASE("negatives and colour augmentation stay in [-1, 1] and are reproducible", "[classifier]") {
    SyntheticDataset dataset({.image_size = 16, .references_per_mode = 4});
    Generator a(1), b(1);
    Tensor negatives = make_negatives(dataset, 8, a);
    CHECK(negatives.shape() == Shape{8, 3, 16, 16});
    CHECK(make_negatives(dataset, 8, b).to_vector() == negatives.to_vector());
    Tensor augmented = negatives.clone();
    augment_colours(augmented, a);
    CHECK(augmented.to_vector() != negatives.to_vector());
    for (float v : augmented.to_vector()) REQUIRE((v >= -1.0f && v <= 1.0f));
    for (float v : negatives.to_vector()) REQUIRE((v >= -1.0f && v <= 1.0f));
}

TEST_CASE("the sampling-artifact augmentation blurs or speckles, stays in [-1, 1] and is reproducible", "[classifier]") {
    SyntheticDataset dataset({.image_size = 16, .references_per_mode = 4});
    Tensor clean = dataset.references(Mode::truck);
    Tensor first = clean.clone(), second = clean.clone();
    Generator a(7), b(7);
    augment_sampling_artifacts(first, a);
    augment_sampling_artifacts(second, b);
    CHECK(first.to_vector() == second.to_vector());
    for (float v : first.to_vector()) REQUIRE((v >= -1.0f && v <= 1.0f));
    // Every image changes, but stays close to its clean self: a soft or speckled truck,
    // not another picture (mean absolute change per value well under the noise cap of 0.2).
    const int64_t numel = 3 * 16 * 16;
    for (int64_t i = 0; i < clean.size(0); ++i) {
        double change = 0.0;
        for (int64_t k = 0; k < numel; ++k) change += std::abs(first.data()[i * numel + k] - clean.data()[i * numel + k]);
        change /= double(numel);
        CHECK(change > 0.0);
        CHECK(change < 0.25);
    }
}

TEST_CASE("the classifier learns the modes and rejects negatives, and its cache round-trips", "[classifier]") {
    SyntheticDataset dataset({.image_size = 16, .references_per_mode = 4});
    const std::string cache = (std::filesystem::temp_directory_path() / "hd_test_classifier.safetensors").string();
    std::filesystem::remove(cache);
    const ClassifierOptions options{.channels = 8, .steps = 150, .batch_size = 32};
    bool trained = false;
    auto classifier = load_or_train_mode_classifier(cache, dataset, options, trained);
    CHECK(trained);
    ClassifierValidation v = validate_mode_classifier(*classifier, dataset, 32);
    std::cout << "mode classifier (16x16, 150 steps): real accuracy " << v.real_accuracy << ", negatives rejected "
              << v.negative_rejection << "\n";
    CHECK(v.real_accuracy >= 0.9);
    CHECK(v.negative_rejection >= 0.7);

    auto cached = load_or_train_mode_classifier(cache, dataset, options, trained);
    CHECK_FALSE(trained);
    Tensor images = dataset.references(Mode::cat);
    std::vector<Verdict> first = classify(*classifier, images), second = classify(*cached, images);
    for (size_t i = 0; i < first.size(); ++i) {
        CHECK(first[i].label == second[i].label);
        CHECK(first[i].probability == second[i].probability);
    }
    std::filesystem::remove(cache);
}
