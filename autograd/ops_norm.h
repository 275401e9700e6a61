// ops_norm.h — group normalisation (Wu & He, 2018), and GroupNorm fused with SiLU.
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

/// silu(group_norm(x, groups, gamma, beta, eps)) in one pass: the norm-then-activate
/// pair that opens every UNet ResBlock. A fused primitive (a documented exception, made
/// for speed): it writes one buffer instead of two, saves nothing but μ and 1/σ (the
/// backward recomputes the pre-activation from x), and its test checks it against the
/// composed silu(group_norm(…)) and against the ops group_norm is composed of.
/// x: (B,C,…), gamma, beta: (C) -> (B,C,…)
Tensor group_norm_silu(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps = 1e-5f);

// ---- reference kernel (tests only) ---------------------------------------------------
/// The naive loops group_norm and group_norm_silu are tested against: no autograd,
/// one (sample, group) at a time, in double. with_silu applies SiLU to the result.
Tensor group_norm_reference(const Tensor& x, int64_t groups, const Tensor& gamma, const Tensor& beta, float eps,
                            bool with_silu);

}  // namespace hd
