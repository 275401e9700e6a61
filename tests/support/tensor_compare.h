// tensor_compare.h — the one way tests compare tensors and float buffers.
//
// On failure it reports the shapes, the first few mismatching elements, and the
// largest difference with its index, then fails the current test case.
#pragma once

#include "autograd/tensor.h"

#include <cstdint>
#include <string>

namespace hd::test {

/// Element-wise |actual - expected| <= atol + rtol * |expected|, and equal shapes.
void require_close(const Tensor& actual, const Tensor& expected, float atol = 1e-5f,
                   float rtol = 1e-4f);

/// The same check on raw buffers of `count` floats; `what` names them in the report.
void require_close(const float* actual, const float* expected, int64_t count, float atol,
                   float rtol, const std::string& what = "buffer");

}  // namespace hd::test

#include "autograd/gradcheck.h"

namespace hd::test {

/// Runs hd::gradcheck and fails the test with its report when a gradient is wrong.
void require_gradcheck(const GradcheckFn& f, const std::vector<Tensor>& inputs, GradcheckOptions options = {});

/// `count` floats uniform in [-1, 1) from `seed` (for the raw-pointer kernel tests).
std::vector<float> random_buffer(int64_t count, uint32_t seed);

/// A tensor of `shape` with N(0,1) values from `seed`, requiring grad.
Tensor random_input(const Shape& shape, uint64_t seed, float scale = 1.0f);

}  // namespace hd::test
