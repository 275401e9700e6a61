// ops_conv.h — 2-D convolution and nearest-neighbour upsampling (NCHW).
#pragma once

#include "autograd/tensor.h"

namespace hd {

// ---- primitives ----------------------------------------------------------------------
/// Cross-correlation, as in PyTorch's Conv2d.
/// x: (B,Cin,H,W), weight: (Cout,Cin,K,K), bias: (Cout) or undefined
///   -> (B,Cout,H',W') with H' = (H + 2·padding - K) / stride + 1 (likewise W').
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride = 1, int64_t padding = 0);

/// Nearest-neighbour upsampling by an integer factor: each pixel becomes a factor×factor block.
/// x: (B,C,H,W) -> (B,C,H·factor,W·factor)
Tensor upsample_nearest(const Tensor& x, int64_t factor = 2);

}  // namespace hd
