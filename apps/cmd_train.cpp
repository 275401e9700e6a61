// cmd_train.cpp — `hd train --model flat|hierarchical --epochs N …`.
#include "apps/commands.h"
#include "experiment/trainer.h"

#include <fmt/format.h>

namespace hd::cli {

void add_train_command(CLI::App& app) {
    auto* command = app.add_subcommand("train", "train model A (flat) or model B (hierarchical)");
    auto options = std::make_shared<TrainOptions>();
    auto model_name = std::make_shared<std::string>();
    command->add_option("--model", *model_name, "flat (model A) or hierarchical (model B)")->required();
    command->add_option("--epochs", options->epochs,
                        "epochs of --epoch_size images (50 = 9,600 steps of 32: 11-25 minutes per model at 64x64 "
                        "on a 2-core machine, by its speed)")->capture_default_str();
    command->add_option("--epoch_size,--epoch-size", options->epoch_size, "images per epoch")->capture_default_str();
    command->add_option("--batch_size,--batch-size", options->batch_size, "images per step")->capture_default_str();
    command->add_option("--lr", options->learning_rate, "peak Adam learning rate")->capture_default_str();
    command->add_option("--lr_schedule,--lr-schedule", options->lr_schedule, "constant | cosine")->capture_default_str();
    command->add_option("--warmup_steps,--warmup-steps", options->warmup_steps, "linear warm-up steps")->capture_default_str();
    command->add_option("--ema", options->ema_decay, "EMA decay of the weights used for sampling")->capture_default_str();
    command->add_option("--grad_clip,--grad-clip", options->grad_clip, "max gradient norm (0 = off)")->capture_default_str();
    command->add_option("--min_snr,--min-snr", options->min_snr_gamma,
                        "Min-SNR-gamma loss weighting (0 = plain eps-MSE, 5 is the paper's choice)")->capture_default_str();
    command->add_option("--colour_weight,--colour-weight", options->colour_weight,
                        "weight of each channel's mean error, the sample's overall colour (0 = off)")->capture_default_str();
    command->add_option("--seed", options->seed, "seed of the weights and the training stream")->capture_default_str();
    command->add_option("--output,--model_path,--model-path", options->output,
                        "checkpoint path (default checkpoints/model_a.safetensors or model_b)");
    command->add_flag("--resume", options->resume, "continue training the checkpoint at --output");
    command->add_option("--checkpoint_every,--checkpoint-every", options->checkpoint_every, "epochs between checkpoints")
        ->capture_default_str();
    command->add_option("--snapshot_every,--snapshot-every", options->snapshot_every,
                        "also keep the checkpoint of every Nth epoch as <output>_epoch<E>.safetensors (0 = off): a "
                        "learning curve's points")->capture_default_str();
    command->add_flag("--quiet", options->quiet, "no progress line");
    add_model_flags(*command, options->model);
    command->callback([options, model_name] {
        options->model.kind = parse_model_kind(*model_name);
        TrainResult result = train_model(*options);
        fmt::print("trained {} steps in {:.1f} s; last-epoch loss {:.4f}\n  checkpoint {}\n  loss log   {}\n  loss curve {}\n",
                   result.steps, result.seconds, result.final_loss, result.checkpoint, result.loss_log, result.loss_plot);
    });
}

}  // namespace hd::cli
