// ops_reduce.h — sums and means over axes.
//
// Every reduction adds in a fixed order that does not depend on the number of
// threads, so results are bitwise reproducible (see kernels in ops_reduce.cpp).
#pragma once

#include "autograd/tensor.h"

#include <vector>

namespace hd {

// ---- primitives ----------------------------------------------------------------------
/// Sum over `axes` (negative axes count from the end; empty = all axes).
/// x: (…) -> the same shape with the summed axes removed, or kept as size 1 if keepdim.
Tensor sum(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim = false);
/// Largest value over one axis; not differentiable (used to stabilise softmax).
Tensor amax(const Tensor& x, int64_t axis, bool keepdim = false);

// ---- composites ----------------------------------------------------------------------
/// Sum of every element -> shape ().
Tensor sum(const Tensor& x);
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim = false);
/// Mean of every element -> shape ().
Tensor mean(const Tensor& x);
/// Sums a broadcast result back to `shape` (the backward of broadcasting):
/// leading extra axes are summed away, axes where `shape` has 1 are summed with keepdim.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace hd
