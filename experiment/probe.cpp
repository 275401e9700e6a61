// probe.cpp — see probe.h.
#include "experiment/probe.h"

#include "autograd/autograd.h"
#include "autograd/ops.h"
#include "experiment/errors.h"
#include "experiment/model.h"

#include <fmt/format.h>

#include <cmath>

namespace hd {

namespace {

// (B, C, H, W) -> the (B·C) means over the pixels of each image and channel.
std::vector<double> channel_means(const Tensor& x) {
    const std::vector<float> means = mean(reshape(x, {x.size(0) * x.size(1), -1}), {1}).to_vector();
    return {means.begin(), means.end()};
}

// The spread of the images' own mean colours, Var(mean x_0).
double image_mean_variance(const SyntheticDataset& dataset, int64_t count, Generator& gen) {
    const std::vector<double> m = channel_means(dataset.sample_batch(count, gen).images);
    double sum = 0.0, square_sum = 0.0;
    for (double v : m) sum += v, square_sum += v * v;
    return square_sum / double(m.size()) - (sum / double(m.size())) * (sum / double(m.size()));
}

// One timestep's row: ε-MSE, the rms error of ε̂'s mean per channel, that error as a
// colour error of x̂_0, and the colour gain of the model beside the ideal one.
void print_row(DiffusionModel& model, const SyntheticDataset& dataset, int64_t step, int64_t count,
               double mean_variance, Generator& gen) {
    SyntheticDataset::Batch batch = dataset.sample_batch(count, gen);
    Tensor t = Tensor::full({count}, float(step));
    Tensor noise = Tensor::randn(batch.images.shape(), gen);
    Tensor x_t = q_sample(model.schedule, batch.images, t, noise);
    const Tensor& condition = model.config.kind == ModelKind::flat ? batch.z2_onehot : batch.z1;
    Tensor predicted = model.image_model->forward(x_t, t, condition);

    const double mse = mse_loss(predicted, noise).item();
    const std::vector<double> predicted_means = channel_means(predicted), noise_means = channel_means(noise);
    double square_error[3] = {};
    for (size_t p = 0; p < predicted_means.size(); ++p) {
        const double d = predicted_means[p] - noise_means[p];
        square_error[p % 3] += d * d / double(count);
    }
    const double all_channels = std::sqrt((square_error[0] + square_error[1] + square_error[2]) / 3.0);

    // The gain: shift x_t by δ in every pixel and channel, see how far ε̂'s mean moves.
    const float delta = 0.05f;
    Tensor predicted_shifted = model.image_model->forward(add(x_t, delta), t, condition);
    const double gain = (mean(predicted_shifted).item() - mean(predicted).item()) / delta;

    // The ideal gain: with x_t's mean = √ᾱ·m_0 + √(1−ᾱ)·m_ε and Var(m_ε) = 1/pixels, the
    // best linear guess of m_ε from x_t's mean takes the share
    // (1−ᾱ)/pixels / ((1−ᾱ)/pixels + ᾱ·Var(m_0)) of it.
    const double pixels = double(model.config.image_size * model.config.image_size);
    const double alpha_bar = model.schedule.alpha_bars[step];
    const double noise_share = (1.0 - alpha_bar) / pixels;
    const double ideal_gain = noise_share / (noise_share + alpha_bar * mean_variance);
    const double to_x0 = model.schedule.sqrt_one_minus_alpha_bars[step] / model.schedule.sqrt_alpha_bars[step];
    fmt::print("{:>5} {:>9.5f} | {:>8.4f} {:>8.4f} {:>8.4f} | {:>10.3f} | {:>5.2f} {:>5.2f}\n", step, mse,
               std::sqrt(square_error[0]), std::sqrt(square_error[1]), std::sqrt(square_error[2]), to_x0 * all_channels,
               gain, ideal_gain);
}

}  // namespace

void run_probe(const ProbeOptions& o) {
    if (o.num_images < 1 || o.num_images > 100000)
        throw UsageError(fmt::format("--num_images {} is impossible (valid: >= 1, <= 100000)", o.num_images));
    require_checkpoint(o.model_path);
    LoadedCheckpoint checkpoint = load_checkpoint(o.model_path);
    if (!o.raw_weights) use_ema_weights(checkpoint);
    DiffusionModel& model = *checkpoint.model;
    model.eval();
    SyntheticDataset dataset(model.config.dataset_options());
    Generator gen(o.seed);
    NoGradGuard no_grad;
    const double mean_variance = image_mean_variance(dataset, std::max<int64_t>(o.num_images, 64), gen);

    fmt::print("{} ({} weights), {} images per timestep\n", o.model_path, o.raw_weights ? "trained" : "EMA", o.num_images);
    fmt::print("{:>5} {:>9} | {:>27} | {:>10} | {:>11}\n", "", "", "rms error of ε̂'s mean", "as x̂0", "colour gain");
    fmt::print("{:>5} {:>9} | {:>8} {:>8} {:>8} | {:>10} | {:>5} {:>5}\n", "t", "ε-MSE", "R", "G", "B", "colour", "model",
               "ideal");
    const int64_t last = model.schedule.steps() - 1;
    for (double fraction : {1.0, 0.99, 0.95, 0.9, 0.8, 0.6, 0.4, 0.2, 0.05})
        print_row(model, dataset, static_cast<int64_t>(std::lround(fraction * double(last))), o.num_images, mean_variance,
                  gen);
    fmt::print("(the noise's own mean has rms {:.4f}: an error that large means the mean of x_t was ignored; "
               "x̂0 colour error is in units of the [-1, 1] pixel range)\n",
               1.0 / std::sqrt(double(model.config.image_size * model.config.image_size)));
}

}  // namespace hd
