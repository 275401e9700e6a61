// composed_ops.h — reference versions of fused ops, written with the primitive ops only.
// They are the oracles the fused kernels are tested against (forward and, through
// autograd of the primitives, backward).
#pragma once

#include "autograd/ops.h"

namespace hd::test {

/// GroupNorm from primitives: per (sample, group) mean and biased variance, then
/// y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c].
Tensor group_norm_composed(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps);

/// SiLU from primitives: x * sigmoid(x).
Tensor silu_composed(const Tensor& x);

}  // namespace hd::test
