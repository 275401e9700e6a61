// test_guidance.cpp — classifier-free guidance for both models and an uneven p_data:
// the condition dropout a checkpoint records, the guidance weights sampling accepts (and
// the ones it refuses, naming the flag to train with), and p_data from training through
// the checkpoint to every KL of an evaluation.
#include "experiment_support.h"

#include "experiment/errors.h"
#include "experiment/evaluation.h"
#include "experiment/summary.h"
#include "nn/files.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

using namespace hd;
using namespace hd::test;
using Catch::Matchers::Contains;

namespace {

ModelConfig tiny_config(ModelKind kind, float dropout = 0.0f, float prior_dropout = 0.0f) {
    ModelConfig c = tiny_training(kind, "", 1).model;
    c.condition_dropout = dropout, c.prior_condition_dropout = prior_dropout;
    return c;
}

bool same_values(const Tensor& a, const Tensor& b) {
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * a.numel()) == 0;
}

SamplerOptions quick_sampler(float guidance) {
    SamplerOptions o = default_sampling();
    o.ddim_steps = 2, o.guidance = guidance;
    return o;
}

}  // namespace

TEST_CASE("the condition dropout is recorded in the checkpoint, and checkpoints without it read as 0", "[experiment][guidance]") {
    TempFolder dir;
    Generator gen(0);
    DiffusionModel model(tiny_config(ModelKind::hierarchical, 0.1f, 0.25f), gen);
    save_checkpoint(dir.file("b.safetensors"), model, nullptr, nullptr, {});
    const ModelConfig read = load_checkpoint(dir.file("b.safetensors")).model->config;
    CHECK(read.condition_dropout == 0.1f);
    CHECK(read.prior_condition_dropout == 0.25f);

    // A checkpoint from before the keys: none at all means no dropout; model A's dropout
    // used to be the training setting "condition_dropout", which still counts.
    std::map<std::string, std::string> metadata = tiny_config(ModelKind::flat).to_metadata();
    metadata.erase("condition_dropout"), metadata.erase("prior_condition_dropout");
    CHECK(ModelConfig::from_metadata(metadata, "old").condition_dropout == 0.0f);
    CHECK(ModelConfig::from_metadata(metadata, "old").prior_condition_dropout == 0.0f);
    metadata["setting.condition_dropout"] = "0.1";
    CHECK(ModelConfig::from_metadata(metadata, "old").condition_dropout == 0.1f);

    metadata = tiny_config(ModelKind::hierarchical).to_metadata();
    metadata["prior_condition_dropout"] = "lots";
    CHECK_THROWS_WITH(ModelConfig::from_metadata(metadata, "odd.safetensors"), Contains("'lots' is not a number"));
    metadata["prior_condition_dropout"] = "1";
    CHECK_THROWS_WITH(ModelConfig::from_metadata(metadata, "odd.safetensors"),
                      Contains("odd.safetensors") && Contains("--prior_cond_dropout 1 is impossible"));
    metadata = tiny_config(ModelKind::flat).to_metadata();
    metadata["prior_condition_dropout"] = "0.1"; // model A has no prior
    CHECK_THROWS_AS(ModelConfig::from_metadata(metadata, "odd.safetensors"), CheckpointError);
}

TEST_CASE("the Trainer records both dropouts of model B and refuses a prior dropout for model A", "[experiment][guidance]") {
    TempFolder dir;
    TrainOptions o = tiny_training(ModelKind::hierarchical, dir.file("b.safetensors"), 1);
    o.model.condition_dropout = 0.2f, o.model.prior_condition_dropout = 0.3f;
    Trainer trainer(o);
    CHECK(trainer.model().config.condition_dropout == 0.2f);
    CHECK(trainer.model().config.prior_condition_dropout == 0.3f);
    if (!homework_is_stubbed()) {
        const StepReport report = trainer.step();
        CHECK(std::isfinite(report.prior_loss));
        CHECK(std::isfinite(report.decoder_loss));
    }
    trainer.save();
    const ModelConfig read = load_checkpoint(dir.file("b.safetensors")).model->config;
    CHECK(read.condition_dropout == 0.2f);
    CHECK(read.prior_condition_dropout == 0.3f);

    o = tiny_training(ModelKind::flat, dir.file("a.safetensors"), 1);
    o.model.prior_condition_dropout = 0.1f;
    CHECK_THROWS_WITH(Trainer(o), Contains("--prior_cond_dropout applies to model B (hierarchical) only"));
}

TEST_CASE("guidance is refused for a network trained without dropout, naming the flag to train with", "[experiment][guidance]") {
    SECTION("model A") {
        CHECK_NOTHROW(check_guidance(tiny_config(ModelKind::flat), 1.0f, 1.0f));
        CHECK_THROWS_WITH(check_guidance(tiny_config(ModelKind::flat), 2.0f, 1.0f),
                          Contains("--guidance 2 needs model A's denoiser trained with condition dropout") &&
                              Contains("--cond_dropout"));
        CHECK_NOTHROW(check_guidance(tiny_config(ModelKind::flat, 0.1f), 2.0f, 1.0f));
        CHECK_THROWS_WITH(check_guidance(tiny_config(ModelKind::flat, 0.1f), 1.0f, 2.0f),
                          Contains("--prior_guidance applies to model B (hierarchical) only"));
    }
    SECTION("model B: the decoder and the prior each need their own dropout") {
        CHECK_THROWS_WITH(check_guidance(tiny_config(ModelKind::hierarchical, 0.0f, 0.1f), 2.0f, 1.0f),
                          Contains("--guidance 2 needs model B's decoder") && Contains("--cond_dropout"));
        CHECK_THROWS_WITH(check_guidance(tiny_config(ModelKind::hierarchical, 0.1f, 0.0f), 1.0f, 3.0f),
                          Contains("--prior_guidance 3 needs model B's prior") && Contains("--prior_cond_dropout"));
        CHECK_NOTHROW(check_guidance(tiny_config(ModelKind::hierarchical, 0.1f, 0.0f), 2.0f, 1.0f));
        CHECK_NOTHROW(check_guidance(tiny_config(ModelKind::hierarchical, 0.0f, 0.1f), 1.0f, 3.0f));
    }
    SECTION("weights out of range") {
        const ModelConfig b = tiny_config(ModelKind::hierarchical, 0.1f, 0.1f);
        for (float bad : {-1.0f, 101.0f, std::nanf(""), INFINITY}) {
            CAPTURE(bad);
            CHECK_THROWS_WITH(check_guidance(b, bad, 1.0f), Contains("--guidance") && Contains("valid: 0 … 100"));
            CHECK_THROWS_WITH(check_guidance(b, 1.0f, bad), Contains("--prior_guidance") && Contains("valid: 0 … 100"));
        }
        EvaluateOptions e;
        e.prior_guidance = -2.0f;
        CHECK_THROWS_WITH(e.validate(), Contains("--prior_guidance -2 is impossible"));
    }
    SECTION("generate and the demo check before sampling or training") {
        Generator gen(0);
        DiffusionModel model_b(tiny_config(ModelKind::hierarchical), gen);
        CHECK_THROWS_WITH(generate(model_b, Category::animal, 2, quick_sampler(2.0f), gen), Contains("--cond_dropout"));
        CHECK_THROWS_WITH(generate(model_b, Category::animal, 2, quick_sampler(1.0f), gen, {}, nullptr, 2.0f),
                          Contains("--prior_cond_dropout"));
    }
}

TEST_CASE("guidance reaches the network it names: decoder guidance keeps the prior's z1, prior guidance moves it",
          "[experiment][guidance]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: sampling cannot run");
        return;
    }
    Generator init(0);
    DiffusionModel model_b(tiny_config(ModelKind::hierarchical, 0.1f, 0.1f), init);
    auto draw = [&](float guidance, float prior_guidance) {
        Generator gen(7);
        return generate(model_b, Category::animal, 3, quick_sampler(guidance), gen, {}, nullptr, prior_guidance);
    };
    const Generated plain = draw(1.0f, 1.0f), decoder_guided = draw(2.0f, 1.0f), prior_guided = draw(1.0f, 3.0f);
    // Unguided, generate is exactly the pipeline's sampling with the prior's default sampler.
    Generator gen(7);
    const HierarchicalSamples pipeline = sample_hierarchical(*model_b.prior, *model_b.image_model, model_b.schedule,
                                                             Category::animal, 3, 16, gen, quick_sampler(1.0f));
    CHECK(same_values(plain.z1, pipeline.z1));
    CHECK(same_values(plain.images, pipeline.images));
    CHECK(same_values(decoder_guided.z1, plain.z1));
    CHECK_FALSE(same_values(decoder_guided.images, plain.images));
    CHECK_FALSE(same_values(prior_guided.z1, plain.z1));

    Generator init_a(0);
    DiffusionModel model_a(tiny_config(ModelKind::flat, 0.1f), init_a);
    Generator gen_a(3);
    const Generated guided_a = generate(model_a, Category::vehicle, 3, quick_sampler(2.0f), gen_a);
    CHECK(guided_a.images.shape() == Shape{3, 3, 16, 16});
    CHECK_FALSE(guided_a.z1.defined());
}

TEST_CASE("set_p_data sets a model's data and refuses malformed lists in one line, naming --p_data", "[experiment][p_data]") {
    ModelConfig c;
    set_p_data(c, "dog=0.8,truck=0.3");
    CHECK(c.p_dog_given_animal == Approx(0.8).margin(1e-12));
    CHECK(c.p_car_given_vehicle == Approx(0.7).margin(1e-12));
    CHECK(c.dataset_options().p_dog_given_animal == c.p_dog_given_animal);
    for (const char* bad : {"dog=1.5", "horse=0.2", "dog", "", "dog=0.2,cat=0.8", "dog=nan"}) {
        CAPTURE(bad);
        ModelConfig untouched;
        CHECK_THROWS_WITH(set_p_data(untouched, bad), Contains("--p_data") && Contains("valid: e.g. dog=0.8,car=0.5"));
        CHECK(untouched.p_dog_given_animal == 0.5);
    }
}

TEST_CASE("an evaluation measures every KL against the p_data its checkpoint was trained on", "[experiment][p_data]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: training cannot run");
        return;
    }
    TempFolder dir;
    TrainOptions skewed = tiny_training(ModelKind::hierarchical, dir.file("b08.safetensors"), 1);
    set_p_data(skewed.model, "dog=0.8,car=0.5");
    train_model(skewed);
    CHECK(load_checkpoint(dir.file("b08.safetensors")).model->config.p_dog_given_animal == Approx(0.8).margin(1e-12));
    train_model(tiny_training(ModelKind::hierarchical, dir.file("b05.safetensors"), 1));

    auto evaluate = [&](const std::string& name) {
        EvaluateOptions o;
        o.model_path = dir.file(name + ".safetensors");
        o.num_samples = 8, o.sampler.ddim_steps = 2, o.classifier.steps = 5, o.quiet = true;
        o.output_dir = dir.file("evaluation_" + name);
        o.classifier_cache = dir.file("classifier_" + name + ".safetensors");
        evaluate_model(o);
        return read_metrics(dir.file("evaluation_" + name + "/metrics.json"));
    };
    const nlohmann::json m = evaluate("b08");
    CHECK(m["p_data"]["dog"] == 0.8);
    CHECK(m["p_data"]["cat"] == Approx(0.2).margin(1e-12));
    CHECK(m["p_data"]["car"] == 0.5);

    // The students' KL of the animal samples, recomputed from their mode histogram: it is
    // the one against 0.8/0.2, not against the default 0.5/0.5.
    const nlohmann::json& animal = m["per_z2"]["animal"];
    std::vector<Mode> modes;
    for (Mode mode : all_modes())
        for (int64_t k = 0; k < animal["image_modes"][to_string(mode)].get<int64_t>(); ++k) modes.push_back(mode);
    REQUIRE(modes.size() == 8);
    auto kl_against = [&](double p_dog) {
        SyntheticDataset dataset(DatasetOptions{.image_size = 16, .p_dog_given_animal = p_dog});
        Tensor z1 = Tensor::empty({8, kAnchorDim});
        for (size_t i = 0; i < modes.size(); ++i)
            for (int d = 0; d < kAnchorDim; ++d) z1.data()[i * kAnchorDim + d] = dataset.anchor(modes[i]).data()[d];
        return compute_kl_divergence(z1, Category::animal, dataset);
    };
    CAPTURE(animal["image_modes"].dump());
    CHECK(animal["kl_nats"].get<double>() == Approx(kl_against(0.8)).margin(1e-9));
    CHECK(std::abs(kl_against(0.8) - kl_against(0.5)) > 1e-3);

    // The classifier learns from balanced data whatever the model's p_data: the cache
    // written for the 0.8 model is the one a 0.5 model gets, byte for byte.
    evaluate("b05");
    CHECK(read_bytes(dir.file("classifier_b08.safetensors")) == read_bytes(dir.file("classifier_b05.safetensors")));
}
