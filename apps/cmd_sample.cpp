// cmd_sample.cpp — `hd sample --model_path … --z2 animal --num_samples 16` -> a PNG grid;
// for model B also the prior's z1 samples and their denoising paths over the anchors.
#include "apps/commands.h"
#include "experiment/sampling.h"

#include <fmt/format.h>

namespace hd::cli {

void add_sample_command(CLI::App& app) {
    auto* command = app.add_subcommand("sample", "draw samples from a trained model into a PNG grid");
    auto o = std::make_shared<SampleOptions>();
    auto sampler = std::make_shared<std::string>("ddim");
    command->add_option("--model_path,--model-path", o->model_path, "checkpoint to sample")->required();
    command->add_option("--z2", o->z2, "animal | vehicle")->capture_default_str();
    command->add_option("--num_samples,--num-samples", o->num_samples, "number of samples")->capture_default_str();
    command->add_option("--seed", o->seed, "sampling seed")->capture_default_str();
    command->add_option("--output", o->output, "PNG path (default samples/<checkpoint>_<z2>.png)");
    add_sampler_flags(*command, o->sampler, *sampler, o->prior_guidance);
    command->callback([o, sampler] {
        parse_z2(o->z2); // an unknown z2 is named before the sampler's flags
        o->sampler.kind = parse_sampler_kind(*sampler);
        const SampleResult written = write_samples(*o);
        fmt::print("wrote {} ({} samples for z2 = {}, {})\n", written.grid, o->num_samples, o->z2, written.sampler);
        if (!written.prior_plot.empty())
            fmt::print("wrote {} (the prior's z1 samples, coloured by nearest anchor and counted per anchor, with the "
                       "denoising paths of the first 8)\n", written.prior_plot);
    });
}

}  // namespace hd::cli
