// conv2d.h — 2-D convolution (cross-correlation, as in PyTorch) on raw NCHW buffers.
//
// Shape legend: B batch, Cin input channels, Cout output channels, H W input height and
// width, K the (square) kernel size, H' W' output height and width:
//   H' = (H + 2 * padding - K) / stride + 1, and the same for W'.
//   x: (B,Cin,H,W)   w: (Cout,Cin,K,K)   bias: (Cout)   y: (B,Cout,H',W')
//
// The forward and its three gradients, each fast (OpenMP + our GEMM) with a naive direct
// loop beside it as the test oracle. Every function assigns its output (the autograd op
// that calls it does the accumulating). All results are deterministic for any thread count.
//
// What it does not do: dilation, groups, non-square kernels, different strides or paddings
// per axis.
#pragma once

#include <cstdint>

namespace hd::kernels {

/// The sizes of one convolution. Fill with designated initialisers:
/// `Conv2dShape{.batch = 32, .in_channels = 3, .out_channels = 32, .height = 64,
///              .width = 64, .kernel = 3, .padding = 1}`.
struct Conv2dShape {
    int64_t batch = 1;
    int64_t in_channels = 1;
    int64_t out_channels = 1;
    int64_t height = 1;
    int64_t width = 1;
    int64_t kernel = 1;   // K: the kernel is K x K
    int64_t stride = 1;
    int64_t padding = 0;  // zeros added on every side

    int64_t out_height() const { return (height + 2 * padding - kernel) / stride + 1; }
    int64_t out_width() const { return (width + 2 * padding - kernel) / stride + 1; }
};

/// y = conv(x, w) + bias. bias may be nullptr (no bias).
// x: (B,Cin,H,W), w: (Cout,Cin,K,K), bias: (Cout) or nullptr -> y: (B,Cout,H',W')
void conv2d_forward(const Conv2dShape& shape, const float* x, const float* w, const float* bias,
                    float* y);

/// The gradient of the forward with respect to its input.
// grad_y: (B,Cout,H',W'), w: (Cout,Cin,K,K) -> grad_x: (B,Cin,H,W)
void conv2d_backward_input(const Conv2dShape& shape, const float* grad_y, const float* w,
                           float* grad_x);

/// The gradient of the forward with respect to its weight, summed over the batch.
// x: (B,Cin,H,W), grad_y: (B,Cout,H',W') -> grad_w: (Cout,Cin,K,K)
void conv2d_backward_weight(const Conv2dShape& shape, const float* x, const float* grad_y,
                            float* grad_w);

/// The gradient of the forward with respect to its bias, summed over batch and space.
// grad_y: (B,Cout,H',W') -> grad_b: (Cout)
void conv2d_backward_bias(const Conv2dShape& shape, const float* grad_y, float* grad_b);

/// The same four as plain direct loops: slow, obviously correct, the oracles of the tests.
namespace naive {
void conv2d_forward(const Conv2dShape& shape, const float* x, const float* w, const float* bias,
                    float* y);
void conv2d_backward_input(const Conv2dShape& shape, const float* grad_y, const float* w,
                           float* grad_x);
void conv2d_backward_weight(const Conv2dShape& shape, const float* x, const float* grad_y,
                            float* grad_w);
void conv2d_backward_bias(const Conv2dShape& shape, const float* grad_y, float* grad_b);
}  // namespace naive

}  // namespace hd::kernels
