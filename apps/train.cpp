// train.cpp — see train.h.
#include "apps/train.h"

#include "apps/commands.h"
#include "apps/plot.h"
#include "apps/progress.h"
#include "autograd/ops.h"
#include "diffusion/pipeline.h"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <sstream>

namespace hd::cli {

namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

// Installs the Ctrl-C handler for the life of a training run, restoring the old one after.
class InterruptScope {
public:
    InterruptScope() : previous_(std::signal(SIGINT, on_interrupt)) { g_interrupted = false; }
    ~InterruptScope() { std::signal(SIGINT, previous_); }

private:
    void (*previous_)(int);
};

// lr(step): linear warm-up, then constant or cosine decay to 10 % of the peak.
float learning_rate_at(const TrainOptions& o, int64_t step, int64_t total_steps) {
    const float peak = o.learning_rate;
    if (step < o.warmup_steps) return peak * float(step + 1) / float(o.warmup_steps);
    if (o.lr_schedule == "constant") return peak;
    const double progress = double(step - o.warmup_steps) / double(std::max<int64_t>(1, total_steps - o.warmup_steps));
    return static_cast<float>(peak * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(std::numbers::pi * std::min(1.0, progress)))));
}

void validate(const TrainOptions& o) {
    if (o.epochs < 1) throw UsageError(fmt::format("--epochs {} is impossible (valid: 1 or more)", o.epochs));
    if (o.batch_size < 1 || o.batch_size > 4096)
        throw UsageError(fmt::format("--batch_size {} is impossible (valid: 1 … 4096)", o.batch_size));
    if (o.epoch_size < o.batch_size)
        throw UsageError(fmt::format("--epoch_size {} is smaller than one batch ({})", o.epoch_size, o.batch_size));
    if (!(o.learning_rate > 0.0f && o.learning_rate < 1.0f))
        throw UsageError(fmt::format("--lr {} is impossible (valid: between 0 and 1)", o.learning_rate));
    if (o.lr_schedule != "constant" && o.lr_schedule != "cosine")
        throw UsageError(fmt::format("unknown --lr_schedule '{}' (valid: constant, cosine)", o.lr_schedule));
    if (!(o.ema_decay >= 0.0f && o.ema_decay < 1.0f))
        throw UsageError(fmt::format("--ema {} is impossible (valid: 0 <= decay < 1)", o.ema_decay));
    if (!(o.condition_dropout >= 0.0f && o.condition_dropout < 1.0f))
        throw UsageError(fmt::format("--cond_dropout {} is impossible (valid: 0 <= p < 1)", o.condition_dropout));
    if (o.condition_dropout > 0.0f && o.model.kind != ModelKind::flat)
        throw UsageError("--cond_dropout applies to the flat model only");
    if (o.checkpoint_every < 1) throw UsageError("--checkpoint_every must be >= 1");
    if (!(o.min_snr_gamma >= 0.0f)) throw UsageError(fmt::format("--min_snr {} is impossible (valid: 0 = off, or > 0)", o.min_snr_gamma));
    if (!(o.colour_weight >= 0.0f))
        throw UsageError(fmt::format("--colour_weight {} is impossible (valid: 0 = off, or > 0)", o.colour_weight));
}

// Checks early that the output folder can take the checkpoint, so a long run cannot
// end in "cannot write".
void check_writable(const std::string& path) {
    namespace fs = std::filesystem;
    fs::path parent = fs::path(path).parent_path();
    std::error_code error;
    if (!parent.empty()) fs::create_directories(parent, error);
    const std::string probe = path + ".probe";
    std::ofstream test(probe);
    if (!test) throw UsageError(fmt::format("cannot write the checkpoint to {} (is the folder writable?)", path));
    test.close();
    fs::remove(probe, error);
}

std::string with_suffix(const std::string& checkpoint, const std::string& suffix) {
    std::filesystem::path p(checkpoint);
    return (p.parent_path() / (p.stem().string() + suffix)).string();
}

struct LossLog {
    std::vector<double> steps, total, prior, decoder;
};

void write_loss_plot(const std::string& path, const LossLog& log, ModelKind kind) {
    if (log.steps.empty()) return;
    std::vector<Series> series;
    const size_t window = std::max<size_t>(1, log.steps.size() / 50);
    if (kind == ModelKind::flat) {
        series.push_back({"LOSS", {200, 60, 40}, log.steps, moving_average(log.total, window)});
    } else {
        series.push_back({"DECODER", {200, 60, 40}, log.steps, moving_average(log.decoder, window)});
        series.push_back({"PRIOR", {40, 90, 200}, log.steps, moving_average(log.prior, window)});
    }
    write_png(path, line_plot(series, {.title = fmt::format("MODEL {} TRAINING LOSS", kind == ModelKind::flat ? "A" : "B"),
                                       .x_label = "STEP", .y_label = "EPS-MSE", .log_y = true}));
}

// Reads back the loss log of an earlier run (for the plot of a resumed run).
LossLog read_loss_log(const std::string& path, int64_t up_to_step) {
    LossLog log;
    std::ifstream in(path);
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string cell;
        std::vector<double> values;
        while (std::getline(fields, cell, ',')) values.push_back(std::strtod(cell.c_str(), nullptr));
        if (values.size() < 5 || values[0] > double(up_to_step)) continue;
        log.steps.push_back(values[0]), log.total.push_back(values[2]), log.prior.push_back(values[3]),
            log.decoder.push_back(values[4]);
    }
    return log;
}

}  // namespace

void add_model_flags(CLI::App& command, ModelConfig& c) {
    command.add_option("--image_size,--image-size", c.image_size, "image size S (multiple of 4, >= 16)")->capture_default_str();
    command.add_option("--base_channels,--base-channels", c.base_channels, "UNet base channels C")->capture_default_str();
    command.add_option("--embedding_dim,--embedding-dim", c.embedding_dim, "time/condition embedding width E")->capture_default_str();
    command.add_option("--schedule", c.schedule, "noise schedule: linear | cosine")->capture_default_str();
    command.add_option("--timesteps", c.timesteps, "diffusion steps T")->capture_default_str();
    command.add_option("--dataset_seed,--dataset-seed", c.dataset_seed, "seed of the synthetic dataset")->capture_default_str();
}

TrainResult train_model(const TrainOptions& options_in) {
    TrainOptions o = options_in;
    if (o.output.empty()) o.output = default_checkpoint_path(o.model.kind);
    o.model.validate();
    validate(o);
    check_writable(o.output);

    // 1. The model, optimizer, EMA and random stream: fresh, or from the checkpoint.
    Generator gen(o.seed);
    std::unique_ptr<DiffusionModel> model;
    TrainingState state;
    std::vector<std::pair<std::string, Tensor>> optimizer_state;
    std::vector<Tensor> ema_weights;
    if (o.resume) {
        if (!std::filesystem::exists(o.output))
            throw UsageError(fmt::format("--resume: no checkpoint at {} (train without --resume first)", o.output));
        LoadedCheckpoint loaded = load_checkpoint(o.output, o.model.kind);
        model = std::move(loaded.model);
        state = loaded.state;
        optimizer_state = std::move(loaded.optimizer_state);
        ema_weights = std::move(loaded.ema_weights);
        gen.set_state(state.generator_state);
        o.model = model->config;
    } else {
        model = std::make_unique<DiffusionModel>(o.model, gen);
    }
    Adam optimizer(model->parameters(), {.learning_rate = o.learning_rate});
    if (!optimizer_state.empty()) optimizer.load_state(optimizer_state);
    EMA ema(*model, o.ema_decay);
    if (!ema_weights.empty()) ema.load(ema_weights);
    SyntheticDataset dataset(o.model.dataset_options());

    const int64_t steps_per_epoch = (o.epoch_size + o.batch_size - 1) / o.batch_size;
    const int64_t total_steps = o.epochs * steps_per_epoch;
    if (state.step >= total_steps)
        throw UsageError(fmt::format("{} has already trained {} steps ({} epochs); ask for more --epochs to continue",
                                     o.output, state.step, state.epoch));
    state.settings = {{"epochs", std::to_string(o.epochs)}, {"epoch_size", std::to_string(o.epoch_size)},
                      {"batch_size", std::to_string(o.batch_size)}, {"lr", fmt::format("{}", o.learning_rate)},
                      {"lr_schedule", o.lr_schedule}, {"warmup_steps", std::to_string(o.warmup_steps)},
                      {"ema_decay", fmt::format("{}", o.ema_decay)}, {"grad_clip", fmt::format("{}", o.grad_clip)}, {"min_snr_gamma", fmt::format("{}", o.min_snr_gamma)},
                      {"colour_weight", fmt::format("{}", o.colour_weight)},
                      {"condition_dropout", fmt::format("{}", o.condition_dropout)}, {"seed", std::to_string(o.seed)}};

    // 2. Logs: the CSV is appended to on resume, so it holds the whole run.
    TrainResult result{o.output, with_suffix(o.output, "_loss.csv"), with_suffix(o.output, "_loss.png")};
    LossLog history = o.resume ? read_loss_log(result.loss_log, state.step) : LossLog{};
    std::ofstream csv(result.loss_log, o.resume ? std::ios::app : std::ios::trunc);
    if (!o.resume) csv << "step,epoch,loss,prior_loss,decoder_loss,lr,grad_norm,images_per_second\n";

    auto save = [&] {
        state.generator_state = gen.state();
        save_checkpoint(o.output, *model, &ema, &optimizer, state);
        write_loss_plot(result.loss_plot, history, o.model.kind);
    };

    // 3. The loop.
    InterruptScope interrupt_scope;
    Progress progress(fmt::format("train {}", to_string(o.model.kind)), total_steps);
    double epoch_loss_sum = 0.0;
    int64_t epoch_loss_count = 0;
    const auto loop_start = std::chrono::steady_clock::now();
    const int64_t first_step = state.step;
    model->train();
    const LossWeighting weighting{.min_snr_gamma = o.min_snr_gamma, .colour_weight = o.colour_weight};
    while (state.step < total_steps) {
        const float lr = learning_rate_at(o, state.step, total_steps);
        optimizer.set_learning_rate(lr);
        SyntheticDataset::Batch batch = dataset.sample_batch(o.batch_size, gen);
        if (o.condition_dropout > 0.0f)
            for (int64_t b = 0; b < o.batch_size; ++b)
                if (gen.uniform() < o.condition_dropout)
                    std::fill_n(batch.z2_onehot.data() + b * kNumCategories, kNumCategories, 0.0f);

        Tensor loss, prior_loss, decoder_loss;
        if (o.model.kind == ModelKind::flat) {
            loss = flat_losses(*model->image_model, model->schedule, batch, gen, weighting).image;
        } else {
            HierarchicalLosses losses =
                hierarchical_losses(*model->prior, *model->image_model, model->schedule, batch, gen, weighting);
            prior_loss = losses.prior;
            decoder_loss = losses.decoder;
            loss = prior_loss + decoder_loss;
        }
        const double loss_value = loss.item();
        if (!std::isfinite(loss_value)) {
            throw std::runtime_error(fmt::format(
                "the loss became {} at step {} (epoch {}); training stopped and {} keeps the last good checkpoint "
                "(epoch {}); try a lower --lr or a smaller --grad_clip",
                loss_value, state.step, state.step / steps_per_epoch + 1, o.output, state.epoch));
        }
        optimizer.zero_grad();
        loss.backward();
        const float grad_norm = o.grad_clip > 0 ? clip_grad_norm(model->parameters(), o.grad_clip) : 0.0f;
        optimizer.step();
        ema.update(*model);
        ++state.step;

        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();
        const double images_per_second = seconds > 0 ? double((state.step - first_step) * o.batch_size) / seconds : 0.0;
        const double p = prior_loss.defined() ? prior_loss.item() : 0.0, d = decoder_loss.defined() ? decoder_loss.item() : 0.0;
        csv << fmt::format("{},{},{:.6g},{:.6g},{:.6g},{:.6g},{:.6g},{:.1f}\n", state.step, state.step / steps_per_epoch,
                           loss_value, p, d, lr, grad_norm, images_per_second);
        history.steps.push_back(double(state.step)), history.total.push_back(loss_value), history.prior.push_back(p),
            history.decoder.push_back(d);
        epoch_loss_sum += loss_value, ++epoch_loss_count;
        if (!o.quiet)
            progress.update(state.step, fmt::format("epoch {}/{} loss {:.4f} | {:.1f} img/s",
                                                    state.step / steps_per_epoch + (state.step % steps_per_epoch ? 1 : 0),
                                                    o.epochs, loss_value, images_per_second));

        const bool epoch_done = state.step % steps_per_epoch == 0;
        if (epoch_done) {
            state.epoch = state.step / steps_per_epoch;
            result.final_loss = epoch_loss_sum / double(epoch_loss_count);
            epoch_loss_sum = 0.0, epoch_loss_count = 0;
            if (state.epoch % o.checkpoint_every == 0 || state.step == total_steps) {
                csv.flush();
                save();
            }
        }
        if (g_interrupted) {
            csv.flush();
            save();
            if (!o.quiet) progress.finish("interrupted");
            throw UsageError(fmt::format("interrupted at step {}; saved {} — continue with --resume", state.step, o.output));
        }
    }
    if (!o.quiet) progress.finish(fmt::format("loss {:.4f}", result.final_loss));
    result.steps = state.step;
    result.seconds = progress.elapsed_seconds();
    return result;
}

}  // namespace hd::cli
