// gradcheck.cpp — see gradcheck.h.
#include "autograd/gradcheck.h"

#include "autograd/autograd.h"
#include "autograd/generator.h"

#include <fmt/format.h>

#include <cmath>

namespace hd {

namespace {

// L = Σ f(inputs) ⊙ w, in double.
double weighted_sum(const Tensor& y, const Tensor& w) {
    double total = 0.0;
    for (int64_t i = 0; i < y.numel(); ++i) total += double(y.data()[i]) * double(w.data()[i]);
    return total;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, GradcheckOptions options) {
    GradcheckResult result;

    // 1. Analytic gradients: backward of L, i.e. an upstream gradient w.
    for (Tensor x : inputs) x.zero_grad(); // a copy of the handle: same tensor
    Tensor y = f(inputs);
    Generator gen(options.seed);
    Tensor w = Tensor::rand(y.shape(), gen, -1.0f, 1.0f);
    y.backward(w);

    // 2. Numeric gradients, element by element.
    NoGradGuard no_grad;
    int reported = 0;
    for (size_t k = 0; k < inputs.size(); ++k) {
        Tensor x = inputs[k];
        if (!x.requires_grad()) continue;
        Tensor analytic = x.grad();
        float* values = x.data();
        for (int64_t i = 0; i < x.numel(); ++i) {
            const float original = values[i];
            values[i] = static_cast<float>(original + options.eps);
            // The step actually taken, after rounding to float.
            const double up_step = double(values[i]) - double(original);
            const double up = weighted_sum(f(inputs), w);
            values[i] = static_cast<float>(original - options.eps);
            const double down_step = double(original) - double(values[i]);
            const double down = weighted_sum(f(inputs), w);
            values[i] = original;

            const double numeric = (up - down) / (up_step + down_step);
            const double got = analytic.defined() ? double(analytic.data()[i]) : 0.0;
            const double error = std::fabs(got - numeric);
            ++result.checked;
            result.max_abs_error = std::max(result.max_abs_error, error);
            if (!(error <= options.atol + options.rtol * std::fabs(numeric))) {
                result.ok = false;
                if (reported++ < 6)
                    result.message += fmt::format("input {} {} element {}: autograd {:.6g}, finite difference "
                                                  "{:.6g}{}\n",
                                                  k, shape_str(x.shape()), i, got, numeric,
                                                  analytic.defined() ? "" : " (no gradient reached this input)");
            }
        }
    }
    if (!result.ok)
        result.message = fmt::format("gradcheck failed ({} elements checked, max |error| {:.4g}):\n{}",
                                     result.checked, result.max_abs_error, result.message);
    return result;
}

}  // namespace hd
