// optim.h — optimizers (SGD with momentum, Adam, AdamW), gradient-norm clipping,
// and the exponential moving average of weights used for sampling.
//
// Optimizers update parameters in place, outside autograd. Their state (moments,
// step count) can be read and restored, so a checkpoint resumes training exactly.
#pragma once

#include "nn/module.h"

#include <string>
#include <utility>
#include <vector>

namespace hd {

/// Parameters with their names, as Module::named_parameters() lists them.
using NamedParameters = std::vector<std::pair<std::string, Tensor>>;

class Optimizer {
public:
    /// With `names` (one per parameter) the state is keyed by parameter name; without, by index.
    explicit Optimizer(std::vector<Tensor> parameters, std::vector<std::string> names = {});
    virtual ~Optimizer() = default;
    /// One update from the current gradients (parameters without a gradient are skipped).
    virtual void step() = 0;
    /// Drops every parameter's gradient.
    void zero_grad();
    /// The optimizer's state as named tensors plus a step count, for checkpoints:
    /// "exp_avg.unet.conv_in.weight", … for named parameters ("exp_avg.3" by index otherwise).
    virtual std::vector<std::pair<std::string, Tensor>> state() const = 0;
    /// Restores state() output — by name, or by index as older checkpoints stored it; throws
    /// std::invalid_argument naming a missing or mis-shaped entry.
    virtual void load_state(const std::vector<std::pair<std::string, Tensor>>& state) = 0;
    int64_t step_count() const { return steps_; }
    float learning_rate() const { return learning_rate_; }
    void set_learning_rate(float lr) { learning_rate_ = lr; }

protected:
    /// The state key of parameter k: "<kind>.<name>", or "<kind>.<k>" without names.
    std::string state_key(const std::string& kind, size_t k) const;
    /// The entry of parameter k's state of `kind`, by name or else by index; checks its shape.
    const Tensor& find_state(const std::vector<std::pair<std::string, Tensor>>& state, const std::string& kind,
                             size_t k) const;

    std::vector<Tensor> parameters_;
    std::vector<std::string> names_; // empty: state keyed by index
    float learning_rate_ = 0.0f;
    int64_t steps_ = 0;
};

struct SGDOptions {
    float learning_rate = 1e-2f;
    float momentum = 0.0f;     // v = momentum · v + g;  p -= lr · v
    float weight_decay = 0.0f; // g += weight_decay · p (L2)
};

class SGD : public Optimizer {
public:
    SGD(std::vector<Tensor> parameters, SGDOptions options = {});
    SGD(const NamedParameters& parameters, SGDOptions options = {});
    void step() override;
    std::vector<std::pair<std::string, Tensor>> state() const override;
    void load_state(const std::vector<std::pair<std::string, Tensor>>& state) override;

    SGDOptions options;

private:
    std::vector<Tensor> velocity_;
};

struct AdamOptions {
    float learning_rate = 1e-3f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float eps = 1e-8f;
    float weight_decay = 0.0f; // Adam: added to the gradient (L2); AdamW: decoupled, p -= lr·wd·p
};

/// Adam (Kingma & Ba, 2015):
///   m = β1 m + (1-β1) g,   v = β2 v + (1-β2) g²
///   p -= lr · (m / (1-β1^t)) / (√(v / (1-β2^t)) + eps)
class Adam : public Optimizer {
public:
    Adam(std::vector<Tensor> parameters, AdamOptions options = {});
    Adam(const NamedParameters& parameters, AdamOptions options = {});
    void step() override;
    std::vector<std::pair<std::string, Tensor>> state() const override;
    void load_state(const std::vector<std::pair<std::string, Tensor>>& state) override;

    AdamOptions options;

protected:
    bool decoupled_weight_decay_ = false;

private:
    std::vector<Tensor> exp_avg_, exp_avg_sq_;
};

/// AdamW (Loshchilov & Hutter, 2019): Adam with the weight decay applied to the
/// weights directly (p -= lr · wd · p) instead of through the gradient.
class AdamW : public Adam {
public:
    AdamW(std::vector<Tensor> parameters, AdamOptions options = {.weight_decay = 1e-2f});
    AdamW(const NamedParameters& parameters, AdamOptions options = {.weight_decay = 1e-2f});
};

/// Scales all gradients so their joint L2 norm is at most max_norm; returns the norm
/// before clipping (useful to log).
float clip_grad_norm(const std::vector<Tensor>& parameters, float max_norm);

/// Exponential moving average of a model's weights: shadow = d·shadow + (1-d)·param.
/// Sampling from the averaged weights gives cleaner images than the last step's.
class EMA {
public:
    EMA(const Module& model, float decay);
    /// Folds the model's current weights into the average.
    void update(const Module& model);
    /// Exchanges the model's weights with the averaged ones (call again to swap back).
    void swap(Module& model);
    const std::vector<Tensor>& shadow() const { return shadow_; }
    /// Restores the averaged weights from a checkpoint (shapes must match).
    void load(const std::vector<Tensor>& weights);
    float decay;

private:
    std::vector<Tensor> shadow_;
};

/// While alive, `model` holds the EMA weights; the training weights come back after.
class EmaSwapGuard {
public:
    EmaSwapGuard(EMA& ema, Module& model) : ema_(ema), model_(model) { ema_.swap(model_); }
    ~EmaSwapGuard() { ema_.swap(model_); }
    EmaSwapGuard(const EmaSwapGuard&) = delete;
    EmaSwapGuard& operator=(const EmaSwapGuard&) = delete;

private:
    EMA& ema_;
    Module& model_;
};

}  // namespace hd
