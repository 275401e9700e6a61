// demo.cpp — see demo.h.
#include "experiment/demo.h"

#include "diffusion/image_io.h"
#include "experiment/errors.h"
#include "experiment/progress.h"
#include "nn/files.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace hd {

namespace {

namespace fs = std::filesystem;

std::string relative(const std::string& path, const std::string& base) { return fs::relative(path, base).string(); }

struct DemoRun {
    std::string data_grid;
    std::vector<TrainResult> trained;
    std::vector<Evaluation> evaluated;
    std::vector<std::string> prior_plots;
    double minutes = 0.0;
};

std::string settings_paragraph(const DemoOptions& o, double minutes) {
    const TrainOptions& t = o.train;
    return fmt::format("Model A (flat) and model B (hierarchical) trained with the same settings: {} epochs of {} images, "
                       "batch {}, Adam lr {} ({} schedule), EMA {}, loss weights Min-SNR-{} and colour {}, images {}×{}, "
                       "UNet C={}, E={}{}, T={} ({} schedule), p_data {}, condition dropout {} (B's prior: {}). "
                       "Whole run: {:.1f} minutes on this machine.\n\n",
                       t.epochs, t.epoch_size, t.batch_size, t.learning_rate, t.lr_schedule, t.ema_decay, t.min_snr_gamma,
                       t.colour_weight, t.model.image_size, t.model.image_size, t.model.base_channels,
                       t.model.embedding_dim, t.model.colour_path ? " with the colour path" : "", t.model.timesteps,
                       t.model.schedule,
                       p_data_spec(t.model.dataset_options()), t.model.condition_dropout,
                       t.model.prior_condition_dropout, minutes);
}

std::string metrics_section(const DemoOptions& o, const DemoRun& run) {
    std::string md = "## Metrics\n\nSamples per z2 drawn with " + run.evaluated[0].sampler +
        ". Coverage, entropy and KL are the students' Parts 3–5 exactly as the handout defines them: each image is "
        "assigned its nearest reference image over all four modes. *near-mode* is the share of samples that are as "
        "close to some reference as real images are; the others still get a mode, so read coverage beside it. "
        "*recog* is the share of samples the evaluation classifier names with probability ≥ " +
        fmt::format("{:.2f}", o.evaluate.confidence) +
        " (checked against a person's labels of generated samples in docs/judge/README.md: it recognises about as "
        "many as the eye, give or take 8 points on one grid of 64); its coverage, H and KL count those samples only. "
        "*agree*: the share of those where a second, colour-free judge (nearest reference after normalising each "
        "image's colours) names the same mode.\n\n";
    for (const Evaluation& e : run.evaluated) md += "```\n" + format_metrics_table(e) + "```\n\n";
    return md;
}

std::string pictures_section(const DemoOptions& o, const DemoRun& run) {
    std::string md = "## Samples\n\nEach tile is labelled *nearest-reference mode / classifier verdict* (`?`: farther "
                     "from every reference than any real image; `-`: the classifier does not recognise it).\n\n";
    for (size_t k = 0; k < run.evaluated.size(); ++k)
        for (const char* z2 : {"animal", "vehicle"})
            md += fmt::format("**Model {} — z2 = {}**\n\n![{}]({})\n\n", k == 0 ? "A (flat)" : "B (hierarchical)", z2, z2,
                              relative((fs::path(run.evaluated[k].output_dir) / fmt::format("samples_{}.png", z2)).string(),
                                       o.output));
    md += "## Model B's prior\n\nThe prior's z1 samples (dots, coloured by their nearest anchor) and their paths "
          "from noise (grey) over the four anchors (labelled). A prior that covers both modes of a z2 "
          "splits its dots between that z2's two anchors.\n\n";
    for (size_t k = 0; k < run.prior_plots.size(); ++k)
        md += fmt::format("![prior {}]({})\n", k == 0 ? "animal" : "vehicle", relative(run.prior_plots[k], o.output));
    md += "\n## Training\n\n";
    for (size_t k = 0; k < run.trained.size(); ++k)
        md += fmt::format("Model {}: {} steps in {}, last-epoch loss {:.4f}.\n\n![loss]({})\n\n", k == 0 ? "A" : "B",
                          run.trained[k].steps, format_duration(run.trained[k].seconds), run.trained[k].final_loss,
                          relative(run.trained[k].loss_plot, o.output));
    return md;
}

std::string report(const DemoOptions& o, const DemoRun& run) {
    return "# hdiff demo report\n\n" + settings_paragraph(o, run.minutes) +
           fmt::format("## The data\n\n![dataset]({})\n\n", relative(run.data_grid, o.output)) + metrics_section(o, run) +
           pictures_section(o, run);
}

// Model B's prior: where its z1 samples land among the four anchors, and how they got there.
void draw_prior(const DemoOptions& o, DemoRun& run) {
    for (const char* z2 : {"animal", "vehicle"}) {
        SampleOptions prior{.model_path = run.trained[1].checkpoint, .z2 = z2, .num_samples = 64, .seed = 1,
                            .output = (fs::path(o.output) / "prior" / fmt::format("model_b_{}.png", z2)).string(),
                            .sampler = o.evaluate.sampler, .prior_guidance = o.evaluate.prior_guidance};
        const SampleResult written = write_samples(prior);
        fmt::print("wrote {} ({} samples for z2 = {}, {})\n", written.grid, prior.num_samples, z2, written.sampler);
        fmt::print("wrote {} (the prior's z1 samples, coloured by nearest anchor and counted per anchor, with the "
                   "denoising paths of the first 8)\n", written.prior_plot);
        run.prior_plots.push_back(written.prior_plot);
    }
}

}  // namespace

TrainOptions demo_training() {
    TrainOptions t;
    t.epochs = 32;
    t.epoch_size = 6400;
    // The demo's measured configuration (README, The demo): 32×32, the three-level UNet
    // without the colour path, which the handout's 64×64 default adds.
    t.model.image_size = 32;
    t.model.colour_path = false;
    return t;
}

TrainOptions DemoOptions::training(ModelKind kind) const {
    TrainOptions t = train;
    t.model.kind = kind;
    if (kind == ModelKind::flat) t.model.prior_condition_dropout = 0.0f; // model A has no prior
    return t;
}

EvaluateOptions DemoOptions::evaluation(ModelKind kind) const {
    EvaluateOptions e = evaluate;
    if (kind == ModelKind::flat) e.prior_guidance = 1.0f;
    return e;
}

void DemoOptions::validate() const {
    train.validate();
    evaluate.validate();
    for (ModelKind kind : {ModelKind::flat, ModelKind::hierarchical}) {
        const ModelConfig config = training(kind).model;
        config.validate();
        check_guidance(config, evaluation(kind).sampler.guidance, evaluation(kind).prior_guidance);
    }
}

void write_dataset_grid(const std::string& path, const SyntheticDataset& dataset, int64_t per_mode, bool with_labels) {
    const int64_t size = dataset.image_size();
    Tensor examples = Tensor::empty({kNumModes * per_mode, 3, size, size});
    std::vector<std::string> labels;
    for (Mode mode : all_modes())
        for (int64_t i = 0; i < per_mode; ++i) {
            dataset.render_into(mode, i, examples.data() + (static_cast<int64_t>(mode) * per_mode + i) * 3 * size * size);
            labels.push_back(to_string(mode));
        }
    if (!with_labels) labels.clear();
    write_png_grid(path, examples, static_cast<int>(per_mode), labels, std::max<int>(1, 64 / static_cast<int>(size)));
}

void run_demo(const DemoOptions& o) {
    o.validate();
    const auto start = std::chrono::steady_clock::now();
    make_directory(o.output);
    const std::string checkpoints = (fs::path(o.output) / "checkpoints").string();
    DemoRun run;
    run.data_grid = (fs::path(o.output) / "dataset.png").string();
    write_dataset_grid(run.data_grid, SyntheticDataset(o.train.model.dataset_options()), 8, true);

    for (ModelKind kind : {ModelKind::flat, ModelKind::hierarchical}) {
        TrainOptions t = o.training(kind);
        t.output = (fs::path(checkpoints) / fs::path(default_checkpoint_path(kind)).filename()).string();
        fmt::print(stderr, "== training model {} ({})\n", kind == ModelKind::flat ? "A" : "B", to_string(kind));
        run.trained.push_back(train_model(t));
    }
    for (const ModelKind kind : {ModelKind::flat, ModelKind::hierarchical}) {
        const TrainResult& t = run.trained[kind == ModelKind::flat ? 0 : 1];
        EvaluateOptions e = o.evaluation(kind);
        e.model_path = t.checkpoint;
        e.output_dir = (fs::path(o.output) / "evaluation" / fs::path(t.checkpoint).stem()).string();
        fmt::print(stderr, "== evaluating {}\n", t.checkpoint);
        run.evaluated.push_back(evaluate_model(e));
    }
    draw_prior(o, run);
    run.minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;

    const std::string path = (fs::path(o.output) / "README.md").string();
    write_file_atomic(path, report(o, run));
    for (const Evaluation& e : run.evaluated) fmt::print("{}\n", format_metrics_table(e));
    fmt::print("report: {} ({:.1f} minutes)\n", path, run.minutes);
}

}  // namespace hd
