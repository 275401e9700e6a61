// layers.h — the basic layers: Linear, Conv2d, GroupNorm, GroupNormSiLU, SiLU,
// Sequential, SinusoidalTimeEmbedding. Each forward is straight-line code over autograd ops.
#pragma once

#include "autograd/generator.h"
#include "nn/module.h"

#include <memory>
#include <vector>

namespace hd {

/// y = x Wᵀ + b.  x: (…, in_features) -> (…, out_features); W: (out, in), b: (out).
class Linear : public UnaryModule {
public:
    Linear(int64_t in_features, int64_t out_features, Generator& gen, bool bias = true);
    Tensor forward(const Tensor& x) override;

    Tensor weight, bias; // bias is undefined when built without one
};

struct Conv2dOptions {
    int64_t in_channels = 1;
    int64_t out_channels = 1;
    int64_t kernel_size = 3;
    int64_t stride = 1;
    int64_t padding = 0;
    bool bias = true;
};

/// 2-D convolution.  x: (B,Cin,H,W) -> (B,Cout,H',W'); W: (Cout,Cin,K,K), b: (Cout).
class Conv2d : public UnaryModule {
public:
    Conv2d(const Conv2dOptions& options, Generator& gen);
    Tensor forward(const Tensor& x) override;

    Conv2dOptions options;
    Tensor weight, bias;
};

/// GroupNorm with a learned per-channel scale (gamma, "weight", starts at 1) and
/// shift (beta, "bias", starts at 0).  x: (B,C,…) -> (B,C,…)
class GroupNorm : public UnaryModule {
public:
    GroupNorm(int64_t groups, int64_t channels, float eps = 1e-5f);
    Tensor forward(const Tensor& x) override;

    int64_t groups;
    float eps;
    Tensor weight, bias;
};

/// SiLU(GroupNorm(x)) as one layer, run by the fused group_norm_silu kernel (ops_norm.h):
/// the norm-then-activate pair that opens every UNet ResBlock, in one pass and one
/// buffer. The same parameters under the same names as GroupNorm ("weight", "bias"), so
/// a checkpoint cannot tell the two apart.  x: (B,C,…) -> (B,C,…)
class GroupNormSiLU : public GroupNorm {
public:
    using GroupNorm::GroupNorm;
    Tensor forward(const Tensor& x) override;
};

/// SiLU(x) = x · σ(x), a.k.a. swish.
class SiLU : public UnaryModule {
public:
    Tensor forward(const Tensor& x) override;
};

/// Runs its layers one after the other. Layers are registered as "0", "1", …
class Sequential : public UnaryModule {
public:
    Sequential() = default;
    explicit Sequential(std::vector<std::shared_ptr<UnaryModule>> layers);
    /// Appends a layer (registered under its position).
    void push_back(std::shared_ptr<UnaryModule> layer);
    Tensor forward(const Tensor& x) override;
    size_t size() const { return layers_.size(); }

private:
    std::vector<std::shared_ptr<UnaryModule>> layers_;
};

/// The transformer's sinusoidal position code, applied to diffusion timesteps.
/// t: (B) -> (B, dim) with, for i < dim/2 and f_i = 10000^(-i / (dim/2)):
///   out[:, i] = sin(t · f_i),   out[:, dim/2 + i] = cos(t · f_i)
/// No parameters; dim must be even.
class SinusoidalTimeEmbedding : public UnaryModule {
public:
    explicit SinusoidalTimeEmbedding(int64_t dim);
    Tensor forward(const Tensor& t) override;

    int64_t dim;
};

}  // namespace hd
