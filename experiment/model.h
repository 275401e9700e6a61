// model.h — what the experiment trains, saves and loads: model A or B with its configuration.
//
// A DiffusionModel is a Module holding either one image denoiser (model A, flat,
// conditioned on one-hot z2) or a latent prior plus an image decoder (model B,
// hierarchical). Its parameters are named "denoiser.…" or "prior.…" / "decoder.…", the
// names a checkpoint stores. One optimizer and one EMA cover all of them (model B's two
// losses touch disjoint parameters, so their sum trains both nets independently).
//
// A checkpoint is a safetensors file: the model's weights ("model.<name>"), their EMA
// ("ema.<name>"), the optimizer's state ("optimizer.<name>") and metadata holding the
// ModelConfig and the TrainingState. Loading checks the metadata against bounds before it
// builds the model, so a damaged or hostile file cannot make it allocate gigabytes.
#pragma once

#include "autograd/generator.h"
#include "diffusion/dataset.h"
#include "diffusion/schedule.h"
#include "homework/provided/models.h"
#include "nn/optim.h"
#include "nn/safetensors.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hd {

enum class ModelKind { flat, hierarchical };
/// "flat" / "hierarchical" (also "a" / "b"); anything else throws UsageError naming the valid choices.
ModelKind parse_model_kind(const std::string& name);
std::string to_string(ModelKind kind);
/// The default checkpoint of each model: checkpoints/model_a.safetensors, …/model_b.safetensors.
std::string default_checkpoint_path(ModelKind kind);

/// Everything needed to rebuild a model and its data, and what its networks were trained
/// to accept; stored in a checkpoint's metadata.
struct ModelConfig {
    ModelKind kind = ModelKind::flat;
    int64_t image_size = 64; // the handout's size (README, Experiment: what 50 epochs give at 64 and 32)
    int64_t base_channels = 16;
    int64_t embedding_dim = 64;
    int64_t groups = 8;
    // The UNet's levels (nn/unet.h): 0 means default_unet_levels(image_size). A checkpoint
    // stores the number used; checkpoints from before this key read as 3.
    int64_t unet_levels = 0;
    int64_t levels_used() const;
    // The UNet's colour path (nn/unet.h): a learned gain on x_t's mean colour. Checkpoints
    // from before this key read as off.
    bool colour_path = true;
    int64_t prior_embedding_dim = 64;
    int64_t prior_hidden = 256;
    int64_t prior_layers = 3;
    std::string schedule = "linear";
    int64_t timesteps = 1000;
    uint64_t dataset_seed = 0;
    double p_dog_given_animal = 0.5;
    double p_car_given_vehicle = 0.5;
    // Condition dropout in training (pipeline.h, ConditionDropout): the share of examples
    // shown the null condition, which teaches the network the unconditional prediction
    // that classifier-free guidance needs. Sampling refuses guidance for a network trained
    // with 0. Checkpoints from before these keys read as 0.
    float condition_dropout = 0.0f;       // A: null z2 for the denoiser; B: null z1 for the decoder
    float prior_condition_dropout = 0.0f; // B only: null z2 for the prior

    /// Rejects impossible or absurd sizes and probabilities with a UsageError naming the
    /// valid range. The upper bounds keep a model within about a gigabyte, far above what
    /// a CPU trains, so that a typo or a damaged checkpoint fails here rather than in the
    /// allocator.
    void validate() const;
    std::map<std::string, std::string> to_metadata() const;
    /// Parses and validates (CheckpointError naming `what`, the file, on any problem).
    static ModelConfig from_metadata(const std::map<std::string, std::string>& metadata, const std::string& what);
    DatasetOptions dataset_options() const;
};

/// The UNet levels hd train uses unless told: at least 3, and more while the bottom level
/// stays at 8×8 or larger (3 at 16 and 32, 4 at 64, 5 at 128): the whole object fits the
/// bottom level's view whatever the image size.
int64_t default_unet_levels(int64_t image_size);

/// Sets p_dog_given_animal / p_car_given_vehicle from a list such as "dog=0.8,car=0.5"
/// (diffusion/dataset.h, set_p_data); a malformed list is a UsageError naming --p_data
/// and the valid form.
void set_p_data(ModelConfig& config, const std::string& spec);

/// The upper bounds ModelConfig::validate enforces.
struct ModelLimits {
    static constexpr int64_t image_size = 256;
    static constexpr int64_t base_channels = 512;
    static constexpr int64_t groups = 64;
    static constexpr int64_t unet_levels = 8;
    static constexpr int64_t embedding_dim = 4096;
    static constexpr int64_t prior_hidden = 4096;
    static constexpr int64_t prior_layers = 32;
    static constexpr int64_t timesteps = 100000;
};

class DiffusionModel : public Module {
public:
    DiffusionModel(const ModelConfig& config, Generator& gen);

    ModelConfig config;
    NoiseSchedule schedule;
    std::shared_ptr<ImageDenoiser> image_model; // A: the denoiser (condition z2); B: the decoder (condition z1)
    std::shared_ptr<LatentPrior> prior;         // B only
};

/// Where training stands; saved with every checkpoint so a resumed run continues exactly.
struct TrainingState {
    int64_t epoch = 0;           // completed epochs
    int64_t step = 0;            // completed optimizer steps
    double seconds = 0.0;        // wall-clock seconds of training so far, over every resume (0 in old checkpoints)
    std::string generator_state; // Generator::state() of the training stream
    std::map<std::string, std::string> settings; // training options (lr, batch size, …), for the record
};

/// Writes weights, EMA weights (if `ema`), optimizer state (if `optimizer`) and metadata,
/// atomically.
void save_checkpoint(const std::string& path, const DiffusionModel& model, const EMA* ema, const Optimizer* optimizer,
                     const TrainingState& state);

/// A checkpoint read back and validated: the rebuilt model with its weights loaded.
struct LoadedCheckpoint {
    std::unique_ptr<DiffusionModel> model;
    TrainingState state;
    std::vector<std::pair<std::string, Tensor>> optimizer_state; // names without the "optimizer." prefix
    std::vector<Tensor> ema_weights;                             // in named_parameters order; empty if absent
};
/// Loads and checks a checkpoint (format version, metadata bounds, model kind, every
/// tensor name and shape); `expected_kind` (if set) must match. Throws CheckpointError /
/// UsageError with one clear line.
LoadedCheckpoint load_checkpoint(const std::string& path, std::optional<ModelKind> expected_kind = std::nullopt);

/// UsageError "no checkpoint at <path> (train one with hd train, or pass --model_path)"
/// when nothing is there: what sampling and measuring say before they load.
void require_checkpoint(const std::string& path);

/// Copies the EMA weights into the model (what sampling and evaluation use).
void use_ema_weights(LoadedCheckpoint& checkpoint);

inline constexpr const char* kCheckpointFormat = "hdiff-checkpoint-1";

}  // namespace hd
