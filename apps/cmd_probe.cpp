// cmd_probe.cpp — `hd probe --model_path …`: where the image denoiser's noise prediction
// is wrong, timestep by timestep (experiment/probe.h).
#include "apps/commands.h"
#include "experiment/probe.h"

namespace hd::cli {

void add_probe_command(CLI::App& app) {
    auto* command = app.add_subcommand("probe", "where the image denoiser's noise prediction is wrong, per timestep "
                                                "(ε-MSE, error of each channel's mean, colour gain)");
    auto options = std::make_shared<ProbeOptions>();
    command->add_option("--model_path,--model-path", options->model_path, "checkpoint")->required();
    command->add_option("--num_images,--num-images", options->num_images, "images per timestep")->capture_default_str();
    command->add_option("--seed", options->seed, "seed of the images and the noise")->capture_default_str();
    command->add_flag("--raw", options->raw_weights, "probe the trained weights instead of their EMA");
    command->callback([options] { run_probe(*options); });
}

}  // namespace hd::cli
