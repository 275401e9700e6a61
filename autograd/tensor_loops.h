// tensor_loops.h — the loops the ops share, below every op: the broadcasting rule, the
// element-wise maps (with broadcasting), and the strided gather behind permute and expand.
//
// Nothing here records autograd history: these are plain loops over contiguous float
// buffers that the ops (ops_elementwise, ops_reduce, ops_shape, ops_inplace) and the
// engine's gradient sums (autograd.cpp) call. Keeping them under the ops, rather than
// inside one op family that the others then include, is what keeps the include graph of
// autograd/ free of cycles (tests/autograd/test_include_graph.cpp checks it).
//
// Kernels: one OpenMP loop over the output; the inner loop runs over a contiguous
// stretch so the compiler vectorises it. Tensors below kParallelMin elements stay
// on one thread, where starting a team would cost more than the work.
#pragma once

#include "autograd/tensor.h"

#include <vector>

namespace hd {

/// The shape two broadcast operands produce; throws ShapeError naming `op` and both shapes.
///   (B,C,H,W) and (B,C,1,1) -> (B,C,H,W)        (4) and (3,1) -> (3,4)
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

/// Row-major strides of a contiguous tensor of `shape`: (2,3,4) -> (12,4,1).
std::vector<int64_t> contiguous_strides(const Shape& shape);

/// out[i0,…,ik] = src[Σ i_d * src_strides[d]] for every index of out_shape: a copy that
/// reorders (permute) or repeats (a stride of 0: expand) the numbers of src.
Tensor strided_gather(const float* src, const Shape& out_shape, const std::vector<int64_t>& src_strides);

/// Element counts below this stay on one thread.
inline constexpr int64_t kParallelMin = 1 << 15;

/// out[i] = f(x[i]).  x: any shape -> the same shape
template <class F>
Tensor map_unary(const Tensor& x, F f) {
    Tensor out = Tensor::empty(x.shape());
    const float* in = x.data();
    float* o = out.data();
    const int64_t n = x.numel();
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) o[i] = f(in[i]);
    return out;
}

/// out[i] = f(x[i], y[i]) for x and y of one shape -> that shape
template <class F>
Tensor map_same_shape(const Tensor& x, const Tensor& y, F f) {
    Tensor out = Tensor::empty(x.shape());
    const float* a = x.data();
    const float* b = y.data();
    float* o = out.data();
    const int64_t n = x.numel();
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
    return out;
}

/// How two operands walk a broadcast output: the output is seen as `rows` rows of
// `row_length` elements; in row r, operand a starts at a_offsets[r] and steps by
// a_step (0 when broadcast along the row, 1 otherwise); likewise b.
struct BroadcastPlan {
    Shape out_shape;
    int64_t rows = 1, row_length = 1;
    int64_t a_step = 1, b_step = 1;
    std::vector<int64_t> a_offsets, b_offsets;
};

/// How a and b of these shapes walk their broadcast output (throws ShapeError naming `op`).
BroadcastPlan plan_broadcast(const Shape& a_shape, const Shape& b_shape, const char* op);

/// out = f(a, b) with broadcasting.  a, b: broadcastable -> broadcast_shapes(a, b)
template <class F>
Tensor map_binary(const Tensor& a, const Tensor& b, const char* op, F f) {
    if (a.shape() == b.shape()) return map_same_shape(a, b, f);
    BroadcastPlan plan = plan_broadcast(a.shape(), b.shape(), op);
    Tensor out = Tensor::empty(plan.out_shape);
    const float* pa = a.data();
    const float* pb = b.data();
    float* po = out.data();
    const int64_t length = plan.row_length, sa = plan.a_step, sb = plan.b_step;
#pragma omp parallel for if (out.numel() >= kParallelMin) schedule(static)
    for (int64_t r = 0; r < plan.rows; ++r) {
        const float* ra = pa + plan.a_offsets[r];
        const float* rb = pb + plan.b_offsets[r];
        float* ro = po + r * length;
        // Three spellings of one loop, so each compiles to a unit-stride vector loop.
        if (sa == 1 && sb == 1) {
#pragma omp simd
            for (int64_t i = 0; i < length; ++i) ro[i] = f(ra[i], rb[i]);
        } else if (sa == 1) {
            const float vb = rb[0];
#pragma omp simd
            for (int64_t i = 0; i < length; ++i) ro[i] = f(ra[i], vb);
        } else if (sb == 1) {
            const float va = ra[0];
#pragma omp simd
            for (int64_t i = 0; i < length; ++i) ro[i] = f(va, rb[i]);
        } else {
            const float v = f(ra[0], rb[0]);
            for (int64_t i = 0; i < length; ++i) ro[i] = v;
        }
    }
    return out;
}

}  // namespace hd
