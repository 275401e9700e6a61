// commands.h — the subcommands of the `hd` command line, one file each.
//
// Every command registers its flags on the CLI11 app and a callback that does the work.
// Errors are thrown as exceptions; main() prints them as one line and exits non-zero.
#pragma once

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace hd::cli {

/// A problem with the user's input (flags, files): printed as "hd <command>: <message>", exit 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void add_train_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_grade_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_dataset_command(CLI::App& app);
void add_judge_command(CLI::App& app);
void add_summarize_command(CLI::App& app);

}  // namespace hd::cli
