// ops_elementwise.h — element-wise ops, with NumPy/PyTorch broadcasting for binary ones.
//
// Broadcasting: shapes are aligned at their last dimension; two sizes are compatible
// when equal or when one is 1; a missing leading dimension counts as 1.
//   (B,C,H,W) + (B,C,1,1) -> (B,C,H,W)        (4) * (3,1) -> (3,4)
// The backward of a broadcast input sums the gradient back to the input's shape
// (sum_to, ops_reduce.h). The rule itself is broadcast_shapes (tensor_loops.h); the
// in-place add_ and mul_ are in ops_inplace.h.
#pragma once

#include "autograd/tensor.h"

namespace hd {

// ---- primitives (hand-written backward) --------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
/// x^exponent for a constant exponent (x must be > 0 where the exponent is not an integer).
Tensor pow(const Tensor& x, float exponent);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
/// SiLU(x) = x * sigmoid(x). A fused primitive (one pass instead of three); its test
/// checks it against mul(x, sigmoid(x)).
Tensor silu(const Tensor& x);

// ---- composites ---------------------------------------------------------------------
Tensor add(const Tensor& a, float b);
Tensor sub(const Tensor& a, float b);
Tensor mul(const Tensor& a, float b);
Tensor div(const Tensor& a, float b);
Tensor square(const Tensor& x);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, float b);
Tensor operator-(const Tensor& a, float b);
Tensor operator*(const Tensor& a, float b);
Tensor operator/(const Tensor& a, float b);
Tensor operator+(float a, const Tensor& b);
Tensor operator-(float a, const Tensor& b);
Tensor operator*(float a, const Tensor& b);
Tensor operator-(const Tensor& x);

}  // namespace hd
