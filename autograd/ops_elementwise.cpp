// ops_elementwise.cpp — element-wise ops, forward and backward.
//
// Shapes: any. Binary ops broadcast (see ops_elementwise.h).
// Kernels: the maps of tensor_loops.h (parallel over the output, vectorised inner loops).
#include "autograd/ops_elementwise.h"

#include "autograd/autograd.h"
#include "autograd/ops_reduce.h"
#include "autograd/tensor_loops.h"
#include "autograd/vector_math.h"

#include <cmath>

namespace hd {

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

}  // namespace hd
