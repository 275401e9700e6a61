// ops_conv.cpp — conv2d and upsample_nearest: shape checks, autograd, and the calls
// into the kernels (autograd/kernels/conv2d.h).
//
// Shapes: B batch, C channels, H W spatial, K kernel size.
#include "autograd/ops_conv.h"

#include "autograd/autograd.h"
#include "autograd/kernels/conv2d.h"

#include <fmt/format.h>

namespace hd {

// x: (B,Cin,H,W), weight: (Cout,Cin,K,K), bias: (Cout) -> (B,Cout,H',W')
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t stride, int64_t padding) {
    if (x.dim() != 4 || weight.dim() != 4 || weight.size(2) != weight.size(3) || x.size(1) != weight.size(1))
        throw ShapeError(fmt::format("conv2d: input {} and weight {} do not fit (expected input (B,Cin,H,W) "
                                     "and weight (Cout,Cin,K,K) with the same Cin)",
                                     shape_str(x.shape()), shape_str(weight.shape())));
    if (stride < 1 || padding < 0)
        throw ShapeError(fmt::format("conv2d: stride {} and padding {} are invalid (stride >= 1, padding >= 0)",
                                     stride, padding));
    kernels::Conv2dShape s{.batch = x.size(0), .in_channels = x.size(1), .out_channels = weight.size(0),
                           .height = x.size(2), .width = x.size(3), .kernel = weight.size(2),
                           .stride = stride, .padding = padding};
    if (s.height + 2 * padding < s.kernel || s.width + 2 * padding < s.kernel)
        throw ShapeError(fmt::format("conv2d: a {}x{} kernel does not fit input {} with padding {}", s.kernel,
                                     s.kernel, shape_str(x.shape()), padding));
    if (bias.defined() && bias.shape() != Shape{s.out_channels})
        throw ShapeError(fmt::format("conv2d: bias {} should have shape ({})", shape_str(bias.shape()), s.out_channels));

    Tensor out = Tensor::empty({s.batch, s.out_channels, s.out_height(), s.out_width()});
    kernels::conv2d_forward(s, x.data(), weight.data(), bias.defined() ? bias.data() : nullptr, out.data());
    record(out, "conv2d", {x, weight, bias}, [x, weight, bias, s](const Tensor& grad_out) {
        // forward was y[b,o] = Σ_c w[o,c] ⋆ x[b,c] + bias[o]  =>
        //   grad_x = the transposed convolution of grad_y with w,
        //   grad_w[o,c] = Σ_b grad_y[b,o] ⋆ x[b,c],   grad_bias[o] = Σ_{b,h,w} grad_y[b,o,h,w]
        Tensor grad_x, grad_w, grad_b;
        if (x.requires_grad()) {
            grad_x = Tensor::empty(x.shape());
            kernels::conv2d_backward_input(s, grad_out.data(), weight.data(), grad_x.data());
        }
        if (weight.requires_grad()) {
            grad_w = Tensor::empty(weight.shape());
            kernels::conv2d_backward_weight(s, x.data(), grad_out.data(), grad_w.data());
        }
        if (bias.defined() && bias.requires_grad()) {
            grad_b = Tensor::empty(bias.shape());
            kernels::conv2d_backward_bias(s, grad_out.data(), grad_b.data());
        }
        return std::vector<Tensor>{grad_x, grad_w, grad_b};
    });
    return out;
}

// x: (B,C,H,W) -> (B,C,H·f,W·f)
Tensor upsample_nearest(const Tensor& x, int64_t factor) {
    if (x.dim() != 4 || factor < 1)
        throw ShapeError(fmt::format("upsample_nearest: expected a (B,C,H,W) input and a factor >= 1, got {} "
                                     "and factor {}", shape_str(x.shape()), factor));
    const int64_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
    const int64_t out_h = H * factor, out_w = W * factor;
    Tensor out = Tensor::empty({x.size(0), x.size(1), out_h, out_w});
    const float* px = x.data();
    float* po = out.data();
#pragma omp parallel for if (out.numel() >= (1 << 15)) schedule(static)
    for (int64_t p = 0; p < planes; ++p)
        for (int64_t oh = 0; oh < out_h; ++oh) {
            const float* row = px + (p * H + oh / factor) * W;
            float* out_row = po + (p * out_h + oh) * out_w;
            for (int64_t ow = 0; ow < out_w; ++ow) out_row[ow] = row[ow / factor];
        }
    record(out, "upsample_nearest", {x}, [in_shape = x.shape(), planes, H, W, factor](const Tensor& grad_out) {
        // forward copied x[h,w] to a factor×factor block  =>  grad_x[h,w] = Σ of grad_out over that block
        Tensor grad_x = Tensor::empty(in_shape);
        const float* g = grad_out.data();
        float* gx = grad_x.data();
        const int64_t out_w = W * factor;
#pragma omp parallel for if (grad_x.numel() >= (1 << 13)) schedule(static)
        for (int64_t p = 0; p < planes; ++p)
            for (int64_t h = 0; h < H; ++h)
                for (int64_t w = 0; w < W; ++w) {
                    float total = 0.0f;
                    for (int64_t dh = 0; dh < factor; ++dh)
                        for (int64_t dw = 0; dw < factor; ++dw)
                            total += g[(p * H * factor + h * factor + dh) * out_w + w * factor + dw];
                    gx[(p * H + h) * W + w] = total;
                }
        return std::vector<Tensor>{grad_x};
    });
    return out;
}

}  // namespace hd
