// conv2d.cpp — see conv2d.h.
//
// Shape legend: B batch, Cin/Cout channels, H W input size, K kernel size, H' W' output
// size, P = H' * W' output positions of one image, R = Cin * K * K the length of one
// receptive field (the GEMM's summed dimension in the forward).
//
// The fast path lowers each convolution to our GEMM through im2col:
//   col_b: (R, P) holds, for every output position, the R input values it sees, so
//   y_b = w @ col_b              forward         (Cout,R) @ (R,P)     -> (Cout,P)
//   grad_w = sum_b grad_y_b @ col_b^T            (Cout,P) @ (P,R)     -> (Cout,R)
//   grad_x_b: for stride 1, the forward of grad_y_b with w flipped in space and transposed
//             in channels; otherwise grad_col_b = w^T @ grad_y_b then col2im (a scatter-add).
// col_b is never stored: the GEMM asks for one packed block of it at a time and Patches
// copies those runs from a zero-padded copy of the image (so the blocks stay in cache and
// no R x P buffer is written and read back). With AVX-512 and stride 1 or 2, whenever 16
// consecutive columns of col lie in one output row (all of them when W' is a multiple of
// 16), they are one vector load from the padded image: a sliver row of col is then a few
// loads and stores, and a 16 x 16 block of col^T (for grad_w) is 16 loads and an in-register
// transpose, with no staging buffer. Packing moves values only, so it never changes a sum.
//
// Threads: the batch is split over threads (one image's GEMM per thread, run serially);
// with fewer images than threads, the GEMM inside splits instead. grad_w sums the batch in
// a fixed set of chunks, each in image order, then adds the chunks in order: the bits do
// not depend on the thread count.
#include "autograd/kernels/conv2d.h"

#include "autograd/kernels/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

// AVX-512 intrinsics (<immintrin.h>) come with gemm.h.

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

// Per-thread scratch buffers, one for each use, allocated once and reused by later calls
// (no allocation in the loops).
enum class Scratch {
    grad_columns,    // conv2d_backward_input: grad_col (R,P), before col2im scatters it
    staged_patches,  // pack_transposed_staged: rows of col, before the GEMM's packer transposes them
    padded_image,    // pad_image: the image inside its zero border
    kinds            // (the number of uses)
};

float* thread_scratch(Scratch use, int64_t count) {
    struct Buffer {
        float* data = nullptr;
        int64_t capacity = 0;
        ~Buffer() { std::free(data); }
    };
    thread_local Buffer buffers[static_cast<int>(Scratch::kinds)];
    Buffer& buffer = buffers[static_cast<int>(use)];
    if (count > buffer.capacity) {
        std::free(buffer.data);
        size_t bytes = (size_t(count) * sizeof(float) + 63) / 64 * 64;  // aligned_alloc wants a multiple
        buffer.data = static_cast<float*>(std::aligned_alloc(64, bytes));
        if (!buffer.data) throw std::bad_alloc();
        buffer.capacity = count;
    }
    return buffer.data;
}

// dst[0 : n] = src[0 : n] and dst[0 : n] = 0 for the short runs (tens of floats) that
// packing copies: a memcpy call per run would cost more than the copy.
__attribute__((always_inline)) inline void copy_run(float* dst, const float* src, int64_t n) {
#if defined(__AVX512F__)
    for (; n >= 16; n -= 16, dst += 16, src += 16) _mm512_storeu_ps(dst, _mm512_loadu_ps(src));
    if (n > 0) {
        __mmask16 mask = __mmask16((1u << n) - 1);  // masked-off lanes are neither read nor written
        _mm512_mask_storeu_ps(dst, mask, _mm512_maskz_loadu_ps(mask, src));
    }
#else
    std::memcpy(dst, src, size_t(n) * sizeof(float));
#endif
}

__attribute__((always_inline)) inline void zero_run(float* dst, int64_t n) {
#if defined(__AVX512F__)
    for (; n >= 16; n -= 16, dst += 16) _mm512_storeu_ps(dst, _mm512_setzero_ps());
    if (n > 0) _mm512_mask_storeu_ps(dst, __mmask16((1u << n) - 1), _mm512_setzero_ps());
#else
    std::memset(dst, 0, size_t(n) * sizeof(float));
#endif
}

// dst[0 : n] += value (the forward's bias; -O2 leaves the plain loop scalar).
inline void add_to_run(float* dst, float value, int64_t n) {
#if defined(__AVX512F__)
    __m512 v = _mm512_set1_ps(value);
    for (; n >= 16; n -= 16, dst += 16) _mm512_storeu_ps(dst, _mm512_add_ps(_mm512_loadu_ps(dst), v));
    if (n > 0) {
        __mmask16 mask = __mmask16((1u << n) - 1);
        _mm512_mask_storeu_ps(dst, mask, _mm512_add_ps(_mm512_maskz_loadu_ps(mask, dst), v));
    }
#else
    for (int64_t i = 0; i < n; ++i) dst[i] += value;
#endif
}

// For kernel offset `offset` (= kw - padding), the output columns ow whose input column
// ow * stride + offset lies inside [0, in_size): ow in [first, last). Elsewhere: padding.
void valid_range(int64_t offset, int64_t stride, int64_t in_size, int64_t out_size,
                 int64_t& first, int64_t& last) {
    // ow * stride + offset >= 0  <=>  ow >= ceil(-offset / stride)
    first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    // ow * stride + offset <= in_size - 1  <=>  ow <= floor((in_size - 1 - offset) / stride)
    last = in_size - 1 - offset < 0 ? 0 : (in_size - 1 - offset) / stride + 1;
    first = std::min(first, out_size);
    last = std::clamp(last, first, out_size);
}

// ---------------------------------------------------------------------------------------
// The im2col matrix of one image, never stored: col: (R,P) with
//   col[(ci,kh,kw), (oh,ow)] = x[ci, oh*stride + kh - padding, ow*stride + kw - padding]
// (zero where that falls in the padding). The GEMM's B packer reads runs of it on demand
// from a zero-padded copy of the image (small, in L2), instead of writing and re-reading
// an R x P buffer; with the padding made real, every run is a plain copy, no bounds checks.
//
// In three steps, each a function below: pad_image makes the zero-bordered copy; a packer
// then writes the GEMM's packed slivers of col (pack_col: the forward's B = col) or of
// col^T (pack_col_transposed: grad_weight's B = col^T), with AVX-512 straight from whole
// vectors where 16 columns of col lie in one output row (pack_sliver_vectors,
// pack_transposed_direct), otherwise run by run (pack_sliver_by_runs,
// pack_transposed_staged). Patches ties them together for one image.
// ---------------------------------------------------------------------------------------

constexpr int64_t kMaxWidth = 64;          // the widest packed sliver we support
constexpr int64_t kPrefetchFloats = 1024;  // 4 KiB ahead: measured, 1-16 KiB all help

// One image inside a zero border of `padding` on every side.
struct PaddedImage {
    const Conv2dShape& s;
    int64_t Wo;          // output width W'
    int64_t Hp, Wp;      // padded height and width: H + 2·padding, W + 2·padding
    const float* data;   // (Cin, Hp, Wp), in this thread's scratch
};

// Step 1. x: (Cin,H,W) of one image -> this thread's (Cin, Hp, Wp) scratch, border zeroed.
inline PaddedImage pad_image(const Conv2dShape& s, const float* x) {
    PaddedImage image{s, s.out_width(), s.height + 2 * s.padding, s.width + 2 * s.padding, nullptr};
    const int64_t Hp = image.Hp, Wp = image.Wp;
    float* padded = thread_scratch(Scratch::padded_image, s.in_channels * Hp * Wp);
    const int64_t image_size = s.in_channels * s.height * s.width;
    for (int64_t ci = 0; ci < s.in_channels; ++ci) {
        float* channel = padded + ci * Hp * Wp;
        zero_run(channel, s.padding * Wp);                                  // top rows
        for (int64_t h = 0; h < s.height; ++h) {
            float* row = channel + (h + s.padding) * Wp;
            zero_run(row, s.padding);                                        // left
            const int64_t offset = (ci * s.height + h) * s.width;
            // The image usually comes from L3 or memory and this copy is its first
            // reader: ask for the row kPrefetchFloats ahead now, so that it has arrived
            // when we get there (measured: about 2 % of a UNet step at C=16).
            if (offset + kPrefetchFloats + s.width <= image_size)
                for (int64_t i = 0; i < s.width; i += 16)
                    __builtin_prefetch(x + offset + kPrefetchFloats + i, 0, 3);
            copy_run(row + s.padding, x + offset, s.width);
            zero_run(row + s.padding + s.width, s.padding);                  // right
        }
        zero_run(channel + (s.padding + s.height) * Wp, s.padding * Wp);    // bottom rows
    }
    image.data = padded;
    return image;
}

// The receptive-field offset after r = (ci,kh,kw): kw fastest, then kh, then ci.
__attribute__((always_inline)) inline void next_offset(int64_t K, int64_t& ci, int64_t& kh, int64_t& kw) {
    if (++kw == K) {
        kw = 0;
        if (++kh == K) {
            kh = 0;
            ++ci;
        }
    }
}

// ---- step 2, run by run (any stride, any layout) ----------------------------------------

// dst[i] = col[(ci,kh,kw), (oh, ow + i)] for i in [0, length): part of one output row.
__attribute__((always_inline)) inline void gather_run(const PaddedImage& im, int64_t ci, int64_t kh, int64_t kw,
                                                      int64_t oh, int64_t ow, int64_t length, float* dst) {
    const int64_t stride = im.s.stride;
    const float* src = im.data + (ci * im.Hp + oh * stride + kh) * im.Wp + ow * stride + kw;
    if (stride == 1)
        copy_run(dst, src, length);
    else
        for (int64_t i = 0; i < length; ++i) dst[i] = src[i * stride];
}

// dst[i] = col[r, p0 + i] for i in [0, count): one row of col, in runs that each stay
// inside one output row (oh), where (for stride 1) the input row is contiguous.
inline void gather_col_row(const PaddedImage& im, int64_t r, int64_t p0, int64_t count, float* dst) {
    const int64_t K = im.s.kernel;
    const int64_t ci = r / (K * K), kh = r / K % K, kw = r % K;
    int64_t oh = p0 / im.Wo, ow = p0 % im.Wo;
    while (count > 0) {
        int64_t run = std::min(count, im.Wo - ow);  // output columns [ow, ow + run) of row oh
        gather_run(im, ci, kh, kw, oh, ow, run, dst);
        dst += run;
        count -= run;
        ow = 0;
        ++oh;
    }
}

// Output positions [p, p + count) as runs that each stay inside one output row.
struct RowRun {
    int64_t oh, ow, length;
};

// Fills runs[0 : n) and returns n (at most count, so kMaxWidth runs suffice for a sliver).
inline int64_t split_into_row_runs(int64_t Wo, int64_t p, int64_t count, RowRun* runs) {
    int64_t run_count = 0;
    for (int64_t left = count; left > 0; ++run_count) {
        int64_t oh = p / Wo, ow = p % Wo;
        int64_t length = std::min(left, Wo - ow);
        runs[run_count] = {oh, ow, length};
        p += length;
        left -= length;
    }
    return run_count;
}

// One packed sliver of col: dst[r, i] = col[r0 + r, p + i] for r in [0, rc), i in
// [0, cols), and zeros for i in [cols, width).
inline void pack_sliver_by_runs(const PaddedImage& im, int64_t r0, int64_t rc, int64_t p, int64_t cols, int64_t width,
                         float* dst) {
    const int64_t K = im.s.kernel;
    // 1. Split this sliver's output positions into runs along output rows, once.
    RowRun runs[kMaxWidth];
    const int64_t run_count = split_into_row_runs(im.Wo, p, cols, runs);
    // 2. One sliver row per receptive-field offset r = (ci,kh,kw), walked in order.
    int64_t ci = r0 / (K * K), kh = r0 / K % K, kw = r0 % K;
    for (int64_t r = 0; r < rc; ++r) {
        float* d = dst + r * width;
        for (int64_t i = 0; i < run_count; ++i) {
            gather_run(im, ci, kh, kw, runs[i].oh, runs[i].ow, runs[i].length, d);
            d += runs[i].length;
        }
        zero_run(d, width - cols);
        next_offset(K, ci, kh, kw);
    }
}

// The packed slivers of col^T (P,R), rows p in [p0, p0 + pc), columns r in [r0, r0 + rc):
// each sliver's rows of col are staged contiguously (in L1), then transposed into place by
// the GEMM's own packer.
inline void pack_transposed_staged(const PaddedImage& im, int64_t p0, int64_t pc, int64_t r0, int64_t rc, float* packed) {
    const int64_t width = sgemm_pack_width();
    float* staged = thread_scratch(Scratch::staged_patches, width * pc);  // (width, pc): rows of col
    for (int64_t sl = 0; sl < rc; sl += width) {
        int64_t cols = std::min(width, rc - sl);
        for (int64_t c = 0; c < cols; ++c) gather_col_row(im, r0 + sl + c, p0, pc, staged + c * pc);
        // staged holds col[r0+sl : r0+sl+cols, p0 : p0+pc]; op(B) = its transpose
        sgemm_pack_b(true, staged, pc, 0, pc, 0, cols, packed + sl * pc);
    }
}

#if defined(__AVX512F__)
// ---- step 2 with whole vectors (AVX-512, stride 1 or 2) --------------------------------

// Sixteen consecutive columns p .. p+15 of any one row r of col, when they lie in one
// output row oh: lane i holds col[r, p + i] = padded[offset(r) + start + i * stride],
// offset(r) = (ci * Hp + kh) * Wp + kw, start = oh * stride * Wp + ow * stride. Lanes
// past the block's last column are zero (they become the zero padding of a sliver).
struct Chunk {
    int64_t start;
    __mmask16 lanes;       // lanes that hold a column of the block
    __mmask16 low, high;   // stride 2: the floats read by the two 16-float loads
};

// Describes columns [p, p + count) (count <= 16) as a chunk; false if they cross into
// the next output row or the stride has no vector path.
inline bool describe_chunk(const PaddedImage& im, int64_t p, int64_t count, Chunk& chunk) {
    auto first = [](int64_t n) {  // a mask of the first n lanes, n clamped to [0, 16]
        return __mmask16(n >= 16 ? 0xFFFF : n <= 0 ? 0 : (1u << n) - 1);
    };
    const int64_t stride = im.s.stride;
    if (stride != 1 && stride != 2) return false;
    const int64_t oh = p / im.Wo, ow = p % im.Wo;
    if (count > 0 && ow + count > im.Wo) return false;
    // an empty chunk (past the block) reads nothing: point it at the image's start
    chunk.start = count > 0 ? oh * stride * im.Wp + ow * stride : 0;
    chunk.lanes = first(count);
    // stride 2 reads floats 0 .. 2 * (count - 1): the first 16 of them, then the rest
    chunk.low = first(2 * count - 1);
    chunk.high = first(2 * count - 1 - 16);
    return true;
}

// One chunk's 16 lanes from src = padded + offset(r) + chunk.start; row_mask (all lanes
// or none) zeroes the whole chunk. Masked-off floats are neither read nor kept, so a
// chunk at the end of the image reads nothing past it.
template <int kStride>
__attribute__((always_inline)) inline __m512 load_chunk(const float* src, const Chunk& chunk,
                                                        __mmask16 row_mask = 0xFFFF) {
    if constexpr (kStride == 1) {
        return _mm512_maskz_loadu_ps(chunk.lanes & row_mask, src);
    } else {
        // stride 2: lane i is float 2i of the 32 starting at src, i.e. the even floats
        const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        __m512 low = _mm512_maskz_loadu_ps(chunk.low & row_mask, src);
        __m512 high = _mm512_maskz_loadu_ps(chunk.high & row_mask, src + 16);
        return _mm512_maskz_permutex2var_ps(chunk.lanes, low, even, high);
    }
}

// dst[r, 16v + i] = col[r0 + r, p + 16v + i]: sliver rows r in [0, rc). Walks
// r = (ci,kh,kw) as a pointer to row kh of channel ci of the padded image, plus kw;
// each chunk's start adds its own output row and column.
template <int kStride, int kChunks>
inline void pack_sliver_rows(const PaddedImage& im, const Chunk* chunks, int64_t r0, int64_t rc, float* dst) {
    const int64_t K = im.s.kernel, Wp = im.Wp, Hp = im.Hp;
    Chunk local[kChunks];  // in registers, not reloaded after every store
    for (int v = 0; v < kChunks; ++v) local[v] = chunks[v];
    int64_t ci = r0 / (K * K), kh = r0 / K % K, kw = r0 % K;
    const float* row = im.data + (ci * Hp + kh) * Wp;
    for (int64_t r = 0; r < rc; ++r, dst += 16 * kChunks) {
#pragma GCC unroll 4
        for (int v = 0; v < kChunks; ++v)
            _mm512_storeu_ps(dst + 16 * v, load_chunk<kStride>(row + kw + local[v].start, local[v]));
        if (++kw == K) {
            kw = 0;
            row += Wp;              // next kh: one input row down
            if (++kh == K) {
                kh = 0;
                row += (Hp - K) * Wp;  // next ci: the top of the next channel
            }
        }
    }
}

// pack_sliver_by_runs for one sliver, columns [p, p + cols) of rows [r0, r0 + rc), when
// every 16 columns of it lie in one output row (always, when W' is a multiple of 16): each
// sliver row is then width / 16 vector loads from the padded image and as many stores,
// with no per-run bookkeeping. The zero columns past cols come from the masked lanes.
// False (nothing written) when the sliver does not qualify.
inline bool pack_sliver_vectors(const PaddedImage& im, int64_t r0, int64_t rc, int64_t p, int64_t cols, int64_t width,
                         float* dst) {
    if (width % 16 != 0 || width > kMaxWidth) return false;
    Chunk chunks[kMaxWidth / 16];
    for (int64_t v = 0; v < width / 16; ++v)
        if (!describe_chunk(im, p + 16 * v, std::clamp<int64_t>(cols - 16 * v, 0, 16), chunks[v])) return false;
    // constant stride and vector count per row, so the row loop has no branches
    auto pack_rows = [&]<int kStride>() {
        switch (width / 16) {
            case 1: pack_sliver_rows<kStride, 1>(im, chunks, r0, rc, dst); break;
            case 2: pack_sliver_rows<kStride, 2>(im, chunks, r0, rc, dst); break;
            case 3: pack_sliver_rows<kStride, 3>(im, chunks, r0, rc, dst); break;
            default: pack_sliver_rows<kStride, 4>(im, chunks, r0, rc, dst); break;
        }
    };
    if (im.s.stride == 1) pack_rows.template operator()<1>();
    else pack_rows.template operator()<2>();
    return true;
}

// Where the 16 rows r, r+1, … of col that become sliver columns g .. g+15 start in the
// padded image (rows[i], before the chunk's start is added), and which of them exist
// (row_mask[i]: all lanes for r + i < r_end, none past it — they load as the sliver's
// zero padding and point at the last row, a valid address).
__attribute__((always_inline)) inline void locate_col_rows(const PaddedImage& im, int64_t r, int64_t r_end,
                                                           const float* rows[16], __mmask16 row_mask[16]) {
    const int64_t K = im.s.kernel;
    const int64_t first = std::min(r, r_end - 1);  // clamped: a valid address
    int64_t ci = first / (K * K), kh = first / K % K, kw = first % K;
    for (int64_t i = 0; i < 16; ++i) {
        rows[i] = im.data + (ci * im.Hp + kh) * im.Wp + kw;
        row_mask[i] = r + i < r_end ? 0xFFFF : 0;
        if (r + i + 1 >= r_end) continue;  // stay on the last row (masked off)
        next_offset(K, ci, kh, kw);
    }
}

// packed[sl * pc + p * width + c] = col[r0 + sl + c, p0 + p] for every sliver sl, with
// the columns p0 + p described by chunks (chunk k: p in [16k, 16k + 16)).
template <int kStride>
inline void pack_transposed_blocks(const PaddedImage& im, const Chunk* chunks, int64_t pc, int64_t r0, int64_t rc,
                            float* packed) {
    const int64_t width = sgemm_pack_width();
    for (int64_t sl = 0; sl < rc; sl += width) {
        float* sliver = packed + sl * pc;  // pc rows of width
        for (int64_t g = 0; g < width; g += 16) {
            // 1. The 16 rows of col that become sliver columns g .. g+15.
            const float* rows[16];
            __mmask16 row_mask[16];
            locate_col_rows(im, r0 + sl + g, r0 + rc, rows, row_mask);
            // 2. Each 16-column chunk of those rows: load, transpose, store its columns.
            for (int64_t k = 0; k * 16 < pc; ++k) {
                const Chunk chunk = chunks[k];
                __m512 block[16];
#pragma GCC unroll 16
                for (int i = 0; i < 16; ++i)
                    block[i] = load_chunk<kStride>(rows[i] + chunk.start, chunk, row_mask[i]);
                transpose_16x16(block);  // block[j] = col[r0+sl+g .. +15, p0 + 16k + j]
                // (constant indices into block, so that it stays in registers)
                const int64_t count = std::min<int64_t>(16, pc - 16 * k);
                float* dst = sliver + 16 * k * width + g;
#pragma GCC unroll 16
                for (int j = 0; j < 16; ++j, dst += width)
                    if (j < count) _mm512_storeu_ps(dst, block[j]);
            }
        }
    }
}

// pack_transposed_staged without staging, when every 16 of the columns [p0, p0 + pc) lie
// in one output row: for each 16 x 16 block (16 receptive-field offsets r, 16 positions
// p), load the 16 rows of col straight from the padded image, transpose in registers and
// store the 16 sliver rows: no staging buffer written and read back. False (nothing
// written) when the block does not qualify.
inline bool pack_transposed_direct(const PaddedImage& im, int64_t p0, int64_t pc, int64_t r0, int64_t rc, float* packed) {
    constexpr int64_t kMaxChunks = 16;  // pc up to 256: the GEMM's K slab
    const int64_t width = sgemm_pack_width();
    if (width % 16 != 0 || pc > 16 * kMaxChunks) return false;
    Chunk chunks[kMaxChunks];
    for (int64_t k = 0; k < (pc + 15) / 16; ++k)
        if (!describe_chunk(im, p0 + 16 * k, std::min<int64_t>(16, pc - 16 * k), chunks[k])) return false;
    if (im.s.stride == 1) pack_transposed_blocks<1>(im, chunks, pc, r0, rc, packed);
    else pack_transposed_blocks<2>(im, chunks, pc, r0, rc, packed);
    return true;
}
#endif

// ---- Patches: the three steps for one image ----------------------------------------------

class Patches {
public:
    // x: (Cin,H,W) of one image (step 1: its zero-bordered copy is made here)
    Patches(const Conv2dShape& s, const float* x) : image_(pad_image(s, x)) {
        if (sgemm_pack_width() > kMaxWidth) throw std::logic_error("conv2d: GEMM tile too wide");
    }

    // The packer for op(B) = col (R,P): rows r, columns p (used by the forward).
    void pack_col(int64_t r0, int64_t rc, int64_t p0, int64_t pc, float* packed) const {
        const int64_t width = sgemm_pack_width();
        for (int64_t sl = 0; sl < pc; sl += width) {
            const int64_t cols = std::min(width, pc - sl);
            float* dst = packed + sl * rc;
#if defined(__AVX512F__)
            if (pack_sliver_vectors(image_, r0, rc, p0 + sl, cols, width, dst)) continue;  // the usual case
#endif
            pack_sliver_by_runs(image_, r0, rc, p0 + sl, cols, width, dst);
        }
    }

    // The packer for op(B) = col^T (P,R): rows p, columns r (used by grad_weight).
    void pack_col_transposed(int64_t p0, int64_t pc, int64_t r0, int64_t rc, float* packed) const {
#if defined(__AVX512F__)
        if (pack_transposed_direct(image_, p0, pc, r0, rc, packed)) return;  // the usual case
#endif
        pack_transposed_staged(image_, p0, pc, r0, rc, packed);
    }

private:
    PaddedImage image_;
};

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

// sums[c] = g[c,0] + g[c,1] + ... + g[c,P-1], added in that order from 0.
// g: (C,P) -> sums: (C)
void channel_sums(const float* g, int64_t C, int64_t P, float* sums) {
    int64_t c0 = 0;
#if defined(__AVX512F__)
    // One channel per lane: a 16 x 16 block (16 channels, 16 positions) is transposed so
    // that vector j holds position p + j of all 16 channels, and the vectors are added in
    // p order: every lane still sums its channel serially, but 16 channels at a time
    // instead of one latency-bound scalar chain.
    for (; c0 < C; c0 += 16) {
        const int64_t channels = std::min<int64_t>(16, C - c0);
        __m512 acc = _mm512_setzero_ps();
        for (int64_t p = 0; p < P; p += 16) {
            const int64_t count = std::min<int64_t>(16, P - p);
            const __mmask16 mask = __mmask16(count >= 16 ? 0xFFFF : (1u << count) - 1);
            __m512 block[16];
            for (int64_t i = 0; i < 16; ++i)
                block[i] = i < channels ? _mm512_maskz_loadu_ps(mask, g + (c0 + i) * P + p)
                                        : _mm512_setzero_ps();
            transpose_16x16(block);  // block[j] = g[c0 .. c0+15, p + j]
#pragma GCC unroll 16
            for (int j = 0; j < 16; ++j)  // constant indices: block stays in registers
                if (j < count) acc = _mm512_add_ps(acc, block[j]);
        }
        _mm512_mask_storeu_ps(sums + c0, __mmask16(channels >= 16 ? 0xFFFF : (1u << channels) - 1), acc);
    }
#endif
    for (int64_t c = c0; c < C; ++c) {
        float sum = 0.0f;
        for (int64_t p = 0; p < P; ++p) sum += g[c * P + p];
        sums[c] = sum;
    }
}

// Run body(b) for every b in [0, count): in parallel when there are enough items to keep
// every thread busy (then each GEMM inside runs serially), otherwise one at a time with
// the parallelism inside the GEMM. Both give the same bits, since each item writes its own
// output. Dynamic scheduling: on a shared machine, a thread that gets descheduled no
// longer holds up a fixed half of the batch.
template <class Body>
void for_each_item(int64_t count, Body body) {
    if (count >= omp_get_max_threads() && !omp_in_parallel()) {
#pragma omp parallel for schedule(dynamic, 1)
        for (int64_t b = 0; b < count; ++b) body(b);
    } else {
        for (int64_t b = 0; b < count; ++b) body(b);
    }
}

// The forward, shared by conv2d_forward and (for stride 1) conv2d_backward_input.
// x: (B,Cin,H,W), w: (Cout,Cin,K,K), bias: (Cout) or nullptr -> y: (B,Cout,H',W')
void forward_images(const Conv2dShape& s, const float* x, const float* w, const float* bias,
                    float* y) {
    const int64_t P = s.out_height() * s.out_width();
    const int64_t R = s.in_channels * s.kernel * s.kernel;
    const int64_t x_image = s.in_channels * s.height * s.width, y_image = s.out_channels * P;
    for_each_item(s.batch, [&](int64_t b) {
        Patches patches(s, x + b * x_image);
        PackB pack = [&](int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* packed) {
            patches.pack_col(k0, kc, j0, nc, packed);
        };
        // 1. y_b (Cout,P) = w (Cout,R) @ col_b (R,P)
        float* y_b = y + b * y_image;
        sgemm_custom_b(false, s.out_channels, P, R, 1.0f, w, R, pack, 0.0f, y_b, P);
        // 2. y_b += bias, broadcast over positions, while y_b is still in cache
        if (bias)
            for (int64_t co = 0; co < s.out_channels; ++co) add_to_run(y_b + co * P, bias[co], P);
    });
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Fast path
// ---------------------------------------------------------------------------------------

// x: (B,Cin,H,W), w: (Cout,Cin,K,K), bias: (Cout) or nullptr -> y: (B,Cout,H',W')
void conv2d_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias,
                    float* y) {
    forward_images(s, x, w, bias, y);
}

// grad_y: (B,Cout,H',W'), w: (Cout,Cin,K,K) -> grad_x: (B,Cin,H,W)
void conv2d_backward_input(const Conv2dShape& s, const float* grad_y, const float* w,
                           float* grad_x) {
    const int64_t K = s.kernel, Ho = s.out_height(), Wo = s.out_width(), P = Ho * Wo;
    const int64_t R = s.in_channels * K * K;
    const int64_t x_image = s.in_channels * s.height * s.width, y_image = s.out_channels * P;
    if (Ho <= 0 || Wo <= 0) {  // the kernel is larger than the padded input: no output
        std::memset(grad_x, 0, size_t(s.batch * x_image) * sizeof(float));
        return;
    }

    // The flipped form below multiplies a (Cin, Cout*K*K) matrix: with very few input
    // channels (the first layer's 3) most of its 8-row register tiles would be padding, and
    // the transposed form (R = Cin*K*K rows) wastes far less.
    if (s.stride == 1 && s.padding <= K - 1 && s.in_channels >= 8) {
        // With stride 1 the input gradient is itself a convolution, of grad_y with the
        // kernel flipped in space and transposed in channels, padded by K - 1 - padding:
        //   grad_x[ci, ih, iw] = sum_{co,kh,kw} grad_y[co, ih - kh + p, iw - kw + p] w[co,ci,kh,kw]
        //                      = sum_{co,a,b} grad_y[co, ih + a - (K-1-p), ...] w[co,ci,K-1-a,K-1-b]
        // so it runs on the fast forward path: no scatter-add, and a deep GEMM (Cout*K*K).
        std::vector<float> w_flipped(size_t(s.out_channels * R));  // (Cin,Cout,K,K)
        for (int64_t co = 0; co < s.out_channels; ++co)
            for (int64_t ci = 0; ci < s.in_channels; ++ci)
                for (int64_t kh = 0; kh < K; ++kh)
                    for (int64_t kw = 0; kw < K; ++kw)
                        w_flipped[size_t(((ci * s.out_channels + co) * K + K - 1 - kh) * K + K - 1 - kw)] =
                            w[((co * s.in_channels + ci) * K + kh) * K + kw];
        Conv2dShape flipped{.batch = s.batch, .in_channels = s.out_channels,
                            .out_channels = s.in_channels, .height = Ho, .width = Wo, .kernel = K,
                            .stride = 1, .padding = K - 1 - s.padding};
        forward_images(flipped, grad_y, w_flipped.data(), nullptr, grad_x);
        return;
    }

    // Any stride: the adjoint of the forward's lowering, image by image.
    for_each_item(s.batch, [&](int64_t b) {
        float* grad_col = thread_scratch(Scratch::grad_columns, R * P);
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
    if (s.batch <= 0 || s.out_height() <= 0 || s.out_width() <= 0) {  // nothing to sum
        std::memset(grad_w, 0, size_t(w_size) * sizeof(float));
        return;
    }

    // forward was y_b = w @ col_b  =>  grad_w += grad_y_b (Cout,P) @ col_b^T (P,R)
    // 1. Split the batch into a fixed number of chunks (independent of the thread count),
    //    each summing its images in order into its own partial gradient.
    const int64_t chunks = std::min<int64_t>(s.batch, 8);
    std::vector<float> partials(size_t((chunks - 1) * w_size));
    auto partial = [&](int64_t c) { return c == 0 ? grad_w : partials.data() + (c - 1) * w_size; };
    for_each_item(chunks, [&](int64_t c) {
        int64_t b0 = s.batch * c / chunks, b1 = s.batch * (c + 1) / chunks;
        for (int64_t b = b0; b < b1; ++b) {
            Patches patches(s, x + b * x_image);
            PackB pack = [&](int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* packed) {
                patches.pack_col_transposed(k0, kc, j0, nc, packed);
            };
            sgemm_custom_b(false, s.out_channels, R, P, 1.0f, grad_y + b * y_image, P, pack,
                           b == b0 ? 0.0f : 1.0f, partial(c), R);
        }
    });
    // 2. Sum the partials in chunk order.
    for (int64_t c = 1; c < chunks; ++c) {
        const float* p = partial(c);
        for (int64_t i = 0; i < w_size; ++i) grad_w[i] += p[i];
    }
}

// forward was y[b,co,:,:] += bias[co]  =>  grad_b[co] = sum over b and positions of grad_y
// grad_y: (B,Cout,H',W') -> grad_b: (Cout)
void conv2d_backward_bias(const Conv2dShape& s, const float* grad_y, float* grad_b) {
    const int64_t P = s.out_height() * s.out_width(), Cout = s.out_channels;
    // The order of every sum is fixed: image_sum[b,co] = sum of grad_y[b,co,p] in p order
    // from 0; grad_b[co] = sum of image_sum[b,co] in b order from 0.
    // 1. Per-image sums, parallel over images: each thread owns whole sums, no races.
    std::vector<float> image_sums(size_t(s.batch * Cout));
#pragma omp parallel for schedule(static) if (Cout * s.batch * P > (1 << 16))
    for (int64_t b = 0; b < s.batch; ++b)
        channel_sums(grad_y + b * Cout * P, Cout, P, image_sums.data() + b * Cout);
    // 2. Sum the images in order.
    for (int64_t co = 0; co < Cout; ++co) {
        float sum = 0.0f;
        for (int64_t b = 0; b < s.batch; ++b) sum += image_sums[size_t(b * Cout + co)];
        grad_b[co] = sum;
    }
}

}  // namespace hd::kernels
