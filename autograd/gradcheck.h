// gradcheck.h — compare autograd's gradients with central finite differences.
//
// For a function f of some tensors, gradcheck forms the scalar L = Σ f(inputs) ⊙ w
// with fixed random weights w (so every output element matters, each differently),
// runs backward for the analytic gradient, and for every element x_i of every input
// that requires grad estimates
//     ∂L/∂x_i ≈ (L(x_i + eps) - L(x_i - eps)) / (2 eps)
// in double precision. Use it on your own compositions, e.g.
//     auto result = hd::gradcheck([](auto& in) { return hd::silu(in[0]) * in[1]; }, {x, y});
//     if (!result.ok) std::puts(result.message.c_str());
// Keep inputs small (every element costs two forward passes) and away from kinks
// (relu at 0, |x| at 0), where the finite difference is wrong, not the gradient.
#pragma once

#include "autograd/tensor.h"

#include <functional>
#include <string>
#include <vector>

namespace hd {

struct GradcheckOptions {
    double eps = 1e-3;  // step of the finite difference (float32 inputs: ~1e-3 balances rounding and curvature)
    double atol = 2e-3; // an element passes when |analytic - numeric| <= atol + rtol * |numeric|
    double rtol = 2e-2;
    uint64_t seed = 7;  // for the weights w
};

struct GradcheckResult {
    bool ok = true;
    int64_t checked = 0;           // elements compared
    double max_abs_error = 0.0;    // largest |analytic - numeric|
    std::string message;           // empty when ok; else the worst elements, by input and index
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

/// Checks the gradient of `f` with respect to every input that requires grad.
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, GradcheckOptions options = {});

}  // namespace hd
