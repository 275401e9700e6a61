// train.h — training model A or B: the loop behind `hd train` and `hd demo`.
#pragma once

#include "apps/experiment.h"

#include <CLI/CLI.hpp>

#include <string>

namespace hd::cli {

struct TrainOptions {
    ModelConfig model;            // architecture and data (ignored on --resume: the checkpoint's wins)
    int64_t epochs = 50;
    int64_t epoch_size = 1024;    // images per epoch (the data is generated, so an epoch is a budget)
    int64_t batch_size = 32;
    float learning_rate = 1e-3f;  // Adam; the pilot learned ~2x faster at 1e-3 than at 2e-4
    std::string lr_schedule = "cosine"; // constant | cosine (decay to 10 % after warm-up)
    int64_t warmup_steps = 100;
    float ema_decay = 0.995f;
    float grad_clip = 1.0f;       // max global gradient norm; 0 = off
    // Min-SNR-γ weighting of the image loss (0 = the handout's plain ε-MSE). 5 by default:
    // at the demo budget (seed 0, judged by the first evaluation classifier) it raised the
    // recognised share of model A from 28 %/11 % to 56 %/38 % (animal/vehicle), and of B
    // from 41 %/14 % to 66 %/70 %; the colour drift some seeds still had is what the colour
    // term below cures (README, Experiment).
    float min_snr_gamma = 5.0f;
    // λ of the channel-mean error term (diffusion/schedule.h, LossWeighting); 0 = off.
    // The UNet's last GroupNorm hides the mean colour of x_t from the output, and the
    // plain loss barely asks for it: `hd probe` found seed 1 of model A passing only 42 % of
    // a colour shift through at t = 999 (an ideal denoiser passes ~100 %), and drawing
    // washed-out, tinted samples. λ = 10 raised that to 80 % and the recognised share of
    // that run from 56 %/73 % to 88 %/89 % (animal/vehicle, 64 samples); λ = 30 gave 81 %/84 %.
    float colour_weight = 10.0f;
    float condition_dropout = 0.0f; // model A: probability of zeroing z2 (trains classifier-free guidance)
    uint64_t seed = 0;            // weights and the training stream
    std::string output;           // checkpoint path (default checkpoints/model_a|b.safetensors)
    bool resume = false;          // continue from `output`
    int64_t checkpoint_every = 1; // epochs between checkpoints
    bool quiet = false;           // no progress line
};

struct TrainResult {
    std::string checkpoint;
    std::string loss_log;   // CSV
    std::string loss_plot;  // PNG
    int64_t steps = 0;
    double seconds = 0.0;
    double final_loss = 0.0; // mean over the last epoch
};

/// Trains (or resumes) and writes the checkpoint, loss CSV and loss curve. Stops cleanly on
/// Ctrl-C (saving first) and refuses to go on after a NaN/Inf loss (keeping the last good
/// checkpoint); both throw after saving what can be saved.
TrainResult train_model(const TrainOptions& options);

/// Registers the shared architecture flags (image size, channels, …) on a command.
void add_model_flags(CLI::App& command, ModelConfig& config);

}  // namespace hd::cli
