// test_checkpoint.cpp — checkpoint metadata is checked against bounds before the model is
// built, and ModelConfig refuses absurd sizes and probabilities.
#include "experiment_support.h"

#include "experiment/errors.h"
#include "nn/files.h"

#include <catch2/catch.hpp>

using namespace hd;
using namespace hd::test;
using Catch::Matchers::Contains;

namespace {

// A checkpoint file holding no tensors and the metadata of `config` with one value replaced.
std::string checkpoint_with(const TempFolder& dir, const std::string& key, const std::string& value) {
    std::map<std::string, std::string> metadata = tiny_training(ModelKind::flat, "", 1).model.to_metadata();
    metadata[key] = value;
    metadata["epoch"] = "0", metadata["step"] = "0", metadata["generator_state"] = "0";
    const std::string path = dir.file(key + ".safetensors");
    save_safetensors(path, {{"model.placeholder", Tensor::zeros({1})}}, metadata);
    return path;
}

}  // namespace

TEST_CASE("checkpoint metadata out of bounds is refused before the model is built", "[experiment][checkpoint]") {
    TempFolder dir;
    // 8192 base channels would need gigabytes; the bound refuses it in one line.
    CHECK_THROWS_WITH(load_checkpoint(checkpoint_with(dir, "base_channels", "8192")),
                      Contains("base channels 8192") && Contains("at most 512"));
    CHECK_THROWS_WITH(load_checkpoint(checkpoint_with(dir, "p_dog_given_animal", "2")),
                      Contains("p_dog_given_animal 2 is not a probability"));
    CHECK_THROWS_WITH(load_checkpoint(checkpoint_with(dir, "p_car_given_vehicle", "nan")),
                      Contains("is not a probability"));
    CHECK_THROWS_WITH(load_checkpoint(checkpoint_with(dir, "image_size", "100000")), Contains("image size 100000"));
    CHECK_THROWS_WITH(load_checkpoint(checkpoint_with(dir, "prior_hidden", "1000000")), Contains("hidden layers"));
    CHECK_THROWS_WITH(load_checkpoint(checkpoint_with(dir, "timesteps", "99999999999999999999")), Contains("is not a number"));
    CHECK_THROWS_AS(load_checkpoint(checkpoint_with(dir, "groups", "0")), CheckpointError);
    // Within bounds, the tensors are checked next: the placeholder is not the model.
    CHECK_THROWS_AS(load_checkpoint(checkpoint_with(dir, "base_channels", "16")), CheckpointError);
}

TEST_CASE("ModelConfig::validate names the bound it enforces", "[experiment][checkpoint]") {
    ModelConfig c;
    CHECK_NOTHROW(c.validate());
    c.image_size = 30;
    CHECK_THROWS_WITH(c.validate(), Contains("valid: a multiple of 4, at least 16"));
    c = ModelConfig{};
    c.embedding_dim = 1 << 20;
    CHECK_THROWS_AS(c.validate(), UsageError);
    c = ModelConfig{};
    c.schedule = "sigmoid";
    CHECK_THROWS_WITH(c.validate(), Contains("valid: linear, cosine"));
    c = ModelConfig{};
    c.image_size = 36, c.unet_levels = 4;
    CHECK_THROWS_WITH(c.validate(), Contains("a 4-level UNet needs an image size divisible by 8 (got 36)"));
    c.unet_levels = 2;
    CHECK_THROWS_WITH(c.validate(), Contains("UNet levels 2 is impossible (valid: 3 … 8"));
    c = ModelConfig{};
    c.image_size = 64, c.base_channels = 8; // the top level would be 4 wide, less than 8 groups
    CHECK_THROWS_WITH(c.validate(), Contains("top level is 4 channels wide (C/2)") && Contains("--unet_levels"));
}

TEST_CASE("the UNet's depth follows the image size unless given, and the checkpoint stores the one used",
          "[experiment][checkpoint]") {
    CHECK(default_unet_levels(16) == 3);
    CHECK(default_unet_levels(32) == 3);
    CHECK(default_unet_levels(48) == 3); // a fourth level would end at 6×6
    CHECK(default_unet_levels(64) == 4);
    CHECK(default_unet_levels(128) == 5);
    ModelConfig c;
    CHECK(c.image_size == 64); // the handout's size is the default
    CHECK(c.colour_path);
    CHECK(c.levels_used() == 4);
    CHECK(c.to_metadata().at("unet_levels") == "4");
    c.unet_levels = 3;
    CHECK(c.to_metadata().at("unet_levels") == "3");
    Generator gen(3);
    c.unet_levels = 0, c.base_channels = 16, c.embedding_dim = 16, c.colour_path = false;
    DiffusionModel model(c, gen);
    const UNet& unet = *model.image_model->unet;
    CHECK(unet.widths() == std::vector<int64_t>{8, 16, 32, 64});
    CHECK(unet.conv_in->weight.shape() == Shape{8, 3, 3, 3});
    CHECK(unet.res[3]->conv1->weight.shape() == Shape{64, 32, 3, 3}); // res4 at 8×8
    CHECK(unet.up[0]->conv1->weight.shape() == Shape{8, 24, 3, 3});  // up1: 16 up + 8 skip -> 8
    CHECK_FALSE(unet.colour_gain);
    CHECK(c.to_metadata().at("colour_path") == "0");
    c.colour_path = true;
    CHECK(c.to_metadata().at("colour_path") == "1");
    CHECK(DiffusionModel(c, gen).image_model->unet->colour_gain);
    std::map<std::string, std::string> metadata = c.to_metadata();
    CHECK(ModelConfig::from_metadata(metadata, "m").colour_path);
    metadata.erase("colour_path"), metadata.erase("unet_levels"); // a checkpoint from before both keys
    const ModelConfig old = ModelConfig::from_metadata(metadata, "m");
    CHECK_FALSE(old.colour_path);
    CHECK(old.levels_used() == 3);
    metadata["colour_path"] = "2";
    CHECK_THROWS_WITH(ModelConfig::from_metadata(metadata, "m"), Contains("'colour_path' = 2 is neither 0 nor 1"));
}

TEST_CASE("a loaded checkpoint of the wrong kind, or none at all, is refused", "[experiment][checkpoint]") {
    TempFolder dir;
    Generator gen(0);
    const ModelConfig config = tiny_training(ModelKind::flat, "", 1).model;
    DiffusionModel model(config, gen);
    TrainingState state;
    state.step = 7;
    save_checkpoint(dir.file("a.safetensors"), model, nullptr, nullptr, state);
    LoadedCheckpoint loaded = load_checkpoint(dir.file("a.safetensors"));
    CHECK(loaded.state.step == 7);
    CHECK(loaded.ema_weights.empty());
    CHECK_THROWS_WITH(load_checkpoint(dir.file("a.safetensors"), ModelKind::hierarchical),
                      Contains("holds a flat model, not a hierarchical one"));
    CHECK_THROWS_WITH(require_checkpoint(dir.file("none.safetensors")), Contains("no checkpoint at"));
}
