// evaluation_report.cpp — an Evaluation as metrics.json and as the printed table (see evaluation.h).
#include "experiment/evaluation.h"

#include <fmt/format.h>

#include <string>

namespace hd {

namespace {

// A float setting as the decimal it was given as (0.1, not 0.10000000149011612).
double as_given(float value) { return std::stod(fmt::format("{}", value)); }

nlohmann::json mode_counts(const ModeCounts& counts) {
    nlohmann::json out;
    for (Mode m : all_modes()) out[to_string(m)] = counts[static_cast<int>(m)];
    return out;
}

nlohmann::json classifier_json(const ClassifierFigures& c) {
    nlohmann::json labels;
    for (int k = 0; k < kClassifierClasses; ++k) labels[class_name(k)] = c.labels[k];
    nlohmann::json out{{"labels", labels},
                       {"recognised_modes", mode_counts(c.recognised_modes)},
                       {"recognisable", c.recognisable},
                       {"recognisable_share", c.recognisable_share},
                       {"second_judge_agreement", c.second_judge_agreement},
                       {"students_agreement", c.students_agreement}};
    if (c.recognised) {
        out["coverage"] = {{"num_modes_found", c.recognised->num_modes_found},
                           {"total_possible_modes", c.recognised->total_possible_modes}};
        out["entropy_nats"] = c.recognised->entropy_nats;
        out["kl_nats"] = c.recognised->kl_nats;
    }
    return out;
}

nlohmann::json z2_json(const Z2Figures& f) {
    nlohmann::json entry;
    entry["image_modes"] = mode_counts(f.image_modes);
    entry["coverage"] = {{"num_modes_found", f.coverage.num_modes_found},
                         {"total_possible_modes", f.coverage.total_possible_modes},
                         {"coverage_ratio", f.coverage.coverage_ratio}};
    entry["entropy_nats"] = f.entropy_nats;
    entry["kl_nats"] = f.kl_nats;
    entry["near_mode_share"] = f.near_mode_share;
    entry["classifier"] = classifier_json(f.classifier);
    if (f.prior)
        entry["prior"] = {{"modes", mode_counts(f.prior->modes)},
                          {"entropy_nats", f.prior->entropy_nats},
                          {"kl_nats", f.prior->kl_nats}};
    return entry;
}

std::string counts_text(const ModeCounts& counts) {
    std::string text;
    for (Mode m : all_modes()) text += fmt::format(" {} {}", to_string(m), counts[static_cast<int>(m)]);
    return text;
}

// One z2's row of the table.
std::string table_row(const char* z2, const Z2Figures& e, bool has_prior) {
    const ClassifierFigures& c = e.classifier;
    std::string text = fmt::format("{:<8} | {:>3}/{} {:>7.3f} {:>7.3f} {:>8.0f}% | {:>5.0f}%", z2, e.coverage.num_modes_found,
                                   e.coverage.total_possible_modes, e.entropy_nats, e.kl_nats, 100.0 * e.near_mode_share,
                                   100.0 * c.recognisable_share);
    if (c.recognised)
        text += fmt::format(" {:>3}/{} {:>7.3f} {:>7.3f} {:>8.0f}%", c.recognised->num_modes_found,
                            c.recognised->total_possible_modes, c.recognised->entropy_nats, c.recognised->kl_nats,
                            100.0 * c.second_judge_agreement);
    else
        text += fmt::format(" {:>5} {:>7} {:>7} {:>9}", "-", "-", "-", "-");
    if (has_prior) text += fmt::format(" | {:>6.3f} {:>6.3f}", e.prior->entropy_nats, e.prior->kl_nats);
    return text + "\n";
}

}  // namespace

nlohmann::json to_json(const Evaluation& e) {
    nlohmann::json m;
    m["checkpoint"] = e.checkpoint;
    m["model_kind"] = to_string(e.model_kind);
    m["trained_steps"] = e.trained_steps;
    m["trained_seconds"] = e.trained_seconds;
    m["image_size"] = e.image_size;
    m["sampler"] = e.sampler;
    m["num_samples_per_z2"] = e.num_samples_per_z2;
    m["seed"] = e.seed;
    m["near_mode_threshold"] = e.near_mode_threshold;
    m["guidance"] = as_given(e.guidance);
    m["prior_guidance"] = as_given(e.prior_guidance);
    m["condition_dropout"] = as_given(e.condition_dropout);
    m["prior_condition_dropout"] = as_given(e.prior_condition_dropout);
    for (Mode mode : all_modes()) m["p_data"][to_string(mode)] = e.p_data[static_cast<int>(mode)];
    m["classifier"] = {{"cache", e.classifier.cache},
                       {"confidence", e.classifier.confidence},
                       {"held_out_real_accuracy", e.classifier.held_out_real_accuracy},
                       {"held_out_negative_rejection", e.classifier.held_out_negative_rejection}};
    for (Category z2 : {Category::animal, Category::vehicle})
        m["per_z2"][to_string(z2)] = z2_json(e.per_z2[static_cast<int>(z2)]);
    return m;
}

std::string format_metrics_table(const Evaluation& e) {
    std::string text = fmt::format("{} model ({} steps), {} samples per z2, {}\n", to_string(e.model_kind),
                                   e.trained_steps, e.num_samples_per_z2, e.sampler);
    const auto p = [&](Mode mode) { return e.p_data[static_cast<int>(mode)]; };
    text += fmt::format("guidance w = {} ({}){}; p_data: dog {:g} / cat {:g}, car {:g} / truck {:g}\n", e.guidance,
                        e.model_kind == ModelKind::flat ? "denoiser" : "decoder",
                        e.model_kind == ModelKind::flat ? "" : fmt::format(", prior guidance w = {}", e.prior_guidance),
                        p(Mode::dog), p(Mode::cat), p(Mode::car), p(Mode::truck));
    text += fmt::format("{:<8} | {:^31} | {:^38}", "", "students' metrics (nearest reference)",
                        "evaluation classifier (recognised only)");
    const bool has_prior = e.per_z2[0].prior.has_value();
    if (has_prior) text += " | prior z1";
    text += "\n";
    text += fmt::format("{:<8} | {:>5} {:>7} {:>7} {:>9} | {:>6} {:>5} {:>7} {:>7} {:>9}", "z2", "cover", "H", "KL",
                        "near-mode", "recog", "cover", "H", "KL", "agree");
    if (has_prior) text += fmt::format(" | {:>6} {:>6}", "H", "KL");
    text += "\n";
    for (Category z2 : {Category::animal, Category::vehicle})
        text += table_row(to_string(z2).c_str(), e.per_z2[static_cast<int>(z2)], has_prior);
    // The classifier's counts are those of the recognised samples (they add up to "recog");
    // the rest are the samples it names with less confidence or calls none.
    for (Category z2 : {Category::animal, Category::vehicle}) {
        const Z2Figures& f = e.per_z2[static_cast<int>(z2)];
        text += fmt::format("{:<8} nearest reference:{} | classifier, recognised (p >= {:.2f}):{}, not recognised {}; "
                            "nearest reference agrees with {:.0f} % of the recognised\n",
                            to_string(z2), counts_text(f.image_modes), e.classifier.confidence,
                            counts_text(f.classifier.recognised_modes), e.num_samples_per_z2 - f.classifier.recognisable,
                            100.0 * f.classifier.students_agreement);
    }
    return text;
}

}  // namespace hd
