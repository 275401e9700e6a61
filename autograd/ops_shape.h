// ops_shape.h — ops that move numbers without changing them.
//
// reshape returns a view (shared storage); the others copy, since every hdiff tensor
// is contiguous. expand, which repeats numbers, lives in ops_reduce.h beside sum: each
// is the other's backward.
#pragma once

#include "autograd/tensor.h"

#include <vector>

namespace hd {

// ---- primitives ----------------------------------------------------------------------
/// The same numbers in a new shape of equal size; one size may be -1 (inferred). A view.
Tensor reshape(const Tensor& x, const Shape& shape);
/// Reorders axes: out.shape[i] = x.shape[order[i]].  (B,C,H,W), {0,2,3,1} -> (B,H,W,C)
Tensor permute(const Tensor& x, const std::vector<int64_t>& order);
/// Joins tensors along `axis`; all other sizes must agree.
Tensor concat(const std::vector<Tensor>& tensors, int64_t axis);
/// Elements [start, end) along `axis` (negative indices count from the end).
Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end);
/// Picks entries along `axis` by index (repeats allowed): out[…, i, …] = x[…, indices[i], …].
Tensor index_select(const Tensor& x, int64_t axis, const std::vector<int64_t>& indices);

// ---- composites ----------------------------------------------------------------------
/// Swaps two axes.
Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1);
/// Inserts a size-1 axis at `axis`.
Tensor unsqueeze(const Tensor& x, int64_t axis);
/// Collapses axes [start_axis, end) into one.  (B,C,H,W), 1 -> (B, C*H*W)
Tensor flatten(const Tensor& x, int64_t start_axis = 1);

/// Resolves a possibly negative axis against a rank; throws ShapeError naming `op`.
int64_t normalize_axis(int64_t axis, int64_t rank, const char* op);

}  // namespace hd
