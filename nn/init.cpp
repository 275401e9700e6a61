// init.cpp — see init.h.
#include "nn/init.h"

#include <cmath>

namespace hd {

Tensor uniform_init(const Shape& shape, float bound, Generator& gen) { return Tensor::rand(shape, gen, -bound, bound); }

float default_init_bound(int64_t fan_in) { return fan_in > 0 ? 1.0f / std::sqrt(static_cast<float>(fan_in)) : 0.0f; }

}  // namespace hd
