// optim.cpp — see optim.h. Every update is an element-wise loop over one parameter,
// written directly on the buffers (no autograd, no temporary tensors).
#include "nn/optim.h"

#include "autograd/ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace hd {

namespace {

constexpr int64_t kParallelMin = 1 << 15;

std::vector<Tensor> tensors_of(const NamedParameters& named) {
    std::vector<Tensor> tensors;
    for (const auto& [name, tensor] : named) tensors.push_back(tensor);
    return tensors;
}

std::vector<std::string> names_of(const NamedParameters& named) {
    std::vector<std::string> names;
    for (const auto& [name, tensor] : named) names.push_back(name);
    return names;
}

const Tensor* find_entry(const std::vector<std::pair<std::string, Tensor>>& state, const std::string& key) {
    for (const auto& [name, tensor] : state)
        if (name == key) return &tensor;
    return nullptr;
}

// The state entry `key` with its shape checked.
const Tensor& checked_entry(const std::vector<std::pair<std::string, Tensor>>& state, const std::string& key,
                            const Shape& shape) {
    const Tensor* found = find_entry(state, key);
    if (!found) throw std::invalid_argument(fmt::format("optimizer state '{}' is missing", key));
    if (found->shape() != shape)
        throw std::invalid_argument(fmt::format("optimizer state '{}' has shape {}, expected {}", key,
                                                shape_str(found->shape()), shape_str(shape)));
    return *found;
}

void copy_into(Tensor& dst, const Tensor& src) { std::memcpy(dst.data(), src.data(), sizeof(float) * dst.numel()); }

// The step count travels as a one-element tensor so that all state is tensors.
Tensor step_tensor(int64_t steps) { return Tensor::scalar(static_cast<float>(steps)); }

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> parameters, std::vector<std::string> names)
    : parameters_(std::move(parameters)), names_(std::move(names)) {
    for (const Tensor& p : parameters_)
        if (!p.defined() || !p.is_leaf())
            throw std::invalid_argument("Optimizer: every parameter must be a defined leaf tensor");
    if (!names_.empty() && names_.size() != parameters_.size())
        throw std::invalid_argument(fmt::format("Optimizer: {} names for {} parameters", names_.size(), parameters_.size()));
}

std::string Optimizer::state_key(const std::string& kind, size_t k) const {
    return names_.empty() ? fmt::format("{}.{}", kind, k) : kind + "." + names_[k];
}

const Tensor& Optimizer::find_state(const std::vector<std::pair<std::string, Tensor>>& state, const std::string& kind,
                                    size_t k) const {
    // Checkpoints written before the state was keyed by name hold "<kind>.<index>".
    const std::string key = state_key(kind, k), by_index = fmt::format("{}.{}", kind, k);
    if (!find_entry(state, key) && find_entry(state, by_index)) return checked_entry(state, by_index, parameters_[k].shape());
    return checked_entry(state, key, parameters_[k].shape());
}

void Optimizer::zero_grad() {
    for (Tensor& p : parameters_) p.zero_grad();
}

// ---- SGD --------------------------------------------------------------------------

SGD::SGD(std::vector<Tensor> parameters, SGDOptions opts) : Optimizer(std::move(parameters)), options(opts) {
    learning_rate_ = opts.learning_rate;
    for (const Tensor& p : parameters_) velocity_.push_back(Tensor::zeros(p.shape()));
}

SGD::SGD(const NamedParameters& parameters, SGDOptions opts) : SGD(tensors_of(parameters), opts) {
    names_ = names_of(parameters);
}

void SGD::step() {
    ++steps_;
    const float lr = learning_rate_, momentum = options.momentum, wd = options.weight_decay;
    for (size_t k = 0; k < parameters_.size(); ++k) {
        Tensor grad = parameters_[k].grad();
        if (!grad.defined()) continue;
        float* p = parameters_[k].data();
        const float* g = grad.data();
        float* v = velocity_[k].data();
        const int64_t n = parameters_[k].numel();
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            const float gi = g[i] + wd * p[i];
            v[i] = momentum * v[i] + gi;
            p[i] -= lr * (momentum != 0.0f ? v[i] : gi);
        }
    }
}

std::vector<std::pair<std::string, Tensor>> SGD::state() const {
    std::vector<std::pair<std::string, Tensor>> out{{"step", step_tensor(steps_)}};
    for (size_t k = 0; k < velocity_.size(); ++k) out.emplace_back(state_key("velocity", k), velocity_[k]);
    return out;
}

void SGD::load_state(const std::vector<std::pair<std::string, Tensor>>& state) {
    steps_ = static_cast<int64_t>(checked_entry(state, "step", {}).item());
    for (size_t k = 0; k < velocity_.size(); ++k) copy_into(velocity_[k], find_state(state, "velocity", k));
}

// ---- Adam / AdamW -----------------------------------------------------------------

Adam::Adam(std::vector<Tensor> parameters, AdamOptions opts) : Optimizer(std::move(parameters)), options(opts) {
    learning_rate_ = opts.learning_rate;
    for (const Tensor& p : parameters_) {
        exp_avg_.push_back(Tensor::zeros(p.shape()));
        exp_avg_sq_.push_back(Tensor::zeros(p.shape()));
    }
}

Adam::Adam(const NamedParameters& parameters, AdamOptions opts) : Adam(tensors_of(parameters), opts) {
    names_ = names_of(parameters);
}

AdamW::AdamW(std::vector<Tensor> parameters, AdamOptions opts) : Adam(std::move(parameters), opts) {
    decoupled_weight_decay_ = true;
}

AdamW::AdamW(const NamedParameters& parameters, AdamOptions opts) : Adam(parameters, opts) {
    decoupled_weight_decay_ = true;
}

void Adam::step() {
    ++steps_;
    const float lr = learning_rate_, b1 = options.beta1, b2 = options.beta2, eps = options.eps, wd = options.weight_decay;
    // Bias corrections 1-β^t, in double: β2^t with t in the thousands loses digits in float.
    const float correction1 = static_cast<float>(1.0 - std::pow(double(b1), double(steps_)));
    const float correction2 = static_cast<float>(1.0 - std::pow(double(b2), double(steps_)));
    const float step_size = lr / correction1;
    const float inv_sqrt_c2 = 1.0f / std::sqrt(correction2);
    const bool decoupled = decoupled_weight_decay_;
    for (size_t k = 0; k < parameters_.size(); ++k) {
        Tensor grad = parameters_[k].grad();
        if (!grad.defined()) continue;
        float* p = parameters_[k].data();
        const float* g = grad.data();
        float* m = exp_avg_[k].data();
        float* v = exp_avg_sq_[k].data();
        const int64_t n = parameters_[k].numel();
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
        for (int64_t i = 0; i < n; ++i) {
            float gi = g[i];
            if (decoupled) p[i] -= lr * wd * p[i]; // AdamW: shrink the weight itself
            else gi += wd * p[i];                  // Adam: L2 through the gradient
            m[i] = b1 * m[i] + (1.0f - b1) * gi;
            v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
            p[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_c2 + eps);
        }
    }
}

std::vector<std::pair<std::string, Tensor>> Adam::state() const {
    std::vector<std::pair<std::string, Tensor>> out{{"step", step_tensor(steps_)}};
    for (size_t k = 0; k < exp_avg_.size(); ++k) {
        out.emplace_back(state_key("exp_avg", k), exp_avg_[k]);
        out.emplace_back(state_key("exp_avg_sq", k), exp_avg_sq_[k]);
    }
    return out;
}

void Adam::load_state(const std::vector<std::pair<std::string, Tensor>>& state) {
    steps_ = static_cast<int64_t>(checked_entry(state, "step", {}).item());
    for (size_t k = 0; k < exp_avg_.size(); ++k) {
        copy_into(exp_avg_[k], find_state(state, "exp_avg", k));
        copy_into(exp_avg_sq_[k], find_state(state, "exp_avg_sq", k));
    }
}

// ---- gradient clipping ------------------------------------------------------------

float clip_grad_norm(const std::vector<Tensor>& parameters, float max_norm) {
    double total_sq = 0.0; // in parameter order: the same norm for any thread count
    for (const Tensor& p : parameters) {
        Tensor g = p.grad();
        if (!g.defined()) continue;
        for (int64_t i = 0; i < g.numel(); ++i) total_sq += double(g.data()[i]) * double(g.data()[i]);
    }
    const float norm = static_cast<float>(std::sqrt(total_sq));
    if (norm > max_norm && norm > 0.0f) {
        const float scale = max_norm / (norm + 1e-6f);
        for (const Tensor& p : parameters) {
            Tensor g = p.grad();
            if (g.defined()) mul_(g, scale);
        }
    }
    return norm;
}

// ---- EMA --------------------------------------------------------------------------

EMA::EMA(const Module& model, float decay_) : decay(decay_) {
    if (!(decay_ >= 0.0f && decay_ < 1.0f))
        throw std::invalid_argument(fmt::format("EMA: decay must be in [0, 1), got {}", decay_));
    for (const Tensor& p : model.parameters()) shadow_.push_back(p.detach().clone());
}

void EMA::update(const Module& model) {
    std::vector<Tensor> params = model.parameters();
    if (params.size() != shadow_.size()) throw std::invalid_argument("EMA::update: the model's parameters changed");
    const float d = decay;
    for (size_t k = 0; k < params.size(); ++k) {
        const float* p = params[k].data();
        float* s = shadow_[k].data();
        const int64_t n = params[k].numel();
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
        for (int64_t i = 0; i < n; ++i) s[i] = d * s[i] + (1.0f - d) * p[i];
    }
}

void EMA::swap(Module& model) {
    std::vector<Tensor> params = model.parameters();
    if (params.size() != shadow_.size()) throw std::invalid_argument("EMA::swap: the model's parameters changed");
    for (size_t k = 0; k < params.size(); ++k)
        std::swap_ranges(params[k].data(), params[k].data() + params[k].numel(), shadow_[k].data());
}

void EMA::load(const std::vector<Tensor>& weights) {
    if (weights.size() != shadow_.size())
        throw std::invalid_argument(fmt::format("EMA::load: {} tensors given, {} expected", weights.size(), shadow_.size()));
    for (size_t k = 0; k < weights.size(); ++k) {
        if (weights[k].shape() != shadow_[k].shape())
            throw std::invalid_argument(fmt::format("EMA::load: tensor {} has shape {}, expected {}", k,
                                                    shape_str(weights[k].shape()), shape_str(shadow_[k].shape())));
        copy_into(shadow_[k], weights[k]);
    }
}

}  // namespace hd
