// cmd_evaluate.cpp — `hd evaluate --model_path checkpoints/model_a.safetensors`.
#include "apps/commands.h"
#include "experiment/evaluation.h"

#include <fmt/format.h>

namespace hd::cli {

void add_evaluate_command(CLI::App& app) {
    auto* command = app.add_subcommand("evaluate", "sample a trained model and measure coverage, entropy and KL per z2");
    auto options = std::make_shared<EvaluateOptions>();
    auto sampler = std::make_shared<std::string>("ddim");
    command->add_option("--model_path,--model-path", options->model_path, "checkpoint to evaluate")->required();
    command->add_option("--num_samples,--num-samples", options->num_samples, "samples per z2")->capture_default_str();
    command->add_option("--seed", options->seed, "sampling seed")->capture_default_str();
    command->add_option("--output_dir,--output-dir", options->output_dir, "where to write (default evaluation/<checkpoint>)");
    command->add_option("--confidence", options->confidence, "classifier probability that counts as recognised")
        ->capture_default_str();
    command->add_option("--classifier_cache,--classifier-cache", options->classifier_cache,
                        "evaluation classifier file (default: beside the checkpoint)");
    command->add_option("--classifier_steps,--classifier-steps", options->classifier.steps,
                        "training steps of the evaluation classifier (when it is not cached yet)")->capture_default_str();
    command->add_flag("--quiet", options->quiet, "no progress line");
    add_sampler_flags(*command, options->sampler, *sampler, &options->prior_guidance);
    command->callback([options, sampler] {
        options->sampler.kind = parse_sampler_kind(*sampler);
        const Evaluation result = evaluate_model(*options);
        fmt::print("{}", format_metrics_table(result));
        fmt::print("wrote {}/metrics.json and samples_animal.png, samples_vehicle.png (tile labels: nearest-reference "
                   "mode / classifier verdict, '-' = not recognised)\n",
                   result.output_dir);
        fmt::print("wrote {}/samples_animal.safetensors, samples_vehicle.safetensors (the samples with their labels, "
                   "as data: homework/README.md shows how to read them)\n", result.output_dir);
    });
}

}  // namespace hd::cli
