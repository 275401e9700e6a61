// test_dataset.cpp — the synthetic dog/cat/car/truck dataset and its mode classifiers.
//
// Each image is rendered procedurally, so these tests pin the contract (shapes, range,
// determinism, probabilities, labels, option checks) and measure the nearest-reference
// classifier on held-out images; whether the pictures *look* right is checked by eye
// (docs/images/dataset_grid.png).
#include "diffusion/dataset.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

using hd::Category;
using hd::DatasetOptions;
using hd::Mode;
using hd::SyntheticDataset;
using hd::Tensor;

namespace {

bool bitwise_equal(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() &&
           std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.numel())) == 0;
}

/// The message of the std::invalid_argument that constructing a dataset throws ("" if none).
std::string construction_error(const DatasetOptions& options) {
    try {
        SyntheticDataset dataset(options);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

/// `per_mode` held-out images of every mode (indices far from any a test would reuse).
Tensor held_out_images(const SyntheticDataset& dataset, int64_t per_mode, std::vector<Mode>& truth) {
    const int64_t size = dataset.image_size(), image_numel = 3 * size * size;
    Tensor images = Tensor::empty({hd::kNumModes * per_mode, 3, size, size});
    truth.clear();
    for (Mode m : hd::all_modes())
        for (int64_t k = 0; k < per_mode; ++k) {
            dataset.render_into(m, 900'000 + static_cast<uint64_t>(k),
                                images.data() + static_cast<int64_t>(truth.size()) * image_numel);
            truth.push_back(m);
        }
    return images;
}

}  // namespace

TEST_CASE("Rendered images have shape 3xSxS and values between -1 and 1", "[dataset]") {
    int size = GENERATE(64, 32, 16);
    CAPTURE(size);
    SyntheticDataset dataset({.image_size = size, .references_per_mode = 4});
    for (Mode m : hd::all_modes()) {
        CAPTURE(hd::to_string(m));
        Tensor image = dataset.render(m, 3);
        REQUIRE(image.shape() == hd::Shape{3, size, size});
        auto [lo, hi] = std::minmax_element(image.data(), image.data() + image.numel());
        CHECK(*lo >= -1.0f);
        CHECK(*hi <= 1.0f);
        CHECK(*hi - *lo > 0.5f);  // an object on a background, not a flat picture
        CHECK(dataset.references(m).shape() == hd::Shape{4, 3, size, size});
    }
}

TEST_CASE("The same seed and index give a bitwise-identical image and other indices or seeds another",
          "[dataset]") {
    SyntheticDataset first({.image_size = 32, .seed = 7, .references_per_mode = 2});
    SyntheticDataset second({.image_size = 32, .seed = 7, .references_per_mode = 2});
    SyntheticDataset other_seed({.image_size = 32, .seed = 8, .references_per_mode = 2});
    for (Mode m : hd::all_modes()) {
        for (uint64_t index : {uint64_t{0}, uint64_t{1}, uint64_t{123456789}}) {
            CAPTURE(hd::to_string(m), index);
            Tensor image = first.render(m, index);
            CHECK(bitwise_equal(image, first.render(m, index)));
            CHECK(bitwise_equal(image, second.render(m, index)));
            CHECK_FALSE(bitwise_equal(image, first.render(m, index + 1)));
            CHECK_FALSE(bitwise_equal(image, other_seed.render(m, index)));
        }
        CAPTURE(hd::to_string(m));
        CHECK(bitwise_equal(first.references(m), second.references(m)));
    }
}

TEST_CASE("References are the images of the reserved index range, at full size when asked", "[dataset]") {
    SyntheticDataset dataset({.image_size = 32, .seed = 3, .references_per_mode = 3, .reference_resolution = 0});
    for (Mode m : hd::all_modes())
        for (int64_t r = 0; r < 3; ++r) {
            CAPTURE(hd::to_string(m), r);
            Tensor expected = dataset.render(m, SyntheticDataset::kReferenceIndexBase + r);
            const float* reference = dataset.references(m).data() + r * expected.numel();
            CHECK(std::memcmp(reference, expected.data(), sizeof(float) * expected.numel()) == 0);
        }
}

TEST_CASE("References hold the block means of those images, seen at 16x16", "[dataset]") {
    CHECK(hd::reference_block_size(64, 16) == 4);
    CHECK(hd::reference_block_size(32, 16) == 2);
    CHECK(hd::reference_block_size(48, 16) == 3);
    CHECK(hd::reference_block_size(40, 16) == 2);   // 20x20: the nearest resolution above 16 that tiles 40
    CHECK(hd::reference_block_size(20, 16) == 1);
    CHECK(hd::reference_block_size(16, 16) == 1);
    CHECK(hd::reference_block_size(64, 0) == 1);
    CHECK_THROWS_WITH(SyntheticDataset({.image_size = 16, .reference_resolution = -1}),
                      Catch::Contains("reference_resolution = -1 (valid: 0 for the full size"));

    const int64_t size = 32, block = 2, plane = size * size;
    SyntheticDataset dataset({.image_size = size, .seed = 3, .references_per_mode = 2});
    for (Mode m : hd::all_modes())
        for (int64_t r = 0; r < 2; ++r) {
            CAPTURE(hd::to_string(m), r);
            const Tensor full = dataset.render(m, SyntheticDataset::kReferenceIndexBase + r);
            const float* reference = dataset.references(m).data() + r * 3 * plane;
            double worst = 0.0;
            for (int64_t c = 0; c < 3; ++c)
                for (int64_t y = 0; y < size; ++y)
                    for (int64_t x = 0; x < size; ++x) {
                        const int64_t y0 = y / block * block, x0 = x / block * block;
                        double mean = 0.0;
                        for (int64_t dy = 0; dy < block; ++dy)
                            for (int64_t dx = 0; dx < block; ++dx) mean += full.data()[c * plane + (y0 + dy) * size + x0 + dx];
                        mean /= double(block * block);
                        worst = std::max(worst, std::abs(mean - reference[c * plane + y * size + x]));
                    }
            CHECK(worst < 1e-6);
        }
}

TEST_CASE("The nearest block-mean reference is the nearest reference compared at 16x16", "[dataset]") {
    // ‖x − P r‖² = ‖x − P x‖² + ‖P x − P r‖² for the block-mean projection P: the search
    // on full-size images against dataset.references() equals the search on pooled images
    // against pooled images of the reserved range.
    const int64_t size = 64, block = 4, small = size / block;
    SyntheticDataset dataset({.image_size = size, .references_per_mode = 8});
    SyntheticDataset full({.image_size = size, .references_per_mode = 8, .reference_resolution = 0});
    auto pooled = [&](const float* image) {
        std::vector<double> out(3 * small * small, 0.0);
        for (int64_t c = 0; c < 3; ++c)
            for (int64_t y = 0; y < size; ++y)
                for (int64_t x = 0; x < size; ++x)
                    out[(c * small + y / block) * small + x / block] += image[(c * size + y) * size + x] / double(block * block);
        return out;
    };
    std::vector<Mode> truth;
    const Tensor images = held_out_images(dataset, 6, truth);
    // Blends of two modes' images: their nearest reference is decided by a small margin.
    Tensor blends = Tensor::empty({12, 3, size, size});
    for (int64_t i = 0; i < 12; ++i) {
        const float* a = images.data() + i * 3 * size * size;
        const float* b = images.data() + (23 - i) * 3 * size * size;
        const float w = 0.35f + 0.025f * float(i);
        for (int64_t k = 0; k < 3 * size * size; ++k) blends.data()[i * 3 * size * size + k] = w * a[k] + (1 - w) * b[k];
    }
    const std::vector<Mode> found = hd::classify_by_nearest_reference(blends, dataset);
    for (int64_t i = 0; i < 12; ++i) {
        CAPTURE(i);
        const std::vector<double> x = pooled(blends.data() + i * 3 * size * size);
        double best = std::numeric_limits<double>::infinity();
        Mode expected = Mode::dog;
        for (Mode m : hd::all_modes())
            for (int64_t r = 0; r < 8; ++r) {
                const std::vector<double> ref = pooled(full.references(m).data() + r * 3 * size * size);
                double distance = 0.0;
                for (size_t k = 0; k < x.size(); ++k) distance += (x[k] - ref[k]) * (x[k] - ref[k]);
                if (distance < best) best = distance, expected = m;
            }
        CHECK(found[i] == expected);
    }
}

TEST_CASE("Images of one mode vary while their backgrounds stay calm", "[dataset]") {
    // Calm = unsaturated: the pilot run found that saturated backgrounds made generated
    // samples look object-less. The top-left pixel is always sky.
    SyntheticDataset dataset({.image_size = 32, .references_per_mode = 1});
    const int64_t count = 32, plane = 32 * 32;
    for (Mode m : hd::all_modes()) {
        CAPTURE(hd::to_string(m));
        std::vector<Tensor> images;
        for (int64_t k = 0; k < count; ++k) images.push_back(dataset.render(m, k));
        // Mean over pixels of the per-pixel standard deviation across the 32 images.
        double spread = 0.0;
        for (int64_t i = 0; i < 3 * plane; ++i) {
            double sum = 0.0, sum_sq = 0.0;
            for (const Tensor& image : images) {
                sum += image.data()[i];
                sum_sq += image.data()[i] * image.data()[i];
            }
            double mean = sum / count;
            spread += std::sqrt(std::max(0.0, sum_sq / count - mean * mean));
        }
        spread /= 3 * plane;
        CAPTURE(spread);
        CHECK(spread > 0.1);
        for (const Tensor& image : images) {
            float r = image.data()[0], g = image.data()[plane], b = image.data()[2 * plane];
            float saturation = (std::max({r, g, b}) - std::min({r, g, b})) / 2.0f;  // in [0,1] units
            CAPTURE(r, g, b);
            CHECK(saturation < 0.35f);
        }
    }
}

TEST_CASE("Anchors are L2-normalised and distinct and match anchor()", "[dataset]") {
    SyntheticDataset dataset({.image_size = 16, .references_per_mode = 1});
    Tensor anchors = dataset.anchors();
    REQUIRE(anchors.shape() == hd::Shape{4, 2});
    for (int i = 0; i < hd::kNumModes; ++i) {
        CAPTURE(i);
        float x = anchors.at({i, 0}), y = anchors.at({i, 1});
        CHECK(std::sqrt(x * x + y * y) == Approx(1.0f).margin(1e-6));
        Tensor single = dataset.anchor(static_cast<Mode>(i));
        REQUIRE(single.shape() == hd::Shape{2});
        CHECK(single.at({0}) == Approx(x).margin(0.0));
        CHECK(single.at({1}) == Approx(y).margin(0.0));
        for (int j = 0; j < i; ++j) {
            CAPTURE(j);
            float dx = x - anchors.at({j, 0}), dy = y - anchors.at({j, 1});
            CHECK(std::sqrt(dx * dx + dy * dy) >= 1.4f);  // 90° apart or more: sqrt(2)
        }
    }
}

TEST_CASE("p_data sums to one within each z2 and is zero off-category", "[dataset]") {
    double p_dog = GENERATE(0.5, 0.8, 0.0);
    double p_car = GENERATE(0.5, 0.3, 1.0);
    CAPTURE(p_dog, p_car);
    SyntheticDataset dataset({.image_size = 16,
                              .p_dog_given_animal = p_dog,
                              .p_car_given_vehicle = p_car,
                              .references_per_mode = 1});
    CHECK(dataset.p_data(Mode::dog, Category::animal) == Approx(p_dog).margin(1e-12));
    CHECK(dataset.p_data(Mode::car, Category::vehicle) == Approx(p_car).margin(1e-12));
    for (Category c : {Category::animal, Category::vehicle}) {
        CAPTURE(hd::to_string(c));
        double total = 0.0;
        for (Mode m : hd::all_modes()) {
            CAPTURE(hd::to_string(m));
            double p = dataset.p_data(m, c);
            CHECK(p >= 0.0);
            if (hd::category_of(m) != c) CHECK(p == Approx(0.0).margin(0.0));
            total += p;
        }
        CHECK(total == Approx(1.0).margin(1e-12));
    }
}

TEST_CASE("modes_of lists the two modes of each category in index order", "[dataset]") {
    SyntheticDataset dataset({.image_size = 16, .references_per_mode = 1});
    CHECK(dataset.modes_of(Category::animal) == std::vector<Mode>{Mode::dog, Mode::cat});
    CHECK(dataset.modes_of(Category::vehicle) == std::vector<Mode>{Mode::car, Mode::truck});
    for (Category c : {Category::animal, Category::vehicle})
        for (Mode m : dataset.modes_of(c)) CHECK(hd::category_of(m) == c);
}

TEST_CASE("Names round-trip and unknown names are rejected with the valid choices", "[dataset]") {
    for (Mode m : hd::all_modes()) CHECK(hd::parse_mode(hd::to_string(m)) == m);
    CHECK(hd::parse_category("animal") == Category::animal);
    CHECK(hd::parse_category("vehicle") == Category::vehicle);
    CHECK_THROWS_WITH(hd::parse_category("plant"), "unknown z2 'plant' (valid: animal, vehicle)");
    CHECK_THROWS_WITH(hd::parse_category("Animal"), Catch::Contains("valid: animal, vehicle"));
    CHECK_THROWS_WITH(hd::parse_mode("horse"), Catch::Contains("valid: dog, cat, car, truck"));
}

TEST_CASE("sample_batch frequencies match p_data", "[dataset]") {
    double p_dog = GENERATE(0.5, 0.8);
    double p_car = GENERATE(0.5, 0.3);
    CAPTURE(p_dog, p_car);
    SyntheticDataset dataset({.image_size = 16,
                              .p_dog_given_animal = p_dog,
                              .p_car_given_vehicle = p_car,
                              .references_per_mode = 1});
    hd::Generator gen(11);
    const int64_t batch_size = 8000;
    SyntheticDataset::Batch batch = dataset.sample_batch(batch_size, gen);
    int64_t counts[hd::kNumModes] = {};
    for (Mode m : batch.modes) ++counts[static_cast<int>(m)];
    double animals = counts[0] + counts[1], vehicles = counts[2] + counts[3];
    // Tolerances are about 5 standard deviations of each binomial estimate.
    CHECK(animals / batch_size == Approx(0.5).margin(0.03));
    double margin_dog = 5 * std::sqrt(p_dog * (1 - p_dog) / animals) + 1e-9;
    double margin_car = 5 * std::sqrt(p_car * (1 - p_car) / vehicles) + 1e-9;
    CHECK(counts[0] / animals == Approx(p_dog).margin(margin_dog));
    CHECK(counts[2] / vehicles == Approx(p_car).margin(margin_car));
}

TEST_CASE("sample_batch labels z1 with the mode's anchor and z2 with the category's one-hot", "[dataset]") {
    SyntheticDataset dataset({.image_size = 16, .references_per_mode = 1});
    hd::Generator gen(5);
    const int64_t batch_size = 64;
    SyntheticDataset::Batch batch = dataset.sample_batch(batch_size, gen);
    REQUIRE(batch.images.shape() == hd::Shape{batch_size, 3, 16, 16});
    REQUIRE(batch.z1.shape() == hd::Shape{batch_size, 2});
    REQUIRE(batch.z2_onehot.shape() == hd::Shape{batch_size, 2});
    REQUIRE(batch.modes.size() == static_cast<size_t>(batch_size));
    REQUIRE(batch.categories.size() == static_cast<size_t>(batch_size));
    Tensor anchors = dataset.anchors();
    for (int64_t b = 0; b < batch_size; ++b) {
        int m = static_cast<int>(batch.modes[b]), c = static_cast<int>(batch.categories[b]);
        CAPTURE(b, m, c);
        CHECK(hd::category_of(batch.modes[b]) == batch.categories[b]);
        CHECK(batch.z1.at({b, 0}) == Approx(anchors.at({m, 0})).margin(0.0));
        CHECK(batch.z1.at({b, 1}) == Approx(anchors.at({m, 1})).margin(0.0));
        CHECK(batch.z2_onehot.at({b, c}) == Approx(1.0f).margin(0.0));
        CHECK(batch.z2_onehot.at({b, 1 - c}) == Approx(0.0f).margin(0.0));
    }
}

TEST_CASE("sample_batch depends on the generator only and not on the thread count", "[dataset]") {
    SyntheticDataset dataset({.image_size = 32, .references_per_mode = 1});
    int threads_before = omp_get_max_threads();
    omp_set_num_threads(1);
    hd::Generator gen_serial(21);
    SyntheticDataset::Batch serial = dataset.sample_batch(24, gen_serial);
    omp_set_num_threads(std::max(2, threads_before));
    hd::Generator gen_parallel(21);
    SyntheticDataset::Batch parallel = dataset.sample_batch(24, gen_parallel);
    omp_set_num_threads(threads_before);
    CHECK(serial.modes == parallel.modes);
    CHECK(bitwise_equal(serial.images, parallel.images));
    CHECK(bitwise_equal(serial.z1, parallel.z1));
    // A second batch from the same generator is new data.
    SyntheticDataset::Batch next = dataset.sample_batch(24, gen_serial);
    CHECK_FALSE(bitwise_equal(serial.images, next.images));
}

TEST_CASE("Invalid options are rejected with a message naming the valid choices", "[dataset]") {
    SECTION("image sizes that are not a multiple of 4 of at least 16") {
        int size = GENERATE(0, 12, 30, 63, -64);
        CAPTURE(size);
        std::string message = construction_error({.image_size = size});
        CAPTURE(message);
        CHECK_THAT(message, Catch::Contains("image_size " + std::to_string(size)) &&
                                Catch::Contains("valid: a multiple of 4 that is at least 16"));
        CHECK(message.find('\n') == std::string::npos);
    }
    SECTION("probabilities outside [0, 1]") {
        double p = GENERATE(-0.1, 1.5, std::numeric_limits<double>::quiet_NaN());
        CAPTURE(p);
        CHECK_THAT(construction_error({.image_size = 16, .p_dog_given_animal = p}),
                   Catch::Contains("p_dog_given_animal") && Catch::Contains("valid: 0 <= p <= 1"));
        CHECK_THAT(construction_error({.image_size = 16, .p_car_given_vehicle = p}),
                   Catch::Contains("p_car_given_vehicle") && Catch::Contains("valid: 0 <= p <= 1"));
    }
    SECTION("no references") {
        CHECK_THAT(construction_error({.image_size = 16, .references_per_mode = 0}),
                   Catch::Contains("references_per_mode") && Catch::Contains("valid: at least 1"));
    }
    SECTION("an empty batch") {
        SyntheticDataset dataset({.image_size = 16, .references_per_mode = 1});
        hd::Generator gen(0);
        CHECK_THROWS_AS(dataset.sample_batch(0, gen), std::invalid_argument);
    }
}

TEST_CASE("The nearest-reference classifier labels held-out images correctly", "[dataset]") {
    int size = GENERATE(64, 32);
    CAPTURE(size);
    SyntheticDataset dataset({.image_size = size});  // default references_per_mode
    std::vector<Mode> truth;
    Tensor images = held_out_images(dataset, 250, truth);
    std::vector<Mode> predicted = hd::classify_by_nearest_reference(images, dataset);
    REQUIRE(predicted.size() == truth.size());
    int64_t correct = 0;
    int64_t confusion[hd::kNumModes][hd::kNumModes] = {};
    for (size_t i = 0; i < truth.size(); ++i) {
        correct += predicted[i] == truth[i];
        ++confusion[static_cast<int>(truth[i])][static_cast<int>(predicted[i])];
    }
    double accuracy = static_cast<double>(correct) / truth.size();
    std::string rows;
    for (int t = 0; t < hd::kNumModes; ++t) {
        rows += "\n  " + hd::to_string(static_cast<Mode>(t)) + " ->";
        for (int p = 0; p < hd::kNumModes; ++p) rows += " " + std::to_string(confusion[t][p]);
    }
    WARN("nearest-reference accuracy at S=" << size << ", R=" << dataset.options().references_per_mode
                                            << ": " << 100.0 * accuracy << " % of " << truth.size()
                                            << " held-out images; confusion (true -> dog cat car truck):"
                                            << rows);
    CHECK(accuracy >= 0.99);
    // The single-image entry point agrees with the batched one.
    for (size_t i = 0; i < truth.size(); i += 97) {
        CAPTURE(i);
        CHECK(hd::nearest_reference_mode(images.data() + i * 3 * size * size, dataset) == predicted[i]);
    }
}

TEST_CASE("A reference image is classified as its own mode", "[dataset]") {
    SyntheticDataset dataset({.image_size = 16, .references_per_mode = 5});
    for (Mode m : hd::all_modes()) {
        CAPTURE(hd::to_string(m));
        std::vector<Mode> modes = hd::classify_by_nearest_reference(dataset.references(m), dataset);
        CHECK(std::all_of(modes.begin(), modes.end(), [m](Mode p) { return p == m; }));
    }
}

TEST_CASE("classify_by_nearest_reference rejects images of the wrong shape", "[dataset]") {
    SyntheticDataset dataset({.image_size = 16, .references_per_mode = 1});
    using hd::classify_by_nearest_reference;
    CHECK_THROWS_AS(classify_by_nearest_reference(Tensor::zeros({2, 3, 32, 32}), dataset), hd::ShapeError);
    CHECK_THROWS_AS(classify_by_nearest_reference(Tensor::zeros({3, 16, 16}), dataset), hd::ShapeError);
    CHECK_THROWS_WITH(classify_by_nearest_reference(Tensor::zeros({2, 1, 16, 16}), dataset),
                      Catch::Contains("(2,1,16,16)") && Catch::Contains("expected (N,3,16,16)"));
}

TEST_CASE("The nearest-anchor classifier picks the closest anchor", "[dataset]") {
    SyntheticDataset dataset({.image_size = 16, .references_per_mode = 1});
    // Points near each anchor (noisy, not normalised), then the lower-index tie rule.
    Tensor z1 = Tensor::from_vector({0.9f, 0.2f,     // dog (1,0)
                                     -0.1f, 1.7f,    // cat (0,1)
                                     -0.4f, 0.1f,    // car (-1,0)
                                     0.3f, -0.5f,    // truck (0,-1)
                                     0.5f, 0.5f},    // between dog and cat: the lower index
                                    {5, 2});
    std::vector<Mode> modes = hd::classify_by_nearest_anchor(z1, dataset);
    CHECK(modes == std::vector<Mode>{Mode::dog, Mode::cat, Mode::car, Mode::truck, Mode::dog});
    CHECK(hd::classify_by_nearest_anchor(dataset.anchors(), dataset) ==
          std::vector<Mode>{Mode::dog, Mode::cat, Mode::car, Mode::truck});
    CHECK_THROWS_AS(hd::classify_by_nearest_anchor(Tensor::zeros({4, 3}), dataset), hd::ShapeError);
}

TEST_CASE("set_p_data reads 'dog=0.8,car=0.5' and refuses malformed lists in one line", "[dataset]") {
    hd::DatasetOptions options;
    hd::set_p_data(options, "dog=0.8,car=0.25");
    CHECK(options.p_dog_given_animal == Approx(0.8).margin(1e-12));
    CHECK(options.p_car_given_vehicle == Approx(0.25).margin(1e-12));
    hd::set_p_data(options, "truck=0.9"); // names the other vehicle mode; the animals keep theirs
    CHECK(options.p_car_given_vehicle == Approx(0.1).margin(1e-12));
    CHECK(options.p_dog_given_animal == Approx(0.8).margin(1e-12));
    hd::set_p_data(options, "cat=1");
    CHECK(options.p_dog_given_animal == Approx(0.0).margin(1e-12));

    hd::DatasetOptions round_trip;
    hd::set_p_data(round_trip, hd::p_data_spec(options));
    CHECK(round_trip.p_dog_given_animal == options.p_dog_given_animal);
    CHECK(round_trip.p_car_given_vehicle == options.p_car_given_vehicle);

    for (const char* bad : {"", "dog", "dog=", "dog=1.5", "dog=-0.1", "dog=nan", "dog=0.5x", "horse=0.5",
                            "dog=0.5,cat=0.5", "dog=0.5,,car=0.5"}) {
        CAPTURE(bad);
        hd::DatasetOptions untouched;
        try {
            hd::set_p_data(untouched, bad);
            FAIL("accepted");
        } catch (const std::invalid_argument& e) {
            const std::string message = e.what();
            CHECK(message.find("valid: e.g. dog=0.8,car=0.5") != std::string::npos);
            CHECK(message.find('\n') == std::string::npos);
        }
    }
}
