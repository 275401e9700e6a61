// test_evaluation.cpp — the Evaluation's JSON (the keys hd summarize reads), sampling's
// refusals, the classifier cache's guard and the shared nearest-reference search.
#include "experiment_support.h"

#include "autograd/ops.h"
#include "experiment/errors.h"
#include "experiment/evaluation.h"
#include "experiment/summary.h"
#include "nn/files.h"

#include <catch2/catch.hpp>

using namespace hd;
using namespace hd::test;
using Catch::Matchers::Contains;

namespace {

Evaluation example_evaluation(bool recognised_any) {
    Evaluation e;
    e.checkpoint = "a.safetensors", e.model_kind = ModelKind::hierarchical, e.trained_steps = 12;
    e.sampler = "DDIM-3 (eta 1)", e.num_samples_per_z2 = 4, e.seed = 1, e.near_mode_threshold = 2.5f;
    e.classifier = {"cache.safetensors", 0.8f, 0.99, 0.98};
    e.guidance = 1.5f, e.prior_guidance = 3.0f, e.condition_dropout = 0.1f, e.prior_condition_dropout = 0.1f;
    e.p_data = {0.8, 1.0 - 0.8, 0.5, 0.5};
    for (Z2Figures& f : e.per_z2) {
        f.image_modes = {2, 2, 0, 0};
        f.coverage = {.num_modes_found = 2, .total_possible_modes = 2, .coverage_ratio = 1.0};
        f.entropy_nats = 0.69, f.kl_nats = 0.01, f.near_mode_share = 0.75;
        f.classifier.labels = {1, 1, 0, 0, 2};
        f.classifier.recognised_modes = {1, 0, 0, 0};
        f.classifier.recognisable = 1, f.classifier.recognisable_share = 0.25;
        if (recognised_any) f.classifier.recognised = ClassifierFigures::Recognised{1, 2, 0.0, 6.9};
        f.prior = PriorFigures{.modes = {2, 2, 0, 0}, .entropy_nats = 0.69, .kl_nats = 0.0};
    }
    return e;
}

}  // namespace

TEST_CASE("an Evaluation's JSON has every key hd summarize and the scripts read", "[experiment][evaluation]") {
    const nlohmann::json m = to_json(example_evaluation(true));
    for (const char* key : {"checkpoint", "model_kind", "trained_steps", "sampler", "num_samples_per_z2", "seed",
                            "near_mode_threshold", "classifier", "per_z2", "guidance", "prior_guidance",
                            "condition_dropout", "prior_condition_dropout", "p_data"})
        CHECK(m.contains(key));
    CHECK(m["model_kind"] == "hierarchical");
    CHECK(m["guidance"] == 1.5);
    CHECK(m["prior_guidance"] == 3.0);
    CHECK(m["condition_dropout"] == 0.1); // the decimal given, not float's 0.10000000149…
    CHECK(m["p_data"]["dog"] == 0.8);
    CHECK(m["p_data"]["cat"] == Approx(0.2).margin(1e-12));
    CHECK(m["p_data"]["truck"] == 0.5);
    for (const char* z2 : {"animal", "vehicle"}) {
        const nlohmann::json& e = m["per_z2"][z2];
        CHECK(e["coverage"]["num_modes_found"] == 2);
        CHECK(e["coverage"]["coverage_ratio"] == 1.0);
        CHECK(e["image_modes"]["dog"] == 2);
        CHECK(e["classifier"]["labels"]["none"] == 2);
        CHECK(e["classifier"]["recognised_modes"]["dog"] == 1);
        CHECK(e["classifier"]["recognisable_share"] == 0.25);
        CHECK(e["classifier"]["coverage"]["num_modes_found"] == 1);
        CHECK(e["classifier"]["kl_nats"] == 6.9);
        CHECK(e["prior"]["entropy_nats"] == 0.69);
        CHECK(e["near_mode_share"] == 0.75);
    }
    CHECK_FALSE(to_json(example_evaluation(false))["per_z2"]["animal"]["classifier"].contains("coverage"));
}

TEST_CASE("hd summarize reads an Evaluation's JSON, with or without recognised samples", "[experiment][evaluation]") {
    TempFolder dir;
    write_file_atomic(dir.file("one.json"), to_json(example_evaluation(true)).dump(2));
    write_file_atomic(dir.file("none.json"), to_json(example_evaluation(false)).dump(2));
    const std::string both = summarize({dir.file("one.json"), dir.file("none.json")});
    CHECK_THAT(both, Contains("| B (hierarchical), w = 1.5, prior w = 3, p_data dog=0.8,car=0.5 | animal | 2 | 25 ± 0 % | 1.0 ± 0.0 |"));
    CHECK_THAT(summarize({dir.file("none.json")}), Contains("| — | — / — |"));
    write_file_atomic(dir.file("odd.json"), R"({"model_kind": "flat", "per_z2": {"animal": {"classifier": 3}}})");
    CHECK_THROWS_AS(summarize({dir.file("odd.json")}), UsageError);
}

TEST_CASE("the printed table counts the recognised samples the recog share counts", "[experiment][evaluation]") {
    const std::string table = format_metrics_table(example_evaluation(true));
    CHECK_THAT(table, Contains("recognised (p >= 0.80): dog 1 cat 0 car 0 truck 0, not recognised 3"));
    CHECK_THAT(table, Contains("prior z1"));
    CHECK_THAT(table, Contains("guidance w = 1.5 (decoder), prior guidance w = 3; p_data: dog 0.8 / cat 0.2, car 0.5 / truck 0.5"));
}

TEST_CASE("generate refuses impossible counts and sampler settings", "[experiment][sampling]") {
    Generator gen(0);
    TrainOptions tiny = tiny_training(ModelKind::hierarchical, "", 1);
    DiffusionModel model_b(tiny.model, gen);
    CHECK_THROWS_WITH(generate(model_b, Category::animal, 0, default_sampling(), gen), Contains("--num_samples 0 is impossible"));
    SamplerOptions nan_eta = default_sampling();
    nan_eta.eta = std::nanf("");
    CHECK_THROWS_AS(validate_sampler(nan_eta), UsageError);
    CHECK_THROWS_WITH(parse_z2("plant"), Contains("valid: animal, vehicle"));
}

TEST_CASE("the classifier cache never overwrites a file of another kind", "[experiment][evaluation]") {
    TempFolder dir;
    CHECK_NOTHROW(check_classifier_cache(dir.file("new.safetensors")));
    Generator gen(0);
    DiffusionModel model(tiny_training(ModelKind::flat, "", 1).model, gen);
    save_checkpoint(dir.file("model.safetensors"), model, nullptr, nullptr, {});
    CHECK_THROWS_WITH(check_classifier_cache(dir.file("model.safetensors")), Contains("is not a mode-classifier file"));
    write_file_atomic(dir.file("notes.txt"), "my notes");
    CHECK_THROWS_AS(check_classifier_cache(dir.file("notes.txt")), UsageError);
    save_safetensors(dir.file("old.safetensors"), {{"w", Tensor::zeros({1})}}, {{"format", "hdiff-mode-classifier-1"}});
    CHECK_NOTHROW(check_classifier_cache(dir.file("old.safetensors"))); // an outdated cache is rebuilt in place
}

TEST_CASE("modes of z2 are counted once each, whatever else was found", "[experiment][evaluation]") {
    SyntheticDataset dataset(DatasetOptions{.image_size = 16});
    CHECK(count_modes_found({Mode::dog, Mode::dog, Mode::car}, Category::animal, dataset) == 1);
    CHECK(count_modes_found({Mode::dog, Mode::cat}, Category::animal, dataset) == 2);
    CHECK(count_modes_found({Mode::truck}, Category::animal, dataset) == 0);
    CHECK(count_modes_found({}, Category::vehicle, dataset) == 0);
}

TEST_CASE("the nearest-reference search over other references matches a direct search", "[experiment][evaluation]") {
    SyntheticDataset dataset(DatasetOptions{.image_size = 16, .references_per_mode = 4});
    // References: the dataset's, negated — so the search cannot lean on the dataset's own.
    ReferenceSet negated;
    for (Mode m : all_modes()) negated[static_cast<int>(m)] = mul(dataset.references(m), -1.0f);
    Generator gen(5);
    const Tensor images = dataset.sample_batch(12, gen).images;
    const std::vector<ReferenceMatch> matches = match_nearest_references(images, negated);
    const int64_t numel = 3 * 16 * 16;
    for (int64_t i = 0; i < 12; ++i) {
        double best = INFINITY;
        Mode best_mode = Mode::dog;
        for (Mode m : all_modes())
            for (int64_t r = 0; r < 4; ++r) {
                double d = 0.0;
                for (int64_t k = 0; k < numel; ++k) {
                    const double diff = images.data()[i * numel + k] - negated[static_cast<int>(m)].data()[r * numel + k];
                    d += diff * diff;
                }
                if (d < best) best = d, best_mode = m;
            }
        CHECK(matches[i].mode == best_mode);
        CHECK(matches[i].distance == Approx(best).epsilon(1e-4));
    }
    CHECK_THROWS(match_nearest_references(Tensor::zeros({1, 3, 8, 8}), negated));
}
