// ops_loss.h — softmax, log-softmax and the mean squared error, all composites.
#pragma once

#include "autograd/tensor.h"

namespace hd {

// ---- composites ----------------------------------------------------------------------
/// softmax(x)_i = e^{x_i - m} / Σ_j e^{x_j - m} along `axis`, with m = max_j x_j
/// (the shift changes nothing mathematically and keeps e^… from overflowing).
Tensor softmax(const Tensor& x, int64_t axis = -1);
/// log softmax(x)_i = (x_i - m) - log Σ_j e^{x_j - m}, stable for large logits.
Tensor log_softmax(const Tensor& x, int64_t axis = -1);
/// Cross-entropy of logits (N, K) against target distributions (N, K) (one-hot rows for
/// class labels): mean over rows of -Σ_k target_k · log softmax(logits)_k -> shape ().
Tensor cross_entropy(const Tensor& logits, const Tensor& targets);
/// Mean squared error over every element: mean((prediction - target)²) -> shape ().
/// The ε-prediction loss of DDPM.
Tensor mse_loss(const Tensor& prediction, const Tensor& target);

}  // namespace hd
