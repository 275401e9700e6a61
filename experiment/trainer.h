// trainer.h — training model A or B: the loop behind `hd train` and `hd demo`.
//
// Trainer::step() is one optimizer step (batch, condition dropout, loss, backward,
// clipping, Adam, EMA); Trainer::run() repeats it and around it keeps the loss log,
// saves a checkpoint every `checkpoint_every` epochs, stops on a non-finite loss (keeping
// the last good checkpoint) and, on Ctrl-C, SIGTERM or SIGHUP, saves and stops. A run
// resumed from its checkpoint draws the same random numbers in the same order as the
// uninterrupted run, so it ends bit for bit where that one would.
#pragma once

#include "diffusion/schedule.h"
#include "experiment/loss_log.h"
#include "experiment/model.h"

#include <memory>
#include <string>

namespace hd {

struct TrainOptions {
    ModelConfig model;            // architecture, data and condition dropout (ignored on resume: the checkpoint's wins)
    int64_t epochs = 50;
    // Images per epoch (the data is generated, so an epoch is a budget): 50 epochs are
    // 9,600 steps of 32, what the handout's `hd train --epochs 50` trains.
    int64_t epoch_size = 6144;
    int64_t batch_size = 32;
    float learning_rate = 1e-3f;  // Adam's peak rate
    std::string lr_schedule = "cosine"; // constant | cosine (decay to 10 % after warm-up)
    int64_t warmup_steps = 100;
    float ema_decay = 0.995f;
    float grad_clip = 1.0f;       // max global gradient norm; 0 = off
    // Min-SNR-γ weighting of the image loss (0 = the handout's plain ε-MSE): it keeps the
    // many easy low-noise steps from dominating the loss (README, Experiment).
    float min_snr_gamma = 5.0f;
    // λ of the channel-mean error term (diffusion/schedule.h, LossWeighting); 0 = off. The
    // UNet's last GroupNorm hides x_t's mean colour from the output and the plain loss
    // barely asks for it, so without the term samples can drift in colour (README).
    float colour_weight = 10.0f;
    uint64_t seed = 0;            // weights and the training stream
    std::string output;           // checkpoint path (default checkpoints/model_a|b.safetensors)
    bool resume = false;          // continue from `output`
    int64_t checkpoint_every = 1; // epochs between checkpoints
    // Every this many epochs (0 = never) a copy of the checkpoint is also kept as
    // <output stem>_epoch<E>.safetensors: the points of a learning curve (hd evaluate each,
    // then hd summarize --plot).
    int64_t snapshot_every = 0;
    bool quiet = false;           // no progress line

    /// UsageError naming the option and its valid range for anything impossible.
    void validate() const;
};

struct TrainResult {
    std::string checkpoint;
    std::string loss_log;   // CSV
    std::string loss_plot;  // PNG
    int64_t steps = 0;
    double seconds = 0.0;
    double final_loss = 0.0; // mean over the last epoch
};

/// The losses and figures of one optimizer step.
struct StepReport {
    double loss = 0.0, prior_loss = 0.0, decoder_loss = 0.0; // prior/decoder: model B only
    float learning_rate = 0.0f, grad_norm = 0.0f;
};

class Trainer {
public:
    /// Validates the options (UsageError before any work), checks that the checkpoint can
    /// be written, removes temporaries that killed runs left beside it, and builds the
    /// model — or, with `resume`, loads it, its optimizer, EMA, random stream and loss log.
    explicit Trainer(TrainOptions options);
    ~Trainer();

    /// One optimizer step. Throws (before touching the weights) if the loss is not finite.
    StepReport step();
    /// Steps until the planned total, logging, checkpointing and watching for signals.
    TrainResult run();
    /// Writes the loss CSV, the checkpoint and the loss curve, in that order (a crash
    /// between them leaves the log ahead of the checkpoint, which a resume cuts back).
    void save();

    const DiffusionModel& model() const { return *model_; }
    const TrainingState& state() const { return state_; }
    const TrainOptions& options() const { return options_; }
    int64_t total_steps() const { return total_steps_; }
    const LossLog& loss_log() const { return log_; }

private:
    void resume_from_checkpoint();
    void record_settings();
    int64_t epoch_of(int64_t step) const;
    bool checkpoint_due() const;
    void save_snapshot_if_due();

    TrainOptions options_;
    Generator gen_;
    std::unique_ptr<DiffusionModel> model_;
    std::unique_ptr<Adam> optimizer_;
    std::unique_ptr<EMA> ema_;
    std::unique_ptr<SyntheticDataset> dataset_;
    TrainingState state_;
    LossWeighting weighting_;
    int64_t steps_per_epoch_ = 0, total_steps_ = 0;
    LossLog log_;
    TrainResult result_;
};

/// Where Trainer keeps the snapshot of `epoch`: checkpoints/model_a.safetensors, 10 ->
/// checkpoints/model_a_epoch10.safetensors.
std::string snapshot_path(const std::string& checkpoint, int64_t epoch);

/// Trainer(options).run(): what `hd train` does.
TrainResult train_model(const TrainOptions& options);

/// lr(step): linear warm-up over `warmup_steps`, then constant or a cosine decay to 10 %
/// of the peak at `total_steps`.
float learning_rate_at(const TrainOptions& options, int64_t step, int64_t total_steps);

}  // namespace hd
