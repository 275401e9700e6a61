// ops_reduce.cpp — sum and mean over axes, amax, expand, and the composites on top of them.
//
// A reduction over one axis sees x as (outer, n, inner) and writes (outer, inner):
//   out[o, i] = Σ_k x[o, k, i]
// Every output element is owned by one thread and sums k in increasing order, so the
// result never depends on the number of threads. A sum over several axes is done one
// run of adjacent axes at a time.
#include "autograd/ops_reduce.h"

#include "autograd/autograd.h"
#include "autograd/ops_shape.h"
#include "autograd/tensor_loops.h"
#include "autograd/vector_math.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace hd {

namespace {

struct AxisSplit {
    int64_t outer = 1, n = 1, inner = 1;
};

// x seen as (outer, n, inner) with n spanning the adjacent axes [first, last].
AxisSplit split_at(const Shape& shape, int64_t first, int64_t last) {
    AxisSplit s;
    for (int64_t d = 0; d < first; ++d) s.outer *= shape[d];
    for (int64_t d = first; d <= last; ++d) s.n *= shape[d];
    for (size_t d = last + 1; d < shape.size(); ++d) s.inner *= shape[d];
    return s;
}

// x: (outer, n, inner) -> out: (outer, inner), summed over n.
void sum_axis_kernel(const float* x, float* out, AxisSplit s) {
    if (s.inner == 1) {
        // Reducing the last axis: each output is one long contiguous sum. Accumulate in
        // double so a mean over a whole image batch keeps float precision, in kLanes
        // partial sums (vector_math.h) so the loop vectorises; the order stays fixed.
        if (s.outer == 1 && s.n >= (1 << 16)) {
            // A single long sum: fixed-size chunks (independent of the thread count),
            // each summed by one thread, then the partial sums added in chunk order.
            constexpr int64_t kChunk = 1 << 14;
            const int64_t chunks = (s.n + kChunk - 1) / kChunk;
            std::vector<double> partial(chunks, 0.0);
#pragma omp parallel for schedule(static)
            for (int64_t c = 0; c < chunks; ++c)
                partial[c] = sum_in_lanes(x + c * kChunk, std::min(s.n, (c + 1) * kChunk) - c * kChunk);
            double total = 0.0;
            for (double p : partial) total += p;
            out[0] = static_cast<float>(total);
            return;
        }
#pragma omp parallel for if (s.outer * s.n >= (1 << 15)) schedule(static)
        for (int64_t o = 0; o < s.outer; ++o) out[o] = static_cast<float>(sum_in_lanes(x + o * s.n, s.n));
        return;
    }
    // Reducing a middle axis: add rows of contiguous floats (vectorised), k in order for
    // every output. Work items are (outer index, block of kColumns columns), so a sum over
    // the first axis (outer = 1: a bias gradient) still spreads over threads.
    constexpr int64_t kColumns = 64;
    const int64_t blocks = (s.inner + kColumns - 1) / kColumns;
#pragma omp parallel for if (s.outer * s.n * s.inner >= (1 << 15)) schedule(static)
    for (int64_t item = 0; item < s.outer * blocks; ++item) {
        const int64_t o = item / blocks, begin = (item % blocks) * kColumns;
        const int64_t width = std::min(kColumns, s.inner - begin);
        float* dst = out + o * s.inner + begin;
        const float* src = x + o * s.n * s.inner + begin;
        std::fill(dst, dst + width, 0.0f);
        for (int64_t k = 0; k < s.n; ++k) {
            const float* row = src + k * s.inner;
#pragma omp simd
            for (int64_t i = 0; i < width; ++i) dst[i] += row[i];
        }
    }
}

// Sorted, unique, non-negative axes; empty input means every axis.
std::vector<int64_t> resolve_axes(const std::vector<int64_t>& axes, int64_t rank, const char* op) {
    std::vector<int64_t> resolved;
    if (axes.empty()) {
        for (int64_t d = 0; d < rank; ++d) resolved.push_back(d);
        return resolved;
    }
    for (int64_t a : axes) resolved.push_back(normalize_axis(a, rank, op));
    std::sort(resolved.begin(), resolved.end());
    if (std::adjacent_find(resolved.begin(), resolved.end()) != resolved.end())
        throw ShapeError(fmt::format("{}: an axis is listed twice", op));
    return resolved;
}

// The kept-dimension shape: summed axes become 1.
Shape keepdim_shape(const Shape& shape, const std::vector<int64_t>& axes) {
    Shape kept = shape;
    for (int64_t a : axes) kept[a] = 1;
    return kept;
}

Shape dropped_shape(const Shape& shape, const std::vector<int64_t>& axes) {
    Shape dropped;
    for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d)
        if (!std::binary_search(axes.begin(), axes.end(), d)) dropped.push_back(shape[d]);
    return dropped;
}

// The numbers of sum(x, resolved axes, keepdim), unrecorded: the body that sum and mean share.
Tensor sum_over(const Tensor& x, const std::vector<int64_t>& resolved, bool keepdim) {
    const Shape& in_shape = x.shape();

    // Sum runs of adjacent axes from last to first, each pass shrinking one run to 1s
    // ((B,C,H,W) over {2,3} is one pass over rows of H·W, not two).
    Tensor current = x;
    Shape current_shape = in_shape;
    for (int64_t k = static_cast<int64_t>(resolved.size()) - 1; k >= 0;) {
        const int64_t last = resolved[k];
        while (k > 0 && resolved[k - 1] == resolved[k] - 1) --k;
        const int64_t first = resolved[k--];
        AxisSplit s = split_at(current_shape, first, last);
        for (int64_t d = first; d <= last; ++d) current_shape[d] = 1;
        Tensor next = Tensor::empty(current_shape);
        if (s.n == 0) next.fill_(0.0f);
        else sum_axis_kernel(current.data(), next.data(), s);
        current = next;
    }
    // `current` is a fresh tensor unless nothing was summed (a rank-0 input): then copy.
    Tensor out = resolved.empty() ? x.clone() : current;
    out.impl()->shape = keepdim ? keepdim_shape(in_shape, resolved) : dropped_shape(in_shape, resolved);
    return out;
}

}  // namespace

// ---- primitives ----------------------------------------------------------------------

// x: (…) -> (…) without `axes` (or with them as 1 when keepdim)
Tensor sum(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
    std::vector<int64_t> resolved = resolve_axes(axes, x.dim(), "sum");
    Tensor out = sum_over(x, resolved, keepdim);
    record(out, "sum", {x}, [in_shape = x.shape(), kept = keepdim_shape(x.shape(), resolved)](const Tensor& grad_out) {
        // forward was out = Σ_axes x  =>  grad_x = grad_out broadcast back over the summed axes
        return std::vector<Tensor>{expand(reshape(grad_out, kept), in_shape)};
    });
    return out;
}

// x: (…) -> (…) without `axes` (or with them as 1 when keepdim)
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes, bool keepdim) {
    std::vector<int64_t> resolved = resolve_axes(axes, x.dim(), "mean");
    int64_t count_of = 1;
    for (int64_t a : resolved) count_of *= x.shape()[a];
    if (count_of == 0) throw ShapeError(fmt::format("mean: no elements to average in shape {}", shape_str(x.shape())));
    const float count = static_cast<float>(count_of);
    Tensor out = map_unary(sum_over(x, resolved, keepdim), [count](float v) { return v / count; });
    record(out, "mean", {x}, [in_shape = x.shape(), kept = keepdim_shape(x.shape(), resolved), count](const Tensor& grad_out) {
        // forward was out = (Σ_axes x) / count  =>  grad_x = grad_out / count broadcast back over the axes
        Tensor grad_sum = map_unary(grad_out, [count](float g) { return g / count; });
        return std::vector<Tensor>{expand(reshape(grad_sum, kept), in_shape)};
    });
    return out;
}

Tensor amax(const Tensor& x, int64_t axis, bool keepdim) {
    int64_t a = normalize_axis(axis, x.dim(), "amax");
    AxisSplit s = split_at(x.shape(), a, a);
    if (s.n == 0) throw ShapeError(fmt::format("amax: axis {} of shape {} is empty", axis, shape_str(x.shape())));
    Shape out_shape = keepdim ? keepdim_shape(x.shape(), {a}) : dropped_shape(x.shape(), {a});
    Tensor out = Tensor::empty(out_shape);
    const float* px = x.data();
    float* po = out.data();
    for (int64_t o = 0; o < s.outer; ++o)
        for (int64_t i = 0; i < s.inner; ++i) {
            float best = -std::numeric_limits<float>::infinity();
            for (int64_t k = 0; k < s.n; ++k) best = std::max(best, px[(o * s.n + k) * s.inner + i]);
            po[o * s.inner + i] = best;
        }
    return out; // not recorded: amax is used only as a constant shift
}

// x: broadcastable to shape -> shape
Tensor expand(const Tensor& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    if (broadcast_shapes(x.shape(), shape, "expand") != shape)
        throw ShapeError(fmt::format("expand: {} cannot be expanded to {}", shape_str(x.shape()), shape_str(shape)));
    const int64_t rank = static_cast<int64_t>(shape.size()), lead = rank - x.dim();
    std::vector<int64_t> in_strides = contiguous_strides(x.shape()), gather_strides(rank, 0);
    for (int64_t d = lead; d < rank; ++d)
        gather_strides[d] = x.shape()[d - lead] == 1 ? 0 : in_strides[d - lead];
    Tensor out = strided_gather(x.data(), shape, gather_strides);
    record(out, "expand", {x}, [in_shape = x.shape()](const Tensor& grad_out) {
        // forward repeated x along the broadcast axes  =>  grad_x sums grad_out over them
        return std::vector<Tensor>{sum_to(grad_out, in_shape)};
    });
    return out;
}

// ---- composites ----------------------------------------------------------------------

Tensor sum(const Tensor& x) { return sum(x, {}, false); }

Tensor mean(const Tensor& x) { return mean(x, {}, false); }

Tensor sum_to(const Tensor& x, const Shape& shape) {
    if (x.shape() == shape) return x;
    const int64_t rank = x.dim(), target_rank = static_cast<int64_t>(shape.size());
    if (target_rank > rank || broadcast_shapes(x.shape(), shape, "sum_to") != x.shape())
        throw ShapeError(fmt::format("sum_to: {} is not a broadcast of {}", shape_str(x.shape()), shape_str(shape)));
    std::vector<int64_t> axes;
    const int64_t lead = rank - target_rank;
    for (int64_t d = 0; d < rank; ++d)
        if (d < lead || (shape[d - lead] == 1 && x.shape()[d] != 1)) axes.push_back(d);
    return reshape(sum(x, axes, true), shape);
}

}  // namespace hd
