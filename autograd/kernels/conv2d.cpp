// conv2d.cpp — see conv2d.h.
//
// Shape legend: B batch, Cin/Cout channels, H W input size, K kernel size, H' W' output
// size, P = H' * W' output positions of one image, R = Cin * K * K the length of one
// receptive field (the GEMM's summed dimension in the forward).
//
// The fast path lowers each convolution to our GEMM through im2col:
//   col_b: (R, P) holds, for every output position, the R input values it sees, so
//   y_b = w @ col_b            forward          (Cout,R) @ (R,P)        -> (Cout,P)
//   grad_col_b = w^T @ grad_y_b   then col2im  (R,Cout) @ (Cout,P)     -> (R,P) -> (Cin,H,W)
//   grad_w = sum_b grad_y_b @ col_b^T          (Cout,P) @ (P,R)        -> (Cout,R)
#include "autograd/kernels/conv2d.h"

#include "autograd/kernels/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

namespace hd::kernels {

// ---------------------------------------------------------------------------------------
// Naive references: direct loops, one output element at a time.
// ---------------------------------------------------------------------------------------
namespace naive {

// x: (B,Cin,H,W), w: (Cout,Cin,K,K), bias: (Cout) or nullptr -> y: (B,Cout,H',W')
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias,
                    float* y) {
    const int64_t Ho = s.out_height(), Wo = s.out_width(), K = s.kernel;
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t co = 0; co < s.out_channels; ++co)
            for (int64_t oh = 0; oh < Ho; ++oh)
                for (int64_t ow = 0; ow < Wo; ++ow) {
                    double sum = bias ? bias[co] : 0.0;
                    for (int64_t ci = 0; ci < s.in_channels; ++ci)
                        for (int64_t kh = 0; kh < K; ++kh)
                            for (int64_t kw = 0; kw < K; ++kw) {
                                int64_t ih = oh * s.stride + kh - s.padding;
                                int64_t iw = ow * s.stride + kw - s.padding;
                                if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width) continue;
                                sum += double(x[((b * s.in_channels + ci) * s.height + ih) * s.width + iw]) *
                                       double(w[((co * s.in_channels + ci) * K + kh) * K + kw]);
                            }
                    y[((b * s.out_channels + co) * Ho + oh) * Wo + ow] = float(sum);
                }
}

// forward was y[b,co,oh,ow] += x[b,ci,ih,iw] * w[co,ci,kh,kw]  =>  grad_x[b,ci,ih,iw] += grad_y * w
// grad_y: (B,Cout,H',W'), w: (Cout,Cin,K,K) -> grad_x: (B,Cin,H,W)
void conv2d_backward_input(const Conv2dShape& s, const float* grad_y, const float* w,
                           float* grad_x) {
    const int64_t Ho = s.out_height(), Wo = s.out_width(), K = s.kernel;
    std::vector<double> sum(size_t(s.batch * s.in_channels * s.height * s.width), 0.0);
    for (int64_t b = 0; b < s.batch; ++b)
        for (int64_t co = 0; co < s.out_channels; ++co)
            for (int64_t oh = 0; oh < Ho; ++oh)
                for (int64_t ow = 0; ow < Wo; ++ow) {
                    double g = grad_y[((b * s.out_channels + co) * Ho + oh) * Wo + ow];
                    for (int64_t ci = 0; ci < s.in_channels; ++ci)
                        for (int64_t kh = 0; kh < K; ++kh)
                            for (int64_t kw = 0; kw < K; ++kw) {
                                int64_t ih = oh * s.stride + kh - s.padding;
                                int64_t iw = ow * s.stride + kw - s.padding;
                                if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width) continue;
                                sum[size_t(((b * s.in_channels + ci) * s.height + ih) * s.width + iw)] +=
                                    g * double(w[((co * s.in_channels + ci) * K + kh) * K + kw]);
                            }
                }
    for (size_t i = 0; i < sum.size(); ++i) grad_x[i] = float(sum[i]);
}

// forward was y[b,co,oh,ow] += x[b,ci,ih,iw] * w[co,ci,kh,kw]  =>  grad_w[co,ci,kh,kw] += grad_y * x
// x: (B,Cin,H,W), grad_y: (B,Cout,H',W') -> grad_w: (Cout,Cin,K,K)
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* grad_y,
                            float* grad_w) {
    const int64_t Ho = s.out_height(), Wo = s.out_width(), K = s.kernel;
    for (int64_t co = 0; co < s.out_channels; ++co)
        for (int64_t ci = 0; ci < s.in_channels; ++ci)
            for (int64_t kh = 0; kh < K; ++kh)
                for (int64_t kw = 0; kw < K; ++kw) {
                    double sum = 0.0;
                    for (int64_t b = 0; b < s.batch; ++b)
                        for (int64_t oh = 0; oh < Ho; ++oh)
                            for (int64_t ow = 0; ow < Wo; ++ow) {
                                int64_t ih = oh * s.stride + kh - s.padding;
                                int64_t iw = ow * s.stride + kw - s.padding;
                                if (ih < 0 || ih >= s.height || iw < 0 || iw >= s.width) continue;
                                sum += double(grad_y[((b * s.out_channels + co) * Ho + oh) * Wo + ow]) *
                                       double(x[((b * s.in_channels + ci) * s.height + ih) * s.width + iw]);
                            }
                    grad_w[((co * s.in_channels + ci) * K + kh) * K + kw] = float(sum);
                }
}

// forward was y[b,co,oh,ow] += bias[co]  =>  grad_b[co] += grad_y[b,co,oh,ow]
// grad_y: (B,Cout,H',W') -> grad_b: (Cout)
void conv2d_backward_bias(const Conv2dShape& s, const float* grad_y, float* grad_b) {
    const int64_t P = s.out_height() * s.out_width();
    for (int64_t co = 0; co < s.out_channels; ++co) {
        double sum = 0.0;
        for (int64_t b = 0; b < s.batch; ++b)
            for (int64_t p = 0; p < P; ++p) sum += grad_y[(b * s.out_channels + co) * P + p];
        grad_b[co] = float(sum);
    }
}

}  // namespace naive

// ---------------------------------------------------------------------------------------
// Helpers for the fast path
// ---------------------------------------------------------------------------------------
namespace {

// A per-thread scratch buffer (im2col columns), allocated once and reused by later calls.
float* thread_scratch(int64_t count) {
    struct Buffer {
        float* data = nullptr;
        int64_t capacity = 0;
        ~Buffer() { std::free(data); }
    };
    thread_local Buffer buffer;
    if (count > buffer.capacity) {
        std::free(buffer.data);
        size_t bytes = (size_t(count) * sizeof(float) + 63) / 64 * 64;  // aligned_alloc wants a multiple
        buffer.data = static_cast<float*>(std::aligned_alloc(64, bytes));
        if (!buffer.data) throw std::bad_alloc();
        buffer.capacity = count;
    }
    return buffer.data;
}

// For kernel offset kw, the output columns ow whose input column ow*stride + kw - padding
// lies inside [0, W): ow in [first, last). Outside that range the input is padding (zero).
void valid_range(int64_t offset, int64_t stride, int64_t in_size, int64_t out_size,
                 int64_t& first, int64_t& last) {
    // ow * stride + offset >= 0  <=>  ow >= ceil(-offset / stride)
    first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    // ow * stride + offset <= in_size - 1  <=>  ow <= floor((in_size - 1 - offset) / stride)
    last = in_size - 1 - offset < 0 ? 0 : (in_size - 1 - offset) / stride + 1;
    first = std::min(first, out_size);
    last = std::clamp(last, first, out_size);
}

// One image: x: (Cin,H,W) -> col: (R,P), row r = (ci,kh,kw), column p = (oh,ow).
void im2col(const Conv2dShape& s, const float* x, float* col) {
    const int64_t Ho = s.out_height(), Wo = s.out_width(), K = s.kernel, P = Ho * Wo;
    for (int64_t ci = 0; ci < s.in_channels; ++ci)
        for (int64_t kh = 0; kh < K; ++kh)
            for (int64_t kw = 0; kw < K; ++kw) {
                float* row = col + ((ci * K + kh) * K + kw) * P;
                int64_t ow_first, ow_last;
                valid_range(kw - s.padding, s.stride, s.width, Wo, ow_first, ow_last);
                for (int64_t oh = 0; oh < Ho; ++oh) {
                    float* dst = row + oh * Wo;
                    int64_t ih = oh * s.stride + kh - s.padding;
                    if (ih < 0 || ih >= s.height) {
                        std::memset(dst, 0, size_t(Wo) * sizeof(float));
                        continue;
                    }
                    const float* src = x + (ci * s.height + ih) * s.width + kw - s.padding;
                    for (int64_t ow = 0; ow < ow_first; ++ow) dst[ow] = 0.0f;
                    if (s.stride == 1)
                        std::memcpy(dst + ow_first, src + ow_first, size_t(ow_last - ow_first) * sizeof(float));
                    else
                        for (int64_t ow = ow_first; ow < ow_last; ++ow) dst[ow] = src[ow * s.stride];
                    for (int64_t ow = ow_last; ow < Wo; ++ow) dst[ow] = 0.0f;
                }
            }
}

// The adjoint of im2col for one image: col: (R,P) -> grad_x: (Cin,H,W), assigned.
// Each input pixel sums the col entries that copied it, always in the same (kh,kw,oh) order.
void col2im(const Conv2dShape& s, const float* col, float* grad_x) {
    const int64_t Ho = s.out_height(), Wo = s.out_width(), K = s.kernel, P = Ho * Wo;
    std::memset(grad_x, 0, size_t(s.in_channels * s.height * s.width) * sizeof(float));
    for (int64_t ci = 0; ci < s.in_channels; ++ci)
        for (int64_t kh = 0; kh < K; ++kh)
            for (int64_t kw = 0; kw < K; ++kw) {
                const float* row = col + ((ci * K + kh) * K + kw) * P;
                int64_t ow_first, ow_last;
                valid_range(kw - s.padding, s.stride, s.width, Wo, ow_first, ow_last);
                for (int64_t oh = 0; oh < Ho; ++oh) {
                    int64_t ih = oh * s.stride + kh - s.padding;
                    if (ih < 0 || ih >= s.height) continue;
                    const float* src = row + oh * Wo;
                    float* dst = grad_x + (ci * s.height + ih) * s.width + kw - s.padding;
                    for (int64_t ow = ow_first; ow < ow_last; ++ow) dst[ow * s.stride] += src[ow];
                }
            }
}

// Run body(b) for every image: in parallel over images when there are enough of them to
// keep every thread busy (then each GEMM inside runs serially), otherwise one image at a
// time with the parallelism inside the GEMM. Both give the same bits.
template <class Body>
void for_each_image(int64_t batch, Body body) {
    if (batch >= omp_get_max_threads() && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
        for (int64_t b = 0; b < batch; ++b) body(b);
    } else {
        for (int64_t b = 0; b < batch; ++b) body(b);
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Fast path
// ---------------------------------------------------------------------------------------

// x: (B,Cin,H,W), w: (Cout,Cin,K,K), bias: (Cout) or nullptr -> y: (B,Cout,H',W')
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias,
                    float* y) {
    const int64_t P = s.out_height() * s.out_width();
    const int64_t R = s.in_channels * s.kernel * s.kernel;
    const int64_t x_image = s.in_channels * s.height * s.width, y_image = s.out_channels * P;
    for_each_image(s.batch, [&](int64_t b) {
        float* col = thread_scratch(R * P);
        im2col(s, x + b * x_image, col);
        float* y_b = y + b * y_image;
        // 1. y_b (Cout,P) = w (Cout,R) @ col (R,P)
        sgemm(false, false, s.out_channels, P, R, 1.0f, w, R, col, P, 0.0f, y_b, P);
        // 2. y_b += bias, broadcast over positions
        if (bias)
            for (int64_t co = 0; co < s.out_channels; ++co)
                for (int64_t p = 0; p < P; ++p) y_b[co * P + p] += bias[co];
    });
}

// grad_y: (B,Cout,H',W'), w: (Cout,Cin,K,K) -> grad_x: (B,Cin,H,W)
void conv2d_backward_input(const Conv2dShape& s, const float* grad_y, const float* w,
                           float* grad_x) {
    const int64_t P = s.out_height() * s.out_width();
    const int64_t R = s.in_channels * s.kernel * s.kernel;
    const int64_t x_image = s.in_channels * s.height * s.width, y_image = s.out_channels * P;
    for_each_image(s.batch, [&](int64_t b) {
        float* grad_col = thread_scratch(R * P);
        // forward was y_b = w @ col_b  =>  grad_col_b (R,P) = w^T (R,Cout) @ grad_y_b (Cout,P)
        sgemm(true, false, R, P, s.out_channels, 1.0f, w, R, grad_y + b * y_image, P, 0.0f,
              grad_col, P);
        // forward was col_b = im2col(x_b)  =>  grad_x_b = col2im(grad_col_b)
        col2im(s, grad_col, grad_x + b * x_image);
    });
}

// x: (B,Cin,H,W), grad_y: (B,Cout,H',W') -> grad_w: (Cout,Cin,K,K)
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* grad_y,
                            float* grad_w) {
    const int64_t P = s.out_height() * s.out_width();
    const int64_t R = s.in_channels * s.kernel * s.kernel;
    const int64_t x_image = s.in_channels * s.height * s.width, y_image = s.out_channels * P;
    const int64_t w_size = s.out_channels * R;
    if (s.batch <= 0) {
        std::memset(grad_w, 0, size_t(w_size) * sizeof(float));
        return;
    }

    // forward was y_b = w @ col_b  =>  grad_w += grad_y_b (Cout,P) @ col_b^T (P,R)
    // 1. Split the batch into a fixed number of chunks (independent of the thread count),
    //    each summing its images in order into its own partial gradient.
    const int64_t chunks = std::min<int64_t>(s.batch, 8);
    std::vector<float> partials(size_t((chunks - 1) * w_size));
    auto partial = [&](int64_t c) { return c == 0 ? grad_w : partials.data() + (c - 1) * w_size; };
    auto run_chunk = [&](int64_t c) {
        int64_t b0 = s.batch * c / chunks, b1 = s.batch * (c + 1) / chunks;
        float* col = thread_scratch(R * P);
        for (int64_t b = b0; b < b1; ++b) {
            im2col(s, x + b * x_image, col);
            sgemm(false, true, s.out_channels, R, P, 1.0f, grad_y + b * y_image, P, col, P,
                  b == b0 ? 0.0f : 1.0f, partial(c), R);
        }
    };
    for_each_image(chunks, run_chunk);
    // 2. Sum the partials in chunk order.
    for (int64_t c = 1; c < chunks; ++c) {
        const float* p = partial(c);
        for (int64_t i = 0; i < w_size; ++i) grad_w[i] += p[i];
    }
}

// forward was y[b,co,:,:] += bias[co]  =>  grad_b[co] = sum over b and positions of grad_y
// grad_y: (B,Cout,H',W') -> grad_b: (Cout)
void conv2d_backward_bias(const Conv2dShape& s, const float* grad_y, float* grad_b) {
    const int64_t P = s.out_height() * s.out_width();
    // Parallel over output channels: each thread owns whole sums, so no reduction races.
#pragma omp parallel for schedule(static) if (s.out_channels * s.batch * P > (1 << 16))
    for (int64_t co = 0; co < s.out_channels; ++co) {
        float sum = 0.0f;
        for (int64_t b = 0; b < s.batch; ++b) {
            const float* g = grad_y + (b * s.out_channels + co) * P;
            float image_sum = 0.0f;
            for (int64_t p = 0; p < P; ++p) image_sum += g[p];
            sum += image_sum;
        }
        grad_b[co] = sum;
    }
}

}  // namespace hd::kernels
