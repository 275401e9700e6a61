// cmd_summarize.cpp — `hd summarize run1/metrics.json run2/metrics.json … [--plot PREFIX]`:
// the mean and spread of every figure over several runs, and the three plots
// (experiment/summary.h).
#include "apps/commands.h"
#include "experiment/summary.h"
#include "nn/files.h"

#include <fmt/format.h>

namespace hd::cli {

void add_summarize_command(CLI::App& app) {
    auto* command = app.add_subcommand("summarize", "mean and spread of hd evaluate results over several runs");
    auto paths = std::make_shared<std::vector<std::string>>();
    auto output = std::make_shared<std::string>();
    auto plot = std::make_shared<std::string>();
    command->add_option("metrics", *paths, "metrics.json files written by hd evaluate (one per run)")->required();
    command->add_option("--output", *output, "also write the table to this Markdown file");
    command->add_option("--plot", *plot,
                        "also draw PREFIX_quality_diversity.png (recognised share against KL per guidance weight), "
                        "PREFIX_imbalance.png (p_model against p_data of dog|animal) and PREFIX_learning_curve.png "
                        "(recognised share against training minutes, per budget)");
    command->callback([paths, output, plot] {
        const std::string text = summarize(*paths);
        fmt::print("{}", text);
        if (!output->empty()) write_file_atomic(*output, text);
        if (!plot->empty()) {
            const SummaryPlots written = write_summary_plots(*paths, *plot);
            fmt::print("wrote {}, {} and {}\n", written.quality_diversity, written.imbalance, written.learning_curve);
        }
    });
}

}  // namespace hd::cli
