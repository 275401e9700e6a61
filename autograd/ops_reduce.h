// ops_reduce.h — sums and means over axes, and expand, their adjoint.
//
// Every reduction adds in a fixed order that does not depend on the number of
// threads, so results are bitwise reproducible (see kernels in ops_reduce.cpp).
// expand lives here rather than in ops_shape.h because sum and expand are each other's
// backward: broadcasting copies one number to many places, and its gradient adds the
// copies back up.
#pragma once

#include "autograd/tensor.h"

#include <vector>

namespace hd {

// ---- primitives ----------------------------------------------------------------------
/// Sum over `axes` (negative axes count from the end; empty = all axes).
/// x: (…) -> the same shape with the summed axes removed, or kept as size 1 if keepdim.
Tensor sum(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim = false);
/// Σ over `axes` divided by the number of elements summed. A primitive rather than
/// div(sum(x), n) only so that reductions need nothing from ops_elementwise.h (whose
/// backward needs sum_to from here); its test checks it bit for bit against that composite.
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim = false);
/// Largest value over one axis; not differentiable (used to stabilise softmax).
Tensor amax(const Tensor& x, int64_t axis, bool keepdim = false);
/// Repeats size-1 axes (and adds leading ones) to reach `shape`, by broadcasting rules.
/// x: broadcastable to shape -> shape
Tensor expand(const Tensor& x, const Shape& shape);

// ---- composites ----------------------------------------------------------------------
/// Sum of every element -> shape ().
Tensor sum(const Tensor& x);
/// Mean of every element -> shape ().
Tensor mean(const Tensor& x);
/// Sums a broadcast result back to `shape` (the backward of broadcasting):
/// leading extra axes are summed away, axes where `shape` has 1 are summed with keepdim.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace hd
