// bench_models.cpp — how fast does hdiff train and sample the homework's models?
//
// Measures, on the models of homework/provided/models.h (with the reference Parts):
//   * UNet train step: ImageDenoiser forward + mse_loss + backward + Adam step,
//     batch 32, 64×64, for C=16 (E=64) and C=32 (E=128), groups 8, condition_dim 2;
//   * UNet sampling step: one forward under NoGradGuard, batch 64;
//   * LatentPrior train step: batch 256, E=128, hidden 256, 3 layers.
// For each: the median time over repetitions, images (or samples) per second, the
// convolution/matmul GFLOP/s the step achieves and its share of this machine's peak
// (pass --peak, e.g. from `hd_bench_kernels peak`), minor page faults per step
// (getrusage ru_minflt, averaged over the timed steps), and the resident set size.
//
// FLOPs counted: the convolutions and linear layers only (2·multiply-adds); a train
// step counts forward + grad-input + grad-weight, i.e. 3× the forward (2× for the first
// conv, whose input needs no gradient). The memory-bound ops are not counted.
//
// Usage: hd_bench_models [unet16] [unet32] [prior] [--reps N] [--peak GFLOPS] [--csv]
//        hd_bench_models --determinism   (3 training steps from seed 0: losses and a hash
//                                         of the parameters, to compare across runs/threads)
// The thread count is OpenMP's: set OMP_NUM_THREADS to change it.
#include "autograd/generator.h"
#include "autograd/ops.h"
#include "homework/provided/models.h"
#include "nn/optim.h"

#include <fmt/format.h>

#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace hd;

double seconds_now() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

long minor_faults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

long peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

struct Timing {
    double median_s = 0, min_s = 0;
    double faults_per_step = 0;
};

// `warmup` untimed runs, then `reps` timed ones: median and page faults per run.
Timing measure(int warmup, int reps, const std::function<void()>& fn) {
    for (int i = 0; i < warmup; ++i) fn();
    std::vector<double> times;
    const long faults_before = minor_faults();
    for (int r = 0; r < reps; ++r) {
        double start = seconds_now();
        fn();
        times.push_back(seconds_now() - start);
    }
    const long faults = minor_faults() - faults_before;
    std::sort(times.begin(), times.end());
    return {times[times.size() / 2], times.front(), double(faults) / reps};
}

// Forward multiply-add FLOPs of the UNet's convolutions at batch B, size S.
double unet_forward_flops(int64_t B, int64_t C, int64_t S, int64_t E, bool train) {
    double total = 0;
    auto conv = [&](int64_t cin, int64_t cout, int64_t k, int64_t out_size, bool first = false) {
        double f = 2.0 * B * cout * out_size * out_size * cin * k * k;
        total += train ? (first ? 2 : 3) * f : f;
    };
    auto linear = [&](int64_t din, int64_t dout) { total += (train ? 3 : 1) * 2.0 * B * din * dout; };
    auto resblock = [&](int64_t cin, int64_t cout, int64_t size) {
        conv(cin, cout, 3, size);
        conv(cout, cout, 3, size);
        if (cin != cout) conv(cin, cout, 1, size);
        linear(E, cout);
    };
    conv(3, C, 3, S, true);
    resblock(C, C, S);
    conv(C, C, 3, S / 2);
    resblock(C, 2 * C, S / 2);
    conv(2 * C, 2 * C, 3, S / 4);
    resblock(2 * C, 4 * C, S / 4);
    resblock(4 * C, 4 * C, S / 4);
    resblock(6 * C, 2 * C, S / 2);
    resblock(3 * C, C, S);
    conv(C, 3, 3, S);
    linear(E, E), linear(E, E), linear(2, E); // time and condition embeddings
    return total;
}

double prior_flops(int64_t B, int64_t E, int64_t hidden, int64_t layers) {
    double f = 2.0 * B * (E * E * 2 + 2 * E);             // time + condition embeddings
    f += 2.0 * B * (2 + 2 * E) * hidden;                   // first MLP layer
    f += 2.0 * B * hidden * hidden * (layers - 1);          // hidden layers
    f += 2.0 * B * hidden * 2;                              // output layer
    return 3 * f;
}

struct Row {
    std::string name;
    Timing timing;
    double items = 0; // images or samples per step
    double flops = 0;
};

double g_peak = 0; // GFLOP/s; 0 = unknown

void print_row(const Row& row, bool csv) {
    const double ms = row.timing.median_s * 1e3, gflops = row.flops / row.timing.median_s * 1e-9;
    if (csv) {
        std::printf("%s,%.3f,%.1f,%.1f,%.1f,%.0f,%ld\n", row.name.c_str(), ms, row.items / row.timing.median_s,
                    gflops, g_peak > 0 ? 100 * gflops / g_peak : 0.0, row.timing.faults_per_step, peak_rss_mb());
        return;
    }
    std::printf("%-22s %9.2f %9.2f %10.1f %8.1f ", row.name.c_str(), ms, row.timing.min_s * 1e3,
                row.items / row.timing.median_s, gflops);
    if (g_peak > 0) std::printf("%6.1f%% ", 100 * gflops / g_peak);
    else std::printf("%7s ", "-");
    std::printf("%10.0f %8ld\n", row.timing.faults_per_step, peak_rss_mb());
    std::fflush(stdout);
}

void bench_unet(int64_t C, int64_t E, int reps, bool csv) {
    Generator gen(0);
    ImageDenoiser model(ImageDenoiserOptions{.base_channels = C, .embedding_dim = E, .condition_dim = 2, .groups = 8}, gen);
    Adam optimizer(model.parameters(), AdamOptions{.learning_rate = 1e-4f});
    const int64_t B = 32, S = 64;
    Tensor x = Tensor::randn({B, 3, S, S}, gen), noise = Tensor::randn({B, 3, S, S}, gen);
    Tensor t = Tensor::rand({B}, gen, 0.0f, 999.0f), c = Tensor::randn({B, 2}, gen);
    Row train{fmt::format("unet C={} train b{}", C, B),
              measure(2, reps, [&] {
                  optimizer.zero_grad();
                  Tensor loss = mse_loss(model.forward(x, t, c), noise);
                  loss.backward();
                  optimizer.step();
              }),
              double(B), unet_forward_flops(B, C, S, E, true)};
    print_row(train, csv);

    const int64_t Bs = 64;
    Tensor xs = Tensor::randn({Bs, 3, S, S}, gen), ts = Tensor::rand({Bs}, gen, 0.0f, 999.0f), cs = Tensor::randn({Bs, 2}, gen);
    Row sample{fmt::format("unet C={} sample b{}", C, Bs),
               measure(2, reps, [&] {
                   NoGradGuard no_grad;
                   Tensor eps = model.forward(xs, ts, cs);
               }),
               double(Bs), unet_forward_flops(Bs, C, S, E, false)};
    print_row(sample, csv);
}

void bench_prior(int reps, bool csv) {
    Generator gen(0);
    const int64_t B = 256, E = 128, hidden = 256, layers = 3;
    LatentPrior model(LatentPriorOptions{.embedding_dim = E, .hidden_features = hidden, .hidden_layers = layers}, gen);
    Adam optimizer(model.parameters(), AdamOptions{.learning_rate = 1e-3f});
    Tensor z = Tensor::randn({B, 2}, gen), noise = Tensor::randn({B, 2}, gen);
    Tensor t = Tensor::rand({B}, gen, 0.0f, 999.0f), c = Tensor::randn({B, 2}, gen);
    Row row{fmt::format("prior train b{}", B),
            measure(20, reps * 20, [&] {
                optimizer.zero_grad();
                Tensor loss = mse_loss(model.forward(z, t, c), noise);
                loss.backward();
                optimizer.step();
            }),
            double(B), prior_flops(B, E, hidden, layers)};
    print_row(row, csv);
}

// Three Adam steps of a small UNet and of the prior from seed 0; prints the losses and a
// hash of every parameter's bits, to compare runs (and thread counts) for bitwise equality.
void print_determinism_check() {
    auto hash_parameters = [](const Module& model) {
        uint64_t h = 1469598103934665603ull; // FNV-1a over the parameters' bytes
        for (const Tensor& p : model.parameters()) {
            const auto* bytes = reinterpret_cast<const unsigned char*>(p.data());
            for (size_t i = 0; i < sizeof(float) * static_cast<size_t>(p.numel()); ++i) h = (h ^ bytes[i]) * 1099511628211ull;
        }
        return h;
    };
    auto train = [&](NoisePredictor& model, const Shape& x_shape, float lr, Generator& gen) {
        Adam optimizer(model.parameters(), AdamOptions{.learning_rate = lr});
        const int64_t B = x_shape[0];
        std::string losses;
        for (int step = 0; step < 3; ++step) {
            Tensor x = Tensor::randn(x_shape, gen), noise = Tensor::randn(x_shape, gen);
            Tensor t = Tensor::rand({B}, gen, 0.0f, 999.0f), c = Tensor::randn({B, 2}, gen);
            optimizer.zero_grad();
            Tensor loss = mse_loss(model.forward(x, t, c), noise);
            loss.backward();
            optimizer.step();
            losses += fmt::format(" {:.9g}", loss.item());
        }
        return losses;
    };
    Generator gen(0);
    ImageDenoiser unet(ImageDenoiserOptions{.base_channels = 16, .embedding_dim = 64, .condition_dim = 2, .groups = 8}, gen);
    std::string unet_losses = train(unet, {8, 3, 32, 32}, 1e-3f, gen);
    LatentPrior prior(LatentPriorOptions{.embedding_dim = 128}, gen); // the hash's prior since it was first printed
    std::string prior_losses = train(prior, {256, 2}, 1e-3f, gen);
    std::printf("threads %d | unet C=16 losses%s params %016llx | prior losses%s params %016llx\n",
                omp_get_max_threads(), unet_losses.c_str(), (unsigned long long)hash_parameters(unet),
                prior_losses.c_str(), (unsigned long long)hash_parameters(prior));
}

}  // namespace

int main(int argc, char** argv) {
    int reps = 7;
    bool csv = false;
    std::vector<std::string> sections;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
        else if (arg == "--peak" && i + 1 < argc) g_peak = std::atof(argv[++i]);
        else if (arg == "--csv") csv = true;
        else if (arg == "--determinism") {
            print_determinism_check();
            return 0;
        }
        else if (arg == "unet16" || arg == "unet32" || arg == "prior") sections.push_back(arg);
        else {
            std::fprintf(stderr, "usage: hd_bench_models [unet16] [unet32] [prior] [--reps N] [--peak GFLOPS] [--csv] "
                                 "| --determinism\n");
            return 2;
        }
    }
    if (sections.empty()) sections = {"prior", "unet16", "unet32"};
    auto wants = [&](const char* s) { return std::find(sections.begin(), sections.end(), s) != sections.end(); };

    if (csv) std::printf("name,ms,items_per_s,gflops,pct_peak,faults_per_step,peak_rss_mb\n");
    else {
        std::printf("hdiff models, %d threads, median of %d (prior: of %d)\n", omp_get_max_threads(), reps, reps * 20);
        std::printf("%-22s %9s %9s %10s %8s %7s %10s %8s\n", "step", "ms", "min ms", "items/s", "GFLOP/s", "%peak",
                    "faults", "RSS MB");
    }
    if (wants("prior")) bench_prior(reps, csv);
    if (wants("unet16")) bench_unet(16, 64, reps, csv);
    if (wants("unet32")) bench_unet(32, 128, reps, csv);
    return 0;
}
