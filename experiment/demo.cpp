// demo.cpp — see demo.h.
#include "experiment/demo.h"

#include "diffusion/image_io.h"
#include "experiment/errors.h"
#include "experiment/progress.h"
#include "experiment/summary.h"
#include "nn/files.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
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
    std::vector<Evaluation> swept; // the guidance sweep, one per sweep_settings() entry
    std::string sweep_plot;
    double minutes = 0.0;
};

// One sampling setting of the guidance sweep: model 0 (A) or 1 (B) at w, B's prior at
// prior_w.
struct SweepSetting {
    size_t model;
    float guidance, prior_guidance;
};

// The sweep, ordered by w then model. Guidance other than 1 needs a network trained with
// condition dropout: without it there is no sweep, and without the prior's dropout B's
// prior stays unguided.
std::vector<SweepSetting> sweep_settings(const DemoOptions& o) {
    std::vector<SweepSetting> settings;
    if (o.train.model.condition_dropout == 0.0f) return settings;
    for (float w : o.guidance_sweep) {
        settings.push_back({0, w, 1.0f});
        settings.push_back({1, w, 1.0f});
        if (w != 1.0f && o.train.model.prior_condition_dropout > 0.0f) settings.push_back({1, w, w});
    }
    return settings;
}

std::string sweep_model_name(const SweepSetting& s) {
    if (s.model == 0) return "A (flat)";
    if (s.prior_guidance != 1.0f) return "B, decoder and prior guided";
    return s.guidance == 1.0f ? "B (hierarchical)" : "B, decoder guided";
}

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

std::string recognised_split(const ClassifierFigures& c, Mode first, Mode second) {
    return fmt::format("{} / {}", c.recognised_modes[static_cast<size_t>(first)], c.recognised_modes[static_cast<size_t>(second)]);
}

std::string recognised_kl(const ClassifierFigures& c) {
    return c.recognised ? fmt::format("{:.3f}", c.recognised->kl_nats) : "—";
}

// The sweep as a Markdown table (the report's, and what the demo prints).
std::string sweep_table(const DemoOptions& o, const DemoRun& run) {
    const std::vector<SweepSetting> settings = sweep_settings(o);
    std::string md = "| w | model | recognised (animal / vehicle) | animal: dog / cat | vehicle: car / truck | KL (animal / vehicle) |\n"
                     "|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < run.swept.size(); ++i) {
        const ClassifierFigures& animal = run.swept[i].per_z2[static_cast<size_t>(Category::animal)].classifier;
        const ClassifierFigures& vehicle = run.swept[i].per_z2[static_cast<size_t>(Category::vehicle)].classifier;
        md += fmt::format("| {:g} | {} | {:.0f} % / {:.0f} % | {} | {} | {} / {} |\n", settings[i].guidance,
                          sweep_model_name(settings[i]), 100.0 * animal.recognisable_share,
                          100.0 * vehicle.recognisable_share, recognised_split(animal, Mode::dog, Mode::cat),
                          recognised_split(vehicle, Mode::car, Mode::truck), recognised_kl(animal), recognised_kl(vehicle));
    }
    return md;
}

std::string sweep_section(const DemoOptions& o, const DemoRun& run) {
    if (o.guidance_sweep.empty()) return "";
    std::string md = "## Guidance\n\n";
    if (run.swept.empty())
        return md + "No guidance sweep: the models were trained without condition dropout, and classifier-free "
                    "guidance needs it (`hd demo --cond_dropout 0.1 --prior_cond_dropout 0.1` trains them for it).\n\n";
    md += fmt::format(
        "The same two models, sampled again with classifier-free guidance weight w (w = 1: none) on A's denoiser "
        "and on B's decoder, and on B's decoder and prior together. Guidance makes samples easier to recognise and "
        "can cost diversity: *recognised* is the classifier's share as above; the counts are its recognised labels "
        "and KL is KL(p_data ‖ p_model) of those labels (0: the data's split; ln 2 = 0.693: one mode only). {} "
        "samples per z2 and one seed: a share moves by several points between seeds (`scripts/experiment.sh "
        "guidance` runs this sweep over three).\n\n",
        o.evaluate.num_samples);
    md += sweep_table(o, run);
    md += fmt::format("\n![quality and diversity under guidance]({})\n\n", relative(run.sweep_plot, o.output));
    // The samples at the strongest guidance, beside the unguided ones under Samples.
    const std::vector<SweepSetting> settings = sweep_settings(o);
    const float strongest = *std::max_element(o.guidance_sweep.begin(), o.guidance_sweep.end());
    md += fmt::format("| at w = {:g} | z2 = animal | z2 = vehicle |\n|---|---|---|\n", strongest);
    for (size_t i = 0; i < settings.size(); ++i) {
        if (settings[i].guidance != strongest) continue;
        md += "| " + sweep_model_name(settings[i]) + " |";
        for (const char* z2 : {"animal", "vehicle"})
            md += fmt::format(" ![]({}) |", relative((fs::path(run.swept[i].output_dir) / fmt::format("samples_{}.png", z2)).string(),
                                                      o.output));
        md += "\n";
    }
    return md + "\n";
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
           sweep_section(o, run) + pictures_section(o, run);
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

// The guidance sweep: sampling only, into <output>/guidance/. A setting the main
// evaluation already sampled is taken from it.
void sweep_guidance(const DemoOptions& o, DemoRun& run) {
    std::vector<RunFigures> figures;
    for (const SweepSetting& s : sweep_settings(o)) {
        const ModelKind kind = s.model == 0 ? ModelKind::flat : ModelKind::hierarchical;
        EvaluateOptions e = o.evaluation(kind);
        if (s.guidance == e.sampler.guidance && s.prior_guidance == e.prior_guidance) {
            run.swept.push_back(run.evaluated[s.model]);
        } else {
            e.model_path = run.trained[s.model].checkpoint;
            e.sampler.guidance = s.guidance;
            e.prior_guidance = s.prior_guidance;
            e.output_dir = (fs::path(o.output) / "guidance" /
                            fmt::format("{}_w{:g}{}", fs::path(e.model_path).stem().string(), s.guidance,
                                        s.prior_guidance == 1.0f ? "" : "_prior")).string();
            fmt::print(stderr, "== guidance sweep: model {} at w = {:g}\n", sweep_model_name(s), s.guidance);
            run.swept.push_back(evaluate_model(e));
        }
        figures.push_back(run_figures(to_json(run.swept.back()), run.swept.back().output_dir));
    }
    if (figures.empty()) return;
    run.sweep_plot = (fs::path(o.output) / "guidance" / "quality_diversity.png").string();
    make_directory(fs::path(run.sweep_plot).parent_path().string());
    write_quality_diversity_plot(figures, run.sweep_plot);
}

}  // namespace

std::vector<float> parse_guidance_weights(const std::string& text) {
    std::vector<float> weights;
    if (text == "none") return weights;
    size_t start = 0;
    while (true) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string entry = text.substr(start, comma - start);
        float w = 0.0f;
        const auto [end, error] = std::from_chars(entry.data(), entry.data() + entry.size(), w);
        if (entry.empty() || error != std::errc() || end != entry.data() + entry.size())
            throw UsageError(fmt::format("--guidance_sweep '{}': '{}' is not a number (valid: weights like 1,2,4, or none)",
                                         text, entry));
        validate_guidance_weight("--guidance_sweep", w);
        if (std::find(weights.begin(), weights.end(), w) != weights.end())
            throw UsageError(fmt::format("--guidance_sweep '{}': {:g} is given twice", text, w));
        weights.push_back(w);
        if (comma == text.size()) return weights;
        start = comma + 1;
    }
}

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
    for (float w : guidance_sweep) validate_guidance_weight("--guidance_sweep", w);
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
    sweep_guidance(o, run);
    draw_prior(o, run);
    run.minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;

    const std::string path = (fs::path(o.output) / "README.md").string();
    write_file_atomic(path, report(o, run));
    for (const Evaluation& e : run.evaluated) fmt::print("{}\n", format_metrics_table(e));
    if (!run.swept.empty()) fmt::print("guidance sweep ({} samples per z2; classifier's recognised labels):\n{}\n",
                                       o.evaluate.num_samples, sweep_table(o, run));
    else if (!o.guidance_sweep.empty())
        fmt::print("no guidance sweep: the models were trained without condition dropout (--cond_dropout)\n\n");
    fmt::print("report: {} ({:.1f} minutes)\n", path, run.minutes);
}

}  // namespace hd
