// test_conv2d_kernels.cpp — the fast conv2d kernels against the naive direct loops, at odd
// shapes (batch 1, one channel, sizes that fit no block, stride 2, padding 0 and 1, 1x1 and
// 3x3), and bitwise identical across thread counts.
#include "autograd/kernels/conv2d.h"

#include "tests/support/tensor_compare.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using hd::test::random_buffer;

using hd::kernels::Conv2dShape;
namespace kernels = hd::kernels;

// Output buffers start as NaN: every kernel assigns, so none may survive.
std::vector<float> nan_buffer(int64_t count) {
    return std::vector<float>(static_cast<size_t>(count), std::numeric_limits<float>::quiet_NaN());
}

struct Buffers {
    std::vector<float> x, w, bias, grad_y;
};

Buffers random_problem(const Conv2dShape& s) {
    int64_t P = s.out_height() * s.out_width();
    return {random_buffer(s.batch * s.in_channels * s.height * s.width, 1),
            random_buffer(s.out_channels * s.in_channels * s.kernel * s.kernel, 2),
            random_buffer(s.out_channels, 3), random_buffer(s.batch * s.out_channels * P, 4)};
}

// Compares all four fast kernels with their naive versions on one shape.
void check_against_naive(const Conv2dShape& s, bool with_bias = true) {
    CAPTURE(s.batch, s.in_channels, s.out_channels, s.height, s.width, s.kernel, s.stride,
            s.padding, with_bias);
    Buffers in = random_problem(s);
    const float* bias = with_bias ? in.bias.data() : nullptr;
    int64_t y_count = int64_t(in.grad_y.size()), x_count = int64_t(in.x.size());
    int64_t w_count = int64_t(in.w.size());
    // atol scales with the length of each sum (values are in [-1,1])
    float atol_fwd = 2e-6f * float(s.in_channels * s.kernel * s.kernel);
    float atol_bwd_x = 2e-6f * float(s.out_channels * s.kernel * s.kernel);
    float atol_bwd_w = 2e-6f * float(s.batch * s.out_height() * s.out_width());

    auto y = nan_buffer(y_count), y_ref = nan_buffer(y_count);
    kernels::conv2d_forward(s, in.x.data(), in.w.data(), bias, y.data());
    kernels::naive::conv2d_forward(s, in.x.data(), in.w.data(), bias, y_ref.data());
    hd::test::require_close(y.data(), y_ref.data(), y_count, atol_fwd, 1e-4f, "forward y");

    auto grad_x = nan_buffer(x_count), grad_x_ref = nan_buffer(x_count);
    kernels::conv2d_backward_input(s, in.grad_y.data(), in.w.data(), grad_x.data());
    kernels::naive::conv2d_backward_input(s, in.grad_y.data(), in.w.data(), grad_x_ref.data());
    hd::test::require_close(grad_x.data(), grad_x_ref.data(), x_count, atol_bwd_x, 1e-4f, "grad_x");

    auto grad_w = nan_buffer(w_count), grad_w_ref = nan_buffer(w_count);
    kernels::conv2d_backward_weight(s, in.x.data(), in.grad_y.data(), grad_w.data());
    kernels::naive::conv2d_backward_weight(s, in.x.data(), in.grad_y.data(), grad_w_ref.data());
    hd::test::require_close(grad_w.data(), grad_w_ref.data(), w_count, atol_bwd_w, 1e-4f, "grad_w");

    auto grad_b = nan_buffer(s.out_channels), grad_b_ref = nan_buffer(s.out_channels);
    kernels::conv2d_backward_bias(s, in.grad_y.data(), grad_b.data());
    kernels::naive::conv2d_backward_bias(s, in.grad_y.data(), grad_b_ref.data());
    hd::test::require_close(grad_b.data(), grad_b_ref.data(), s.out_channels, atol_bwd_w, 1e-4f,
                            "grad_b");
}

}  // namespace

TEST_CASE("conv2d output size follows (H + 2 padding - K) / stride + 1", "[conv2d]") {
    Conv2dShape s{.height = 7, .width = 8, .kernel = 3, .stride = 2, .padding = 1};
    CHECK(s.out_height() == 4);
    CHECK(s.out_width() == 4);
    Conv2dShape t{.height = 5, .width = 5, .kernel = 1};
    CHECK(t.out_height() == 5);
}

TEST_CASE("conv2d 3x3 with padding 1 matches the naive loops at odd sizes", "[conv2d]") {
    check_against_naive({.batch = 2, .in_channels = 3, .out_channels = 5, .height = 7, .width = 9,
                         .kernel = 3, .stride = 1, .padding = 1});
    check_against_naive({.batch = 3, .in_channels = 17, .out_channels = 33, .height = 13,
                         .width = 11, .kernel = 3, .stride = 1, .padding = 1});
}

TEST_CASE("conv2d with padding 0 matches the naive loops", "[conv2d]") {
    check_against_naive({.batch = 2, .in_channels = 4, .out_channels = 7, .height = 9, .width = 6,
                         .kernel = 3, .stride = 1, .padding = 0});
    check_against_naive({.batch = 2, .in_channels = 9, .out_channels = 7, .height = 9, .width = 6,
                         .kernel = 3, .stride = 1, .padding = 0});
}

TEST_CASE("conv2d with padding as large as the kernel matches the naive loops", "[conv2d]") {
    // padding > K - 1 leaves output positions that see only padding
    check_against_naive({.batch = 2, .in_channels = 9, .out_channels = 5, .height = 5, .width = 4,
                         .kernel = 3, .stride = 1, .padding = 3});
    check_against_naive({.batch = 1, .in_channels = 8, .out_channels = 3, .height = 4, .width = 4,
                         .kernel = 1, .stride = 1, .padding = 1});
}

TEST_CASE("conv2d with stride 2 matches the naive loops", "[conv2d]") {
    check_against_naive({.batch = 2, .in_channels = 5, .out_channels = 6, .height = 9, .width = 10,
                         .kernel = 3, .stride = 2, .padding = 1});
    check_against_naive({.batch = 1, .in_channels = 3, .out_channels = 4, .height = 8, .width = 7,
                         .kernel = 3, .stride = 2, .padding = 0});
}

TEST_CASE("conv2d 1x1 matches the naive loops", "[conv2d]") {
    check_against_naive({.batch = 3, .in_channels = 17, .out_channels = 65, .height = 5, .width = 7,
                         .kernel = 1});
    check_against_naive({.batch = 1, .in_channels = 8, .out_channels = 3, .height = 6, .width = 6,
                         .kernel = 1, .stride = 2});
}

TEST_CASE("conv2d with batch 1 and one channel matches the naive loops", "[conv2d]") {
    check_against_naive({.batch = 1, .in_channels = 1, .out_channels = 1, .height = 5, .width = 5,
                         .kernel = 3, .stride = 1, .padding = 1});
    check_against_naive({.batch = 1, .in_channels = 1, .out_channels = 2, .height = 1, .width = 1,
                         .kernel = 1});
}

TEST_CASE("conv2d with a kernel larger than the padded input has zero gradients", "[conv2d]") {
    Conv2dShape s{.batch = 2, .in_channels = 3, .out_channels = 4, .height = 2, .width = 2,
                  .kernel = 5, .stride = 1, .padding = 1};
    CAPTURE(s.out_height(), s.out_width());
    REQUIRE(s.out_height() <= 0);
    Buffers in = random_problem({.batch = 2, .in_channels = 3, .out_channels = 4, .height = 2,
                                 .width = 2, .kernel = 5});
    auto grad_x = nan_buffer(int64_t(in.x.size())), grad_w = nan_buffer(int64_t(in.w.size()));
    kernels::conv2d_backward_input(s, nullptr, in.w.data(), grad_x.data());
    kernels::conv2d_backward_weight(s, in.x.data(), nullptr, grad_w.data());
    for (float g : grad_x) REQUIRE(g == 0.0f);
    for (float g : grad_w) REQUIRE(g == 0.0f);
}

TEST_CASE("conv2d without a bias matches the naive loops", "[conv2d]") {
    check_against_naive({.batch = 2, .in_channels = 3, .out_channels = 4, .height = 6, .width = 6,
                         .kernel = 3, .stride = 1, .padding = 1},
                        false);
}

TEST_CASE("conv2d at a network-sized shape matches the naive loops", "[conv2d]") {
    // large enough that the fast path takes its multithreaded, multi-block routes
    check_against_naive({.batch = 9, .in_channels = 32, .out_channels = 48, .height = 20,
                         .width = 20, .kernel = 3, .stride = 1, .padding = 1});
}

// The packers have a vector path for the columns whose 16-wide chunks lie inside one output
// row (every chunk when W' is a multiple of 16, some chunks otherwise) and stride 1 or 2;
// other slivers take the run-by-run path. These shapes mix the two, with slivers and
// 16-row groups cut short by the receptive-field length R = Cin * K * K.
TEST_CASE("conv2d stride 1 with output widths that are and are not multiples of 16 matches the naive loops",
          "[conv2d]") {
    for (int64_t width : {16, 17, 20, 32, 33, 48}) {
        for (int64_t padding : {0, 1}) {
            // R = 63: one full 48-wide sliver and a short one; 16 rows per transpose group
            check_against_naive({.batch = 2, .in_channels = 7, .out_channels = 5, .height = 5,
                                 .width = width + 2 - 2 * padding, .kernel = 3, .stride = 1,
                                 .padding = padding});
        }
    }
    // batch 1, one channel (R = 9: a single short group), W' = 16 and 32
    check_against_naive({.batch = 1, .in_channels = 1, .out_channels = 1, .height = 4, .width = 16,
                         .kernel = 3, .stride = 1, .padding = 1});
    check_against_naive({.batch = 1, .in_channels = 1, .out_channels = 3, .height = 3, .width = 34,
                         .kernel = 3, .stride = 1, .padding = 0});
    // 5x5 and 1x1 kernels through the same paths
    check_against_naive({.batch = 2, .in_channels = 3, .out_channels = 4, .height = 6, .width = 16,
                         .kernel = 5, .stride = 1, .padding = 2});
    check_against_naive({.batch = 2, .in_channels = 20, .out_channels = 18, .height = 3, .width = 32,
                         .kernel = 1, .stride = 1, .padding = 0});
}

TEST_CASE("conv2d stride 2 with output widths that are and are not multiples of 16 matches the naive loops",
          "[conv2d]") {
    // W = 32, padding 1: W' = 16, every chunk on the vector path; W = 31: W' = 16 with the
    // last input column unused; W = 36: W' = 18, mixed; W = 33, padding 0: W' = 16
    for (int64_t width : {31, 32, 36})
        check_against_naive({.batch = 2, .in_channels = 6, .out_channels = 5, .height = 7,
                             .width = width, .kernel = 3, .stride = 2, .padding = 1});
    check_against_naive({.batch = 1, .in_channels = 1, .out_channels = 2, .height = 5, .width = 33,
                         .kernel = 3, .stride = 2, .padding = 0});
}

TEST_CASE("conv2d with many positions per image matches the naive loops", "[conv2d]") {
    // P = 34 * 34 = 1156 and R = 90: several 256-deep slabs of P (the last one short, not
    // a multiple of 16) and several GEMM panels in the forward
    check_against_naive({.batch = 2, .in_channels = 10, .out_channels = 17, .height = 34,
                         .width = 34, .kernel = 3, .stride = 1, .padding = 1});
    // W' = 32: every chunk on the vector path, P = 1024
    check_against_naive({.batch = 2, .in_channels = 10, .out_channels = 33, .height = 32,
                         .width = 32, .kernel = 3, .stride = 1, .padding = 1});
}

TEST_CASE("conv2d bias gradient matches the naive loops for channel counts around 16", "[conv2d]") {
    // the bias gradient sums 16 channels per vector: counts below, at and past one block
    for (int64_t channels : {1, 15, 16, 17, 33}) {
        Conv2dShape s{.batch = 3, .in_channels = 1, .out_channels = channels, .height = 5,
                      .width = 7, .kernel = 1};
        CAPTURE(channels);
        std::vector<float> grad_y = random_buffer(s.batch * channels * 35, 5);
        auto grad_b = nan_buffer(channels), grad_b_ref = nan_buffer(channels);
        kernels::conv2d_backward_bias(s, grad_y.data(), grad_b.data());
        kernels::naive::conv2d_backward_bias(s, grad_y.data(), grad_b_ref.data());
        hd::test::require_close(grad_b.data(), grad_b_ref.data(), channels, 1e-5f, 1e-5f, "grad_b");
    }
}

TEST_CASE("conv2d kernels give bitwise identical results with 1 and 2 threads", "[conv2d]") {
    const Conv2dShape shapes[] = {
        {.batch = 9, .in_channels = 16, .out_channels = 32, .height = 16, .width = 16, .kernel = 3,
         .stride = 1, .padding = 1},
        {.batch = 1, .in_channels = 64, .out_channels = 64, .height = 12, .width = 12, .kernel = 3,
         .stride = 1, .padding = 1},
        {.batch = 5, .in_channels = 3, .out_channels = 32, .height = 20, .width = 20, .kernel = 3,
         .stride = 2, .padding = 1},
        {.batch = 3, .in_channels = 17, .out_channels = 20, .height = 32, .width = 32, .kernel = 3,
         .stride = 2, .padding = 1},
        {.batch = 4, .in_channels = 16, .out_channels = 16, .height = 32, .width = 32, .kernel = 3,
         .stride = 1, .padding = 1},
    };
    int saved_threads = omp_get_max_threads();
    for (const Conv2dShape& s : shapes) {
        CAPTURE(s.batch, s.in_channels, s.out_channels, s.height, s.width, s.stride);
        Buffers in = random_problem(s);
        std::vector<float> outputs[2][4];
        for (int threads : {1, 2}) {
            omp_set_num_threads(threads);
            auto& out = outputs[threads - 1];
            out[0] = nan_buffer(int64_t(in.grad_y.size()));
            out[1] = nan_buffer(int64_t(in.x.size()));
            out[2] = nan_buffer(int64_t(in.w.size()));
            out[3] = nan_buffer(s.out_channels);
            kernels::conv2d_forward(s, in.x.data(), in.w.data(), in.bias.data(), out[0].data());
            kernels::conv2d_backward_input(s, in.grad_y.data(), in.w.data(), out[1].data());
            kernels::conv2d_backward_weight(s, in.x.data(), in.grad_y.data(), out[2].data());
            kernels::conv2d_backward_bias(s, in.grad_y.data(), out[3].data());
        }
        for (int k = 0; k < 4; ++k) {
            CAPTURE(k);  // 0 forward, 1 grad_x, 2 grad_w, 3 grad_b
            REQUIRE(std::memcmp(outputs[0][k].data(), outputs[1][k].data(),
                                outputs[0][k].size() * sizeof(float)) == 0);
        }
    }
    omp_set_num_threads(saved_threads);
}
