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
