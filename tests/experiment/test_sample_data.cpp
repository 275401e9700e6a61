// test_sample_data.cpp — the samples file (experiment/sample_data.h): a round trip through
// nn/safetensors.h with its shapes, labels and metadata, the refusals on both sides, and
// the files write_samples writes beside its grid (from the prior and for a chosen z1).
#include "experiment_support.h"

#include "experiment/errors.h"
#include "experiment/sample_data.h"
#include "experiment/sampling.h"
#include "nn/safetensors.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <filesystem>

using namespace hd;
using namespace hd::test;
using Catch::Matchers::Contains;

namespace {

bool same_values(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * a.numel()) == 0;
}

SampleData example_data(bool with_z1, bool with_verdicts) {
    Generator gen(3);
    SampleData d;
    d.images = Tensor::rand({3, 3, 16, 16}, gen, -1.0f, 1.0f);
    if (with_z1) d.z1 = Tensor::randn({3, 2}, gen);
    d.nearest_mode = {Mode::truck, Mode::dog, Mode::cat};
    if (with_verdicts) d.verdicts = {{2, 0.91f}, {kNoneClass, 0.55f}, {1, 0.8f}};
    d.metadata = {{"model_kind", "hierarchical"}, {"z2", "vehicle"}, {"seed", "7"}};
    return d;
}

}  // namespace

TEST_CASE("a samples file round-trips through safetensors with its shapes, labels and metadata", "[experiment][sample_data]") {
    TempFolder dir;
    const SampleData written = example_data(true, true);
    write_sample_data(dir.file("s.safetensors"), written);

    // What any safetensors reader sees: the tensor names, shapes and metadata.
    const NamedTensors raw = load_safetensors(dir.file("s.safetensors"));
    REQUIRE(raw.find("images"));
    CHECK(raw.find("images")->shape() == Shape{3, 3, 16, 16});
    CHECK(raw.find("z1")->shape() == Shape{3, 2});
    CHECK(raw.find("nearest_mode")->shape() == Shape{3});
    CHECK(raw.find("nearest_mode")->data()[0] == 3.0f); // truck
    CHECK(raw.find("classifier_label")->data()[1] == 4.0f); // none
    CHECK(raw.metadata.at("format") == kSampleDataFormat);
    CHECK(raw.metadata.at("modes") == "dog,cat,car,truck");
    CHECK(raw.metadata.at("classes") == "dog,cat,car,truck,none");
    CHECK(raw.metadata.at("count") == "3");
    CHECK(raw.metadata.at("image_size") == "16");

    const SampleData read = read_sample_data(dir.file("s.safetensors"));
    CHECK(same_values(read.images, written.images));
    CHECK(same_values(read.z1, written.z1));
    CHECK(read.nearest_mode == written.nearest_mode);
    REQUIRE(read.verdicts.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
        CAPTURE(i);
        CHECK(read.verdicts[i].label == written.verdicts[i].label);
        CHECK(read.verdicts[i].probability == written.verdicts[i].probability);
    }
    CHECK(read.metadata.at("z2") == "vehicle");
    CHECK(read.metadata.at("seed") == "7");
}

TEST_CASE("a samples file without z1 or classifier has neither tensor", "[experiment][sample_data]") {
    TempFolder dir;
    write_sample_data(dir.file("a.safetensors"), example_data(false, false));
    const NamedTensors raw = load_safetensors(dir.file("a.safetensors"));
    CHECK(raw.find("z1") == nullptr);
    CHECK(raw.find("classifier_label") == nullptr);
    CHECK(raw.find("classifier_probability") == nullptr);
    const SampleData read = read_sample_data(dir.file("a.safetensors"));
    CHECK_FALSE(read.z1.defined());
    CHECK(read.verdicts.empty());
    CHECK(read.nearest_mode.size() == 3);
}

TEST_CASE("inconsistent sample data is refused on writing and on reading", "[experiment][sample_data]") {
    TempFolder dir;
    SampleData short_modes = example_data(true, true);
    short_modes.nearest_mode.pop_back();
    CHECK_THROWS_WITH(write_sample_data(dir.file("x.safetensors"), short_modes), Contains("2 nearest modes for 3 images"));
    SampleData wrong_z1 = example_data(false, false);
    wrong_z1.z1 = Tensor::zeros({3, 3});
    CHECK_THROWS_WITH(write_sample_data(dir.file("x.safetensors"), wrong_z1), Contains("z1 must be (3, 2)"));
    CHECK_FALSE(std::filesystem::exists(dir.file("x.safetensors")));

    const std::map<std::string, std::string> format{{"format", kSampleDataFormat}};
    save_safetensors(dir.file("label.safetensors"),
                     {{"images", Tensor::zeros({2, 3, 16, 16})}, {"nearest_mode", Tensor::from_vector({0.0f, 7.0f}, {2})}},
                     format);
    CHECK_THROWS_WITH(read_sample_data(dir.file("label.safetensors")), Contains("nearest_mode[1] = 7 is not a label"));
    save_safetensors(dir.file("half.safetensors"),
                     {{"images", Tensor::zeros({1, 3, 16, 16})}, {"nearest_mode", Tensor::zeros({1})},
                      {"classifier_label", Tensor::zeros({1})}},
                     format);
    CHECK_THROWS_AS(read_sample_data(dir.file("half.safetensors")), CheckpointError);
    save_safetensors(dir.file("other.safetensors"), {{"w", Tensor::zeros({1})}}, {{"format", "hdiff-checkpoint-1"}});
    CHECK_THROWS_WITH(read_sample_data(dir.file("other.safetensors")), Contains("not a samples file"));
}

TEST_CASE("the samples file goes beside its picture", "[experiment][sample_data]") {
    CHECK(sample_data_path("samples/model_b_animal.png") == "samples/model_b_animal.safetensors");
    CHECK(sample_data_path("out/x.y.png") == "out/x.y.safetensors");
}

TEST_CASE("write_samples writes the samples with their labels beside the grid", "[experiment][sample_data]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: sampling cannot run");
        return;
    }
    TempFolder dir;
    const std::string model_b = tiny_checkpoint(dir, ModelKind::hierarchical);
    SampleOptions o{.model_path = model_b, .z2 = "vehicle", .num_samples = 3, .seed = 4, .output = dir.file("g/b.png")};
    o.sampler.ddim_steps = 2;

    SECTION("from the prior") {
        const SampleResult written = write_samples(o);
        CHECK(written.data == dir.file("g/b.safetensors"));
        CHECK(std::filesystem::exists(written.prior_plot));
        const SampleData d = read_sample_data(written.data);
        CHECK(d.images.shape() == Shape{3, 3, 16, 16});
        REQUIRE(d.z1.defined());
        CHECK(d.z1.shape() == Shape{3, 2});
        CHECK(d.verdicts.empty());
        const SyntheticDataset dataset(DatasetOptions{.image_size = 16});
        CHECK(d.nearest_mode == classify_by_nearest_reference(d.images, dataset));
        CHECK(d.metadata.at("z2") == "vehicle");
        CHECK(d.metadata.at("z1_source") == "prior");
        CHECK(d.metadata.at("model_kind") == "hierarchical");
        CHECK(d.metadata.at("seed") == "4");
        CHECK(d.metadata.at("checkpoint") == model_b);
        CHECK(d.metadata.at("sampler") == written.sampler);
    }
    SECTION("for a chosen z1") {
        o.z1 = "0.25,-0.5";
        const SampleResult written = write_samples(o);
        CHECK(written.prior_plot.empty());
        const SampleData d = read_sample_data(written.data);
        REQUIRE(d.z1.shape() == Shape{3, 2});
        for (int64_t i = 0; i < 3; ++i) {
            CHECK(d.z1.data()[2 * i] == 0.25f);
            CHECK(d.z1.data()[2 * i + 1] == -0.5f);
        }
        CHECK(d.metadata.at("z1_source") == "chosen");
        CHECK(d.metadata.at("z1") == "0.25,-0.5");
        CHECK(d.metadata.count("z2") == 0);
    }
    SECTION("refusals before any work") {
        o.output = dir.file("g/b.safetensors");
        CHECK_THROWS_WITH(write_samples(o), Contains("is not a PNG path"));
        o.output = dir.file("g/b.png");
        o.z1 = "1,nan";
        CHECK_THROWS_WITH(write_samples(o), Contains("is not finite"));
        o.z1 = "0,1";
        o.model_path = tiny_checkpoint(dir, ModelKind::flat);
        CHECK_THROWS_WITH(write_samples(o), Contains("--z1 needs model B (hierarchical)"));
        CHECK_FALSE(std::filesystem::exists(dir.file("g")));
    }
}
