// commands.h — the subcommands of the `hd` command line, one file each.
//
// Every command registers its flags on the CLI11 app and a callback that calls the
// experiment library (experiment/) and prints. Errors are thrown as exceptions; main()
// prints them as one line and exits non-zero (2 for a UsageError: bad input).
#pragma once

#include "diffusion/sampler.h"
#include "experiment/errors.h"
#include "experiment/model.h"

#include <CLI/CLI.hpp>

#include <string>

namespace hd::cli {

using hd::UsageError;

void add_train_command(CLI::App& app);
void add_evaluate_command(CLI::App& app);
void add_sample_command(CLI::App& app);
void add_grade_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_dataset_command(CLI::App& app);
void add_judge_command(CLI::App& app);
void add_summarize_command(CLI::App& app);
void add_probe_command(CLI::App& app);
void add_interpolate_command(CLI::App& app);

/// Puts a check in front of every whole-number and real flag of `app` and its commands:
/// a number out of the type's range, a negative one for an unsigned flag, or 1e20 for a
/// whole number is refused with the text as typed, instead of saturating or wrapping.
void refuse_out_of_range_numbers(CLI::App& app);

/// Registers the shared architecture and data flags (image size, channels, …, --p_data,
/// the condition dropouts) on a command.
void add_model_flags(CLI::App& command, ModelConfig& config);

/// Registers --sampler (its name goes to `sampler_name`: parse it with
/// parse_sampler_kind in the callback), --ddim_steps, --eta, --clip, --guidance and
/// --prior_guidance (model B's prior, into `*prior_guidance`; not registered when null).
void add_sampler_flags(CLI::App& command, SamplerOptions& options, std::string& sampler_name,
                       float* prior_guidance = nullptr);

}  // namespace hd::cli
