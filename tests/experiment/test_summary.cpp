// test_summary.cpp — what `hd summarize` groups and plots: runs grouped by model, guidance
// weights and p_data; the quality–diversity and imbalance series (means, standard
// deviations, labels) from hand-made figures; and the two PNGs.
#include "experiment_support.h"

#include "diffusion/image_io.h"
#include "experiment/errors.h"
#include "experiment/plot.h"
#include "experiment/summary.h"
#include "nn/files.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace hd;
using namespace hd::test;
using Catch::Matchers::Contains;

namespace {

RunFigures run(const std::string& kind, double w, double prior_w, double kl, double share, double p_dog = 0.5,
               std::optional<double> p_model_dog = std::nullopt) {
    return {.setting = {.kind = kind, .guidance = w, .prior_guidance = prior_w, .p_dog = p_dog, .p_car = p_dog},
            .recognised_share = share, .classifier_kl = kl, .p_model_dog = p_model_dog};
}

const PointSeries& named(const std::vector<PointSeries>& series, const std::string& name) {
    for (const PointSeries& s : series)
        if (s.name == name) return s;
    FAIL("no series named '" << name << "'");
    throw std::logic_error("unreachable");
}

// A metrics.json as hd evaluate writes it, with the figures the plots read.
nlohmann::json metrics(const std::string& kind, double w, double prior_w, double p_dog, int64_t dogs, int64_t recognised) {
    nlohmann::json m{{"model_kind", kind}, {"guidance", w}, {"prior_guidance", prior_w},
                     {"p_data", {{"dog", p_dog}, {"cat", 1 - p_dog}, {"car", 0.5}, {"truck", 0.5}}}};
    for (const char* z2 : {"animal", "vehicle"})
        m["per_z2"][z2] = {{"coverage", {{"num_modes_found", 2}}}, {"entropy_nats", 0.6}, {"kl_nats", 0.1},
                           {"near_mode_share", 1.0},
                           {"classifier", {{"recognisable_share", double(recognised) / 10.0},
                                           {"recognisable", recognised},
                                           {"recognised_modes", {{"dog", dogs}, {"cat", recognised - dogs}, {"car", 0}, {"truck", 0}}},
                                           {"coverage", {{"num_modes_found", 2}}}, {"entropy_nats", 0.6},
                                           {"kl_nats", std::string(z2) == "animal" ? 0.2 : 0.4}}}};
    return m;
}

}  // namespace

TEST_CASE("the quality–diversity series: mean ± sd over seeds per model and w, labelled with w", "[experiment][summary]") {
    const std::vector<RunFigures> runs = {
        run("flat", 1, 1, 0.10, 0.80), run("flat", 1, 1, 0.20, 0.90),  // A, w = 1: two seeds
        run("flat", 3, 1, 0.50, 0.95),                                  // A, w = 3
        run("hierarchical", 1, 1, 0.05, 0.70),                          // B unguided
        run("hierarchical", 3, 1, 0.06, 0.90),                          // B, decoder guided
        run("hierarchical", 3, 3, 0.30, 0.92),                          // B, decoder and prior guided
    };
    const std::vector<PointSeries> series = quality_diversity_series(runs);
    REQUIRE(series.size() == 3);
    const PointSeries& a = named(series, "A (flat)");
    REQUIRE(a.points.size() == 2);
    CHECK(a.points[0].label == "1");
    CHECK(a.points[0].x == Approx(0.15).margin(1e-12));
    CHECK(a.points[0].y == Approx(0.85).margin(1e-12));
    CHECK(a.points[0].x_error == Approx(0.0707107).margin(1e-6)); // sample sd of (0.1, 0.2)
    CHECK(a.points[0].y_error == Approx(0.0707107).margin(1e-6));
    CHECK(a.points[1].label == "3");
    CHECK(a.points[1].y_error == 0.0);
    const PointSeries& decoder = named(series, "B, decoder guided");
    REQUIRE(decoder.points.size() == 2);
    CHECK(decoder.points[1].x == Approx(0.06).margin(1e-12));
    // The unguided run of B starts the curve whose prior is guided with w as well.
    const PointSeries& both = named(series, "B, decoder + prior guided");
    REQUIRE(both.points.size() == 2);
    CHECK(both.points[0].label == "1");
    CHECK(both.points[0].x == Approx(0.05).margin(1e-12));
    CHECK(both.points[1].x == Approx(0.30).margin(1e-12));

    // A run whose classifier recognised nothing has no KL to be placed at.
    RunFigures blind = run("flat", 6, 1, 0.0, 0.0);
    blind.classifier_kl.reset();
    CHECK(named(quality_diversity_series({blind, runs[0]}), "A (flat)").points.size() == 1);
}

TEST_CASE("the imbalance series: p_model(dog) against p_data(dog) per model and w", "[experiment][summary]") {
    const std::vector<RunFigures> runs = {
        run("flat", 1, 1, 0.1, 0.9, 0.5, 0.45), run("flat", 1, 1, 0.1, 0.9, 0.5, 0.55), run("flat", 1, 1, 0.1, 0.9, 0.9, 0.8),
        run("hierarchical", 3, 1, 0.1, 0.9, 0.5, 0.5), run("hierarchical", 3, 1, 0.1, 0.9, 0.9, 0.88),
        run("flat", 4, 1, 0.1, 0.9, 0.5, 0.7), // a guidance-sweep run at one p_data only: left out
    };
    const std::vector<PointSeries> series = imbalance_series(runs);
    REQUIRE(series.size() == 2);
    const PointSeries& a = named(series, "A, w = 1");
    REQUIRE(a.points.size() == 2);
    CHECK(a.points[0].x == 0.5);
    CHECK(a.points[0].y == Approx(0.5).margin(1e-12));
    CHECK(a.points[0].y_error == Approx(0.0707107).margin(1e-6));
    CHECK(a.points[1].x == 0.9);
    CHECK(a.points[1].y == Approx(0.8).margin(1e-12));
    CHECK(named(series, "B, w = 3").points[1].y == Approx(0.88).margin(1e-12));
    // With nothing but single-p_data series, they are what there is to show.
    CHECK(imbalance_series({runs[5]}).size() == 1);
}

TEST_CASE("the learning curve: recognised share against minutes, one point per budget, one series per model and size",
          "[experiment][summary]") {
    auto at = [](const std::string& kind, int64_t size, int64_t steps, double minutes, double share) {
        RunFigures r = run(kind, 1, 1, 0.1, share);
        r.setting.image_size = size, r.setting.trained_steps = steps, r.trained_minutes = minutes;
        return r;
    };
    const std::vector<RunFigures> runs = {
        at("flat", 64, 2560, 4.0, 0.30), at("flat", 64, 2560, 5.0, 0.40), // two seeds at one budget
        at("flat", 64, 12800, 20.0, 0.90),
        at("hierarchical", 64, 12800, 22.0, 0.95),
        at("flat", 32, 12800, 6.0, 0.92),
    };
    const std::vector<PointSeries> series = learning_curve_series(runs);
    REQUIRE(series.size() == 3);
    const PointSeries& a64 = named(series, "A (flat), 64x64");
    REQUIRE(a64.points.size() == 2);
    CHECK(a64.points[0].label == "2560");
    CHECK(a64.points[0].x == Approx(4.5).margin(1e-12));
    CHECK(a64.points[0].x_error == Approx(0.7071068).margin(1e-6));
    CHECK(a64.points[0].y == Approx(0.35).margin(1e-12));
    CHECK(a64.points[1].label == "12800");
    CHECK(a64.points[1].y == Approx(0.90).margin(1e-12));
    CHECK(named(series, "A (flat), 32x32").points.size() == 1);
    CHECK(named(series, "B (hierarchical), 64x64").points[0].x == Approx(22.0).margin(1e-12));
}

TEST_CASE("run_figures reads a metrics.json, and files from before the guidance keys read as unguided at 0.5/0.5",
          "[experiment][summary]") {
    const RunFigures r = run_figures(metrics("hierarchical", 3, 2, 0.8, 6, 8), "m.json");
    CHECK(r.setting.kind == "hierarchical");
    CHECK(r.setting.guidance == 3.0);
    CHECK(r.setting.prior_guidance == 2.0);
    CHECK(r.setting.p_dog == 0.8);
    CHECK(r.recognised_share == Approx(0.8).margin(1e-12));
    REQUIRE(r.classifier_kl);
    CHECK(*r.classifier_kl == Approx(0.3).margin(1e-12)); // mean of 0.2 and 0.4
    REQUIRE(r.p_model_dog);
    CHECK(*r.p_model_dog == Approx(0.75).margin(1e-12)); // 6 dogs of 8 recognised
    CHECK(r.setting.image_size == 0); // not recorded in this file
    CHECK(r.students_kl == Approx(0.1).margin(1e-12));
    nlohmann::json timed = metrics("flat", 1, 1, 0.5, 4, 8);
    timed["image_size"] = 64, timed["trained_steps"] = 12800, timed["trained_seconds"] = 900.0;
    const RunFigures t = run_figures(timed, "timed.json");
    CHECK(t.setting.image_size == 64);
    CHECK(t.setting.trained_steps == 12800);
    CHECK(t.trained_minutes == Approx(15.0).margin(1e-12));

    nlohmann::json old = metrics("flat", 1, 1, 0.5, 4, 8);
    old.erase("guidance"), old.erase("prior_guidance"), old.erase("p_data");
    const RunFigures o = run_figures(old, "old.json");
    CHECK(o.setting == RunSetting{.kind = "flat"});
    nlohmann::json none = metrics("flat", 1, 1, 0.5, 0, 0);
    CHECK_FALSE(run_figures(none, "none.json").p_model_dog);
    none["per_z2"]["animal"].erase("classifier");
    CHECK_THROWS_WITH(run_figures(none, "none.json"), Contains("none.json is not an hd evaluate metrics.json"));
}

TEST_CASE("hd summarize groups runs by guidance and p_data, and writes both plots", "[experiment][summary]") {
    TempFolder dir;
    std::vector<std::string> paths;
    int k = 0;
    for (double w : {1.0, 3.0})
        for (double p : {0.5, 0.9})
            for (int seed = 0; seed < 2; ++seed) {
                paths.push_back(dir.file(fmt::format("run{}.json", k++)));
                write_file_atomic(paths.back(), metrics("flat", w, 1, p, 4 + seed, 8).dump());
            }
    const std::string table = summarize(paths);
    CHECK_THAT(table, Contains("| A (flat) | animal | 2 |"));
    CHECK_THAT(table, Contains("| A (flat), w = 3 | animal | 2 |"));
    CHECK_THAT(table, Contains("| A (flat), w = 3, p_data dog=0.9,car=0.5 | vehicle | 2 |"));
    // Runs of different sizes or budgets are not averaged together.
    nlohmann::json longer = metrics("flat", 1, 1, 0.5, 4, 8);
    longer["image_size"] = 64, longer["trained_steps"] = 12800;
    write_file_atomic(dir.file("longer.json"), longer.dump());
    CHECK_THAT(summarize({paths[0], dir.file("longer.json")}), Contains("| A (flat), 64×64, 12800 steps | animal | 1 |"));

    const SummaryPlots plots = write_summary_plots(paths, dir.file("sweep"));
    CHECK(plots.quality_diversity == dir.file("sweep_quality_diversity.png"));
    CHECK(plots.imbalance == dir.file("sweep_imbalance.png"));
    CHECK(plots.learning_curve == dir.file("sweep_learning_curve.png"));
    for (const std::string& png : {plots.quality_diversity, plots.imbalance, plots.learning_curve}) {
        const RgbImage image = read_png(png);
        CHECK(image.width == PointPlotOptions{}.width);
        // Something was drawn in the series' colours, not just the frame.
        int coloured = 0;
        for (int y = 0; y < image.height; ++y)
            for (int x = 0; x < image.width; ++x) {
                const Rgb8 c = image.at(x, y);
                coloured += c.r > 150 && c.g < 80 && c.b < 80;
            }
        CHECK(coloured > 50);
    }
    CHECK_THROWS_AS(write_summary_plots({dir.file("missing.json")}, dir.file("x")), UsageError);
    CHECK_FALSE(std::filesystem::exists(dir.file("x_quality_diversity.png")));
}

TEST_CASE("a point chart of quantities that cannot be negative starts its axis at 0 and cuts the bar there",
          "[experiment][summary]") {
    // A KL of 0.01 ± 0.05 over seeds: the mean minus its spread is below 0, which no KL is.
    const Rgb8 red{200, 30, 30};
    const PointSeries kl{.name = "A", .colour = red,
                         .points = {{.x = 0.01, .y = 0.5, .x_error = 0.05}, {.x = 0.2, .y = 0.9}}};
    const RgbImage image = point_plot({kl}, {.title = "T", .x_label = "X", .y_label = "Y"});
    int leftmost = image.width;
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const Rgb8 c = image.at(x, y);
            if (c.r == red.r && c.g == red.g && c.b == red.b) leftmost = std::min(leftmost, x);
        }
    // The chart's left edge is 70 pixels in; x = 0.01 of a range 0 … 0.21 lies within a few
    // pixels of it (the dot's radius is 4). An axis widened to the bar's end, −0.04, would
    // put the bar's left end there and the dot some 40 pixels right of it.
    CHECK(leftmost >= 70);
    CHECK(leftmost <= 70 + 4);
}
