// summary.cpp — see summary.h.
#include "experiment/summary.h"

#include "experiment/errors.h"
#include "nn/files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <map>
#include <set>

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
std::string figure(const std::map<std::string, std::vector<double>>& f, const std::string& key, int decimals) {
    auto found = f.find(key);
    return found == f.end() || found->second.empty() ? "—" : mean_and_spread(found->second, decimals);
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

}  // namespace

std::string summarize(const std::vector<std::string>& paths) {
    // (model kind, z2) -> figure -> one value per run
    std::map<std::pair<std::string, std::string>, Figures> figures;
    std::map<std::string, int> runs_per_kind;
    std::set<std::string> samplers;
    std::set<int64_t> samples;
    for (const std::string& path : paths) {
        const nlohmann::json m = read_metrics(path);
        try {
            const std::string kind = m["model_kind"].get<std::string>();
            ++runs_per_kind[kind];
            samplers.insert(m.value("sampler", "?"));
            samples.insert(m.value("num_samples_per_z2", int64_t{0}));
            for (const auto& [z2, e] : m["per_z2"].items()) collect(figures[{kind, z2}], e);
        } catch (const nlohmann::json::exception& e) {
            throw UsageError(fmt::format("{} is not an hd evaluate metrics.json ({})", path, json_problem(e)));
        }
    }
    // Runs evaluated differently are still summarised, but the header says so.
    std::string text = fmt::format("{} metrics files, {} samples per z2, {}; mean ± standard deviation over runs\n\n",
                                   paths.size(), fmt::join(samples, " / "), fmt::join(samplers, " / "));
    text += "| model | z2 | runs | recognised (classifier) | classifier coverage | classifier H / KL (nats) "
            "| students' coverage | students' H / KL (nats) | near-mode | prior z1 H / KL |\n";
    text += "|---|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& [key, f] : figures) {
        const auto& [kind, z2] = key;
        const std::string prior = f.count("prior_h")
            ? fmt::format("{} / {}", mean_and_spread(f.at("prior_h"), 3), mean_and_spread(f.at("prior_kl"), 3))
            : "—";
        text += fmt::format("| {} | {} | {} | {} % | {} | {} / {} | {} | {} / {} | {} % | {} |\n",
                            kind == "flat" ? "A (flat)" : "B (hierarchical)", z2, f.at("recognised").size(),
                            mean_and_spread(f.at("recognised"), 0, 100.0), figure(f, "cls_cover", 1),
                            figure(f, "cls_h", 3), figure(f, "cls_kl", 3),
                            mean_and_spread(f.at("cover"), 1), mean_and_spread(f.at("h"), 3),
                            mean_and_spread(f.at("kl"), 3), mean_and_spread(f.at("near"), 0, 100.0), prior);
    }
    return text;
}

}  // namespace hd
