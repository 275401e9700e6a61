// cmd_interpolate.cpp — `hd interpolate --model_path <model B> --from dog --to cat --steps 8`
// -> one strip PNG of model B's decoder along the unit circle between two anchors, every
// tile from the same noise and labelled with the evaluation classifier's verdict.
#include "apps/commands.h"
#include "experiment/interpolation.h"

#include <fmt/format.h>

namespace hd::cli {

void add_interpolate_command(CLI::App& app) {
    auto* command = app.add_subcommand("interpolate", "decode z1 along the unit circle between two modes' anchors "
                                                      "(model B), from the same noise, into one labelled strip");
    auto o = std::make_shared<InterpolateOptions>();
    auto sampler = std::make_shared<std::string>("ddim");
    command->add_option("--model_path,--model-path", o->model_path, "checkpoint of model B")->required();
    command->add_option("--from", o->from, "first anchor: dog | cat | car | truck")->capture_default_str();
    command->add_option("--to", o->to, "last anchor: dog | cat | car | truck")->capture_default_str();
    command->add_option("--steps", o->steps, fmt::format("tiles, the two anchors included (2 … {})", kMaxInterpolationSteps))
        ->capture_default_str();
    command->add_option("--seed", o->seed, "seed of the noise every tile shares")->capture_default_str();
    command->add_option("--output", o->output, "PNG path (default samples/<checkpoint>_<from>_to_<to>.png)");
    command->add_option("--confidence", o->confidence, "classifier probability that counts as recognised")
        ->capture_default_str();
    command->add_option("--classifier_cache,--classifier-cache", o->classifier_cache,
                        "evaluation classifier file (default: beside the checkpoint, as hd evaluate)");
    command->add_option("--classifier_steps,--classifier-steps", o->classifier.steps,
                        "training steps of the evaluation classifier (when it is not cached yet)")->capture_default_str();
    command->add_flag("--quiet", o->quiet, "no progress line");
    add_sampler_flags(*command, o->sampler, *sampler);
    command->callback([o, sampler] {
        o->sampler.kind = parse_sampler_kind(*sampler);
        const InterpolateResult result = write_interpolation(*o);
        fmt::print("{}", format_interpolation(result));
        fmt::print("wrote {} ({} tiles from {} to {}; label: the classifier's verdict, '-' = not recognised)\n",
                   result.strip, result.verdicts.size(), o->from, o->to);
        fmt::print("wrote {} (the tiles with their z1 and labels, as data)\n", result.data);
    });
}

}  // namespace hd::cli
