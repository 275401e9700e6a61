// Tests of the `hd` command line as a user meets it: bad input gets one line naming the
// problem and the valid choices, a non-zero exit, and no half-written file; a tiny
// training run resumes bit-exactly.
//
// Each test runs the real `hd` binary in a fresh temporary folder. Commands that need
// the homework Parts (training, sampling) accept one other outcome: in a student build
// with those Parts still stubbed, `hd` must stop at once with the Part's message
// (exit code 3) — that is checked instead.
#include "tests/apps/checkpoint_contents.h"
#include "tests/apps/hd_runner.h"

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

using namespace hd_test;

TEST_CASE("an unknown model, z2 or sampler names the valid choices", "[cli]") {
    TempFolder dir;
    Run model = hd("train --model tiny --epochs 1", dir.path);
    check_one_line_error(model, 2, "unknown model 'tiny' (valid: flat, hierarchical)");

    std::ofstream(dir.path / "model.safetensors") << "x";
    Run z2 = hd("sample --model_path model.safetensors --z2 plant", dir.path);
    check_one_line_error(z2, 2, "unknown z2 'plant' (valid: animal, vehicle)");

    Run sampler = hd("evaluate --model_path model.safetensors --sampler euler", dir.path);
    CHECK(sampler.exit_code != 0);
    CHECK_THAT(sampler.output, Catch::Contains("(valid: ddpm, ddim)"));
}

TEST_CASE("impossible sizes are refused before any work", "[cli]") {
    TempFolder dir;
    Run size = hd("train --model flat --image_size 30", dir.path);
    CHECK(size.exit_code == 2);
    CHECK_THAT(size.output, Catch::Contains("image size 30 is impossible (valid: a multiple of 4, at least 16"));
    Run epochs = hd("train --model flat --epochs 0", dir.path);
    CHECK(epochs.exit_code == 2);
    CHECK_THAT(epochs.output, Catch::Contains("--epochs 0 is impossible"));
    CHECK_FALSE(fs::exists(dir.path / "checkpoints" / "model_a.safetensors"));
}

TEST_CASE("a missing or corrupt checkpoint gets one clear line and exit code 1 or 2", "[cli]") {
    TempFolder dir;
    Run missing = hd("evaluate --model_path nowhere.safetensors", dir.path);
    check_one_line_error(missing, 2, "no checkpoint at nowhere.safetensors");

    std::ofstream(dir.path / "corrupt.safetensors") << "this is not a checkpoint at all, just text";
    Run corrupt = hd("sample --model_path corrupt.safetensors --z2 animal", dir.path);
    check_one_line_error(corrupt, 1, "corrupt.safetensors");
}

TEST_CASE("an unwritable output path is refused without leaving a file", "[cli]") {
    TempFolder dir;
    fs::create_directories(dir.path / "locked");
    std::ofstream(dir.path / "locked" / "file") << "x"; // a file where a folder is needed
    Run run = hd("train --model flat --epochs 1 --output locked/file/model.safetensors " + kTiny, dir.path);
    CHECK(run.exit_code == 2);
    CHECK_THAT(run.output, Catch::Contains("cannot write the checkpoint to locked/file/model.safetensors"));
}

TEST_CASE("training, sampling and evaluating a tiny model write their files", "[cli]") {
    TempFolder dir;
    Run train = hd("train --model hierarchical --epochs 1 " + kTiny, dir.path);
    if (stopped_at_stub(train)) return;
    REQUIRE(train.exit_code == 0);
    for (const char* file : {"model_b.safetensors", "model_b_loss.csv", "model_b_loss.png"})
        CHECK(fs::exists(dir.path / "checkpoints" / file));

    Run sample = hd("sample --model_path checkpoints/model_b.safetensors --z2 vehicle --num_samples 4 --ddim_steps 3", dir.path);
    if (stopped_at_stub(sample)) return;
    REQUIRE(sample.exit_code == 0);
    CHECK(fs::exists(dir.path / "samples" / "model_b_vehicle.png"));
    CHECK(fs::exists(dir.path / "samples" / "model_b_vehicle_prior.png"));

    Run evaluate = hd("evaluate --model_path checkpoints/model_b.safetensors --num_samples 3 --ddim_steps 3 "
                      "--classifier_steps 5 --quiet", dir.path);
    if (stopped_at_stub(evaluate)) return;
    REQUIRE(evaluate.exit_code == 0);
    CHECK(fs::exists(dir.path / "evaluation" / "model_b" / "metrics.json"));
    CHECK_THAT(evaluate.output, Catch::Contains("prior z1"));
    CHECK(fs::exists(dir.path / "checkpoints" / "mode_classifier_s16_d0.safetensors")); // cached beside the checkpoint

    Run probe = hd("probe --model_path checkpoints/model_b.safetensors --num_images 4", dir.path);
    if (stopped_at_stub(probe)) return;
    REQUIRE(probe.exit_code == 0);
    CHECK_THAT(probe.output, Catch::Contains("colour gain"));
    CHECK(line_count(probe.output) == 13); // title, two header lines, nine timesteps, the note
    check_one_line_error(hd("probe --model_path nowhere.safetensors", dir.path), 2, "no checkpoint at nowhere.safetensors");
    check_one_line_error(hd("probe --model_path checkpoints/model_b.safetensors --num_images 0", dir.path), 2,
                         "--num_images 0 is impossible");

    Run wrong_kind = hd("train --model flat --epochs 2 --resume --output checkpoints/model_b.safetensors " + kTiny, dir.path);
    CHECK(wrong_kind.exit_code == 2);
    CHECK_THAT(wrong_kind.output, Catch::Contains("holds a hierarchical model, not a flat one"));
}

TEST_CASE("resuming a run reproduces the uninterrupted run exactly", "[cli]") {
    TempFolder dir;
    // A constant learning rate: the schedule must not depend on the planned length.
    const std::string flags = kTiny + " --lr_schedule constant --seed 5";
    Run straight = hd("train --model flat --epochs 2 --output straight.safetensors " + flags, dir.path);
    if (stopped_at_stub(straight)) return;
    REQUIRE(straight.exit_code == 0);
    REQUIRE(hd("train --model flat --epochs 1 --output resumed.safetensors " + flags, dir.path).exit_code == 0);
    Run resumed = hd("train --model flat --epochs 2 --resume --output resumed.safetensors " + flags, dir.path);
    REQUIRE(resumed.exit_code == 0);

    auto read = [&](const char* name) { return checkpoint_without_clock(dir.path / name); };
    auto losses = [&](const char* name) { // the loss column of the CSV, step by step
        std::ifstream in(dir.path / name);
        std::string line, column, all;
        std::getline(in, line);
        while (std::getline(in, line)) {
            std::stringstream fields(line);
            for (int k = 0; k < 3; ++k) std::getline(fields, column, ',');
            all += column + " ";
        }
        return all;
    };
    CHECK(losses("straight_loss.csv") == losses("resumed_loss.csv"));
    CHECK(read("straight.safetensors") == read("resumed.safetensors")); // weights, EMA, optimizer, metadata: bit for bit
}

TEST_CASE("hd judge compares the classifier with hand labels and refuses bad label files", "[cli]") {
    TempFolder dir;
    Run grid = hd("dataset --image_size 16 --per_mode 2 --unlabelled --output real.png", dir.path);
    REQUIRE(grid.exit_code == 0);
    std::ofstream(dir.path / "right.txt") << "dog dog\ncat cat\ncar car\ntruck truck\n";
    std::ofstream(dir.path / "typo.txt") << "dog dog\ncat horse\ncar car\ntruck truck\n";
    std::ofstream(dir.path / "short.txt") << "dog dog\ncat cat\n";

    Run typo = hd("judge --grid real.png --labels typo.txt --image_size 16", dir.path);
    check_one_line_error(typo, 2, "label 'horse' is not one of dog, cat, car, truck, none");

    Run count = hd("judge --grid real.png --labels short.txt --image_size 16", dir.path);
    CHECK(count.exit_code == 2);
    CHECK_THAT(count.output, Catch::Contains("is not an unlabelled grid of 4 tiles of 16x16 pixels"));

    Run pairs = hd("judge --grid real.png --grid real.png --labels right.txt --image_size 16", dir.path);
    CHECK(pairs.exit_code == 2);
    CHECK_THAT(pairs.output, Catch::Contains("one --labels file for each --grid"));
    CHECK_FALSE(fs::exists(dir.path / "checkpoints")); // nothing trained for bad input

    Run judged = hd("judge --grid real.png --labels right.txt --image_size 16 --classifier_steps 20 "
                    "--classifier_cache judge.safetensors --thresholds 0.5 0.9",
                    dir.path);
    REQUIRE(judged.exit_code == 0);
    CHECK_THAT(judged.output, Catch::Contains("8 tiles, 8 recognisable by eye (100 %)"));
    CHECK_THAT(judged.output, Catch::Contains("(trained now)"));
    CHECK_THAT(judged.output, Catch::Contains("rows = eye, columns = classifier"));
    CHECK(fs::exists(dir.path / "judge.safetensors"));
}

TEST_CASE("hd summarize gives the mean and spread over runs, per model and z2", "[cli]") {
    TempFolder dir;
    auto write_run = [&](const std::string& name, double share, double kl) {
        std::ofstream(dir.path / name) << fmt::format(
            R"({{"model_kind": "flat", "sampler": "DDIM-100", "num_samples_per_z2": 64, "per_z2": {{"animal": {{
            "classifier": {{"recognisable_share": {}, "coverage": {{"num_modes_found": 2}}, "entropy_nats": 0.6,
                            "kl_nats": {}}},
            "coverage": {{"num_modes_found": 2}}, "entropy_nats": 0.7, "kl_nats": 0.05, "near_mode_share": 1.0}}}}}})",
            share, kl);
    };
    write_run("one.json", 0.5, 0.1);
    write_run("two.json", 0.7, 0.3);
    Run run = hd("summarize one.json two.json --output table.md", dir.path);
    REQUIRE(run.exit_code == 0);
    // mean 60 %, sample sd of (50, 70) = 14.1; KL mean 0.2, sd 0.141
    CHECK_THAT(run.output, Catch::Contains("| A (flat) | animal | 2 | 60 ± 14 % | 2.0 ± 0.0 | 0.600 ± 0.000 / 0.200 ± 0.141 |"));
    CHECK(fs::exists(dir.path / "table.md"));

    std::ofstream(dir.path / "broken.json") << "{\"model_kind\": ";
    Run broken = hd("summarize one.json broken.json", dir.path);
    check_one_line_error(broken, 2, "broken.json is not valid JSON");
}

TEST_CASE("a tiny hd demo writes the whole report, with model B's prior", "[cli]") {
    TempFolder dir;
    Run run = hd("demo --output rep --epochs 1 --image_size 16 --base_channels 8 --embedding_dim 16 --timesteps 50 "
                 "--epoch_size 32 --batch_size 16 --num_samples 4 --ddim_steps 5 --classifier_steps 10 --cond_dropout 0",
                 dir.path);
    if (stopped_at_stub(run)) return;
    REQUIRE(run.exit_code == 0);
    const std::string report = read_text(dir.path / "rep" / "README.md");
    for (const char* part : {"## The data", "## Metrics", "## Samples", "## Model B's prior", "## Training",
                             "prior/model_b_animal_prior.png", "prior/model_b_vehicle_prior.png",
                             "No guidance sweep: the models were trained without condition dropout"})
        CHECK_THAT(report, Catch::Contains(part));
    for (const char* file : {"dataset.png", "prior/model_b_animal_prior.png", "prior/model_b_vehicle_prior.png",
                             "evaluation/model_a/metrics.json", "evaluation/model_b/samples_vehicle.png",
                             "checkpoints/model_a_loss.png", "checkpoints/model_b.safetensors"})
        CHECK(fs::exists(dir.path / "rep" / file));
    CHECK_FALSE(fs::exists(dir.path / "rep" / "guidance"));
}

TEST_CASE("hd demo trained with condition dropout adds the guidance sweep of both models", "[cli][guidance]") {
    TempFolder dir;
    Run run = hd("demo --output rep --epochs 1 --image_size 16 --base_channels 8 --embedding_dim 16 --timesteps 50 "
                 "--epoch_size 32 --batch_size 16 --num_samples 4 --ddim_steps 5 --classifier_steps 10 "
                 "--cond_dropout 0.1 --prior_cond_dropout 0.1 --guidance_sweep 1,3",
                 dir.path);
    if (stopped_at_stub(run)) return;
    REQUIRE(run.exit_code == 0);
    const std::string report = read_text(dir.path / "rep" / "README.md");
    CHECK_THAT(report, Catch::Contains("## Guidance"));
    // w = 1 is the main evaluation itself; w = 3 is sampled for A, B's decoder, and B's decoder and prior.
    for (const char* row : {"| 1 | A (flat) | ", "| 1 | B (hierarchical) | ", "| 3 | A (flat) | ",
                            "| 3 | B, decoder guided | ", "| 3 | B, decoder and prior guided | ", "guidance/quality_diversity.png"})
        CHECK_THAT(report, Catch::Contains(row));
    CHECK_THAT(report, !Catch::Contains("| 1 | B, decoder and prior guided | "));
    CHECK_THAT(report, Catch::Contains("| B, decoder and prior guided | ![](guidance/model_b_w3_prior/samples_animal.png) | "
                                       "![](guidance/model_b_w3_prior/samples_vehicle.png) |"));
    CHECK_THAT(run.output, Catch::Contains("guidance sweep (4 samples per z2"));
    for (const char* file : {"guidance/quality_diversity.png", "guidance/model_a_w3/metrics.json",
                             "guidance/model_b_w3/samples_animal.png", "guidance/model_b_w3_prior/metrics.json"})
        CHECK(fs::exists(dir.path / "rep" / file));
    CHECK_FALSE(fs::exists(dir.path / "rep" / "guidance" / "model_a_w1"));
    const std::string guided = read_text(dir.path / "rep" / "guidance" / "model_b_w3_prior" / "metrics.json");
    CHECK_THAT(guided, Catch::Contains("\"prior_guidance\": 3.0"));
}

TEST_CASE("guidance and p_data flags: bad values and guidance a network was not trained for get one line", "[cli][guidance]") {
    TempFolder dir;
    check_one_line_error(hd("train --model flat --epochs 1 --prior_cond_dropout 0.1 " + kTiny, dir.path), 2,
                         "--prior_cond_dropout applies to model B (hierarchical) only");
    check_one_line_error(hd("train --model hierarchical --epochs 1 --cond_dropout 1.5 " + kTiny, dir.path), 2,
                         "--cond_dropout 1.5 is impossible (valid: 0 <= p < 1");
    check_one_line_error(hd("train --model hierarchical --epochs 1 --p_data dog=2 " + kTiny, dir.path), 2,
                         "--p_data: dog=2 is not a probability");
    check_one_line_error(hd("train --model flat --epochs 1 --p_data horse=0.5 " + kTiny, dir.path), 2,
                         "--p_data: unknown mode 'horse'");
    check_one_line_error(hd("demo --output rep --guidance 2 --epochs 1 --image_size 16 --timesteps 50", dir.path), 2,
                         "--guidance 2 needs model A's denoiser trained with condition dropout");
    check_one_line_error(hd("demo --output rep --guidance_sweep 1,x --epochs 1", dir.path), 2,
                         "--guidance_sweep '1,x': 'x' is not a number (valid: weights like 1,2,4, or none)");
    check_one_line_error(hd("demo --output rep --guidance_sweep 2,2 --epochs 1", dir.path), 2,
                         "--guidance_sweep '2,2': 2 is given twice");
    check_one_line_error(hd("demo --output rep --guidance_sweep 1,200 --epochs 1", dir.path), 2,
                         "--guidance_sweep 200 is impossible (valid: 0 … 100");
    check_one_line_error(hd("demo --output rep --guidance_sweep , --epochs 1", dir.path), 2,
                         "--guidance_sweep ',': '' is not a number");
    CHECK_FALSE(fs::exists(dir.path / "rep"));
    CHECK_FALSE(fs::exists(dir.path / "checkpoints")); // nothing trained for bad input

    Run plain = hd("train --model flat --epochs 1 " + kTiny, dir.path);
    if (stopped_at_stub(plain)) return;
    REQUIRE(plain.exit_code == 0);
    const std::string a = " --model_path checkpoints/model_a.safetensors --num_samples 2 --ddim_steps 2";
    check_one_line_error(hd("sample --guidance 2" + a, dir.path), 2, "train it with --cond_dropout");
    check_one_line_error(hd("evaluate --guidance 3" + a, dir.path), 2, "train it with --cond_dropout");
    check_one_line_error(hd("sample --prior_guidance 2" + a, dir.path), 2, "--prior_guidance applies to model B");
    check_one_line_error(hd("sample --guidance -1" + a, dir.path), 2, "--guidance -1 is impossible (valid: 0 … 100");
    CHECK_FALSE(fs::exists(dir.path / "samples"));
}

TEST_CASE("model B trained with both dropouts and an uneven p_data samples and evaluates guided", "[cli][guidance]") {
    TempFolder dir;
    Run train = hd("train --model hierarchical --epochs 1 --cond_dropout 0.1 --prior_cond_dropout 0.2 "
                   "--p_data dog=0.8,car=0.5 " + kTiny, dir.path);
    if (stopped_at_stub(train)) return;
    REQUIRE(train.exit_code == 0);
    const std::string b = " --model_path checkpoints/model_b.safetensors --ddim_steps 2 --guidance 2 --prior_guidance 3";
    Run sample = hd("sample --num_samples 2" + b, dir.path);
    REQUIRE(sample.exit_code == 0);
    CHECK_THAT(sample.output, Catch::Contains("guidance 2, prior guidance 3"));
    Run evaluate = hd("evaluate --num_samples 3 --classifier_steps 5 --quiet" + b, dir.path);
    REQUIRE(evaluate.exit_code == 0);
    CHECK_THAT(evaluate.output, Catch::Contains("guidance w = 2 (decoder), prior guidance w = 3; p_data: dog 0.8 / cat 0.2"));
    const std::string metrics = read_text(dir.path / "evaluation" / "model_b" / "metrics.json");
    for (const char* key : {"\"guidance\": 2.0", "\"prior_guidance\": 3.0", "\"condition_dropout\": 0.1",
                            "\"prior_condition_dropout\": 0.2", "\"dog\": 0.8"})
        CHECK_THAT(metrics, Catch::Contains(key));
}

TEST_CASE("hd summarize --plot draws the quality–diversity and imbalance plots from the metrics files", "[cli][summary]") {
    TempFolder dir;
    auto write_run = [&](const std::string& name, const char* kind, double w, double p_dog, double share, int dogs) {
        std::ofstream(dir.path / name) << fmt::format(
            R"({{"model_kind": "{}", "guidance": {}, "prior_guidance": 1, "p_data": {{"dog": {}, "car": 0.5}},
            "per_z2": {{"animal": {{"classifier": {{"recognisable_share": {}, "recognisable": 10,
                "recognised_modes": {{"dog": {}, "cat": {}, "car": 0, "truck": 0}}, "coverage": {{"num_modes_found": 2}},
                "entropy_nats": 0.6, "kl_nats": 0.1}},
            "coverage": {{"num_modes_found": 2}}, "entropy_nats": 0.7, "kl_nats": 0.05, "near_mode_share": 1.0}}}}}})",
            kind, w, p_dog, share, dogs, 10 - dogs);
    };
    write_run("a1.json", "flat", 1, 0.5, 0.8, 5);
    write_run("a3.json", "flat", 3, 0.9, 0.9, 9);
    write_run("b3.json", "hierarchical", 3, 0.9, 0.9, 8);
    Run run = hd("summarize a1.json a3.json b3.json --plot plots/sweep", dir.path);
    REQUIRE(run.exit_code == 0);
    CHECK_THAT(run.output, Catch::Contains("| A (flat), w = 3, p_data dog=0.9,car=0.5 | animal | 1 | 90 ± 0 % |"));
    CHECK_THAT(run.output, Catch::Contains("wrote plots/sweep_quality_diversity.png, plots/sweep_imbalance.png and "
                                                  "plots/sweep_learning_curve.png"));
    for (const char* png : {"plots/sweep_quality_diversity.png", "plots/sweep_imbalance.png", "plots/sweep_learning_curve.png"}) {
        std::ifstream in(dir.path / png, std::ios::binary);
        std::string signature(8, '\0');
        in.read(signature.data(), 8);
        CHECK(signature == "\x89PNG\r\n\x1a\n");
    }
    std::ofstream(dir.path / "broken.json") << "{\"model_kind\": ";
    check_one_line_error(hd("summarize a1.json broken.json --plot late/sweep", dir.path), 2, "broken.json is not valid JSON");
    CHECK_FALSE(fs::exists(dir.path / "late"));
}
