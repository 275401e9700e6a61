// summary.h — the mean and spread of every figure over several evaluation runs (seeds),
// per model, sampling setting and z2, as a Markdown table (`hd summarize`), and the two
// pictures of the guidance and imbalance sweeps (`hd summarize --plot`).
//
// One run is one draw: with 64 samples per z2 a share moves by several points between
// seeds, so the README's experiment table is this summary over several seeds. Runs are
// averaged together when they share a RunSetting: the model, both guidance weights and
// p_data.
#pragma once

#include "experiment/plot.h"

#include <nlohmann/json.hpp>

#include <compare>
#include <optional>
#include <string>
#include <vector>

namespace hd {

/// How a run was trained and sampled, and on which data. Keys older metrics files lack
/// read as the defaults (no guidance, p_data 0.5/0.5) or as 0 (image size and steps: not
/// recorded).
struct RunSetting {
    std::string kind; // "flat" | "hierarchical"
    double guidance = 1.0, prior_guidance = 1.0;
    double p_dog = 0.5, p_car = 0.5; // p_data(dog | animal), p_data(car | vehicle)
    int64_t image_size = 0;
    int64_t trained_steps = 0;
    auto operator<=>(const RunSetting&) const = default;
};

/// What the plots read from one metrics.json.
struct RunFigures {
    RunSetting setting;
    double recognised_share = 0.0;        // the classifier's, mean over both z2
    std::optional<double> classifier_kl;  // KL(p_data ‖ p_model) of the recognised samples, mean over the z2 that have any
    std::optional<double> p_model_dog;    // z2 = animal: recognised dogs / recognised samples (over all four modes)
    double trained_minutes = 0.0;         // the checkpoint's training time (0: not recorded)
    double students_kl = 0.0;             // Part 5 on the nearest-reference modes, mean over both z2
};
/// UsageError naming `path` when a figure is missing.
RunFigures run_figures(const nlohmann::json& metrics, const std::string& path);

/// The quality–diversity plot: one curve per model (model B: decoder guidance alone, and
/// decoder and prior guided with the same w, as two curves; one per p_data too), one
/// point per guidance weight w at (classifier KL, recognised share), mean ± standard
/// deviation over the runs sharing the setting, labelled with w. An unguided run of B is
/// the w = 1 point of both of B's curves.
std::vector<PointSeries> quality_diversity_series(const std::vector<RunFigures>& runs);
/// The imbalance plot: one series per model and guidance weights, one point per
/// p_data(dog | animal) at p_model(dog | animal), mean ± standard deviation over runs.
std::vector<PointSeries> imbalance_series(const std::vector<RunFigures>& runs);

/// The learning curve: one series per model and image size (and guidance and p_data when
/// not the defaults), one point per training budget (trained steps, labelled with them)
/// at (training minutes, recognised share), mean ± standard deviation over the runs.
std::vector<PointSeries> learning_curve_series(const std::vector<RunFigures>& runs);

/// The quality–diversity plot of `runs` (quality_diversity_series), a PNG at `path`.
void write_quality_diversity_plot(const std::vector<RunFigures>& runs, const std::string& path);

struct SummaryPlots {
    std::string quality_diversity; // <prefix>_quality_diversity.png
    std::string imbalance;         // <prefix>_imbalance.png
    std::string learning_curve;    // <prefix>_learning_curve.png
};
/// Reads the metrics files and writes the three plots (PNG, through the safe writer).
SummaryPlots write_summary_plots(const std::vector<std::string>& paths, const std::string& prefix);

/// A metrics.json written by evaluate_model; UsageError naming the file when it is
/// missing, not JSON, or not an evaluation.
nlohmann::json read_metrics(const std::string& path);

/// The Markdown table over the metrics.json files at `paths`.
std::string summarize(const std::vector<std::string>& paths);

}  // namespace hd
