// ops_fused.cpp — upsample_concat forward and backward (see ops_fused.h).
//
// Shapes: B batch, Cx Cs channels of the upsampled input and of the skip, H W the
// input's size, f the factor, OH = H·f, OW = W·f.
// Kernels: one OpenMP loop over the (B, Cx+Cs) output planes; each plane is written by
// one thread (so results do not depend on the thread count), a row at a time.
#include "autograd/ops_fused.h"

#include "autograd/autograd.h"

#include <fmt/format.h>

#include <cstring>

namespace hd {

namespace {

// One input plane (H,W) -> one output plane (H·f, W·f): each value fills an f×f block.
void upsample_plane(const float* in, int64_t H, int64_t W, int64_t f, float* out) {
    const int64_t OW = W * f;
    for (int64_t h = 0; h < H; ++h) {
        const float* row = in + h * W;
        float* first = out + h * f * OW;
        if (f == 2) {
#pragma omp simd
            for (int64_t w = 0; w < W; ++w) first[2 * w] = first[2 * w + 1] = row[w];
        } else {
            for (int64_t w = 0; w < W; ++w)
                for (int64_t k = 0; k < f; ++k) first[w * f + k] = row[w];
        }
        for (int64_t k = 1; k < f; ++k) std::memcpy(first + k * OW, first, sizeof(float) * OW);
    }
}

// One gradient plane (H·f, W·f) -> (H,W): the sum over each f×f block, rows then columns
// in order.
void downsample_sum_plane(const float* grad, int64_t H, int64_t W, int64_t f, float* out) {
    const int64_t OW = W * f;
    for (int64_t h = 0; h < H; ++h) {
        float* dst = out + h * W;
        for (int64_t w = 0; w < W; ++w) dst[w] = 0.0f;
        for (int64_t k = 0; k < f; ++k) {
            const float* row = grad + (h * f + k) * OW;
            if (f == 2) {
#pragma omp simd
                for (int64_t w = 0; w < W; ++w) dst[w] += row[2 * w] + row[2 * w + 1];
            } else {
                for (int64_t w = 0; w < W; ++w) {
                    float block = 0.0f;
                    for (int64_t j = 0; j < f; ++j) block += row[w * f + j];
                    dst[w] += block;
                }
            }
        }
    }
}

}  // namespace

// x: (B,Cx,H,W), skip: (B,Cs,H·f,W·f) -> (B,Cx+Cs,H·f,W·f)
Tensor upsample_concat(const Tensor& x, int64_t factor, const Tensor& skip) {
    if (x.dim() != 4 || skip.dim() != 4 || factor < 1 || skip.size(0) != x.size(0) ||
        skip.size(2) != x.size(2) * factor || skip.size(3) != x.size(3) * factor)
        throw ShapeError(fmt::format("upsample_concat: x {} upsampled by {} does not fit skip {} (expected "
                                     "(B,Cx,H,W) and (B,Cs,H·f,W·f))",
                                     shape_str(x.shape()), factor, shape_str(skip.shape())));
    const int64_t B = x.size(0), Cx = x.size(1), Cs = skip.size(1), H = x.size(2), W = x.size(3);
    const int64_t plane = H * factor * W * factor, C = Cx + Cs;
    Tensor out = Tensor::empty({B, C, H * factor, W * factor});
    const float* px = x.data();
    const float* ps = skip.data();
    float* po = out.data();
#pragma omp parallel for if (out.numel() >= (1 << 15)) schedule(static)
    for (int64_t bc = 0; bc < B * C; ++bc) {
        const int64_t b = bc / C, c = bc % C;
        if (c < Cx) upsample_plane(px + (b * Cx + c) * H * W, H, W, factor, po + bc * plane);
        else std::memcpy(po + bc * plane, ps + (b * Cs + c - Cx) * plane, sizeof(float) * plane);
    }
    record(out, "upsample_concat", {x, skip}, [x, skip, B, Cx, Cs, H, W, factor, plane](const Tensor& grad_out) {
        // forward was out = concat(upsample(x), skip)  =>
        //   grad_x[h,w] = Σ of grad_out's first Cx channels over the f×f block of (h,w),
        //   grad_skip = grad_out's last Cs channels
        Tensor grad_x = x.requires_grad() ? Tensor::empty(x.shape()) : Tensor();
        Tensor grad_skip = skip.requires_grad() ? Tensor::empty(skip.shape()) : Tensor();
        const float* g = grad_out.data();
        const int64_t C = Cx + Cs;
#pragma omp parallel for if (grad_out.numel() >= (1 << 15)) schedule(static)
        for (int64_t bc = 0; bc < B * C; ++bc) {
            const int64_t b = bc / C, c = bc % C;
            if (c < Cx) {
                if (grad_x.defined()) downsample_sum_plane(g + bc * plane, H, W, factor, grad_x.data() + (b * Cx + c) * H * W);
            } else if (grad_skip.defined()) {
                std::memcpy(grad_skip.data() + (b * Cs + c - Cx) * plane, g + bc * plane, sizeof(float) * plane);
            }
        }
        return std::vector<Tensor>{grad_x, grad_skip};
    });
    return out;
}

}  // namespace hd
