// ops_fused.h — fused ops that cross op families, made for speed (STYLE point 3).
//
// Each is a documented exception to "few primitives": it computes what a short chain
// of primitives computes, in one pass, with its own backward; its test checks it
// against that chain, forward and backward. (group_norm_silu lives with group_norm in
// ops_norm.h.)
#pragma once

#include "autograd/tensor.h"

namespace hd {

/// concat({upsample_nearest(x, factor), skip}, 1) in one pass: the UNet decoder's
/// "upsample, then join the skip connection". The upsampled x is written straight into
/// the joined output, so it is never stored on its own (one buffer and one copy of the
/// largest activation fewer).
/// x: (B,Cx,H,W), skip: (B,Cs,H·f,W·f) -> (B,Cx+Cs,H·f,W·f)
Tensor upsample_concat(const Tensor& x, int64_t factor, const Tensor& skip);

}  // namespace hd
