// experiment.h — what `hd` trains, saves and loads: model A or B with its configuration.
//
// A DiffusionModel is a Module holding either one image denoiser (model A, flat,
// conditioned on one-hot z2) or a latent prior plus an image decoder (model B,
// hierarchical). Its parameters are named "denoiser.…" or "prior.…" / "decoder.…", the
// names a checkpoint stores. One optimizer and one EMA cover all of them (model B's two
// losses touch disjoint parameters, so their sum trains both nets independently).
#pragma once

#include "autograd/generator.h"
#include "diffusion/dataset.h"
#include "diffusion/pipeline.h"
#include "diffusion/schedule.h"
#include "homework/provided/models.h"
#include "nn/optim.h"
#include "nn/safetensors.h"

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>

namespace hd::cli {

enum class ModelKind { flat, hierarchical };
/// "flat" / "hierarchical" (also "a" / "b"); anything else throws UsageError naming the valid choices.
ModelKind parse_model_kind(const std::string& name);
std::string to_string(ModelKind kind);
/// The default checkpoint of each model: checkpoints/model_a.safetensors, …/model_b.safetensors.
std::string default_checkpoint_path(ModelKind kind);

/// Everything needed to rebuild a model and its data; stored in a checkpoint's metadata.
struct ModelConfig {
    ModelKind kind = ModelKind::flat;
    int64_t image_size = 32;
    int64_t base_channels = 16;
    int64_t embedding_dim = 64;
    int64_t groups = 8;
    int64_t prior_embedding_dim = 64;
    int64_t prior_hidden = 256;
    int64_t prior_layers = 3;
    std::string schedule = "linear";
    int64_t timesteps = 1000;
    uint64_t dataset_seed = 0;
    double p_dog_given_animal = 0.5;
    double p_car_given_vehicle = 0.5;

    /// Rejects impossible sizes with a UsageError naming the valid range.
    void validate() const;
    std::map<std::string, std::string> to_metadata() const;
    static ModelConfig from_metadata(const std::map<std::string, std::string>& metadata, const std::string& what);
    DatasetOptions dataset_options() const;
};

class DiffusionModel : public Module {
public:
    DiffusionModel(const ModelConfig& config, Generator& gen);

    ModelConfig config;
    NoiseSchedule schedule;
    std::shared_ptr<ImageDenoiser> image_model; // A: the denoiser (condition z2); B: the decoder (condition z1)
    std::shared_ptr<LatentPrior> prior;         // B only
};

/// Where training stands; saved with every checkpoint so --resume continues exactly.
struct TrainingState {
    int64_t epoch = 0;           // completed epochs
    int64_t step = 0;            // completed optimizer steps
    std::string generator_state; // Generator::state() of the training stream
    std::map<std::string, std::string> settings; // training flags (lr, batch size, …), for the record
};

/// Writes model weights ("model.<name>"), EMA weights ("ema.<name>"), optimizer state
/// ("optimizer.<name>") and metadata, atomically.
void save_checkpoint(const std::string& path, const DiffusionModel& model, const EMA* ema, const Optimizer* optimizer,
                     const TrainingState& state);

/// A checkpoint read back and validated: the rebuilt model with its weights loaded.
struct LoadedCheckpoint {
    std::unique_ptr<DiffusionModel> model;
    TrainingState state;
    std::vector<std::pair<std::string, Tensor>> optimizer_state; // names without the "optimizer." prefix
    std::vector<Tensor> ema_weights;                             // in named_parameters order; empty if absent
};
/// Loads and checks a checkpoint (format version, model kind, every tensor name and shape);
/// `expected_kind` (if set) must match. Throws CheckpointError / UsageError with one clear line.
LoadedCheckpoint load_checkpoint(const std::string& path, std::optional<ModelKind> expected_kind = std::nullopt);

/// Copies the EMA weights into the model (what sampling and evaluation use).
void use_ema_weights(LoadedCheckpoint& checkpoint);

/// Samples `count` images for z2 with either model (model B: prior, then decoder; its z1
/// samples come back too). With image_size 0, model B samples only z1.
struct Generated {
    Tensor images; // (count, 3, S, S)
    Tensor z1;     // (count, 2) — model B only
};
Generated generate(DiffusionModel& model, Category z2, int64_t count, const SamplerOptions& options, Generator& gen,
                   const SamplerProgress& progress = {}, std::vector<Tensor>* prior_trajectory = nullptr);

/// Registers --sampler, --ddim_steps, --eta, --clip, --guidance on a command.
void add_sampler_flags(CLI::App& command, SamplerOptions& options, std::string& sampler_name);

inline constexpr const char* kCheckpointFormat = "hdiff-checkpoint-1";

}  // namespace hd::cli
