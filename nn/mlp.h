// mlp.h — a multi-layer perceptron with SiLU activations (the latent prior's body).
#pragma once

#include "autograd/generator.h"
#include "nn/layers.h"

namespace hd {

struct MLPOptions {
    int64_t in_features = 1;
    int64_t hidden_features = 256;
    int64_t hidden_layers = 3; // number of hidden Linear+SiLU layers
    int64_t out_features = 1;
};

/// Linear(in,h) → SiLU → [Linear(h,h) → SiLU] × (hidden_layers-1) → Linear(h,out).
/// x: (B, in) -> (B, out)
class MLP : public UnaryModule {
public:
    MLP(const MLPOptions& options, Generator& gen);
    Tensor forward(const Tensor& x) override;

    MLPOptions options;
    std::shared_ptr<Sequential> layers;
};

}  // namespace hd
