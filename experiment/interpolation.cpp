// interpolation.cpp — see interpolation.h.
#include "experiment/interpolation.h"

#include "autograd/ops.h"
#include "diffusion/image_io.h"
#include "experiment/errors.h"
#include "experiment/evaluation.h"
#include "experiment/progress.h"
#include "experiment/sample_data.h"
#include "experiment/sampling.h"
#include "nn/files.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numbers>
#include <stdexcept>

namespace hd {

namespace {

namespace fs = std::filesystem;

// A chosen z1 far off the unit circle is still decoded; beyond this it is surely a typo.
constexpr double kMaxZ1 = 100.0;

double degrees(double radians) { return radians * 180.0 / std::numbers::pi; }

// The label under a tile: the verdict when it is recognised, else "-".
std::string verdict_label(const Verdict& v, float confidence) {
    return v.recognisable(confidence) ? fmt::format("{} {:.0f}%", class_name(v.label), 100.0 * v.probability) : "-";
}

// The strip: one row of tiles under a title band.
RgbImage strip_picture(const Tensor& images, const std::vector<std::string>& labels, const std::string& title, int scale) {
    const RgbImage grid = make_grid(images, static_cast<int>(images.size(0)), labels, scale);
    const int band = text_height() + 6;
    RgbImage strip(std::max(grid.width, text_width(title) + 4), grid.height + band);
    draw_text(strip, 2, 3, title, {0, 0, 0});
    for (int y = 0; y < grid.height; ++y)
        for (int x = 0; x < grid.width; ++x) strip.set(x, y + band, grid.at(x, y));
    return strip;
}

// UsageError for a path circle_path cannot make.
void check_path(Mode from, Mode to, int64_t steps) {
    if (steps < 2 || steps > kMaxInterpolationSteps)
        throw UsageError(fmt::format("--steps {} is impossible (valid: 2 … {})", steps, kMaxInterpolationSteps));
    if (from == to)
        throw UsageError(fmt::format("--from and --to are both {} (valid: two different modes of dog, cat, car, truck)",
                                     to_string(from)));
}

std::string default_strip_path(const InterpolateOptions& o) {
    return fmt::format("samples/{}_{}_to_{}.png", fs::path(o.model_path).stem().string(), o.from, o.to);
}

}  // namespace

std::array<float, 2> parse_z1(const std::string& text) {
    const std::string form = " (valid: two finite numbers x,y, e.g. --z1 0.7,0.7)";
    const size_t comma = text.find(',');
    std::array<float, 2> z1{};
    if (comma == std::string::npos || text.find(',', comma + 1) != std::string::npos)
        throw UsageError(fmt::format("--z1 '{}' is not two numbers{}", text, form));
    const std::string parts[2] = {text.substr(0, comma), text.substr(comma + 1)};
    for (int i = 0; i < 2; ++i) {
        char* end = nullptr;
        const double value = parts[i].empty() ? 0.0 : std::strtod(parts[i].c_str(), &end);
        if (parts[i].empty() || end != parts[i].c_str() + parts[i].size())
            throw UsageError(fmt::format("--z1 '{}': '{}' is not a number{}", text, parts[i], form));
        if (!std::isfinite(value)) throw UsageError(fmt::format("--z1 '{}' is not finite{}", text, form));
        if (std::abs(value) > kMaxZ1)
            throw UsageError(fmt::format("--z1 '{}' is too far out (valid: |x|, |y| <= {}; the anchors lie on the unit "
                                         "circle)", text, kMaxZ1));
        z1[i] = static_cast<float>(value);
    }
    return z1;
}

void require_hierarchical(const DiffusionModel& model, const std::string& model_path, const std::string& flag) {
    if (model.config.kind != ModelKind::hierarchical)
        throw UsageError(fmt::format("{} needs model B (hierarchical): {} holds a {} model, which has no z1", flag,
                                     model_path, to_string(model.config.kind)));
}

Tensor decode_z1(DiffusionModel& model, const Tensor& z1, const SamplerOptions& options, Generator& gen,
                 const SamplerProgress& progress) {
    if (model.config.kind != ModelKind::hierarchical) throw UsageError("decoding a z1 needs model B (hierarchical)");
    check_guidance(model.config, options.guidance, 1.0f);
    const int64_t size = model.config.image_size;
    return sample(*model.image_model, model.schedule, z1, {3, size, size}, gen, options, progress);
}

Tensor decode_with_shared_noise(DiffusionModel& model, const Tensor& z1, const SamplerOptions& options, uint64_t seed,
                                const SamplerProgress& progress) {
    const int64_t count = z1.size(0), size = model.config.image_size;
    Tensor images = Tensor::empty({count, 3, size, size});
    for (int64_t i = 0; i < count; ++i) {
        Generator gen(seed); // the same stream for every point: only z1 differs
        const SamplerProgress tile_progress = [&, i](int64_t done, int64_t total) {
            if (progress) progress(i * total + done, count * total);
        };
        const Tensor image = decode_z1(model, slice(z1, 0, i, i + 1), options, gen, tile_progress);
        std::copy(image.data(), image.data() + image.numel(), images.data() + i * image.numel());
    }
    return images;
}

CirclePath circle_path(Mode from, Mode to, int64_t steps, const SyntheticDataset& dataset) {
    check_path(from, to, steps);
    auto angle_of = [&](Mode m) {
        const Tensor a = dataset.anchor(m);
        return std::atan2(double(a.data()[1]), double(a.data()[0]));
    };
    const double start = angle_of(from);
    double delta = std::remainder(angle_of(to) - start, 2.0 * std::numbers::pi); // in [−π, π]
    if (delta <= -std::numbers::pi + 1e-9) delta = std::numbers::pi;              // opposite: counter-clockwise
    CirclePath path;
    path.z1 = Tensor::empty({steps, kAnchorDim});
    for (int64_t i = 0; i < steps; ++i) {
        const double theta = start + delta * double(i) / double(steps - 1);
        path.z1.data()[2 * i] = static_cast<float>(std::cos(theta));
        path.z1.data()[2 * i + 1] = static_cast<float>(std::sin(theta));
        path.angles.push_back(degrees(theta));
    }
    return path;
}

namespace {

// Every check of the options that needs no checkpoint, and the output paths they give.
InterpolateResult checked_request(const InterpolateOptions& o) {
    auto mode_flag = [](const std::string& flag, const std::string& name) {
        try {
            return parse_mode(name);
        } catch (const std::invalid_argument& e) {
            throw UsageError(fmt::format("{}: {}", flag, e.what()));
        }
    };
    InterpolateResult r;
    r.from = mode_flag("--from", o.from);
    r.to = mode_flag("--to", o.to);
    check_path(r.from, r.to, o.steps);
    validate_sampler(o.sampler);
    validate_guidance_weight("--guidance", o.sampler.guidance);
    if (!(o.confidence > 0.0f && o.confidence <= 1.0f))
        throw UsageError(fmt::format("--confidence {} is impossible (valid: a probability, 0 < p <= 1)", o.confidence));
    if (o.classifier.steps < 1)
        throw UsageError(fmt::format("--classifier_steps {} is impossible (valid: 1 or more)", o.classifier.steps));
    r.strip = o.output.empty() ? default_strip_path(o) : o.output;
    if (fs::path(r.strip).extension() != ".png")
        throw UsageError(fmt::format("--output {} is not a PNG path (valid: a path ending in .png; the samples file "
                                     "goes beside it)", r.strip));
    r.data = sample_data_path(r.strip);
    for (const std::string& path : {r.strip, r.data}) check_writable_path(path); // before any work
    r.confidence = o.confidence;
    return r;
}

// The strip's images with their angles, labels and where they came from.
void write_strip_data(const InterpolateResult& r, const Tensor& images, const InterpolateOptions& o) {
    std::string angles;
    for (double a : r.path.angles) angles += (angles.empty() ? "" : ",") + fmt::format("{:.4f}", a);
    write_sample_data(r.data, {.images = images,
                               .z1 = r.path.z1,
                               .nearest_mode = r.nearest_mode,
                               .verdicts = r.verdicts,
                               .metadata = {{"model_kind", to_string(ModelKind::hierarchical)},
                                            {"z1_source", "interpolation"},
                                            {"from", o.from},
                                            {"to", o.to},
                                            {"angles_degrees", angles},
                                            {"sampler", r.sampler},
                                            {"seed", std::to_string(o.seed)},
                                            {"checkpoint", o.model_path},
                                            {"confidence", fmt::format("{}", o.confidence)}}});
}

}  // namespace

InterpolateResult write_interpolation(const InterpolateOptions& o) {
    InterpolateResult r = checked_request(o);
    require_checkpoint(o.model_path);
    LoadedCheckpoint checkpoint = load_checkpoint(o.model_path);
    use_ema_weights(checkpoint);
    DiffusionModel& model = *checkpoint.model;
    require_hierarchical(model, o.model_path, "hd interpolate");
    check_guidance(model.config, o.sampler.guidance, 1.0f);
    const SyntheticDataset dataset(model.config.dataset_options());
    r.path = circle_path(r.from, r.to, o.steps, dataset);
    r.classifier_cache = o.classifier_cache.empty() ? default_classifier_cache(o.model_path, dataset) : o.classifier_cache;
    check_classifier_cache(r.classifier_cache);
    r.sampler = describe(o.sampler, model.schedule);

    auto classifier = load_evaluation_classifier(r.classifier_cache, dataset, o.classifier, o.quiet);
    SamplingProgress progress(fmt::format("interpolate {} to {}", o.from, o.to), o.quiet);
    const Tensor images = decode_with_shared_noise(model, r.path.z1, o.sampler, o.seed, progress.callback());
    progress.finish();
    r.nearest_mode = classify_by_nearest_reference(images, dataset);
    r.verdicts = classify(*classifier, images);

    std::vector<std::string> labels;
    for (const Verdict& v : r.verdicts) labels.push_back(verdict_label(v, o.confidence));
    const int scale = std::max<int>(1, 64 / static_cast<int>(model.config.image_size));
    write_png(r.strip, strip_picture(images, labels, fmt::format("{} TO {}, SAME NOISE", o.from, o.to), scale));
    write_strip_data(r, images, o);
    return r;
}

std::string format_interpolation(const InterpolateResult& r) {
    std::string text = fmt::format("{:>4}  {:>8}  {:>16}  {:<8}  {}\n", "tile", "angle", "z1", "nearest", "classifier");
    std::vector<std::string> shown;
    for (size_t i = 0; i < r.verdicts.size(); ++i) {
        const Verdict& v = r.verdicts[i];
        shown.push_back(v.recognisable(r.confidence) ? class_name(v.label) : "-");
        text += fmt::format("{:>4}  {:>7.1f}°  {:>16}  {:<8}  {} ({} {:.2f})\n", i + 1, r.path.angles[i],
                            fmt::format("({:.3f}, {:.3f})", r.path.z1.data()[2 * i], r.path.z1.data()[2 * i + 1]),
                            to_string(r.nearest_mode[i]), shown.back(), class_name(v.label), v.probability);
    }
    int changes = 0;
    for (size_t i = 1; i < shown.size(); ++i) {
        if (shown[i] == shown[i - 1]) continue;
        ++changes;
        text += fmt::format("the verdict changes from {} to {} between tiles {} and {} ({:.1f}° and {:.1f}°)\n",
                            shown[i - 1], shown[i], i, i + 1, r.path.angles[i - 1], r.path.angles[i]);
    }
    if (changes == 0) text += fmt::format("the verdict is {} on every tile\n", shown.empty() ? "-" : shown.front());
    text += fmt::format("('-': not recognised at probability {}; every tile decoded from the same noise with {})\n",
                        r.confidence, r.sampler);
    return text;
}

}  // namespace hd
