// init.h — parameter initialisation, matching PyTorch's defaults.
//
// PyTorch initialises Linear and Conv2d weights with kaiming_uniform(a = √5), which
// works out to U(-1/√fan_in, 1/√fan_in), and their biases with the same bound.
// fan_in = in_features (Linear) or in_channels · K · K (Conv2d).
#pragma once

#include "autograd/generator.h"
#include "autograd/tensor.h"

namespace hd {

/// A tensor of `shape` with values from U(-bound, bound).
Tensor uniform_init(const Shape& shape, float bound, Generator& gen);
/// PyTorch's default bound for a layer with `fan_in` inputs: 1/√fan_in.
float default_init_bound(int64_t fan_in);

}  // namespace hd
