// cmd_sample.cpp — `hd sample --model_path … --z2 animal --num_samples 16` -> a PNG grid;
// for model B also the prior's z1 samples and their denoising paths over the anchors, or
// (--z1 x,y) the decoder's samples for a chosen z1; beside the grid, the samples as data.
#include "apps/commands.h"
#include "experiment/interpolation.h"
#include "experiment/sampling.h"

#include <fmt/format.h>

namespace hd::cli {

void add_sample_command(CLI::App& app) {
    auto* command = app.add_subcommand("sample", "draw samples from a trained model into a PNG grid");
    auto o = std::make_shared<SampleOptions>();
    auto sampler = std::make_shared<std::string>("ddim");
    command->add_option("--model_path,--model-path", o->model_path, "checkpoint to sample")->required();
    command->add_option("--z2", o->z2, "animal | vehicle")->capture_default_str();
    command->add_option("--z1", o->z1, "model B: decode this z1 (x,y) instead of sampling the prior, e.g. 0.7,0.7");
    command->add_option("--num_samples,--num-samples", o->num_samples, "number of samples")->capture_default_str();
    command->add_option("--seed", o->seed, "sampling seed")->capture_default_str();
    command->add_option("--output", o->output, "PNG path (default samples/<checkpoint>_<z2>.png)");
    add_sampler_flags(*command, o->sampler, *sampler, &o->prior_guidance);
    command->callback([command, o, sampler] {
        if (command->count("--z1") && command->count("--z2"))
            throw UsageError("--z1 and --z2 exclude each other (valid: --z2 samples the prior, --z1 x,y decodes one z1)");
        if (o->z1.empty()) parse_z2(o->z2); // an unknown z2 is named before the sampler's flags
        else parse_z1(o->z1);
        o->sampler.kind = parse_sampler_kind(*sampler);
        const SampleResult written = write_samples(*o);
        if (o->z1.empty())
            fmt::print("wrote {} ({} samples for z2 = {}, {})\n", written.grid, o->num_samples, o->z2, written.sampler);
        else
            fmt::print("wrote {} ({} samples decoded from z1 = ({}), {})\n", written.grid, o->num_samples, o->z1,
                       written.sampler);
        if (!written.prior_plot.empty())
            fmt::print("wrote {} (the prior's z1 samples, coloured by nearest anchor and counted per anchor, with the "
                       "denoising paths of the first 8)\n", written.prior_plot);
        fmt::print("wrote {} (the samples with their labels, as data: homework/README.md shows how to read it)\n",
                   written.data);
    });
}

}  // namespace hd::cli
