// tensor_compare.cpp — see tensor_compare.h.
#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>

namespace hd::test {

void require_close(const float* actual, const float* expected, int64_t count, float atol,
                   float rtol, const std::string& what) {
    std::string report;
    int64_t mismatches = 0;
    int64_t worst_index = -1;
    double worst_difference = 0.0;
    for (int64_t i = 0; i < count; ++i) {
        double difference = std::fabs(double(actual[i]) - double(expected[i]));
        bool bad = !(difference <= atol + rtol * std::fabs(double(expected[i]))); // NaN is bad
        double ranked = std::isnan(difference) ? INFINITY : difference; // NaN ranks worst
        if (worst_index < 0 || ranked > worst_difference) {
            worst_difference = ranked;
            worst_index = i;
        }
        if (bad) {
            if (mismatches < 8)
                report += fmt::format("  [{}] actual {:.7g}, expected {:.7g}, |diff| {:.3g}\n", i,
                                      actual[i], expected[i], difference);
            ++mismatches;
        }
    }
    if (mismatches > 0) {
        FAIL(fmt::format("{}: {} of {} elements differ (atol {}, rtol {}); largest |diff| {:.4g} "
                         "at [{}]\n{}",
                         what, mismatches, count, atol, rtol, worst_difference, worst_index,
                         report));
    }
    SUCCEED();
}

void require_close(const Tensor& actual, const Tensor& expected, float atol, float rtol) {
    REQUIRE(actual.defined());
    REQUIRE(expected.defined());
    if (actual.shape() != expected.shape())
        FAIL(fmt::format("shapes differ: actual {} vs expected {}", shape_str(actual.shape()),
                         shape_str(expected.shape())));
    require_close(actual.data(), expected.data(), actual.numel(), atol, rtol,
                  "tensor " + shape_str(actual.shape()));
}

}  // namespace hd::test

#include "autograd/generator.h"
#include "autograd/ops.h"

namespace hd::test {

void require_gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, GradcheckOptions options) {
    GradcheckResult result = gradcheck(f, inputs, options);
    INFO(result.message);
    REQUIRE(result.checked > 0);
    REQUIRE(result.ok);
}

std::vector<float> random_buffer(int64_t count, uint32_t seed) {
    Generator gen(seed);
    std::vector<float> values(static_cast<size_t>(count));
    for (float& v : values) v = gen.uniform(-1.0f, 1.0f);
    return values;
}

Tensor random_input(const Shape& shape, uint64_t seed, float scale) {
    Generator gen(seed);
    Tensor t = Tensor::randn(shape, gen);
    mul_(t, scale);
    return t.set_requires_grad(true);
}

}  // namespace hd::test
