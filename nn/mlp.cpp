// mlp.cpp — see mlp.h.
#include "nn/mlp.h"

#include <fmt/format.h>

namespace hd {

MLP::MLP(const MLPOptions& opts, Generator& gen) : options(opts) {
    if (opts.hidden_layers < 1)
        throw std::invalid_argument(fmt::format("MLP: hidden_layers must be >= 1, got {}", opts.hidden_layers));
    layers = register_module("layers", std::make_shared<Sequential>());
    int64_t width = opts.in_features;
    for (int64_t i = 0; i < opts.hidden_layers; ++i) {
        layers->push_back(std::make_shared<Linear>(width, opts.hidden_features, gen));
        layers->push_back(std::make_shared<SiLU>());
        width = opts.hidden_features;
    }
    layers->push_back(std::make_shared<Linear>(width, opts.out_features, gen));
}

Tensor MLP::forward(const Tensor& x) { return layers->forward(x); }

}  // namespace hd
