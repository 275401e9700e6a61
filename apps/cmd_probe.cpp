// cmd_probe.cpp — `hd probe --model_path …`: where the image denoiser's noise prediction
// is wrong, timestep by timestep, on fresh images of the training distribution.
//
// Besides the ε-MSE it looks at one number per image and colour channel: the mean over
// the pixels, the image's overall colour. Sampling forms x̂_0 = (x_t − √(1−ᾱ_t) ε̂)/√ᾱ_t,
// so an error d in the mean of ε̂ becomes an error √(1−ᾱ_t)/√ᾱ_t · d in the mean colour of
// x̂_0 — ×157 at t = 999 on the linear schedule. The denoiser must therefore pass the
// mean of x_t through to ε̂ almost exactly at large t (there ε ≈ x_t). The "gain" column
// measures how much of a uniform colour shift of x_t reaches ε̂'s mean, beside the gain
// an ideal denoiser would have (below).
#include "apps/commands.h"
#include "apps/experiment.h"
#include "autograd/autograd.h"
#include "autograd/ops.h"
#include "diffusion/schedule.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

namespace hd::cli {

namespace {

struct ProbeOptions {
    std::string model_path;
    int64_t num_images = 256;
    uint64_t seed = 0;
    bool raw_weights = false;
};

// (B, C, H, W) -> the (B·C) means over the pixels of each image and channel.
std::vector<double> channel_means(const Tensor& x) {
    const std::vector<float> means = mean(reshape(x, {x.size(0) * x.size(1), -1}), {1}).to_vector();
    return {means.begin(), means.end()};
}

void run_probe(const ProbeOptions& o) {
    if (o.num_images < 1) throw UsageError(fmt::format("--num_images {} is impossible (valid: >= 1)", o.num_images));
    if (!std::filesystem::exists(o.model_path))
        throw UsageError(fmt::format("no checkpoint at {} (train one with hd train, or pass --model_path)", o.model_path));
    LoadedCheckpoint checkpoint = load_checkpoint(o.model_path);
    if (!o.raw_weights) use_ema_weights(checkpoint);
    DiffusionModel& model = *checkpoint.model;
    model.eval();
    SyntheticDataset dataset(model.config.dataset_options());
    Generator gen(o.seed);
    NoGradGuard no_grad;
    const int64_t pixels = model.config.image_size * model.config.image_size;

    // The spread of the images' own mean colours, Var(mean x_0), for the ideal gain: with
    // x_t's mean = √ᾱ·m_0 + √(1−ᾱ)·m_ε, Var(m_ε) = 1/pixels, the best linear guess of m_ε
    // from x_t's mean takes the share (1−ᾱ)/pixels / ((1−ᾱ)/pixels + ᾱ·Var(m_0)) of it.
    double image_mean_variance = 0.0;
    {
        const std::vector<double> m = channel_means(dataset.sample_batch(std::max<int64_t>(o.num_images, 64), gen).images);
        double sum = 0.0, square_sum = 0.0;
        for (double v : m) sum += v, square_sum += v * v;
        image_mean_variance = square_sum / double(m.size()) - (sum / double(m.size())) * (sum / double(m.size()));
    }

    fmt::print("{} ({} weights), {} images per timestep\n", o.model_path, o.raw_weights ? "trained" : "EMA", o.num_images);
    fmt::print("{:>5} {:>9} | {:>27} | {:>10} | {:>11}\n", "", "", "rms error of ε̂'s mean", "as x̂0", "colour gain");
    fmt::print("{:>5} {:>9} | {:>8} {:>8} {:>8} | {:>10} | {:>5} {:>5}\n", "t", "ε-MSE", "R", "G", "B", "colour", "model",
               "ideal");
    const int64_t last = model.schedule.steps() - 1;
    for (double fraction : {1.0, 0.99, 0.95, 0.9, 0.8, 0.6, 0.4, 0.2, 0.05}) {
        const auto step = static_cast<int64_t>(std::lround(fraction * double(last)));
        SyntheticDataset::Batch batch = dataset.sample_batch(o.num_images, gen);
        Tensor t = Tensor::full({o.num_images}, float(step));
        Tensor noise = Tensor::randn(batch.images.shape(), gen);
        Tensor x_t = q_sample(model.schedule, batch.images, t, noise);
        const Tensor& condition = model.config.kind == ModelKind::flat ? batch.z2_onehot : batch.z1;
        Tensor predicted = model.image_model->forward(x_t, t, condition);

        const double mse = mse_loss(predicted, noise).item();
        const std::vector<double> predicted_means = channel_means(predicted), noise_means = channel_means(noise);
        double square_error[3] = {};
        for (size_t p = 0; p < predicted_means.size(); ++p) {
            const double d = predicted_means[p] - noise_means[p];
            square_error[p % 3] += d * d / double(o.num_images);
        }
        const double all_channels = std::sqrt((square_error[0] + square_error[1] + square_error[2]) / 3.0);

        // The gain: shift x_t by δ in every pixel and channel, see how far ε̂'s mean moves.
        const float delta = 0.05f;
        Tensor predicted_shifted = model.image_model->forward(add(x_t, delta), t, condition);
        const double gain = (mean(predicted_shifted).item() - mean(predicted).item()) / delta;

        const double alpha_bar = model.schedule.alpha_bars[step];
        const double noise_share = (1.0 - alpha_bar) / double(pixels);
        const double ideal_gain = noise_share / (noise_share + alpha_bar * image_mean_variance);
        const double to_x0 = model.schedule.sqrt_one_minus_alpha_bars[step] / model.schedule.sqrt_alpha_bars[step];
        fmt::print("{:>5} {:>9.5f} | {:>8.4f} {:>8.4f} {:>8.4f} | {:>10.3f} | {:>5.2f} {:>5.2f}\n", step, mse,
                   std::sqrt(square_error[0]), std::sqrt(square_error[1]), std::sqrt(square_error[2]), to_x0 * all_channels,
                   gain, ideal_gain);
    }
    fmt::print("(the noise's own mean has rms {:.4f}: an error that large means the mean of x_t was ignored; "
               "x̂0 colour error is in units of the [-1, 1] pixel range)\n",
               1.0 / std::sqrt(double(pixels)));
}

}  // namespace

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
