// ops_norm.h — group normalisation (Wu & He, 2018).
#pragma once

#include "autograd/tensor.h"

namespace hd {

// ---- primitives ----------------------------------------------------------------------
/// GroupNorm: channels are split into `groups` groups; each (sample, group) is
/// normalised by its own mean and variance, then scaled and shifted per channel:
///   y = (x - μ_bg) / √(σ²_bg + eps) · gamma[c] + beta[c]
/// x: (B,C,…) with C divisible by groups; gamma, beta: (C) -> (B,C,…).
/// A fused primitive with a hand-written backward (the composed version would make
/// six passes and six buffers); its test checks it against the composed ops.
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps = 1e-5f);

}  // namespace hd
