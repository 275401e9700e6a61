// summary.cpp — see summary.h.
#include "experiment/summary.h"

#include "experiment/errors.h"
#include "diffusion/image_io.h"
#include "nn/files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

namespace hd {

namespace {

constexpr size_t kMaxMetricsBytes = size_t{64} << 20; // a metrics.json is a few kilobytes

// Mean and sample standard deviation ("± 0" for a single run).
std::string mean_and_spread(const std::vector<double>& values, int decimals, double scale = 1.0) {
    double mean = 0.0, square = 0.0;
    for (double v : values) mean += v * scale;
    mean /= double(values.size());
    for (double v : values) square += (v * scale - mean) * (v * scale - mean);
    const double sd = values.size() > 1 ? std::sqrt(square / double(values.size() - 1)) : 0.0;
    return fmt::format("{:.{}f} ± {:.{}f}", mean, decimals, sd, decimals);
}

// The figure's mean and spread, or "—" when no run had it (e.g. the classifier's coverage
// when it recognised no sample).
std::string figure(const std::map<std::string, std::vector<double>>& f, const std::string& key, int decimals,
                   double scale = 1.0) {
    auto found = f.find(key);
    return found == f.end() || found->second.empty() ? "—" : mean_and_spread(found->second, decimals, scale);
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag.
std::string json_problem(const nlohmann::json::exception& e) {
    const std::string text = e.what();
    const size_t tag_end = text.rfind("] ", text.find(' '));
    return tag_end == std::string::npos ? text : text.substr(tag_end + 2);
}

}  // namespace

nlohmann::json read_metrics(const std::string& path) {
    std::string text;
    try {
        text = read_file_bounded(path, kMaxMetricsBytes);
    } catch (const FileError&) {
        throw UsageError(fmt::format("cannot read {} (write one with hd evaluate)", path));
    }
    try {
        nlohmann::json m = nlohmann::json::parse(text);
        if (!m.contains("per_z2") || !m.contains("model_kind"))
            throw UsageError(fmt::format("{} is not an hd evaluate metrics.json (no per_z2 / model_kind)", path));
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw UsageError(fmt::format("{} is not valid JSON ({})", path, json_problem(e)));
    }
}

namespace {

using Figures = std::map<std::string, std::vector<double>>; // figure -> one value per run

// One run's figures of one z2.
void collect(Figures& f, const nlohmann::json& e) {
    const nlohmann::json& c = e.at("classifier");
    f["recognised"].push_back(c.at("recognisable_share").get<double>());
    if (c.contains("coverage")) { // absent when the classifier recognised no sample
        f["cls_cover"].push_back(c["coverage"].at("num_modes_found").get<double>());
        f["cls_h"].push_back(c.at("entropy_nats").get<double>());
        f["cls_kl"].push_back(c.at("kl_nats").get<double>());
        if (c.contains("students_agreement")) f["agree"].push_back(c["students_agreement"].get<double>());
    }
    f["cover"].push_back(e.at("coverage").at("num_modes_found").get<double>());
    f["h"].push_back(e.at("entropy_nats").get<double>());
    f["kl"].push_back(e.at("kl_nats").get<double>());
    f["near"].push_back(e.at("near_mode_share").get<double>());
    if (e.contains("prior")) {
        f["prior_h"].push_back(e["prior"].at("entropy_nats").get<double>());
        f["prior_kl"].push_back(e["prior"].at("kl_nats").get<double>());
    }
}

// The table's model column: the model, and how it was sampled and trained when not the
// default; the image size and budget only when the runs differ in them (`budget`).
// `times` is "×" in Markdown and "x" in a plot's legend (the bitmap font is ASCII).
std::string setting_label(const RunSetting& s, bool budget, const char* times = "×") {
    std::string label = s.kind == "flat" ? "A (flat)" : "B (hierarchical)";
    if (s.guidance != 1.0) label += fmt::format(", w = {:g}", s.guidance);
    if (s.prior_guidance != 1.0) label += fmt::format(", prior w = {:g}", s.prior_guidance);
    if (s.p_dog != 0.5 || s.p_car != 0.5) label += fmt::format(", p_data dog={:g},car={:g}", s.p_dog, s.p_car);
    if (budget && s.image_size > 0) label += fmt::format(", {}{}{}", s.image_size, times, s.image_size);
    if (budget && s.trained_steps > 0) label += fmt::format(", {} steps", s.trained_steps);
    return label;
}

RunSetting run_setting(const nlohmann::json& m) {
    RunSetting s{.kind = m.at("model_kind").get<std::string>(),
                 .guidance = m.value("guidance", 1.0),
                 .prior_guidance = m.value("prior_guidance", 1.0),
                 .image_size = m.value("image_size", int64_t{0}),
                 .trained_steps = m.value("trained_steps", int64_t{0})};
    if (m.contains("p_data")) s.p_dog = m["p_data"].at("dog").get<double>(), s.p_car = m["p_data"].at("car").get<double>();
    return s;
}

}  // namespace

std::string summarize(const std::vector<std::string>& paths) {
    // (run setting, z2) -> figure -> one value per run
    std::map<std::pair<RunSetting, std::string>, Figures> figures;
    std::set<std::string> samplers;
    std::set<int64_t> samples;
    std::set<std::pair<int64_t, int64_t>> budgets; // (image size, trained steps)
    for (const std::string& path : paths) {
        const nlohmann::json m = read_metrics(path);
        try {
            const RunSetting setting = run_setting(m);
            budgets.insert({setting.image_size, setting.trained_steps});
            samplers.insert(m.value("sampler", "?"));
            samples.insert(m.value("num_samples_per_z2", int64_t{0}));
            for (const auto& [z2, e] : m["per_z2"].items()) collect(figures[{setting, z2}], e);
        } catch (const nlohmann::json::exception& e) {
            throw UsageError(fmt::format("{} is not an hd evaluate metrics.json ({})", path, json_problem(e)));
        }
    }
    // Runs evaluated differently are still summarised, but the header says so.
    // One image size and budget for all: said once in the header, not in every row.
    const bool budget_per_row = budgets.size() > 1;
    std::string budget;
    if (budgets.size() == 1 && budgets.begin()->first > 0)
        budget = fmt::format(", {}×{} images, {} training steps", budgets.begin()->first, budgets.begin()->first,
                             budgets.begin()->second);
    std::string text = fmt::format("{} metrics files{}, {} samples per z2, {}; mean ± standard deviation over runs\n\n",
                                   paths.size(), budget, fmt::join(samples, " / "), fmt::join(samplers, " / "));
    text += "| model | z2 | runs | recognised (classifier) | classifier coverage | classifier H / KL (nats) "
            "| students' coverage | students' H / KL (nats) | near-mode | prior z1 H / KL "
            "| nearest reference agrees with the classifier |\n";
    text += "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& [key, f] : figures) {
        const auto& [setting, z2] = key;
        const std::string prior = f.count("prior_h")
            ? fmt::format("{} / {}", mean_and_spread(f.at("prior_h"), 3), mean_and_spread(f.at("prior_kl"), 3))
            : "—";
        const std::string agree = f.count("agree") ? figure(f, "agree", 0, 100.0) + " %" : "—";
        text += fmt::format("| {} | {} | {} | {} % | {} | {} / {} | {} | {} / {} | {} % | {} | {} |\n",
                            setting_label(setting, budget_per_row), z2, f.at("recognised").size(),
                            mean_and_spread(f.at("recognised"), 0, 100.0), figure(f, "cls_cover", 1),
                            figure(f, "cls_h", 3), figure(f, "cls_kl", 3),
                            mean_and_spread(f.at("cover"), 1), mean_and_spread(f.at("h"), 3),
                            mean_and_spread(f.at("kl"), 3), mean_and_spread(f.at("near"), 0, 100.0), prior, agree);
    }
    return text;
}

// ---- the plots ----------------------------------------------------------------------------

RunFigures run_figures(const nlohmann::json& m, const std::string& path) {
    try {
        RunFigures r;
        r.setting = run_setting(m);
        r.trained_minutes = m.value("trained_seconds", 0.0) / 60.0;
        double share = 0.0, kl = 0.0, students_kl = 0.0;
        int z2_count = 0, kl_count = 0;
        for (const auto& [z2, e] : m.at("per_z2").items()) {
            const nlohmann::json& c = e.at("classifier");
            share += c.at("recognisable_share").get<double>(), ++z2_count;
            students_kl += e.at("kl_nats").get<double>();
            if (c.contains("kl_nats")) kl += c["kl_nats"].get<double>(), ++kl_count;
            if (z2 == "animal" && c.at("recognisable").get<double>() > 0)
                r.p_model_dog = c.at("recognised_modes").at("dog").get<double>() / c["recognisable"].get<double>();
        }
        if (z2_count == 0) throw UsageError(fmt::format("{} has no per_z2 figures", path));
        r.recognised_share = share / z2_count;
        r.students_kl = students_kl / z2_count;
        if (kl_count > 0) r.classifier_kl = kl / kl_count;
        return r;
    } catch (const nlohmann::json::exception& e) {
        throw UsageError(fmt::format("{} is not an hd evaluate metrics.json: {}", path, e.what()));
    }
}

namespace {

constexpr Rgb8 kSeriesColours[] = {{200, 40, 40},  {40, 90, 200},   {40, 150, 60},  {220, 140, 20},
                                   {140, 60, 170}, {30, 160, 170},  {190, 90, 140}, {110, 110, 110}};
Rgb8 series_colour(size_t k) { return kSeriesColours[k % std::size(kSeriesColours)]; }

struct MeanSd {
    double mean = 0.0, sd = 0.0;
};
// The mean and the sample standard deviation (0 for a single value).
MeanSd mean_sd(const std::vector<double>& values) {
    MeanSd out;
    for (double v : values) out.mean += v;
    out.mean /= double(values.size());
    double square = 0.0;
    for (double v : values) square += (v - out.mean) * (v - out.mean);
    if (values.size() > 1) out.sd = std::sqrt(square / double(values.size() - 1));
    return out;
}

std::string p_data_suffix(double p_dog, double p_car) {
    return p_dog == 0.5 && p_car == 0.5 ? "" : fmt::format(", p_data dog={:g},car={:g}", p_dog, p_car);
}

// A quality–diversity curve: the model, p_data, and what B's prior did while w moved
// (kSameAsW: guided with w too; otherwise its fixed weight).
constexpr double kSameAsW = -1.0;
struct CurveKey {
    std::string kind;
    double p_dog, p_car, prior_guidance;
    auto operator<=>(const CurveKey&) const = default;
};

std::string curve_name(const CurveKey& k) {
    std::string name = k.kind == "flat"                 ? "A (flat)"
                       : k.prior_guidance == 1.0        ? "B, decoder guided"
                       : k.prior_guidance == kSameAsW   ? "B, decoder + prior guided"
                                                        : fmt::format("B, prior w = {:g}", k.prior_guidance);
    return name + p_data_suffix(k.p_dog, k.p_car);
}

}  // namespace

std::vector<PointSeries> quality_diversity_series(const std::vector<RunFigures>& runs) {
    // curve -> w -> the runs at that point
    std::map<CurveKey, std::map<double, std::vector<const RunFigures*>>> curves;
    auto key_of = [](const RunSetting& s, double prior) { return CurveKey{s.kind, s.p_dog, s.p_car, prior}; };
    for (const RunFigures& r : runs) {
        if (!r.classifier_kl) continue; // nothing recognised: no KL to place it at
        const RunSetting& s = r.setting;
        const bool prior_follows_w = s.kind != "flat" && s.prior_guidance == s.guidance && s.guidance != 1.0;
        curves[key_of(s, prior_follows_w ? kSameAsW : s.prior_guidance)][s.guidance].push_back(&r);
    }
    // An unguided run of B starts the curve where its prior is guided with w as well.
    for (const RunFigures& r : runs) {
        const RunSetting& s = r.setting;
        auto curve = curves.find(key_of(s, kSameAsW));
        if (r.classifier_kl && s.kind != "flat" && s.guidance == 1.0 && s.prior_guidance == 1.0 && curve != curves.end())
            curve->second[1.0].push_back(&r);
    }
    std::vector<PointSeries> series;
    for (const auto& [key, points] : curves) {
        PointSeries line{.name = curve_name(key), .colour = series_colour(series.size()), .points = {}};
        for (const auto& [w, at] : points) {
            std::vector<double> kl, share;
            for (const RunFigures* r : at) kl.push_back(*r->classifier_kl), share.push_back(r->recognised_share);
            const MeanSd x = mean_sd(kl), y = mean_sd(share);
            line.points.push_back({.x = x.mean, .y = y.mean, .x_error = x.sd, .y_error = y.sd, .label = fmt::format("{:g}", w)});
        }
        series.push_back(std::move(line));
    }
    return series;
}

std::vector<PointSeries> imbalance_series(const std::vector<RunFigures>& runs) {
    // (model, w, prior w) -> p_data(dog | animal) -> p_model(dog | animal) of each run
    std::map<std::tuple<std::string, double, double>, std::map<double, std::vector<double>>> groups;
    for (const RunFigures& r : runs)
        if (r.p_model_dog)
            groups[{r.setting.kind, r.setting.guidance, r.setting.prior_guidance}][r.setting.p_dog].push_back(*r.p_model_dog);
    std::vector<PointSeries> series;
    for (const auto& [key, points] : groups) {
        const auto& [kind, w, prior_w] = key;
        std::string name = fmt::format("{}, w = {:g}", kind == "flat" ? "A" : "B", w);
        if (prior_w != 1.0) name += fmt::format(", prior w = {:g}", prior_w);
        PointSeries line{.name = name, .colour = series_colour(series.size()), .points = {}};
        for (const auto& [p_data, p_model] : points) {
            const MeanSd y = mean_sd(p_model);
            line.points.push_back({.x = p_data, .y = y.mean, .x_error = 0.0, .y_error = y.sd, .label = {}});
        }
        series.push_back(std::move(line));
    }
    // A series at one p_data says nothing about imbalance (e.g. the guidance sweep's runs
    // beside an imbalance sweep): left out, unless no series has more.
    const auto at_one_p_data = [](const PointSeries& s) { return s.points.size() < 2; };
    if (!std::all_of(series.begin(), series.end(), at_one_p_data))
        std::erase_if(series, at_one_p_data);
    for (size_t k = 0; k < series.size(); ++k) series[k].colour = series_colour(k);
    return series;
}

std::vector<PointSeries> learning_curve_series(const std::vector<RunFigures>& runs) {
    // (the setting without its budget) -> trained steps -> the runs at that budget
    std::map<RunSetting, std::map<int64_t, std::vector<const RunFigures*>>> curves;
    for (const RunFigures& r : runs) {
        RunSetting curve = r.setting;
        curve.trained_steps = 0;
        curves[curve][r.setting.trained_steps].push_back(&r);
    }
    std::vector<PointSeries> series;
    for (const auto& [curve, budgets] : curves) {
        PointSeries line{.name = setting_label(curve, true, "x"), .colour = series_colour(series.size()), .points = {}};
        for (const auto& [steps, at] : budgets) {
            std::vector<double> minutes, share;
            for (const RunFigures* r : at) minutes.push_back(r->trained_minutes), share.push_back(r->recognised_share);
            const MeanSd x = mean_sd(minutes), y = mean_sd(share);
            line.points.push_back({.x = x.mean, .y = y.mean, .x_error = x.sd, .y_error = y.sd,
                                   .label = fmt::format("{}", steps)});
        }
        series.push_back(std::move(line));
    }
    return series;
}

void write_quality_diversity_plot(const std::vector<RunFigures>& runs, const std::string& path) {
    write_png(path, point_plot(quality_diversity_series(runs),
                               {.title = "QUALITY AND DIVERSITY UNDER GUIDANCE",
                                .x_label = "KL(P_DATA || P_MODEL) OF THE CLASSIFIER'S RECOGNISED SAMPLES, NATS, MEAN OVER Z2",
                                .y_label = "RECOGNISED SHARE (MEAN OVER Z2), POINTS LABELLED WITH GUIDANCE W, BARS: SD OVER SEEDS"}));
}

SummaryPlots write_summary_plots(const std::vector<std::string>& paths, const std::string& prefix) {
    std::vector<RunFigures> runs;
    for (const std::string& path : paths) runs.push_back(run_figures(read_metrics(path), path));
    SummaryPlots out{prefix + "_quality_diversity.png", prefix + "_imbalance.png", prefix + "_learning_curve.png"};
    write_quality_diversity_plot(runs, out.quality_diversity);
    write_png(out.imbalance, point_plot(imbalance_series(runs),
                                        {.title = "IMBALANCE: P(DOG | ANIMAL)",
                                         .x_label = "P_DATA(DOG | ANIMAL)",
                                         .y_label = "P_MODEL(DOG | ANIMAL) OF THE CLASSIFIER'S RECOGNISED SAMPLES, BARS: SD OVER SEEDS",
                                         .diagonal = true, .x_min = 0.0, .x_max = 1.0, .y_min = 0.0, .y_max = 1.0}));
    write_png(out.learning_curve,
              point_plot(learning_curve_series(runs),
                         {.title = "LEARNING CURVE",
                          .x_label = "TRAINING MINUTES (WALL CLOCK, AS RECORDED IN THE CHECKPOINT)",
                          .y_label = "RECOGNISED SHARE (MEAN OVER Z2), POINTS LABELLED WITH TRAINED STEPS, BARS: SD OVER SEEDS",
                          .y_min = 0.0, .y_max = 1.0}));
    return out;
}

}  // namespace hd
