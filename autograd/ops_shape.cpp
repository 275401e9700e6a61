// ops_shape.cpp — reshape, permute, concat, slice, index_select.
//
// permute runs tensor_loops.h's strided gather (one output row, the last axis, at a
// time, rows spread over threads); concat and slice copy contiguous blocks.
#include "autograd/ops_shape.h"

#include "autograd/autograd.h"
#include "autograd/tensor_loops.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace hd {

int64_t normalize_axis(int64_t axis, int64_t rank, const char* op) {
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
        throw ShapeError(fmt::format("{}: axis {} is out of range for a tensor of rank {} (valid: {}..{})", op,
                                     axis, rank, -rank, rank - 1));
    return a;
}

// ---- primitives ----------------------------------------------------------------------

// x: any shape -> `shape` (same numel), sharing x's storage
Tensor reshape(const Tensor& x, const Shape& shape) {
    Shape resolved = shape;
    int64_t known = 1, inferred = -1;
    for (size_t d = 0; d < resolved.size(); ++d) {
        if (resolved[d] == -1) {
            if (inferred >= 0) throw ShapeError(fmt::format("reshape: more than one -1 in {}", shape_str(shape)));
            inferred = static_cast<int64_t>(d);
        } else if (resolved[d] < 0) {
            throw ShapeError(fmt::format("reshape: negative size in {}", shape_str(shape)));
        } else {
            known *= resolved[d];
        }
    }
    if (inferred >= 0 && known > 0 && x.numel() % known == 0) resolved[inferred] = x.numel() / known;
    if (numel_of(resolved) != x.numel() || (inferred >= 0 && resolved[inferred] < 0))
        throw ShapeError(fmt::format("reshape: cannot view {} ({} elements) as {}", shape_str(x.shape()), x.numel(),
                                     shape_str(shape)));
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = x.impl()->storage;
    impl->shape = resolved;
    Tensor out(std::move(impl));
    record(out, "reshape", {x}, [in_shape = x.shape()](const Tensor& grad_out) {
        // forward was a change of shape  =>  grad_x = grad_out in x's shape
        return std::vector<Tensor>{reshape(grad_out, in_shape)};
    });
    return out;
}

// x: (s_0,…,s_k) -> (s_order[0],…,s_order[k])
Tensor permute(const Tensor& x, const std::vector<int64_t>& order) {
    const int64_t rank = x.dim();
    if (static_cast<int64_t>(order.size()) != rank)
        throw ShapeError(fmt::format("permute: {} axes given for a tensor of shape {}", order.size(), shape_str(x.shape())));
    std::vector<int64_t> resolved(rank), inverse(rank, -1);
    for (int64_t i = 0; i < rank; ++i) {
        resolved[i] = normalize_axis(order[i], rank, "permute");
        if (inverse[resolved[i]] != -1) throw ShapeError("permute: an axis is listed twice");
        inverse[resolved[i]] = i;
    }
    std::vector<int64_t> in_strides = contiguous_strides(x.shape()), gather_strides(rank);
    Shape out_shape(rank);
    for (int64_t i = 0; i < rank; ++i) {
        out_shape[i] = x.shape()[resolved[i]];
        gather_strides[i] = in_strides[resolved[i]];
    }
    Tensor out = strided_gather(x.data(), out_shape, gather_strides);
    record(out, "permute", {x}, [inverse](const Tensor& grad_out) {
        // forward moved axis order[i] to i  =>  grad_x = grad_out permuted by the inverse order
        return std::vector<Tensor>{permute(grad_out, inverse)};
    });
    return out;
}

// [(…, n_i, …)] along axis -> (…, Σ n_i, …)
Tensor concat(const std::vector<Tensor>& tensors, int64_t axis) {
    if (tensors.empty()) throw ShapeError("concat: no tensors given");
    const Shape& first = tensors[0].shape();
    const int64_t a = normalize_axis(axis, static_cast<int64_t>(first.size()), "concat");
    Shape out_shape = first;
    out_shape[a] = 0;
    for (const Tensor& t : tensors) {
        Shape expected = first, got = t.shape();
        if (got.size() == expected.size()) expected[a] = got[a];
        if (got != expected)
            throw ShapeError(fmt::format("concat: shapes {} and {} differ outside axis {}", shape_str(first),
                                         shape_str(got), axis));
        out_shape[a] += got[a];
    }
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < a; ++d) outer *= first[d];
    for (size_t d = a + 1; d < first.size(); ++d) inner *= first[d];

    Tensor out = Tensor::empty(out_shape);
    const int64_t out_row = out_shape[a] * inner; // floats per outer index in the output
    int64_t column = 0;                            // where the current tensor starts in a row
    std::vector<int64_t> sizes;
    for (const Tensor& t : tensors) {
        const int64_t block = t.shape()[a] * inner;
        const float* src = t.data();
        float* dst = out.data() + column;
#pragma omp parallel for if (outer * block >= (1 << 15)) schedule(static)
        for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * out_row, src + o * block, sizeof(float) * block);
        column += block;
        sizes.push_back(t.shape()[a]);
    }
    record(out, "concat", tensors, [a, sizes](const Tensor& grad_out) {
        // forward placed input i at [offset_i, offset_i + n_i) of the axis  =>  grad_i is that slice
        std::vector<Tensor> grads;
        int64_t start = 0;
        for (int64_t n : sizes) {
            grads.push_back(slice(grad_out, a, start, start + n));
            start += n;
        }
        return grads;
    });
    return out;
}

// x: (…, n, …) along axis -> (…, end-start, …)
Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end) {
    const int64_t a = normalize_axis(axis, x.dim(), "slice");
    const int64_t n = x.shape()[a];
    int64_t begin = start < 0 ? start + n : start, stop = end < 0 ? end + n : end;
    if (begin < 0 || stop > n || begin > stop)
        throw ShapeError(fmt::format("slice: [{}, {}) is out of range for axis {} of size {} in shape {}", start, end,
                                     axis, n, shape_str(x.shape())));
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < a; ++d) outer *= x.shape()[d];
    for (int64_t d = a + 1; d < x.dim(); ++d) inner *= x.shape()[d];
    Shape out_shape = x.shape();
    out_shape[a] = stop - begin;
    Tensor out = Tensor::empty(out_shape);
    const int64_t block = (stop - begin) * inner;
    const float* src = x.data();
    float* dst = out.data();
#pragma omp parallel for if (outer * block >= (1 << 15)) schedule(static)
    for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * block, src + (o * n + begin) * inner, sizeof(float) * block);
    record(out, "slice", {x}, [in_shape = x.shape(), outer, inner, n, begin, block](const Tensor& grad_out) {
        // forward copied x[…, begin:stop, …]  =>  grad_x is grad_out there and 0 elsewhere
        Tensor grad_x = Tensor::zeros(in_shape);
        for (int64_t o = 0; o < outer; ++o)
            std::memcpy(grad_x.data() + (o * n + begin) * inner, grad_out.data() + o * block, sizeof(float) * block);
        return std::vector<Tensor>{grad_x};
    });
    return out;
}

// x: (…, n, …) along axis -> (…, len(indices), …)
Tensor index_select(const Tensor& x, int64_t axis, const std::vector<int64_t>& indices) {
    const int64_t a = normalize_axis(axis, x.dim(), "index_select");
    const int64_t n = x.shape()[a], count = static_cast<int64_t>(indices.size());
    for (int64_t i : indices)
        if (i < 0 || i >= n)
            throw ShapeError(fmt::format("index_select: index {} is out of range for axis {} of size {}", i, axis, n));
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < a; ++d) outer *= x.shape()[d];
    for (int64_t d = a + 1; d < x.dim(); ++d) inner *= x.shape()[d];
    Shape out_shape = x.shape();
    out_shape[a] = count;
    Tensor out = Tensor::empty(out_shape);
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t k = 0; k < count; ++k)
            std::memcpy(out.data() + (o * count + k) * inner, x.data() + (o * n + indices[k]) * inner,
                        sizeof(float) * inner);
    record(out, "index_select", {x}, [in_shape = x.shape(), indices, outer, inner, n, count](const Tensor& grad_out) {
        // forward copied row indices[k] to row k  =>  grad_x[indices[k]] += grad_out[k] (repeats add up)
        Tensor grad_x = Tensor::zeros(in_shape);
        for (int64_t o = 0; o < outer; ++o)
            for (int64_t k = 0; k < count; ++k) {
                float* dst = grad_x.data() + (o * n + indices[k]) * inner;
                const float* src = grad_out.data() + (o * count + k) * inner;
                for (int64_t i = 0; i < inner; ++i) dst[i] += src[i];
            }
        return std::vector<Tensor>{grad_x};
    });
    return out;
}

// ---- composites ----------------------------------------------------------------------

Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1) {
    std::vector<int64_t> order(x.dim());
    for (int64_t d = 0; d < x.dim(); ++d) order[d] = d;
    std::swap(order[normalize_axis(axis0, x.dim(), "transpose")], order[normalize_axis(axis1, x.dim(), "transpose")]);
    return permute(x, order);
}

Tensor unsqueeze(const Tensor& x, int64_t axis) {
    Shape shape = x.shape();
    int64_t a = normalize_axis(axis, x.dim() + 1, "unsqueeze");
    shape.insert(shape.begin() + a, 1);
    return reshape(x, shape);
}

Tensor flatten(const Tensor& x, int64_t start_axis) {
    int64_t a = normalize_axis(start_axis, x.dim(), "flatten");
    Shape shape(x.shape().begin(), x.shape().begin() + a);
    shape.push_back(-1);
    return reshape(x, shape);
}

}  // namespace hd
