// ops_inplace.cpp — see ops_inplace.h.
#include "autograd/ops_inplace.h"

#include "autograd/tensor_loops.h"

#include <fmt/format.h>

#include <algorithm>

namespace hd {

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
