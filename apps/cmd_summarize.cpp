// cmd_summarize.cpp — `hd summarize run1/metrics.json run2/metrics.json …`: the mean and
// spread of every figure over several runs (experiment/summary.h).
#include "apps/commands.h"
#include "experiment/summary.h"
#include "nn/files.h"

#include <fmt/format.h>

namespace hd::cli {

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
