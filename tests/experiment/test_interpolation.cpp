// test_interpolation.cpp — model B's decoder on chosen z1 (experiment/interpolation.h):
// the path along the unit circle (angles, the shorter way round, ends at the anchors),
// decoding from the same noise, parsing --z1, and hd interpolate's files and refusals.
#include "experiment_support.h"

#include "diffusion/image_io.h"
#include "experiment/errors.h"
#include "experiment/interpolation.h"
#include "experiment/sample_data.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>

using namespace hd;
using namespace hd::test;
using Catch::Matchers::Contains;

namespace {

const SyntheticDataset& dataset16() {
    static const SyntheticDataset dataset(DatasetOptions{.image_size = 16, .references_per_mode = 4});
    return dataset;
}

// Point i of a path, as (x, y).
std::pair<float, float> point(const CirclePath& path, int64_t i) {
    return {path.z1.data()[2 * i], path.z1.data()[2 * i + 1]};
}

void check_point(const CirclePath& path, int64_t i, double x, double y) {
    CAPTURE(i, x, y);
    CHECK(point(path, i).first == Approx(x).margin(1e-6));
    CHECK(point(path, i).second == Approx(y).margin(1e-6));
}

bool same_values(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * a.numel()) == 0;
}

SamplerOptions quick_sampler() {
    SamplerOptions o = default_sampling(); // DDIM with η = 1: noise at every step, too
    o.ddim_steps = 3;
    return o;
}

}  // namespace

TEST_CASE("the circle path starts and ends at the anchors, in equal angles the shorter way round", "[experiment][interpolation]") {
    SECTION("dog to cat: a quarter turn counter-clockwise") {
        const CirclePath path = circle_path(Mode::dog, Mode::cat, 5, dataset16());
        REQUIRE(path.z1.shape() == Shape{5, 2});
        CHECK(path.angles == std::vector<double>{0.0, 22.5, 45.0, 67.5, 90.0});
        check_point(path, 0, 1.0, 0.0);
        check_point(path, 2, std::sqrt(0.5), std::sqrt(0.5));
        check_point(path, 4, 0.0, 1.0);
    }
    SECTION("every point lies on the unit circle") {
        const CirclePath path = circle_path(Mode::cat, Mode::truck, 7, dataset16());
        for (int64_t i = 0; i < 7; ++i) {
            CAPTURE(i);
            CHECK(std::hypot(point(path, i).first, point(path, i).second) == Approx(1.0).margin(1e-6));
        }
    }
    SECTION("dog to truck turns clockwise (90°, not 270°)") {
        const CirclePath path = circle_path(Mode::dog, Mode::truck, 3, dataset16());
        CHECK(path.angles[1] == Approx(-45.0).margin(1e-9));
        check_point(path, 1, std::sqrt(0.5), -std::sqrt(0.5));
        check_point(path, 2, 0.0, -1.0);
    }
    SECTION("car to truck crosses 180° the short way") {
        const CirclePath path = circle_path(Mode::car, Mode::truck, 3, dataset16());
        check_point(path, 0, -1.0, 0.0);
        check_point(path, 1, -std::sqrt(0.5), -std::sqrt(0.5));
        check_point(path, 2, 0.0, -1.0);
    }
    SECTION("opposite anchors go counter-clockwise") {
        check_point(circle_path(Mode::dog, Mode::car, 3, dataset16()), 1, 0.0, 1.0);   // through cat
        check_point(circle_path(Mode::car, Mode::dog, 3, dataset16()), 1, 0.0, -1.0);  // through truck
        check_point(circle_path(Mode::car, Mode::dog, 3, dataset16()), 2, 1.0, 0.0);
    }
}

TEST_CASE("impossible paths are refused with the valid choices", "[experiment][interpolation]") {
    CHECK_THROWS_WITH(circle_path(Mode::dog, Mode::cat, 1, dataset16()), Contains("--steps 1 is impossible (valid: 2 … 64)"));
    CHECK_THROWS_WITH(circle_path(Mode::dog, Mode::cat, 65, dataset16()), Contains("--steps 65 is impossible"));
    CHECK_THROWS_WITH(circle_path(Mode::cat, Mode::cat, 8, dataset16()), Contains("--from and --to are both cat"));
}

TEST_CASE("a chosen z1 (--z1) is two finite numbers", "[experiment][interpolation]") {
    CHECK(parse_z1("0.7,-0.25") == std::array<float, 2>{0.7f, -0.25f});
    CHECK(parse_z1("-1,0") == std::array<float, 2>{-1.0f, 0.0f});
    CHECK_THROWS_WITH(parse_z1("nan,0"), Contains("is not finite (valid: two finite numbers x,y"));
    CHECK_THROWS_WITH(parse_z1("0,-inf"), Contains("is not finite"));
    CHECK_THROWS_WITH(parse_z1("1"), Contains("is not two numbers"));
    CHECK_THROWS_WITH(parse_z1("1,2,3"), Contains("is not two numbers"));
    CHECK_THROWS_WITH(parse_z1("1,x"), Contains("'x' is not a number"));
    CHECK_THROWS_WITH(parse_z1("1, "), Contains("' ' is not a number"));
    CHECK_THROWS_WITH(parse_z1(",1"), Contains("'' is not a number"));
    CHECK_THROWS_WITH(parse_z1("1e6,0"), Contains("too far out"));
    CHECK_THROWS_AS(parse_z1(""), UsageError);
}

TEST_CASE("decoding with shared noise: the same z1 gives the same image wherever it stands", "[experiment][interpolation]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: decoding cannot run");
        return;
    }
    Generator init(0);
    DiffusionModel model_b(tiny_training(ModelKind::hierarchical, "", 1).model, init);
    const Tensor z1 = Tensor::from_vector({1.0f, 0.0f, 0.0f, 1.0f, 1.0f, 0.0f}, {3, 2});
    const Tensor images = decode_with_shared_noise(model_b, z1, quick_sampler(), 9);
    REQUIRE(images.shape() == Shape{3, 3, 16, 16});
    const int64_t tile = 3 * 16 * 16;
    // Rows 0 and 2 share z1 (and the noise): identical; row 1 differs only by z1.
    CHECK(std::memcmp(images.data(), images.data() + 2 * tile, sizeof(float) * tile) == 0);
    CHECK(std::memcmp(images.data(), images.data() + tile, sizeof(float) * tile) != 0);
    // Row 1 is what a fresh Generator(seed) gives for its z1 alone.
    Generator fresh(9);
    const Tensor alone = decode_z1(model_b, Tensor::from_vector({0.0f, 1.0f}, {1, 2}), quick_sampler(), fresh);
    CHECK(std::memcmp(alone.data(), images.data() + tile, sizeof(float) * tile) == 0);
    // Without shared noise, two samples of one z1 differ.
    Generator gen(9);
    const Tensor own_noise = decode_z1(model_b, Tensor::from_vector({1.0f, 0.0f, 1.0f, 0.0f}, {2, 2}), quick_sampler(), gen);
    CHECK(std::memcmp(own_noise.data(), own_noise.data() + tile, sizeof(float) * tile) != 0);

    DiffusionModel model_a(tiny_training(ModelKind::flat, "", 1).model, init);
    CHECK_THROWS_AS(decode_with_shared_noise(model_a, z1, quick_sampler(), 9), UsageError);
    SamplerOptions guided = quick_sampler();
    guided.guidance = 3.0f;
    CHECK_THROWS_WITH(decode_with_shared_noise(model_b, z1, guided, 9), Contains("--guidance"));
}

TEST_CASE("write_interpolation writes a labelled strip and its samples file", "[experiment][interpolation]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: decoding cannot run");
        return;
    }
    TempFolder dir;
    InterpolateOptions o{.model_path = tiny_checkpoint(dir, ModelKind::hierarchical), .from = "cat", .to = "car",
                         .steps = 3, .seed = 2, .output = dir.file("strip.png"), .sampler = quick_sampler()};
    o.classifier.steps = 2, o.quiet = true;
    const InterpolateResult r = write_interpolation(o);
    CHECK(r.from == Mode::cat);
    CHECK(r.to == Mode::car);
    CHECK(r.classifier_cache == dir.file("mode_classifier_s16_d0.safetensors")); // beside the checkpoint, as evaluate
    CHECK(std::filesystem::exists(r.classifier_cache));
    REQUIRE(r.verdicts.size() == 3);
    REQUIRE(r.nearest_mode.size() == 3);

    const RgbImage strip = read_png(r.strip);
    CHECK(strip.width == 2 + 3 * (16 * 4 + 2)); // three 64-pixel tiles in one row
    CHECK(strip.height > 16 * 4 + 2);

    REQUIRE(r.data == dir.file("strip.safetensors"));
    const SampleData d = read_sample_data(r.data);
    CHECK(d.images.shape() == Shape{3, 3, 16, 16});
    CHECK(same_values(d.z1, r.path.z1));
    CHECK(d.nearest_mode == r.nearest_mode);
    REQUIRE(d.verdicts.size() == 3);
    CHECK(d.verdicts[2].label == r.verdicts[2].label);
    CHECK(d.metadata.at("from") == "cat");
    CHECK(d.metadata.at("to") == "car");
    CHECK(d.metadata.at("z1_source") == "interpolation");
    CHECK(d.metadata.at("angles_degrees") == "90.0000,135.0000,180.0000");
    CHECK_THAT(format_interpolation(r), Contains("135.0°"));
}

TEST_CASE("write_interpolation refuses bad values before any work", "[experiment][interpolation]") {
    TempFolder dir;
    InterpolateOptions o{.model_path = tiny_checkpoint(dir, ModelKind::flat), .output = dir.file("strip.png")};
    CHECK_THROWS_WITH(write_interpolation(o), Contains("hd interpolate needs model B (hierarchical)"));
    o.model_path = dir.file("nowhere.safetensors");
    CHECK_THROWS_WITH(write_interpolation(o), Contains("no checkpoint at"));
    o.from = "horse";
    CHECK_THROWS_WITH(write_interpolation(o), Contains("--from: unknown z1 'horse' (valid: dog, cat, car, truck)"));
    o.from = "dog", o.steps = 1000;
    CHECK_THROWS_WITH(write_interpolation(o), Contains("--steps 1000 is impossible"));
    o.steps = 8, o.output = dir.file("strip.jpg");
    CHECK_THROWS_WITH(write_interpolation(o), Contains("is not a PNG path"));
    o.output = dir.file("strip.png"), o.confidence = 0.0f;
    CHECK_THROWS_WITH(write_interpolation(o), Contains("--confidence 0 is impossible"));
    CHECK_FALSE(std::filesystem::exists(dir.file("strip.png")));
}

TEST_CASE("the interpolation table says where the verdict changes", "[experiment][interpolation]") {
    InterpolateResult r;
    r.path = circle_path(Mode::dog, Mode::cat, 4, dataset16());
    r.nearest_mode = {Mode::dog, Mode::dog, Mode::cat, Mode::cat};
    r.verdicts = {{0, 0.95f}, {0, 0.5f}, {1, 0.9f}, {1, 0.99f}};
    r.confidence = 0.8f, r.sampler = "DDIM-3 (eta 1)";
    const std::string text = format_interpolation(r);
    CHECK_THAT(text, Contains("from dog to - between tiles 1 and 2 (0.0° and 30.0°)"));
    CHECK_THAT(text, Contains("from - to cat between tiles 2 and 3 (30.0° and 60.0°)"));
    CHECK_THAT(text, Contains("- (dog 0.50)"));
    r.verdicts = {{1, 0.9f}, {1, 0.9f}, {1, 0.9f}, {1, 0.9f}};
    CHECK_THAT(format_interpolation(r), Contains("the verdict is cat on every tile"));
}
