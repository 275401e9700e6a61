// cmd_summarize.cpp — `hd summarize run1/metrics.json run2/metrics.json …`: the mean and
// spread of every figure over several runs (seeds), per model and z2, as a Markdown table.
//
// One run is one draw: with 64 samples per z2 a share moves by several points between
// seeds. The experiment's table in the README is this command's output over three seeds.
#include "apps/commands.h"
#include "apps/files.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

namespace hd::cli {

namespace {

// Mean and sample standard deviation ("± 0" for a single run).
std::string mean_and_spread(const std::vector<double>& values, int decimals, double scale = 1.0) {
    double mean = 0.0, square = 0.0;
    for (double v : values) mean += v * scale;
    mean /= double(values.size());
    for (double v : values) square += (v * scale - mean) * (v * scale - mean);
    const double sd = values.size() > 1 ? std::sqrt(square / double(values.size() - 1)) : 0.0;
    return fmt::format("{:.{}f} ± {:.{}f}", mean, decimals, sd, decimals);
}

nlohmann::json read_metrics(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError(fmt::format("cannot read {} (write one with hd evaluate)", path));
    try {
        nlohmann::json m = nlohmann::json::parse(in);
        if (!m.contains("per_z2") || !m.contains("model_kind"))
            throw UsageError(fmt::format("{} is not an hd evaluate metrics.json (no per_z2 / model_kind)", path));
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw UsageError(fmt::format("{} is not valid JSON: {}", path, e.what()));
    }
}

std::string summarize(const std::vector<std::string>& paths) {
    // (model kind, z2) -> figure -> one value per run
    std::map<std::pair<std::string, std::string>, std::map<std::string, std::vector<double>>> figures;
    std::map<std::string, int> runs_per_kind;
    std::set<std::string> samplers;
    std::set<int64_t> samples;
    for (const std::string& path : paths) {
        const nlohmann::json m = read_metrics(path);
        const std::string kind = m["model_kind"].get<std::string>();
        ++runs_per_kind[kind];
        samplers.insert(m.value("sampler", "?"));
        samples.insert(m.value("num_samples_per_z2", int64_t{0}));
        for (const auto& [z2, e] : m["per_z2"].items()) {
            auto& f = figures[{kind, z2}];
            const nlohmann::json& c = e["classifier"];
            f["recognised"].push_back(c["recognisable_share"].get<double>());
            f["cls_cover"].push_back(c["coverage"]["num_modes_found"].get<double>());
            f["cls_h"].push_back(c["entropy_nats"].get<double>());
            f["cls_kl"].push_back(c["kl_nats"].get<double>());
            f["cover"].push_back(e["coverage"]["num_modes_found"].get<double>());
            f["h"].push_back(e["entropy_nats"].get<double>());
            f["kl"].push_back(e["kl_nats"].get<double>());
            f["near"].push_back(e["near_mode_share"].get<double>());
            if (e.contains("prior")) {
                f["prior_h"].push_back(e["prior"]["entropy_nats"].get<double>());
                f["prior_kl"].push_back(e["prior"]["kl_nats"].get<double>());
            }
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
                            mean_and_spread(f.at("recognised"), 0, 100.0), mean_and_spread(f.at("cls_cover"), 1),
                            mean_and_spread(f.at("cls_h"), 3), mean_and_spread(f.at("cls_kl"), 3),
                            mean_and_spread(f.at("cover"), 1), mean_and_spread(f.at("h"), 3),
                            mean_and_spread(f.at("kl"), 3), mean_and_spread(f.at("near"), 0, 100.0), prior);
    }
    return text;
}

}  // namespace

void add_summarize_command(CLI::App& app) {
    auto* command = app.add_subcommand("summarize", "mean and spread of hd evaluate results over several runs");
    auto paths = std::make_shared<std::vector<std::string>>();
    auto output = std::make_shared<std::string>();
    command->add_option("metrics", *paths, "metrics.json files written by hd evaluate (one per run)")->required();
    command->add_option("--output", *output, "also write the table to this Markdown file");
    command->callback([paths, output] {
        const std::string text = summarize(*paths);
        fmt::print("{}", text);
        if (!output->empty()) write_file_atomic(*output, text);
    });
}

}  // namespace hd::cli
