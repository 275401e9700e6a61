// ops_elementwise.cpp — element-wise ops and broadcasting.
//
// Shapes: any. Binary ops broadcast (see ops_elementwise.h).
// Kernels: one OpenMP loop over the output; the inner loop runs over a contiguous
// stretch so the compiler vectorises it. Tensors below kParallelMin elements stay
// on one thread, where starting a team would cost more than the work.
#include "autograd/ops_elementwise.h"

#include "autograd/autograd.h"
#include "autograd/ops_reduce.h"
#include "autograd/vector_math.h"

#include <fmt/format.h>

#include <cmath>

namespace hd {

namespace {

constexpr int64_t kParallelMin = 1 << 15;

// out[i] = f(x[i])
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

// out[i] = f(x[i], y[i]) for equal shapes (the backward passes use it)
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

// How two operands walk a broadcast output: the output is seen as `rows` rows of
// `row_length` elements; in row r, operand a starts at a_offsets[r] and steps by
// a_step (0 when broadcast along the row, 1 otherwise); likewise b.
struct BroadcastPlan {
    Shape out_shape;
    int64_t rows = 1, row_length = 1;
    int64_t a_step = 1, b_step = 1;
    std::vector<int64_t> a_offsets, b_offsets;
};

BroadcastPlan plan_broadcast(const Shape& a_shape, const Shape& b_shape, const char* op) {
    BroadcastPlan plan;
    plan.out_shape = broadcast_shapes(a_shape, b_shape, op);
    const int64_t rank = static_cast<int64_t>(plan.out_shape.size());

    // 1. Strides of each operand over the output's axes (0 where it is broadcast).
    auto strides_over_output = [&](const Shape& s) {
        std::vector<int64_t> strides(rank, 0);
        int64_t stride = 1;
        for (int64_t d = rank - 1, k = static_cast<int64_t>(s.size()) - 1; k >= 0; --d, --k) {
            strides[d] = s[k] == 1 ? 0 : stride;
            stride *= s[k];
        }
        return strides;
    };
    std::vector<int64_t> sa = strides_over_output(a_shape), sb = strides_over_output(b_shape);

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

    // 3. Start offsets of every row (an odometer over the outer axes).
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
    return plan;
}

// out = f(a, b) with broadcasting
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

}  // namespace

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

// ---- binary primitives ------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
    Tensor out = map_binary(a, b, "add", [](float x, float y) { return x + y; });
    record(out, "add", {a, b}, [a_shape = a.shape(), b_shape = b.shape()](const Tensor& grad_out) {
        // forward was out = a + b  =>  grad_a = grad_out, grad_b = grad_out (summed over broadcast axes)
        return std::vector<Tensor>{sum_to(grad_out, a_shape), sum_to(grad_out, b_shape)};
    });
    return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
    Tensor out = map_binary(a, b, "sub", [](float x, float y) { return x - y; });
    record(out, "sub", {a, b}, [a_shape = a.shape(), b_shape = b.shape()](const Tensor& grad_out) {
        // forward was out = a - b  =>  grad_a = grad_out, grad_b = -grad_out
        return std::vector<Tensor>{sum_to(grad_out, a_shape), sum_to(neg(grad_out), b_shape)};
    });
    return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
    Tensor out = map_binary(a, b, "mul", [](float x, float y) { return x * y; });
    record(out, "mul", {a, b}, [a, b](const Tensor& grad_out) {
        // forward was out = a * b  =>  grad_a = grad_out * b, grad_b = grad_out * a
        Tensor grad_a = a.requires_grad() ? sum_to(mul(grad_out, b), a.shape()) : Tensor();
        Tensor grad_b = b.requires_grad() ? sum_to(mul(grad_out, a), b.shape()) : Tensor();
        return std::vector<Tensor>{grad_a, grad_b};
    });
    return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
    Tensor out = map_binary(a, b, "div", [](float x, float y) { return x / y; });
    record(out, "div", {a, b}, [a, b](const Tensor& grad_out) {
        // forward was out = a / b  =>  grad_a = grad_out / b, grad_b = -grad_out * a / b²
        Tensor grad_a = a.requires_grad() ? sum_to(div(grad_out, b), a.shape()) : Tensor();
        Tensor grad_b = b.requires_grad() ? sum_to(neg(div(mul(grad_out, a), mul(b, b))), b.shape()) : Tensor();
        return std::vector<Tensor>{grad_a, grad_b};
    });
    return out;
}

// ---- unary primitives -------------------------------------------------------------

Tensor neg(const Tensor& x) {
    Tensor out = map_unary(x, [](float v) { return -v; });
    record(out, "neg", {x}, [](const Tensor& grad_out) {
        // forward was out = -x  =>  grad_x = -grad_out
        return std::vector<Tensor>{neg(grad_out)};
    });
    return out;
}

Tensor exp(const Tensor& x) {
    Tensor out = map_unary(x, [](float v) { return std::exp(v); });
    // The backward needs exp(x) again; it saves a detached copy of the numbers (a
    // handle on the output's storage, not on the output node: no reference cycle).
    record(out, "exp", {x}, [saved = out.detach()](const Tensor& grad_out) {
        // forward was out = e^x  =>  grad_x = grad_out * e^x
        return std::vector<Tensor>{mul(grad_out, saved)};
    });
    return out;
}

Tensor log(const Tensor& x) {
    Tensor out = map_unary(x, [](float v) { return std::log(v); });
    record(out, "log", {x}, [x](const Tensor& grad_out) {
        // forward was out = ln x  =>  grad_x = grad_out / x
        return std::vector<Tensor>{div(grad_out, x)};
    });
    return out;
}

Tensor sqrt(const Tensor& x) {
    Tensor out = map_unary(x, [](float v) { return std::sqrt(v); });
    record(out, "sqrt", {x}, [saved = out.detach()](const Tensor& grad_out) {
        // forward was out = √x  =>  grad_x = grad_out / (2√x)
        return std::vector<Tensor>{map_same_shape(grad_out, saved, [](float g, float s) { return g / (2.0f * s); })};
    });
    return out;
}

Tensor pow(const Tensor& x, float exponent) {
    Tensor out = map_unary(x, [exponent](float v) { return std::pow(v, exponent); });
    record(out, "pow", {x}, [x, exponent](const Tensor& grad_out) {
        // forward was out = x^p  =>  grad_x = grad_out * p * x^(p-1)
        return std::vector<Tensor>{map_same_shape(grad_out, x, [exponent](float g, float v) {
            return g * exponent * std::pow(v, exponent - 1.0f);
        })};
    });
    return out;
}

Tensor sin(const Tensor& x) {
    Tensor out = map_unary(x, [](float v) { return std::sin(v); });
    record(out, "sin", {x}, [x](const Tensor& grad_out) {
        // forward was out = sin x  =>  grad_x = grad_out * cos x
        return std::vector<Tensor>{map_same_shape(grad_out, x, [](float g, float v) { return g * std::cos(v); })};
    });
    return out;
}

Tensor cos(const Tensor& x) {
    Tensor out = map_unary(x, [](float v) { return std::cos(v); });
    record(out, "cos", {x}, [x](const Tensor& grad_out) {
        // forward was out = cos x  =>  grad_x = -grad_out * sin x
        return std::vector<Tensor>{map_same_shape(grad_out, x, [](float g, float v) { return -g * std::sin(v); })};
    });
    return out;
}

Tensor relu(const Tensor& x) {
    Tensor out = map_unary(x, [](float v) { return v > 0.0f ? v : 0.0f; });
    record(out, "relu", {x}, [x](const Tensor& grad_out) {
        // forward was out = max(x, 0)  =>  grad_x = grad_out where x > 0, else 0
        return std::vector<Tensor>{map_same_shape(grad_out, x, [](float g, float v) { return v > 0.0f ? g : 0.0f; })};
    });
    return out;
}

namespace {
// σ through exp_vectorizable (vector_math.h): a libm expf call would keep the
// silu and sigmoid loops scalar, and SiLU runs on every UNet activation.
inline float sigmoid_of(float v) { return sigmoid_vectorizable(v); }
}  // namespace

Tensor sigmoid(const Tensor& x) {
    Tensor out = map_unary(x, [](float v) { return sigmoid_of(v); });
    record(out, "sigmoid", {x}, [saved = out.detach()](const Tensor& grad_out) {
        // forward was s = σ(x)  =>  grad_x = grad_out * s * (1 - s)
        return std::vector<Tensor>{map_same_shape(grad_out, saved, [](float g, float s) { return g * s * (1.0f - s); })};
    });
    return out;
}

Tensor silu(const Tensor& x) {
    Tensor out = map_unary(x, [](float v) { return v * sigmoid_of(v); });
    record(out, "silu", {x}, [x](const Tensor& grad_out) {
        // forward was out = x σ(x)  =>  grad_x = grad_out * (σ(x) + x σ(x) (1 - σ(x)))
        return std::vector<Tensor>{map_same_shape(grad_out, x, [](float g, float v) {
            float s = sigmoid_of(v);
            return g * s * (1.0f + v * (1.0f - s));
        })};
    });
    return out;
}

// ---- composites ---------------------------------------------------------------------

Tensor add(const Tensor& a, float b) { return add(a, Tensor::scalar(b)); }
Tensor sub(const Tensor& a, float b) { return sub(a, Tensor::scalar(b)); }
Tensor mul(const Tensor& a, float b) { return mul(a, Tensor::scalar(b)); }
Tensor div(const Tensor& a, float b) { return div(a, Tensor::scalar(b)); }
Tensor square(const Tensor& x) { return mul(x, x); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, float b) { return add(a, b); }
Tensor operator-(const Tensor& a, float b) { return sub(a, b); }
Tensor operator*(const Tensor& a, float b) { return mul(a, b); }
Tensor operator/(const Tensor& a, float b) { return div(a, b); }
Tensor operator+(float a, const Tensor& b) { return add(b, a); }
Tensor operator-(float a, const Tensor& b) { return sub(Tensor::scalar(a), b); }
Tensor operator*(float a, const Tensor& b) { return mul(b, a); }
Tensor operator-(const Tensor& x) { return neg(x); }

// ---- in place ---------------------------------------------------------------------

void add_(Tensor& a, const Tensor& b) {
    if (broadcast_shapes(a.shape(), b.shape(), "add_") != a.shape())
        throw ShapeError(fmt::format("add_: {} cannot be added in place to {} (it would change the shape)",
                                     shape_str(b.shape()), shape_str(a.shape())));
    if (a.shape() == b.shape()) {
        float* pa = a.data();
        const float* pb = b.data();
        const int64_t n = a.numel();
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
        for (int64_t i = 0; i < n; ++i) pa[i] += pb[i];
        return;
    }
    Tensor sum_ab = map_binary(a, b, "add_", [](float x, float y) { return x + y; });
    std::copy(sum_ab.data(), sum_ab.data() + sum_ab.numel(), a.data());
}

void mul_(Tensor& a, float s) {
    float* pa = a.data();
    const int64_t n = a.numel();
#pragma omp parallel for simd if (n >= kParallelMin) schedule(static)
    for (int64_t i = 0; i < n; ++i) pa[i] *= s;
}

}  // namespace hd
