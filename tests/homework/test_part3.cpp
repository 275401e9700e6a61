// test_part3.cpp — public tests of Part 3, compute_mode_coverage (homework/metrics.cpp).
//
// Run them alone with   ./build/tests/hd_tests "[part3]"
//
// Most "generated" images are the dataset's own reference images plus a little pixel
// noise, so the nearest-reference mode of each one is known for certain. The last tests
// blend two references of different categories near 50/50, so that the nearest reference
// wins by a small margin; the test finds it by brute force over every reference.
#include "tests/homework/part_support.h"

#include <array>
#include <limits>
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

/// The reference nearest to `image` (3·S·S floats) among those of the modes `allowed`
/// accepts: the test's own brute-force search.
struct Nearest {
    Mode mode = Mode::dog;
    int64_t index = -1;
    double distance = std::numeric_limits<double>::infinity();
};

template <typename Allowed>
Nearest nearest_reference(const float* image, const SyntheticDataset& dataset, Allowed allowed) {
    Nearest nearest;
    for (Mode mode : all_modes()) {
        if (!allowed(mode)) continue;
        const Tensor refs = dataset.references(mode);
        const int64_t per_image = refs.numel() / refs.size(0);
        for (int64_t r = 0; r < refs.size(0); ++r) {
            double distance = 0.0;
            for (int64_t k = 0; k < per_image; ++k) {
                const double difference = double(image[k]) - double(refs.data()[r * per_image + k]);
                distance += difference * difference;
            }
            if (distance < nearest.distance) nearest = {mode, r, distance};
        }
    }
    return nearest;
}

/// One image (1,3,S,S): per colour channel c, weight_of_a[c] · (reference ra of a) +
/// (1 − weight_of_a[c]) · (reference rb of b).
Tensor blend(const SyntheticDataset& dataset, Mode a, int64_t ra, Mode b, int64_t rb,
             const std::array<float, 3>& weight_of_a) {
    const int64_t size = dataset.image_size(), plane = size * size;
    const float* ref_a = dataset.references(a).data() + ra * 3 * plane;
    const float* ref_b = dataset.references(b).data() + rb * 3 * plane;
    Tensor image = Tensor::empty({1, 3, size, size});
    for (int64_t c = 0; c < 3; ++c)
        for (int64_t i = c * plane; i < (c + 1) * plane; ++i)
            image.data()[i] = weight_of_a[c] * ref_a[i] + (1.0f - weight_of_a[c]) * ref_b[i];
    return image;
}

/// Runs Part 3 on the single blended image for each z2: coverage must be 1/2 for the
/// category of the image's nearest reference and 0 for the other. `hint` says what a
/// wrong answer most likely means.
void check_blend(const SyntheticDataset& dataset, Mode a, int64_t ra, Mode b, int64_t rb,
                 const std::array<float, 3>& weight_of_a, const std::string& hint) {
    const Tensor image = blend(dataset, a, ra, b, rb, weight_of_a);
    const Nearest nearest = nearest_reference(image.data(), dataset, [](Mode) { return true; });
    const Nearest runner_up = nearest_reference(image.data(), dataset, [&](Mode mode) {
        return category_of(mode) != category_of(nearest.mode);
    });
    INFO(fmt::format("the sample is, per colour channel (R, G, B), ({:.2f}, {:.2f}, {:.2f}) x {} reference {} "
                     "+ the rest x {} reference {}",
                     weight_of_a[0], weight_of_a[1], weight_of_a[2], to_string(a), ra, to_string(b), rb));
    INFO(fmt::format("its nearest reference is {} reference {} (squared distance {:.2f}); the nearest of another "
                     "category is {} reference {} ({:.2f})",
                     to_string(nearest.mode), nearest.index, nearest.distance, to_string(runner_up.mode),
                     runner_up.index, runner_up.distance));
    for (Category z2 : {Category::animal, Category::vehicle}) {
        const ModeCoverage coverage = compute_mode_coverage(image, z2, dataset);
        const int64_t expected = category_of(nearest.mode) == z2 ? 1 : 0;
        if (coverage.num_modes_found == expected)
            SUCCEED(fmt::format("for z2 = {} num_modes_found is {}", to_string(z2), expected));
        else
            FAIL_CHECK(fmt::format("for z2 = {} num_modes_found is {}, expected {}: the sample's mode is {}. {}",
                                   to_string(z2), coverage.num_modes_found, expected, to_string(nearest.mode), hint));
    }
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

TEST_CASE("Part 3: a sample between two modes goes to its nearest reference, also a mode's last one", "[part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const int64_t last = dataset.references(Mode::dog).size(0) - 1;
    const std::string hint = "This sample lies just on the side of a mode's LAST reference: does your search visit "
                             "every r from 0 to references(mode).size(0) - 1?";
    // 51 % of a mode's last reference and 49 % of another category's reference: the last
    // reference is nearer, by a few per cent of the distance.
    const std::array<float, 3> even{0.51f, 0.51f, 0.51f};
    SECTION("dog's last reference and a car") { check_blend(dataset, Mode::dog, last, Mode::car, 0, even, hint); }
    SECTION("cat's last reference and a truck") { check_blend(dataset, Mode::cat, last, Mode::truck, 4, even, hint); }
    SECTION("car's last reference and a cat") { check_blend(dataset, Mode::car, last, Mode::cat, 7, even, hint); }
    SECTION("truck's last reference and a dog") { check_blend(dataset, Mode::truck, last, Mode::dog, 2, even, hint); }
}

TEST_CASE("Part 3: the distance to a reference sums over all three colour channels", "[part3]") {
    const SyntheticDataset dataset(tiny_dataset_options());
    const std::string hint = "In the red channel alone this sample is nearer another mode; over all three channels "
                             "it is nearer this one: sum (sample - reference)² over all 3·S·S values.";
    // Red leans towards b, green and blue towards a: only the sum over every channel
    // decides for a.
    const std::array<float, 3> red_leans_away{0.3f, 0.75f, 0.75f};
    SECTION("a dog with a car's red") { check_blend(dataset, Mode::dog, 1, Mode::car, 3, red_leans_away, hint); }
    SECTION("a cat with a truck's red") { check_blend(dataset, Mode::cat, 5, Mode::truck, 6, red_leans_away, hint); }
    SECTION("a truck with a dog's red") { check_blend(dataset, Mode::truck, 8, Mode::dog, 9, red_leans_away, hint); }
    SECTION("a car with a cat's red") { check_blend(dataset, Mode::car, 10, Mode::cat, 11, red_leans_away, hint); }
}
