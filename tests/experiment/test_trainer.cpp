// test_trainer.cpp — the Trainer in-process: a few steps on a tiny model, the checkpoint
// round trip, resume, the loss log on resume, the NaN guard, and condition dropout.
#include "experiment_support.h"

#include "experiment/errors.h"
#include "nn/files.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <sstream>

using namespace hd;
using namespace hd::test;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> csv_rows(const std::string& path) {
    std::istringstream in(read_bytes(path));
    std::vector<std::string> rows;
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) rows.push_back(line);
    return rows;
}

int64_t step_of(const std::string& row) { return std::stoll(row.substr(0, row.find(','))); }

}  // namespace

TEST_CASE("a few Trainer steps give finite losses and a checkpoint that round-trips", "[experiment][trainer]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: the Trainer cannot run");
        return;
    }
    TempFolder dir;
    Trainer trainer(tiny_training(ModelKind::hierarchical, dir.file("b.safetensors"), 1));
    CHECK(trainer.total_steps() == 2);
    const StepReport first = trainer.step();
    CHECK(std::isfinite(first.loss));
    CHECK(first.loss > 0.0);
    CHECK(first.loss == Approx(first.prior_loss + first.decoder_loss).epsilon(1e-5));
    CHECK(trainer.state().step == 1);
    trainer.save();

    LoadedCheckpoint loaded = load_checkpoint(dir.file("b.safetensors"), ModelKind::hierarchical);
    CHECK(loaded.state.step == 1);
    CHECK(loaded.model->config.to_metadata() == trainer.model().config.to_metadata());
    CHECK(loaded.state.settings.at("batch_size") == "16");
    const auto saved = trainer.model().named_parameters(), read = loaded.model->named_parameters();
    REQUIRE(saved.size() == read.size());
    for (size_t k = 0; k < saved.size(); ++k) {
        INFO(saved[k].first);
        REQUIRE(saved[k].second.numel() == read[k].second.numel());
        CHECK(std::memcmp(saved[k].second.data(), read[k].second.data(), sizeof(float) * saved[k].second.numel()) == 0);
    }
    CHECK(loaded.ema_weights.size() == saved.size());
    CHECK_FALSE(loaded.optimizer_state.empty());
}

TEST_CASE("run() trains to the planned step and writes checkpoint, CSV and plot", "[experiment][trainer]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: the Trainer cannot run");
        return;
    }
    TempFolder dir;
    const TrainResult result = train_model(tiny_training(ModelKind::flat, dir.file("a.safetensors"), 2));
    CHECK(result.steps == 4);
    CHECK(std::isfinite(result.final_loss));
    CHECK(result.loss_log == dir.file("a_loss.csv"));
    CHECK(csv_rows(result.loss_log).size() == 4);
    CHECK(std::filesystem::exists(result.loss_plot));
    CHECK(load_checkpoint(result.checkpoint).state.epoch == 2);
}

TEST_CASE("snapshots keep the checkpoint of every Nth epoch, and the checkpoint records the training time",
          "[experiment][trainer]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: the Trainer cannot run");
        return;
    }
    TempFolder dir;
    TrainOptions o = tiny_training(ModelKind::flat, dir.file("a.safetensors"), 3);
    o.snapshot_every = 2;
    train_model(o);
    CHECK(snapshot_path(dir.file("a.safetensors"), 2) == dir.file("a_epoch2.safetensors"));
    const LoadedCheckpoint snapshot = load_checkpoint(dir.file("a_epoch2.safetensors"));
    CHECK(snapshot.state.epoch == 2);
    CHECK(snapshot.state.step == 4);
    CHECK_FALSE(std::filesystem::exists(dir.file("a_epoch1.safetensors")));
    CHECK_FALSE(std::filesystem::exists(dir.file("a_epoch3.safetensors")));
    const LoadedCheckpoint last = load_checkpoint(dir.file("a.safetensors"));
    CHECK(last.state.seconds > 0.0);
    CHECK(last.state.seconds >= snapshot.state.seconds);

    o.snapshot_every = 4; // more than --epochs
    CHECK_THROWS_WITH(Trainer(o), Contains("--snapshot_every 4 is impossible (valid: 0 = off, or 1 … --epochs (3))"));
}

TEST_CASE("a resumed Trainer continues from the saved step and refuses a finished run", "[experiment][trainer]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: the Trainer cannot run");
        return;
    }
    TempFolder dir;
    const std::string path = dir.file("a.safetensors");
    train_model(tiny_training(ModelKind::flat, path, 1));
    TrainOptions more = tiny_training(ModelKind::flat, path, 2);
    more.resume = true;
    Trainer resumed(more);
    CHECK(resumed.state().step == 2);
    CHECK(resumed.loss_log().size() == 2);
    CHECK(resumed.run().steps == 4);
    CHECK_THROWS_WITH(Trainer(more), Contains("has already trained 4 steps"));
    TrainOptions wrong = more;
    wrong.model.kind = ModelKind::hierarchical;
    CHECK_THROWS_WITH(Trainer(wrong), Contains("holds a flat model, not a hierarchical one"));
}

TEST_CASE("resume cuts the loss log back to the checkpoint's step", "[experiment][trainer]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: the Trainer cannot run");
        return;
    }
    TempFolder dir;
    const std::string path = dir.file("a.safetensors");
    train_model(tiny_training(ModelKind::flat, path, 1));
    // A killed run that had logged three steps past the checkpoint (step 2).
    std::string csv = read_bytes(dir.file("a_loss.csv"));
    for (int step = 3; step <= 5; ++step) csv += std::to_string(step) + ",1,9,0,0,0.001,1,10.0\n";
    write_file_atomic(dir.file("a_loss.csv"), csv);
    // and a temporary of a checkpoint write by a process that no longer exists
    write_file_atomic(dir.file("scratch"), "partial");
    std::filesystem::rename(dir.file("scratch"), path + ".tmp.999999999.0");

    TrainOptions more = tiny_training(ModelKind::flat, path, 2);
    more.resume = true;
    Trainer resumed(more);
    CHECK_FALSE(std::filesystem::exists(path + ".tmp.999999999.0"));
    resumed.run();
    const std::vector<std::string> rows = csv_rows(dir.file("a_loss.csv"));
    REQUIRE(rows.size() == 4);
    for (size_t k = 0; k < rows.size(); ++k) CHECK(step_of(rows[k]) == int64_t(k + 1));
    CHECK_THAT(read_bytes(dir.file("a_loss.csv")), !Contains(",1,9,0,0,"));
}

TEST_CASE("a non-finite loss stops training and keeps the last good checkpoint", "[experiment][trainer]") {
    if (homework_is_stubbed()) {
        WARN("Parts 1–5 are stubs: the Trainer cannot run");
        return;
    }
    TempFolder dir;
    const std::string path = dir.file("a.safetensors");
    train_model(tiny_training(ModelKind::flat, path, 1));
    const std::string good = read_bytes(path), good_log = read_bytes(dir.file("a_loss.csv"));

    TrainOptions more = tiny_training(ModelKind::flat, path, 3);
    more.resume = true;
    Trainer poisoned(more);
    Tensor weight = poisoned.model().named_parameters().front().second; // shares the model's storage
    weight.data()[0] = std::nanf("");
    CHECK_THROWS_WITH(poisoned.run(), Contains("the loss became nan at step 2") && Contains("keeps the last good checkpoint"));
    CHECK(read_bytes(path) == good);
    CHECK(read_bytes(dir.file("a_loss.csv")) == good_log);
}

TEST_CASE("training options and paths are checked before any work", "[experiment][trainer]") {
    TempFolder dir;
    TrainOptions o = tiny_training(ModelKind::flat, dir.file("a.safetensors"), 1);
    o.grad_clip = std::nanf("");
    CHECK_THROWS_AS(Trainer(o), UsageError);
    o = tiny_training(ModelKind::flat, dir.file("a.safetensors"), 1);
    o.model.prior_condition_dropout = 0.1f;
    CHECK_THROWS_WITH(Trainer(o), Contains("--prior_cond_dropout applies to model B (hierarchical) only"));
    for (float bad : {-0.1f, 1.0f, std::nanf("")}) {
        CAPTURE(bad);
        o = tiny_training(ModelKind::hierarchical, dir.file("b.safetensors"), 1);
        o.model.condition_dropout = bad;
        CHECK_THROWS_WITH(Trainer(o), Contains("--cond_dropout") && Contains("valid: 0 <= p < 1"));
        o = tiny_training(ModelKind::hierarchical, dir.file("b.safetensors"), 1);
        o.model.prior_condition_dropout = bad;
        CHECK_THROWS_WITH(Trainer(o), Contains("--prior_cond_dropout") && Contains("valid: 0 <= p < 1"));
    }
    o = tiny_training(ModelKind::flat, dir.file("a.safetensors"), 1);
    o.resume = true;
    CHECK_THROWS_WITH(Trainer(o), Contains("--resume: no checkpoint at"));
    std::filesystem::create_directories(dir.file("folder.safetensors"));
    o = tiny_training(ModelKind::flat, dir.file("folder.safetensors"), 1);
    CHECK_THROWS_WITH(Trainer(o), Contains("is not a regular file"));
    CHECK_FALSE(std::filesystem::exists(dir.file("a.safetensors")));
}

