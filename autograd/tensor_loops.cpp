// tensor_loops.cpp — see tensor_loops.h.
#include "autograd/tensor_loops.h"

#include <fmt/format.h>

#include <algorithm>

namespace hd {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
    const size_t rank = std::max(a.size(), b.size());
    Shape out(rank);
    for (size_t i = 0; i < rank; ++i) {
        int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da != db && da != 1 && db != 1)
            throw ShapeError(fmt::format("{}: shapes {} and {} cannot be broadcast (size {} vs {} at "
                                         "dimension {} of the result)",
                                         op, shape_str(a), shape_str(b), da, db, i));
        out[i] = da == 1 ? db : da;
    }
    return out;
}

namespace {

// Strides of an operand of shape `s` over the output's `rank` axes (0 where it is broadcast).
std::vector<int64_t> strides_over_output(const Shape& s, int64_t rank) {
    std::vector<int64_t> strides(rank, 0);
    int64_t stride = 1;
    for (int64_t d = rank - 1, k = static_cast<int64_t>(s.size()) - 1; k >= 0; --d, --k) {
        strides[d] = s[k] == 1 ? 0 : stride;
        stride *= s[k];
    }
    return strides;
}

// Start offsets of every row in both operands: an odometer over the outer axes [0, split).
void fill_row_offsets(BroadcastPlan& plan, int64_t split, const std::vector<int64_t>& sa, const std::vector<int64_t>& sb) {
    plan.rows = 1;
    for (int64_t d = 0; d < split; ++d) plan.rows *= plan.out_shape[d];
    plan.a_offsets.assign(plan.rows, 0);
    plan.b_offsets.assign(plan.rows, 0);
    std::vector<int64_t> index(split, 0);
    int64_t a_offset = 0, b_offset = 0;
    for (int64_t r = 0; r < plan.rows; ++r) {
        plan.a_offsets[r] = a_offset;
        plan.b_offsets[r] = b_offset;
        for (int64_t d = split - 1; d >= 0; --d) {
            a_offset += sa[d];
            b_offset += sb[d];
            if (++index[d] < plan.out_shape[d]) break;
            a_offset -= sa[d] * plan.out_shape[d];
            b_offset -= sb[d] * plan.out_shape[d];
            index[d] = 0;
        }
    }
}

}  // namespace

BroadcastPlan plan_broadcast(const Shape& a_shape, const Shape& b_shape, const char* op) {
    BroadcastPlan plan;
    plan.out_shape = broadcast_shapes(a_shape, b_shape, op);
    const int64_t rank = static_cast<int64_t>(plan.out_shape.size());

    // 1. Strides of each operand over the output's axes (0 where it is broadcast).
    const std::vector<int64_t> sa = strides_over_output(a_shape, rank), sb = strides_over_output(b_shape, rank);

    // 2. Merge trailing axes into one row while both operands stay contiguous (or both
    //    stay broadcast) across them, so the inner loop is as long as possible.
    int64_t split = rank; // axes [split, rank) form the row
    plan.row_length = 1;
    int64_t a_row_stride = -1, b_row_stride = -1;
    while (split > 0) {
        int64_t d = split - 1, size = plan.out_shape[d];
        if (size == 1) { --split; continue; }
        int64_t a_unit = sa[d] == 0 ? 0 : (sa[d] == plan.row_length ? 1 : -1);
        int64_t b_unit = sb[d] == 0 ? 0 : (sb[d] == plan.row_length ? 1 : -1);
        if (a_row_stride == -1 && b_row_stride == -1) { // the first (innermost) axis sets the steps
            if (a_unit < 0 || b_unit < 0) break;
            a_row_stride = a_unit;
            b_row_stride = b_unit;
        } else if (a_unit != a_row_stride || b_unit != b_row_stride) {
            break;
        }
        plan.row_length *= size;
        --split;
    }
    plan.a_step = a_row_stride < 0 ? 1 : a_row_stride;
    plan.b_step = b_row_stride < 0 ? 1 : b_row_stride;

    // 3. Start offsets of every row.
    fill_row_offsets(plan, split, sa, sb);
    return plan;
}

std::vector<int64_t> contiguous_strides(const Shape& shape) {
    std::vector<int64_t> strides(shape.size(), 1);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) strides[d] = strides[d + 1] * shape[d + 1];
    return strides;
}

Tensor strided_gather(const float* src, const Shape& out_shape, const std::vector<int64_t>& src_strides) {
    Tensor out = Tensor::empty(out_shape);
    const int64_t rank = static_cast<int64_t>(out_shape.size());
    if (out.numel() == 0) return out;
    if (rank == 0) {
        out.data()[0] = src[0];
        return out;
    }
    const int64_t length = out_shape[rank - 1], step = src_strides[rank - 1];
    const int64_t rows = out.numel() / length;
    float* dst = out.data();
#pragma omp parallel for if (out.numel() >= (1 << 15)) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        int64_t offset = 0, rest = r;
        for (int64_t d = rank - 2; d >= 0; --d) {
            offset += (rest % out_shape[d]) * src_strides[d];
            rest /= out_shape[d];
        }
        const float* row = src + offset;
        float* out_row = dst + r * length;
        for (int64_t i = 0; i < length; ++i) out_row[i] = row[i * step];
    }
    return out;
}

}  // namespace hd
