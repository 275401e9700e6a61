// trainer.cpp — see trainer.h.
#include "experiment/trainer.h"

#include "autograd/ops.h"
#include "diffusion/pipeline.h"
#include "experiment/errors.h"
#include "experiment/progress.h"
#include "nn/files.h"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <numbers>

namespace hd {

namespace {

// ---- interruption: Ctrl-C, SIGTERM and SIGHUP all mean "save and stop" ---------------

std::atomic<int> g_signal{0};
extern "C" void on_stop_signal(int signal_number) { g_signal = signal_number; }

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

// Installs the handlers for the life of a training run, restoring the old ones after.
class SignalScope {
public:
    SignalScope() {
        g_signal = 0;
        for (size_t k = 0; k < std::size(kStopSignals); ++k) previous_[k] = std::signal(kStopSignals[k], on_stop_signal);
    }
    ~SignalScope() {
        for (size_t k = 0; k < std::size(kStopSignals); ++k) std::signal(kStopSignals[k], previous_[k]);
    }

private:
    void (*previous_[std::size(kStopSignals)])(int);
};

std::string stop_message(int signal_number, int64_t step, const std::string& checkpoint) {
    const std::string what = signal_number == SIGINT    ? "interrupted"
                             : signal_number == SIGTERM ? "stopped by SIGTERM"
                                                        : "stopped by SIGHUP";
    return fmt::format("{} at step {}; saved {} — continue with --resume", what, step, checkpoint);
}

// ---- set-up ------------------------------------------------------------------------------

// Checks early that the checkpoint can be written, so a long run cannot end in "cannot write".
void check_writable(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code error;
    if (fs::exists(path, error) && !fs::is_regular_file(path, error))
        throw UsageError(fmt::format("cannot write the checkpoint to {}: it exists and is not a regular file", path));
    const std::string probe = path + ".probe";
    try {
        write_file_atomic(probe, "");
    } catch (const FileError&) {
        throw UsageError(fmt::format("cannot write the checkpoint to {} (is the folder writable?)", path));
    }
    fs::remove(probe, error);
}

std::string with_suffix(const std::string& checkpoint, const std::string& suffix) {
    std::filesystem::path p(checkpoint);
    return (p.parent_path() / (p.stem().string() + suffix)).string();
}

}  // namespace

std::string snapshot_path(const std::string& checkpoint, int64_t epoch) {
    std::filesystem::path p(checkpoint);
    return (p.parent_path() / fmt::format("{}_epoch{}{}", p.stem().string(), epoch, p.extension().string())).string();
}

namespace {

TrainOptions prepared(TrainOptions o) {
    if (o.output.empty()) o.output = default_checkpoint_path(o.model.kind);
    o.model.validate();
    o.validate();
    return o;
}

}  // namespace

void TrainOptions::validate() const {
    if (epochs < 1 || epochs > 1000000)
        throw UsageError(fmt::format("--epochs {} is impossible (valid: 1 … 1000000)", epochs));
    if (batch_size < 1 || batch_size > 4096)
        throw UsageError(fmt::format("--batch_size {} is impossible (valid: 1 … 4096)", batch_size));
    if (epoch_size < batch_size || epoch_size > 1000000000)
        throw UsageError(fmt::format("--epoch_size {} is impossible (valid: one batch ({}) … 1000000000)", epoch_size,
                                     batch_size));
    if (!(learning_rate > 0.0f && learning_rate < 1.0f))
        throw UsageError(fmt::format("--lr {} is impossible (valid: between 0 and 1)", learning_rate));
    if (lr_schedule != "constant" && lr_schedule != "cosine")
        throw UsageError(fmt::format("unknown --lr_schedule '{}' (valid: constant, cosine)", lr_schedule));
    if (warmup_steps < 0) throw UsageError(fmt::format("--warmup_steps {} is impossible (valid: 0 or more)", warmup_steps));
    if (!(ema_decay >= 0.0f && ema_decay < 1.0f))
        throw UsageError(fmt::format("--ema {} is impossible (valid: 0 <= decay < 1)", ema_decay));
    if (!(grad_clip >= 0.0f && std::isfinite(grad_clip)))
        throw UsageError(fmt::format("--grad_clip {} is impossible (valid: 0 = off, or a finite norm > 0)", grad_clip));
    if (checkpoint_every < 1) throw UsageError("--checkpoint_every must be >= 1");
    if (snapshot_every < 0 || snapshot_every > epochs)
        throw UsageError(fmt::format("--snapshot_every {} is impossible (valid: 0 = off, or 1 … --epochs ({}))",
                                     snapshot_every, epochs));
    if (!(min_snr_gamma >= 0.0f && std::isfinite(min_snr_gamma)))
        throw UsageError(fmt::format("--min_snr {} is impossible (valid: 0 = off, or a finite gamma > 0)", min_snr_gamma));
    if (!(colour_weight >= 0.0f && std::isfinite(colour_weight)))
        throw UsageError(fmt::format("--colour_weight {} is impossible (valid: 0 = off, or a finite weight > 0)", colour_weight));
}

float learning_rate_at(const TrainOptions& o, int64_t step, int64_t total_steps) {
    const float peak = o.learning_rate;
    if (step < o.warmup_steps) return peak * float(step + 1) / float(o.warmup_steps);
    if (o.lr_schedule == "constant") return peak;
    const double progress = double(step - o.warmup_steps) / double(std::max<int64_t>(1, total_steps - o.warmup_steps));
    return static_cast<float>(peak * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(std::numbers::pi * std::min(1.0, progress)))));
}

// ---- Trainer -----------------------------------------------------------------------------

Trainer::Trainer(TrainOptions options) : options_(prepared(std::move(options))), gen_(options_.seed) {
    check_writable(options_.output);
    result_ = {options_.output, with_suffix(options_.output, "_loss.csv"), with_suffix(options_.output, "_loss.png")};
    for (const std::string& file : {result_.checkpoint, result_.loss_log, result_.loss_plot}) remove_stale_temporaries(file);
    if (options_.resume) {
        resume_from_checkpoint();
    } else {
        model_ = std::make_unique<DiffusionModel>(options_.model, gen_);
        optimizer_ = std::make_unique<Adam>(model_->named_parameters(), AdamOptions{.learning_rate = options_.learning_rate});
        ema_ = std::make_unique<EMA>(*model_, options_.ema_decay);
    }
    dataset_ = std::make_unique<SyntheticDataset>(options_.model.dataset_options());
    steps_per_epoch_ = (options_.epoch_size + options_.batch_size - 1) / options_.batch_size;
    total_steps_ = options_.epochs * steps_per_epoch_;
    if (state_.step >= total_steps_)
        throw UsageError(fmt::format("{} has already trained {} steps ({} epochs); ask for more --epochs to continue",
                                     options_.output, state_.step, state_.epoch));
    weighting_ = {.min_snr_gamma = options_.min_snr_gamma, .colour_weight = options_.colour_weight};
    record_settings();
}

Trainer::~Trainer() = default;

// The model, optimizer, EMA, random stream and loss log exactly as the checkpoint left them.
void Trainer::resume_from_checkpoint() {
    if (!std::filesystem::exists(options_.output))
        throw UsageError(fmt::format("--resume: no checkpoint at {} (train without --resume first)", options_.output));
    LoadedCheckpoint loaded = load_checkpoint(options_.output, options_.model.kind);
    model_ = std::move(loaded.model);
    state_ = loaded.state;
    gen_.set_state(state_.generator_state);
    options_.model = model_->config;
    optimizer_ = std::make_unique<Adam>(model_->named_parameters(), AdamOptions{.learning_rate = options_.learning_rate});
    if (!loaded.optimizer_state.empty()) optimizer_->load_state(loaded.optimizer_state);
    ema_ = std::make_unique<EMA>(*model_, options_.ema_decay);
    if (!loaded.ema_weights.empty()) ema_->load(loaded.ema_weights);
    log_ = LossLog::read(result_.loss_log, state_.step);
}

void Trainer::record_settings() {
    const TrainOptions& o = options_;
    state_.settings = {{"epochs", std::to_string(o.epochs)}, {"epoch_size", std::to_string(o.epoch_size)},
                       {"batch_size", std::to_string(o.batch_size)}, {"lr", fmt::format("{}", o.learning_rate)},
                       {"lr_schedule", o.lr_schedule}, {"warmup_steps", std::to_string(o.warmup_steps)},
                       {"ema_decay", fmt::format("{}", o.ema_decay)}, {"grad_clip", fmt::format("{}", o.grad_clip)},
                       {"min_snr_gamma", fmt::format("{}", o.min_snr_gamma)},
                       {"colour_weight", fmt::format("{}", o.colour_weight)}, {"seed", std::to_string(o.seed)}};
}

StepReport Trainer::step() {
    StepReport report;
    report.learning_rate = learning_rate_at(options_, state_.step, total_steps_);
    optimizer_->set_learning_rate(report.learning_rate);
    const SyntheticDataset::Batch batch = dataset_->sample_batch(options_.batch_size, gen_);
    // 0 draws no random numbers: a run without dropout sees the stream it always saw.
    const ConditionDropout dropout{.image = options_.model.condition_dropout, .prior = options_.model.prior_condition_dropout};

    Tensor loss;
    if (options_.model.kind == ModelKind::flat) {
        loss = flat_losses(*model_->image_model, model_->schedule, batch, gen_, weighting_, dropout).image;
    } else {
        HierarchicalLosses losses = hierarchical_losses(*model_->prior, *model_->image_model, model_->schedule, batch,
                                                        gen_, weighting_, dropout);
        report.prior_loss = losses.prior.item();
        report.decoder_loss = losses.decoder.item();
        loss = losses.prior + losses.decoder;
    }
    report.loss = loss.item();
    if (!std::isfinite(report.loss))
        throw std::runtime_error(fmt::format(
            "the loss became {} at step {} (epoch {}); training stopped and {} keeps the last good checkpoint "
            "(epoch {}); try a lower --lr or a smaller --grad_clip",
            report.loss, state_.step, epoch_of(state_.step) + 1, options_.output, state_.epoch));

    optimizer_->zero_grad();
    loss.backward();
    if (options_.grad_clip > 0) report.grad_norm = clip_grad_norm(model_->parameters(), options_.grad_clip);
    optimizer_->step();
    ema_->update(*model_);
    ++state_.step;
    return report;
}

int64_t Trainer::epoch_of(int64_t step) const { return step / steps_per_epoch_; }

bool Trainer::checkpoint_due() const {
    return state_.epoch % options_.checkpoint_every == 0 || state_.step == total_steps_;
}

void Trainer::save() {
    state_.generator_state = gen_.state();
    log_.write_csv(result_.loss_log);
    save_checkpoint(options_.output, *model_, ema_.get(), optimizer_.get(), state_);
    log_.write_plot(result_.loss_plot, options_.model.kind);
}

// A copy of the checkpoint just saved, under the epoch's name (its own atomic write).
void Trainer::save_snapshot_if_due() {
    if (options_.snapshot_every == 0 || state_.epoch % options_.snapshot_every != 0) return;
    state_.generator_state = gen_.state();
    save_checkpoint(snapshot_path(options_.output, state_.epoch), *model_, ema_.get(), optimizer_.get(), state_);
}

TrainResult Trainer::run() {
    SignalScope signals;
    Progress progress(fmt::format("train {}", to_string(options_.model.kind)), total_steps_);
    double epoch_loss_sum = 0.0;
    int64_t epoch_loss_count = 0;
    const auto start = std::chrono::steady_clock::now();
    const int64_t first_step = state_.step;
    const double seconds_before = state_.seconds; // a resumed run's earlier training time
    model_->train();
    while (state_.step < total_steps_) {
        const StepReport r = step();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        state_.seconds = seconds_before + seconds;
        const double images_per_second =
            seconds > 0 ? double((state_.step - first_step) * options_.batch_size) / seconds : 0.0;
        log_.add({state_.step, epoch_of(state_.step), r.loss, r.prior_loss, r.decoder_loss, r.learning_rate, r.grad_norm,
                  images_per_second});
        epoch_loss_sum += r.loss, ++epoch_loss_count;
        if (!options_.quiet)
            progress.update(state_.step, fmt::format("epoch {}/{} loss {:.4f} | {:.1f} img/s",
                                                     epoch_of(state_.step + steps_per_epoch_ - 1), options_.epochs,
                                                     r.loss, images_per_second));
        if (state_.step % steps_per_epoch_ == 0) { // an epoch is done
            state_.epoch = epoch_of(state_.step);
            result_.final_loss = epoch_loss_sum / double(epoch_loss_count);
            epoch_loss_sum = 0.0, epoch_loss_count = 0;
            if (checkpoint_due()) save();
            save_snapshot_if_due();
        }
        if (const int signal_number = g_signal) {
            save();
            if (!options_.quiet) progress.finish("interrupted");
            throw UsageError(stop_message(signal_number, state_.step, options_.output));
        }
    }
    if (!options_.quiet) progress.finish(fmt::format("loss {:.4f}", result_.final_loss));
    result_.steps = state_.step;
    result_.seconds = progress.elapsed_seconds();
    return result_;
}

TrainResult train_model(const TrainOptions& options) { return Trainer(options).run(); }

}  // namespace hd
