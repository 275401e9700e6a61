// ops_inplace.h — arithmetic that overwrites its first operand and is never recorded:
// the engine's gradient sums (autograd.cpp), optimizer updates, gradient clipping.
//
// Writing into a tensor that autograd saved for a backward pass would corrupt that
// pass, so these are for buffers no graph reads: gradients and parameters under a
// NoGradGuard.
#pragma once

#include "autograd/tensor.h"

namespace hd {

/// a += b, b broadcast to a's shape (throws ShapeError if it would change a's shape).
void add_(Tensor& a, const Tensor& b);
/// a *= s
void mul_(Tensor& a, float s);

}  // namespace hd
