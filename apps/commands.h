// commands.h — the subcommands of the `hd` command line, one file each.
//
// Every command registers its flags on the CLI11 app and a callback that does the work.
// Errors are thrown as exceptions; main() prints them as one line and exits non-zero.
#pragma once

#include "diffusion/sampler.h"

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace hd::cli {

/// A problem with the user's input (flags, files): printed as "hd <command>: <message>", exit 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// `hd sample`: a PNG grid of samples of one z2; for model B also `<stem>_prior.png`, the
/// prior's z1 samples and their denoising paths over the four anchors.
struct SampleOptions {
    std::string model_path;
    std::string z2 = "animal";
    int64_t num_samples = 16;
    uint64_t seed = 0;
    std::string output;
    std::string sampler = "ddim";
    SamplerOptions sampler_options{.kind = SamplerOptions::Kind::ddim, .ddim_steps = 100, .eta = 1.0f, .clip_x0 = true};
};
void run_sample(const SampleOptions& options);

void add_train_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_grade_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_dataset_command(CLI::App& app);
void add_judge_command(CLI::App& app);
void add_summarize_command(CLI::App& app);
void add_probe_command(CLI::App& app);

}  // namespace hd::cli
