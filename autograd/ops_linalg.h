// ops_linalg.h — matrix products, on our own GEMM (autograd/kernels/gemm.h).
#pragma once

#include "autograd/tensor.h"

namespace hd {

// ---- primitives ----------------------------------------------------------------------
/// Batched matrix product. a: (…, M, K) @ b: (…, K, N) -> (…, M, N); the leading
/// (batch) axes broadcast. Both operands need at least 2 axes.
Tensor matmul(const Tensor& a, const Tensor& b);

/// y = x Wᵀ + bias, the Linear layer's op. x: (…, Din), weight: (Dout, Din),
/// bias: (Dout) or undefined -> (…, Dout). A fused primitive (no transposed copy of
/// W, bias added in the same pass); its test checks it against matmul + add.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias);

}  // namespace hd
