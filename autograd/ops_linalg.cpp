// ops_linalg.cpp — matmul and linear.
//
// Shapes: B batch (any leading axes, flattened), M N K matrix sizes, D features.
// Both ops call kernels::sgemm, which is parallel and vectorised; transposes are
// passed to it as flags, never materialised.
#include "autograd/ops_linalg.h"

#include "autograd/autograd.h"
#include "autograd/kernels/gemm.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_shape.h"
#include "autograd/tensor_loops.h"

#include <fmt/format.h>

namespace hd {

namespace {

Shape batch_part(const Shape& s) { return Shape(s.begin(), s.end() - 2); }

// C[b] = op(A[b]) @ op(B[b]) for every batch b, with A, B, C contiguous stacks.
void batched_sgemm(int64_t batches, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                   const float* A, const float* B, float* C) {
    const int64_t lda = trans_a ? M : K, ldb = trans_b ? K : N;
    for (int64_t b = 0; b < batches; ++b)
        kernels::sgemm(trans_a, trans_b, M, N, K, 1.0f, A + b * M * K, lda, B + b * K * N, ldb, 0.0f, C + b * M * N, N);
}

}  // namespace

// a: (…, M, K) @ b: (…, K, N) -> (…, M, N)
Tensor matmul(const Tensor& a, const Tensor& b) {
    if (a.dim() < 2 || b.dim() < 2)
        throw ShapeError(fmt::format("matmul: {} @ {}: both operands need at least 2 axes (use unsqueeze "
                                     "to turn a vector into a 1-row matrix)", shape_str(a.shape()), shape_str(b.shape())));
    const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
    if (b.size(-2) != K)
        throw ShapeError(fmt::format("matmul: {} @ {}: inner dimensions differ ({} vs {})", shape_str(a.shape()),
                                     shape_str(b.shape()), K, b.size(-2)));
    Shape batch = broadcast_shapes(batch_part(a.shape()), batch_part(b.shape()), "matmul (batch axes)");
    Shape a_full = batch, b_full = batch, out_shape = batch;
    a_full.insert(a_full.end(), {M, K});
    b_full.insert(b_full.end(), {K, N});
    out_shape.insert(out_shape.end(), {M, N});
    // Broadcast batch axes are copied out (rare in practice); equal ones are used as they are.
    Tensor a_stack, b_stack;
    {
        NoGradGuard no_grad;
        a_stack = expand(a, a_full);
        b_stack = expand(b, b_full);
    }
    const int64_t batches = numel_of(batch);
    Tensor out = Tensor::empty(out_shape);
    batched_sgemm(batches, false, false, M, N, K, a_stack.data(), b_stack.data(), out.data());

    record(out, "matmul", {a, b}, [a, b, a_stack, b_stack, a_full, b_full, batches, M, N, K](const Tensor& grad_out) {
        // forward was out = a @ b  =>  grad_a = grad_out @ bᵀ, grad_b = aᵀ @ grad_out
        // (then summed over any batch axes that were broadcast)
        Tensor grad_a, grad_b;
        if (a.requires_grad()) {
            grad_a = Tensor::empty(a_full);
            batched_sgemm(batches, false, true, M, K, N, grad_out.data(), b_stack.data(), grad_a.data());
            grad_a = sum_to(grad_a, a.shape());
        }
        if (b.requires_grad()) {
            grad_b = Tensor::empty(b_full);
            batched_sgemm(batches, true, false, K, N, M, a_stack.data(), grad_out.data(), grad_b.data());
            grad_b = sum_to(grad_b, b.shape());
        }
        return std::vector<Tensor>{grad_a, grad_b};
    });
    return out;
}

// x: (…, Din), weight: (Dout, Din), bias: (Dout) -> (…, Dout)
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
    if (weight.dim() != 2 || x.dim() < 1 || x.size(-1) != weight.size(1))
        throw ShapeError(fmt::format("linear: input {} does not fit weight {} (expected (…, {}) for a weight "
                                     "of shape (out_features, in_features))",
                                     shape_str(x.shape()), shape_str(weight.shape()),
                                     weight.dim() == 2 ? weight.size(1) : -1));
    const int64_t rows = x.numel() / x.size(-1), d_in = weight.size(1), d_out = weight.size(0);
    if (bias.defined() && bias.shape() != Shape{d_out})
        throw ShapeError(fmt::format("linear: bias {} should have shape ({})", shape_str(bias.shape()), d_out));
    Shape out_shape = x.shape();
    out_shape.back() = d_out;
    Tensor out = Tensor::empty(out_shape);
    float* y = out.data();
    kernels::sgemm(false, true, rows, d_out, d_in, 1.0f, x.data(), d_in, weight.data(), d_in, 0.0f, y, d_out);
    if (bias.defined()) {
        const float* pb = bias.data();
#pragma omp parallel for if (rows * d_out >= (1 << 15)) schedule(static)
        for (int64_t r = 0; r < rows; ++r)
#pragma omp simd
            for (int64_t j = 0; j < d_out; ++j) y[r * d_out + j] += pb[j];
    }
    record(out, "linear", {x, weight, bias}, [x, weight, bias, rows, d_in, d_out](const Tensor& grad_out) {
        // forward was y = x Wᵀ + b  =>  grad_x = grad_y W,  grad_W = grad_yᵀ x,  grad_b = Σ_rows grad_y
        Tensor grad_x, grad_w, grad_b;
        const float* g = grad_out.data();
        if (x.requires_grad()) {
            grad_x = Tensor::empty(x.shape());
            kernels::sgemm(false, false, rows, d_in, d_out, 1.0f, g, d_out, weight.data(), d_in, 0.0f, grad_x.data(), d_in);
        }
        if (weight.requires_grad()) {
            grad_w = Tensor::empty(weight.shape());
            kernels::sgemm(true, false, d_out, d_in, rows, 1.0f, g, d_out, x.data(), d_in, 0.0f, grad_w.data(), d_in);
        }
        if (bias.defined() && bias.requires_grad()) grad_b = sum(reshape(grad_out, {rows, d_out}), {0});
        return std::vector<Tensor>{grad_x, grad_w, grad_b};
    });
    return out;
}

}  // namespace hd
