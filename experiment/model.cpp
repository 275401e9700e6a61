// model.cpp — see model.h.
#include "experiment/model.h"

#include "experiment/errors.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>

namespace hd {

ModelKind parse_model_kind(const std::string& name) {
    if (name == "flat" || name == "a" || name == "A") return ModelKind::flat;
    if (name == "hierarchical" || name == "b" || name == "B") return ModelKind::hierarchical;
    throw UsageError(fmt::format("unknown model '{}' (valid: flat, hierarchical)", name));
}

std::string to_string(ModelKind kind) { return kind == ModelKind::flat ? "flat" : "hierarchical"; }

std::string default_checkpoint_path(ModelKind kind) {
    return kind == ModelKind::flat ? "checkpoints/model_a.safetensors" : "checkpoints/model_b.safetensors";
}

// ---- ModelConfig ------------------------------------------------------------------

namespace {

void check_probability(const char* name, double p) {
    if (!(p >= 0.0 && p <= 1.0))
        throw UsageError(fmt::format("{} {} is not a probability (valid: 0 <= p <= 1)", name, p));
}

}  // namespace

void ModelConfig::validate() const {
    using L = ModelLimits;
    if (image_size < 16 || image_size % 4 != 0 || image_size > L::image_size)
        throw UsageError(fmt::format("image size {} is impossible (valid: a multiple of 4, at least 16 and at most {}; "
                                     "e.g. 32 or 64)", image_size, L::image_size));
    if (groups < 1 || groups > L::groups)
        throw UsageError(fmt::format("GroupNorm groups {} is impossible (valid: 1 … {})", groups, L::groups));
    if (base_channels < 1 || base_channels % groups != 0 || base_channels > L::base_channels)
        throw UsageError(fmt::format("base channels {} must be a positive multiple of the GroupNorm groups ({}), "
                                     "at most {}", base_channels, groups, L::base_channels));
    if (unet_levels != 0 && (unet_levels < 3 || unet_levels > L::unet_levels))
        throw UsageError(fmt::format("UNet levels {} is impossible (valid: 3 … {}, or 0 to follow the image size)",
                                     unet_levels, L::unet_levels));
    const int64_t levels = levels_used(), fold = int64_t{1} << (levels - 1), top = base_channels >> (levels - 3);
    if (image_size % fold != 0)
        throw UsageError(fmt::format("a {}-level UNet needs an image size divisible by {} (got {})", levels, fold, image_size));
    if (top < groups || top % groups != 0 || (top << (levels - 3)) != base_channels)
        throw UsageError(fmt::format("a {}-level UNet's top level is {} channels wide (C/{}), which must be a positive "
                                     "multiple of the GroupNorm groups ({}): raise --base_channels or lower --unet_levels",
                                     levels, top, int64_t{1} << (levels - 3), groups));
    for (int64_t width : {embedding_dim, prior_embedding_dim})
        if (width < 2 || width % 2 != 0 || width > L::embedding_dim)
            throw UsageError(fmt::format("embedding widths must be even, >= 2 and <= {} (got {} and {})",
                                         L::embedding_dim, embedding_dim, prior_embedding_dim));
    if (prior_hidden < 1 || prior_layers < 1 || prior_hidden > L::prior_hidden || prior_layers > L::prior_layers)
        throw UsageError(fmt::format("the prior needs 1 … {} hidden layers of 1 … {} units (got {} x {})",
                                     L::prior_layers, L::prior_hidden, prior_layers, prior_hidden));
    if (timesteps < 2 || timesteps > L::timesteps)
        throw UsageError(fmt::format("timesteps {} is impossible (valid: 2 … {})", timesteps, L::timesteps));
    if (schedule != "linear" && schedule != "cosine")
        throw UsageError(fmt::format("unknown noise schedule '{}' (valid: linear, cosine)", schedule));
    check_probability("p_dog_given_animal", p_dog_given_animal);
    check_probability("p_car_given_vehicle", p_car_given_vehicle);
    for (auto [flag, p] : {std::pair{"--cond_dropout", condition_dropout}, {"--prior_cond_dropout", prior_condition_dropout}})
        if (!(p >= 0.0f && p < 1.0f))
            throw UsageError(fmt::format("{} {} is impossible (valid: 0 <= p < 1; 0 = off)", flag, p));
    if (prior_condition_dropout > 0.0f && kind == ModelKind::flat)
        throw UsageError("--prior_cond_dropout applies to model B (hierarchical) only: model A has no prior "
                         "(its denoiser's dropout is --cond_dropout)");
}

int64_t ModelConfig::levels_used() const { return unet_levels > 0 ? unet_levels : default_unet_levels(image_size); }

int64_t default_unet_levels(int64_t image_size) {
    int64_t levels = 3;
    while (levels < ModelLimits::unet_levels && image_size % (int64_t{1} << levels) == 0 && (image_size >> levels) >= 8)
        ++levels;
    return levels;
}

void set_p_data(ModelConfig& config, const std::string& spec) {
    DatasetOptions options = config.dataset_options();
    try {
        set_p_data(options, spec);
    } catch (const std::invalid_argument& e) {
        throw UsageError(fmt::format("--{}", e.what()));
    }
    config.p_dog_given_animal = options.p_dog_given_animal;
    config.p_car_given_vehicle = options.p_car_given_vehicle;
}

std::map<std::string, std::string> ModelConfig::to_metadata() const {
    return {{"format", kCheckpointFormat},
            {"model_kind", to_string(kind)},
            {"image_size", std::to_string(image_size)},
            {"base_channels", std::to_string(base_channels)},
            {"embedding_dim", std::to_string(embedding_dim)},
            {"groups", std::to_string(groups)},
            {"unet_levels", std::to_string(levels_used())},
            {"colour_path", colour_path ? "1" : "0"},
            {"prior_embedding_dim", std::to_string(prior_embedding_dim)},
            {"prior_hidden", std::to_string(prior_hidden)},
            {"prior_layers", std::to_string(prior_layers)},
            {"schedule", schedule},
            {"timesteps", std::to_string(timesteps)},
            {"dataset_seed", std::to_string(dataset_seed)},
            {"p_dog_given_animal", fmt::format("{}", p_dog_given_animal)},
            {"p_car_given_vehicle", fmt::format("{}", p_car_given_vehicle)},
            {"condition_dropout", fmt::format("{}", condition_dropout)},
            {"prior_condition_dropout", fmt::format("{}", prior_condition_dropout)}};
}

namespace {

const std::string& require_key(const std::map<std::string, std::string>& metadata, const std::string& key,
                               const std::string& what) {
    auto found = metadata.find(key);
    if (found == metadata.end())
        throw CheckpointError(fmt::format("{}: metadata has no '{}' (not an hdiff checkpoint, or a damaged one)", what, key));
    return found->second;
}

template <class Number>
Number parse_number(const std::map<std::string, std::string>& metadata, const std::string& key, const std::string& what) {
    const std::string& text = require_key(metadata, key, what);
    Number value{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        throw CheckpointError(fmt::format("{}: metadata '{}' = '{}' is not a number", what, key, text));
    return value;
}

// A key that older checkpoints lack: `fallback` (if present) or `absent` then.
template <class Number>
Number parse_optional(const std::map<std::string, std::string>& metadata, const std::string& key,
                      const std::string& fallback, Number absent, const std::string& what) {
    if (metadata.count(key)) return parse_number<Number>(metadata, key, what);
    if (metadata.count(fallback)) return parse_number<Number>(metadata, fallback, what);
    return absent;
}

// The sizes in a checkpoint's metadata decide how much memory the model takes: before it
// is built, each must agree with a tensor the file holds, so that a small file cannot make
// hd allocate gigabytes (check_tensor_set compares every tensor once the model exists).
// The witnesses grow as fast as the model does: the UNet's widest level (4C, nn/unet.h) for
// C, and every hidden layer of the prior for its width and depth.
void check_sizes_backed_by_tensors(const NamedTensors& file, const ModelConfig& c, const std::string& what) {
    struct Witness {
        const char* key;
        int64_t value;
        std::string tensor;
        Shape shape;
    };
    const std::string image = c.kind == ModelKind::flat ? "model.denoiser." : "model.decoder.";
    const int64_t C = c.base_channels, E = c.embedding_dim;
    std::vector<Witness> witnesses = {
        {"base_channels", C, image + "unet.conv_in.weight", {C >> (c.levels_used() - 3), 3, 3, 3}},
        {"base_channels", C, image + "unet.mid.conv1.weight", {4 * C, 4 * C, 3, 3}},
        {"embedding_dim", E, image + "time_embed.1.weight", {E, E}},
    };
    if (c.kind == ModelKind::hierarchical) {
        const int64_t P = c.prior_embedding_dim, H = c.prior_hidden;
        witnesses.push_back({"prior_embedding_dim", P, "model.prior.time_embed.1.weight", {P, P}});
        witnesses.push_back({"prior_hidden", H, "model.prior.mlp.layers.0.weight", {H, kAnchorDim + 2 * P}});
        for (int64_t k = 1; k < c.prior_layers; ++k)
            witnesses.push_back({"prior_layers", c.prior_layers, fmt::format("model.prior.mlp.layers.{}.weight", 2 * k), {H, H}});
        witnesses.push_back({"prior_layers", c.prior_layers, fmt::format("model.prior.mlp.layers.{}.weight", 2 * c.prior_layers),
                             {kAnchorDim, H}});
    }
    for (const Witness& w : witnesses) {
        const Tensor* stored = file.find(w.tensor);
        if (stored && stored->shape() == w.shape) continue;
        throw CheckpointError(fmt::format("{}: metadata {} = {} does not match the tensors ({} {}, {} expected); the file "
                                          "is damaged or was edited", what, w.key, w.value, w.tensor,
                                          stored ? "is " + shape_str(stored->shape()) : std::string("is missing"),
                                          shape_str(w.shape)));
    }
}

}  // namespace

ModelConfig ModelConfig::from_metadata(const std::map<std::string, std::string>& m, const std::string& what) {
    const std::string& format = require_key(m, "format", what);
    if (format != kCheckpointFormat)
        throw CheckpointError(fmt::format("{}: checkpoint format '{}' is not supported (this hd reads {})", what, format,
                                          kCheckpointFormat));
    ModelConfig c;
    const std::string& kind = require_key(m, "model_kind", what);
    if (kind != "flat" && kind != "hierarchical")
        throw CheckpointError(fmt::format("{}: unknown model kind '{}' (valid: flat, hierarchical)", what, kind));
    c.kind = kind == "flat" ? ModelKind::flat : ModelKind::hierarchical;
    c.image_size = parse_number<int64_t>(m, "image_size", what);
    c.base_channels = parse_number<int64_t>(m, "base_channels", what);
    c.embedding_dim = parse_number<int64_t>(m, "embedding_dim", what);
    c.groups = parse_number<int64_t>(m, "groups", what);
    c.unet_levels = parse_optional<int64_t>(m, "unet_levels", "", 3, what);
    const int colour_path = parse_optional<int>(m, "colour_path", "", 0, what);
    if (colour_path != 0 && colour_path != 1)
        throw CheckpointError(fmt::format("{}: metadata 'colour_path' = {} is neither 0 nor 1", what, colour_path));
    c.colour_path = colour_path == 1;
    c.prior_embedding_dim = parse_number<int64_t>(m, "prior_embedding_dim", what);
    c.prior_hidden = parse_number<int64_t>(m, "prior_hidden", what);
    c.prior_layers = parse_number<int64_t>(m, "prior_layers", what);
    c.schedule = require_key(m, "schedule", what);
    c.timesteps = parse_number<int64_t>(m, "timesteps", what);
    c.dataset_seed = parse_number<uint64_t>(m, "dataset_seed", what);
    c.p_dog_given_animal = parse_number<double>(m, "p_dog_given_animal", what);
    c.p_car_given_vehicle = parse_number<double>(m, "p_car_given_vehicle", what);
    // Before the dropout was part of the configuration, model A's was a training setting.
    c.condition_dropout = parse_optional<float>(m, "condition_dropout", "setting.condition_dropout", 0.0f, what);
    c.prior_condition_dropout = parse_optional<float>(m, "prior_condition_dropout", "", 0.0f, what);
    try {
        c.validate();
    } catch (const UsageError& e) {
        throw CheckpointError(fmt::format("{}: {}", what, e.what()));
    }
    return c;
}

DatasetOptions ModelConfig::dataset_options() const {
    return {.image_size = static_cast<int>(image_size), .seed = dataset_seed, .p_dog_given_animal = p_dog_given_animal,
            .p_car_given_vehicle = p_car_given_vehicle};
}

// ---- DiffusionModel ---------------------------------------------------------------

DiffusionModel::DiffusionModel(const ModelConfig& c, Generator& gen)
    : config(c), schedule(NoiseSchedule::by_name(c.schedule, c.timesteps)) {
    config.validate();
    ImageDenoiserOptions image_options{.image_channels = 3, .base_channels = c.base_channels,
                                       .embedding_dim = c.embedding_dim, .condition_dim = 2, .groups = c.groups,
                                       .unet_levels = c.levels_used(), .colour_path = c.colour_path};
    if (c.kind == ModelKind::flat) {
        image_model = register_module("denoiser", std::make_shared<ImageDenoiser>(image_options, gen));
    } else {
        prior = register_module("prior", std::make_shared<LatentPrior>(
                                              LatentPriorOptions{.latent_dim = kAnchorDim, .condition_dim = kNumCategories,
                                                                 .embedding_dim = c.prior_embedding_dim,
                                                                 .hidden_features = c.prior_hidden,
                                                                 .hidden_layers = c.prior_layers},
                                              gen));
        image_model = register_module("decoder", std::make_shared<ImageDenoiser>(image_options, gen));
    }
}

// ---- checkpoints ------------------------------------------------------------------

void save_checkpoint(const std::string& path, const DiffusionModel& model, const EMA* ema, const Optimizer* optimizer,
                     const TrainingState& state) {
    std::vector<std::pair<std::string, Tensor>> tensors;
    const auto named = model.named_parameters();
    for (const auto& [name, tensor] : named) tensors.emplace_back("model." + name, tensor);
    if (ema)
        for (size_t k = 0; k < named.size(); ++k) tensors.emplace_back("ema." + named[k].first, ema->shadow()[k]);
    if (optimizer)
        for (const auto& [name, tensor] : optimizer->state()) tensors.emplace_back("optimizer." + name, tensor);
    std::map<std::string, std::string> metadata = model.config.to_metadata();
    metadata["epoch"] = std::to_string(state.epoch);
    metadata["step"] = std::to_string(state.step);
    metadata["training_seconds"] = fmt::format("{:.1f}", state.seconds);
    metadata["generator_state"] = state.generator_state;
    for (const auto& [key, value] : state.settings) metadata["setting." + key] = value;
    save_safetensors(path, tensors, metadata);
}

LoadedCheckpoint load_checkpoint(const std::string& path, std::optional<ModelKind> expected_kind) {
    NamedTensors file = load_safetensors(path);
    LoadedCheckpoint out;
    ModelConfig config = ModelConfig::from_metadata(file.metadata, path);
    if (expected_kind && config.kind != *expected_kind)
        throw UsageError(fmt::format("{} holds a {} model, not a {} one", path, to_string(config.kind), to_string(*expected_kind)));
    check_sizes_backed_by_tensors(file, config, path);
    Generator init(0); // weights are overwritten below; the initialisation only sets shapes
    out.model = std::make_unique<DiffusionModel>(config, init);
    out.state.epoch = parse_number<int64_t>(file.metadata, "epoch", path);
    out.state.step = parse_number<int64_t>(file.metadata, "step", path);
    out.state.seconds = parse_optional<double>(file.metadata, "training_seconds", "", 0.0, path);
    if (!(out.state.seconds >= 0.0))
        throw CheckpointError(fmt::format("{}: metadata 'training_seconds' is negative or not a number", path));
    out.state.generator_state = require_key(file.metadata, "generator_state", path);
    for (const auto& [key, value] : file.metadata)
        if (key.rfind("setting.", 0) == 0) out.state.settings[key.substr(8)] = value;

    // Every model tensor must be present with the right shape; EMA weights are all or nothing.
    auto named = out.model->named_parameters();
    std::vector<std::pair<std::string, Shape>> expected;
    for (const auto& [name, tensor] : named) expected.emplace_back("model." + name, tensor.shape());
    const bool has_ema = file.find("ema." + named.front().first) != nullptr;
    if (has_ema)
        for (const auto& [name, tensor] : named) expected.emplace_back("ema." + name, tensor.shape());
    for (const auto& [name, tensor] : file.tensors)
        if (name.rfind("optimizer.", 0) == 0) {
            expected.emplace_back(name, tensor.shape());
            out.optimizer_state.emplace_back(name.substr(10), tensor);
        }
    check_tensor_set(file, expected, path);

    for (auto& [name, tensor] : named) {
        const Tensor* stored = file.find("model." + name);
        std::memcpy(tensor.data(), stored->data(), sizeof(float) * tensor.numel());
        if (has_ema) out.ema_weights.push_back(*file.find("ema." + name));
    }
    return out;
}

void require_checkpoint(const std::string& path) {
    if (!std::filesystem::exists(path))
        throw UsageError(fmt::format("no checkpoint at {} (train one with hd train, or pass --model_path)", path));
}

void use_ema_weights(LoadedCheckpoint& checkpoint) {
    if (checkpoint.ema_weights.empty()) return;
    auto params = checkpoint.model->parameters();
    for (size_t k = 0; k < params.size(); ++k)
        std::memcpy(params[k].data(), checkpoint.ema_weights[k].data(), sizeof(float) * params[k].numel());
}

}  // namespace hd
