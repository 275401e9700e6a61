// layers.cpp — see layers.h.
#include "nn/layers.h"

#include "autograd/ops.h"
#include "nn/init.h"

#include <fmt/format.h>

#include <cmath>

namespace hd {

// ---- Linear -----------------------------------------------------------------------

Linear::Linear(int64_t in_features, int64_t out_features, Generator& gen, bool with_bias) {
    if (in_features < 1 || out_features < 1)
        throw std::invalid_argument(fmt::format("Linear: sizes must be positive, got {} -> {}", in_features, out_features));
    const float bound = default_init_bound(in_features);
    weight = register_parameter("weight", uniform_init({out_features, in_features}, bound, gen));
    if (with_bias) bias = register_parameter("bias", uniform_init({out_features}, bound, gen));
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

// ---- Conv2d -----------------------------------------------------------------------

Conv2d::Conv2d(const Conv2dOptions& opts, Generator& gen) : options(opts) {
    if (opts.in_channels < 1 || opts.out_channels < 1 || opts.kernel_size < 1 || opts.stride < 1 || opts.padding < 0)
        throw std::invalid_argument(fmt::format("Conv2d: invalid options (in {}, out {}, kernel {}, stride {}, padding {})",
                                                opts.in_channels, opts.out_channels, opts.kernel_size, opts.stride,
                                                opts.padding));
    const int64_t k = opts.kernel_size;
    const float bound = default_init_bound(opts.in_channels * k * k);
    weight = register_parameter("weight", uniform_init({opts.out_channels, opts.in_channels, k, k}, bound, gen));
    if (opts.bias) bias = register_parameter("bias", uniform_init({opts.out_channels}, bound, gen));
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, options.stride, options.padding); }

// ---- GroupNorm --------------------------------------------------------------------

GroupNorm::GroupNorm(int64_t groups_, int64_t channels, float eps_) : groups(groups_), eps(eps_) {
    if (groups_ < 1 || channels % groups_ != 0)
        throw std::invalid_argument(fmt::format("GroupNorm: {} channels cannot be split into {} groups", channels, groups_));
    weight = register_parameter("weight", Tensor::ones({channels}));
    bias = register_parameter("bias", Tensor::zeros({channels}));
}

Tensor GroupNorm::forward(const Tensor& x) { return group_norm(x, groups, weight, bias, eps); }

Tensor GroupNormSiLU::forward(const Tensor& x) { return group_norm_silu(x, groups, weight, bias, eps); }

// ---- SiLU, Sequential --------------------------------------------------------------

Tensor SiLU::forward(const Tensor& x) { return silu(x); }

Sequential::Sequential(std::vector<std::shared_ptr<UnaryModule>> layers) {
    for (auto& layer : layers) push_back(std::move(layer));
}

void Sequential::push_back(std::shared_ptr<UnaryModule> layer) {
    layers_.push_back(register_module(std::to_string(layers_.size()), std::move(layer)));
}

Tensor Sequential::forward(const Tensor& x) {
    Tensor h = x;
    for (auto& layer : layers_) h = layer->forward(h);
    return h;
}

// ---- SinusoidalTimeEmbedding ------------------------------------------------------

SinusoidalTimeEmbedding::SinusoidalTimeEmbedding(int64_t dim_) : dim(dim_) {
    if (dim_ < 2 || dim_ % 2 != 0)
        throw std::invalid_argument(fmt::format("SinusoidalTimeEmbedding: dim must be even and >= 2, got {}", dim_));
}

Tensor SinusoidalTimeEmbedding::forward(const Tensor& t) {
    if (t.dim() != 1)
        throw ShapeError(fmt::format("SinusoidalTimeEmbedding: expected timesteps of shape (B), got {}", shape_str(t.shape())));
    const int64_t half = dim / 2;
    std::vector<float> frequencies(half);
    for (int64_t i = 0; i < half; ++i)
        frequencies[i] = static_cast<float>(std::exp(-std::log(10000.0) * double(i) / double(half)));
    // angles[b, i] = t[b] · f_i, as a (B,1) x (1,half) broadcast product
    Tensor angles = mul(reshape(t, {-1, 1}), Tensor::from_vector(frequencies, {1, half}));
    return concat({sin(angles), cos(angles)}, 1);
}

}  // namespace hd
