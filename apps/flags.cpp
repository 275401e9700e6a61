// flags.cpp — the flags several commands share (see commands.h).
#include "apps/commands.h"

namespace hd::cli {

void add_model_flags(CLI::App& command, ModelConfig& c) {
    command.add_option("--image_size,--image-size", c.image_size, "image size S (multiple of 4, >= 16; 64 or 32)")
        ->capture_default_str();
    command.add_option("--base_channels,--base-channels", c.base_channels, "UNet base channels C")->capture_default_str();
    command.add_option("--unet_levels,--unet-levels", c.unet_levels,
                       "UNet levels L; each extra level above 3 sits on top at half the width (0 = follow S, "
                       "down to 8x8: 3 at 32, 4 at 64)")
        ->capture_default_str();
    command.add_flag("--colour_path,!--no-colour_path", c.colour_path,
                     "UNet: add a learned gain (from t and the condition) on x_t's mean colour to the output")
        ->capture_default_str();
    command.add_option("--embedding_dim,--embedding-dim", c.embedding_dim, "time/condition embedding width E")->capture_default_str();
    command.add_option("--schedule", c.schedule, "noise schedule: linear | cosine")->capture_default_str();
    command.add_option("--timesteps", c.timesteps, "diffusion steps T")->capture_default_str();
    command.add_option("--dataset_seed,--dataset-seed", c.dataset_seed, "seed of the synthetic dataset")->capture_default_str();
    command.add_option_function<std::string>(
        "--p_data,--p-data", [&c](const std::string& spec) { set_p_data(c, spec); },
        "p_data(z1|z2), e.g. dog=0.8,car=0.5: a mode of each z2 and its share (default dog=0.5,car=0.5)");
    command.add_option("--cond_dropout,--cond-dropout", c.condition_dropout,
                       "share of examples shown a null condition: A's z2, B's decoder z1 (enables --guidance)")
        ->capture_default_str();
    command.add_option("--prior_cond_dropout,--prior-cond-dropout", c.prior_condition_dropout,
                       "model B: share of examples its prior sees a null z2 (enables --prior_guidance)")
        ->capture_default_str();
}

void add_sampler_flags(CLI::App& command, SamplerOptions& options, std::string& sampler_name, float* prior_guidance) {
    command.add_option("--sampler", sampler_name, "ddpm (ancestral, every step) | ddim")->capture_default_str();
    command.add_option("--ddim_steps,--ddim-steps", options.ddim_steps, "DDIM steps")->capture_default_str();
    command.add_option("--eta", options.eta, "DDIM eta (0 deterministic, 1 ancestral-like)")->capture_default_str();
    command.add_flag("--clip,!--no-clip", options.clip_x0, "clip the predicted x0 to [-1, 1]")->capture_default_str();
    command.add_option("--guidance", options.guidance,
                       "classifier-free guidance weight of A's denoiser or B's decoder (1 = off; needs --cond_dropout "
                       "in training)")->capture_default_str();
    if (prior_guidance)
        command.add_option("--prior_guidance,--prior-guidance", *prior_guidance,
                           "model B: classifier-free guidance weight of the prior (1 = off; needs --prior_cond_dropout "
                           "in training)")->capture_default_str();
}

}  // namespace hd::cli
